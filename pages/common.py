"""Streamlit helpers shared by every page: the setup's life cycle (URL → widgets → URL), the
shared controls, the current surface, cached computations and the share link."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

import momentum_viz as mv
from momentum_viz.figures import loss_figure, path_figure, surface3d_figure
from pages.params import (
    BETA_RANGE,
    CUSTOM,
    DOMAIN_LIMIT,
    LR_RANGE,
    NOISE_MAX,
    OPTIMIZER_NAMES,
    PAGE_DEFAULTS,
    SEED_MAX,
    START_WIDTHS,
    STEPS_RANGE,
    ParamError,
    default_setup,
    domain_of,
    parse_betas,
    query_from_setup,
    run_specs,
    setup_from_query,
    start_is_reasonable,
    surface_defaults,
)

CACHE = dict(max_entries=64, ttl=3600, show_spinner=False)
"""Bounded caches: a classroom typing many formulas must not grow the server's memory."""


# -- the setup's life cycle ----------------------------------------------------------------------
def begin_page(page: str) -> dict:
    """Call first on every page. On a session's first run the setup comes from the URL (with a
    warning per unusable parameter); on the first run of a page the widgets take its values."""
    if PagesManager.uses_pages_directory:
        # A fresh server opened at a page's own URL (/tuning_lab) runs that file alone, in
        # Streamlit's legacy pages/ mode, until app.py has called st.navigation once. Leave
        # that mode (as st.navigation itself does) and rerun through app.py.
        PagesManager.uses_pages_directory = False
        st.rerun()
    state = st.session_state
    if "setup" not in state:
        state.setup, state.url_warnings = setup_from_query(st.query_params.to_dict())
    if state.get("page") != page:
        push_widgets(state.setup)
        state.page = page
    for warning in state.pop("url_warnings", []):
        st.warning(warning, icon=":material/warning:")
    return state.setup


def finish_page() -> dict:
    """Call after the controls: reads the widgets into the setup and mirrors it in the URL."""
    state = st.session_state
    state.setup = read_widgets(state.setup)
    query = query_from_setup(state.setup)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    return state.setup


def apply_setup(setup: dict) -> None:
    """Replace the whole setup (a lesson, a "use best" button): for use in a callback."""
    st.session_state.setup = setup
    push_widgets(setup)


def apply_changes(**changes) -> None:
    """Change some values of the setup (e.g. lr and β picked on a map): for use in a callback."""
    apply_setup(st.session_state.setup | changes)


def push_widgets(setup: dict) -> None:
    """Give every control the setup's value (widgets read their value from session state)."""
    state = st.session_state
    for name in ("surface", "formula", "xmin", "xmax", "ymin", "ymax", "beta", "steps",
                 "x0", "y0", "noise", "seed", "compare", *PAGE_DEFAULTS):
        state[name] = setup[name]
    state.lr = setup["lr"]
    state.lr_log = _log_lr(setup["lr"])
    state.opt = list(setup["opt"])
    state.sgd_own = setup["sgd_lr"] is not None
    state.sgd_lr = setup["sgd_lr"] if setup["sgd_lr"] is not None else setup["lr"]
    state.betas = ", ".join(f"{b:g}" for b in setup["betas"])


def read_widgets(setup: dict) -> dict:
    """The setup as the controls now show it (controls a page does not render keep their value)."""
    state = st.session_state
    new = dict(setup)
    for name in ("surface", "formula", "xmin", "xmax", "ymin", "ymax", "lr", "beta", "x0",
                 "y0", "noise", "compare", "map_opt", "map_metric", "map_lr_min", "map_lr_max",
                 "kappa"):
        if name in state:
            new[name] = state[name]
    for name in ("steps", "seed", "map_grid", "map_steps", "rotation"):
        if name in state:
            new[name] = int(state[name])
    if "map_beta" in state:
        new["map_beta"] = tuple(state.map_beta)
    if "opt" in state:
        new["opt"] = [o for o in mv.OPTIMIZERS if o in state.opt]
    if "sgd_own" in state:
        new["sgd_lr"] = state.sgd_lr if state.sgd_own else None
    if "betas" in state:
        try:
            new["betas"] = parse_betas(state.betas)
        except ParamError as exc:
            st.warning(f"β values {exc}; keeping {', '.join(f'{b:g}' for b in setup['betas'])}.")
    return new


