"""What the pages compute, cached and shared across sessions: the current surface, the runs and
sweeps of a setup, and its figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import momentum_viz as mv
from momentum_viz.figures import (
    animation_gif,
    loss_figure,
    lr_figure,
    path_figure,
    surface3d_figure,
)
from ui import session
from ui.params import CUSTOM, Setup, default_setup, domain_of, run_specs

CACHE = dict(max_entries=64, ttl=3600, show_spinner=False)
"""Bounded caches: a classroom typing many formulas must not grow the server's memory."""


# -- the surface ---------------------------------------------------------------------------------
def surface_key(setup: Setup) -> tuple:
    """A hashable description of the surface: the preset id, or the formula and its domain."""
    if setup["surface"] == CUSTOM:
        return (CUSTOM, setup["formula"], domain_of(setup))
    return (setup["surface"],)


@st.cache_resource(**CACHE)
def _formula_surface(text: str, domain: mv.surface.Domain) -> mv.Surface:
    return mv.surface_from_formula(text, domain)


def surface_for(key: tuple) -> mv.Surface:
    """The Surface for ``surface_key``; may raise FormulaError."""
    return _formula_surface(key[1], key[2]) if key[0] == CUSTOM else mv.get_surface(key[0])


def current_surface(setup: Setup) -> tuple[mv.Surface, tuple, str | None]:
    """(surface, its key, error): for a formula that cannot be used, the error message and the
    last formula that worked, so the page keeps showing something true."""
    key = surface_key(setup)
    try:
        surface = surface_for(key)
    except mv.FormulaError as exc:
        fallback = st.session_state.get(session.LAST_GOOD_SURFACE,
                                        surface_key(default_setup(CUSTOM)))
        return surface_for(fallback), fallback, str(exc)
    st.session_state[session.LAST_GOOD_SURFACE] = key
    return surface, key, None


def show_formula_error(surface: mv.Surface, error: str | None) -> None:
    """Say why a typed formula can't be used, and which surface the page still shows."""
    if error:
        st.error(f"That formula can't be used: {error}. Still showing: `{surface.formula}`.",
                 icon=":material/block:")


# -- runs, sweeps and figures --------------------------------------------------------------------
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


def _run_inputs(setup: Setup, key: tuple) -> tuple:
    return (key, run_specs(setup), (setup["x0"], setup["y0"]), setup["steps"], setup["noise"],
            setup["seed"])


def runs_for(setup: Setup, key: tuple) -> list[mv.Run]:
    """The runs the setup asks for, from the bounded cache."""
    return cached_runs(*_run_inputs(setup, key))


FIGURES = {
    "paths": path_figure,
    "surface3d": surface3d_figure,
    "loss": lambda surface, runs, **options: loss_figure(runs, **options),
    "lr": lambda surface, runs, **options: lr_figure(runs, **options),
    "gif": animation_gif,
}


@st.cache_resource(**CACHE)
def _cached_figure(kind: str, inputs: tuple, options: tuple) -> go.Figure | bytes:
    return FIGURES[kind](surface_for(inputs[0]), cached_runs(*inputs), **dict(options))


def figure_for(kind: str, setup: Setup, key: tuple, **options) -> go.Figure | bytes:
    """One of ``FIGURES`` for this setup (a plotly figure, or the GIF's bytes), built once per
    distinct input (figures are shared, never modified)."""
    return _cached_figure(kind, _run_inputs(setup, key), tuple(sorted(options.items())))
