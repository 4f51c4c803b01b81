"""The learning rate against step: what an lr schedule did to each run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from momentum_viz.figures.style import GRID_COLOR, LEGEND_ABOVE, chart_layout, run_colors
from momentum_viz.simulate import Run


def lr_figure(runs: Sequence[Run], *, height: int = 220) -> go.Figure:
    """Each run's lr at steps 0..steps−1 (``Run.lrs``: the lr that moved θ_k to θ_{k+1}), in
    the run's colour: on a log axis when the runs' base lrs are more than a decade apart (an
    adaptive run's own lr beside momentum's), else on a linear axis from 0, where a schedule's
    shape (a cosine, a step) reads as it is."""
    colors = run_colors(runs)
    data = [dict(type="scatter", x=np.arange(run.steps), y=run.lrs[:run.steps], mode="lines",
                 name=run.label, line=dict(color=color, width=2),
                 hovertemplate=f"{run.label}<br>step %{{x}}<br>lr %{{y:.4g}}<extra></extra>")
            for run, color in zip(runs, colors, strict=True)]
    bases = np.array([run.lr for run in runs])
    log = bases.size > 0 and bool(np.all(bases > 0)) and bases.max() > 10 * bases.min()
    return go.Figure(data, chart_layout(
        height=height, top=40, legend=LEGEND_ABOVE,
        xaxis=dict(title="step", gridcolor=GRID_COLOR),
        yaxis=dict(title="lr (log scale)" if log else "lr", type="log" if log else "linear",
                   gridcolor=GRID_COLOR, exponentformat="power", rangemode="tozero")))
