"""The one simulation loop, batch-shaped: a single run and a 200×200 (lr, β) grid are the same code.

State is held as arrays of shape (2, n): row 0 is x, row 1 is y, and n counts trajectories.
The loop yields every step; ``simulate`` records the steps, ``sweep`` only tracks summaries.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from momentum_viz.optimizers import OPTIMIZERS, settings, update
from momentum_viz.surface import Surface

MAX_STEPS = 100_000


@dataclass(frozen=True)
class Batch:
    """Trajectories to run together: per trajectory, the settings of ``optimizers.update``
    (lr, β, dampening, Nesterov), each a 0-d array when all trajectories share it."""

    lr: np.ndarray
    beta: np.ndarray
    dampening: np.ndarray
    nesterov: np.ndarray

    @classmethod
    def of(cls, optimizers: Sequence[str], lr: ArrayLike, beta: ArrayLike) -> Batch:
        """One trajectory per entry of ``optimizers`` (a few runs side by side), with lr and β
        broadcast to them."""
        n = len(optimizers)
        lr = np.broadcast_to(np.asarray(lr, np.float64), (n,))
        beta = np.broadcast_to(np.asarray(beta, np.float64), (n,))
        check_parameters(optimizers, lr, beta)
        columns = zip(*(settings(o, b) for o, b in zip(optimizers, beta, strict=True)),
                      strict=True)
        beta, dampening, nesterov = (np.array(c) for c in columns)
        return cls(_compact(lr), _compact(beta.astype(np.float64)),
                   _compact(dampening.astype(np.float64)), _compact(nesterov))

    @classmethod
    def uniform(cls, optimizer: str, lr: np.ndarray, beta: np.ndarray) -> Batch:
        """Many trajectories of one optimizer (a sweep), built without a loop over them."""
        lr, beta = np.asarray(lr, np.float64), np.asarray(beta, np.float64)
        check_parameters([optimizer], lr, beta)
        beta, dampening, nesterov = settings(optimizer, beta)
        return cls(_compact(lr), _compact(np.asarray(beta, np.float64)),
                   _compact(np.asarray(dampening, np.float64)), np.asarray(nesterov))

    def columns(self, cols: slice) -> Batch:
        """The trajectories ``cols`` (a chunk of a sweep)."""
        return Batch(*(a if a.ndim == 0 else a[cols]
                       for a in (self.lr, self.beta, self.dampening, self.nesterov)))

    def arguments(self, shape: tuple[int, ...]) -> tuple:
        """``update``'s (lr, β, dampening, Nesterov) for a state of ``shape`` (2, n): values
        that differ between trajectories spread to that shape (a ufunc on equal shapes skips
        broadcasting), shared ones as 0-d arrays, and a shared dampening or Nesterov flag as a
        Python scalar, which ``update`` tests for free. The same numbers, the same arithmetic."""
        def spread(a: np.ndarray) -> np.ndarray:
            return a if a.ndim == 0 else np.ascontiguousarray(np.broadcast_to(a, shape))
        lr, beta, dampening, nesterov = (spread(a) for a in (self.lr, self.beta,
                                                             self.dampening, self.nesterov))
        return (lr, beta, dampening.item() if dampening.ndim == 0 else dampening,
                nesterov.item() if nesterov.ndim == 0 else nesterov)


def check_parameters(optimizers: Sequence[str], lr: np.ndarray, beta: np.ndarray) -> None:
    """Raise ValueError for an unknown optimizer, lr outside (0, ∞) or β outside [0, 1)."""
    unknown = sorted(set(optimizers) - set(OPTIMIZERS))
    if unknown:
        raise ValueError(f"unknown optimizer {unknown[0]!r}; choose from "
                         f"{', '.join(OPTIMIZERS)}")
    if not np.all(np.isfinite(lr) & (lr > 0)):
        raise ValueError("the learning rate must be a positive finite number")
    if not np.all((beta >= 0) & (beta < 1)):
        raise ValueError("β must be in [0, 1)")


def check_steps(steps: int) -> int:
    """``steps`` as an int, or ValueError: a whole number from 0 to MAX_STEPS."""
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
    v = np.zeros_like(theta)
    arguments = batch.arguments(theta.shape)
    for k in range(steps + 1):
        g = gradient()
        yield k, theta, v, g
        if k == steps:
            return
        if noise is not None:
            g = g + noise[k]
        step, v = update(g, v, *arguments)
        theta -= step


def _compact(values: np.ndarray) -> np.ndarray:
    """A 0-d array when all values are equal: the same arithmetic, less work (and ``update``
    skips a shared dampening of 0 or Nesterov flag of False)."""
    values = np.asarray(values)
    return np.array(values.flat[0]) if np.all(values == values.flat[0]) else values
