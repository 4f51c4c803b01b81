"""The quadratic theory as pictures (Goh, "Why Momentum Really Works", Distill 2017): the rate
map over (lr, β) with its regimes, a run split along the eigen-directions, its phase plot, its
loss under the theoretical envelope, and the rate against β around critical damping.

Shared with the Tuning lab: the colours (good = yellow, diverged = vermillion), heatmap cell
edges on a log axis and the theory's curves in the (lr, β) plane.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from momentum_viz import theory
from momentum_viz.figures.curves import loss_chart
from momentum_viz.figures.style import GRID_COLOR, LEGEND_BELOW, chart_layout, hline, vline
from momentum_viz.simulate import Run

GOOD_TO_BAD = [[i / 9, c] for i, c in enumerate(
    ["#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e", "#3e4989",
     "#482878", "#440154"])]
"""Viridis from yellow (fast, good) to dark purple (slow): colour-blind safe, no reds in it."""
DIVERGED_COLOR = "#D55E00"
"""Vermillion (Okabe–Ito): a hue the scale above never uses."""
DIRECTION_COLORS = ("#0072B2", "#CC79A7")
"""The slow (smallest λ) and fast (largest λ) eigen-direction: blue and reddish purple
(Okabe–Ito; both readable over the yellow of a map, unlike orange)."""
REGIMES = ("monotone", "ripples", "oscillating", "divergent")
CRITICAL_TOLERANCE = 1e-9
"""|β − critical β| up to which a direction counts as critically damped."""
MIN_LABELLED_SHARE = 0.015
"""Regions smaller than this share of the map get no text label."""


# -- shared pieces ------------------------------------------------------------------------------
def cell_edges(centres: np.ndarray, log: bool = False) -> np.ndarray:
    """The n + 1 edges of heatmap cells around n increasing centres (geometric midpoints on a
    log axis), so every cell is drawn exactly where its value was computed."""
    values = np.log10(centres) if log else np.asarray(centres, float)
    if len(values) == 1:
        edges = values[0] + np.array([-0.5, 0.5])
    else:
        middle = (values[1:] + values[:-1]) / 2
        edges = np.concatenate([[2 * values[0] - middle[0]], middle,
                                [2 * values[-1] - middle[-1]]])
    return 10**edges if log else edges


def layer(lrs: np.ndarray, betas: np.ndarray, mask: np.ndarray, color: str, name: str) -> dict:
    """A one-colour heatmap over the cells where ``mask`` holds (diverged, never converged);
    its z is 1 or NaN, as float32 (half the bytes of float64)."""
    return dict(
        type="heatmap", x=cell_edges(lrs, log=True), y=cell_edges(betas),
        z=np.where(mask, 1.0, np.nan).astype(np.float32), colorscale=[[0, color], [1, color]],
        showscale=False,
        name=name, hoverinfo="skip")


def legend_swatch(color: str, name: str) -> dict:
    """A legend entry (a square of ``color``) for a layer, which heatmaps cannot have."""
    return dict(type="scatter", x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                marker=dict(symbol="square", size=16, color=color,
                            line=dict(width=1, color="#555555")))


def _haloed(x, y, name: str, color: str, dash: str, group: str) -> list[dict]:
    """A line with a white halo under it, readable on dark and light cells alike. It takes no
    hover, so a click near it still reaches the cell underneath."""
    return [
        dict(type="scatter", x=x, y=y, mode="lines", line=dict(color="#ffffff", width=6),
             showlegend=False, hoverinfo="skip", legendgroup=group),
        dict(type="scatter", x=x, y=y, mode="lines", name=name, legendgroup=group,
             hoverinfo="skip", line=dict(color=color, width=3, dash=dash)),
    ]


def theory_curves(lam_min: float, lam_max: float, betas: np.ndarray,
                  optimizer: str = "momentum") -> list[dict]:
    """In the (lr, β) plane: the stability limit for λmax, and the critical damping of λmin
    (below it, the slow direction creeps) and of λmax (beyond it, the fast one flips sign).
    Curves for eigenvalues that are not positive are left out (no such limit exists)."""
    beta = np.linspace(betas[0], betas[-1], 200)
    traces: list[dict] = []
    if lam_max > 0:
        limit = theory.stability_limit_lr(beta, lam_max, optimizer)
        traces += _haloed(limit, beta, f"stability limit, λmax = {lam_max:.4g}", "#000000",
                          "solid", "stability")
        upper = theory.critical_lrs(beta, lam_max, optimizer)[1]
        traces += _haloed(upper, beta, f"critical damping, λmax = {lam_max:.4g}",
                          DIRECTION_COLORS[1], "dot", "upper")
    if lam_min > 0:
        lower = theory.critical_lrs(beta, lam_min, optimizer)[0]
        traces += _haloed(lower, beta, f"critical damping, λmin = {lam_min:.4g}",
                          DIRECTION_COLORS[0], "dash", "lower")
    return traces


def point_marker(lr: float, beta: float, name: str, symbol: str, hover: str) -> list[dict]:
    """A marked (lr, β): black symbol over a white one, visible on any cell colour."""
    common = dict(type="scatter", x=[lr], y=[beta], mode="markers", legendgroup=name)
    return [
        common | dict(showlegend=False, hoverinfo="skip",
                      marker=dict(symbol=symbol, size=24, color="#ffffff")),
        common | dict(name=name, hovertemplate=hover + "<extra></extra>",
                      marker=dict(symbol=symbol, size=16, color="#000000",
                                  line=dict(width=1.5, color="#ffffff"))),
    ]


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values 1, 2, 5 × 10ᵏ between ``low`` and ``high`` (only 10ᵏ over wide ranges):
    plain numbers a class can read off, instead of plotly's 10⁻³ with tiny 2s and 5s."""
    powers = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    mantissas = (1, 2, 5) if len(powers) <= 5 else (1,)
    return [m * 10.0**p for p in powers for m in mantissas if low <= m * 10.0**p <= high]


