"""The Playground's own logic: its metrics table (and the spread over seeds), the lr chart
under the stage and the offline animation export."""

from __future__ import annotations

import functools
from typing import Any

import plotly.graph_objects as go
import plotly.io
import streamlit as st
from plotly.offline import get_plotlyjs

import momentum_viz as mv
from momentum_viz.report import metrics_rows, reading
from ui import compute
from ui.params import Setup, sampling_of, schedule_of

_PAGE_TAIL = b"\n</body>\n</html>\n"


VIEWS = ("Paths (drag β or lr, ▶ to play)", "3-D view")
"""The Playground's two views of the runs, one shown at a time: a switch (a segmented control),
not tabs, whose bar Streamlit measures again at every message of every run."""


def display_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table cells as text: "—" where a metric does not apply, integers with thousands
    separators, floats to 4 significant digits, anything else as it is."""
    return [{k: "—" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:.4g}"
                                       if isinstance(v, float) else v)
             for k, v in row.items()} for row in rows]


def spread_caption(setup: Setup, surface: mv.Surface) -> str:
    """What the many-seed view on ``surface`` shows, naming the seeds and what is random."""
    first, n = setup["seed"], setup["seeds"]
    noise, batch_size = sampling_of(setup, surface)
    random = (f"minibatches of B = {batch_size}" if batch_size is not None
              else f"gradient noise σ = {noise:g}")
    return (f"{n} seeds ({first} to {first + n - 1}), {random}: the map draws every seed's path "
            "faint and their mean bold, the loss chart the median over seeds with the 10–90 % "
            f"band. Dragging β or lr shows seed {first}'s paths, and the step in numbers "
            f"works out seed {first}'s runs; the seeds come back at the released value.")


def metrics_table(runs: list[mv.Run], setup: Setup, spread: list[dict] | None) -> None:
    """The runs' metrics as a table (``display_rows``); over many seeds their ``spread`` too
    (``report.spread_rows``); then what "converged" and "overshoots" mean."""
    st.table(display_rows(metrics_rows(runs)))
    if spread:
        st.markdown(f"**Over {setup['seeds']} seeds** (the table above shows the runs with "
                    f"seed {setup['seed']}):")
        st.table(display_rows(spread))
    st.caption(f"Converged: f − f* ≤ {mv.DEFAULT_TOL:g} from that step on. Overshoots: crossings "
               "of the minimum along its principal axes (a ravine's zig-zag counts).")


def seeded_reading(setup: Setup, runs: list[mv.Run], spread: list[dict] | None) -> str:
    """The one-line reading of the runs (``report.reading``); over many seeds it says which
    seed's runs it reads."""
    text = reading(runs)
    return f"With seed {setup['seed']}, {text}" if spread else text


def lr_chart(setup: Setup, key: tuple) -> None:
    """The lr of every step under the stage, when the setup has a schedule (else nothing)."""
    if schedule_of(setup) is not None:
        st.plotly_chart(compute.figure_for("lr", setup, key), key="lr_chart",
                        config={"displaylogo": False})


@functools.cache
def _page_head() -> bytes:
    """The start of a standalone page, up to its body, with plotly.js inlined: read and
    encoded once per process (4.7 MB)."""
    return ('<!doctype html>\n<html>\n<head>\n<meta charset="utf-8" />\n'
            "<style>html, body {height: 100%;}</style>\n"
            f"<script>{get_plotlyjs()}</script>\n</head>\n<body>\n").encode()


def animation_html(figure: go.Figure) -> bytes:
    """A standalone HTML page showing ``figure`` (animation stopped) that works offline:
    plotly.js inlined, no network request. Only the figure's part is built per call."""
    div = plotly.io.to_html(figure, include_plotlyjs=False, full_html=False, auto_play=False,
                            default_height="100%", default_width="100%")
    return b"".join((_page_head(), div.encode(), _PAGE_TAIL))
