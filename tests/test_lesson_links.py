"""A lesson's link (``?lesson=<id>``) opens the lesson with its explanation; the share box
offers it while the view is the lesson's."""

from __future__ import annotations

import pytest

from testkit.apptest import no_exception, open_page, text_of
from ui.lessons import LESSONS


@pytest.mark.parametrize("lesson", LESSONS[:2])
def test_a_lesson_link_opens_the_lesson_with_its_explanation(lesson):
    at = open_page(lesson=lesson.id)
    no_exception(at)
    assert at.session_state["setup"] == lesson.setup()
    shown = " ".join(i.value for i in at.info)
    assert f"**{lesson.title}.**" in shown and "**What to notice:**" in shown
    assert lesson.notice in shown
    assert at.query_params["lesson"] == lesson.id
    at.session_state["share_box"] = True  # the share box draws its link once opened
    at.run()
    assert f"This is the lesson “{lesson.title}”" in text_of(at)
    x0 = at.number_input(key="x0").value
    at.number_input(key="x0").set_value(x0 + 0.1).run()  # a change: no longer the lesson's view
    assert "lesson" not in at.query_params and not at.info


def test_an_unknown_lesson_id_warns_and_opens_the_default_view():
    at = open_page(lesson="nope")
    no_exception(at)
    assert any("URL parameter 'lesson' = `nope` must be one of" in w.value for w in at.warning)
    assert at.session_state["setup"]["lesson"] is None and not at.info
