"""Learning-rate schedules for any optimizer, each equal to a torch.optim.lr_scheduler stepped
once after every optimizer step.

A schedule maps the base learning rate to the lr of step k = 0, 1, 2, … (the lr that moves θ_k to
θ_{k+1}). torch's ``scheduler.step()`` computes it with the *chainable* (recursive) form
``get_lr()`` — each lr from the previous one — not with ``_get_closed_form_lr`` (used only when
an epoch is passed to ``step``), and the two differ in the last bits; this module follows the
recursive form operation by operation, so the lrs agree with torch's to the bit:

- ``constant()``: lr every step (torch: no scheduler).
- ``step(step_size, gamma)``: StepLR — lr·γ at every multiple of step_size.
- ``exponential(gamma)``: ExponentialLR — lr·γ every step.
- ``cosine(t_max, eta_min)``: CosineAnnealingLR — from lr down to eta_min at step t_max along a
  half cosine; after t_max it rises again (torch's schedule is periodic with period 2·t_max).
- ``warmup(total_iters, start_factor)``: LinearLR(start_factor, 1.0, total_iters) — from
  lr·start_factor up to lr over total_iters steps, then lr.

``first`` and ``next`` work element-wise on NumPy arrays of base lrs as well as on Python floats
(the factors that do not depend on lr are computed in Python floats, as torch does).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule; see the module docstring. Immutable and hashable. Built as
    such, it is ``constant()``: the same lr every step, equal to running without a schedule.

    A schedule's parameters are its fields, each declared with ``_parameter``: the check its
    value must pass, which also gives the value kept (an int for a whole number, a float)."""

    name = "constant"
    label_format = "constant"
    """The legend text: ``str.format`` of the schedule's fields."""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, f.metadata["check"](f.name, getattr(self, f.name)))

    def first(self, base: ArrayLike) -> ArrayLike:
        """The lr of step 0."""
        return base

    def next(self, lr: ArrayLike, base: ArrayLike, epoch: int) -> ArrayLike:
        """The lr of step ``epoch`` (≥ 1), from the previous one ``lr`` and the base lr."""
        return lr

    def lrs(self, base: float, steps: int) -> np.ndarray:
        """The lr of steps 0..steps, shape (steps + 1,) (the last is the lr a further step would
        use)."""
        base = float(base)
        out = np.empty(steps + 1)
        lr = self.first(base)
        out[0] = lr
        for k in range(1, steps + 1):
            lr = self.next(lr, base, k)
            out[k] = lr
        return out

    @property
    def label(self) -> str:
        """Short text for legends, e.g. "cosine t_max=200"."""
        return self.label_format.format(**{f.name: getattr(self, f.name) for f in fields(self)})


def _whole(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer) \
            or not math.isfinite(value) or int(value) != value or value < 1 or value > 10**9:
        raise ValueError(f"{name} must be a whole number ≥ 1")
    return int(value)


def _fraction(name: str, value: float) -> float:
    value = float(value)
    if not (0 < value <= 1):
        raise ValueError(f"{name} must be in (0, 1]")
    return value


def _at_least_zero(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number ≥ 0")
    return value


def _parameter(check: Callable[[str, Any], Any], default: Any = MISSING) -> Any:
    """A schedule's parameter (a field) whose value must pass ``check(name, value)``, which
    returns the value to keep or raises ValueError."""
    return field(default=default, metadata={"check": check})


@dataclass(frozen=True)
class StepLR(Schedule):
    """torch.optim.lr_scheduler.StepLR(step_size, gamma): lr·γ^⌊k/step_size⌋ (recursively),
    the lr times γ at every multiple of step_size."""

    step_size: int = _parameter(_whole)
    gamma: float = _parameter(_fraction, 0.1)
    name = "step"
    label_format = "step {step_size}×{gamma:g}"

    def next(self, lr, base, epoch):
        return lr * self.gamma if epoch % self.step_size == 0 else lr


@dataclass(frozen=True)
class ExponentialLR(Schedule):
    """torch.optim.lr_scheduler.ExponentialLR(gamma): lr·γᵏ (recursively), the lr times γ
    every step."""

    gamma: float = _parameter(_fraction)
    name = "exponential"
    label_format = "exponential {gamma:g}"

    def next(self, lr, base, epoch):
        return lr * self.gamma


@dataclass(frozen=True)
class CosineLR(Schedule):
    """torch.optim.lr_scheduler.CosineAnnealingLR(T_max, eta_min):
    eta_min + (lr − eta_min)·(1 + cos(πk/t_max))/2, in torch's recursive form."""

    t_max: int = _parameter(_whole)
    eta_min: float = _parameter(_at_least_zero, 0.0)
    name = "cosine"

    def next(self, lr, base, epoch):
        t_max, eta_min = self.t_max, self.eta_min
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            return lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        ratio = (1 + math.cos(math.pi * epoch / t_max)) / (
            1 + math.cos(math.pi * (epoch - 1) / t_max))
        return ratio * (lr - eta_min) + eta_min

    @property
    def label(self) -> str:
        return f"cosine t_max={self.t_max}" + (f" → {self.eta_min:g}" if self.eta_min else "")


@dataclass(frozen=True)
class WarmupLR(Schedule):
    """torch.optim.lr_scheduler.LinearLR(start_factor, end_factor=1.0, total_iters): the lr
    grows linearly from lr·start_factor at step 0 to lr at step total_iters."""

    total_iters: int = _parameter(_whole)
    start_factor: float = _parameter(_fraction, 1 / 3)
    name = "warmup"
    label_format = "warm-up {total_iters} from ×{start_factor:g}"

    def first(self, base):
        return base * self.start_factor

    def next(self, lr, base, epoch):
        if epoch > self.total_iters:
            return lr
        start, end = self.start_factor, 1.0
        return lr * (1.0 + (end - start) / (self.total_iters * start
                                            + (epoch - 1) * (end - start)))


# The constructors by the schedules' names (see the module docstring); a parameter out of its
# range is a ValueError.
constant = Schedule
step = StepLR
exponential = ExponentialLR
cosine = CosineLR
warmup = WarmupLR
SCHEDULES = {s.name: s for s in (constant, step, exponential, cosine, warmup)}
"""Every schedule's constructor by name."""
