"""Presenter mode and the guided tour on the Playground, through Streamlit's AppTest: the flag
in the URL, entering and leaving it with the same setup, the tour's previous and next buttons
and its links (a tour stop is its lesson's link)."""

from __future__ import annotations

import pytest
from stage_spec import stage_of

from testkit.apptest import no_exception, open_page, text_of
from ui import present
from ui.lessons import LESSONS
from ui.params import query_from_setup
from ui.playground import VIEWS

FIRST, SECOND, LAST = LESSONS[0], LESSONS[1], LESSONS[-1]


def heading(at) -> str:
    """The presenter's title and line above the map."""
    return " ".join(str(m.value) for m in at.markdown)


def presented(lesson) -> dict:
    return lesson.setup() | {"present": True}


def test_a_presenter_link_opens_the_lesson_large_with_the_tour_and_an_exit():
    at = open_page(lesson=FIRST.id, present="1")
    no_exception(at)
    assert at.session_state["setup"] == presented(FIRST)
    assert dict(at.query_params) == {"lesson": FIRST.id, "present": "1"}
    shown = heading(at)
    assert FIRST.title in shown and f"**What to notice:** {FIRST.notice}" in shown
    assert f"Lesson 1 of {len(LESSONS)}" in shown
    assert FIRST.text in shown  # the whole explanation, below the map, for the presenter
    assert at.button(key="present_off").label == "Exit presenter mode"
    assert at.button(key="tour_back").disabled and not at.button(key="tour_next").disabled
    data = stage_of(at)
    assert data["present"] is True and data["tour"] is True
    assert not at.segmented_control and not at.info, "presenter mode shows the map alone"
    assert at.table, "the ravine's line points at the table: below the map"


def test_next_and_previous_walk_the_tour_in_presenter_mode_and_the_url_follows():
    at = open_page(lesson=FIRST.id, present="1")
    at.button(key="tour_next").click().run()
    no_exception(at)
    assert at.session_state["setup"] == presented(SECOND)
    assert dict(at.query_params) == {"lesson": SECOND.id, "present": "1"}
    assert SECOND.title in heading(at) and SECOND.notice in heading(at)
    assert stage_of(at)["present"] is True
    at.button(key="tour_back").click().run()
    assert at.session_state["setup"] == presented(FIRST)
    assert dict(at.query_params) == {"lesson": FIRST.id, "present": "1"}


def test_the_tour_stops_at_its_last_lesson():
    at = open_page(lesson=LAST.id, present="1")
    assert at.button(key="tour_next").disabled and not at.button(key="tour_back").disabled
    assert f"Lesson {len(LESSONS)} of {len(LESSONS)}" in heading(at)


def test_exit_returns_to_the_normal_view_with_the_same_setup():
    at = open_page(lesson=SECOND.id, present="1")
    at.button(key="tour_next").click().run()
    at.button(key="present_off").click().run()
    no_exception(at)
    third = LESSONS[2]
    assert at.session_state["setup"] == third.setup()
    assert dict(at.query_params) == {"lesson": third.id}
    assert stage_of(at)["present"] is False
    assert at.segmented_control(key="view").value == VIEWS[0]
    assert third.title in " ".join(i.value for i in at.info)
    assert at.button(key="present_on").label == "Presenter mode"


def test_entering_keeps_a_view_that_is_no_lesson_and_shows_its_reading():
    at = open_page(surface="bowl", lr="0.1", beta="0.5", steps="100")
    before = at.session_state["setup"]
    at.button(key="present_on").click().run()
    no_exception(at)
    assert at.session_state["setup"] == before | {"present": True}
    assert dict(at.query_params) == query_from_setup(before) | {"present": "1"}
    shown = heading(at)
    assert "Playground" in shown and "What to notice" not in shown
    assert "reached the minimum" in shown  # the reading of the runs: true for any view
    assert at.button(key="tour_next").label == "Start the tour"
    at.button(key="tour_next").click().run()
    assert at.session_state["setup"] == presented(FIRST)


def test_a_lesson_changed_in_presenter_mode_says_so_and_the_tour_goes_on_from_it():
    at = open_page(lesson=FIRST.id, present="1")
    at.select_slider(key="steps").set_value(150).run()  # the sidebar's controls, collapsed
    no_exception(at)
    shown = heading(at)
    assert f"{FIRST.title} (changed)" in shown and FIRST.notice not in shown
    assert f"Lesson 1 of {len(LESSONS)}, changed" in shown
    assert at.query_params["present"] == "1" and "lesson" not in at.query_params
    at.button(key="tour_next").click().run()
    assert at.session_state["setup"] == presented(SECOND)


def test_the_normal_view_walks_the_tour_too():
    at = open_page(lesson=FIRST.id)
    assert f"Guided tour** · Lesson 1 of {len(LESSONS)}" in text_of(at)
    at.button(key="tour_next").click().run()
    no_exception(at)
    assert at.session_state["setup"] == SECOND.setup()
    assert dict(at.query_params) == {"lesson": SECOND.id}
    assert SECOND.title in " ".join(i.value for i in at.info)


@pytest.mark.parametrize("value", ["yes", "2", "", "<script>"])
def test_a_bad_present_value_falls_back_to_the_normal_view_with_the_url_warning(value):
    at = open_page(lesson=FIRST.id, present=value)
    no_exception(at)
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("URL parameter 'present' = `") and "must be 0 or 1; using the "
               "default." in w for w in warnings), warnings
    assert at.session_state["setup"] == FIRST.setup()
    assert stage_of(at)["present"] is False and at.segmented_control(key="view")
    assert dict(at.query_params) == {"lesson": FIRST.id}  # the refused value is rewritten


def test_a_quiz_in_presenter_mode_keeps_its_answers_hidden_until_the_reveal():
    at = open_page(lesson=SECOND.id, quiz="1", present="1")
    no_exception(at)
    assert dict(at.query_params) == {"lesson": SECOND.id, "quiz": "1", "present": "1"}
    shown = heading(at)
    assert "Predict, then reveal" in shown and present.QUIZ_LINE in shown
    assert SECOND.title not in shown and SECOND.notice not in shown and SECOND.text not in shown
    assert not at.table and stage_of(at)["quiz"]["hidden"] and stage_of(at)["present"] is True
    at.button(key="quiz_reveal").click().run()
    no_exception(at)
    shown = heading(at)
    assert SECOND.title in shown and SECOND.notice in shown and at.table
    assert not stage_of(at)["quiz"]["hidden"]
