"""Predict, then reveal: the Playground's quiz (``?quiz=1``, or the sidebar's toggle).

While the paths are hidden the student picks one of ``momentum_viz.quiz.ANSWERS`` for each
run and may click the map where the momentum ball will be after k steps; "Reveal" draws the
paths and marks each answer against the run's own verdict (``momentum_viz.quiz.classify``),
with the reason, and says how far the guess was. Answers, guess and reveal belong to one
question (the runs): when the runs change they are cleared and the paths hide again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from momentum_viz.quiz import ANSWERS, Verdict, classify, position_at
from momentum_viz.simulate import Run
from momentum_viz.surface import Surface
from ui import session
from ui.params import QUIZ_PARAMS, Setup

ANSWER_PREFIX = "quiz_answer_"
"""The answer widgets' keys: ``quiz_answer_<run index>``."""


@dataclass(frozen=True)
class Mark:
    """One run's answer, marked: the run's label, the answer given (a key of ``ANSWERS``, None
    for no answer) and the run's verdict."""

    label: str
    given: str | None
    verdict: Verdict

    @property
    def right(self) -> bool | None:
        """Whether the answer is the run's (None: no answer was given)."""
        return None if self.given is None else self.given == self.verdict.answer

    def text(self) -> str:
        """The mark in a sentence or two, then the reason."""
        actual = f"it {self.verdict.words}"
        if self.given is None:
            said = f"no answer; {actual}."
        elif self.right:
            said = f"you said “{ANSWERS[self.given]}”: right."
        else:
            said = f"you said “{ANSWERS[self.given]}”, but {actual}."
        return f"**{self.label}** — {said} {self.verdict.reason}"


def valid_answer(value: object) -> str | None:
    """``value`` if it is one of the four answers' keys, else None (no answer)."""
    return value if isinstance(value, str) and value in ANSWERS else None


def marks(runs: Sequence[Run], answers: Sequence[object]) -> list[Mark]:
    """Each run's answer (``answers[i]`` for ``runs[i]``; anything but an answer's key counts
    as no answer) marked against ``classify(run)``."""
    return [Mark(run.label, valid_answer(given), classify(run))
            for run, given in zip(runs, answers, strict=True)]


def ball(runs: Sequence[Run]) -> int:
    """The run whose ball the guess is about: the first heavy-ball momentum run, else the first
    that uses β, else the first."""
    for chosen in ((i for i, r in enumerate(runs) if r.optimizer == "momentum"),
                   (i for i, r in enumerate(runs) if r.spec.entry.uses_beta)):
        index = next(chosen, None)
        if index is not None:
            return index
    return 0


def k_of(setup: Setup) -> int:
    """The step the guess is for: the setup's k, at most its number of steps."""
    return min(setup["quiz_k"], setup["steps"])


def _point(point: Sequence[float]) -> str:
    return f"({point[0]:.3g}, {point[1]:.3g})"


def guess_text(run: Run, k: int, guess: Sequence[float] | None) -> str:
    """How far the guess was from where ``run`` was after ``k`` steps, in a sentence."""
    steps = f"{k:,} step{'' if k == 1 else 's'}"
    actual = position_at(run, k)
    if actual is None:
        before = f", before step {k:,}," if run.diverged_at < k else ""
        gone = (f"{run.label} diverged at step {run.diverged_at:,}{before} and was nowhere on "
                "the map by then")
        if guess is None:
            return f"You made no guess of where {run.label} would be after {steps}; {gone}."
        return f"Your guess was {_point(guess)}, but {gone}."
    if guess is None:
        return (f"You made no guess of where {run.label} would be after {steps}: it was at "
                f"{_point(actual)}.")
    (x0, x1), (y0, y1) = run.surface.domain
    distance = float(np.hypot(guess[0] - actual[0], guess[1] - actual[1]))
    share = distance / max(x1 - x0, y1 - y0) * 100
    return (f"Your guess {_point(guess)} was {distance:.3g} from where {run.label} was after "
            f"{steps}, {_point(actual)}: {share:.0f}% of the map's width.")