def map_layout(lrs: np.ndarray, betas: np.ndarray, height: int, **more) -> dict:
    """The layout of an (lr, β) map: lr on a log axis, both axes fixed to the cells' extent
    and given room for their labels (``automargin``, as Streamlit's charts do, also when the
    figure is drawn outside ``st.plotly_chart``); ``more`` adds or replaces entries."""
    x_edges, y_edges = cell_edges(lrs, log=True), cell_edges(betas)
    ticks = log_ticks(x_edges[0], x_edges[-1])
    return chart_layout(
        height=height, top=30,
        xaxis=dict(title="learning rate lr (log scale)", type="log", tickvals=ticks,
                   ticktext=[f"{v:g}" for v in ticks],
                   range=np.log10([x_edges[0], x_edges[-1]]).tolist(), showgrid=False,
                   automargin=True),
        yaxis=dict(title="momentum β", range=[y_edges[0], y_edges[-1]], showgrid=False,
                   automargin=True),
        # the legend at the figure's foot (its height's own margin), never over the lr axis's
        # title however many lines the ticks and the legend take on a narrow screen
        legend=LEGEND_BELOW | dict(yref="container", y=0, yanchor="bottom", font=dict(size=14)),
        **more)


# -- the rate map ------------------------------------------------------------------------------
def rate_map_figure(lam_min: float, lam_max: float, *, lrs: np.ndarray, betas: np.ndarray,
                    current: tuple[float, float] | None = None,
                    optimum: tuple[float, float] | None = None) -> go.Figure:
    """Momentum's convergence rate max|σ| over (lr, β) for a quadratic with eigenvalues
    λmin ≤ λmax, coloured by the steps it takes to gain one digit; divergent cells vermillion;
    the ``current`` (lr, β) and the ``optimum`` marked when given;
    each region labelled with the regime of its slowest direction."""
    lr, beta = np.meshgrid(lrs, betas)
    rates = np.stack([theory.rate(lr, beta, lam) for lam in (lam_min, lam_max)])
    worst = np.argmax(rates, axis=0)
    rate = np.take_along_axis(rates, worst[None], 0)[0]
    regimes = np.where(worst == 0, theory.regime(lr, beta, lam_min),
                       theory.regime(lr, beta, lam_max))
    ok = rate < 1
    with np.errstate(divide="ignore"):
        digits = np.where(ok, -np.log10(np.maximum(1 - rate, 1e-4)), np.nan)
    ticks = np.arange(5)
    data = [
        dict(type="heatmap",
             # z only colours (0 to 4 digits): float32, half the bytes; the hover's rate is
             # customdata, float64
             x=cell_edges(lrs, log=True), y=cell_edges(betas), z=digits.astype(np.float32),
             zmin=0, zmax=4,
             colorscale=GOOD_TO_BAD, customdata=rate, text=regimes, name="rate",
             colorbar=dict(title=dict(text="rate<br>max|σ|"), tickvals=ticks,
                           ticktext=[f"{1 - 10.0**-t:g}" for t in ticks], thickness=14),
             hovertemplate="lr %{x:.3g}, β %{y:.3f}<br>rate max|σ| = %{customdata:.4f}"
                           "<br>slowest direction: %{text}<extra></extra>"),
        layer(lrs, betas, ~ok, DIVERGED_COLOR, "divergent"),
        legend_swatch(DIVERGED_COLOR, "divergent"),
        *theory_curves(lam_min, lam_max, betas),
    ]
    if current is not None:
        data += point_marker(*current, "your lr, β", "circle-open", "your lr %{x:.3g}, β %{y:.3f}")
    if optimum is not None:
        data += point_marker(*optimum, "optimal lr*, β*", "star",
                             "optimal lr* %{x:.3g}, β* %{y:.3f}")
    labels = [_region_label(regimes == label, lrs, betas, label) for label in REGIMES]
    return go.Figure(data, map_layout(lrs, betas, height=660,
                                      annotations=[a for a in labels if a is not None]))


