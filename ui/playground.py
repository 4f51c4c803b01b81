"""The Playground's own logic: its metrics table (and the spread over seeds), the lr chart
under the stage and the offline animation export."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io
import streamlit as st
from plotly.offline import get_plotlyjs

import momentum_viz as mv
from momentum_viz.report import metrics_rows, reading
from ui import compute
from ui.params import Setup, schedule_of

_PAGE_TAIL = b"\n</body>\n</html>\n"


def display_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table cells as text: "—" where a metric does not apply, integers with thousands
    separators, floats to 4 significant digits, anything else as it is."""
    return [{k: "—" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:.4g}"
                                       if isinstance(v, float) else v)
             for k, v in row.items()} for row in rows]


def spread_rows(many: list[mv.Seeds], tol: float = mv.DEFAULT_TOL) -> list[dict[str, Any]]:
    """One row per run over its seeds: the final f − f* (f without a known minimum) as median
    and 90th percentile, how many seeds converged and their median steps, how many diverged."""
    f_min = many[0].surface.f_min
    final = "final f − f*" if f_min is not None else "final f"
    rows = []
    for result in many:
        n = len(result.seeds)
        steps = result.steps_to_converge(tol)
        done = steps[steps >= 0]
        rows.append({
            "run": result.spec.label,
            f"{final}, median": _finite(result.final_loss_median - (f_min or 0.0)),
            f"{final}, 90th percentile": _finite(result.final_loss_p90 - (f_min or 0.0)),
            "converged": f"{done.size} of {n}",
            "median steps (converged seeds)": int(np.ceil(np.median(done))) if done.size else None,
            "diverged": f"{int(np.sum(result.diverged_at >= 0))} of {n}",
        })
    return rows


def _finite(value: float) -> float | str:
    """A loss for the table: "diverged" where it is a diverged run's (+inf)."""
    return float(f"{value:.6g}") if np.isfinite(value) else "diverged"


def spread_caption(setup: dict[str, Any], many: list[mv.Seeds]) -> str:
    """What the many-seed view shows, naming the seeds and what is random."""
    first = int(many[0].seeds[0])
    n = len(many[0].seeds)
    random = (f"minibatches of B = {many[0].batch_size}" if many[0].batch_size is not None
              else f"gradient noise σ = {many[0].noise:g}")
    return (f"{n} seeds ({first} to {first + n - 1}), {random}: the map draws every seed's path "
            "faint and their mean bold, the loss chart the median over seeds with the 10–90 % "
            "band. Dragging β or lr shows seed "
            f"{first}'s paths; the seeds come back at the released value.")


def metrics_table(runs: list[mv.Run], setup: Setup, many: list[mv.Seeds]) -> None:
    """The runs' metrics as a table (``display_rows``); over many seeds (``many`` not empty)
    their spread too (``spread_rows``); then what "converged" and "overshoots" mean."""
    st.table(display_rows(metrics_rows(runs)))
    if many:
        st.markdown(f"**Over {setup['seeds']} seeds** (the table above shows the runs with "
                    f"seed {setup['seed']}):")
        st.table(display_rows(spread_rows(many)))
    st.caption(f"Converged: f − f* ≤ {mv.DEFAULT_TOL:g} from that step on. Overshoots: crossings "
               "of the minimum along its principal axes (a ravine's zig-zag counts).")


def seeded_reading(setup: Setup, runs: list[mv.Run], many: list[mv.Seeds] | None) -> str:
    """The one-line reading of the runs (``report.reading``); over many seeds it says which
    seed's runs it reads."""
    text = reading(runs)
    return f"With seed {setup['seed']}, {text}" if many else text


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
