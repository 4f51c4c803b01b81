"""Single runs: the full trajectory of each optimizer, recorded step by step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple, TypedDict, cast

import numpy as np

from momentum_viz import optimizers
from momentum_viz.criteria import DEFAULT_TOL, diverged, start_point
from momentum_viz.engine import Batch, Sampling, check_steps, groups, iterate
from momentum_viz.metrics import Metrics, run_metrics
from momentum_viz.schedules import Schedule
from momentum_viz.surface import Point, Surface

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack


@dataclass(frozen=True)
class RunSpec:
    """One optimizer setting to run: the optimizer's registry name, the (base) learning rate,
    its hyper-parameters and an lr schedule (None: constant).

    A hyper-parameter left at None takes the optimizer's default (β 0.9 for the momentum family
    and Adam, 0 for RMSprop; β₂ 0.999 for Adam, 0.99 for RMSprop; ε 1e-8, 1e-10 for AdaGrad); one
    the optimizer does not use is ignored (β of an optimizer without one is 0). An unknown
    optimizer is a ValueError here already."""

    optimizer: str
    lr: float
    beta: float | None = None
    beta2: float | None = None
    eps: float | None = None
    schedule: Schedule | None = None

    def __post_init__(self) -> None:
        entry = optimizers.get(self.optimizer)
        for h in entry.hyper:
            if getattr(self, h.name) is None:
                object.__setattr__(self, h.name, h.default)
        if self.beta is None:
            object.__setattr__(self, "beta", 0.0)

    @property
    def entry(self) -> optimizers.Optimizer:
        return optimizers.get(self.optimizer)

    @property
    def label(self) -> str:
        """Display name, e.g. "SGD", "Momentum β=0.9" or "Adam β=0.9 β₂=0.99 · cosine t_max=200":
        β when the optimizer uses it, any other hyper-parameter away from its default, and the
        schedule."""
        entry = self.entry
        parts = [entry.label]
        for h in entry.hyper:
            value = getattr(self, h.name)
            if h.name == "beta" or value != h.default:
                parts.append(f"{h.symbol or h.name}={value:g}")
        name = " ".join(parts)
        if self.schedule is not None and self.schedule.name != "constant":
            name += f" · {self.schedule.label}"
        return name


@dataclass(frozen=True, eq=False)
class Run:
    """A recorded trajectory. Row k of each array is step k (row 0 is the start).

    ``path`` (steps+1, 2) positions; ``loss`` (steps+1,) f at each position; ``velocity``
    (steps+1, 2) the velocity that carried the run to that position (v₀ = 0; for sgd the
    gradient it followed; for an adaptive optimizer the state its registry entry names: Adam's
    first moment m, RMSprop's buffer — g/(√s+ε) without momentum — and AdaGrad's g/σ);
    ``grad`` (steps+1, 2) the exact gradient at that position (without noise); ``lrs``
    (steps+1,) the learning rate of each step (row k moves θ_k to θ_{k+1}; the last row is the
    lr a further step would use), which the schedule sets and divergence does not touch.
    ``diverged_at`` is the first step whose position or loss is non-finite or outside the
    escape square (``Surface.escape_radius``); every row after it is NaN, never clipped.
    ``noise``, ``seed`` and ``batch_size`` (None: the full gradient) say what the optimizer
    saw in place of ``grad``. ``states`` (only when asked for: ``simulate_many(...,
    states=True)``) holds every state array of the optimizer by its registry name (``State``),
    (steps+1, 2) each, row k the state after the step that brought the run to θ_k (row 0 the
    initial state), NaN after ``diverged_at``; None otherwise.
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
    lrs: np.ndarray
    batch_size: int | None = None
    states: Mapping[str, np.ndarray] | None = None

    optimizer = property(lambda self: self.spec.optimizer)
    lr = property(lambda self: self.spec.lr)
    beta = property(lambda self: self.spec.beta)
    beta2 = property(lambda self: self.spec.beta2)
    eps = property(lambda self: self.spec.eps)
    schedule = property(lambda self: self.spec.schedule)
    label = property(lambda self: self.spec.label)

    def metrics(self, tol: float = DEFAULT_TOL) -> Metrics:
        """See ``momentum_viz.metrics.run_metrics`` for the definitions."""
        return run_metrics(self, tol) if tol != DEFAULT_TOL else self._default_metrics

    @cached_property
    def _default_metrics(self) -> Metrics:
        return run_metrics(self)


