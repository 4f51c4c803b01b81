"""The baselines the engine is compared with, written the way their authors would write them.

- ``seed_loop``: the seed document's per-trajectory NumPy loop (EMA form, θ an array of two,
  a hand-written gradient), plus the loss per step for convergence tracking, as the sweep does.
- ``torch_loop``: one trajectory with ``torch.optim.SGD(momentum=β)`` on a tensor of two
  parameters, the gradient from ``loss.backward()`` (autograd) every step.
- ``rosenbrock_gradient``: a hand-written vectorized NumPy gradient for whole arrays of points.
"""

from __future__ import annotations

import numpy as np


def rosenbrock_loss(theta: np.ndarray) -> float:
    """f(x, y) = (1 − x)² + 100(y − x²)² at a point θ = [x, y]."""
    x, y = theta
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def compute_gradient(theta: np.ndarray) -> np.ndarray:
    """∇f at a point θ = [x, y], by hand."""
    x, y = theta
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def seed_loop(
    theta: np.ndarray, learning_rate: float, momentum: float, num_iterations: int,
    threshold: float,
) -> tuple[np.ndarray, float, int]:
    """The seed's loop for one (lr, β) cell. Returns (θ, final loss, last step whose loss was
    above ``threshold``), the same bookkeeping the sweep keeps per cell."""
    velocity = np.zeros_like(theta)
    last_outside = -1
    for i in range(num_iterations):
        loss = rosenbrock_loss(theta)
        if loss > threshold:
            last_outside = i
        gradient = compute_gradient(theta)
        velocity = momentum * velocity + (1 - momentum) * gradient
        theta = theta - learning_rate * velocity
    loss = rosenbrock_loss(theta)
    if loss > threshold:
        last_outside = num_iterations
    return theta, loss, last_outside


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_loop(
    start: tuple[float, float], lr: float, beta: float, steps: int, threshold: float,
    nesterov: bool = False,
) -> tuple[list[float], float, int]:
    """One trajectory with ``torch.optim.SGD(lr, momentum=β, nesterov=…)`` (the engine's
    "momentum" or "nesterov"), float64, gradient by autograd (``loss.backward()``) each step,
    the loss read back every step for convergence tracking. Returns (θ, final loss, last step
    outside)."""
    import torch

    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=beta, nesterov=nesterov)
    last_outside = -1
    for k in range(steps + 1):
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        value = loss.item()
        if value > threshold:
            last_outside = k
        if k == steps:
            break
        loss.backward()
        opt.step()
    return p.detach().tolist(), value, last_outside


def rosenbrock_gradient(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∇f on arrays of points, the way one writes it by hand in NumPy."""
    r = y - x**2
    return -2 * (1 - x) - 400 * x * r, 200 * r
