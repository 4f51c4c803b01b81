"""Tuning lab: every (lr, β) at once. A sweep maps steps to converge over the grid, the theory's
stability limit and critical damping are drawn over it, and a click takes a cell to the
Playground."""

import streamlit as st

import momentum_viz as mv
from ui import compute, controls, lab, lab_map, session, stage
from ui.params import PARAM, sampling_of
from ui.site import LAB

setup = session.begin_page(LAB)
stage.preload()
st.title("Tuning lab")

with st.sidebar:
    st.header("Setup")
    controls.surface_controls()
    controls.start_controls()
    st.caption("Your β and learning rate: the sliders above the map.")
    advice_place = st.container()  # the lr advice: drawn with the map, it follows lr
    with st.expander("Noise, minibatches and seeds"):
        controls.noise_controls()
    st.header("Map")
    controls.map_controls()

setup = session.finish_page(LAB, publish_here=False)  # the URL follows lr and β: drawn below
places = dict(links=session.nav_slot(), advice=advice_place)  # lab_map.follow fills them
surface, key, error = compute.current_surface(setup)
compute.show_formula_error(surface, error, setup)
optimizer, steps = setup["map_opt"], setup["map_steps"]
noise, batch_size = sampling_of(setup, surface)
seeds = lab.map_seeds(setup, surface)
size = lab.map_grid(setup, surface, seeds)
if not size:
    st.warning(f"This map would take too long: {steps:,} steps × {seeds} seeds on this "
               "surface. Lower the steps per run or the seeds.")
    lab_map.publish(setup, places)
    st.stop()
start = (setup["x0"], setup["y0"])
curvature, scale, scale_source = lab.reference(surface, start)
factors = (setup["map_lr_min"], setup["map_lr_max"])
if not factors[0] < factors[1]:
    st.warning("The lr range needs “from” below “to”; showing the default range.")
    factors = tuple(PARAM[name].default(setup["surface"]) for name in ("map_lr_min",
                                                                         "map_lr_max"))
span = lab.lr_span(scale, factors)
st.caption(lab.map_caption(setup, surface, size))

sweep_inputs = (key, optimizer, span, setup["map_beta"], size, steps, start, noise, setup["seed"],
                batch_size, seeds)
with lab_map.computing(sweep_inputs, f"Running {size * size * seeds:,} optimizers for "
                                     f"{steps:,} steps each…"):
    sweep = compute.cached_sweep(*sweep_inputs)

used = session.take(session.CELL_APPLIED)
if used:
    st.success(lab.cell_message(*used), icon="✅")
best_column, link_column = st.columns([3, 2], gap="medium", vertical_alignment="center")
with best_column:
    best = sweep.best()
    if best is None:
        st.markdown(f"**No cell converged** within {steps:,} steps."
                    + (" With noise the runs jitter about the minimum: colour by final loss."
                       if (noise or batch_size) and setup["map_metric"] == "steps" else ""))
    else:
        median = " (the median over seeds)" if seeds > 1 else ""
        st.markdown(f"**Fastest cell** (★): {best.steps:,} steps{median} at "
                    f"lr = {best.lr:.4g}, β = {best.beta:.3f}")
        st.button("Use best", key="use_best", icon=":material/star:", on_click=controls.use_cell,
                  args=(best.lr, best.beta),
                  help="Sets lr and β, and the Playground's optimizers and steps to the map's, "
                       "so it replays this cell.")
places |= dict(link=link_column, map=st.container())
linear = mv.optimizers.get(optimizer).linear_theory is not None
st.caption(lab.span_caption(span, factors, scale, scale_source, linear and sweep.betas[0] == 0))
st.markdown(lab.theory_note(surface, curvature, optimizer))
if curvature is not None and linear:
    st.markdown("Left of the dashed blue line the slow direction creeps (over-damped); right "
                "of the dotted purple one the fast direction flips sign every step; past the "
                "black line every run diverges."
                + (" On a quadratic the best rate is where the two damping lines meet."
                   if optimizer != "nesterov" else ""))
places["share"] = st.container()
# the map, and everything that shows lr and β: a released lr or β reruns this alone
lab_map.follow(sweep_inputs, setup["map_metric"], curvature,
               (float(sweep.betas[0]), float(sweep.betas[-1])), places)
