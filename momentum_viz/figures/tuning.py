"""The Tuning lab's map: a sweep over (lr, β) as a heatmap, with the theory's curves over it.

Converged cells are coloured by the chosen metric (yellow = good); never-converged cells are
grey, diverged ones vermillion, each with a legend entry. Each layer carries its own hover
text and leaves the cells it does not colour to the others (``hoverongaps`` off), so hovering a
cell shows what that run did; the metric heatmap's ``meta`` lists the cells' lrs and βs, so a
click's cell (plotly reports its row and column) is read back exactly.
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
) -> go.Figure:
    """The map of ``sweep`` coloured by ``metric`` ("steps" or "loss"), with the stability
    limit and critical-damping curves of ``curvature`` (labelled a local approximation unless
    exact; only for an optimizer the linear theory describes), the fastest cell and, if given,
    the ``current`` (lr, β) marked."""
    lrs, betas = sweep.lrs, sweep.betas
    stalled = ~sweep.diverged & (sweep.steps_to_converge < 0)
    gap = sweep.final_loss - (sweep.surface.f_min or 0.0)
    gap_name = "final f" if sweep.surface.f_min is None else "final f − f*"
    data = [_metric_heatmap(sweep, metric, gap, gap_name),
            _hover(layer(lrs, betas, sweep.diverged, DIVERGED_COLOR, "diverged"), sweep,
                   "diverged")]
    if metric == "steps":
        data.append(_hover(layer(lrs, betas, stalled, STALLED_COLOR, "not converged"), sweep,
                           f"not converged in {sweep.steps} steps<br>{gap_name} "
                           "%{customdata:.2e}", gap))
    data.append(legend_swatch(DIVERGED_COLOR, "diverged"))
    if metric == "steps" and stalled.any():
        data.append(legend_swatch(STALLED_COLOR, f"not converged in {sweep.steps} steps"))
    if not optimizers.get(sweep.optimizer).linear_theory:
        curvature = None  # no linear theory applies: no curves to draw
    if curvature is not None:
        data += theory_curves(curvature.lam_min, curvature.lam_max, betas, sweep.optimizer)
    best = sweep.best()
    if best is not None:
        data += point_marker(best.lr, best.beta, f"fastest cell: {best.steps} steps", "star",
                             "fastest: lr %{x:.4g}, β %{y:.3f}")
    if current is not None:
        data += point_marker(*current, "your lr, β", "circle-open",
                             "your lr %{x:.4g}, β %{y:.3f}")
    layout = map_layout(lrs, betas, height=640, clickmode="event",
                        uirevision="tuning_map")
    if curvature is not None and not curvature.exact:
        layout["legend"]["title"] = dict(text="curves: local approximation")
    entry = optimizers.get(sweep.optimizer)
    if not entry.linear_theory:  # not a momentum β: the optimizer's own (β₁ for Adam)
        layout["yaxis"]["title"] = f"{entry.label}'s β"
    return go.Figure(data, layout)


def _hover(heatmap: dict, sweep: Sweep, text: str,
           customdata: np.ndarray | None = None) -> dict:
    """``heatmap`` with hover ``text`` (after the cell's lr and β, and that a cell over many
    seeds is their median) over the cells it colours."""
    more = {} if customdata is None else {"customdata": customdata}
    median = f"the median of {sweep.seeds} seeds: " if sweep.seeds > 1 else ""
    return {k: v for k, v in heatmap.items() if k != "hoverinfo"} | more | dict(
        hoverongaps=False,
        hovertemplate=f"lr %{{x:.4g}}, β %{{y:.3f}}<br>{median}{text}<br><i>click to use</i>"
                      "<extra></extra>")


def _metric_heatmap(sweep: Sweep, metric: str, gap: np.ndarray, gap_name: str) -> dict:
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
    said = "converged in %{z} steps<br>" if metric == "steps" else ""
    heatmap = dict(type="heatmap", x=cell_edges(sweep.lrs, log=True), y=cell_edges(sweep.betas),
                   z=z, colorscale=GOOD_TO_BAD, name=metric,
                   colorbar=dict(thickness=14, **colorbar),
                   meta=dict(lrs=sweep.lrs.tolist(), betas=sweep.betas.tolist()))
    return _hover(heatmap, sweep, f"{said}{gap_name} %{{customdata:.2e}}", gap)
