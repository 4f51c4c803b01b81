"""sweep: every cell of an (lr, β) grid is exactly the matching simulate run's summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz.sweep import Cell, Sweep


def assert_cells_match_runs(result: mv.Sweep, noise=0.0, seed=0):
    """Every cell against its own simulate run: steps to converge (None ↔ −1), final loss (NaN
    where diverged) and the divergence flag, exactly."""
    for i, beta in enumerate(result.betas):
        for j, lr in enumerate(result.lrs):
            run = mv.simulate(result.surface, optimizer=result.optimizer, lr=float(lr),
                              beta=float(beta), start=result.start, steps=result.steps,
                              noise=noise, seed=seed)
            m = run.metrics(result.tol)
            stc = -1 if m.steps_to_converge is None else m.steps_to_converge
            assert result.steps_to_converge[i, j] == stc, (lr, beta)
            assert bool(result.diverged[i, j]) == (run.diverged_at is not None), (lr, beta)
            np.testing.assert_array_equal(result.final_loss[i, j], m.final_loss)
            if run.diverged_at is not None:
                assert np.isnan(result.final_loss[i, j])
            else:
                assert result.final_loss[i, j] == run.loss[-1]


def test_shapes_and_fields():
    booth = mv.get_surface("booth")
    lrs, betas = [0.001, 0.01, 0.05, 0.3], [0.0, 0.5, 0.9]
    result = mv.sweep(booth, optimizer="momentum", lrs=lrs, betas=betas, steps=150)
    for a in (result.final_loss, result.diverged, result.steps_to_converge):
        assert a.shape == (3, 4)
    assert result.diverged.dtype == bool
    assert np.issubdtype(result.steps_to_converge.dtype, np.integer)
    assert result.final_loss.dtype == np.float64
    assert result.lrs.tolist() == lrs and result.betas.tolist() == betas
    assert result.start == booth.start and result.steps == 150
    assert result.tol == mv.DEFAULT_TOL and result.optimizer == "momentum"


def test_cells_equal_simulate_runs_on_booth():
    """A grid with diverged cells (lr·λ_max = 0.3·18 > 2(1+β)), converged cells and cells that
    are still on their way after 150 steps."""
    booth = mv.get_surface("booth")
    result = mv.sweep(booth, optimizer="momentum", lrs=[0.0005, 0.01, 0.05, 0.3],
                      betas=[0.0, 0.5, 0.9], steps=150)
    assert result.diverged[:, 3].all()  # lr = 0.3 diverges for every β
    assert not result.diverged[:, :3].any()
    assert (result.steps_to_converge[:, 0] == -1).all()  # lr = 0.0005: too slow
    assert (result.steps_to_converge[:, 1:3] > 0).any()
    assert (result.steps_to_converge == -1).any() and (result.steps_to_converge > 0).any()
    assert_cells_match_runs(result)


@pytest.mark.parametrize("optimizer", mv.OPTIMIZERS)
@pytest.mark.parametrize("surface_id", ["rosenbrock", "himmelblau", "rastrigin", "ravine"])
def test_cells_equal_simulate_runs_everywhere(surface_id, optimizer):
    surface = mv.get_surface(surface_id)
    lrs = surface.lr * np.array([0.1, 1.0, 3.0, 30.0])
    result = mv.sweep(surface, optimizer=optimizer, lrs=lrs, betas=[0.0, 0.6, 0.95], steps=200)
    assert_cells_match_runs(result)


def test_cells_equal_simulate_runs_with_noise_and_a_looser_tolerance():
    surface = mv.get_surface("six_hump_camel")
    result = mv.sweep(surface, optimizer="nesterov", lrs=[0.002, 0.02, 0.2, 2.0],
                      betas=[0.3, 0.9], start=(1.0, 1.0), steps=200, tol=1e-3, noise=0.05,
                      seed=11)
    assert result.tol == 1e-3 and result.start == (1.0, 1.0)
    assert_cells_match_runs(result, noise=0.05, seed=11)


def test_cells_equal_simulate_runs_on_surfaces_without_a_known_minimum():
    """No f_min: convergence is judged by the gradient norm (exp(x) + y² has no minimum;
    the saddle none either)."""
    plane = mv.surface_from_formula("exp(x) + y^2")
    assert plane.f_min is None
    result = mv.sweep(plane, optimizer="momentum", lrs=[0.1, 1.0, 50.0], betas=[0.0, 0.9],
                      start=(0.0, 0.5), steps=300, tol=1e-2)
    assert (result.steps_to_converge > 0).any()
    assert_cells_match_runs(result)
    saddle = mv.get_surface("saddle")
    result = mv.sweep(saddle, optimizer="sgd", lrs=[0.01, 0.05], betas=[0.0], steps=120)
    assert result.diverged.tolist() == [[False, True]]
    assert_cells_match_runs(result)


def test_a_run_that_diverges_on_its_last_step():
    """sgd on the saddle (lr 0.05) escapes at step 95 (see test_simulate): with exactly 95
    steps the last row is outside but finite, and both views call it diverged with no loss."""
    saddle = mv.get_surface("saddle")
    run = mv.simulate(saddle, optimizer="sgd", lr=0.05, steps=95)
    assert run.diverged_at == 95 and np.isfinite(run.loss[-1])
    assert math.isnan(run.metrics().final_loss)
    result = mv.sweep(saddle, optimizer="sgd", lrs=[0.05], betas=[0.0], steps=95)
    assert result.diverged[0, 0] and np.isnan(result.final_loss[0, 0])
    assert_cells_match_runs(result)


def test_a_non_finite_loss_inside_the_square_is_divergence():
    """log(x² + y²) from (1, 0), sgd lr 0.5: one step lands on the origin, f = −inf."""
    surface = mv.surface_from_formula("log(x^2 + y^2)")
    for steps in (1, 2, 5):
        result = mv.sweep(surface, optimizer="sgd", lrs=[0.5, 0.1], betas=[0.0],
                          start=(1.0, 0.0), steps=steps)
        assert result.diverged[0].tolist() == [True, False]
        assert result.steps_to_converge[0, 0] == -1
        assert_cells_match_runs(result)


# -- best ------------------------------------------------------------------------------------------
def bowl_steps(lr: float, tol: float = 1e-6) -> int:
    """sgd on x² + y² from (1, 0): loss_k = (1 − 2lr)^(2k), so the first k with loss ≤ tol."""
    k = math.log(tol) / (2 * math.log(abs(1 - 2 * lr)))
    assert abs(k - round(k)) > 1e-6  # not on a boundary
    return math.ceil(k)


def test_best_is_the_fastest_cell_by_hand():
    bowl = mv.get_surface("bowl")
    lrs = [0.1, 0.25, 0.26, 0.5, 0.9]
    result = mv.sweep(bowl, optimizer="sgd", lrs=lrs, betas=[0.0], start=(1.0, 0.0), steps=60)
    # lr 0.5 lands on the minimum in one step: x₁ = 1 − 0.5·2·1 = 0
    expected = [bowl_steps(0.1), bowl_steps(0.25), bowl_steps(0.26), 1, bowl_steps(0.9)]
    assert expected == [31, 10, 10, 1, 31]
    assert result.steps_to_converge[0].tolist() == expected
    assert result.best() == Cell(row=0, col=3, lr=0.5, beta=0.0, steps=1)
    # without lr 0.5: 0.25 and 0.26 tie at 10 steps; 0.26 (|1 − 2lr| = 0.48 < 0.5) ends lower
    result = mv.sweep(bowl, optimizer="sgd", lrs=[0.1, 0.25, 0.26], betas=[0.0],
                      start=(1.0, 0.0), steps=60)
    assert result.final_loss[0, 2] < result.final_loss[0, 1]
    assert result.best() == Cell(row=0, col=2, lr=0.26, beta=0.0, steps=10)


def test_best_over_a_grid_against_a_plain_search():
    surface = mv.get_surface("ravine")
    lrs, betas = np.linspace(0.005, 0.05, 7), np.array([0.0, 0.3, 0.6, 0.8, 0.9])
    result = mv.sweep(surface, optimizer="momentum", lrs=lrs, betas=betas, steps=300)
    candidates = []
    for i, beta in enumerate(betas):
        for j, lr in enumerate(lrs):
            stc = int(result.steps_to_converge[i, j])
            if stc >= 0:
                candidates.append((stc, float(result.final_loss[i, j]), float(lr), float(beta)))
    assert candidates
    steps, _, lr, beta = min(candidates)
    best = result.best()
    assert (best.lr, best.beta, best.steps) == (lr, beta, steps)
    assert (result.lrs[best.col], result.betas[best.row]) == (lr, beta)


def hand_made(steps_to_converge, final_loss, lrs=(0.1, 0.2, 0.3), betas=(0.0, 0.5)) -> Sweep:
    """A Sweep from hand-written result arrays (rows are β, columns lr)."""
    steps = np.array(steps_to_converge, dtype=np.int64)
    return Sweep(surface=mv.get_surface("bowl"), optimizer="momentum", lrs=np.array(lrs),
                 betas=np.array(betas), start=(1.0, 0.0), steps=100, tol=mv.DEFAULT_TOL,
                 final_loss=np.array(final_loss, dtype=float), diverged=np.isnan(final_loss),
                 steps_to_converge=steps)


def test_best_is_the_cell_of_hand_made_arrays():
    nan = float("nan")
    result = hand_made([[-1, 40, 12], [30, -1, -1]], [[1e-3, 1e-7, 1e-7], [1e-8, nan, 1e-2]])
    assert result.best() == Cell(row=0, col=2, lr=0.3, beta=0.0, steps=12)
    # a tie on steps goes to the lower final loss, then to the first cell in row-major order
    result = hand_made([[-1, 12, 12], [12, -1, -1]], [[1e-3, 2e-7, 3e-7], [1e-7, nan, 1e-2]])
    assert result.best() == Cell(row=1, col=0, lr=0.1, beta=0.5, steps=12)
    result = hand_made([[-1, 12, 12], [12, -1, -1]], [[1e-3, 1e-7, 1e-7], [1e-7, nan, 1e-2]])
    assert result.best() == Cell(row=0, col=1, lr=0.2, beta=0.0, steps=12)
    # indices and values agree: the arrays are [row, col] = [β index, lr index]
    best = result.best()
    assert result.steps_to_converge[best.row, best.col] == best.steps
    assert isinstance(best.row, int) and isinstance(best.lr, float)
    assert hand_made([[-1, -1, -1], [-1, -1, -1]], [[nan] * 3, [1.0] * 3]).best() is None


def test_best_is_none_when_nothing_converged():
    surface = mv.get_surface("rosenbrock")
    result = mv.sweep(surface, optimizer="sgd", lrs=[1e-5, 1.0], betas=[0.0], steps=20)
    assert (result.steps_to_converge == -1).all()
    assert result.best() is None


def test_bad_parameters():
    bowl = mv.get_surface("bowl")
    with pytest.raises(ValueError):
        mv.sweep(bowl, optimizer="sgd", lrs=[0.1], betas=[0.0], steps=10, tol=0.0)
    with pytest.raises(ValueError):
        mv.sweep(bowl, optimizer="lion", lrs=[0.1], betas=[0.0], steps=10)
    with pytest.raises(ValueError):
        mv.sweep(bowl, optimizer="momentum", lrs=[0.1], betas=[1.0], steps=10)
    with pytest.raises(ValueError):
        mv.sweep(bowl, optimizer="sgd", lrs=[-0.1], betas=[0.0], steps=10)