# -- controls ------------------------------------------------------------------------------------
def surface_controls() -> None:
    """Surface picker; for a custom formula, the formula (with f and ∇f) and its domain."""
    options = [*mv.SURFACE_IDS, CUSTOM]
    names = mv.presets.preset_names() | {CUSTOM: "Custom formula…"}
    st.selectbox("Surface", options, key="surface", format_func=names.get,
                 on_change=_surface_changed)
    if st.session_state.surface == CUSTOM:
        st.text_input("Formula f(x, y)", key="formula", max_chars=mv.formula.MAX_LENGTH,
                      help="Type it as you would write it: x^2 + 10y^2, sin(x)cos(y), "
                           "(1-x)^2 + 100(y-x^2)^2, exp(-x^2-y^2), abs(x)+abs(y), log(1+x^2).")
        with st.expander("Domain"):
            left, right = st.columns(2)
            bounds = dict(step=0.5, format="%.4g", min_value=-DOMAIN_LIMIT,
                          max_value=DOMAIN_LIMIT)
            left.number_input("x min", key="xmin", **bounds)
            right.number_input("x max", key="xmax", **bounds)
            left.number_input("y min", key="ymin", **bounds)
            right.number_input("y max", key="ymax", **bounds)


def learning_rate_controls(label: str = "Learning rate") -> None:
    """lr on a log-scale slider, with the exact value shown and editable beside it."""
    st.slider(f"{label} (log scale)", math.log10(LR_RANGE[0]), math.log10(LR_RANGE[1]),
              step=0.01, key="lr_log", format="10^%.2f", on_change=_lr_from_log)
    st.number_input("lr (exact)", min_value=LR_RANGE[0], max_value=LR_RANGE[1], step=0.0001,
                    format="%.6g", key="lr", on_change=_log_from_lr)


def beta_control() -> None:
    """The momentum coefficient β, 0 to 0.999."""
    st.slider("Momentum β", BETA_RANGE[0], BETA_RANGE[1], step=0.001, key="beta",
              format="%.3f", help="0 is plain gradient descent; near 1 the ball barely slows.")


def steps_control() -> None:
    """How many steps every run takes."""
    st.slider("Steps", STEPS_RANGE[0], STEPS_RANGE[1], step=1, key="steps")


def start_controls() -> None:
    """The start point (x₀, y₀); one too far from the surface goes back to its default."""
    left, right = st.columns(2)
    left.number_input("Start x₀", key="x0", step=0.1, format="%.4g",
                      min_value=-1e6, max_value=1e6, on_change=_start_changed)
    right.number_input("Start y₀", key="y0", step=0.1, format="%.4g",
                       min_value=-1e6, max_value=1e6, on_change=_start_changed)


def optimizer_controls() -> None:
    """Which runs to compare; SGD's own lr; the β comparison."""
    st.multiselect("Optimizers", list(mv.OPTIMIZERS), key="opt",
                   format_func=OPTIMIZER_NAMES.get, disabled=st.session_state.compare)
    st.checkbox("Give SGD its own learning rate", key="sgd_own",
                help="A fair race: momentum's steady-state step is lr/(1−β), so SGD may "
                     "deserve a larger lr.")
    if st.session_state.sgd_own:
        st.number_input("SGD lr", min_value=LR_RANGE[0], max_value=LR_RANGE[1], step=0.0001,
                        format="%.6g", key="sgd_lr")
    st.toggle("Compare several β (momentum only)", key="compare")
    if st.session_state.compare:
        st.text_input("β values", key="betas", help="Comma-separated, e.g. 0, 0.5, 0.9, 0.99")


