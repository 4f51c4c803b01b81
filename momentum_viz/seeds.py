"""Many seeds at once: one optimizer setting run under N noise or minibatch sequences in one
batch, and the spread of the results (median and percentiles over seeds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from momentum_viz.criteria import DEFAULT_TOL, not_converged_test, start_point
from momentum_viz.engine import Sampling, check_seeds, check_steps
from momentum_viz.simulate import Run, RunSpec, Setting, record, spec_lrs, split_setting
from momentum_viz.surface import Point, Surface

if TYPE_CHECKING:
    from typing_extensions import Unpack


@dataclass(frozen=True, eq=False)
class Seeds:
    """N runs of one setting, row i with seed ``seeds[i]`` (= ``seed + i``), each exactly the
    ``simulate`` run with that seed (``run(i)``).

    ``path`` (N, steps+1, 2), ``loss`` (N, steps+1), ``velocity`` and ``grad`` (N, steps+1, 2)
    as in ``Run`` (NaN after a run's divergence step); ``diverged_at`` (N,) that step, −1 where
    the run did not diverge; ``lrs`` (steps+1,) shared. In the summaries a diverged run's loss
    counts as +inf from its divergence step on (it is worse than any finite loss)."""

    surface: Surface
    spec: RunSpec
    start: Point
    steps: int
    noise: float
    batch_size: int | None
    seeds: np.ndarray
    path: np.ndarray
    loss: np.ndarray
    velocity: np.ndarray
    grad: np.ndarray
    diverged_at: np.ndarray
    lrs: np.ndarray

    def run(self, i: int) -> Run:
        """Row i as a Run, equal to ``simulate`` with seed ``seeds[i]``."""
        at = int(self.diverged_at[i])
        return Run(self.surface, self.spec, self.start, self.steps, self.noise,
                   int(self.seeds[i]), self.path[i].copy(), self.loss[i].copy(),
                   self.velocity[i].copy(), self.grad[i].copy(),
                   diverged_at=None if at < 0 else at, lrs=self.lrs.copy(),
                   batch_size=self.batch_size)

    def loss_quantile(self, q: float | np.ndarray) -> np.ndarray:
        """The q-quantile(s) (0 … 1) of the loss over seeds at each step, shape q's + (steps+1,);
        linear interpolation between order statistics, +inf where a diverged run reaches it."""
        return _quantile(self.loss, q)

    def median_loss(self) -> np.ndarray:
        """Median loss over seeds per step, (steps+1,)."""
        return self.loss_quantile(0.5)

    def loss_band(self, low: float = 0.1, high: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """The (low, high) quantiles of the loss per step: by default the 10–90 % band."""
        lo, hi = self.loss_quantile(np.array([low, high]))
        return lo, hi

    @property
    def final_loss_median(self) -> float:
        """Median over seeds of the last step's loss (+inf if most runs diverged)."""
        return self._final_quantile(0.5)

    @property
    def final_loss_p90(self) -> float:
        """90th percentile over seeds of the last step's loss."""
        return self._final_quantile(0.9)

    def _final_quantile(self, q: float) -> float:
        """``loss_quantile(q)`` at the last step alone."""
        return float(_quantile(self.loss[:, -1:], q)[0])

    def steps_to_converge(self, tol: float = DEFAULT_TOL) -> np.ndarray:
        """Per seed, ``Run.metrics(tol).steps_to_converge`` (−1 for None: diverged, or not
        within tolerance at the last step), (N,)."""
        outside = not_converged_test(self.surface, tol)(self.loss, self.grad.transpose(2, 0, 1))
        last = np.where(outside.any(axis=1),
                        outside.shape[1] - 1 - np.argmax(outside[:, ::-1], axis=1), -1)
        ok = (self.diverged_at < 0) & ~outside[:, -1]
        return np.where(ok, last + 1, -1)


def _quantile(loss: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """The q-quantile(s) over axis 0 of ``loss`` (seeds × steps), NaN (after a divergence)
    counting as +inf: numpy's default (linear) interpolation between the order statistics at
    q·(N − 1), except that a quantile that falls exactly on a finite order statistic is that
    number even when the next one is +inf (where ``np.quantile`` gives 0·inf = NaN)."""
    ordered = np.sort(np.where(np.isnan(loss), np.inf, loss), axis=0)
    at = np.asarray(q, np.float64) * (len(ordered) - 1)
    low, high = ordered[np.floor(at).astype(np.int64)], ordered[np.ceil(at).astype(np.int64)]
    part = (at - np.floor(at))[..., None]
    with np.errstate(invalid="ignore"):
        out = np.where(part == 0, low, low + part * (high - low))
    return np.where(np.isnan(out), np.inf, out)  # inf − inf: both order statistics diverged


def simulate_seeds(surface: Surface, *, seeds: int, **setting: Unpack[Setting]) -> Seeds:
    """Run one optimizer setting under ``seeds`` = N (1 … ``engine.MAX_SEEDS``, else ValueError)
    seeds ``seed, seed + 1, …, seed + N − 1`` as one batch: row i sees the Gaussian noise or
    minibatches of seed ``seed + i`` and equals ``simulate(..., seed=seed + i)``. Other
    arguments as for ``simulate``; without noise and minibatches every row is the same run."""
    spec, conditions = split_setting(setting)
    return simulate_seeds_many(surface, [spec], seeds=seeds, **conditions)[0]


def simulate_seeds_many(
    surface: Surface,
    specs: Sequence[RunSpec],
    *,
    seeds: int,
    start: Point | None = None,
    steps: int,
    noise: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
) -> list[Seeds]:
    """``simulate_seeds`` for several settings side by side, one ``Seeds`` per spec: the
    noise or minibatches are drawn once and all len(specs) × N runs go through one batch per
    update rule (as in ``simulate_many``); seed ``seed + i`` is row i of every result."""
    steps, n = check_steps(steps), check_seeds(seeds)
    start = start_point(surface, start)
    numbers = seed + np.arange(n)
    sampling = Sampling.of(surface, steps, numbers, noise, batch_size)
    if sampling is not None:  # column j·N + i: spec j under seed i
        sampling = sampling.picked(np.tile(np.arange(n), len(specs)))
    arrays, diverged_at, _ = record(surface, [s for s in specs for _ in range(n)], start,
                                    steps, sampling)
    path, loss, velocity, grad = (a.reshape(steps + 1, len(specs), n, *a.shape[2:])
                                  for a in arrays)
    at = diverged_at.reshape(len(specs), n)
    return [Seeds(
        surface=surface, spec=spec, start=start, steps=steps, noise=float(noise),
        batch_size=batch_size, seeds=numbers, path=path[:, j].transpose(1, 0, 2),
        loss=loss[:, j].T, velocity=velocity[:, j].transpose(1, 0, 2),
        grad=grad[:, j].transpose(1, 0, 2), diverged_at=at[j], lrs=spec_lrs(spec, steps),
    ) for j, spec in enumerate(specs)]
