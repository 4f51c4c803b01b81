"""One step of a run, in numbers: θ_k, ∇f(θ_k), the optimizer's state, and its update rule
written out with those numbers substituted (the rule from the optimizer's registry entry,
``Optimizer.worked``; the rounding that keeps each line true from ``momentum_viz.arithmetic``).

>>> import momentum_viz as mv
>>> run = mv.simulate_many(mv.get_surface("bowl"), [mv.RunSpec("momentum", 0.1, 0.5)],
...                        start=(1.0, 2.0), steps=3, states=True)[0]
>>> print(worked_step(run, 1).lines[0].line)
v ← β·v + g = 0.5·(2, 4) + (1.6, 3.2) = (2.6, 5.2)

Every number is the run's own: θ, ∇f and the state are what ``simulate`` recorded (the run must
be simulated with ``states=True``), the gradient the optimizer used is rebuilt by the engine's
own ``Sampling`` (∇f plus the step's noise, or the minibatch gradient), and each line's result
is the recorded value after the step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from momentum_viz.arithmetic import Equation, Q, StepNumbers, Written, leaves, shown, write_all
from momentum_viz.engine import Sampling
from momentum_viz.simulate import Run


@dataclass(frozen=True)
class WorkedStep:
    """Step k of a run: ``given`` the numbers it starts from, as (name, shown value) pairs
    (θₖ, ∇f(θₖ), the minibatch's gradient if any, the states the rule reads, and lrₖ under a
    schedule, t when the rule uses it; the last step and a diverged one have no minibatch, a
    step after divergence nothing); ``lines`` the update written out
    (empty when there is none to write); ``note`` a sentence saying why there is none (the
    last step, a diverged run), else None."""

    k: int
    given: tuple[tuple[str, str], ...]
    lines: tuple[Written, ...]
    note: str | None = None


def worked_step(run: Run, k: int) -> WorkedStep:
    """Step ``k`` (0 … run.steps) of ``run`` (simulated with ``states=True``) in numbers.
    ValueError for a step the run does not have, a run without recorded states, or an
    optimizer whose entry has no ``worked`` rule."""
    return worked_steps(run, [k])[0]


def worked_steps(run: Run, ks: Sequence[int]) -> list[WorkedStep]:
    """``worked_step`` at each of ``ks`` (sharing the work of rebuilding the gradients)."""
    entry = run.spec.entry
    if entry.worked is None:
        raise ValueError(f"{entry.name} has no worked rule")
    if run.states is None:
        raise ValueError("the run has no recorded states: simulate it with states=True")
    seen = Sampling.of(run.surface, run.steps, np.array([run.seed]), run.noise, run.batch_size)
    return [_worked(run, int(k), seen) for k in ks]


def _worked(run: Run, k: int, seen: Sampling | None) -> WorkedStep:
    if not 0 <= k <= run.steps:
        raise ValueError(f"step {k} is not a step of this run (0 … {run.steps})")
    entry, d = run.spec.entry, run.diverged_at
    theta = _pair(run.path[k])
    if d is not None and k > d:
        return WorkedStep(k, (), (), f"The run diverged at step {d}: it has no step {k}.")
    grad = _pair(run.grad[k])
    numbers = StepNumbers(
        theta=Q("θ", theta), g=Q("g", grad), lr=Q("lr", float(run.lrs[k])), t=k + 1,
        hyper={h.name: float(getattr(run.spec, h.name)) for h in entry.hyper},
        before={name: _pair(a[k]) for name, a in run.states.items()},
        after={name: _pair(a[min(k + 1, run.steps)]) for name, a in run.states.items()},
        theta_next=_pair(run.path[min(k + 1, run.steps)]))
    ends = k == run.steps or k == d  # no update follows: no gradient was drawn for it
    used: list[Equation] = []
    if seen is not None and not ends:
        g = _seen_gradient(k, seen, numbers)
        numbers = replace(numbers, g=g.quantity())
        used = [g] if seen.data is None else []  # a minibatch's gradient is given, not summed
    equations = list(entry.worked(numbers))
    given = _given(run, k, numbers, equations, None if ends else seen)
    if d is not None and k == d:
        return WorkedStep(k, given, (), f"The run diverged here, at step {d}: its position "
                          "or loss is no longer finite or it left the escape square, so it "
                          "stops.")
    if k == run.steps:
        return WorkedStep(k, given, (), f"This is the run's last step ({k}): the update "
                          "that would follow was not computed.")
    lines = write_all(used + equations)
    if lines is None:
        return WorkedStep(k, given, (), "A number in this update is too large to compute (it "
                          "overflows to infinity), so the update is not written out.")
    return WorkedStep(k, given, tuple(lines))


def _seen_gradient(k: int, seen: Sampling, numbers: StepNumbers) -> Equation:
    """The gradient the optimizer used at step k, from the engine's own ``Sampling``:
    g ← ∇f + ξ with Gaussian noise ξ, or the minibatch's gradient."""
    theta = np.array(numbers.theta.value)[:, None]
    exact = np.array(numbers.g.value)[:, None]
    used = _pair(seen.gradient(k, theta, None if seen.data is not None else exact)[:, 0])
    if seen.data is not None:
        return Equation("g", Q("g", used), used)
    noise = _pair(seen.noise[k][:, 0])
    return Equation("g", Q("∇f", numbers.g.value) + Q("ξ", noise), used)


def _given(run: Run, k: int, numbers: StepNumbers, equations: Sequence[Equation],
           seen: Sampling | None) -> tuple[tuple[str, str], ...]:
    """θ_k, ∇f(θ_k), the gradient used if it differs, each state the rule reads, lr_k under
    a schedule and t if the rule uses it."""
    i = "ₖ"
    out = [(f"θ{i}", shown(numbers.theta.value)), (f"∇f(θ{i})", shown(_pair(run.grad[k])))]
    if seen is not None and seen.data is not None:
        out.append((f"g{i} (minibatch of {run.batch_size})", shown(numbers.g.value)))
    states: dict[str, str] = {}
    for eq in equations:
        for q in _leaves(eq):
            if q.state is not None and q.symbol not in states:
                states[q.symbol] = shown(q.value)
    out += [(f"{symbol}{i}", value) for symbol, value in states.items()]
    if run.schedule is not None and run.schedule.name != "constant":
        out.append((f"lr{i}", shown(float(run.lrs[k]))))
    if any("ᵗ" in q.symbol for eq in equations for q in _leaves(eq)):
        out.append(("t = k + 1", str(numbers.t)))
    return tuple(out)


def _leaves(eq: Equation) -> list[Q]:
    return leaves(eq.expr)


def _pair(row: np.ndarray) -> tuple[float, float]:
    return (float(row[0]), float(row[1]))
