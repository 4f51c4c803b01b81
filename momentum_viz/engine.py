"""The one simulation loop, batch-shaped: a single run and a 200×200 (lr, β) grid are the same code.

State is held as arrays of shape (2, n): row 0 is x, row 1 is y, and n counts trajectories.
The loop yields every step; ``simulate`` records the steps, ``sweep`` only tracks summaries.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from momentum_viz import optimizers
from momentum_viz.data import Data
from momentum_viz.optimizers import Optimizer, Rule, State
from momentum_viz.schedules import Schedule
from momentum_viz.surface import Surface

MAX_STEPS = 100_000
MAX_SEEDS = 100


@dataclass(frozen=True)
class Batch:
    """Trajectories to run together under one update rule (``Optimizer.rule``): per trajectory
    the learning rate and the rule's settings, each a 0-d array when all trajectories share it,
    and one lr schedule (None: constant)."""

    rule: Rule
    state: tuple[State, ...]
    velocity: int
    lr: np.ndarray
    settings: dict[str, np.ndarray]
    schedule: Schedule | None = None

    @classmethod
    def of(cls, names: Sequence[str], lr: ArrayLike, beta: ArrayLike | None = None,
           beta2: ArrayLike | None = None, eps: ArrayLike | None = None,
           schedule: Schedule | None = None) -> Batch:
        """One trajectory per entry of ``names`` (a few runs side by side, all with the same
        rule: see ``groups``), with lr and the hyper-parameters broadcast to them; a None
        hyper-parameter is the optimizer's default."""
        entries = [optimizers.get(name) for name in names]
        n = len(entries)
        lr = np.broadcast_to(np.asarray(lr, np.float64), (n,))
        check_lr(lr)
        given = {name: _per_run(value, n) for name, value in
                 (("beta", beta), ("beta2", beta2), ("eps", eps))}
        columns: dict[str, list] = {}
        for j, entry in enumerate(entries):
            values = {h.name: _value(h.default, given[h.name][j]) for h in entry.hyper}
            for h in entry.hyper:
                h.check(values[h.name], entry.name)
            for key, value in entry.settings(**values).items():
                columns.setdefault(key, []).append(value)
        rule = _one_rule(entries)
        settings = {key: _compact(np.array(c)) for key, c in columns.items()}
        if any(len(c) != n for c in columns.values()):
            raise ValueError("optimizers run together must share their rule's settings")
        return cls(rule, entries[0].state, entries[0].velocity, _compact(lr), settings,
                   _schedule(schedule))

    @classmethod
    def uniform(cls, name: str, lr: np.ndarray, beta: np.ndarray | None = None,
                beta2: float | None = None, eps: float | None = None,
                schedule: Schedule | None = None) -> Batch:
        """Many trajectories of one optimizer (a sweep), built without a loop over them."""
        entry = optimizers.get(name)
        lr = np.asarray(lr, np.float64)
        check_lr(lr)
        given = {"beta": beta, "beta2": beta2, "eps": eps}
        values = {}
        for h in entry.hyper:
            value = np.asarray(h.default if given[h.name] is None else given[h.name],
                               np.float64)
            h.check(value, entry.name)
            values[h.name] = value
        settings = {key: _compact(np.asarray(value))
                    for key, value in entry.settings(**values).items()}
        return cls(entry.rule, entry.state, entry.velocity, _compact(lr), settings,
                   _schedule(schedule))

    def columns(self, cols: slice) -> Batch:
        """The trajectories ``cols`` (a chunk of a sweep)."""
        def take(a: np.ndarray) -> np.ndarray:
            return a if a.ndim == 0 else a[cols]
        return Batch(self.rule, self.state, self.velocity, take(self.lr),
                     {k: take(v) for k, v in self.settings.items()}, self.schedule)

    def arguments(self, shape: tuple[int, ...]) -> tuple:
        """(rule, lr, settings) for a state of ``shape`` (2, n): the settings in the order of
        the rule's parameters (a positional call costs ~0.1 µs a step less than a keyword one;
        keyword-only parameters are bound once with functools.partial); values that differ
        between trajectories spread to that shape (a ufunc on equal shapes skips broadcasting,
        ~1 µs of the ~2 µs a call costs on a few runs); shared numbers as 0-d arrays (a ufunc
        takes one ~0.17 µs faster than a Python float); shared flags and zeros as Python
        scalars, which the rules test for free (a shared dampening of 0 or Nesterov flag of
        False skips its work). The same numbers, the same arithmetic."""
        def spread(a: np.ndarray):
            if a.ndim:
                return np.ascontiguousarray(np.broadcast_to(a, shape))
            return a.item() if a.dtype == bool or a == 0 else a
        values = {k: spread(v) for k, v in self.settings.items()}
        positional, keyword = _rule_parameters(self.rule)
        unknown = set(values) - set(positional) - set(keyword)
        if unknown:
            raise ValueError(f"the rule takes no setting {sorted(unknown)[0]!r}")
        def value(name: str, default):
            if name in values:
                return values[name]
            if default is _REQUIRED:
                raise ValueError(f"the rule needs the setting {name!r}")
            return default
        args = tuple(value(name, default) for name, default in positional.items())
        rule = self.rule
        if keyword:
            rule = functools.partial(rule, **{k: value(k, d) for k, d in keyword.items()})
        return rule, spread(self.lr), args


