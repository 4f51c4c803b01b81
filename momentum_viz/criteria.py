"""When a run starts, has converged and has diverged: the rules ``simulate``, ``sweep`` and
``metrics`` share, so a sweep cell and the matching run always agree."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from momentum_viz.surface import Point, Surface

DEFAULT_TOL = 1e-6


def start_point(surface: Surface, start: Point | None) -> Point:
    """``start`` as two floats (the surface's own start when None); ValueError unless finite."""
    point = surface.start if start is None else (float(start[0]), float(start[1]))
    if not np.all(np.isfinite(point)):
        raise ValueError("the start point must be finite")
    return point


def not_converged_test(surface: Surface, tol: float = DEFAULT_TOL) -> Callable:
    """``outside(f, g) -> bool array``, True where a point is not yet within tolerance.

    With a known minimum value f*: outside ⇔ f − f* > tol. Without one (a typed formula with no
    minimum found): outside ⇔ |∇f|² > tol². NaN counts as inside here; divergence
    (``diverged``) is judged separately and overrides it."""
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError("tol must be a positive number")
    if surface.f_min is not None:
        threshold = surface.f_min + tol
        return lambda f, g: f > threshold
    tol2 = tol * tol
    return lambda f, g: g[0] * g[0] + g[1] * g[1] > tol2


def diverged(surface: Surface, high: np.ndarray, low: np.ndarray,
             finite_loss: np.ndarray) -> np.ndarray:
    """True where a trajectory has diverged: a coordinate is non-finite or beyond the escape
    square (``Surface.escape_radius`` around ``Surface.center``), or its loss is not finite.

    ``high`` and ``low`` (..., 2, n) are the largest and smallest position reached per
    coordinate (for a single position, that position twice); ``finite_loss`` (..., n) whether
    every loss so far was finite. Returns (..., n)."""
    center, radius = np.array(surface.center)[:, None], surface.escape_radius
    with np.errstate(invalid="ignore"):
        inside = (high - center <= radius) & (center - low <= radius)
    return ~(np.all(inside, axis=-2) & finite_loss)