def noise_controls() -> None:
    """Gradient noise σ and its seed: the same noise for every run."""
    left, right = st.columns(2)
    left.number_input("Gradient noise σ", key="noise", min_value=0.0, max_value=NOISE_MAX,
                      step=0.1, format="%.4g")
    right.number_input("Seed", key="seed", min_value=0, max_value=SEED_MAX, step=1)


def _surface_changed() -> None:
    state = st.session_state
    for name, value in surface_defaults(state.surface).items():
        state[name] = value
    state.lr_log = _log_lr(state.lr)


def start_from_click() -> None:
    """The paths chart's ``on_select``: start the runs from the clicked point.

    Chart callbacks live here, not in a page: Streamlit keeps the metadata of every chart a
    session has drawn (a chart's id changes with its figure), callback included, and a page's
    own function would keep that run's whole namespace alive with it (figures, runs, the
    surface): about 0.6 MB a rerun, for as long as the session lasts."""
    points = st.session_state.paths_chart.selection.get("points", [])
    if points:
        st.session_state.x0 = round(float(points[0]["x"]), 4)
        st.session_state.y0 = round(float(points[0]["y"]), 4)


def use_cell(lr: float, beta: float) -> None:
    """Take a Tuning lab cell to the shared setup: its lr and β, and the map's optimizer and
    steps, so the Playground replays this cell's run."""
    setup = st.session_state.setup
    lr = min(max(float(f"{lr:.4g}"), LR_RANGE[0]), LR_RANGE[1])
    beta = min(max(round(beta, 3), BETA_RANGE[0]), BETA_RANGE[1])
    opt = [o for o in mv.OPTIMIZERS if o in {*setup["opt"], setup["map_opt"]}]
    apply_changes(lr=lr, beta=beta, opt=opt, steps=setup["map_steps"], compare=False)
    st.session_state.lab_used = (lr, beta)


def use_clicked_cell() -> None:
    """The Tuning lab map's ``on_select`` (here for the reason given in ``start_from_click``)."""
    points = st.session_state.lab_map.selection.get("points", [])
    if points:
        use_cell(float(points[0]["x"]), float(points[0]["y"]))


def _start_changed() -> None:
    """A start typed too far from the surface goes back to its default, with a warning that
    names it, as for a URL (``start_is_reasonable``)."""
    state = st.session_state
    setup = state.setup | {name: state[name] for name in ("surface", "xmin", "xmax", "ymin",
                                                          "ymax", "x0", "y0") if name in state}
    if not start_is_reasonable(setup):
        default = surface_defaults(setup["surface"])
        state.x0, state.y0 = default["x0"], default["y0"]
        state.setdefault("url_warnings", []).append(  # shown by begin_page, as a URL's are
            f"The start (x0, y0) = ({setup['x0']:g}, {setup['y0']:g}) is more than "
            f"{START_WIDTHS:g} domain widths from the surface; back to its default start "
            f"({state.x0:g}, {state.y0:g}).")


def _lr_from_log() -> None:
    st.session_state.lr = float(f"{10 ** st.session_state.lr_log:.3g}")


def _log_from_lr() -> None:
    st.session_state.lr_log = _log_lr(st.session_state.lr)


def _log_lr(lr: float) -> float:
    low, high = (math.log10(v) for v in LR_RANGE)
    return round(min(max(math.log10(lr), low), high), 2)


# -- the surface and cached computations ---------------------------------------------------------
def surface_key(setup: dict) -> tuple:
    """A hashable description of the surface: the preset id, or the formula and its domain."""
    if setup["surface"] == CUSTOM:
        return (CUSTOM, setup["formula"], domain_of(setup))
    return (setup["surface"],)