class Conditions(TypedDict, total=False):
    """The keyword arguments the ``simulate*`` functions share besides the settings to run:
    ``start`` (None, the default: the surface's), ``steps`` (required), Gaussian gradient
    ``noise`` (0.0), the ``seed`` of that noise or of the minibatches (0) and ``batch_size``
    (None: the full gradient). See ``simulate``."""

    start: Point | None
    steps: Required[int]
    noise: float
    seed: int
    batch_size: int | None


class Setting(Conditions, total=False):
    """``simulate``'s keyword arguments: the fields of one ``RunSpec`` and the ``Conditions``
    to run it under."""

    optimizer: Required[str]
    lr: Required[float]
    beta: float | None
    beta2: float | None
    eps: float | None
    schedule: Schedule | None


def split_setting(setting: Setting) -> tuple[RunSpec, Conditions]:
    """``setting`` as the ``RunSpec`` it names and the ``Conditions`` to run it under."""
    own = {f.name for f in fields(RunSpec)}
    spec = RunSpec(**{k: v for k, v in setting.items() if k in own})
    return spec, cast(Conditions, {k: v for k, v in setting.items() if k not in own})


def simulate(surface: Surface, **setting: Unpack[Setting]) -> Run:
    """Run one optimizer on ``surface`` from ``start`` (default: the surface's) for ``steps``.

    ``optimizer`` is a registry name (``OPTIMIZERS``); β, β₂ and ε left at None take its
    defaults and those it does not use are ignored; ``schedule`` comes from
    ``momentum_viz.schedules`` (None: constant lr). See ``RunSpec`` and ``Setting``.

    ``batch_size`` B (a surface from data only; 1 … n, else ValueError): each step's gradient
    is the mean over a minibatch of B points drawn without replacement within an epoch and
    reshuffled each epoch, from one generator seeded with ``seed``
    (``engine.minibatch_indices``); B = n is exactly the full gradient. ``noise`` (Gaussian)
    and ``batch_size`` do not mix. ``Run.grad`` stays the exact full gradient."""
    spec, conditions = split_setting(setting)
    return simulate_many(surface, [spec], **conditions)[0]


def simulate_many(
    surface: Surface,
    specs: Sequence[RunSpec],
    *,
    start: Point | None = None,
    steps: int,
    noise: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    states: bool = False,
) -> list[Run]:
    """Run several optimizer settings side by side, all from the same start and seeing the same
    gradient noise or minibatches (see ``simulate``): one batch per update rule and schedule
    (the momentum family at one schedule is one batch), each run exactly as if alone.
    ``states`` also records every state array of each run (``Run.states``)."""
    steps = check_steps(steps)
    start = start_point(surface, start)
    sampling = Sampling.of(surface, steps, np.array([seed]), noise, batch_size)
    arrays, diverged_at, kept = record(surface, specs, start, steps, sampling, states)
    return [Run(surface, spec, start, steps, float(noise), int(seed),
                *(a[:, j].copy() for a in arrays),
                diverged_at=None if diverged_at[j] < 0 else int(diverged_at[j]),
                lrs=spec_lrs(spec, steps), batch_size=batch_size,
                states=None if kept is None else kept[j])
            for j, spec in enumerate(specs)]


class Recorded(NamedTuple):
    """What ``record`` returns: [positions (steps+1, n, 2), losses (steps+1, n), velocities
    (steps+1, n, 2), exact gradients (steps+1, n, 2)], NaN after each run's divergence step;
    that step per run (n,), −1 where it did not diverge; and, if asked for, every state array
    of each run (name → (steps+1, 2), NaN after its divergence step), else None."""

    arrays: list[np.ndarray]
    diverged_at: np.ndarray
    states: list[dict[str, np.ndarray]] | None