def _region_label(mask: np.ndarray, lrs, betas, text: str) -> dict | None:
    """The regime's name inside its region, or None for a region too small to label."""
    if mask.mean() < MIN_LABELLED_SHARE:
        return None
    row, col = deepest_cell(mask)
    return dict(x=np.log10(lrs[col]), y=betas[row], text=text, showarrow=False,
                font=dict(size=17, color="#000000", weight="bold"), bgcolor="rgba(255,255,255,0.8)",
                borderpad=3)


def deepest_cell(mask: np.ndarray) -> tuple[int, int]:
    """(row, col) of a cell of ``mask`` as far as possible from its border (peeled away one
    ring of cells at a time), where a label sits well inside its region."""
    inner = mask.copy()
    while True:
        padded = np.pad(inner, 1, constant_values=False)
        eroded = (inner & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2]
                  & padded[1:-1, 2:])
        if not eroded.any():
            break
        inner = eroded
    rows, cols = np.nonzero(inner)
    middle = len(rows) // 2
    return int(rows[middle]), int(cols[middle])


# -- a run along the eigen-directions ----------------------------------------------------------
def eigen_coordinates(run: Run, basis: np.ndarray) -> np.ndarray:
    """(steps+1, 2) the run's offset from the minimum along each eigenvector (``basis``
    columns, slow then fast); a diverged run's only up to its last finite position (the NaN
    rows after it would vanish from a chart without a trace)."""
    path = run.path[np.all(np.isfinite(run.path), axis=1)]
    return (path - np.asarray(run.surface.minima[0])) @ basis


def direction_regime(lr: float, beta: float, lam: float) -> str:
    """Goh's regime along λ (``theory.regime``), or, where β is the critical β to rounding (the
    two roots coincide and the regime label would be a coin toss), "critically damped" while
    lr·λ ≤ 1 (the double root 1 − √(lr·λ) ≥ 0: the component creeps in without changing sign)
    and "critically damped (flipping)" for lr·λ > 1 (the double root is negative: the
    component flips sign every step while shrinking by |1 − √(lr·λ)|)."""
    critical = theory.critical_beta(lr, lam)
    if np.isfinite(critical) and abs(beta - critical) <= CRITICAL_TOLERANCE:
        return "critically damped (flipping)" if lr * lam > 1 else "critically damped"
    return str(theory.regime(lr, beta, lam))


def _direction_names(run: Run, lams: Sequence[float]) -> list[str]:
    words = ("slow", "fast")
    return [f"λ{'₁₂'[i]} = {lam:g} ({words[i]}): {direction_regime(run.lr, run.beta, lam)}, "
            f"rate {theory.rate(run.lr, run.beta, lam):.3f}" for i, lam in enumerate(lams)]


def components_figure(run: Run, basis: np.ndarray, lams: Sequence[float]) -> go.Figure:
    """Each eigen-coordinate of the run against step: which direction rings, which crawls."""
    coords = eigen_coordinates(run, basis)
    steps = np.arange(len(coords))
    data = [dict(
        type="scatter", x=steps, y=coords[:, i], name=name,
        mode="lines+markers" if len(steps) <= 300 else "lines",
        line=dict(color=DIRECTION_COLORS[i], width=2.5), marker=dict(size=4),
        hovertemplate=f"λ = {lams[i]:g}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>")
        for i, name in enumerate(_direction_names(run, lams))]
    return go.Figure(data, chart_layout(
        height=420, shapes=[hline(0, color="#555555", width=1)],
        xaxis=dict(title="step k", gridcolor=GRID_COLOR),
        yaxis=dict(title="distance to the minimum along the eigenvector", gridcolor=GRID_COLOR)))


