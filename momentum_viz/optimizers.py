"""The optimizer registry: every optimizer is one ``Optimizer`` entry, and everything else — the
engine loop, ``simulate``, ``sweep``, the metrics, the CSV, the figures and the theory — reads it.

An entry declares its name, label and colour; its hyper-parameters besides lr (``HyperParameter``:
name, default, range, URL parameter, help text); its state (arrays shaped like θ, each starting
at a constant); its update rule; and which form of the linear momentum theory applies to it, if
any. The rule is one pure function on arrays of any shape:

    rule(g, state, lr, t, *settings) -> (step, new_state)

g is the gradient at θ, ``state`` the tuple of state arrays, t the step number (1 for the first
step, as torch's ``state["step"]``), and the caller moves θ ← θ − step. ``settings`` are the rule's
further parameters (passed in the order of its signature; keyword-only ones by name), which the
entry's ``settings`` function derives, by name, from its hyper-parameters; every one
of them, and lr, broadcasts against g, so one call updates a single run, several runs side by
side, or a whole (lr, β) grid. Entries that share a rule run together in one batch (the four
momentum-family optimizers are one rule, ``heavy_ball``, at different settings).

Each rule is written in the order of operations of torch.optim's single-tensor CPU code, so that
trajectories agree with it to float64 rounding (without fused multiply-add: torch's vectorized
CPU kernels fuse some of them, which changes the last bit, but a 2-element tensor takes the plain
scalar path).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from momentum_viz.arithmetic import Equation, StepNumbers

Step = tuple[np.ndarray, np.ndarray]
"""What ``update`` returns: the step (θ ← θ − step) and the new velocity."""
Rule = Callable[..., tuple[np.ndarray, tuple[np.ndarray, ...]]]


# -- hyper-parameters ------------------------------------------------------------------------------
@dataclass(frozen=True)
class HyperParameter:
    """One hyper-parameter besides lr: its keyword in ``simulate``/``RunSpec`` (``name``), default,
    range [low, high] (each end open or closed), URL parameter name and a one-line help text."""

    name: str
    default: float
    low: float
    high: float
    url: str
    help: str
    symbol: str = ""
    low_closed: bool = True
    high_closed: bool = False

    @property
    def interval(self) -> str:
        """The range as text, e.g. "[0, 1)"."""
        return (f"{'[' if self.low_closed else '('}{self.low:g}, {self.high:g}"
                f"{']' if self.high_closed else ')'}")

    def contains(self, values: ArrayLike) -> np.ndarray:
        """Whether each value is finite and in range (NaN and ±inf never are)."""
        v = np.asarray(values, np.float64)
        with np.errstate(invalid="ignore"):
            above = v >= self.low if self.low_closed else v > self.low
            below = v <= self.high if self.high_closed else v < self.high
        return np.isfinite(v) & above & below

    def check(self, values: ArrayLike, optimizer: str = "") -> None:
        """ValueError naming the parameter unless every value is in range."""
        if not np.all(self.contains(values)):
            whose = f" for {optimizer}" if optimizer else ""
            raise ValueError(f"{self.name}{whose} must be a finite number in {self.interval}")


BETA = HyperParameter("beta", 0.9, 0.0, 1.0, "beta", "Momentum coefficient β: how much of the "
                      "previous velocity each step keeps.", "β")


def _beta2(default: float, help: str) -> HyperParameter:
    return HyperParameter("beta2", default, 0.0, 1.0, "beta2", help, "β₂")


def _eps(default: float) -> HyperParameter:
    return HyperParameter("eps", default, 0.0, math.inf, "eps", "Added to the denominator "
                          "(after the square root) so that it is never zero.", "ε",
                          low_closed=False)


@dataclass(frozen=True)
class State:
    """One state array of an optimizer: shaped like θ, every element starting at ``initial``."""

    name: str
    initial: float = 0.0


# -- the entry -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Optimizer:
    """One optimizer. ``settings(**hyper-parameters)`` gives the keyword arguments of ``rule``
    (it must broadcast over arrays of hyper-parameter values); ``velocity`` is the index of the
    state array recorded as a run's velocity; ``linear_theory`` names the form of the quadratic
    momentum theory that describes it ("sgd", "momentum", "nesterov" or "ema"; see
    ``momentum_viz.theory``), or None when no linear theory applies."""

    name: str
    label: str
    color: str
    rule: Rule
    settings: Callable[..., dict]
    hyper: tuple[HyperParameter, ...] = ()
    state: tuple[State, ...] = (State("velocity"),)
    velocity: int = 0
    linear_theory: str | None = None
    doc: str = field(default="", compare=False)
    long_label: str = ""
    """The name pickers show, when ``label`` (the runs' legend name) needs explaining; short
    enough for a picker's chip (``doc`` says the rule)."""
    worked: Callable[[StepNumbers], Sequence[Equation]] | None = field(default=None,
                                                                       compare=False)
    """The rule written out for one step (``momentum_viz.arithmetic``): its lines, in order,
    the last one θ ← θ − … (``StepNumbers.step``), each with the run's recorded value as its
    result. None: the app shows no worked step for it."""

    @property
    def picker_label(self) -> str:
        """The name a picker shows: ``long_label``, or ``label`` when there is none."""
        return self.long_label or self.label

    @property
    def hyper_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hyper)

    @property
    def uses_beta(self) -> bool:
        """Whether β (the momentum coefficient, β₁ for Adam) is one of its hyper-parameters."""
        return "beta" in self.hyper_names

    def parameter(self, name: str) -> HyperParameter | None:
        return next((h for h in self.hyper if h.name == name), None)

    def defaults(self) -> dict[str, float]:
        return {h.name: h.default for h in self.hyper}


