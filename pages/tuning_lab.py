"""Tuning lab: every (lr, β) at once. A sweep maps steps to converge over the grid, the theory's
stability limit and critical damping are drawn over it, and a click takes a cell to the
Playground."""

from __future__ import annotations

import streamlit as st

import momentum_viz as mv
from momentum_viz.figures import tuning_figure
from pages import common
from pages.params import (
    LR_FACTORS,
    LR_RANGE,
    MAP_BETA_RANGE,
    MAP_GRID_RANGE,
    MAP_METRICS,
    MAP_OPTIMIZERS,
    MAP_STEPS_RANGE,
    OPTIMIZER_NAMES,
    PAGE_DEFAULTS,
    query_from_setup,
)


def map_controls() -> None:
    """The map's optimizer, colouring, grid size, steps and (lr, β) ranges."""
    st.selectbox("Optimizer", MAP_OPTIMIZERS, key="map_opt", format_func=OPTIMIZER_NAMES.get,
                 help="Plain SGD is the β = 0 row of every map.")
    st.radio("Colour by", list(MAP_METRICS), key="map_metric", format_func=MAP_METRICS.get,
             horizontal=True)
    st.slider("Grid (cells per side)", *MAP_GRID_RANGE, step=10, key="map_grid",
              help="200 × 200 = 40,000 runs: a second or two.")
    st.slider("Steps per run", *MAP_STEPS_RANGE, step=10, key="map_steps")
    st.markdown("lr range, in multiples of plain GD's limit 2/λmax:")
    low, high = st.columns(2)
    for column, key, label in ((low, "map_lr_min", "from"), (high, "map_lr_max", "to")):
        column.select_slider(label, LR_FACTORS, key=key, format_func=lambda f: f"{f:g}×")
    st.slider("β range", *MAP_BETA_RANGE, step=0.01, key="map_beta")


def reference(surface: mv.Surface, start: tuple[float, float]) \
        -> tuple[mv.theory.Curvature | None, float, str]:
    """The curvature the theory's curves use (None: draw none), the lr that the map's range
    is measured in (plain GD's limit 2/λmax) and where that λmax comes from."""
    minimum = surface.nearest_minimum(start)
    curvature = mv.theory.curvature(surface, minimum) if minimum is not None else None
    if curvature is not None and curvature.lam_max > 0:
        return curvature, 2 / curvature.lam_max, f"at the minimum {_point(minimum)}"
    lam_max = float(mv.theory.hessian_eigenvalues(surface, start)[-1])
    if lam_max > 0:
        return None, 2 / lam_max, f"at the start {_point(start)} (no usable minimum)"
    return None, 1.0, "taken as 2 (the surface curves nowhere upward at the start)"


def lr_span(scale: float, factors: tuple[float, float]) -> tuple[float, float]:
    """The map's lr range: ``factors`` × ``scale``, kept within what the Playground accepts."""
    low, high = (min(max(f * scale, LR_RANGE[0]), LR_RANGE[1]) for f in factors)
    return (low, high) if high > low * 1.01 else (LR_RANGE[0], LR_RANGE[0] * 100)


def theory_note(surface: mv.Surface, curvature: mv.theory.Curvature | None) -> str:
    """What the drawn theory curves are: exact, a local approximation, or absent, and why."""
    if not surface.minima:
        return "This surface has no minimum, so no quadratic to compare with: no theory curves."
    if curvature is None:
        return ("The Hessian at the minimum is flat or undefined, so the quadratic theory says "
                "nothing here: no curves.")
    lams = f"λ = {curvature.lam_min:.4g} and {curvature.lam_max:.4g}"
    if curvature.exact:
        return f"The curves are **exact**: this surface is a quadratic with {lams}."
    return (f"The curves are a **local approximation**: the quadratic that matches the surface "
            f"at its minimum {_point(curvature.point)} nearest the start ({lams}). Far from it "
            "the surface curves differently.")


def _point(p) -> str:
    return f"({p[0]:.4g}, {p[1]:.4g})"


setup = common.begin_page("tuning_lab")
st.title("Tuning lab")

with st.sidebar:
    st.header("Setup")
    common.surface_controls()
    common.start_controls()
    common.learning_rate_controls("Your learning rate")
    common.beta_control()
    with st.expander("Gradient noise"):
        common.noise_controls()
    st.header("Map")
    map_controls()

