"""Playground: momentum racing SGD, Adam and the others across a loss surface, animated in the
browser."""

import streamlit as st

import momentum_viz as mv
from momentum_viz.report import metrics_rows, reading, runs_csv
from ui import compute, controls, quiz, session, stage
from ui.lessons import LESSONS
from ui.params import CUSTOM, run_specs, schedule_of
from ui.playground import animation_html, display_rows, spread_caption, spread_rows
from ui.site import PLAYGROUND

setup = session.begin_page(PLAYGROUND)
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
many = compute.seeds_for(setup, key)
quizzing = quiz.available(setup, surface)
shown = quiz.sync(setup, key, quizzing)  # False: a quiz's paths, hidden until the reveal
paths_tab, surface_tab = st.tabs(["Paths (drag β or lr, ▶ to play)", "3-D view"], key="view",
                                 on_change="rerun")
if paths_tab.open and quizzing:  # the questions, then the marks, beside the map
    map_column, quiz_column = st.columns([3, 2], gap="medium")
    with map_column:
        stage.mount(setup, key, quiz.stage_quiz(setup, runs, shown))
    with quiz_column:
        quiz.panel(setup, runs, shown)
elif paths_tab.open:
    stage.mount(setup, key)
    if many:
        st.caption(spread_caption(setup, many))
    st.caption("Drag β or lr: every path redraws as you drag, each one exact. Click the map to "
               "start from there. Keys: space plays, ← → step. β is β₁ for Adam and the "
               "momentum of RMSprop; the solid arrow is the run's actual next step.")
if paths_tab.open and schedule_of(setup) is not None:
    st.plotly_chart(compute.figure_for("lr", setup, key), key="lr_chart",
                    config={"displaylogo": False})
if surface_tab.open and not shown:
    st.info("The 3-D view shows the paths: it opens once the quiz is revealed.")
elif surface_tab.open:
    st.plotly_chart(compute.figure_for("surface3d", setup, key), key="surface_chart")
if shown:
    st.markdown(f"##### {reading(runs)}")
if setup["surface"] == CUSTOM:  # below the stage: the map stays where the eye is
    st.latex(surface.latex)
    st.latex(surface.grad_latex)
lesson = st.session_state.get(session.LESSON_APPLIED)
if lesson is not None and LESSONS[lesson].setup() == setup:
    st.info(f"**{LESSONS[lesson].title}.** {LESSONS[lesson].explanation}")
st.markdown("**Lessons** — one click sets everything:")
with st.container(horizontal=True):  # buttons as wide as their titles, wrapping: none cut off
    for i, entry in enumerate(LESSONS):
        st.button(entry.title, key=f"lesson_{i}", on_click=controls.apply_lesson, args=(i,))

if not shown:  # the table and the downloads tell the answers: they wait for the reveal
    session.share_box(setup)
    st.stop()
st.table(display_rows(metrics_rows(runs)))
if many:
    st.markdown(f"**Over {setup['seeds']} seeds** (the table above is seed {setup['seed']}'s run):")
    st.table(display_rows(spread_rows(many)))
st.caption(f"Converged: f − f* ≤ {mv.DEFAULT_TOL:g} from that step on. Overshoots: crossings "
           "of the minimum along its principal axes (a ravine's zig-zag counts).")
download_csv, download_html, download_gif, share = st.columns([1, 1.4, 1.3, 2.3])
download_csv.download_button("Runs (CSV)", data=lambda: runs_csv(runs), icon=":material/download:",
                             file_name="momentum_runs.csv", mime="text/csv", on_click="ignore")
download_html.download_button(
    "Animation (HTML)", file_name="momentum_animation.html", mime="text/html",
    icon=":material/download:", on_click="ignore",
    data=lambda: animation_html(compute.figure_for("paths", setup, key)),
    help="A standalone page with the animated chart that plays offline, for slides.")
download_gif.download_button(
    "Animation (GIF)", file_name="momentum_animation.gif", mime="image/gif",
    icon=":material/download:", on_click="ignore",
    data=lambda: compute.figure_for("gif", setup, key),
    help="The map with the paths growing step by step, 640×480, for slides.")
with share:
    session.share_box(setup)
