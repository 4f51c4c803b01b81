"""The guided tour (ui/tour.py) on its own: its stops are the lessons in their declared order,
its position is the view's lesson, and it stops at either end."""

from __future__ import annotations

import pytest

from ui import tour
from ui.lessons import LESSON_IDS, LESSONS
from ui.params import default_setup, presented_as

ISSUE_ORDER = ("ravine", "spiral", "divergence", "critical-damping", "noise", "rosenbrock",
               "adam-vs-momentum")
"""The tour the classroom asked for: the ravine → β too high → the stability limit → critical
damping → noise → the banana valley → Adam."""


def test_the_tour_runs_through_every_lesson_in_the_asked_for_order():
    stops = [lesson.id for lesson in LESSONS]
    assert [s for s in stops if s in ISSUE_ORDER] == list(ISSUE_ORDER)
    setup, seen = default_setup(), []
    while (index := tour.step(setup, +1)) is not None:  # from no lesson: the first, then on
        setup = LESSONS[index].setup()
        seen.append(setup["lesson"])
    assert seen == stops == list(LESSON_IDS)


@pytest.mark.parametrize("index", range(len(LESSONS)))
def test_next_and_previous_are_the_neighbours_and_stop_at_the_ends(index):
    setup = LESSONS[index].setup()
    assert tour.position(setup) == index
    assert tour.step(setup, +1) == (index + 1 if index + 1 < len(LESSONS) else None)
    assert tour.step(setup, -1) == (index - 1 if index > 0 else None)
    assert tour.shown_lesson(setup) is LESSONS[index]
    assert tour.where(setup) == f"Lesson {index + 1} of {len(LESSONS)}"


def test_the_position_is_the_lesson_even_presented_or_changed():
    ravine = LESSONS[0].setup()
    presented = presented_as(ravine, ravine | {"present": True})
    assert presented["present"] is True
    assert tour.shown_lesson(presented) is LESSONS[0] and tour.position(presented) == 0
    changed = ravine | {"steps": 77}
    assert tour.shown_lesson(changed) is None  # its words no longer describe the view
    assert tour.position(changed) == 0 and tour.step(changed, +1) == 1
    assert tour.where(changed) == f"Lesson 1 of {len(LESSONS)}, changed"


def test_a_view_of_no_lesson_starts_the_tour_and_has_no_previous():
    setup = default_setup()
    assert tour.position(setup) is None and tour.shown_lesson(setup) is None
    assert tour.step(setup, +1) == 0 and tour.step(setup, -1) is None
    assert tour.where(setup) == f"{len(LESSONS)} lessons"
