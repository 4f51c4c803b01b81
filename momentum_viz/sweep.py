"""(lr, β) sweeps: every cell of the grid is a trajectory of the same batch loop as ``simulate``,
judged by the same rules (``criteria``), so it equals the matching run's metrics exactly.

The grid runs in chunks of ``CHUNK`` cells, one chunk through every step before the next (the
cells are independent, so chunking changes no result). Nothing per step is kept: per cell the
loop tracks the last step that was outside tolerance, the extremes of the position and whether
every loss so far was finite (−inf too), which is all the convergence and divergence rules need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from momentum_viz import optimizers
from momentum_viz.criteria import DEFAULT_TOL, diverged, not_converged_test, start_point
from momentum_viz.engine import Batch, Sampling, check_steps, iterate
from momentum_viz.schedules import Schedule
from momentum_viz.surface import Point, Surface

CHUNK = 10_000
"""Cells per chunk: few enough that a chunk's ~20 working arrays (~3 MB) stay in cache."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a sweep: its indices (``Sweep`` arrays are indexed [row, col]), its (lr, β)
    and its steps to converge (−1 where it never converged). Read by name: not a tuple."""

    row: int
    col: int
    lr: float
    beta: float
    steps: int


@dataclass(frozen=True)
class Sweep:
    """Results over an (lr, β) grid; every array has shape (len(betas), len(lrs))."""

    surface: Surface
    optimizer: str
    lrs: np.ndarray
    betas: np.ndarray
    start: Point
    steps: int
    tol: float
    final_loss: np.ndarray
    diverged: np.ndarray
    steps_to_converge: np.ndarray
    """The same number as ``Run.metrics().steps_to_converge``; −1 where it never converged."""
    beta2: float | None = None
    eps: float | None = None
    schedule: Schedule | None = None

    def cell(self, row: int, col: int) -> Cell:
        """The cell at ``[row, col]``."""
        return Cell(int(row), int(col), float(self.lrs[col]), float(self.betas[row]),
                    int(self.steps_to_converge[row, col]))

    def best(self) -> Cell | None:
        """The fastest converging cell (ties: lowest final loss, then the first in row-major
        order), or None if no cell converged."""
        ok = self.steps_to_converge >= 0
        if not ok.any():
            return None
        key = np.where(ok, self.steps_to_converge, np.iinfo(np.int64).max)
        rows, cols = np.nonzero(key == key.min())
        pick = np.argmin(np.nan_to_num(self.final_loss[rows, cols], nan=np.inf))
        return self.cell(rows[pick], cols[pick])


def sweep(
    surface: Surface,
    *,
    optimizer: str,
    lrs,
    betas,
    start: Point | None = None,
    steps: int,
    tol: float = DEFAULT_TOL,
    noise: float = 0.0,
    seed: int = 0,
    beta2: float | None = None,
    eps: float | None = None,
    schedule: Schedule | None = None,
    batch_size: int | None = None,
) -> Sweep:
    """Run ``optimizer`` for every (lr, β) pair of the grid as one vectorized batch.

    β is the optimizer's β: the momentum of the momentum family and of RMSprop, β₁ for Adam.
    ``beta2``, ``eps`` (None: the optimizer's defaults) and ``schedule`` are shared by every
    cell. An optimizer without β (sgd, adagrad) runs the lrs once and repeats that row for
    every β, which it ignores. Noise and minibatches (``batch_size``, see ``simulate``) come
    from ``seed``: every cell sees the same sequence, the one the matching run sees."""
    steps = check_steps(steps)
    lrs, betas = np.asarray(lrs, np.float64).ravel(), np.asarray(betas, np.float64).ravel()
    start = start_point(surface, start)
    entry = optimizers.get(optimizer)
    shape = (len(betas), len(lrs))
    rows = shape[0] if entry.uses_beta else min(shape[0], 1)
    n = rows * shape[1]
    batch = Batch.uniform(optimizer, np.tile(lrs, rows), np.repeat(betas[:rows], shape[1]),
                          beta2, eps, schedule)
    beta2 = entry.defaults().get("beta2") if beta2 is None else beta2
    eps = entry.defaults().get("eps") if eps is None else eps
    sampling = Sampling.of(surface, steps, np.array([seed]), noise, batch_size)
    chunks = [slice(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK)]

    def track(cols: slice) -> tuple[np.ndarray, ...]:
        return _track(surface, batch.columns(cols), cols.stop - cols.start, start, steps,
                      sampling, tol)

    parts = [track(cols) for cols in chunks]
    final_loss, last_outside, diverged = (
        np.tile(np.concatenate(p), shape[0] // rows if rows else 1)
        for p in zip(*parts, strict=True))
    converged = ~diverged & (last_outside < steps)
    return Sweep(
        surface=surface, optimizer=optimizer, lrs=lrs, betas=betas, start=start, steps=steps,
        tol=tol,
        final_loss=np.where(diverged, np.nan, final_loss).reshape(shape),
        diverged=diverged.reshape(shape),
        steps_to_converge=np.where(converged, last_outside + 1, -1).reshape(shape),
        beta2=beta2 if entry.parameter("beta2") else None,
        eps=eps if entry.parameter("eps") else None, schedule=schedule,
    )


def _track(surface: Surface, batch: Batch, n: int, start: Point, steps: int,
           sampling: Sampling | None, tol: float) -> tuple[np.ndarray, ...]:
    """Run one chunk of n cells; return its final loss, last step outside tolerance and
    divergence flag per cell."""
    outside = not_converged_test(surface, tol)
    theta0 = np.repeat(np.array(start, np.float64)[:, None], n, axis=1)
    last_outside = np.full(n, -1, dtype=np.int64)
    high, low = theta0.copy(), theta0.copy()
    finite_loss = np.ones(n, dtype=bool)
    value = None
    with np.errstate(all="ignore"):
        # with a known minimum the tolerance test reads f only: minibatch steps skip the
        # exact gradient
        for k, theta, _, g in iterate(surface, batch, theta0, steps, sampling,
                                      exact=surface.f_min is None):
            value = value or surface.bind_value(theta)
            f = value()
            np.copyto(last_outside, k, where=outside(f, g))
            finite_loss &= np.isfinite(f)
            np.maximum(high, theta, out=high)
            np.minimum(low, theta, out=low)
    return f.copy(), last_outside, diverged(surface, high, low, finite_loss)