REGISTRY: dict[str, Optimizer] = {}
"""Every optimizer by name, in the order they were registered."""


def register(entry: Optimizer) -> Optimizer:
    """Add ``entry`` to the registry (ValueError if the name is taken) and return it."""
    if entry.name in REGISTRY:
        raise ValueError(f"an optimizer named {entry.name!r} is already registered")
    if not entry.name.isidentifier():
        raise ValueError(f"an optimizer name must be a plain identifier, not {entry.name!r}")
    REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove an entry (for tests that register a throwaway optimizer)."""
    REGISTRY.pop(name, None)


def get(name: str) -> Optimizer:
    """The entry called ``name``; ValueError listing the known names otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {name!r}; choose from "
                         f"{', '.join(REGISTRY)}") from None


class _Names(Sequence[str]):
    """The registered names, in order, read live from the registry (a tuple-like view)."""

    def __getitem__(self, i):
        return tuple(REGISTRY)[i]

    def __len__(self) -> int:
        return len(REGISTRY)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(REGISTRY))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in REGISTRY

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class _Field(Mapping[str, str]):
    """name → one field of each entry, read live from the registry."""

    def __init__(self, attribute: str) -> None:
        self._attribute = attribute

    def __getitem__(self, name: str) -> str:
        if name not in REGISTRY:
            raise KeyError(name)
        return getattr(REGISTRY[name], self._attribute)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(REGISTRY))

    def __len__(self) -> int:
        return len(REGISTRY)


OPTIMIZERS: Sequence[str] = _Names()
DISPLAY_NAMES: Mapping[str, str] = _Field("label")
COLORS: Mapping[str, str] = _Field("color")


# -- the momentum family: one rule -----------------------------------------------------------------
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


def heavy_ball(g: np.ndarray, state: tuple[np.ndarray, ...], lr: ArrayLike, t: int,
               beta: ArrayLike, dampening: ArrayLike = 0.0,
               nesterov: ArrayLike = False) -> tuple[np.ndarray, tuple[np.ndarray]]:
    """``update`` as a registry rule: state = (velocity,); t plays no part. (The same lines as
    ``update``, not a call to it: this runs once per step of every momentum-family batch.)"""
    pushed = g if isinstance(dampening, int | float) and dampening == 0 else (1 - dampening) * g
    v = beta * state[0] + pushed
    if isinstance(nesterov, bool):
        ahead = g + beta * v if nesterov else v
    else:
        ahead = np.where(nesterov, g + beta * v, v)
    return lr * ahead, (v,)


