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
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule; see the module docstring. Immutable and hashable."""

    name = "constant"
    label_format = "constant"
    """The legend text: ``str.format`` of the schedule's fields."""

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


@dataclass(frozen=True)
class StepLR(Schedule):
    """torch's StepLR: the lr times γ at every multiple of step_size (see ``step``)."""

    step_size: int
    gamma: float
    name = "step"
    label_format = "step {step_size}×{gamma:g}"

    def next(self, lr, base, epoch):
        return lr * self.gamma if epoch % self.step_size == 0 else lr


@dataclass(frozen=True)
class ExponentialLR(Schedule):
    """torch's ExponentialLR: the lr times γ every step (see ``exponential``)."""

    gamma: float
    name = "exponential"
    label_format = "exponential {gamma:g}"

    def next(self, lr, base, epoch):
        return lr * self.gamma


@dataclass(frozen=True)
class CosineLR(Schedule):
    """torch's CosineAnnealingLR, in its recursive form (see ``cosine``)."""

    t_max: int
    eta_min: float = 0.0
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
    """torch's LinearLR up to the base lr over total_iters steps (see ``warmup``)."""

    total_iters: int
    start_factor: float
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


def constant() -> Schedule:
    """The same lr every step: equal to running without a schedule."""
    return Schedule()


def step(step_size: int, gamma: float = 0.1) -> StepLR:
    """torch.optim.lr_scheduler.StepLR(step_size, gamma): lr·γ^⌊k/step_size⌋ (recursively)."""
    return StepLR(_whole("step_size", step_size), _gamma(gamma))


def exponential(gamma: float) -> ExponentialLR:
    """torch.optim.lr_scheduler.ExponentialLR(gamma): lr·γᵏ (recursively)."""
    return ExponentialLR(_gamma(gamma))


def cosine(t_max: int, eta_min: float = 0.0) -> CosineLR:
    """torch.optim.lr_scheduler.CosineAnnealingLR(T_max, eta_min):
    eta_min + (lr − eta_min)·(1 + cos(πk/t_max))/2, in torch's recursive form."""
    eta_min = float(eta_min)
    if not (math.isfinite(eta_min) and eta_min >= 0):
        raise ValueError("eta_min must be a finite number ≥ 0")
    return CosineLR(_whole("t_max", t_max), eta_min)


def warmup(total_iters: int, start_factor: float = 1 / 3) -> WarmupLR:
    """torch.optim.lr_scheduler.LinearLR(start_factor, end_factor=1.0, total_iters): the lr
    grows linearly from lr·start_factor at step 0 to lr at step total_iters."""
    start_factor = float(start_factor)
    if not (0 < start_factor <= 1):
        raise ValueError("start_factor must be in (0, 1]")
    return WarmupLR(_whole("total_iters", total_iters), start_factor)


SCHEDULES = {"constant": constant, "step": step, "exponential": exponential, "cosine": cosine,
             "warmup": warmup}
"""Every schedule's constructor by name."""


def _whole(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer) \
            or not math.isfinite(value) or int(value) != value or value < 1 or value > 10**9:
        raise ValueError(f"{name} must be a whole number ≥ 1")
    return int(value)


def _gamma(gamma: float) -> float:
    gamma = float(gamma)
    if not (0 < gamma <= 1):
        raise ValueError("gamma must be in (0, 1]")
    return gamma
