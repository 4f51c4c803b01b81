"""Minibatch gradients: epochs of reshuffled batches from one seed, the same for every
optimizer; B = n is the full gradient; simulate, simulate_many and sweep agree."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz.engine import Sampling, minibatch_indices

RNG = np.random.default_rng(11)
X = RNG.normal(0.0, 1.5, 103)
Y = 0.7 * X - 0.3 + RNG.normal(0, 0.4, 103)
YC = (RNG.random(103) < 1 / (1 + np.exp(-1.5 * X))).astype(float)


@pytest.fixture(scope="module", params=["linear", "logistic"])
def surface(request) -> mv.Surface:
    return mv.regression_surface(request.param, X, Y if request.param == "linear" else YC)


def batch_gradient_by_hand(kind: str, w: float, b: float, idx: np.ndarray) -> np.ndarray:
    x = X[idx]
    y = (Y if kind == "linear" else YC)[idx]
    z = w * x + b
    d = 2 * (z - y) if kind == "linear" else 1 / (1 + np.exp(-z)) - y
    return np.array([np.mean(d * x), np.mean(d)])


@pytest.mark.parametrize(("n", "batch"), [(103, 10), (103, 1), (103, 103), (8, 4), (7, 3)])
def test_each_epoch_visits_every_point_once(n, batch):
    per_epoch = -(-n // batch)
    steps = 3 * per_epoch + 1
    indices, weights = minibatch_indices(n, batch, steps, seed=4)
    assert indices.shape == weights.shape == (steps, batch)
    for e in range(3):
        rows = slice(e * per_epoch, (e + 1) * per_epoch)
        used = indices[rows][weights[rows] > 0]
        np.testing.assert_array_equal(np.sort(used), np.arange(n))
        np.testing.assert_allclose(weights[rows].sum(axis=1), 1.0, rtol=1e-15)
    first, second = (indices[e * per_epoch:(e + 1) * per_epoch] for e in range(2))
    assert n <= batch or not np.array_equal(first, second)  # reshuffled each epoch


def test_batches_come_from_the_seed():
    a = minibatch_indices(50, 7, 40, seed=3)
    np.testing.assert_array_equal(a[0], minibatch_indices(50, 7, 40, seed=3)[0])
    assert not np.array_equal(a[0], minibatch_indices(50, 7, 40, seed=4)[0])


def test_optimizer_sees_the_mean_gradient_of_its_batch(surface):
    """sgd's steps reveal the gradient it used: θ_k − θ_{k+1} = lr·g_k."""
    lr, steps, batch = 0.05, 12, 16
    run = mv.simulate(surface, optimizer="sgd", lr=lr, steps=steps, batch_size=batch, seed=9)
    indices, _ = minibatch_indices(len(X), batch, steps, seed=9)
    per_epoch = -(-len(X) // batch)
    for k in range(steps):
        size = len(X) - (per_epoch - 1) * batch if k % per_epoch == per_epoch - 1 else batch
        expected = batch_gradient_by_hand(surface.data.kind, *run.path[k], indices[k, :size])
        np.testing.assert_allclose((run.path[k] - run.path[k + 1]) / lr, expected,
                                   rtol=1e-9, atol=1e-12)
    # Run.grad stays the exact full gradient
    np.testing.assert_allclose(run.grad, np.stack(surface.grad(*run.path.T), axis=1),
                               rtol=1e-13, atol=1e-15)


def test_mean_of_minibatch_gradients_over_an_epoch_is_the_full_gradient(surface):
    theta = np.array([[0.4, -1.0], [0.2, 0.6]])  # two trajectories
    for batch in (1, 10, 103):
        steps = -(-len(X) // batch)
        sampling = Sampling.of(surface, steps, np.array([5]), batch_size=batch)
        per_step = [sampling.gradient(k, theta, None) for k in range(steps)] if sampling \
            else [np.array(surface.grad(*theta))]
        if batch == len(X):
            assert sampling is None  # B = n: the full gradient itself
        sizes = np.full(steps, batch)
        sizes[-1] = len(X) - (steps - 1) * batch
        mean = sum(s * g for s, g in zip(sizes, per_step, strict=True)) / len(X)
        np.testing.assert_allclose(mean, np.array(surface.grad(*theta)), rtol=1e-11,
                                   atol=1e-13)


def test_full_batch_is_exactly_the_full_gradient(surface):
    kwargs = dict(optimizer="momentum", lr=0.05, beta=0.8, steps=60)
    full = mv.simulate(surface, **kwargs)
    every = mv.simulate(surface, **kwargs, batch_size=len(X), seed=3)
    np.testing.assert_array_equal(every.path, full.path)
    np.testing.assert_array_equal(every.loss, full.loss)


def test_every_optimizer_sees_the_same_batches(surface):
    """Runs side by side equal runs alone, so they used the same batch sequence."""
    specs = [mv.RunSpec("sgd", 0.05), mv.RunSpec("momentum", 0.05, 0.9),
             mv.RunSpec("nesterov", 0.05, 0.5), mv.RunSpec("adam", 0.05)]
    together = mv.simulate_many(surface, specs, steps=80, batch_size=8, seed=2)
    for spec, run in zip(specs, together, strict=True):
        alone = mv.simulate(surface, optimizer=spec.optimizer, lr=spec.lr, beta=spec.beta,
                            steps=80, batch_size=8, seed=2)
        np.testing.assert_array_equal(run.path, alone.path)
        assert run.batch_size == 8
    other = mv.simulate(surface, optimizer="sgd", lr=0.05, steps=80, batch_size=8, seed=3)
    assert not np.array_equal(other.path, together[0].path)


def test_sweep_cells_share_the_run_batches(surface):
    lrs, betas = np.array([0.02, 0.1]), np.array([0.0, 0.7])
    grid = mv.sweep(surface, optimizer="momentum", lrs=lrs, betas=betas, steps=150,
                    batch_size=20, seed=6)
    for row, beta in enumerate(betas):
        for col, lr in enumerate(lrs):
            run = mv.simulate(surface, optimizer="momentum", lr=lr, beta=beta, steps=150,
                              batch_size=20, seed=6)
            assert grid.final_loss[row, col] == pytest.approx(run.loss[-1], rel=1e-12)
            steps = run.metrics().steps_to_converge
            assert grid.steps_to_converge[row, col] == (-1 if steps is None else steps)


@pytest.mark.parametrize("batch", [0, -1, 104, 2.5, True, "8"])
def test_batch_size_out_of_range_raises(surface, batch):
    with pytest.raises((ValueError, TypeError)):
        mv.simulate(surface, optimizer="sgd", lr=0.1, steps=5, batch_size=batch)


def test_batch_size_needs_a_data_surface_and_no_gaussian_noise(surface):
    with pytest.raises(ValueError, match="from data"):
        mv.simulate(mv.get_surface("bowl"), optimizer="sgd", lr=0.1, steps=5, batch_size=4)
    with pytest.raises(ValueError, match="from data"):
        mv.sweep(mv.get_surface("bowl"), optimizer="sgd", lrs=[0.1], betas=[0], steps=5,
                 batch_size=4)
    with pytest.raises(ValueError, match="either"):
        mv.simulate(surface, optimizer="sgd", lr=0.1, steps=5, batch_size=4, noise=0.1)
