"""Predict, then reveal: which of four behaviours a run showed, decided from the run itself.

The four answers are exclusive, and every run on a surface with a known minimum gets exactly
one, tested in this order:

1. **diverges** — the engine's divergence rule (``criteria.diverged``): at some step the
   position left the escape square (``Surface.escape_radius``) or f was not a finite number.
2. **converges smoothly** — it never crossed the minimum along either principal axis of the
   surface there (``metrics.Metrics.overshoots`` is 0: crossings smaller than 0.1% of the
   map's width do not count).
3. **overshoots and spirals** — it crossed the minimum, and it winds around it: the angle it
   turns through around the minimum adds up to at least ``SPIRAL_TURNS`` full turn (see
   ``winding``).
4. **oscillates but converges** — it crossed the minimum without winding around it.

"Converges" means "does not diverge": a run may still be on its way after its last step (the
reason says how far it is). The target is the known minimum nearest the run's last position
(``Metrics.target``). ``verdict`` adds the reason: the measured numbers and, where the linear
theory applies, the regime the eigenvalues of the iteration matrix give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from momentum_viz import optimizers, theory
from momentum_viz.criteria import DEFAULT_TOL
from momentum_viz.simulate import Run
from momentum_viz.surface import ESCAPE_WIDTHS, Point

ANSWERS: dict[str, str] = {
    "smooth": "converges smoothly",
    "oscillates": "oscillates but converges",
    "spirals": "overshoots and spirals",
    "diverges": "diverges",
}
"""The four answers: id → the words the student picks."""
SPIRAL_TURNS = 1.0
"""A run that crossed the minimum spirals when it winds around it at least this many turns."""
NEAR = 0.02
"""The winding is counted until the ball first comes within this fraction of its starting
distance from the minimum (closer in, the turns are too small to see)."""
MAX_TURN_PER_STEP = math.pi / 2
"""A step that turns the ball by a quarter turn or more around the minimum jumps across it (a
zig-zag): it does not count towards the winding."""


@dataclass(frozen=True)
class Verdict:
    """What a run did: ``answer`` (a key of ``ANSWERS``), ``reason`` (sentences naming the
    measured numbers, and the theory's regime where it applies), and the measurements."""

    answer: str
    reason: str
    overshoots: int | None
    turns: float
    diverged_at: int | None

    @property
    def words(self) -> str:
        """The answer as the student reads it, e.g. "oscillates but converges"."""
        return ANSWERS[self.answer]


def winding(path: np.ndarray, target: Point) -> float:
    """How many turns (signed, counter-clockwise positive) ``path`` winds around ``target``.

    The angle of θ_k − target, step by step: each step's turn is taken in (−½, ½] of a turn,
    steps that turn by ``MAX_TURN_PER_STEP`` or more are left out (they jump across the
    target), and the sum runs until the path first comes within ``NEAR`` times its starting
    distance of the target (or to its last finite position). 0 for a path that starts there."""
    offset = np.asarray(path, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    offset = offset[: _finite_rows(offset)]
    radius = np.hypot(offset[:, 0], offset[:, 1])
    if len(radius) < 2 or radius[0] == 0:
        return 0.0
    close = np.flatnonzero(radius <= NEAR * radius[0])
    offset = offset[: close[0] if len(close) else len(offset)]
    turns = np.diff(np.arctan2(offset[:, 1], offset[:, 0]))
    turns = (turns + math.pi) % (2 * math.pi) - math.pi
    return float(np.sum(turns[np.abs(turns) < MAX_TURN_PER_STEP]) / (2 * math.pi))


def _finite_rows(values: np.ndarray) -> int:
    """How many leading rows of ``values`` are finite."""
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
    return int(bad[0]) if len(bad) else len(values)


def classify(run: Run, tol: float = DEFAULT_TOL) -> Verdict:
    """The run's answer (see the module's docstring) with its reason. ValueError for a run that
    did not diverge on a surface with no known minimum: there is nothing to converge to,
    overshoot or circle."""
    m = run.metrics(tol)
    note = theory_note(run, m.target) if m.target is not None else None
    if m.diverged_at is not None:
        reason = (f"It diverged at step {m.diverged_at:,}: it went farther than "
                  f"{ESCAPE_WIDTHS:g} map widths from the map's centre, or f stopped being a "
                  "finite number.")
        return Verdict("diverges", reason + (f" {note}" if note else ""), m.overshoots, 0.0,
                       m.diverged_at)
    if m.target is None:
        raise ValueError("the quiz needs a surface with a known minimum")
    turns = winding(run.path, m.target)
    if m.overshoots == 0:
        answer = "smooth"
        measured = "It never crossed the minimum along either principal axis (0 overshoots)"
    else:
        answer = "spirals" if abs(turns) >= SPIRAL_TURNS else "oscillates"
        measured = (f"It crossed the minimum along its principal axes {_times(m.overshoots)} "
                    f"and turned {_degrees(turns)} around it")
        measured += (" (a spiral: at least one full turn)" if answer == "spirals" else
                     ", less than the full turn of a spiral")
    reason = f"{measured}; {_arrival(run, m.steps_to_converge, m.target)}."
    return Verdict(answer, reason + (f" {note}" if note else ""), m.overshoots, turns, None)


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n:,} times"


def _degrees(turns: float) -> str:
    degrees = abs(turns) * 360
    text = f"{degrees:,.0f}°"
    if abs(turns) >= 1:
        text += f" ({abs(turns):.1f} full turns)"
    return text


def _arrival(run: Run, steps_to_converge: int | None, target: Point) -> str:
    if steps_to_converge == 0:
        return "it started at the minimum"
    if steps_to_converge is not None:
        return f"it reached the minimum in {steps_to_converge:,} step" + \
            ("" if steps_to_converge == 1 else "s")
    gap = float(np.hypot(*(run.path[-1] - np.asarray(target))))
    return f"after {run.steps:,} steps it is still {gap:.3g} away from the minimum"


def theory_note(run: Run, target: Point) -> str | None:
    """The regime along each eigenvalue λ of the Hessian at ``target``, from the eigenvalues of
    the iteration matrix (``theory.roots``), where the linear theory applies: an optimizer with
    a linear form, a constant lr, the exact gradient (no noise, no minibatches) and upward
    curvature (λ > 0) there. Exact on a quadratic surface; elsewhere it describes the
    quadratic that matches the surface near the minimum. None where it does not apply."""
    form = optimizers.get(run.optimizer).linear_theory
    if (form is None or run.spec.schedule is not None or run.noise or run.batch_size
            or run.surface.f_min is None):
        return None
    curvature = theory.curvature(run.surface, target)
    lams = sorted({curvature.lam_min, curvature.lam_max})
    if not all(np.isfinite(lams)) or lams[0] <= 0:
        return None
    where = ("on this quadratic" if curvature.exact else
             "near the minimum (for the quadratic that matches the surface there)")
    said = [_regime(run, lam) for lam in lams]
    if len(said) == 2 and said[0] == said[1]:  # the same words for both: said once
        both = said[0].replace("that component", "each component")
        return (f"Theory: {where}, the iteration matrix's eigenvalues along λ = {lams[0]:.4g} "
                f"and along λ = {lams[1]:.4g} {both}.")
    parts = [f"along λ = {lam:.4g} {words}" for lam, words in zip(lams, said, strict=True)]
    return f"Theory: {where}, the iteration matrix's eigenvalues {'; '.join(parts)}."


def _regime(run: Run, lam: float) -> str:
    """What the iteration matrix's eigenvalues along ``lam`` say, in words (after "the
    eigenvalues along λ")."""
    z1, z2 = (complex(z) for z in theory.roots(run.lr, run.spec.beta, lam, run.optimizer))
    rate = max(abs(z1), abs(z2))
    if not theory.stable(run.lr, run.spec.beta, lam, run.optimizer):
        return (f"include one of modulus {rate:.4g} ≥ 1: that component grows "
                "(divergent)")
    if z1.imag != 0:
        return (f"are complex, of modulus {rate:.4g}: that component swings back and "
                "forth as it shrinks (ripples)")
    if rate == 0:
        return "are both 0: that component is gone after two steps"
    dominant = z1.real if abs(z1) >= abs(z2) else z2.real
    if dominant < 0:
        return (f"are real and the larger, {dominant:.4g}, is negative: that "
                "component flips sign every step as it shrinks (oscillating)")
    return (f"are real and the larger is {dominant:.4g}: that component shrinks "
            "without changing sign (monotone)")


def position_at(run: Run, k: int) -> Point | None:
    """The run's position after ``k`` steps (0 ≤ k ≤ steps), or None once it has diverged."""
    if not 0 <= k <= run.steps:
        raise ValueError(f"k must be between 0 and {run.steps}")
    x, y = (float(v) for v in run.path[k])
    if (run.diverged_at is not None and k >= run.diverged_at) or not (
            math.isfinite(x) and math.isfinite(y)):
        return None
    return x, y
