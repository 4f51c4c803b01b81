"""Playground: momentum racing SGD across a loss surface, animated in the browser."""

import streamlit as st

import momentum_viz as mv
from momentum_viz.report import metrics_rows, reading, runs_csv
from ui import compute, controls, session
from ui.lessons import LESSONS
from ui.params import CUSTOM, run_specs
from ui.playground import CLICK_GRID, animation_html, display_rows
from ui.site import PLAYGROUND

setup = session.begin_page(PLAYGROUND)
st.title("Playground")
st.caption("Pick a surface, set the learning rate and β, and watch momentum race plain gradient "
           "descent: every path is drawn at once; ▶ Play rolls the balls along them.")

st.markdown("**Lessons** — one click sets everything:")
for row in range(0, len(LESSONS), 3):
    for column, i in zip(st.columns(3), range(row, row + 3), strict=True):
        column.button(LESSONS[i].title, key=f"lesson_{i}", on_click=controls.apply_lesson,
                      args=(i,), width="stretch")

with st.sidebar:
    st.header("Setup")
    controls.surface_controls()
    controls.learning_rate_controls()
    session.draw("beta")
    session.draw("steps")
    controls.start_controls()
    controls.optimizer_controls()
    with st.expander("Gradient noise"):
        controls.noise_controls()

setup = session.finish_page(PLAYGROUND)
lesson = st.session_state.get(session.LESSON_APPLIED)
if lesson is not None and LESSONS[lesson].setup() == setup:
    st.info(f"**{LESSONS[lesson].title}.** {LESSONS[lesson].explanation}")

surface, key, error = compute.current_surface(setup)
compute.show_formula_error(surface, error)
if setup["surface"] == CUSTOM:
    st.latex(surface.latex)
    st.latex(surface.grad_latex)
if not run_specs(setup):
    st.info("Choose at least one optimizer in the sidebar.")
    st.stop()

runs = compute.runs_for(setup, key)
chart_column, side_column = st.columns([5, 3], gap="medium")
with chart_column:
    paths_tab, surface_tab = st.tabs(["Paths (animated)", "3-D view"], key="view",
                                     on_change="rerun")
    if paths_tab.open:
        figure = compute.figure_for("paths", setup, key, click_grid=CLICK_GRID)
        st.plotly_chart(figure, key="paths_chart", on_select=controls.start_from_click,
                        selection_mode="points", config={"displaylogo": False})
        st.caption("Click anywhere on the map to start from there. Arrows: the downhill "
                   "direction −∇f (dotted) and the momentum run's velocity, scaled together.")
    if surface_tab.open:
        st.plotly_chart(compute.figure_for("surface3d", setup, key), key="surface_chart")
with side_column:
    st.markdown(f"##### {reading(runs)}")
    st.plotly_chart(compute.figure_for("loss", setup, key), key="loss_chart")

st.table(display_rows(metrics_rows(runs)))
st.caption(f"Converged: f − f* ≤ {mv.DEFAULT_TOL:g} from that step on. Overshoots: crossings "
           "of the minimum along its principal axes (a ravine's zig-zag counts).")
download_csv, download_html, share = st.columns([1, 1, 3])
download_csv.download_button("Runs (CSV)", data=lambda: runs_csv(runs), icon=":material/download:",
                             file_name="momentum_runs.csv", mime="text/csv", on_click="ignore")
download_html.download_button(
    "Animation (HTML)", file_name="momentum_animation.html", mime="text/html",
    icon=":material/download:", on_click="ignore",
    data=lambda: animation_html(compute.figure_for("paths", setup, key)),
    help="A standalone page with the animated chart that plays offline, for slides.")
with share:
    session.share_box(setup)
