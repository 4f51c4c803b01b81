"""The Tuning lab's map as a browser component: the sweep's picture, drawn once per map, with
the visitor's (lr, β) as a ring over it, and the β and lr sliders that move the ring and say
what the run there does while they are dragged.

The figure (``momentum_viz.figures.tuning_figure``, without the ring) is built once per map
(its sweep's inputs, the metric and the theory's curvature) and kept; a rerun sends it only
when it is not the one this session's component was sent last (``plotly_live.once``:
otherwise its token alone), the browser redraws it only when it brings a different one, and
otherwise just moves the ring (``lab_component/lab_map.js``: an element laid over the plot,
nothing redrawn). The sliders'
sentences come from one engine batch (``ui.lab.slider_sentences``), so the text shown at each
position is the engine's run there; a released value becomes the setup's, as on the stage. A
click on a cell sends that cell's lr and β back, which the page takes as "use this cell".
plotly.js is the one the stage loads (``ui.stage``): the same file, fetched once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import momentum_viz as mv
from momentum_viz.figures import tuning_figure
from ui import advice, compute, controls, lab, plotly_live, session, stage
from ui.params import BETA_RANGE, LR_RANGE, Setup, query_from_setup
from ui.site import PLAYGROUND, page_script

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

KEY = "lab_map"
SWEPT = "lab_map_swept"
"""Session state: the inputs of the last sweep the page computed or found (``computing``)."""
_HERE = Path(__file__).parent / "lab_component"
_lab_map = st.components.v2.component(
    "momentum_viz_lab_map", html="", css=(_HERE / "lab_map.css").read_text(encoding="utf-8"),
    js=stage.PLOTLY_LOADER + (_HERE / "lab_map.js").read_text(encoding="utf-8"),
    isolate_styles=False)


@compute.cached(lambda args: args[0][0], max_entries=16, ttl=3600, show_spinner=False)
def map_figure(sweep_inputs: tuple, metric: str,
               curvature: mv.theory.Curvature | None) -> dict:
    """The map of ``compute.cached_sweep(*sweep_inputs)`` as plotly JSON (a dict, shared across
    sessions, never modified), with its token: a digest of what it was built from. What is
    only read off a hover travels as float32 (``compact``)."""
    figure = compact(tuning_figure(compute.cached_sweep(*sweep_inputs), metric=metric,
                                   curvature=curvature)).add_trace(plotly_live.RING_LEGEND)
    return stage.tokened({"figure": json.loads(figure.to_json())},
                         (sweep_inputs, metric, curvature))


def compact(figure: go.Figure) -> go.Figure:
    """``figure`` with its heatmaps' hover numbers (customdata: shown to 3 digits) and step
    counts (whole numbers, exact in float32) as float32: a third fewer bytes to send and
    decode. Colours by final loss keep every bit of their float64 z."""
    for trace in figure.data:
        if trace.type == "heatmap":
            if trace.customdata is not None:
                trace.customdata = np.asarray(trace.customdata, np.float32)
            if trace.name == "steps":
                trace.z = np.asarray(trace.z, np.float32)
    return figure


@compute.cached(**compute.CACHE)
def sliders(key: tuple, optimizer: str, lr: float, beta: float, start: tuple[float, float],
            steps: int, noise: float, seed: int, batch_size: int | None, seeds: int,
            span: tuple[float, float], betas: tuple[float, float]) -> dict:
    """``lab.slider_sentences`` on the surface ``key`` (shared across sessions, except on a
    visitor's own data: ``compute.cached``)."""
    return lab.slider_sentences(compute.surface_for(key), optimizer, lr, beta, start=start,
                                steps=steps, noise=noise, seed=seed, batch_size=batch_size,
                                seeds=seeds, span=span, betas=betas)


def show(sweep_inputs: tuple, metric: str, curvature: mv.theory.Curvature | None,
         positions: dict) -> None:
    """Draw the map of the sweep ``sweep_inputs`` coloured by ``metric`` with the β and lr
    sliders (``sliders``: their ``positions`` and sentences): a released value becomes the
    setup's, a click on a cell uses it (``controls.use_cell``). The figure goes to the browser
    only when it is not the one sent last (``plotly_live.once``)."""
    data = plotly_live.once(KEY, map_figure(sweep_inputs, metric, curvature))
    _lab_map(key=KEY, data=data | {"plotly": stage.plotly_url(), "sliders": positions},
             on_cell_change=_cell_clicked, on_missing_change=partial(plotly_live.forget, KEY),
             **stage.slider_callbacks(KEY))


@st.fragment
def follow(sweep_inputs: tuple, metric: str, curvature: mv.theory.Curvature | None,
           betas: tuple[float, float], places: dict[str, DeltaGenerator]) -> None:
    """Everything on the page that shows the setup's lr and β, drawn into its ``places`` (made
    by the page, each in its spot): the URL and the page links ("links", ``session.publish``),
    the lr advice ("advice"), the link to the Playground ("link"), the map of the sweep
    ``sweep_inputs`` with its sliders ("map", ``show``) and the share box ("share"). A fragment:
    a released lr or β, the advice's button or the share box reruns it alone, with the setup
    its callback left; a click on a cell (``controls.use_cell``), which says what it changed at
    the top of the page, reruns the whole page. The sweep's own inputs come from the page's
    last run (every other control reruns the page)."""
    state = st.session_state
    if state.get(session.CELL_APPLIED):
        st.rerun()
    setup = state[session.SETUP]
    publish(setup, places)
    with places["link"]:
        st.page_link(page_script(PLAYGROUND), label="Open in the Playground",
                     icon=":material/play_circle:", query_params=query_from_setup(setup))
    key, optimizer, span, _, _, steps, start, noise, seed, batch_size, seeds = sweep_inputs
    positions = sliders(key, optimizer, setup["lr"], setup["beta"], start, steps, noise, seed,
                        batch_size, seeds, span, betas)
    with places["map"]:
        show(sweep_inputs, metric, curvature, positions)
    with places["share"]:
        session.share_box(setup)


def publish(setup: Setup, places: dict[str, DeltaGenerator]) -> None:
    """What shows lr and β besides the map: the URL and the page links ("links",
    ``session.publish``) and the lr advice ("advice"). ``follow`` draws them; the page itself
    when it has no map to draw."""
    session.publish(setup, places["links"])
    with places["advice"]:
        advice.advice_controls(setup)


@contextmanager
def computing(inputs: tuple, text: str) -> Iterator[None]:
    """Around the map's sweep: ``st.spinner(text)`` (shown after half a second, with the time
    taken) unless this session's last map had the same ``inputs`` (``SWEPT``), so a rerun that
    computes nothing new (an lr or β released) starts no spinner and its timer thread."""
    state = st.session_state
    if state.get(SWEPT) == inputs:
        yield
        return
    with st.spinner(text, show_time=True):
        yield
    state[SWEPT] = inputs


def _cell_clicked() -> None:
    """A click on the map: the cell's lr and β, if the browser sent usable numbers."""
    cell = st.session_state[KEY].get("cell")
    if isinstance(cell, dict):
        lr = stage.browser_number(cell.get("lr"), *LR_RANGE)
        beta = stage.browser_number(cell.get("beta"), *BETA_RANGE)
        if lr is not None and beta is not None:
            controls.use_cell(lr, beta)