def sgd(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike = 0.0) -> Step:
    """Plain gradient descent, torch.optim.SGD(momentum=0): θ ← θ − lr·g.

    β plays no part; the velocity is the gradient itself (momentum with β = 0)."""
    return update(g, v, lr, 0.0)


def momentum(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike) -> Step:
    """Polyak's heavy ball, torch.optim.SGD(momentum=β) and Distill's z/w form:
    v ← βv + g;  θ ← θ − lr·v. Under a constant gradient the step tends to lr·g/(1−β)."""
    return update(g, v, lr, beta)


def nesterov(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike) -> Step:
    """Nesterov momentum as torch.optim.SGD(momentum=β, nesterov=True):
    v ← βv + g;  θ ← θ − lr·(g + βv)."""
    return update(g, v, lr, beta, 0.0, True)


def ema(g: np.ndarray, v: np.ndarray, lr: ArrayLike, beta: ArrayLike) -> Step:
    """The exponential-moving-average form of the seed text: v ← βv + (1−β)g;  θ ← θ − lr·v.

    v is (1−β) times the heavy ball's velocity, so ema with lr is momentum with lr·(1−β)."""
    return update(g, v, lr, beta, beta)


# -- the adaptive rules ----------------------------------------------------------------------------
def adam(g: np.ndarray, state: tuple[np.ndarray, ...], lr: ArrayLike, t: int,
         beta1: ArrayLike, beta2: ArrayLike, eps: ArrayLike):
    """torch.optim.Adam(lr, betas=(β₁, β₂), eps), bias-corrected; state = (m, s):

        m ← lerp(m, g, 1−β₁);  s ← β₂s + (1−β₂)g²;
        step = (lr/(1−β₁ᵗ))·m / (√s/√(1−β₂ᵗ) + ε)."""
    m, s = state
    m = _lerp(m, g, 1 - beta1)
    s = s * beta2 + (1 - beta2) * g * g
    step_size = lr / (1 - _power(beta1, t))
    denom = np.sqrt(s) / np.sqrt(1 - _power(beta2, t)) + eps
    return step_size * m / denom, (m, s)


def rmsprop(g: np.ndarray, state: tuple[np.ndarray, ...], lr: ArrayLike, t: int,
            alpha: ArrayLike, eps: ArrayLike, momentum: ArrayLike):
    """torch.optim.RMSprop(lr, alpha, eps, momentum); state = (s, b):

        s ← αs + (1−α)g²;  a = √s + ε;
        momentum > 0: b ← μb + g/a, step = lr·b;   momentum = 0: step = lr·g/a (b = g/a)."""
    s, buf = state
    s = s * alpha + (1 - alpha) * g * g
    avg = np.sqrt(s) + eps
    if np.ndim(momentum) == 0:
        if momentum > 0:
            buf = buf * momentum + g / avg
            return lr * buf, (s, buf)
        return lr * g / avg, (s, g / avg)
    pushed = buf * momentum + g / avg
    heavy = momentum > 0
    return (np.where(heavy, lr * pushed, lr * g / avg),
            (s, np.where(heavy, pushed, g / avg)))


def adagrad(g: np.ndarray, state: tuple[np.ndarray, ...], lr: ArrayLike, t: int,
            eps: ArrayLike):
    """torch.optim.Adagrad(lr, eps) (lr_decay 0, initial accumulator 0); state = (Σg², g/σ):

        Σ ← Σ + g²;  σ = √Σ + ε;  step = lr·g/σ."""
    total = state[0] + g * g
    std = np.sqrt(total) + eps
    return lr * g / std, (total, g / std)


def _lerp(start: np.ndarray, end: np.ndarray, weight: ArrayLike) -> np.ndarray:
    """torch.lerp's scalar formula: start + w·(end − start) for |w| < 0.5, otherwise
    end − (end − start)·(1 − w)."""
    if np.ndim(weight):
        return np.where(np.abs(weight) < 0.5, start + weight * (end - start),
                        end - (end - start) * (1 - weight))
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


_LEVELS: dict[int, tuple] = {}


