"""Loss against step, and the surface in 3-D with the paths lying on it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from momentum_viz.criteria import DEFAULT_TOL
from momentum_viz.figures.paths import HeightScale, round_ticks
from momentum_viz.figures.style import (
    FONT,
    GRID_COLOR,
    LEGEND_ABOVE,
    SURFACE_SCALE,
    chart_layout,
    hline,
    run_colors,
    run_name,
)
from momentum_viz.simulate import Run
from momentum_viz.surface import Surface


def loss_figure(runs: Sequence[Run], *, tol: float = DEFAULT_TOL, with_lr: bool = False) \
        -> go.Figure:
    """f − f* against step on a log scale; linear when a value reaches or falls below f*, and
    f itself when there is no known minimum. Diverged runs end with ✕, the step where a run
    converged is marked ●; the top-right corner lists them ("SGD: converged at step k")."""
    return go.Figure(*loss_chart(runs, tol=tol, with_lr=with_lr))


def loss_chart(runs: Sequence[Run], *, tol: float = DEFAULT_TOL, with_lr: bool = False) \
        -> tuple[list[dict], dict]:
    """``loss_figure``'s traces and layout, as dicts, for figures that add to it."""
    colors = run_colors(runs)
    f_min = runs[0].surface.f_min if runs else None
    gaps = [r.loss - f_min if f_min is not None else r.loss for r in runs]
    finite = np.concatenate([g[np.isfinite(g)] for g in gaps]) if runs else np.array([])
    log = f_min is not None and finite.size > 0 and bool(np.all(finite > 0))
    data: list[dict] = []
    labels: list[tuple[str, str]] = []
    for run, gap, color in zip(runs, gaps, colors, strict=True):
        name = run_name(run, with_lr)
        steps = np.arange(run.steps + 1)
        ok = np.isfinite(gap)
        data.append(dict(
            type="scatter", x=steps[ok], y=gap[ok], mode="lines", name=name, legendgroup=name,
            line=dict(color=color, width=2.5),
            hovertemplate=f"{run.label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>"))
        marked = None
        if run.diverged_at is not None and ok.any():
            last = int(np.flatnonzero(ok)[-1])
            marked = (last, "x", f"diverged at step {run.diverged_at}")
        elif (converged := run.metrics(tol).steps_to_converge) is not None:
            marked = (converged, "circle", f"converged at step {converged:,}")
        if marked is not None:
            step, symbol, text = marked
            data.append(_marker(step, gap[step], symbol, color, name, text))
            # a diverged run's name already says where ("SGD (diverged at step 10)")
            labels.append((name if symbol == "x" else f"{name}: {text}", color))
    tolerance = log and tol > 0
    # The tolerance is named in the bottom-left corner, where falling curves rarely are (a
    # label on its line would cover the "converged at step k" labels there).
    return data, chart_layout(
        height=360, top=40, legend=LEGEND_ABOVE,
        shapes=[hline(tol, color="#555555", dash="dash", width=1)] if tolerance else [],
        annotations=_notes(tol if tolerance else None, empty=bool(runs) and not finite.size)
        + marker_labels(labels),
        xaxis=dict(title="step", gridcolor=GRID_COLOR),
        yaxis=dict(title="f − f*  (log scale)" if log else "f − f*" if f_min is not None else "f",
                   type="log" if log else "linear",
                   gridcolor=GRID_COLOR, exponentformat="power"),
    )


def _notes(tol: float | None, *, empty: bool) -> list[dict]:
    """The tolerance named in the bottom-left corner (``tol``: None when no line is drawn), or
    why the chart is empty."""
    corner = dict(x=0, xref="x domain", y=0, yref="y domain", showarrow=False,
                  xanchor="left", yanchor="bottom", font=dict(color="#555555"),
                  bgcolor="rgba(255,255,255,0.8)")
    if tol is not None:
        return [corner | dict(text=f"- - - tolerance {tol:g}")]
    if empty:
        return [corner | dict(x=0.5, y=0.5, xanchor="center", yanchor="middle",
                              text="f has no finite value along these runs: nothing to plot")]
    return []


LABEL_SIZE = 13
"""Font size of the markers' labels."""
LABEL_LINE = 19
"""Pixels from one marker label to the next (a line of LABEL_SIZE text and its padding)."""


