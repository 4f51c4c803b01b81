"""The update rule: one tiny pure function on arrays of any shape, and the four optimizers as
settings of it.

``update`` maps (g, v, lr, β, dampening, nesterov) to (step, v'), and the caller moves
θ ← θ − step. Here g is the gradient at θ and v the velocity (v₀ = 0); every parameter
broadcasts against g, so one call updates a single run, several different optimizers side by
side, or a whole (lr, β) grid. The arithmetic is written in the order of the reference
implementations so that trajectories agree to the last bit (without fused multiply-add).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

Step = tuple[np.ndarray, np.ndarray]
"""What a rule returns: the step (θ ← θ − step) and the new velocity."""
Rule = Callable[..., Step]


def update(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike,
           dampening: ArrayLike = 0.0,
           nesterov: ArrayLike = False) -> Step:
    """The momentum family as torch.optim.SGD writes it (optax's ``trace`` is the same idea):

        v ← βv + (1 − dampening)·g;   step = lr·(g + βv) with Nesterov, lr·v without.

    ``dampening`` and ``nesterov`` may be per-element arrays (different optimizers in one
    batch); a Python 0 or False skips their work (any other form of them computes the same
    numbers, only slower)."""
    pushed = g if isinstance(dampening, int | float) and dampening == 0 else (1 - dampening) * g
    v = beta * v + pushed
    if isinstance(nesterov, bool):
        ahead = g + beta * v if nesterov else v
    else:
        ahead = np.where(nesterov, g + beta * v, v)
    return lr * ahead, v


def settings(optimizer: str, beta: ArrayLike) -> tuple[ArrayLike, ArrayLike, bool]:
    """(β, dampening, nesterov) of ``update`` for an optimizer at momentum coefficient β."""
    if optimizer == "sgd":
        return 0.0, 0.0, False
    if optimizer == "ema":
        return beta, beta, False
    return beta, 0.0, optimizer == "nesterov"


def sgd(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike) -> Step:
    """Plain gradient descent, torch.optim.SGD(momentum=0): θ ← θ − lr·g.

    β plays no part; the velocity is the gradient itself (momentum with β = 0)."""
    return update(g, v, lr, *settings("sgd", beta))


def momentum(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike) -> Step:
    """Polyak's heavy ball, torch.optim.SGD(momentum=β) and Distill's z/w form:
    v ← βv + g;  θ ← θ − lr·v. Under a constant gradient the step tends to lr·g/(1−β)."""
    return update(g, v, lr, *settings("momentum", beta))


def nesterov(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike) -> Step:
    """Nesterov momentum as torch.optim.SGD(momentum=β, nesterov=True):
    v ← βv + g;  θ ← θ − lr·(g + βv)."""
    return update(g, v, lr, *settings("nesterov", beta))


def ema(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike) -> Step:
    """The exponential-moving-average form of the seed text: v ← βv + (1−β)g;  θ ← θ − lr·v.

    v is (1−β) times the heavy ball's velocity, so ema with lr is momentum with lr·(1−β)."""
    return update(g, v, lr, *settings("ema", beta))


RULES: dict[str, Rule] = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "ema": ema}
OPTIMIZERS: tuple[str, ...] = tuple(RULES)
DISPLAY_NAMES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "ema": "EMA"}


def effective_lr(optimizer: str, lr: float, beta: float) -> float:
    """The step per unit gradient once a constant gradient has built up the velocity:
    lr for sgd and ema, lr/(1−β) for momentum and nesterov (the "terminal velocity")."""
    return lr if optimizer in ("sgd", "ema") else lr / (1 - beta)
