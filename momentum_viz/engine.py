"""The one simulation loop, batch-shaped: a single run and a 200×200 (lr, β) grid are the same code.

State is held as arrays of shape (2, n): row 0 is x, row 1 is y, and n counts trajectories.
The loop yields every step; ``simulate`` records the steps, ``sweep`` only tracks summaries.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from momentum_viz.optimizers import RULES
from momentum_viz.surface import Surface

MAX_STEPS = 100_000


@dataclass(frozen=True)
class Batch:
    """Trajectories to run together: ``groups`` of consecutive columns share an optimizer."""

    groups: tuple[tuple[str, slice], ...]
    lr: np.ndarray
    beta: np.ndarray

    @classmethod
    def of(cls, optimizers: Sequence[str], lr, beta) -> Batch:
        """One trajectory per entry of ``optimizers``, with lr and β broadcast to them."""
        n = len(optimizers)
        lr = np.broadcast_to(np.asarray(lr, np.float64), (n,)).copy()
        beta = np.broadcast_to(np.asarray(beta, np.float64), (n,)).copy()
        check_parameters(optimizers, lr, beta)
        starts = [i for i in range(n) if i == 0 or optimizers[i] != optimizers[i - 1]]
        ends = [*starts[1:], n]
        return cls(tuple((optimizers[a], slice(a, b)) for a, b in zip(starts, ends, strict=True)),
                   lr, beta)

    @classmethod
    def uniform(cls, optimizer: str, lr: np.ndarray, beta: np.ndarray) -> Batch:
        """Every trajectory with the same optimizer (a sweep)."""
        lr, beta = np.asarray(lr, np.float64), np.asarray(beta, np.float64)
        check_parameters([optimizer], lr, beta)
        return cls(((optimizer, slice(0, len(lr))),), lr, beta)

    def columns(self, cols: slice) -> Batch:
        """The sub-batch of columns ``cols`` of a uniform batch (a chunk of a sweep)."""
        (name, _), = self.groups
        lr, beta = self.lr[cols], self.beta[cols]
        return Batch(((name, slice(0, len(lr))),), lr, beta)


def check_parameters(optimizers: Sequence[str], lr: np.ndarray, beta: np.ndarray) -> None:
    """Raise ValueError for an unknown optimizer, lr outside (0, ∞) or β outside [0, 1)."""
    unknown = sorted(set(optimizers) - set(RULES))
    if unknown:
        raise ValueError(f"unknown optimizer {unknown[0]!r}; choose from {', '.join(RULES)}")
    if not np.all(np.isfinite(lr) & (lr > 0)):
        raise ValueError("the learning rate must be a positive finite number")
    if not np.all((beta >= 0) & (beta < 1)):
        raise ValueError("β must be in [0, 1)")


def check_steps(steps: int) -> int:
    if isinstance(steps, bool) or int(steps) != steps or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 0 to {MAX_STEPS}")
    return int(steps)


def gradient_noise(noise: float, steps: int, seed: int) -> np.ndarray | None:
    """The noise added to the gradient at steps 0..steps, shape (steps+1, 2, 1), or None.

    Drawn from one seeded generator, so every optimizer sees the same sequence."""
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError("noise must be a finite number ≥ 0")
    if noise == 0:
        return None
    rng = np.random.default_rng(seed)
    return (noise * rng.standard_normal((steps + 1, 2)))[:, :, None]


def iterate(
    surface: Surface, batch: Batch, start: np.ndarray, steps: int,
    noise: np.ndarray | None = None,
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Run the batch for ``steps`` steps from ``start`` (2, n).

    Yields (k, θ_k, v_k, ∇f(θ_k)) for k = 0..steps, where v_k is the velocity that carried the
    run to θ_k (v_0 = 0) and ∇f is exact (the optimizer also sees ``noise[k]``). θ is updated
    in place and the yielded arrays are reused: copy what you keep. The caller owns
    ``np.errstate``; diverged entries simply become inf or NaN and stay so.
    """
    theta = start.copy()
    gradient = surface.bind_gradient(theta)
    groups = [(RULES[name], theta[:, c], _compact(batch.lr[c]), _compact(batch.beta[c]), c)
              for name, c in batch.groups]
    velocities = [np.zeros_like(position) for _, position, *_ in groups]
    for k in range(steps + 1):
        g = gradient()
        v = velocities[0] if len(groups) == 1 else np.concatenate(velocities, axis=1)
        yield k, theta, v, g
        if k == steps:
            return
        if noise is not None:
            g = g + noise[k]
        for i, (rule, position, lr, beta, cols) in enumerate(groups):
            step, velocities[i] = rule(g[:, cols], velocities[i], lr, beta)
            position -= step


def _compact(values: np.ndarray) -> np.ndarray:
    """A 0-d array when all values are equal: the same arithmetic, less broadcasting overhead."""
    return np.array(values[0]) if np.all(values == values[0]) else values
