"""The Tuning lab's map as a browser component: the sweep's picture is drawn once per map, and
the visitor's (lr, β) is a mark over it that moves without redrawing the picture.

The figure (``momentum_viz.figures.tuning_figure``, without the mark) is built once per map
(its sweep's inputs, the metric and the theory's curvature) and kept; the browser redraws it
only when a rerun brings a different one (its token), and otherwise just moves the mark
(``lab_component/lab_map.js``: two layout shapes, no heatmap redrawn). A click on a cell sends
that cell's lr and β back, which the page takes as "use this cell". plotly.js is the one the
stage loads (``ui.stage``): the same file, fetched once.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

import momentum_viz as mv
from momentum_viz.figures import tuning_figure
from ui import compute, controls, stage
from ui.params import BETA_RANGE, LR_RANGE

KEY = "lab_map"
_HERE = Path(__file__).parent / "lab_component"
_lab_map = st.components.v2.component(
    "momentum_viz_lab_map", html="", css=(_HERE / "lab_map.css").read_text(encoding="utf-8"),
    js=stage.PLOTLY_LOADER + (_HERE / "lab_map.js").read_text(encoding="utf-8"),
    isolate_styles=False)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def map_figure(sweep_inputs: tuple, metric: str,
               curvature: mv.theory.Curvature | None) -> dict:
    """The map of ``compute.cached_sweep(*sweep_inputs)`` as plotly JSON (a dict, shared across
    sessions, never modified), with its token: a digest of what it was built from."""
    figure = tuning_figure(compute.cached_sweep(*sweep_inputs), metric=metric,
                           curvature=curvature)
    return stage.tokened({"figure": json.loads(figure.to_json())},
                         (sweep_inputs, metric, curvature))


def show(sweep_inputs: tuple, metric: str, curvature: mv.theory.Curvature | None,
         mine: tuple[float, float]) -> None:
    """Draw the map of the sweep ``sweep_inputs`` coloured by ``metric``, with the visitor's
    (lr, β) ``mine`` marked; a click on a cell uses it (``controls.use_cell``)."""
    drawn = map_figure(sweep_inputs, metric, curvature)
    _lab_map(key=KEY, data=drawn | {"plotly": stage.plotly_url(), "mine": list(mine)},
             on_cell_change=_cell_clicked)


def _cell_clicked() -> None:
    """A click on the map: the cell's lr and β, if the browser sent usable numbers."""
    cell = st.session_state[KEY].get("cell")
    if isinstance(cell, dict):
        lr = stage.browser_number(cell.get("lr"), *LR_RANGE)
        beta = stage.browser_number(cell.get("beta"), *BETA_RANGE)
        if lr is not None and beta is not None:
            controls.use_cell(lr, beta)