def record(surface: Surface, specs: Sequence[RunSpec], start: Point, steps: int,
           sampling: Sampling | None, states: bool = False) -> Recorded:
    """Run ``specs`` side by side (column j is ``specs[j]``, seeing column j of ``sampling``
    or its shared sequence); see ``Recorded``. ``states`` keeps every state array of every
    step besides the velocity (a copy per step and array; without it the loop is unchanged)."""
    n = len(specs)
    theta0 = np.repeat(np.array(start, np.float64)[:, None], n, axis=1)
    positions = np.empty((steps + 1, 2, n))
    velocities = np.empty((steps + 1, 2, n))
    kept: list[dict[str, np.ndarray]] = [{} for _ in range(n)]
    batches = []
    for rule_group in groups([s.optimizer for s in specs]):
        by_schedule: dict = {}
        for i in rule_group:
            by_schedule.setdefault(specs[i].schedule, []).append(i)
        for columns in by_schedule.values():
            chosen = [specs[i] for i in columns]
            batches.append((columns, Batch.of(
                [s.optimizer for s in chosen], [s.lr for s in chosen],
                [s.beta for s in chosen], [s.beta2 for s in chosen], [s.eps for s in chosen],
                chosen[0].schedule)))
    with np.errstate(all="ignore"):
        for columns, batch in batches:
            alone = len(columns) == n  # one batch: record straight into the result
            pos, vel = ((positions, velocities) if alone else
                        (np.empty((steps + 1, 2, len(columns))) for _ in range(2)))
            seen = sampling if sampling is None or alone else sampling.columns(columns)
            loop = iterate(surface, batch, theta0[:, columns], steps, seen, exact=False,
                           every_state=states)
            if not states:
                for k, theta, v, _ in loop:
                    pos[k], vel[k] = theta, v
            else:
                every = [np.empty((steps + 1, 2, len(columns))) for _ in batch.state]
                for k, theta, state, _ in loop:
                    pos[k], vel[k] = theta, state[batch.velocity]
                    for array, value in zip(every, state, strict=True):
                        array[k] = value
                for j, column in enumerate(columns):
                    kept[column] = {s.name: a[:, :, j] for s, a in
                                    zip(batch.state, every, strict=True)}
            if not alone:
                positions[:, :, columns], velocities[:, :, columns] = pos, vel
        # f and ∇f of every visited point at once: the same compiled code as in the loop,
        # so these are the values the optimizer used (before noise), to the bit.
        flat = positions.transpose(1, 0, 2).reshape(2, -1)
        losses = surface.bind_value(flat)().reshape(steps + 1, n)
        grads = surface.bind_gradient(flat)().reshape(2, steps + 1, n).transpose(1, 0, 2)
    bad = diverged(surface, positions, positions, np.isfinite(losses))  # (steps+1, n)
    diverged_at = np.where(bad.any(axis=0), bad.argmax(axis=0), -1)
    after = np.arange(steps + 1)[:, None] > np.where(diverged_at < 0, steps, diverged_at)
    arrays = [positions.transpose(0, 2, 1), losses, velocities.transpose(0, 2, 1),
              grads.transpose(0, 2, 1)]
    cut = [np.where(after if a.ndim == 2 else after[:, :, None], np.nan, a) for a in arrays]
    every_state = [{name: np.where(after[:, j, None], np.nan, a) for name, a in
                    kept[j].items()} for j in range(n)] if states else None
    return Recorded(cut, diverged_at, every_state)


def spec_lrs(spec: RunSpec, steps: int) -> np.ndarray:
    """The learning rate of each step 0..steps of a run of ``spec``."""
    if spec.schedule is None:
        return np.full(steps + 1, float(spec.lr))
    return spec.schedule.lrs(spec.lr, steps)