def marker_labels(labels: Sequence[tuple[str, str]]) -> list[dict]:
    """The markers' labels ("SGD: converged at step 77"), each as (text, colour): one per
    line in the plot's top-right corner, the k-th ``LABEL_LINE`` pixels lower, so that they
    never cover one another (labels beside their markers piled up where runs converge
    together and were cut at the plot's edge). Falling loss curves rarely pass there."""
    return [dict(text=text, x=1, xref="x domain", y=1, yref="y domain", xanchor="right",
                 yanchor="top", yshift=-LABEL_LINE * k, showarrow=False, borderpad=1,
                 font=dict(color=color, size=LABEL_SIZE), bgcolor="rgba(255,255,255,0.8)")
            for k, (text, color) in enumerate(labels)]


def _marker(step: int, value: float, symbol: str, color: str, group: str, text: str) -> dict:
    """A point where a run converged (``symbol`` "circle") or diverged ("x"), named by
    ``text`` on hover; ``marker_labels`` writes it out."""
    return dict(
        type="scatter", x=[step], y=[value], mode="markers", text=[text],
        legendgroup=group, showlegend=False,
        marker=dict(symbol=symbol, size=12, color=color, line=dict(width=1, color="#000000")),
        hovertemplate=f"{text}<extra></extra>")


LIFT = 0.015
"""Paths float this fraction of the surface's height range above their loss, so that the
surface between grid points never hides them."""
FLAT_BOTTOM = 0.1
"""On a log scale the lowest 10% of the grid's heights are drawn nearly flat: a grid point next
to the minimum, or on a narrow valley's floor, would otherwise dive decades below its
neighbours, a spike or a saw."""


def surface3d_figure(surface: Surface, runs: Sequence[Run], *, resolution: int = 90,
                     max_points: int = 600) -> go.Figure:
    """The surface in 3-D with each run's path just above it. The grid passes through every
    known minimum in the domain. Heights are log₁₀(f − min + δ) when f spans orders of
    magnitude, so valleys stay visible (δ: the lowest ``FLAT_BOTTOM`` of the grid is flat);
    the z axis is then labelled with round values of f and titled "f (log scale)"."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = (_through(np.linspace(lo, hi, resolution), [m[axis] for m in surface.minima])
              for axis, (lo, hi) in enumerate(surface.domain))
    z = surface.f(*np.meshgrid(xs, ys))
    height = HeightScale.of(z)
    finite = z[np.isfinite(z)]
    if height.log:
        bottom = float(np.quantile(finite - height.lo, FLAT_BOTTOM))
        height = HeightScale(True, height.lo, max(height.floor, bottom))
    heights = height(z)
    low, high = (float(np.nanmin(heights)), float(np.nanmax(heights))) if finite.size \
        else (0.0, 1.0)
    lift = LIFT * (high - low)
    data = [dict(type="surface", x=xs, y=ys, z=heights, colorscale=SURFACE_SCALE,
                 showscale=False, opacity=0.85, name="f(x, y)", hoverinfo="skip")]
    for run, color in zip(runs, run_colors(runs), strict=True):
        rows = np.flatnonzero(np.all(np.isfinite(run.path), axis=1) & np.isfinite(run.loss))
        rows = rows[np.linspace(0, len(rows) - 1, min(len(rows), max_points)).astype(int)]
        data.append(dict(
            type="scatter3d", x=run.path[rows, 0], y=run.path[rows, 1],
            z=height(run.loss[rows]) + lift, mode="lines+markers", name=run_name(run),
            line=dict(color=color, width=7), marker=dict(size=3, color=color,
                                                         line=dict(width=1, color="#ffffff"))))
    # round values of f, none at the very bottom, where the x and y axes' labels are
    values = round_ticks(height.value_at(low + 0.1 * (high - low)), height.value_at(high),
                         height, count=5)
    zaxis = dict(title="f (log scale)" if height.log else "f",
                 tickvals=height(np.array(values)), ticktext=[f"{v:g}" for v in values])
    depth = min(max((y1 - y0) / (x1 - x0), 0.5), 2.0)
    return go.Figure(data=data, layout=dict(
        font=FONT, height=620, margin=dict(l=10, r=10, t=40, b=30),
        scene=dict(xaxis=dict(title="x", range=[x0, x1]), yaxis=dict(title="y", range=[y0, y1]),
                   zaxis=zaxis, domain=dict(x=[0.04, 0.96], y=[0.04, 0.96]),
                   aspectmode="manual", aspectratio=dict(x=1, y=depth, z=0.7),
                   camera=dict(eye=dict(x=-0.75, y=-1.45, z=1.05),
                               center=dict(x=0, y=0, z=-0.08))),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    ))


def _through(grid: np.ndarray, points: Sequence[float]) -> np.ndarray:
    """``grid`` with the ``points`` inside its range added, in order."""
    inside = [p for p in points if grid[0] <= p <= grid[-1]]
    return np.unique(np.concatenate([grid, inside])) if inside else grid
