"""The Tuning lab's map as a browser component: the sweep's picture, drawn once per map, with
the visitor's (lr, β) as a ring over it, and the β and lr sliders that move the ring and say
what the run there does while they are dragged. The theory page's rate map is the same
component without sliders (``show_plain``): its ring follows that page's stage.

The figure (``momentum_viz.figures.tuning_figure``, without the ring) is built once per map
(its sweep's inputs, the metric and the theory's curvature) and kept; the browser redraws it
only when a rerun brings a different one (its token), and otherwise just moves the ring
(``lab_component/lab_map.js``: an element laid over the plot, nothing redrawn). The sliders'
sentences come from one engine batch (``ui.lab.slider_sentences``), so the text shown at each
position is the engine's run there; a released value becomes the setup's, as on the stage. A
click on a cell sends that cell's lr and β back, which the page takes as "use this cell".
plotly.js is the one the stage loads (``ui.stage``): the same file, fetched once.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

import momentum_viz as mv
from momentum_viz.figures import tuning_figure
from ui import compute, controls, lab, stage
from ui.params import BETA_RANGE, LR_RANGE

KEY = "lab_map"
_HERE = Path(__file__).parent / "lab_component"
_lab_map = st.components.v2.component(
    "momentum_viz_lab_map", html="", css=(_HERE / "lab_map.css").read_text(encoding="utf-8"),
    js=stage.PLOTLY_LOADER + (_HERE / "lab_map.js").read_text(encoding="utf-8"),
    isolate_styles=False)


@compute.cached(lambda args: args[0][0], max_entries=16, ttl=3600, show_spinner=False)
def map_figure(sweep_inputs: tuple, metric: str,
               curvature: mv.theory.Curvature | None) -> dict:
    """The map of ``compute.cached_sweep(*sweep_inputs)`` as plotly JSON (a dict, shared across
    sessions, never modified), with its token: a digest of what it was built from."""
    figure = tuning_figure(compute.cached_sweep(*sweep_inputs), metric=metric,
                           curvature=curvature)
    return stage.tokened({"figure": json.loads(figure.to_json())},
                         (sweep_inputs, metric, curvature))


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
    setup's, a click on a cell uses it (``controls.use_cell``)."""
    drawn = map_figure(sweep_inputs, metric, curvature)
    _lab_map(key=KEY, data=drawn | {"plotly": stage.plotly_url(), "sliders": positions},
             on_cell_change=_cell_clicked, **stage.slider_callbacks(KEY))


def show_plain(key: str, drawn: dict, mine: tuple[float, float], mark: str = "ring") -> None:
    """A figure without sliders under widget ``key``: ``drawn`` (a figure with its token, as
    ``map_figure`` gives) with the visitor's (lr, β) ``mine`` marked, following the page's
    stage while its β or lr is dragged (the stage's scrub event) and nothing else. ``mark``:
    "ring" at (lr, β) on an (lr, β) map, or "vline", a line at β labelled "your β" on a chart
    whose x axis is β."""
    _lab_map(key=key, data=drawn | {"plotly": stage.plotly_url(), "mine": list(mine),
                                    "follow": True, "mark": mark})


def _cell_clicked() -> None:
    """A click on the map: the cell's lr and β, if the browser sent usable numbers."""
    cell = st.session_state[KEY].get("cell")
    if isinstance(cell, dict):
        lr = stage.browser_number(cell.get("lr"), *LR_RANGE)
        beta = stage.browser_number(cell.get("beta"), *BETA_RANGE)
        if lr is not None and beta is not None:
            controls.use_cell(lr, beta)
