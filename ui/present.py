"""Presenter mode (``?present=1``) and the guided tour's controls.

Presenter mode is the Playground for a projector: the sidebar collapsed, the lesson's title and
its "what to notice" line large above the map, the stage filling the screen with large type
(``ui/stage_component``: the ``present`` flag of its data), the tour's previous and next
buttons (keys n and p) and a button back to the normal view. The styles (``present.css``) only
restyle Streamlit's elements while the mode is on; they are sent with the page, so leaving the
mode drops them."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import controls, tour
from ui.lessons import LESSONS
from ui.params import Setup

_CSS = (Path(__file__).parent / "present.css").read_text(encoding="utf-8")
QUIZ_LINE = "How will each run go? Answer for each one below the map, then reveal the paths."
KEYS = ("Keys: space plays, ← → step, n and p (or a remote's Page Down and Page Up) go to the "
        "next and the previous lesson.")


def page_config(setup: Setup) -> None:
    """The sidebar collapsed in presenter mode, as usual otherwise (Streamlit sends the state
    only when it changes: entering collapses it, leaving brings it back)."""
    st.set_page_config(initial_sidebar_state="collapsed" if setup["present"] else "auto")


def tour_row(setup: Setup) -> None:
    """The normal view's tour controls: where the view is on the tour, previous and next, and
    the button that enters presenter mode."""
    with st.container(horizontal=True, vertical_alignment="center", key="tour_row"):
        st.markdown(f"**Guided tour** · {tour.where(setup)}", width="content")
        _tour_buttons(setup)
        st.button("Presenter mode", icon=":material/slideshow:", key="present_on",
                  on_click=controls.set_present, args=(True,),
                  help="For a projector: the map fills the screen, the lesson's title and what "
                       "to notice above it in large type, keys n and p for the tour.")


def heading(setup: Setup, reading: str | None) -> None:
    """Presenter mode's top: the styles, the lesson's title with the tour's controls and the
    exit button, and the lesson's "what to notice" line. A view that is no lesson's (or no
    longer its lesson's) shows ``reading``, the one-line reading of its runs, which is true for
    any view. While a quiz hides the paths (``reading`` None) the lesson's words and the
    reading would tell the answers: the line asks for predictions instead."""
    st.html(f"<style>{_CSS}</style>")
    lesson = tour.shown_lesson(setup)
    here = tour.position(setup)
    if reading is None:
        title, line = "Predict, then reveal", QUIZ_LINE
    elif lesson is not None:
        title, line = lesson.title, f"**What to notice:** {lesson.notice}"
    elif here is not None:
        title, line = f"{LESSONS[here].title} (changed)", reading
    else:
        title, line = "Playground", reading
    with st.container(horizontal=True, vertical_alignment="center", key="present_head"):
        with st.container(key="present_title"):
            st.markdown(title)
        st.markdown(tour.where(setup), width="content")
        _tour_buttons(setup)
        st.button("Exit presenter mode", icon=":material/close:", key="present_off",
                  on_click=controls.set_present, args=(False,))
    with st.container(key="present_line"):
        st.markdown(line)


def details(setup: Setup) -> None:
    """Below the map in presenter mode: the lesson's whole explanation, for the presenter."""
    lesson = tour.shown_lesson(setup)
    if lesson is not None:
        st.markdown(lesson.text)


def _tour_buttons(setup: Setup) -> None:
    back, ahead = tour.step(setup, -1), tour.step(setup, +1)
    st.button("Previous", icon=":material/arrow_back:", key="tour_back", disabled=back is None,
              on_click=controls.tour_step, args=(-1,),
              help=None if back is None else f"{LESSONS[back].title} (key p)")
    st.button("Next" if tour.position(setup) is not None else "Start the tour",
              icon=":material/arrow_forward:", key="tour_next", disabled=ahead is None,
              on_click=controls.tour_step, args=(1,),
              help=None if ahead is None else f"{LESSONS[ahead].title} (key n)")
