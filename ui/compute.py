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
from momentum_viz.report import spread_rows
from ui import session, uploads
from ui.params import (
    CSV_SURFACES,
    CUSTOM,
    Setup,
    batch_problem,
    default_setup,
    domain_of,
    run_specs,
    sampling_of,
)

CACHE = dict(max_entries=64, ttl=3600, show_spinner=False)
"""Bounded caches: a classroom typing many formulas must not grow the server's memory."""
SESSION_RESULTS = "csv_results"
"""Session state: results computed from the session's uploaded data (``cached``)."""
SESSION_ENTRIES = 8


def cached(surface_key_at=lambda args: args[0], **options):
    """``st.cache_resource(**options)`` for a function one of whose arguments is a surface key
    (``surface_key_at`` finds it), except on the surface of a visitor's CSV: its results stay
    in that session (a few, the latest), so the data is never held beyond that session."""
    def wrap(function):
        shared = st.cache_resource(**options)(function)

        def call(*args):
            if surface_key_at(args)[0] not in CSV_SURFACES:
                return shared(*args)
            memo = st.session_state.setdefault(SESSION_RESULTS, {})
            entry = (function.__name__, *args)
            if entry not in memo:
                while len(memo) >= SESSION_ENTRIES:
                    memo.pop(next(iter(memo)))
                memo[entry] = function(*args)
            return memo[entry]
        call.__doc__ = function.__doc__
        return call
    return wrap


# -- the surface ---------------------------------------------------------------------------------
def surface_key(setup: Setup) -> tuple:
    """A hashable description of the surface: the preset id, the formula and its domain, or a
    CSV surface's id and its data's digest."""
    if setup["surface"] == CUSTOM:
        return (CUSTOM, setup["formula"], domain_of(setup))
    if setup["surface"] in CSV_SURFACES:
        return uploads.key_of(setup["surface"])
    return (setup["surface"],)


@st.cache_resource(**CACHE)
def _formula_surface(text: str, domain: mv.surface.Domain) -> mv.Surface:
    return mv.surface_from_formula(text, domain)


def surface_for(key: tuple) -> mv.Surface:
    """The Surface for ``surface_key``; may raise FormulaError or (a CSV surface) CsvError."""
    if key[0] in CSV_SURFACES:
        return uploads.surface(key)
    return _formula_surface(key[1], key[2]) if key[0] == CUSTOM else mv.get_surface(key[0])


def current_surface(setup: Setup) -> tuple[mv.Surface, tuple, str | None]:
    """(surface, its key, error): for a formula that cannot be used, the error message and the
    last formula that worked, so the page keeps showing something true."""
    key = surface_key(setup)
    try:
        surface = surface_for(key)
    except (mv.FormulaError, uploads.CsvError) as exc:
        fallback = st.session_state.get(session.LAST_GOOD_SURFACE,
                                        surface_key(default_setup(CUSTOM)))
        return surface_for(fallback), fallback, str(exc)
    st.session_state[session.LAST_GOOD_SURFACE] = key
    return surface, key, None


def show_formula_error(surface: mv.Surface, error: str | None, setup: Setup) -> None:
    """Say why a typed formula or an uploaded data set can't be used, and which surface the
    page still shows; and when the setup's minibatches are larger than the data."""
    problem = batch_problem(setup, surface)
    if problem:
        st.warning(problem, icon=":material/warning:")
    if not error:
        return
    what = "That data set" if setup["surface"] in CSV_SURFACES else "That formula"
    shown = surface.name if surface.data is not None else f"`{surface.formula}`"
    st.error(f"{what} can't be used: {error}. Still showing: {shown}.", icon=":material/block:")


# -- runs, sweeps and figures --------------------------------------------------------------------
@cached(**CACHE)
def cached_runs(key: tuple, specs: tuple, start: tuple, steps: int, noise: float,
                seed: int, batch_size: int | None = None) -> list[mv.Run]:
    """Runs for a setup, shared across sessions (results are never modified)."""
    return mv.simulate_many(surface_for(key), list(specs), start=start, steps=steps,
                            noise=noise, seed=seed, batch_size=batch_size)


@cached(**CACHE)
def cached_spread(key: tuple, specs: tuple, start: tuple, steps: int, noise: float, seed: int,
                  batch_size: int | None, seeds: int) -> list[dict]:
    """The spread over ``seeds`` seeds of the setup's runs (``report.spread_rows`` of
    ``mv.simulate_seeds_many``), shared likewise; only the rows are kept (the runs of 100
    seeds can take a hundred MB)."""
    return spread_rows(mv.simulate_seeds_many(surface_for(key), list(specs), seeds=seeds,
                                              start=start, steps=steps, noise=noise, seed=seed,
                                              batch_size=batch_size))


@cached(**(CACHE | {"max_entries": 16}))
def cached_sweep(key: tuple, optimizer: str, lr_span: tuple[float, float],
                 beta_span: tuple[float, float], size: int, steps: int, start: tuple,
                 noise: float, seed: int, batch_size: int | None = None,
                 seeds: int = 1) -> mv.Sweep:
    """A size × size sweep, lr log-spaced and β evenly spaced over their spans, each cell the
    median over ``seeds`` seeds. Fewer entries than the other caches: a 200 × 200 sweep holds
    about 1.3 MB."""
    lrs = np.logspace(*np.log10(lr_span), size)
    lrs[[0, -1]] = lr_span  # exactly the span's ends: 10**log10(a) may miss a by one ulp
    return mv.sweep(surface_for(key), optimizer=optimizer, lrs=lrs,
                    betas=np.linspace(*beta_span, size), start=start, steps=steps, noise=noise,
                    seed=seed, batch_size=batch_size, seeds=seeds)


def _run_inputs(setup: Setup, key: tuple) -> tuple:
    noise, batch_size = sampling_of(setup, surface_for(key))
    return (key, run_specs(setup), (setup["x0"], setup["y0"]), setup["steps"], noise,
            setup["seed"], batch_size)


def stochastic(setup: Setup, key: tuple) -> bool:
    """Whether the runs on the surface ``key`` see noise or minibatches (so that their seed
    matters)."""
    noise, batch_size = sampling_of(setup, surface_for(key))
    return bool(noise) or batch_size is not None


def spread_for(setup: Setup, key: tuple) -> list[dict] | None:
    """The spread of the setup's runs over its ``seeds`` seeds (``cached_spread``), or None
    when there is one seed or nothing random (every seed would give the same run)."""
    if setup["seeds"] == 1 or not stochastic(setup, key):
        return None
    return cached_spread(*_run_inputs(setup, key), setup["seeds"])


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


@cached(lambda args: args[1][0], **CACHE)
def _cached_figure(kind: str, inputs: tuple, options: tuple) -> go.Figure | bytes:
    return FIGURES[kind](surface_for(inputs[0]), cached_runs(*inputs), **dict(options))


def figure_for(kind: str, setup: Setup, key: tuple, **options) -> go.Figure | bytes:
    """One of ``FIGURES`` for this setup (a plotly figure, or the GIF's bytes), built once per
    distinct input (figures are shared, never modified)."""
    return _cached_figure(kind, _run_inputs(setup, key), tuple(sorted(options.items())))