@st.cache_resource(**CACHE)
def _formula_surface(text: str, domain) -> mv.Surface:
    return mv.surface_from_formula(text, domain)


def surface_for(key: tuple) -> mv.Surface:
    """The Surface for ``surface_key``; may raise FormulaError."""
    return _formula_surface(key[1], key[2]) if key[0] == CUSTOM else mv.get_surface(key[0])


def current_surface(setup: dict) -> tuple[mv.Surface, tuple, str | None]:
    """(surface, its key, error): for a formula that cannot be used, the error message and the
    last formula that worked, so the page keeps showing something true."""
    key = surface_key(setup)
    try:
        surface = surface_for(key)
    except mv.FormulaError as exc:
        fallback = st.session_state.get("good_surface_key", surface_key(default_setup(CUSTOM)))
        return surface_for(fallback), fallback, str(exc)
    st.session_state.good_surface_key = key
    return surface, key, None


def show_formula_error(surface: mv.Surface, error: str | None) -> None:
    """Say why a typed formula can't be used, and which surface the page still shows."""
    if error:
        st.error(f"That formula can't be used: {error}. Still showing: `{surface.formula}`.",
                 icon=":material/block:")


@st.cache_resource(**CACHE)
def cached_runs(key: tuple, specs: tuple, start: tuple, steps: int, noise: float,
                seed: int) -> list[mv.Run]:
    """Runs for a setup, shared across sessions (results are never modified)."""
    return mv.simulate_many(surface_for(key), list(specs), start=start, steps=steps,
                            noise=noise, seed=seed)


@st.cache_resource(**(CACHE | {"max_entries": 16}))
def cached_sweep(key: tuple, optimizer: str, lr_span: tuple[float, float],
                 beta_span: tuple[float, float], size: int, steps: int, start: tuple,
                 noise: float, seed: int) -> mv.Sweep:
    """A size × size sweep, lr log-spaced and β evenly spaced over their spans. Fewer entries
    than the other caches: a 200 × 200 sweep holds about 1.3 MB."""
    lrs = np.logspace(*np.log10(lr_span), size)
    lrs[[0, -1]] = lr_span  # exactly the span's ends: 10**log10(a) may miss a by one ulp
    return mv.sweep(surface_for(key), optimizer=optimizer, lrs=lrs,
                    betas=np.linspace(*beta_span, size), start=start, steps=steps, noise=noise,
                    seed=seed)


def _run_inputs(setup: dict, key: tuple) -> tuple:
    return (key, run_specs(setup), (setup["x0"], setup["y0"]), setup["steps"], setup["noise"],
            setup["seed"])


def runs_for(setup: dict, key: tuple) -> list[mv.Run]:
    """The runs the setup asks for, from the bounded cache."""
    return cached_runs(*_run_inputs(setup, key))


FIGURES = {
    "paths": path_figure,
    "surface3d": surface3d_figure,
    "loss": lambda surface, runs, **options: loss_figure(runs, **options),
}


@st.cache_resource(**CACHE)
def _cached_figure(kind: str, inputs: tuple, options: tuple) -> go.Figure:
    return FIGURES[kind](surface_for(inputs[0]), cached_runs(*inputs), **dict(options))


def figure_for(kind: str, setup: dict, key: tuple, **options) -> go.Figure:
    """One of ``FIGURES`` for this setup, built once per distinct input (figures are shared,
    never modified)."""
    return _cached_figure(kind, _run_inputs(setup, key), tuple(sorted(options.items())))


# -- sharing -------------------------------------------------------------------------------------
def share_link(setup: dict) -> str:
    """The address of this view, to copy into slides or a chat."""
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{urlencode(query_from_setup(setup))}"


def share_box(setup: dict) -> None:
    """The link that reproduces this view, with a copy button."""
    with st.expander("Share this view", icon=":material/link:"):
        st.caption("Copy the link (the icon at the right of the box): it opens this exact view.")
        st.code(share_link(setup), language=None, wrap_lines=True)
