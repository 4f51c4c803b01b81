"""Run metrics on runs simple enough to work out by hand (the definitions are in metrics.py)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import momentum_viz as mv

BOWL_BAND = 0.001 * 6  # the dead band: 0.1% of the bowl's domain width (6)


@pytest.fixture(scope="module")
def bowl():
    return mv.get_surface("bowl")


def sgd_bowl(bowl, lr, steps, start=(1.0, 0.0)):
    return mv.simulate(bowl, optimizer="sgd", lr=lr, start=start, steps=steps)


def test_convergence_is_the_metrics_own_two_fields():
    """``convergence`` (what the Tuning lab's sentences read, for many runs) is exactly
    ``run_metrics``' steps_to_converge and diverged_at: converged, diverged, neither, at any
    tolerance, with and without a known minimum."""
    ravine, saddle = mv.get_surface("ravine"), mv.get_surface("saddle")
    runs = [mv.simulate(ravine, optimizer="momentum", lr=lr, beta=beta, steps=300)
            for lr, beta in [(0.038, 0.6), (0.05, 0.9), (0.001, 0.0), (0.02, 0.99)]]
    runs.append(mv.simulate(saddle, optimizer="sgd", lr=0.1, steps=50))
    for run, tol in itertools.product(runs, (mv.DEFAULT_TOL, 1e-3)):
        told, full = mv.metrics.convergence(run, tol), mv.run_metrics(run, tol)
        assert (told.steps_to_converge, told.diverged_at) == (full.steps_to_converge,
                                                               full.diverged_at)
    kinds = {(m.steps_to_converge is None, m.diverged_at is None)
             for m in (run.metrics() for run in runs)}
    assert kinds == {(False, True), (True, False), (True, True)}


# -- steps to converge -----------------------------------------------------------------------------
def closed_form_steps(lr: float, tol: float) -> int:
    """sgd on x² + y² from (1, 0): x_k = (1 − 2lr)^k and loss_k = (1 − 2lr)^(2k), decreasing,
    so the answer is the first k with (1 − 2lr)^(2k) ≤ tol."""
    k = math.log(tol) / (2 * math.log(abs(1 - 2 * lr)))
    assert abs(k - round(k)) > 1e-6  # safely away from a tie
    return math.ceil(k)


@pytest.mark.parametrize("lr, tol, expected", [(0.1, 1e-6, 31), (0.25, 1e-6, 10),
                                               (0.75, 1e-6, 10), (0.05, 1e-6, 66),
                                               (0.1, 1e-3, 16), (0.4, 1e-9, 7)])
def test_steps_to_converge_in_closed_form(bowl, lr, tol, expected):
    assert closed_form_steps(lr, tol) == expected
    run = sgd_bowl(bowl, lr, steps=200)
    assert run.metrics(tol).steps_to_converge == expected
    # the same number when the run stops right there, and None one step earlier
    assert sgd_bowl(bowl, lr, steps=expected).metrics(tol).steps_to_converge == expected
    assert sgd_bowl(bowl, lr, steps=expected - 1).metrics(tol).steps_to_converge is None


def test_steps_to_converge_is_zero_at_the_minimum(bowl):
    run = sgd_bowl(bowl, 0.1, steps=5, start=(0.0, 0.0))
    assert run.metrics().steps_to_converge == 0
    assert run.metrics().final_loss == 0.0


def test_steps_to_converge_counts_from_the_last_exit(bowl):
    """Momentum oscillates around the bottom: the loss dips within tolerance at crossings long
    before it stays there. The metric is the step from which every later step is within."""
    lr, beta, tol, steps = 0.1, 0.9, 1e-2, 300
    x, v, losses = 1.0, 0.0, [1.0]
    for _ in range(steps):
        v = beta * v + 2 * x
        x = x - lr * v
        losses.append(x * x)
    within = [loss <= tol for loss in losses]
    expected = next(k for k in range(steps + 1) if all(within[k:]))
    assert any(within[:expected - 1])  # an early dip that does not count
    assert all(abs(loss - tol) > 1e-9 for loss in losses)  # no ties to round either way
    run = mv.simulate(bowl, optimizer="momentum", lr=lr, beta=beta, start=(1.0, 0.0),
                      steps=steps)
    assert run.metrics(tol).steps_to_converge == expected


def test_steps_to_converge_by_gradient_without_a_known_minimum():
    """exp(x) + y² has no minimum: converged means |∇f| ≤ tol. sgd with lr 1 from (0, 0):
    x_{k+1} = x_k − exp(x_k), |∇f| = exp(x_k), decreasing."""
    surface = mv.surface_from_formula("exp(x) + y^2")
    assert surface.f_min is None
    tol, steps = 1e-2, 300
    xs = [0.0]
    for _ in range(steps):
        xs.append(xs[-1] - math.exp(xs[-1]))
    expected = next(k for k, x in enumerate(xs) if math.exp(x) <= tol)
    assert all(abs(math.exp(x) - tol) > 1e-9 for x in xs)
    run = mv.simulate(surface, optimizer="sgd", lr=1.0, start=(0.0, 0.0), steps=steps)
    np.testing.assert_allclose(run.path[:, 0], xs, rtol=1e-12)
    assert run.metrics(tol).steps_to_converge == expected
    assert run.metrics(tol).target is None and run.metrics(tol).overshoots is None


def test_diverged_runs_never_converged(bowl):
    run = sgd_bowl(bowl, 1.5, steps=30)
    m = run.metrics()
    assert m.diverged_at == run.diverged_at == 10
    assert m.steps_to_converge is None
    assert math.isnan(m.final_loss)


# -- overshoots ------------------------------------------------------------------------------------
def count_crossings(values, band):
    """Sign changes of a sequence, ignoring entries within ±band (the definition, by hand)."""
    signs = [1 if v > band else -1 for v in values if abs(v) > band]
    return sum(a != b for a, b in itertools.pairwise(signs))


def test_overshoots_when_every_step_flips_the_sign(bowl):
    """lr·2 = 1.5: x_{k+1} = x_k − 1.5x_k = −x_k/2, so x_k = (−1/2)^k. Outside the dead band
    (|x| > 0.006) for k = 0…7 (1/2⁷ = 0.0078, 1/2⁸ = 0.0039): 7 crossings; the farthest beyond
    the target after the first crossing is |x₁| = 0.5."""
    for surface in (bowl, mv.surface_from_formula("x^2 + 10y^2")):  # same domain width 6
        run = mv.simulate(surface, optimizer="sgd", lr=0.75, start=(1.0, 0.0), steps=40)
        m = run.metrics()
        assert m.target == pytest.approx((0.0, 0.0), abs=1e-12)
        assert m.overshoots == 7
        assert m.largest_overshoot == pytest.approx(0.5, rel=1e-12)


def test_no_overshoot_when_descent_is_monotone(bowl):
    m = sgd_bowl(bowl, 0.1, steps=100).metrics()
    assert m.overshoots == 0
    assert m.largest_overshoot == 0.0


def test_momentum_oscillation_is_counted_by_hand(bowl):
    lr, beta, steps = 0.05, 0.95, 200
    x, v, xs = 1.0, 0.0, [1.0]
    for _ in range(steps):
        v = beta * v + 2 * x
        x = x - lr * v
        xs.append(x)
    assert all(abs(abs(x) - BOWL_BAND) > 1e-9 for x in xs)
    expected = count_crossings(xs, BOWL_BAND)
    assert expected >= 5  # it really oscillates
    first = next(k for k in range(1, len(xs)) if xs[k] < -BOWL_BAND)
    largest = max(abs(x) for x in xs[first:])
    run = mv.simulate(bowl, optimizer="momentum", lr=lr, beta=beta, start=(1.0, 0.0),
                      steps=steps)
    m = run.metrics()
    assert m.overshoots == expected
    assert m.largest_overshoot == pytest.approx(largest, rel=1e-12)


def test_ravine_zigzag_counts_as_overshoots_across_the_valley():
    """The ravine's principal axes are the diagonals: along u = (x+y)/√2 the curvature is 1,
    across w = (x−y)/√2 it is 50. sgd with lr 0.035 scales u by 1 − 0.035 = 0.965 (no crossing)
    and w by 1 − 0.035·50 = −0.75 (a crossing every step while |w| > 0.006)."""
    ravine = mv.get_surface("ravine")
    start, lr, steps = (-2.5, -1.6), 0.035, 200
    w0 = (start[0] - start[1]) / math.sqrt(2)
    ws = [w0 * (-0.75) ** k for k in range(steps + 1)]
    assert all(abs(abs(w) - 0.006) > 1e-4 for w in ws)
    expected = count_crossings(ws, 0.006)
    assert expected == 16
    m = mv.simulate(ravine, optimizer="sgd", lr=lr, start=start, steps=steps).metrics()
    assert m.overshoots == expected
    assert m.largest_overshoot == pytest.approx(0.75 * abs(w0), rel=1e-9)


# -- distance, loss, target ------------------------------------------------------------------------
def test_path_length_of_straight_runs(bowl):
    # sgd on the bowl moves straight to the centre: θ_k = (1 − 2lr)^k θ₀, |θ₀| = 3
    start = (-1.8, 2.4)
    m = mv.simulate(bowl, optimizer="sgd", lr=0.1, start=start, steps=20).metrics()
    assert m.path_length == pytest.approx(3 * (1 - 0.8**20), rel=1e-12)
    # overshooting back and forth: each step is 1.5|θ_k| = 4.5·(1/2)^k long
    m = mv.simulate(bowl, optimizer="sgd", lr=0.75, start=start, steps=20).metrics()
    assert m.path_length == pytest.approx(9 * (1 - 0.5**20), rel=1e-12)
    # diverging: steps 3·2^k·|θ₀| up to the last finite position θ₁₀
    run = mv.simulate(bowl, optimizer="sgd", lr=1.5, start=(1.0, 0.5), steps=30)
    assert run.diverged_at == 10
    assert run.metrics().path_length == pytest.approx(3 * math.sqrt(1.25) * (2**10 - 1),
                                                      rel=1e-12)


def test_final_loss(bowl):
    run = sgd_bowl(bowl, 0.1, steps=20)
    assert run.metrics().final_loss == pytest.approx(0.8**40, rel=1e-12)
    assert run.metrics().final_loss == run.loss[-1]
    rosenbrock = mv.get_surface("rosenbrock")
    run = mv.simulate(rosenbrock, optimizer="momentum", lr=1e-3, beta=0.9, steps=50)
    x, y = run.path[-1]
    assert run.metrics().final_loss == pytest.approx((1 - x) ** 2 + 100 * (y - x**2) ** 2,
                                                     rel=1e-12)


def test_final_loss_is_nan_even_when_divergence_is_on_the_last_step():
    saddle = mv.get_surface("saddle")
    run = mv.simulate(saddle, optimizer="sgd", lr=0.05, steps=95)
    assert run.diverged_at == 95 and np.isfinite(run.loss[95])
    assert math.isnan(run.metrics().final_loss)


HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                     (3.584428, -1.848126)]


@pytest.mark.parametrize("start, index", [((3.3, 1.6), 0), ((-2.4, 2.7), 1), ((-3.3, -3.6), 2),
                                          ((3.9, -1.4), 3)])
def test_target_is_the_minimum_the_run_went_to(start, index):
    surface = mv.get_surface("himmelblau")
    run = mv.simulate(surface, optimizer="sgd", lr=0.005, start=start, steps=400)
    last = run.path[-1]
    nearest = min(HIMMELBLAU_MINIMA, key=lambda p: math.dist(p, last))
    assert nearest == HIMMELBLAU_MINIMA[index]
    m = run.metrics()
    assert m.target == pytest.approx(nearest, abs=1e-5)
    assert m.steps_to_converge is not None


def test_target_of_a_diverged_run_and_of_a_surface_without_minima(bowl):
    m = sgd_bowl(bowl, 1.5, steps=30).metrics()
    assert m.target == (0.0, 0.0)
    assert m.overshoots == 10  # x_k = (−2)^k: a crossing on each of the 10 finite steps
    saddle = mv.get_surface("saddle")
    m = mv.simulate(saddle, optimizer="sgd", lr=0.05, steps=50).metrics()
    assert m.target is None and m.overshoots is None and m.largest_overshoot is None


def test_metrics_fields_and_tolerance(bowl):
    run = sgd_bowl(bowl, 0.1, steps=100)
    assert run.metrics() is run.metrics()  # computed once
    assert run.metrics() == mv.run_metrics(run)
    assert run.metrics(1e-3).steps_to_converge == 16 != run.metrics().steps_to_converge
    assert isinstance(run.metrics(), mv.Metrics)
    assert mv.DEFAULT_TOL == 1e-6
    for tol in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError):
            run.metrics(tol)
