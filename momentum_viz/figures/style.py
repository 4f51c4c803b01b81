"""Shared look: colour-blind-safe colours (Okabe–Ito), one colour per run in every chart."""

from __future__ import annotations

from collections.abc import Sequence

from momentum_viz.optimizers import COLORS
from momentum_viz.simulate import Run

OPTIMIZER_COLORS = COLORS
"""Each optimizer's colour, read from its registry entry (Okabe–Ito: sgd vermillion, momentum
blue, nesterov bluish green, ema reddish purple, adam orange, rmsprop sky blue, adagrad black)."""
SEQUENCE = ["#E69F00", "#56B4E9", "#0072B2", "#000000", "#CC79A7", "#009E73", "#D55E00"]
"""For runs of one optimizer at several β (the β comparison)."""

SURFACE_SCALE = [[0.0, "#ffffff"], [0.35, "#e8ecf2"], [0.7, "#c5cedb"], [1.0, "#8f9bb0"]]
"""A pale ramp under the paths: low loss is white so coloured paths stay visible."""

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=15)
"""Large enough to read on a projector."""
GRID_COLOR = "#e5e5e5"
LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.18, x=0)
LEGEND_ABOVE = dict(orientation="h", yanchor="bottom", y=1.01, x=0)


def chart_layout(*, height: int, xaxis: dict, yaxis: dict, legend: dict = LEGEND_BELOW,
                 top: int = 10, **more) -> dict:
    """The layout of a 2-D chart, as a dict for one ``go.Figure(data, layout)`` call: the
    shared font, a white plot, thin margins (``top`` leaves room above) and a horizontal
    legend; ``more`` adds or replaces entries."""
    return dict(font=FONT, height=height, margin=dict(l=10, r=10, t=top, b=10),
                plot_bgcolor="#ffffff", xaxis=xaxis, yaxis=yaxis, legend=dict(legend)) | more


def hline(y: float, **line) -> dict:
    """A horizontal line across the plot at ``y`` (a layout shape)."""
    return dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=y, y1=y, line=line)


def vline(x: float, **line) -> dict:
    """A vertical line across the plot at ``x`` (a layout shape)."""
    return dict(type="line", xref="x", x0=x, x1=x, yref="y domain", y0=0, y1=1, line=line)


def run_colors(runs: Sequence[Run]) -> list[str]:
    """Colour per run: by optimizer when each appears once, otherwise from ``SEQUENCE``."""
    names = [r.optimizer for r in runs]
    if len(set(names)) == len(names):
        return [OPTIMIZER_COLORS[n] for n in names]
    return [SEQUENCE[i % len(SEQUENCE)] for i in range(len(runs))]


def run_name(run: Run, with_lr: bool = False) -> str:
    """Legend name: the optimizer's label, with the divergence step when it diverged."""
    name = run.label + (f" lr={run.lr:g}" if with_lr else "")
    return name if run.diverged_at is None else f"{name} (diverged at step {run.diverged_at})"
