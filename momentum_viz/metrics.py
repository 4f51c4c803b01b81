"""What a run did, in numbers: convergence, overshoot, divergence, distance travelled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from momentum_viz.criteria import DEFAULT_TOL, not_converged_test
from momentum_viz.surface import Point, Surface

OVERSHOOT_DEADBAND = 1e-3
"""Crossings smaller than this fraction of the domain's width are not counted as overshoots."""


class Trajectory(Protocol):
    """What the metrics read from a run (``simulate.Run`` is one): row k is step k."""

    surface: Surface
    path: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    diverged_at: int | None


@dataclass(frozen=True)
class Metrics:
    """Summary of one run. ``None`` means "not applicable" (e.g. never converged)."""

    steps_to_converge: int | None
    overshoots: int | None
    largest_overshoot: float | None
    final_loss: float
    path_length: float
    diverged_at: int | None
    target: Point | None


@dataclass(frozen=True)
class Convergence:
    """Whether and when a run converged or diverged: two of ``Metrics``' fields, alone."""

    steps_to_converge: int | None
    diverged_at: int | None


def convergence(run: Trajectory, tol: float = DEFAULT_TOL) -> Convergence:
    """``run_metrics(run, tol)``'s steps_to_converge and diverged_at, without the other
    metrics' work (overshoots along the Hessian's axes, path length): all that a sentence on
    how the run ended needs, for many runs at once."""
    outside = not_converged_test(run.surface, tol)(run.loss, run.grad.T)
    return Convergence(_steps_to_converge(outside, run.diverged_at), run.diverged_at)


def run_metrics(run: Trajectory, tol: float = DEFAULT_TOL) -> Metrics:
    """Metrics of ``run``:

    - steps_to_converge: the first step k from which every later step is within tolerance of the
      minimum (see ``not_converged_test``) through the last step; None if the last step is not,
      or if the run diverged.
    - target: the known minimum nearest the run's last finite position.
    - overshoots: how often the run crossed the target along the principal axes of the surface
      there (eigenvectors of the Hessian at the target): sign changes of each component of
      θ_k − target, counted with a dead band of 0.1% of the domain width, summed over both axes.
      A ravine's zig-zag counts as overshoots across the valley.
    - largest_overshoot: the largest distance beyond the target along one principal axis after
      the first crossing on that axis (0 if it never crossed).
    - final_loss: f at the last step (NaN if diverged). path_length: sum of step lengths up to
      the last finite position. diverged_at: as in ``Run``.
    """
    finite = run.path[np.all(np.isfinite(run.path), axis=1)]
    stc = convergence(run, tol).steps_to_converge
    target = run.surface.nearest_minimum(tuple(finite[-1])) if len(finite) else None
    overshoots = largest = None
    if target is not None:
        overshoots, largest = _overshoots(run.surface, finite, target)
    return Metrics(
        steps_to_converge=stc,
        overshoots=overshoots,
        largest_overshoot=largest,
        final_loss=float("nan") if run.diverged_at is not None else float(run.loss[-1]),
        path_length=float(np.sum(np.hypot(*np.diff(finite, axis=0).T))),
        diverged_at=run.diverged_at,
        target=target,
    )


def _steps_to_converge(outside: np.ndarray, diverged_at: int | None) -> int | None:
    if diverged_at is not None or outside[-1]:
        return None
    hits = np.flatnonzero(outside)
    return int(hits[-1]) + 1 if len(hits) else 0


def _overshoots(surface: Surface, path: np.ndarray, target: Point) -> tuple[int, float]:
    hxx, hxy, hyy = (float(h) for h in surface.hessian(*target))
    _, axes = np.linalg.eigh(np.array([[hxx, hxy], [hxy, hyy]]))
    components = (path - np.asarray(target)) @ axes  # (steps, 2) along the principal axes
    (x0, x1), (y0, y1) = surface.domain
    band = OVERSHOOT_DEADBAND * max(x1 - x0, y1 - y0)
    count, largest = 0, 0.0
    for c in components.T:
        side = np.sign(c) * (np.abs(c) > band)
        steps = np.flatnonzero(side)
        sides = side[steps]
        crossings = np.flatnonzero(sides[1:] != sides[:-1])
        count += len(crossings)
        if len(crossings):
            largest = max(largest, float(np.max(np.abs(c[steps[crossings[0] + 1]:]))))
    return count, largest
