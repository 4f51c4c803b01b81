"""The guided tour: the lessons one after another, in the order ``ui.lessons.LESSONS`` declares
them (a new lesson is one more entry there, and one more stop of the tour). The tour keeps no
state of its own: its position is the view's lesson (the setup's ``lesson``; its link is
``?lesson=<id>``), so a lesson's link is also a link to that stop of the tour."""

from __future__ import annotations

from ui.lessons import LESSON_IDS, LESSONS, Lesson
from ui.params import Setup, lesson_view


def position(setup: Setup) -> int | None:
    """The index in the tour of the setup's lesson (the one last chosen, even if the view has
    changed since), or None when no lesson was chosen."""
    return None if setup["lesson"] is None else LESSON_IDS.index(setup["lesson"])


def step(setup: Setup, by: int) -> int | None:
    """The index of the lesson ``by`` stops along the tour from the setup's (+1 the next, −1
    the previous); from a view that is no lesson's, the next is the first. None past either
    end."""
    here = position(setup)
    target = (by - 1 if by > 0 else None) if here is None else here + by
    return target if target is not None and 0 <= target < len(LESSONS) else None


def shown_lesson(setup: Setup) -> Lesson | None:
    """The lesson whose view this exactly is (however presented), or None."""
    return LESSONS[position(setup)] if lesson_view(setup) else None


def where(setup: Setup) -> str:
    """Where the view is on the tour, in words: "Lesson 3 of 8", "Lesson 3 of 8, changed"
    (the view is no longer the lesson's) or "8 lessons" (none chosen)."""
    here = position(setup)
    if here is None:
        return f"{len(LESSONS)} lessons"
    return f"Lesson {here + 1} of {len(LESSONS)}" + ("" if lesson_view(setup) else ", changed")