def _power(base: ArrayLike, t: int) -> ArrayLike:
    """base ** t computed with Python's float power (the C library's pow), as torch computes
    ``beta ** step`` on Python floats. NumPy's vectorized pow can differ from it in the last bit
    on some CPUs, so an array of bases is reduced to its distinct values (cached per array: the
    engine passes the same arrays every step) and only those are raised."""
    if not isinstance(base, np.ndarray) or base.ndim == 0:
        return float(base) ** t
    cached = _LEVELS.get(id(base))
    if cached is None or cached[0]() is not base:
        values, inverse = np.unique(base, return_inverse=True)
        if len(_LEVELS) >= 8:
            _LEVELS.clear()
        cached = (weakref.ref(base), values.tolist(), inverse.reshape(base.shape))
        _LEVELS[id(base)] = cached
    _, values, inverse = cached
    return np.array([v ** t for v in values])[inverse]


# -- the rules written out with a step's numbers (Optimizer.worked) --------------------------------
def _worked_heavy_ball(*, momentum: bool = True, dampened: bool = False,
                       nesterov: bool = False) -> Callable[[StepNumbers], list[Equation]]:
    """The momentum family: v ← β·v + g (EMA: + (1−β)·g); θ ← θ − lr·v (Nesterov: the
    look-ahead θ ← θ − lr·(g + β·v), with the new v); SGD: θ ← θ − lr·g."""
    def worked(s: StepNumbers) -> list[Equation]:
        if not momentum:
            return [s.step(s.lr * s.g)]
        beta = s.constant("β", s.hyper["beta"])
        pushed = s.constant("(1−β)", 1 - beta.value) * s.g if dampened else s.g
        velocity = Equation("v", beta * s.state("velocity", "v") + pushed,
                            s.after["velocity"])
        v = velocity.quantity()
        return [velocity, s.step(s.lr * (s.g + beta * v) if nesterov else s.lr * v)]
    return worked


def _worked_adam(s: StepNumbers) -> list[Equation]:
    """m ← β₁·m + (1−β₁)·g; s ← β₂·s + (1−β₂)·g²; θ ← θ − lr/(1−β₁ᵗ)·m/(√s/√(1−β₂ᵗ) + ε)
    (torch writes the first as lerp(m, g, 1−β₁): the same number)."""
    b1, b2 = s.hyper["beta"], s.hyper["beta2"]
    m = Equation("m", s.constant("β₁", b1) * s.state("exp_avg", "m")
                 + s.constant("(1−β₁)", 1 - b1) * s.g, s.after["exp_avg"])
    sq = Equation("s", s.constant("β₂", b2) * s.state("exp_avg_sq", "s")
                  + s.constant("(1−β₂)", 1 - b2) * s.g.squared(), s.after["exp_avg_sq"])
    corrected = (s.lr / s.constant("(1−β₁ᵗ)", 1 - b1 ** s.t) * m.quantity()
                 / (sq.quantity().sqrt() / s.constant("√(1−β₂ᵗ)", (1 - b2 ** s.t) ** 0.5)
                    + s.constant("ε", s.hyper["eps"])))
    return [m, sq, s.step(corrected)]


def _worked_rmsprop(s: StepNumbers) -> list[Equation]:
    """s ← β₂·s + (1−β₂)·g²; with momentum β > 0: b ← β·b + g/(√s + ε), θ ← θ − lr·b;
    with β = 0: θ ← θ − lr·g/(√s + ε)."""
    alpha, mu = s.hyper["beta2"], s.hyper["beta"]
    sq = Equation("s", s.constant("β₂", alpha) * s.state("square_avg", "s")
                  + s.constant("(1−β₂)", 1 - alpha) * s.g.squared(), s.after["square_avg"])
    scaled = s.g / (sq.quantity().sqrt() + s.constant("ε", s.hyper["eps"]))
    if mu == 0:
        return [sq, s.step(s.lr * scaled)]
    buffer = Equation("b", s.constant("β", mu) * s.state("momentum_buffer", "b") + scaled,
                      s.after["momentum_buffer"])
    return [sq, buffer, s.step(s.lr * buffer.quantity())]


