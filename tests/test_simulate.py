"""simulate / simulate_many: what a Run records, gradient noise, and divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import momentum_viz as mv


def rosenbrock_f(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(x, y):
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)


# -- what a run records ----------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", mv.OPTIMIZERS)
def test_run_fields(optimizer):
    surface = mv.get_surface("rosenbrock")
    steps = 250
    run = mv.simulate(surface, optimizer=optimizer, lr=1e-3, beta=0.9, steps=steps)
    assert run.path.shape == run.velocity.shape == run.grad.shape == (steps + 1, 2)
    assert run.loss.shape == (steps + 1,)
    for a in (run.path, run.loss, run.velocity, run.grad):
        assert a.dtype == np.float64
    assert run.start == surface.start == (-1.2, 1.0)
    assert tuple(run.path[0]) == (-1.2, 1.0)
    assert tuple(run.velocity[0]) == (0.0, 0.0)
    assert run.diverged_at is None
    x, y = run.path.T
    np.testing.assert_allclose(run.loss, rosenbrock_f(x, y), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.grad, rosenbrock_grad(x, y), rtol=1e-12, atol=1e-12)
    # grad is also what the lambdified gradient says, point by point
    np.testing.assert_allclose(run.grad, np.stack(surface.grad(x, y), axis=-1), rtol=1e-12,
                               atol=1e-12)
    assert (run.steps, run.noise, run.seed) == (steps, 0.0, 0)
    assert (run.optimizer, run.lr, run.beta) == (optimizer, 1e-3, 0.9)
    assert run.surface is surface


def test_the_velocity_is_what_moved_the_run():
    """θ_k − θ_{k+1} = lr·v_{k+1} for sgd, momentum and ema (nesterov adds the look-ahead)."""
    surface = mv.get_surface("himmelblau")
    for optimizer in ("sgd", "momentum", "ema"):
        run = mv.simulate(surface, optimizer=optimizer, lr=0.01, beta=0.8, steps=100)
        np.testing.assert_allclose(run.path[:-1] - run.path[1:], 0.01 * run.velocity[1:],
                                   rtol=1e-12, atol=1e-15)
    run = mv.simulate(surface, optimizer="nesterov", lr=0.01, beta=0.8, steps=100)
    np.testing.assert_allclose(run.path[:-1] - run.path[1:],
                               0.01 * (run.grad[:-1] + 0.8 * run.velocity[1:]),
                               rtol=1e-12, atol=1e-15)


def test_start_and_steps():
    bowl = mv.get_surface("bowl")
    run = mv.simulate(bowl, optimizer="sgd", lr=0.1, start=(3, 4), steps=0)
    assert run.path.tolist() == [[3.0, 4.0]]
    assert run.loss.tolist() == [25.0]
    assert run.grad.tolist() == [[6.0, 8.0]]
    assert run.start == (3.0, 4.0)
    run = mv.simulate(bowl, optimizer="sgd", lr=0.1, steps=1)
    assert tuple(run.path[0]) == bowl.start


def test_labels():
    assert mv.RunSpec("sgd", 0.1).label == "SGD"
    assert mv.RunSpec("momentum", 0.1, 0.9).label == "Momentum β=0.9"
    assert mv.RunSpec("nesterov", 0.1, 0.95).label == "Nesterov β=0.95"
    assert mv.RunSpec("ema", 0.1, 0.5).label == "EMA β=0.5"
    run = mv.simulate(mv.get_surface("bowl"), optimizer="momentum", lr=0.1, beta=0.5, steps=2)
    assert run.label == "Momentum β=0.5"


def test_simulate_many_runs_each_spec_as_if_alone():
    """Mixed optimizers, learning rates and β (non-contiguous groups too) in one batch give
    exactly the single runs."""
    surface = mv.get_surface("six_hump_camel")
    specs = [mv.RunSpec("sgd", 0.01), mv.RunSpec("momentum", 0.01, 0.9),
             mv.RunSpec("momentum", 0.02, 0.5), mv.RunSpec("sgd", 0.03),
             mv.RunSpec("nesterov", 0.01, 0.8), mv.RunSpec("ema", 0.05, 0.9),
             mv.RunSpec("momentum", 5.0, 0.9)]  # the last one diverges
    runs = mv.simulate_many(surface, specs, steps=200, noise=0.3, seed=4)
    assert [r.spec for r in runs] == specs
    assert runs[-1].diverged_at is not None
    for spec, run in zip(specs, runs, strict=True):
        alone = mv.simulate(surface, optimizer=spec.optimizer, lr=spec.lr, beta=spec.beta,
                            steps=200, noise=0.3, seed=4)
        for a, b in ((run.path, alone.path), (run.loss, alone.loss),
                     (run.velocity, alone.velocity), (run.grad, alone.grad)):
            np.testing.assert_array_equal(a, b)
        assert run.diverged_at == alone.diverged_at


@pytest.mark.parametrize(
    "kwargs",
    [dict(optimizer="lion", lr=0.1), dict(optimizer="sgd", lr=0.0),
     dict(optimizer="sgd", lr=-0.1), dict(optimizer="sgd", lr=math.nan),
     dict(optimizer="sgd", lr=math.inf), dict(optimizer="momentum", lr=0.1, beta=1.0),
     dict(optimizer="momentum", lr=0.1, beta=-0.1), dict(optimizer="momentum", lr=0.1, beta=2),
     dict(optimizer="sgd", lr=0.1, steps=-1), dict(optimizer="sgd", lr=0.1, steps=2.5),
     dict(optimizer="sgd", lr=0.1, steps=10**9), dict(optimizer="sgd", lr=0.1, steps=True),
     dict(optimizer="sgd", lr=0.1, start=(math.nan, 0)),
     dict(optimizer="sgd", lr=0.1, start=(0, math.inf)),
     dict(optimizer="sgd", lr=0.1, noise=-1.0), dict(optimizer="sgd", lr=0.1, noise=math.nan)],
)
def test_bad_parameters_are_value_errors(kwargs):
    kwargs = {"steps": 10, **kwargs}
    with pytest.raises(ValueError):
        mv.simulate(mv.get_surface("bowl"), **kwargs)


# -- noise -----------------------------------------------------------------------------------------
def noisy_loop(optimizer, lr, beta, start, steps, noise, seed):
    """The four rules on the bowl (∇f = 2θ) with noise drawn as documented: one generator,
    noise·N(0, 1) of shape (steps+1, 2), row k added to the gradient at step k."""
    draws = noise * np.random.default_rng(seed).standard_normal((steps + 1, 2))
    theta, v = np.array(start, dtype=float), np.zeros(2)
    path = [theta.copy()]
    for k in range(steps):
        g = 2 * theta + draws[k]
        if optimizer == "sgd":
            v = g
            theta = theta - lr * g
        elif optimizer == "momentum":
            v = beta * v + g
            theta = theta - lr * v
        elif optimizer == "nesterov":
            v = beta * v + g
            theta = theta - lr * (g + beta * v)
        else:
            v = beta * v + (1 - beta) * g
            theta = theta - lr * v
        path.append(theta.copy())
    return np.array(path)


def test_noise_is_added_to_the_gradient_from_one_seeded_generator():
    bowl = mv.get_surface("bowl")
    steps, noise, seed = 60, 0.7, 1234
    specs = [mv.RunSpec(o, 0.05, 0.8) for o in ("sgd", "momentum", "nesterov", "ema")]
    runs = mv.simulate_many(bowl, specs, start=(1.0, -1.0), steps=steps, noise=noise, seed=seed)
    for run in runs:  # every optimizer sees the same noise sequence
        expected = noisy_loop(run.optimizer, 0.05, 0.8, (1.0, -1.0), steps, noise, seed)
        np.testing.assert_allclose(run.path, expected, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(run.grad, 2 * run.path, rtol=1e-15)  # exact, no noise
        alone = mv.simulate(bowl, optimizer=run.optimizer, lr=0.05, beta=0.8, start=(1.0, -1.0),
                            steps=steps, noise=noise, seed=seed)
        np.testing.assert_array_equal(alone.path, run.path)
        assert (alone.noise, alone.seed) == (noise, seed)
    # sgd's velocity is the noisy gradient it followed
    draws = noise * np.random.default_rng(seed).standard_normal((steps + 1, 2))
    sgd = runs[0]
    np.testing.assert_allclose(sgd.velocity[1:], 2 * sgd.path[:-1] + draws[:-1], rtol=1e-13,
                               atol=1e-15)


def test_seeds_and_zero_noise():
    surface = mv.get_surface("rastrigin")
    kwargs = dict(optimizer="momentum", lr=0.002, beta=0.9, steps=100)
    a = mv.simulate(surface, noise=1.0, seed=1, **kwargs)
    b = mv.simulate(surface, noise=1.0, seed=1, **kwargs)
    c = mv.simulate(surface, noise=1.0, seed=2, **kwargs)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.array_equal(a.path, c.path)
    assert np.all(a.path[1:] != c.path[1:])  # every step differs, not just some
    quiet = [mv.simulate(surface, noise=0.0, seed=s, **kwargs) for s in (0, 1, 99)]
    for q in quiet[1:]:  # no noise: the seed plays no part
        np.testing.assert_array_equal(q.path, quiet[0].path)
    assert not np.array_equal(a.path, quiet[0].path)


# -- divergence ------------------------------------------------------------------------------------
def assert_divergence_shape(run):
    k = run.diverged_at
    assert k is not None
    surface = run.surface
    center, radius = np.array(surface.center), surface.escape_radius
    # every row before it is finite and inside the escape square
    assert np.all(np.isfinite(run.path[:k])) and np.all(np.isfinite(run.loss[:k]))
    assert np.all(np.abs(run.path[:k] - center) <= radius)
    # the row at it is not
    row = run.path[k]
    assert not (np.all(np.isfinite(row)) and np.all(np.abs(row - center) <= radius)
                and np.isfinite(run.loss[k]))
    # and every row after it is NaN in every array
    for a in (run.path, run.loss, run.velocity, run.grad):
        assert np.all(np.isnan(a[k + 1:]))


def test_divergence_by_overshooting_on_the_bowl():
    """sgd with lr = 1.5 on x² + y²: θ_{k+1} = θ_k − 3θ_k = −2θ_k, exactly. From (1, 0.5) the
    first position outside the escape square (half-width 100·6 = 600) is θ_10 = (1024, 512)."""
    bowl = mv.get_surface("bowl")
    assert bowl.escape_radius == 600 and bowl.center == (0.0, 0.0)
    run = mv.simulate(bowl, optimizer="sgd", lr=1.5, start=(1.0, 0.5), steps=40)
    assert run.diverged_at == 10
    expected = [((-2.0) ** k, 0.5 * (-2.0) ** k) for k in range(11)]
    np.testing.assert_array_equal(run.path[:11], expected)  # not clipped
    assert run.loss[10] == 1024.0**2 + 512.0**2
    assert_divergence_shape(run)
    assert run.metrics().diverged_at == 10


def test_divergence_in_one_step():
    surface = mv.get_surface("rosenbrock")
    run = mv.simulate(surface, optimizer="momentum", lr=10.0, beta=0.9, steps=50)
    assert run.diverged_at == 1  # the first step already lands ~10⁴ away
    assert_divergence_shape(run)
    assert abs(run.path[1][0]) > 400  # (−1.2 − 10·(−215.6), 1 − 10·(−88)) = (2154.8, 881)
    np.testing.assert_allclose(run.path[1], (-1.2 - 10 * -215.6, 1 - 10 * -88), rtol=1e-12)


def test_an_infinite_loss_at_the_start_diverges_at_zero():
    surface = mv.surface_from_formula("exp(1000x^2) + y^2")  # inf at x = ±1 already
    run = mv.simulate(surface, optimizer="sgd", lr=0.1, start=(1.0, 0.0), steps=5)
    assert run.diverged_at == 0
    assert tuple(run.path[0]) == (1.0, 0.0) and run.loss[0] == np.inf
    assert_divergence_shape(run)


def test_landing_on_a_singularity_diverges():
    """log(x² + y²): from (1, 0) sgd with lr 0.5 steps by 0.5·2x/(x²+y²) = 1 to the origin,
    where f = −inf (a finite position inside the square, but a non-finite loss)."""
    surface = mv.surface_from_formula("log(x^2 + y^2)")
    run = mv.simulate(surface, optimizer="sgd", lr=0.5, start=(1.0, 0.0), steps=4)
    assert run.diverged_at == 1
    assert tuple(run.path[1]) == (0.0, 0.0) and run.loss[1] == -np.inf
    assert_divergence_shape(run)


def test_the_saddle_diverges_by_escaping():
    """On x² − y² sgd gives y_k = (1 + 2lr)^k·y₀ (and x → 0): from y₀ = 0.05 with lr = 0.05 it
    leaves the square of half-width 100·4 = 400 when 1.1^k·0.05 > 400."""
    saddle = mv.get_surface("saddle")
    assert saddle.start == (-1.8, 0.05) and saddle.escape_radius == 400
    run = mv.simulate(saddle, optimizer="sgd", lr=0.05, steps=300)
    expected = math.ceil(math.log(400 / 0.05) / math.log(1.1))  # 94.3… → 95
    assert run.diverged_at == expected == 95
    assert np.all(np.isfinite(run.path[expected]))  # escaped, still finite: not clipped
    assert abs(run.path[expected][1]) > 400 >= abs(run.path[expected - 1][1])
    np.testing.assert_allclose(run.path[expected], (-1.8 * 0.9**95, 0.05 * 1.1**95), rtol=1e-12)
    assert_divergence_shape(run)
    for optimizer in ("momentum", "nesterov", "ema"):
        other = mv.simulate(saddle, optimizer=optimizer, lr=0.05, beta=0.8, steps=300)
        assert_divergence_shape(other)
        if optimizer != "ema":  # momentum builds up speed along y: it escapes sooner
            assert other.diverged_at < run.diverged_at


@pytest.mark.parametrize("surface_id", [s for s in mv.SURFACE_IDS if s != "saddle"])
def test_runs_that_converge_do_not_diverge(surface_id):
    surface = mv.get_surface(surface_id)
    run = mv.simulate(surface, optimizer="momentum", lr=surface.lr, beta=surface.beta,
                      steps=300)
    assert run.diverged_at is None
    assert np.all(np.isfinite(run.path)) and np.all(np.isfinite(run.loss))
    assert run.loss[-1] < run.loss[0]


# -- property: no surprises anywhere ---------------------------------------------------------------
@settings(max_examples=80)
@given(
    surface_id=st.sampled_from(mv.SURFACE_IDS),
    optimizer=st.sampled_from(mv.OPTIMIZERS),
    log_lr=st.floats(-5, 1),
    beta=st.floats(0, 0.999),
    u=st.floats(-0.2, 1.2),
    w=st.floats(-0.2, 1.2),
    steps=st.integers(0, 300),
)
def test_any_run_is_finite_until_it_diverges_and_nan_after(surface_id, optimizer, log_lr, beta,
                                                            u, w, steps):
    surface = mv.get_surface(surface_id)
    (x0, x1), (y0, y1) = surface.domain
    start = (x0 + u * (x1 - x0), y0 + w * (y1 - y0))  # inside or near the domain
    lr = 10.0**log_lr
    run = mv.simulate(surface, optimizer=optimizer, lr=lr, beta=beta, start=start, steps=steps)
    k = run.diverged_at
    center, radius = np.array(surface.center), surface.escape_radius
    if k is None:
        for a in (run.path, run.loss, run.velocity, run.grad):
            assert np.all(np.isfinite(a))
        assert np.all(np.abs(run.path - center) <= radius)
    else:
        assert 0 <= k <= steps
        assert_divergence_shape(run)
    metrics = run.metrics()
    assert metrics.diverged_at == k
    assert (k is None) == np.isfinite(metrics.final_loss)
    if k is not None:
        assert metrics.steps_to_converge is None
    # a one-cell sweep is the same run
    cell = mv.sweep(surface, optimizer=optimizer, lrs=[lr], betas=[beta], start=start,
                    steps=steps)
    assert bool(cell.diverged[0, 0]) == (k is not None)
    stc = -1 if metrics.steps_to_converge is None else metrics.steps_to_converge
    assert cell.steps_to_converge[0, 0] == stc
    if k is None:
        assert cell.final_loss[0, 0] == metrics.final_loss == run.loss[-1]
    else:
        assert np.isnan(cell.final_loss[0, 0])


def test_states_records_every_state_array_and_changes_nothing_else():
    ravine = mv.get_surface("ravine")
    specs = [mv.RunSpec(name, 0.05, 0.6) for name in ("sgd", "nesterov", "adam", "rmsprop",
                                                      "adagrad")] + [
        mv.RunSpec("momentum", 0.5, 0.9)]  # diverges
    plain = mv.simulate_many(ravine, specs, steps=60, noise=0.3, seed=2)
    kept = mv.simulate_many(ravine, specs, steps=60, noise=0.3, seed=2, states=True)
    for a, b in zip(plain, kept, strict=True):
        assert a.states is None
        for name in ("path", "loss", "velocity", "grad", "lrs"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        entry = b.spec.entry
        assert list(b.states) == [s.name for s in entry.state]
        np.testing.assert_array_equal(b.states[entry.state[entry.velocity].name], b.velocity)
        for array in b.states.values():
            assert array.shape == (61, 2) and np.all(array[0] == 0)
    # Adam's second moment by hand, first step: s₁ = (1 − β₂)·g₀² with g₀ the noisy gradient
    adam = kept[2]
    g0 = adam.grad[0] + 0.3 * np.random.default_rng(2).standard_normal((61, 2))[0]
    np.testing.assert_allclose(adam.states["exp_avg_sq"][1], (1 - 0.999) * g0 * g0, rtol=1e-15)
    diverged = kept[-1]
    assert diverged.diverged_at is not None
    assert np.all(np.isnan(diverged.states["velocity"][diverged.diverged_at + 1:]))