@functools.cache
def _rule_parameters(rule: Rule) -> tuple[dict, dict]:
    """The settings a rule takes after (g, state, lr, t): positional-or-keyword and keyword-only
    ones, each name → default (``_REQUIRED`` when there is none)."""
    params = list(inspect.signature(rule).parameters.values())[4:]
    def default(p: inspect.Parameter):
        return _REQUIRED if p.default is inspect.Parameter.empty else p.default
    positional = {p.name: default(p) for p in params
                  if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD}
    keyword = {p.name: default(p) for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    return positional, keyword


_REQUIRED = object()


def groups(names: Sequence[str]) -> list[list[int]]:
    """Indices of ``names`` grouped by update rule, in order of first appearance: each group is
    one ``Batch`` (the momentum family shares one rule, so it is one group)."""
    out: dict[Rule, list[int]] = {}
    for i, name in enumerate(names):
        out.setdefault(optimizers.get(name).rule, []).append(i)
    return list(out.values())


def check_lr(lr: np.ndarray) -> None:
    """ValueError unless every learning rate is a positive finite number."""
    if not np.all(np.isfinite(lr) & (lr > 0)):
        raise ValueError("the learning rate must be a positive finite number")


def check_steps(steps: int) -> int:
    """``steps`` as an int, or ValueError: a whole number from 0 to MAX_STEPS."""
    if isinstance(steps, bool) or int(steps) != steps or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 0 to {MAX_STEPS}")
    return int(steps)


def check_seeds(seeds: int) -> int:
    """``seeds`` as an int, or ValueError: a whole number from 1 to MAX_SEEDS."""
    if isinstance(seeds, bool) or int(seeds) != seeds or not 1 <= seeds <= MAX_SEEDS:
        raise ValueError(f"seeds must be a whole number from 1 to {MAX_SEEDS}")
    return int(seeds)


def gradient_noise(noise: float, steps: int, seed: int) -> np.ndarray | None:
    """The noise added to the gradient at steps 0..steps, shape (steps+1, 2, 1), or None.

    Drawn from one seeded generator, so every optimizer sees the same sequence."""
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError("noise must be a finite number ≥ 0")
    if noise == 0:
        return None
    rng = np.random.default_rng(seed)
    return (noise * rng.standard_normal((steps + 1, 2)))[:, :, None]


def minibatch_indices(n: int, batch_size: int, steps: int,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The data points of each step's minibatch: (indices, weights), each (steps, B).

    Epochs of ⌈n/B⌉ steps: each epoch is a fresh permutation of the n points (from one
    generator seeded with ``seed``, ``Generator.permuted``), cut into consecutive batches of B;
    the last batch of an epoch holds the n − (⌈n/B⌉ − 1)·B points left (PyTorch's DataLoader
    with ``drop_last=False``). So every epoch visits every point exactly once. A batch's
    weights are 1/its size; the padding of a short last batch has index 0 and weight 0."""
    per_epoch = -(-n // batch_size)
    epochs = -(-steps // per_epoch)
    rng = np.random.default_rng(seed)
    indices = np.zeros((epochs, per_epoch * batch_size), np.int32)  # zeros: the padding
    indices[:, :n] = rng.permuted(np.tile(np.arange(n, dtype=np.int32), (epochs, 1)), axis=1)
    weights = np.full((per_epoch, batch_size), 1 / batch_size)
    last = batch_size - (per_epoch * batch_size - n)
    weights[-1] = np.where(np.arange(batch_size) < last, 1 / last, 0.0)
    return indices.reshape(-1, batch_size)[:steps], np.tile(weights, (epochs, 1))[:steps]


def check_batch_size(surface: Surface, batch_size: int | None) -> int | None:
    """``batch_size`` as an int (None for the full gradient), or ValueError: only a surface
    from data has minibatches, and B is a whole number from 1 to its number of points."""
    if batch_size is None:
        return None
    if surface.data is None:
        raise ValueError("batch_size needs a surface from data (momentum_viz.data)")
    n = surface.data.n
    if isinstance(batch_size, bool) or int(batch_size) != batch_size \
            or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be a whole number from 1 to {n}, the number of "
                         "data points")
    return int(batch_size)


@dataclass(frozen=True)
class Sampling:
    """What the optimizer sees in place of the exact gradient, per step and trajectory.

    ``noise`` (steps+1, 2, c): Gaussian noise added to the gradient; ``index`` (steps, c, B):
    the data points of each step's minibatch (``Data.batch_gradient``), which replaces the full
    gradient, with ``weight`` (steps, 1, B) (the same epochs for every seed). c is 1 when every
    trajectory sees the same sequence, else one column per trajectory, or (``pick``, one entry
    per trajectory) the column each trajectory sees: many trajectories share a few sequences
    without copies of them. Either part may be None. The points are gathered step by step: a
    sequence costs 4 bytes per drawn point."""

    noise: np.ndarray | None = None
    data: Data | None = None
    index: np.ndarray | None = None
    weight: np.ndarray | None = None
    pick: np.ndarray | None = None

    def picked(self, pick: np.ndarray) -> Sampling:
        """The same sequences, trajectory j seeing column ``pick[j]`` (of a Sampling with one
        column per sequence and no ``pick`` yet)."""
        return Sampling(self.noise, self.data, self.index, self.weight, np.asarray(pick))

    @classmethod
    def of(cls, surface: Surface, steps: int, seeds: np.ndarray, noise: float = 0.0,
           batch_size: int | None = None) -> Sampling | None:
        """The noise and minibatches of ``seeds`` (one column each: column i is exactly what a
        single run with seed ``seeds[i]`` sees), or None when there are neither. Gaussian noise
        and minibatches do not mix (ValueError): each is one kind of gradient noise."""
        batch_size = check_batch_size(surface, batch_size)
        draws = [gradient_noise(noise, steps, int(s)) for s in seeds]
        if batch_size is not None and draws[0] is not None:
            raise ValueError("use either noise or batch_size, not both")
        if draws[0] is not None:
            return cls(noise=np.concatenate(draws, axis=2))
        if batch_size is None or batch_size == surface.data.n:  # B = n: the full gradient
            return None
        picks = [minibatch_indices(surface.data.n, batch_size, steps, int(s)) for s in seeds]
        index = np.stack([p[0] for p in picks], axis=1)
        return cls(data=surface.data, index=index, weight=picks[0][1][:, None, :])

    def columns(self, cols: slice | Sequence[int]) -> Sampling:
        """The sequences of trajectories ``cols`` (all of them when shared)."""
        if self.pick is not None:
            return Sampling(self.noise, self.data, self.index, self.weight, self.pick[cols])

        def take(a: np.ndarray | None, axis: int) -> np.ndarray | None:
            if a is None or a.shape[axis] == 1:
                return a
            return np.take(a, np.arange(a.shape[axis])[cols], axis=axis)
        return Sampling(take(self.noise, 2), self.data, take(self.index, 1), self.weight)

    def gradient(self, k: int, theta: np.ndarray, g: np.ndarray | None) -> np.ndarray:
        """The gradient the optimizer uses at step k, given the exact ∇f ``g`` at ``theta``
        (None with minibatches: not needed)."""
        if self.data is not None:
            g = self.data.batch_gradient(theta, self.index[k], self.weight[k], self.pick)
        if self.noise is not None:
            g = g + (self.noise[k] if self.pick is None else self.noise[k][:, self.pick])
        return g


def iterate(
    surface: Surface, batch: Batch, start: np.ndarray, steps: int,
    sampling: Sampling | None = None,
    exact: bool = True,
    every_state: bool = False,
) -> Iterator[tuple[int, np.ndarray, np.ndarray | tuple[np.ndarray, ...], np.ndarray | None]]:
    """Run the batch for ``steps`` steps from ``start`` (2, n).

    Yields (k, θ_k, v_k, ∇f(θ_k)) for k = 0..steps, where v_k is the optimizer's velocity after
    the step that brought the run to θ_k (the state array its registry entry names; v_0 = 0) and
    ∇f is exact (the optimizer sees ``sampling``'s gradient instead, if given); with
    ``exact=False`` and minibatches, which do not need it, ∇f is not computed and is None.
    With ``every_state`` the third item is the whole state tuple (in the order of the entry's
    ``state``) instead of the velocity alone: the same arrays, no extra work.
    Step k uses the schedule's lr of step k, the rule sees t = k + 1. θ is updated in place and the
    yielded arrays are reused: copy what you keep. The caller owns ``np.errstate``; diverged
    entries simply become inf or NaN and stay so.
    """
    theta = start.copy()
    gradient = surface.bind_gradient(theta)
    state = tuple(np.full_like(theta, s.initial) for s in batch.state)
    rule, base, settings = batch.arguments(theta.shape)
    schedule, shown = batch.schedule, (None if every_state else batch.velocity)
    lr = base if schedule is None else schedule.first(base)
    skip = not exact and sampling is not None and sampling.data is not None
    for k in range(steps + 1):
        g = None if skip else gradient()
        yield k, theta, state if shown is None else state[shown], g
        if k == steps:
            return
        if sampling is not None:
            g = sampling.gradient(k, theta, g)
        step, state = rule(g, state, lr, k + 1, *settings)
        theta -= step
        if schedule is not None:
            lr = schedule.next(lr, base, k + 1)


def _per_run(value, n: int) -> list:
    """A hyper-parameter given for the whole batch or per run, as one value (or None) per run."""
    if value is None or np.ndim(value) == 0:
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ValueError(f"expected {n} values, one per run, got {len(values)}")
    return values


def _value(default: float, given) -> float:
    return default if given is None else float(given)


def _one_rule(entries: Sequence[Optimizer]) -> Rule:
    rules = {e.rule for e in entries}
    if len(rules) != 1:
        raise ValueError("a Batch runs optimizers of one update rule; split them with groups()")
    return rules.pop()


def _schedule(schedule: Schedule | None) -> Schedule | None:
    """None for no schedule or the constant one (they are equal: no work per step)."""
    if schedule is None or type(schedule) is Schedule:
        return None
    if not isinstance(schedule, Schedule):
        raise ValueError("schedule must come from momentum_viz.schedules, e.g. "
                         "schedules.cosine(200)")
    return schedule


def _compact(values: np.ndarray) -> np.ndarray:
    """A 0-d array when all values are equal: the same arithmetic, less work (and ``update``
    skips a shared dampening of 0 or Nesterov flag of False)."""
    values = np.asarray(values)
    return np.array(values.flat[0]) if np.all(values == values.flat[0]) else values