setup = common.finish_page()
surface, key, error = common.current_surface(setup)
common.show_formula_error(surface, error)
optimizer, steps, size = setup["map_opt"], setup["map_steps"], setup["map_grid"]
start = (setup["x0"], setup["y0"])
curvature, scale, scale_source = reference(surface, start)
factors = (setup["map_lr_min"], setup["map_lr_max"])
if not factors[0] < factors[1]:
    st.warning("The lr range needs “from” below “to”; showing the default range.")
    factors = (PAGE_DEFAULTS["map_lr_min"], PAGE_DEFAULTS["map_lr_max"])
span = lr_span(scale, factors)
st.caption(f"Each of the {size} × {size} cells is one run of **{OPTIMIZER_NAMES[optimizer]}** "
           f"on {surface.name} from {_point(start)} for {steps} steps"
           + (f", with gradient noise σ = {setup['noise']:g} (seed {setup['seed']})"
              if setup["noise"] else "")
           + ". Click a cell to use its lr and β.")

with st.spinner(f"Running {size * size:,} optimizers for {steps:,} steps each…", show_time=True):
    sweep = common.cached_sweep(key, optimizer, span, setup["map_beta"], size, steps, start,
                                setup["noise"], setup["seed"])

used = st.session_state.pop("lab_used", None)
if used:
    st.success(f"Set lr = {used[0]:g} and β = {used[1]:g}, with the map's optimizer and "
               f"{steps} steps: the Playground now replays this cell.", icon="✅")
best_column, mine_column, link_column = st.columns([3, 3, 2], gap="medium",
                                                   vertical_alignment="center")
with best_column:
    best = sweep.best()
    if best is None:
        st.markdown(f"**No cell converged** within {steps:,} steps.")
    else:
        st.markdown(f"**Fastest cell** (★): {best.steps:,} steps at "
                    f"lr = {best.lr:.4g}, β = {best.beta:.3f}")
        st.button("Use best", key="use_best", icon=":material/star:", on_click=common.use_cell,
                  args=(best.lr, best.beta),
                  help="Sets lr and β, and the Playground's optimizers and steps to the map's, "
                       "so it replays this cell.")
with mine_column:
    mine = common.cached_runs(key, (mv.RunSpec(optimizer, setup["lr"], setup["beta"]),), start,
                              steps, setup["noise"], setup["seed"])[0].metrics()
    outcome = (f"diverged at step {mine.diverged_at}" if mine.diverged_at is not None
               else f"converged in {mine.steps_to_converge:,} steps"
               if mine.steps_to_converge is not None else f"not converged in {steps:,} steps")
    inside = span[0] <= setup["lr"] <= span[1] and sweep.betas[0] <= setup["beta"] <= \
        sweep.betas[-1]
    st.markdown(f"**Your setting** (○): lr = {setup['lr']:g}, β = {setup['beta']:g}: {outcome}"
                + ("." if inside else "; it lies outside this map."))
with link_column:
    st.page_link("pages/playground.py", label="Open in the Playground",
                 icon=":material/play_circle:", query_params=query_from_setup(setup))

figure = tuning_figure(sweep, metric=setup["map_metric"], curvature=curvature,
                       current=(setup["lr"], setup["beta"]))
st.plotly_chart(figure, key="lab_map", on_select=common.use_clicked_cell, selection_mode="points",
                config={"displaylogo": False})
sgd_row = " The bottom row, β = 0, is plain SGD." if sweep.betas[0] == 0 else ""
clipped = "" if span == (factors[0] * scale, factors[1] * scale) else \
    f" (kept within the Playground's lr range {LR_RANGE[0]:g} to {LR_RANGE[1]:g})"
st.caption(f"lr from {span[0]:.3g} to {span[1]:.3g}: {factors[0]:g}× to "
           f"{factors[1]:g}× plain gradient descent's stability limit 2/λmax = "
           f"{scale:.3g}, λmax {scale_source}{clipped}.{sgd_row} Converged: f − f* ≤ "
           f"{mv.DEFAULT_TOL:g} from that step on.")
st.markdown(theory_note(surface, curvature))
if curvature is not None:
    st.markdown("Left of the dashed blue line the slow direction creeps (over-damped); right "
                "of the dotted purple one the fast direction flips sign every step; past the "
                "black line every run diverges."
                + (" On a quadratic the best rate is where the two damping lines meet."
                   if optimizer != "nesterov" else ""))
common.share_box(setup)
