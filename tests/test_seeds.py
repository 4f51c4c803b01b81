"""Many seeds at once: row i is the single run with seed + i, for Gaussian noise and for
minibatches; the spread summaries; bad input."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv


@pytest.fixture(scope="module")
def data_surface() -> mv.Surface:
    return mv.DATASETS["linreg"].surface()


@pytest.mark.parametrize("kind", ["noise", "minibatch"])
def test_row_i_is_the_run_with_seed_plus_i(kind, data_surface):
    surface = mv.get_surface("ravine") if kind == "noise" else data_surface
    extra = {"noise": 2.0} if kind == "noise" else {"batch_size": 16}
    seeds = mv.simulate_seeds(surface, optimizer="momentum", lr=0.03, beta=0.8, seeds=7,
                              seed=40, steps=90, **extra)
    assert seeds.path.shape == (7, 91, 2) and seeds.loss.shape == (7, 91)
    assert seeds.velocity.shape == seeds.grad.shape == (7, 91, 2)
    np.testing.assert_array_equal(seeds.seeds, np.arange(40, 47))
    for i in range(7):
        run = mv.simulate(surface, optimizer="momentum", lr=0.03, beta=0.8, seed=40 + i,
                          steps=90, **extra)
        for name in ("path", "loss", "velocity", "grad"):
            np.testing.assert_array_equal(getattr(seeds, name)[i], getattr(run, name))
        again = seeds.run(i)
        assert again.seed == 40 + i and again.diverged_at == run.diverged_at
        np.testing.assert_array_equal(again.path, run.path)
    assert not np.array_equal(seeds.path[0], seeds.path[1])


def test_several_settings_side_by_side_equal_each_alone(data_surface):
    specs = [mv.RunSpec("sgd", 0.1), mv.RunSpec("momentum", 0.1, 0.9), mv.RunSpec("adam", 0.1)]
    together = mv.simulate_seeds_many(data_surface, specs, seeds=5, steps=60, batch_size=10,
                                      seed=1)
    for spec, result in zip(specs, together, strict=True):
        alone = mv.simulate_seeds(data_surface, optimizer=spec.optimizer, lr=spec.lr,
                                  beta=spec.beta, seeds=5, steps=60, batch_size=10, seed=1)
        np.testing.assert_array_equal(result.path, alone.path)
        assert result.spec == alone.spec


def test_diverged_rows_are_nan_and_count_as_worst():
    surface = mv.get_surface("bowl")
    seeds = mv.simulate_seeds(surface, optimizer="sgd", lr=1.05, seeds=3, steps=2000,
                              noise=0.5)
    assert np.all(seeds.diverged_at >= 0)
    for i in range(3):
        at = seeds.diverged_at[i]
        assert np.all(np.isnan(seeds.path[i, at + 1:]))
        assert seeds.run(i).diverged_at == at
    assert seeds.final_loss_median == np.inf


def test_summaries_are_quantiles_over_seeds(data_surface):
    seeds = mv.simulate_seeds(data_surface, optimizer="momentum", lr=0.2, beta=0.9,
                              seeds=20, steps=50, batch_size=4)
    np.testing.assert_allclose(seeds.median_loss(), np.median(seeds.loss, axis=0), rtol=1e-15)
    low, high = seeds.loss_band()
    np.testing.assert_allclose(low, np.percentile(seeds.loss, 10, axis=0), rtol=1e-15)
    np.testing.assert_allclose(high, np.percentile(seeds.loss, 90, axis=0), rtol=1e-15)
    assert np.all(low <= seeds.median_loss()) and np.all(seeds.median_loss() <= high)
    assert seeds.final_loss_median == pytest.approx(np.median(seeds.loss[:, -1]))
    assert seeds.final_loss_p90 == pytest.approx(np.percentile(seeds.loss[:, -1], 90))


def test_without_noise_every_row_is_the_same_run():
    seeds = mv.simulate_seeds(mv.get_surface("ravine"), optimizer="sgd", lr=0.03, seeds=3,
                              steps=20)
    np.testing.assert_array_equal(seeds.path[0], seeds.path[2])


@pytest.mark.parametrize("n", [0, 101, -3, 2.5, True])
def test_seeds_out_of_range_raise(n):
    with pytest.raises(ValueError, match="seeds"):
        mv.simulate_seeds(mv.get_surface("bowl"), optimizer="sgd", lr=0.1, seeds=n, steps=5,
                          noise=0.1)


def test_bad_batch_size_and_noise_raise(data_surface):
    with pytest.raises(ValueError, match="batch_size"):
        mv.simulate_seeds(data_surface, optimizer="sgd", lr=0.1, seeds=3, steps=5,
                          batch_size=data_surface.data.n + 1)
    with pytest.raises(ValueError, match="noise"):
        mv.simulate_seeds(mv.get_surface("bowl"), optimizer="sgd", lr=0.1, seeds=3, steps=5,
                          noise=-1.0)


@pytest.mark.parametrize("kind", ["noise", "minibatch"])
def test_a_sweep_with_seeds_is_the_median_of_each_cells_runs(kind, data_surface):
    """Each cell against its runs one by one (``simulate`` with seed + i and its metrics):
    the median final loss, a diverged run counting as +inf; the median steps to converge
    rounded up, a run that never converged counting as +inf."""
    surface = mv.get_surface("bowl") if kind == "noise" else data_surface
    extra = {"noise": 0.3} if kind == "noise" else {"batch_size": 8}
    lrs, betas = np.array([0.05, 0.3, 1.2]), np.array([0.0, 0.5, 0.9])
    tol = 0.05
    swept = mv.sweep(surface, optimizer="momentum", lrs=lrs, betas=betas, steps=80, seeds=6,
                     seed=3, tol=tol, **extra)
    assert swept.seeds == 6
    outcomes = set()
    for row, beta in enumerate(betas):
        for col, lr in enumerate(lrs):
            runs = [mv.simulate(surface, optimizer="momentum", lr=lr, beta=beta, steps=80,
                                seed=3 + i, **extra) for i in range(6)]
            losses = sorted(np.inf if r.diverged_at is not None else r.loss[-1] for r in runs)
            taken = sorted(np.inf if r.metrics(tol).steps_to_converge is None
                           else r.metrics(tol).steps_to_converge for r in runs)
            # 6 runs: the median is the mean of the middle two
            loss, steps = (losses[2] + losses[3]) / 2, (taken[2] + taken[3]) / 2
            if np.isinf(loss):
                assert swept.diverged[row, col] and np.isnan(swept.final_loss[row, col])
            else:
                assert not swept.diverged[row, col]
                assert swept.final_loss[row, col] == pytest.approx(loss, rel=1e-12)
            expected = -1 if np.isinf(steps) else int(np.ceil(steps))
            assert swept.steps_to_converge[row, col] == expected
            outcomes.add("diverged" if np.isinf(loss) else "stalled" if expected < 0 else "ok")
    assert outcomes == {"diverged", "stalled", "ok"}, outcomes


def test_a_sweep_with_one_seed_is_the_plain_sweep(data_surface):
    one = mv.sweep(data_surface, optimizer="momentum", lrs=[0.1, 0.5], betas=[0.0, 0.9],
                   steps=50, batch_size=4, seed=9)
    again = mv.sweep(data_surface, optimizer="momentum", lrs=[0.1, 0.5], betas=[0.0, 0.9],
                     steps=50, batch_size=4, seed=9, seeds=1)
    for name in ("final_loss", "steps_to_converge", "diverged"):
        np.testing.assert_array_equal(getattr(one, name), getattr(again, name))


@pytest.mark.parametrize("n", [0, 101, 2.5, True])
def test_a_sweep_refuses_seeds_out_of_range(n):
    with pytest.raises(ValueError, match="seeds must be"):
        mv.sweep(mv.get_surface("bowl"), optimizer="momentum", lrs=[0.1], betas=[0.5],
                 steps=5, noise=1.0, seeds=n)


@pytest.mark.parametrize("surface_id", ["bowl", "linreg"])
def test_steps_to_converge_per_seed_are_each_runs_metric(surface_id, data_surface):
    surface = data_surface if surface_id == "linreg" else mv.get_surface(surface_id)
    extra = {"batch_size": 16} if surface_id == "linreg" else {"noise": 0.05}
    for lr in (0.05, 0.5, 2.0):
        many = mv.simulate_seeds(surface, optimizer="momentum", lr=lr, beta=0.6, seeds=8,
                                 steps=150, **extra)
        for tol in (1e-2, mv.DEFAULT_TOL):
            got = many.steps_to_converge(tol)
            for i in range(8):
                expected = many.run(i).metrics(tol).steps_to_converge
                assert got[i] == (-1 if expected is None else expected)


def test_a_quantile_on_a_finite_run_is_its_loss_though_the_next_run_diverged():
    """7 seeds, 3 diverged (+inf): the median is the 4th smallest final loss; the 60th
    percentile lies between it and a diverged run's: +inf; every quantile of finite losses is
    numpy's."""
    many = mv.simulate_seeds(mv.get_surface("bowl"), optimizer="sgd", lr=0.9, seeds=7,
                             steps=30, noise=3.0)
    loss = many.loss.copy()
    loss[[1, 4, 6], 5:] = np.nan  # as if three had diverged at step 5
    fake = type(many)(**{**{f: getattr(many, f) for f in many.__dataclass_fields__},
                         "loss": loss})
    ordered = np.sort(loss[[0, 2, 3, 5], -1])
    assert fake.final_loss_median == ordered[3]
    assert fake.final_loss_p90 == np.inf
    assert fake.loss_quantile(0.6)[-1] == np.inf
    np.testing.assert_allclose(fake.loss_quantile(np.array([0.1, 0.5, 0.9]))[:, :5],
                               np.quantile(loss[:, :5], [0.1, 0.5, 0.9], axis=0), rtol=1e-12)