def phase_figure(run: Run, basis: np.ndarray, lams: Sequence[float]) -> go.Figure:
    """Position against velocity (the step just taken) along each eigen-direction: a spiral
    into the origin rings (complex roots), a straight slide creeps or flips (real roots)."""
    coords = eigen_coordinates(run, basis)
    velocity = np.diff(coords, axis=0)
    data = [dict(
        type="scatter", x=coords[1:, i], y=velocity[:, i], mode="lines+markers", name=name,
        line=dict(color=DIRECTION_COLORS[i], width=2), marker=dict(size=4),
        hovertemplate=f"λ = {lams[i]:g}<br>position %{{x:.4g}}<br>velocity %{{y:.4g}}"
                      "<extra></extra>")
        for i, name in enumerate(_direction_names(run, lams))]
    data.append(dict(type="scatter", x=[0], y=[0], mode="markers", name="the minimum (at rest)",
                     marker=dict(symbol="star", size=16, color="#F0E442",
                                 line=dict(width=1.2, color="#000000"))))
    return go.Figure(data, chart_layout(
        height=420,
        xaxis=dict(title="position along the eigenvector", gridcolor=GRID_COLOR,
                   zerolinecolor="#888888"),
        yaxis=dict(title="velocity (position change per step)", gridcolor=GRID_COLOR,
                   zerolinecolor="#888888")))


def envelope_figure(run: Run, rate: float) -> go.Figure:
    """The run's loss (log scale) with the theoretical envelope C·rate^(2k) over it, C the
    smallest constant that keeps the envelope above every step shown."""
    data, layout = loss_chart([run])
    gap = run.loss - run.surface.f_min
    shown = np.flatnonzero(np.isfinite(gap) & (gap > 0))
    if rate > 0 and len(shown):
        last = int(shown[-1])
        log_c = np.max(np.log(gap[shown]) - 2 * shown * np.log(rate))
        with np.errstate(under="ignore"):
            curve = theory.loss_envelope(rate, last, np.exp(log_c))
        data.append(dict(
            type="scatter", x=np.arange(last + 1), y=np.where(curve > 0, curve, np.nan),
            mode="lines", name=f"theory: C·rate^(2k), rate = {rate:.4f}",
            line=dict(color="#000000", width=2, dash="dash"),
            hovertemplate="envelope at step %{x}: %{y:.3g}<extra></extra>"))
    return go.Figure(data, layout | dict(height=420))


def damping_figure(lr: float, beta: float | None, lams: Sequence[float]) -> go.Figure:
    """The rate along each eigenvalue against β at this lr. Each curve bottoms out at the β
    that critically damps that direction; to the right of it every rate is √β. The visitor's
    ``beta`` is a labelled line (None: left for the page to draw)."""
    betas = np.linspace(0, 0.999, 500)
    data, shapes, notes = [], [], []
    for i, lam in enumerate(lams):
        color = DIRECTION_COLORS[i]
        data.append(dict(
            type="scatter", x=betas, y=theory.rate(lr, betas, lam), mode="lines",
            name=f"rate along λ = {lam:g}", line=dict(color=color, width=3),
            hovertemplate=f"λ = {lam:g}<br>β %{{x:.3f}}<br>rate %{{y:.4f}}<extra></extra>"))
        critical = theory.critical_beta(lr, lam)
        if np.isfinite(critical):
            shapes.append(vline(float(critical), color=color, dash="dash", width=2))
            # on the line's inner side: a label right of a line near β = 1 would leave the chart
            notes.append(_line_note(float(critical), f"critical β = {critical:.3f}",
                                    "top" if i else "bottom", left=critical > 0.5, color=color))
    data.append(dict(type="scatter", x=betas, y=np.sqrt(betas), mode="lines",
                     name="√β (ripples)", line=dict(color="#888888", width=1.5, dash="dot"),
                     hoverinfo="skip"))
    shapes.append(hline(1, color=DIVERGED_COLOR, width=1.5))
    if beta is not None:
        line, note = your_beta_mark(beta)
        shapes.append(line)
        notes.append(note)
    return go.Figure(data, chart_layout(
        height=420, shapes=shapes, annotations=notes,
        xaxis=dict(title="momentum β", range=[0, 1], gridcolor=GRID_COLOR),
        yaxis=dict(title="rate |σ| (above 1: diverges)", range=[0, 1.25], gridcolor=GRID_COLOR)))


def your_beta_mark(beta: float) -> tuple[dict, dict]:
    """The damping chart's "your β": a black line at ``beta`` (a layout shape) and its label
    half-way up, left of it (the critical βs' labels sit at the ends, so a β near one never
    covers it)."""
    return (vline(beta, color="#000000", width=2),
            _line_note(beta, f"your β = {beta:.3f}", "middle", left=True))


def _line_note(x: float, text: str, vertical: str, left: bool = False, **font) -> dict:
    """A label beside the vertical line at ``x``, at its ``vertical`` end ("top" or "bottom")
    or half-way ("middle"), right of the line (``left``: left of it), on a light background
    that keeps it readable where a curve passes behind it."""
    note = dict(x=x, xref="x", y={"top": 1, "middle": 0.5, "bottom": 0}[vertical],
                yref="y domain",
                xanchor="right" if left else "left", yanchor=vertical, text=text,
                showarrow=False, bgcolor="rgba(255,255,255,0.8)")
    return note | dict(font=font) if font else note