def _worked_adagrad(s: StepNumbers) -> list[Equation]:
    """Σ ← Σ + g²; θ ← θ − lr·g/(√Σ + ε)."""
    total = Equation("Σ", s.state("state_sum", "Σ") + s.g.squared(), s.after["state_sum"])
    return [total, s.step(s.lr * s.g / (total.quantity().sqrt()
                                        + s.constant("ε", s.hyper["eps"])))]


# -- the registered optimizers ---------------------------------------------------------------------
def _family(beta: ArrayLike, dampening: ArrayLike, nesterov: bool) -> dict:
    return {"beta": beta, "dampening": dampening, "nesterov": nesterov}


register(Optimizer(
    "sgd", "SGD", "#D55E00", heavy_ball, lambda: _family(0.0, 0.0, False),
    linear_theory="sgd", doc="torch.optim.SGD(lr): θ ← θ − lr·g",
    worked=_worked_heavy_ball(momentum=False)))
register(Optimizer(
    "momentum", "Momentum", "#0072B2", heavy_ball, lambda beta: _family(beta, 0.0, False),
    hyper=(BETA,), linear_theory="momentum",
    doc="torch.optim.SGD(lr, momentum=β): v ← βv + g; θ ← θ − lr·v",
    worked=_worked_heavy_ball()))
register(Optimizer(
    "nesterov", "Nesterov", "#009E73", heavy_ball, lambda beta: _family(beta, 0.0, True),
    hyper=(BETA,), linear_theory="nesterov",
    doc="torch.optim.SGD(lr, momentum=β, nesterov=True): v ← βv + g; θ ← θ − lr·(g + βv)",
    worked=_worked_heavy_ball(nesterov=True)))
register(Optimizer(
    "ema", "EMA", "#CC79A7", heavy_ball, lambda beta: _family(beta, beta, False),
    hyper=(BETA,), linear_theory="ema",
    doc="v ← βv + (1−β)g; θ ← θ − lr·v (momentum at lr·(1−β))",
    long_label="EMA momentum", worked=_worked_heavy_ball(dampened=True)))
register(Optimizer(
    "adam", "Adam", "#E69F00", adam,
    lambda beta, beta2, eps: {"beta1": beta, "beta2": beta2, "eps": eps},
    hyper=(BETA, _beta2(0.999, "Decay of the running average of g²."), _eps(1e-8)),
    state=(State("exp_avg"), State("exp_avg_sq")),
    doc="torch.optim.Adam(lr, betas=(β, β₂), eps)", worked=_worked_adam))
register(Optimizer(
    "rmsprop", "RMSprop", "#56B4E9", rmsprop,
    lambda beta, beta2, eps: {"alpha": beta2, "eps": eps, "momentum": beta},
    hyper=(HyperParameter("beta", 0.0, 0.0, 1.0, "beta", "Momentum μ on the scaled step "
                          "(0: classic RMSprop).", "β"),
           _beta2(0.99, "Decay α of the running average of g²."), _eps(1e-8)),
    state=(State("square_avg"), State("momentum_buffer")), velocity=1,
    doc="torch.optim.RMSprop(lr, alpha=β₂, eps, momentum=β)", worked=_worked_rmsprop))
register(Optimizer(
    "adagrad", "AdaGrad", "#000000", adagrad, lambda eps: {"eps": eps},
    hyper=(_eps(1e-10),), state=(State("state_sum"), State("direction")), velocity=1,
    doc="torch.optim.Adagrad(lr, eps)", worked=_worked_adagrad))


def effective_lr(optimizer: str, lr: float, beta: float) -> float:
    """The step per unit gradient once a constant gradient has built up the velocity:
    lr for sgd and ema, lr/(1−β) for momentum and nesterov (the "terminal velocity").
    ValueError for an optimizer without a linear theory (an adaptive step has no such ratio)."""
    form = get(optimizer).linear_theory
    if form is None:
        raise ValueError(f"{optimizer} has no step per unit gradient: its step is adaptive")
    return lr if form in ("sgd", "ema") else lr / (1 - beta)
