"""Single runs: the full trajectory of each optimizer, recorded step by step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from momentum_viz.criteria import DEFAULT_TOL, diverged, start_point
from momentum_viz.engine import Batch, check_steps, gradient_noise, iterate
from momentum_viz.metrics import Metrics, run_metrics
from momentum_viz.optimizers import DISPLAY_NAMES
from momentum_viz.surface import Point, Surface


@dataclass(frozen=True)
class RunSpec:
    """One optimizer setting to run: name, learning rate and β."""

    optimizer: str
    lr: float
    beta: float = 0.9

    @property
    def label(self) -> str:
        """Display name, e.g. "SGD" or "Momentum β=0.9"."""
        name = DISPLAY_NAMES.get(self.optimizer, self.optimizer)
        return name if self.optimizer == "sgd" else f"{name} β={self.beta:g}"


@dataclass(frozen=True, eq=False)
class Run:
    """A recorded trajectory. Row k of each array is step k (row 0 is the start).

    ``path`` (steps+1, 2) positions; ``loss`` (steps+1,) f at each position; ``velocity``
    (steps+1, 2) the velocity that carried the run to that position (v₀ = 0; for sgd the
    gradient it followed); ``grad`` (steps+1, 2) the exact gradient at that position (without
    noise). ``diverged_at`` is the first step whose position or loss is non-finite or outside the
    escape square (``Surface.escape_radius``); every row after it is NaN, never clipped.
    """

    surface: Surface
    spec: RunSpec
    start: Point
    steps: int
    noise: float
    seed: int
    path: np.ndarray
    loss: np.ndarray
    velocity: np.ndarray
    grad: np.ndarray
    diverged_at: int | None

    optimizer = property(lambda self: self.spec.optimizer)
    lr = property(lambda self: self.spec.lr)
    beta = property(lambda self: self.spec.beta)
    label = property(lambda self: self.spec.label)

    def metrics(self, tol: float = DEFAULT_TOL) -> Metrics:
        """See ``momentum_viz.metrics.run_metrics`` for the definitions."""
        return run_metrics(self, tol) if tol != DEFAULT_TOL else self._default_metrics

    @cached_property
    def _default_metrics(self) -> Metrics:
        return run_metrics(self)


def simulate(
    surface: Surface,
    *,
    optimizer: str,
    lr: float,
    beta: float = 0.9,
    start: Point | None = None,
    steps: int,
    noise: float = 0.0,
    seed: int = 0,
) -> Run:
    """Run one optimizer on ``surface`` from ``start`` (default: the surface's) for ``steps``."""
    spec = RunSpec(optimizer, lr, beta)
    return simulate_many(surface, [spec], start=start, steps=steps, noise=noise, seed=seed)[0]


def simulate_many(
    surface: Surface,
    specs: Sequence[RunSpec],
    *,
    start: Point | None = None,
    steps: int,
    noise: float = 0.0,
    seed: int = 0,
) -> list[Run]:
    """Run several optimizer settings side by side in one batch, all from the same start and
    seeing the same gradient noise."""
    steps = check_steps(steps)
    start = start_point(surface, start)
    batch = Batch.of([s.optimizer for s in specs], [s.lr for s in specs], [s.beta for s in specs])
    n = len(specs)
    theta0 = np.repeat(np.array(start, np.float64)[:, None], n, axis=1)
    positions = np.empty((steps + 1, 2, n))
    velocities = np.empty((steps + 1, 2, n))
    with np.errstate(all="ignore"):
        for k, theta, v, _ in iterate(
            surface, batch, theta0, steps, gradient_noise(noise, steps, seed)
        ):
            positions[k], velocities[k] = theta, v
        # f and ∇f of every visited point at once: the same compiled code as in the loop,
        # so these are the values the optimizer used (before noise), to the bit.
        flat = positions.transpose(1, 0, 2).reshape(2, -1)
        losses = surface.bind_value(flat)().reshape(steps + 1, n)
        grads = surface.bind_gradient(flat)().reshape(2, steps + 1, n).transpose(1, 0, 2)
    bad = diverged(surface, positions, positions, np.isfinite(losses))  # (steps+1, n)
    runs = []
    for j, spec in enumerate(specs):
        rows = np.flatnonzero(bad[:, j])
        diverged_at = int(rows[0]) if len(rows) else None
        arrays = [positions[:, :, j].copy(), losses[:, j].copy(),
                  velocities[:, :, j].copy(), grads[:, :, j].copy()]
        if diverged_at is not None:
            for a in arrays:
                a[diverged_at + 1:] = np.nan
        runs.append(Run(surface, spec, start, steps, float(noise), int(seed), *arrays,
                        diverged_at=diverged_at))
    return runs

