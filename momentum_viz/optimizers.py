"""The update rules: tiny pure functions on arrays of any shape.

Each rule maps (g, v, lr, β) to (step, v'), and the caller moves θ ← θ − step. Here g is the
gradient at θ, v the velocity (v₀ = 0), and lr, β broadcast against g, so one call updates a
single run or a whole (lr, β) grid at once. The arithmetic is written in the order of the
reference implementations so that trajectories agree to the last bit (without fused multiply-add).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Rule = Callable[..., tuple[np.ndarray, np.ndarray]]


def sgd(g: np.ndarray, v: np.ndarray, lr, beta) -> tuple[np.ndarray, np.ndarray]:
    """Plain gradient descent, torch.optim.SGD(momentum=0): θ ← θ − lr·g.

    β plays no part; the velocity reported is the gradient itself (momentum with β = 0),
    as a copy: the simulation loop reuses g's buffer for the next gradient."""
    return lr * g, np.copy(g)


def momentum(g: np.ndarray, v: np.ndarray, lr, beta) -> tuple[np.ndarray, np.ndarray]:
    """Polyak's heavy ball, torch.optim.SGD(momentum=β) and Distill's z/w form:
    v ← βv + g;  θ ← θ − lr·v. Under a constant gradient the step tends to lr·g/(1−β)."""
    v = beta * v + g
    return lr * v, v


def nesterov(g: np.ndarray, v: np.ndarray, lr, beta) -> tuple[np.ndarray, np.ndarray]:
    """Nesterov momentum as torch.optim.SGD(momentum=β, nesterov=True):
    v ← βv + g;  θ ← θ − lr·(g + βv)."""
    v = beta * v + g
    return lr * (g + beta * v), v


def ema(g: np.ndarray, v: np.ndarray, lr, beta) -> tuple[np.ndarray, np.ndarray]:
    """The exponential-moving-average form of the seed text: v ← βv + (1−β)g;  θ ← θ − lr·v.

    v is (1−β) times the heavy ball's velocity, so ema with lr is momentum with lr·(1−β)."""
    v = beta * v + (1 - beta) * g
    return lr * v, v


RULES: dict[str, Rule] = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "ema": ema}
OPTIMIZERS: tuple[str, ...] = tuple(RULES)
DISPLAY_NAMES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "ema": "EMA"}


def effective_lr(optimizer: str, lr: float, beta: float) -> float:
    """The step per unit gradient once a constant gradient has built up the velocity:
    lr for sgd and ema, lr/(1−β) for momentum and nesterov (the "terminal velocity")."""
    return lr if optimizer in ("sgd", "ema") else lr / (1 - beta)
