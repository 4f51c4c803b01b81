"""The shared rules: where a run starts, and when it has diverged, on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz.criteria import diverged, not_converged_test, start_point

INF, NAN = float("inf"), float("nan")


@pytest.fixture(scope="module")
def bowl():
    """Domain ±3 around (0, 0): the escape square is |x|, |y| ≤ 100 · 6 = 600."""
    surface = mv.get_surface("bowl")
    assert surface.center == (0.0, 0.0) and surface.escape_radius == 600.0
    return surface


def test_start_point(bowl):
    assert start_point(bowl, None) == bowl.start == (-2.5, 2.0)
    point = start_point(bowl, (1, np.float32(2.5)))
    assert point == (1.0, 2.5) and all(type(c) is float for c in point)
    for bad in ((NAN, 0.0), (0.0, INF), (-INF, 1.0)):
        with pytest.raises(ValueError, match="start point must be finite"):
            start_point(bowl, bad)


def test_simulate_and_sweep_refuse_the_same_starts(bowl):
    for call in (lambda s: mv.simulate(bowl, optimizer="sgd", lr=0.1, start=s, steps=3),
                 lambda s: mv.sweep(bowl, optimizer="sgd", lrs=[0.1], betas=[0.0], start=s,
                                    steps=3)):
        with pytest.raises(ValueError, match="start point must be finite"):
            call((NAN, 1.0))


def test_one_position_per_trajectory(bowl):
    """(2, n) positions, each its own high and low: inside up to the edge of the square."""
    x = np.array([0.0, 600.0, -600.0, 600.5, 1.0, 1.0, 1.0, 1.0, INF, NAN])
    y = np.array([0.0, -600.0, 600.0, 0.0, -600.5, 1.0, 1.0, 1.0, 0.0, 0.0])
    f = np.array([0.0, 1.0, 1.0, 1.0, 1.0, INF, -INF, NAN, 1.0, 1.0])
    theta = np.stack([x, y])
    expected = [False, False, False, True, True, True, True, True, True, True]
    assert diverged(bowl, theta, theta, np.isfinite(f)).tolist() == expected


def test_extremes_over_steps(bowl):
    """A sweep's view: the largest and smallest coordinate reached, and whether every loss was
    finite. One excursion beyond the square on either side, on either axis, is divergence."""
    high = np.array([[10.0, 601.0, 10.0, 10.0, 10.0],
                     [10.0, 10.0, 10.0, 10.0, NAN]])
    low = np.array([[-10.0, -10.0, -601.0, -10.0, -10.0],
                    [-10.0, -10.0, -10.0, -10.0, -10.0]])
    finite = np.array([True, True, True, False, True])
    assert diverged(bowl, high, low, finite).tolist() == [False, True, True, True, True]


def test_rows_of_a_recorded_run(bowl):
    """simulate's view: (steps+1, 2, n) positions and (steps+1, n) losses give one flag per
    step and run; the first flagged row is where the run diverged."""
    positions = np.zeros((4, 2, 2))
    positions[2, 0, 1] = 700.0
    positions[3, :, 1] = NAN
    losses = np.zeros((4, 2))
    losses[3, 0] = INF
    flags = diverged(bowl, positions, positions, np.isfinite(losses))
    assert flags.shape == (4, 2)
    assert flags.tolist() == [[False, False], [False, False], [False, True], [True, True]]


def test_the_square_is_around_the_domain_centre():
    """An off-centre domain: the square is centred on the domain, not on the origin."""
    surface = mv.get_surface("rosenbrock")  # x ∈ [−2, 2], y ∈ [−1, 3]: centre (0, 1), 400
    assert surface.center == (0.0, 1.0) and surface.escape_radius == 400.0
    theta = np.array([[0.0, 0.0, 0.0], [401.0, 402.0, -399.0]])
    assert diverged(surface, theta, theta, np.ones(3, bool)).tolist() == [False, True, False]


def test_not_converged_test_by_hand(bowl):
    outside = not_converged_test(bowl, 1e-3)  # f* = 0
    f = np.array([0.0, 1e-3, 2e-3, NAN])
    assert outside(f, None).tolist() == [False, False, True, False]
    plane = mv.surface_from_formula("exp(x) + y^2")  # no minimum: |∇f|² against tol²
    assert plane.f_min is None
    g = np.array([[3e-3, 1e-3, 0.0], [4e-3, 0.0, NAN]])
    assert not_converged_test(plane, 1e-3)(None, g).tolist() == [True, False, False]
    for tol in (0.0, -1.0, NAN, INF):
        with pytest.raises(ValueError):
            not_converged_test(bowl, tol)