def question(setup: Setup, key: tuple) -> tuple:
    """What the answers are about: the surface and every setting but the quiz's own (any of
    them may change the runs)."""
    return key, tuple((name, repr(value)) for name, value in sorted(setup.items())
                      if name not in (*QUIZ_PARAMS, "lesson"))


def available(setup: Setup, surface: Surface) -> bool:
    """Whether the quiz is on and can be answered: the surface needs a known minimum (to
    converge to, overshoot or circle); without one an info says so and the paths show."""
    if setup["quiz"] and not surface.minima:
        st.info("The quiz needs a surface with a known minimum, and this one has none: the "
                "paths are shown.", icon=":material/quiz:")
    return bool(setup["quiz"] and surface.minima)


def sync(setup: Setup, key: tuple, quizzing: bool) -> bool:
    """Call before the stage: clears the answers, guess and reveal when the question changed
    (or the quiz is off). Whether the paths may be shown: the quiz is off, or revealed."""
    state = st.session_state
    asked = question(setup, key) if quizzing else None
    if state.get(session.QUIZ_QUESTION) != asked:
        state[session.QUIZ_QUESTION] = asked
        for name in [n for n in state if str(n).startswith(ANSWER_PREFIX)]:
            del state[name]
        state.pop(session.QUIZ_GUESS, None)
        state.pop(session.QUIZ_REVEALED, None)
    return asked is None or session.QUIZ_REVEALED in state


def stage_quiz(setup: Setup, runs: Sequence[Run], revealed: bool) -> dict:
    """What the stage needs in quiz mode: whether the paths are hidden, the guess, and (once
    revealed) the position of the ball the guess is about after k steps."""
    j, k = ball(runs), k_of(setup)
    guess = st.session_state.get(session.QUIZ_GUESS)
    actual = position_at(runs[j], k) if revealed else None
    return dict(hidden=not revealed, ball=j, k=k, label=runs[j].label,
                guess=list(guess) if guess else None, answer=list(actual) if actual else None)


def panel(setup: Setup, runs: Sequence[Run], revealed: bool) -> None:
    """The questions beside the stage (an answer per run, k, the guess, "Reveal"), or, once
    revealed, each answer marked with its reason and the guess's distance."""
    state = st.session_state
    guess = state.get(session.QUIZ_GUESS)
    if not revealed:
        st.markdown("**Predict, then reveal.** What will each run do? Then click the map where "
                    f"the {runs[ball(runs)].label} ball will be after {k_of(setup):,} steps "
                    "(optional).")
        for i, run in enumerate(runs):
            st.radio(run.label, tuple(ANSWERS), format_func=ANSWERS.get, index=None,
                     key=f"{ANSWER_PREFIX}{i}", horizontal=True)
        session.draw("quiz_k", max_value=setup["steps"])
        st.caption(f"Your guess: {_point(guess)}." if guess else "No guess yet: click the map.")
        st.button("Reveal", key="quiz_reveal", type="primary", icon=":material/visibility:",
                  on_click=_reveal, args=(len(runs),))
        return
    st.markdown(guess_text(runs[ball(runs)], k_of(setup), guess))
    for mark in marks(runs, state[session.QUIZ_REVEALED]):
        show = st.info if mark.right is None else st.success if mark.right else st.error
        show(mark.text())
    st.button("Hide the paths and try again", key="quiz_again", icon=":material/replay:",
              on_click=_again)


def _reveal(count: int) -> None:
    """"Reveal": the answers given are kept (their radios are not drawn once revealed)."""
    state = st.session_state
    state[session.QUIZ_REVEALED] = [valid_answer(state.get(f"{ANSWER_PREFIX}{i}"))
                                    for i in range(count)]


def _again() -> None:
    st.session_state[session.QUIZ_QUESTION] = None  # the next run clears the answers
