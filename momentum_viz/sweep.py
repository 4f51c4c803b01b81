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
from momentum_viz.engine import Batch, Sampling, check_seeds, check_steps, iterate
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
    """Results over an (lr, β) grid; every array has shape (len(betas), len(lrs)). With
    ``seeds`` = N > 1 each cell is the median over its N runs (seeds ``seed … seed + N − 1``),
    a diverged run counting as worse than any other: ``final_loss`` the median final loss
    (NaN where it is a diverged run's), ``diverged`` where it is, ``steps_to_converge`` the
    median steps to converge, rounded up (−1 where at least half the runs never converged)."""

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
    seeds: int = 1

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
    seeds: int = 1,
) -> Sweep:
    """Run ``optimizer`` for every (lr, β) pair of the grid as one vectorized batch.

    β is the optimizer's β: the momentum of the momentum family and of RMSprop, β₁ for Adam.
    ``beta2``, ``eps`` (None: the optimizer's defaults) and ``schedule`` are shared by every
    cell. An optimizer without β (sgd, adagrad) runs the lrs once and repeats that row for
    every β, which it ignores. Noise and minibatches (``batch_size``, see ``simulate``) come
    from ``seed``: every cell sees the same sequence, the one the matching run sees. With
    ``seeds`` = N (1 … ``engine.MAX_SEEDS``) every cell runs N times, run i with seed
    ``seed + i`` (as ``simulate_seeds``), all in the same batch, and keeps the medians (see
    ``Sweep``); without noise or minibatches every seed makes the same run, which runs once."""
    steps, per_cell = check_steps(steps), check_seeds(seeds)
    lrs, betas = np.asarray(lrs, np.float64).ravel(), np.asarray(betas, np.float64).ravel()
    start = start_point(surface, start)
    entry = optimizers.get(optimizer)
    shape = (len(betas), len(lrs))
    rows = shape[0] if entry.uses_beta else min(shape[0], 1)
    sampling = Sampling.of(surface, steps, seed + np.arange(per_cell), noise, batch_size)
    if sampling is None:  # every seed would make the same run
        per_cell = 1
    n = rows * shape[1] * per_cell  # trajectory t: cell t // per_cell, seed t % per_cell
    batch = Batch.uniform(optimizer, np.repeat(np.tile(lrs, rows), per_cell),
                          np.repeat(betas[:rows], shape[1] * per_cell), beta2, eps, schedule)
    beta2 = entry.defaults().get("beta2") if beta2 is None else beta2
    eps = entry.defaults().get("eps") if eps is None else eps
    chunks = [slice(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK)]
    seed_of = np.tile(np.arange(per_cell), n // per_cell)

    def track(cols: slice) -> tuple[np.ndarray, ...]:
        seen = sampling.picked(seed_of[cols]) if per_cell > 1 else sampling
        return _track(surface, batch.columns(cols), cols.stop - cols.start, start, steps,
                      seen, tol)

    final_loss, last_outside, diverged = (np.concatenate(p) for p in zip(
        *(track(cols) for cols in chunks), strict=True))
    final_loss, steps_to_converge, diverged = (
        np.tile(a, shape[0] // rows if rows else 1) for a in
        _medians(final_loss, last_outside, diverged, steps, per_cell))
    return Sweep(
        surface=surface, optimizer=optimizer, lrs=lrs, betas=betas, start=start, steps=steps,
        tol=tol,
        final_loss=final_loss.reshape(shape), diverged=diverged.reshape(shape),
        steps_to_converge=steps_to_converge.reshape(shape),
        beta2=beta2 if entry.parameter("beta2") else None,
        eps=eps if entry.parameter("eps") else None, schedule=schedule, seeds=per_cell,
    )


def _medians(final_loss: np.ndarray, last_outside: np.ndarray, diverged: np.ndarray,
             steps: int, per_cell: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell, from its ``per_cell`` consecutive trajectories: the median final loss (NaN
    where that is a diverged run's), the median steps to converge rounded up (−1 where that is
    a run that never converged) and whether the median run diverged. A diverged run's loss
    and a never-converged run's steps count as +inf; with one run per cell these are its
    own numbers."""
    converged = ~diverged & (last_outside < steps)
    loss = np.where(diverged, np.inf, final_loss).reshape(-1, per_cell)
    taken = np.where(converged, last_outside + 1.0, np.inf).reshape(-1, per_cell)
    with np.errstate(invalid="ignore"):
        loss, taken = np.median(loss, axis=1), np.median(taken, axis=1)
    worst = np.isinf(loss) & (loss > 0)
    return (np.where(worst, np.nan, loss),
            np.where(np.isfinite(taken), np.ceil(taken), -1).astype(np.int64), worst)


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
