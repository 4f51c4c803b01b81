"""Playground: momentum racing SGD, Adam and the others across a loss surface, animated in the
browser."""

import streamlit as st

from momentum_viz.report import runs_csv
from ui import compute, controls, layout, present, quiz, session, stage, tour
from ui.params import CUSTOM, run_specs
from ui.playground import (
    VIEWS,
    animation_html,
    lr_chart,
    metrics_table,
    seeded_reading,
    spread_caption,
)
from ui.site import PLAYGROUND

setup = session.begin_page(PLAYGROUND)
present.page_config(setup)
stage.preload()
with st.sidebar:
    st.header("Setup")
    session.draw("quiz")
    controls.surface_controls()
    session.draw("steps")
    controls.start_controls()
    controls.optimizer_controls()
    with st.expander("Learning-rate schedule"):
        controls.schedule_controls()
    with st.expander("Noise, minibatches and seeds"):
        controls.noise_controls()

setup = session.finish_page(PLAYGROUND)

surface, key, error = compute.current_surface(setup)
compute.show_formula_error(surface, error, setup)
if not run_specs(setup):
    st.info("Choose at least one optimizer in the sidebar.")
    st.stop()

runs = compute.runs_for(setup, key)
spread = compute.spread_for(setup, key)
quizzing = quiz.available(setup, surface)
shown = quiz.sync(setup, key, quizzing)  # False: a quiz's paths, hidden until the reveal
if setup["present"]:  # the map for a projector: the lesson's title above it, large type
    present.heading(setup, seeded_reading(setup, runs, spread) if shown else None)
    show_paths, show_surface = True, False
else:
    view = st.segmented_control("View", VIEWS, default=VIEWS[0], required=True, key="view",
                                label_visibility="collapsed")
    show_paths, show_surface = view == VIEWS[0], view == VIEWS[1]
if show_paths and quizzing and not setup["present"]:  # the questions beside the map
    with st.container(key=layout.BESIDE):
        map_column, quiz_column = st.columns([3, 2], gap="medium")
    with map_column:
        stage.mount(setup, key, quiz.stage_quiz(setup, runs, shown))
    with quiz_column:
        quiz.panel(setup, runs, shown)
elif show_paths:
    stage.mount(setup, key, quiz.stage_quiz(setup, runs, shown) if quizzing else None)
    if spread:
        st.caption(spread_caption(setup, surface))
    if setup["present"]:
        st.caption(present.KEYS)
    else:
        st.caption("Drag β or lr: every path redraws as you drag, each one exact. Click the map "
                   "to start from there. Keys: space plays, ← → step, n and p the tour's next "
                   "and previous lesson. β is β₁ for Adam and the momentum of RMSprop; the "
                   "solid arrow is the run's actual next step.")
if show_paths:
    lr_chart(setup, key)
if show_surface and not shown:
    st.info("The 3-D view shows the paths: it opens once the quiz is revealed.")
elif show_surface:
    st.plotly_chart(compute.figure_for("surface3d", setup, key), key="surface_chart")
if setup["present"]:  # below the fold: the quiz, the lesson's text, the table it may point at
    if quizzing:
        quiz.panel(setup, runs, shown)
    if shown:
        present.details(setup)
        metrics_table(runs, setup, spread)
    st.stop()
if shown:
    st.markdown(f"##### {seeded_reading(setup, runs, spread)}")
if setup["surface"] == CUSTOM:  # below the stage: the map stays where the eye is
    st.markdown("\n\n".join(f"${line}$" for line in (surface.latex, *surface.grad_latex)))
lesson = tour.shown_lesson(setup)
if lesson is not None and not quizzing:  # in a quiz its words would tell the answers
    st.info(f"**{lesson.title}.** {lesson.explanation}")
present.tour_row(setup)
controls.lesson_picker(setup)

if not shown:  # the table and the downloads tell the answers: they wait for the reveal
    session.share_box(setup)
    st.stop()
metrics_table(runs, setup, spread)
with st.container(horizontal=True):  # what does not fit the row goes below, never shortened
    st.download_button("Runs (CSV)", data=lambda: runs_csv(runs), icon=":material/download:",
                       file_name="momentum_runs.csv", mime="text/csv", on_click="ignore")
    st.download_button(
        "Animation (HTML)", file_name="momentum_animation.html", mime="text/html",
        icon=":material/download:", on_click="ignore",
        data=lambda: animation_html(compute.figure_for("paths", setup, key)),
        help="A standalone page with the animated chart that plays offline, for slides.")
    st.download_button(
        "Animation (GIF)", file_name="momentum_animation.gif", mime="image/gif",
        icon=":material/download:", on_click="ignore",
        data=lambda: compute.figure_for("gif", setup, key),
        help="The map with the paths growing step by step, 640×480, for slides.")
    session.share_box(setup)
