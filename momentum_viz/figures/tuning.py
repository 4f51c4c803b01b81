"""The Tuning lab's map: a sweep over (lr, β) as a heatmap, with the theory's curves over it.

Converged cells are coloured by the chosen metric (yellow = good); never-converged cells are
grey, diverged ones vermillion, each with a legend entry. Heatmaps cannot be clicked, so an
invisible scatter of cell centres on top carries the hover text and the click selection.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from momentum_viz import optimizers
from momentum_viz.figures.theory_plots import (
    DIVERGED_COLOR,
    GOOD_TO_BAD,
    cell_edges,
    layer,
    legend_swatch,
    map_layout,
    point_marker,
    theory_curves,
)
from momentum_viz.sweep import Sweep
from momentum_viz.theory import Curvature

STALLED_COLOR = "#BBBBBB"
LOSS_FLOOR = 1e-16
"""Final losses closer than this to f* (rounding) are drawn as this."""


def metric_values(sweep: Sweep, metric: str) -> np.ndarray:
    """What the map colours, per cell (NaN where a cell has no value): "steps" to converge,
    or "loss", log₁₀ of the final f − f* (f itself where no minimum is known)."""
    if metric == "steps":
        return np.where(sweep.steps_to_converge >= 0, sweep.steps_to_converge, np.nan)
    f_min = sweep.surface.f_min
    if f_min is None:
        return sweep.final_loss.copy()
    with np.errstate(invalid="ignore"):
        return np.log10(np.maximum(sweep.final_loss - f_min, LOSS_FLOOR))


def tuning_figure(
    sweep: Sweep,
    *,
    metric: str = "steps",
    curvature: Curvature | None = None,
    current: tuple[float, float] | None = None,
    click_points: int = 100,
) -> go.Figure:
    """The map of ``sweep`` coloured by ``metric`` ("steps" or "loss"), with the stability
    limit and critical-damping curves of ``curvature`` (labelled a local approximation unless
    exact; only for an optimizer the linear theory describes), the ``current`` (lr, β) and the
    fastest cell marked. At most ``click_points`` cell
    centres per side are clickable (every cell on grids up to that size)."""
    lrs, betas = sweep.lrs, sweep.betas
    stalled = ~sweep.diverged & (sweep.steps_to_converge < 0)
    data = [_metric_heatmap(sweep, metric), layer(lrs, betas, sweep.diverged, DIVERGED_COLOR,
                                                  "diverged")]
    if metric == "steps":
        data.append(layer(lrs, betas, stalled, STALLED_COLOR, "not converged"))
    data.append(legend_swatch(DIVERGED_COLOR, "diverged"))
    if metric == "steps" and stalled.any():
        data.append(legend_swatch(STALLED_COLOR, f"not converged in {sweep.steps} steps"))
    if not optimizers.get(sweep.optimizer).linear_theory:
        curvature = None  # no linear theory applies: no curves to draw
    if curvature is not None:
        data += theory_curves(curvature.lam_min, curvature.lam_max, betas, sweep.optimizer)
    data += _click_layer(sweep, stalled, click_points)
    best = sweep.best()
    if best is not None:
        data += point_marker(best.lr, best.beta, f"fastest cell: {best.steps} steps", "star",
                             "fastest: lr %{x:.4g}, β %{y:.3f}")
    if current is not None:
        data += point_marker(*current, "your lr, β", "circle-open",
                             "your lr %{x:.4g}, β %{y:.3f}")
    layout = map_layout(lrs, betas, height=640, clickmode="event+select",
                        uirevision="tuning_map")
    if curvature is not None and not curvature.exact:
        layout["legend"]["title"] = dict(text="curves: local approximation")
    entry = optimizers.get(sweep.optimizer)
    if not entry.linear_theory:  # not a momentum β: the optimizer's own (β₁ for Adam)
        layout["yaxis"]["title"] = f"{entry.label}'s β"
    return go.Figure(data, layout)


def _metric_heatmap(sweep: Sweep, metric: str) -> dict:
    z = metric_values(sweep, metric)
    if metric == "steps":
        colorbar = dict(title=dict(text="steps to<br>converge"))
    elif sweep.surface.f_min is None:
        colorbar = dict(title=dict(text="final f"))
    else:
        finite = z[np.isfinite(z)]
        ticks = np.arange(np.floor(finite.min()), np.ceil(finite.max()) + 1) \
            if finite.size else np.array([0.0])
        ticks = ticks[:: max(1, len(ticks) // 8)]
        colorbar = dict(title=dict(text="final<br>f − f*"), tickvals=ticks,
                        ticktext=[f"1e{int(t)}" for t in ticks])
    return dict(type="heatmap", x=cell_edges(sweep.lrs, log=True), y=cell_edges(sweep.betas),
                z=z, colorscale=GOOD_TO_BAD, hoverinfo="skip", name=metric,
                colorbar=dict(thickness=14, **colorbar))


def _click_layer(sweep: Sweep, stalled: np.ndarray, per_side: int) -> list[dict]:
    """Invisible points at cell centres, one trace per kind of cell, each with its hover. WebGL:
    as SVG, up to 10 000 markers would make every redraw of the map slow."""
    rows = np.unique(np.linspace(0, len(sweep.betas) - 1, min(per_side, len(sweep.betas)))
                     .round().astype(int))
    cols = np.unique(np.linspace(0, len(sweep.lrs) - 1, min(per_side, len(sweep.lrs)))
                     .round().astype(int))
    r, c = (a.ravel() for a in np.meshgrid(rows, cols, indexing="ij"))
    gap_name = "final f" if sweep.surface.f_min is None else "final f − f*"
    gap = sweep.final_loss - (sweep.surface.f_min or 0.0)
    where = "lr %{x:.4g}, β %{y:.3f}<br>" + (f"the median of {sweep.seeds} seeds: "
                                             if sweep.seeds > 1 else "")
    kinds = [
        (sweep.steps_to_converge >= 0,
         f"{where}converged in %{{customdata[0]}} steps<br>{gap_name} %{{customdata[1]:.2e}}"),
        (stalled, f"{where}not converged in {sweep.steps} steps<br>{gap_name} "
                  "%{customdata[1]:.2e}"),
        (sweep.diverged, f"{where}diverged"),
    ]
    traces = []
    for mask, hover in kinds:
        keep = mask[r, c]
        rr, cc = r[keep], c[keep]
        traces.append(dict(
            type="scattergl", x=sweep.lrs[cc], y=sweep.betas[rr], mode="markers",
            showlegend=False, name="cells",
            customdata=np.column_stack([sweep.steps_to_converge[rr, cc], gap[rr, cc]]),
            marker=dict(size=8, opacity=0, color="#000000"),
            hovertemplate=hover + "<br><i>click to use</i><extra></extra>"))
    return traces
