"""The main picture: runs drawn over the surface's contour, with balls that Play moves along them.

Animation happens in the browser (plotly frames): the contour and full paths are static traces;
each frame moves only the balls and the two arrows, so frames stay tiny and need no redraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

from momentum_viz.figures.raster import banded_image, png_data_uri
from momentum_viz.figures.style import FONT, SURFACE_SCALE, run_colors, run_name
from momentum_viz.simulate import Run
from momentum_viz.surface import Domain, Point, Surface

MAX_FRAMES = 150
SLIDER_STOPS = 50
"""The slider offers fewer stops than there are frames: each stop costs the browser a tick."""
BANDS = 24
PLAY_SECONDS = 8.0
LOG_SPREAD = 8.0
"""Contour levels go log-spaced when max(f) − min(f) exceeds this many times the median gap."""
ARROW_FRACTION = 0.12
"""The longer arrow is this fraction of the plot's width; the other keeps its relative size."""


@dataclass(frozen=True)
class HeightScale:
    """How f maps to a plotted height: log₁₀(f − lo + floor) when f spans orders of magnitude
    over the view (so valleys keep their detail), f itself otherwise."""

    log: bool
    lo: float = 0.0
    floor: float = 0.0

    @classmethod
    def of(cls, z: np.ndarray) -> HeightScale:
        finite = z[np.isfinite(z)]
        if finite.size == 0:
            return cls(False)
        lo = float(finite.min())
        spread, typical = float(finite.max()) - lo, float(np.median(finite)) - lo
        if spread > 0 and typical > 0 and spread / typical > LOG_SPREAD:
            return cls(True, lo, spread * 1e-5)
        return cls(False)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            values = np.where(np.isfinite(values), values, np.nan)
            # a path can go below the lowest grid value (a minimum between grid points):
            # drawn at the bottom rather than lost as log10 of a negative number
            return np.log10(np.maximum(values - self.lo, 0) + self.floor) if self.log \
                else values

    def value_at(self, height: float) -> float:
        """f at a plotted height (for tick labels)."""
        return 10**height - self.floor + self.lo if self.log else height


def surface_background(surface: Surface, bounds: Domain | None = None,
                       pixels: int = 480) -> tuple[dict, dict]:
    """The surface under the paths: a banded image of f (log-spaced bands when f spans orders
    of magnitude) as a layout image, and an invisible scatter trace that carries its colour bar,
    both as plain dicts. Remembered per surface and view, since lr, β and steps don't change
    it (a picture is ~0.1 MB; a few dozen are kept)."""
    return _background(surface, bounds or surface.domain, pixels)


@lru_cache(maxsize=32)
def _background(surface: Surface, bounds, pixels: int) -> tuple[dict, dict]:
    (x0, x1), (y0, y1) = bounds
    width = pixels
    height = max(2, round(pixels * (y1 - y0) / (x1 - x0)))
    xs = np.linspace(x0, x1, width)
    ys = np.linspace(y1, y0, height)  # image rows run from the top
    z = surface.f(*np.meshgrid(xs, ys))
    scale = HeightScale.of(z)
    heights = scale(z)
    image = dict(source=png_data_uri(banded_image(heights, SURFACE_SCALE, BANDS)),
                 xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                 sizing="stretch", layer="below")
    finite = heights[np.isfinite(heights)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    values = round_ticks(scale.value_at(lo), scale.value_at(hi), scale)
    ticks = scale(np.array(values)) if values else np.array([lo, hi])
    labels = [f"{v:g}" for v in values] or [f"{scale.value_at(t):.3g}" for t in ticks]
    colorbar = dict(
        type="scatter", x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        name="f",
        marker=dict(colorscale=SURFACE_SCALE, cmin=lo, cmax=hi, color=[lo], showscale=True,
                    colorbar=dict(title=dict(text="f"), tickvals=ticks.tolist(), thickness=14,
                                  ticktext=labels)))
    return image, colorbar


def round_ticks(lo: float, hi: float, scale: HeightScale, count: int = 6) -> list[float]:
    """Up to about ``count`` round values of f in [lo, hi] (0, ±1·10ᵏ, ±2·10ᵏ, ±5·10ᵏ), spread
    evenly over the plotted heights ``scale``: multiples of one round step on a linear scale,
    the roundest values that keep their distance on a log one. Ascending; empty only when
    [lo, hi] holds no such value at the plotted precision."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return []
    if not scale.log:
        raw = (hi - lo) / (count - 1)
        step = min(m * 10.0**e for e in (np.floor(np.log10(raw)), np.floor(np.log10(raw)) + 1)
                   for m in (1, 2, 5) if m * 10.0**e >= raw)
        return [float(f"{v:.12g}") + 0.0 for v in np.arange(np.ceil(lo / step), np.floor(hi / step)
                                                     + 1) * step]
    top = int(np.ceil(np.log10(max(abs(lo), abs(hi)))))
    candidates = [0.0] + [sign * m * 10.0**e for m in (1, 5, 2) for e in range(top, top - 16, -1)
                          for sign in (1, -1)]
    inside = [v for v in candidates if lo <= v <= hi]
    heights = scale(np.array(inside, dtype=float)) if inside else np.array([])
    gap = (scale(np.array([hi]))[0] - scale(np.array([lo]))[0]) / (count + 1)
    chosen: list[tuple[float, float]] = []
    for value, height in zip(inside, heights, strict=True):
        if np.isfinite(height) and all(abs(height - h) >= gap for _, h in chosen):
            chosen.append((value, height))
    return sorted(v for v, _ in chosen)


class AnimatedFigure(go.Figure):
    """A ``go.Figure`` whose animation frames and controls are kept as plain dicts.

    plotly validates every property of every frame on assignment (about 1 ms a frame), which
    would dominate a page update; these frames are generated here, not typed by anyone. They
    are merged back in ``to_dict``, which ``to_json``, ``to_html`` and Streamlit all use."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_frames: list[dict] = []
        self._plain_layout: dict = {}

    def set_animation(self, frames: list[dict], controls: dict) -> None:
        """Frames, and layout entries (buttons, slider) that go with them."""
        self._plain_frames, self._plain_layout = frames, controls

    def to_dict(self) -> dict:
        spec = super().to_dict()
        spec["frames"] = self._plain_frames
        spec["layout"].update(self._plain_layout)
        return spec


def path_figure(
    surface: Surface,
    runs: Sequence[Run],
    *,
    arrows_for: int | None = None,
    max_frames: int = MAX_FRAMES,
    with_lr: bool = False,
) -> go.Figure:
    """Contour + every run's complete path + balls animated by Play / the step slider.

    ``arrows_for`` picks the run whose downhill direction −∇f and velocity are drawn as arrows
    at the ball (default: the first run whose optimizer has a β, i.e. carries a velocity).
    """
    bounds = view_bounds(surface, runs[0].start if runs else None)
    colors = run_colors(runs)
    frame_steps = frame_steps_of(max(r.steps for r in runs), max_frames) if runs else []
    image, colorbar = surface_background(surface, bounds)
    data = [colorbar]
    if surface.minima:
        mx, my = np.array(surface.minima).T
        data.append(dict(
            type="scatter", x=mx, y=my, mode="markers", name="minima",
            marker=dict(symbol="star", size=15, color="#F0E442", line=dict(width=1.2,
                        color="#000000")),
            hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>"))
    if runs:
        sx, sy = runs[0].start
        data.append(dict(
            type="scatter", x=[sx], y=[sy], mode="markers", name="start",
            marker=dict(symbol="circle-open", size=16, color="#000000", line=dict(width=2.5)),
            hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>"))
    lasts = [_last_drawn(r, bounds) for r in runs]
    for run, last, color in zip(runs, lasts, colors, strict=True):
        data += _path_traces(run, last, color, with_lr, bounds)
    if arrows_for is None:
        arrows_for = next((i for i, r in enumerate(runs) if r.spec.entry.uses_beta), None)
    moving_start = len(data)
    data += _moving_traces(runs, colors, arrows_for,
                           _moving_coords(runs, lasts, arrows_for, 0, bounds))
    moving = list(range(moving_start, len(data)))
    # Frames carry only the coordinates that move.
    frames = [dict(name=str(k), traces=moving,
                   data=[dict(type="scatter", x=x, y=y)
                         for x, y in _moving_coords(runs, lasts, arrows_for, k, bounds)])
              for k in frame_steps]
    fig = AnimatedFigure(data=data, layout=_layout(bounds) | {"images": [image]})
    fig.set_animation(frames, _controls(frame_steps))
    return fig


def _path_traces(run: Run, last: int, color: str, with_lr: bool, bounds) -> list[dict]:
    """The run's path up to its last drawable step ``last``, and a marked end if it diverged."""
    path, loss = run.path[: last + 1], run.loss[: last + 1]
    steps = np.arange(last + 1)
    name = run_name(run, with_lr)
    traces = [dict(
        type="scatter", x=path[:, 0], y=path[:, 1],
        mode="lines+markers" if last <= 600 else "lines",
        name=name, legendgroup=name, line=dict(color=color, width=2.5),
        marker=dict(size=4, color=color), customdata=np.column_stack([steps, loss]),
        hovertemplate=f"{run.label}<br>step %{{customdata[0]}}<br>(%{{x:.4g}}, %{{y:.4g}})"
                      "<br>f = %{customdata[1]:.4g}<extra></extra>")]
    if run.diverged_at is not None:
        traces.append(dict(
            type="scatter", x=path[-1:, 0], y=path[-1:, 1], mode="markers+text",
            legendgroup=name,
            showlegend=False, text=[_divergence_label(run, last)],
            textposition=_inward(path[-1], bounds), textfont=dict(color=color),
            marker=dict(symbol="x", size=14, color=color, line=dict(width=1)),
            hovertemplate=f"{run.label}: {_divergence_label(run, last)}<extra></extra>"))
    return traces


def _inward(point: np.ndarray, bounds) -> str:
    """A text position that puts a label beside ``point`` on the side facing the map's centre,
    so that a mark near an edge keeps its label on the map."""
    (x0, x1), (y0, y1) = bounds
    return (f"{'bottom' if point[1] > (y0 + y1) / 2 else 'top'} "
            f"{'left' if point[0] > (x0 + x1) / 2 else 'right'}")


def _divergence_label(run: Run, last: int) -> str:
    """Where a diverged run's drawn path ends (its step ``last``) and when it diverged, on two
    lines when the path left the map first (one long line would run off a small map)."""
    if last == run.diverged_at:
        return f"diverged at step {run.diverged_at}"
    return f"left the map after step {last},<br>diverged at step {run.diverged_at}"


def _moving_coords(runs, lasts, arrows_for, k, bounds) -> list[tuple[list, list]]:
    """(x, y) at step k of the balls, then of the two arrows of run ``arrows_for`` (``lasts``:
    each run's last drawable step)."""
    at = [min(k, last) for last in lasts]
    coords = [([r.path[i, 0] for r, i in zip(runs, at, strict=True)],
               [r.path[i, 1] for r, i in zip(runs, at, strict=True)])]
    if arrows_for is None:
        return coords
    run, i = runs[arrows_for], at[arrows_for]
    downhill = -run.grad[i]
    velocity = -run.velocity[min(i + 1, lasts[arrows_for])]  # the velocity of the next move
    # no arrow where the slope is undefined (a run that diverged at once)
    downhill, velocity = (np.where(np.isfinite(v), v, 0.0) for v in (downhill, velocity))
    longest = max(np.hypot(*downhill), np.hypot(*velocity))
    width = bounds[0][1] - bounds[0][0]
    scale = ARROW_FRACTION * width / longest if np.isfinite(longest) and longest > 0 else 0.0
    for vector in (downhill, velocity):
        end = run.path[i] + vector * scale
        coords.append(([run.path[i, 0], end[0]], [run.path[i, 1], end[1]]))
    return coords


def _moving_traces(runs, colors, arrows_for, coords) -> list[dict]:
    """The styled balls and arrows, placed at ``coords``."""
    (bx, by), *arrows = coords
    traces = [dict(
        type="scatter", x=bx, y=by, mode="markers", name="position", showlegend=False,
        hoverinfo="skip",
        marker=dict(size=15, color=colors, line=dict(width=2, color="#ffffff")))]
    if arrows:
        styles = [("#000000", "−∇f (downhill)", "dot"),
                  (colors[arrows_for], f"velocity of {runs[arrows_for].label}", "solid")]
        for (x, y), (color, name, dash) in zip(arrows, styles, strict=True):
            traces.append(dict(
                type="scatter", x=x, y=y, mode="lines+markers", name=name, hoverinfo="skip",
                line=dict(color=color, width=3, dash=dash),
                marker=dict(symbol="arrow", angleref="previous", size=[0, 14], color=color)))
    return traces


def last_finite(run: Run) -> int:
    """Index of the last position that can be drawn: before divergence, or all of it. The start
    always can (a run may diverge at step 0 because f is undefined there, as log(x² + y²) at
    the origin: its position is still a point on the map)."""
    if run.diverged_at is None:
        return run.steps
    ok = np.all(np.isfinite(run.path[: run.diverged_at + 1]), axis=1)
    return int(np.flatnonzero(ok)[-1])


def _last_drawn(run: Run, bounds) -> int:
    """Index of the last position drawn on the map (the view ``bounds``): all of a run that did
    not diverge; a run that diverged up to its last position on the map — its later, ever
    larger swings would only draw lines across the whole map — or, if it never was on it, up
    to its last finite position."""
    last = last_finite(run)
    if run.diverged_at is None:
        return last
    (x0, x1), (y0, y1) = bounds
    x, y = run.path[: last + 1].T
    inside = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    return int(inside[-1]) if len(inside) else last


def frame_steps_of(steps: int, max_frames: int) -> list[int]:
    """The steps an animation of ``steps`` steps shows in at most ``max_frames`` frames:
    every step while they fit, else evenly spaced ones, always the first and the last."""
    return [int(k) for k in np.unique(np.linspace(0, steps, min(steps + 1, max_frames))
                                      .round().astype(int))]


def _slider_stops(frame_steps: list[int]) -> list[int]:
    stride = max(1, -(-len(frame_steps) // SLIDER_STOPS))
    stops = frame_steps[::stride]
    return stops if stops[-1] == frame_steps[-1] else [*stops, frame_steps[-1]]


def view_bounds(surface: Surface, start: Point | None) -> Domain:
    """The map's view: the domain, widened to include ``start`` (with a 5 % margin) when it
    lies outside it; the domain itself when there is no start."""
    (x0, x1), (y0, y1) = surface.domain
    if start is not None:
        sx, sy = start
        pad_x, pad_y = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
        x0, x1 = min(x0, sx - pad_x), max(x1, sx + pad_x)
        y0, y1 = min(y0, sy - pad_y), max(y1, sy + pad_y)
    return (x0, x1), (y0, y1)


CONTROLS_TOP = 70
"""Pixels from the bottom of the plot to the top of the Play buttons and the step slider: below
the x-axis tick labels and title."""


def _layout(bounds) -> dict:
    (x0, x1), (y0, y1) = bounds
    return dict(
        # margins the legend, colour bar and slider need anyway: set, they aren't found by a
        # second layout pass in the browser
        font=FONT, height=700, margin=dict(l=70, r=130, t=110, b=CONTROLS_TOP + 80),
        plot_bgcolor="#ffffff", uirevision="paths",
        xaxis=dict(range=[x0, x1], title="x", constrain="domain", showgrid=False,
                   zeroline=False),
        yaxis=dict(range=[y0, y1], title="y", scaleanchor="x", scaleratio=1,
                   constrain="domain", showgrid=False, zeroline=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, bgcolor="rgba(0,0,0,0)"),
    )


def _controls(frame_steps: list[int]) -> dict:
    """Play / Pause buttons and a step slider, all animating in the browser."""
    duration = max(15, int(1000 * PLAY_SECONDS / max(len(frame_steps), 1)))
    play = dict(frame=dict(duration=duration, redraw=False), fromcurrent=True,
                transition=dict(duration=0), mode="immediate")
    jump = dict(frame=dict(duration=0, redraw=False), mode="immediate",
                transition=dict(duration=0))
    return dict(
        updatemenus=[dict(
            type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top",
            pad=dict(t=CONTROLS_TOP, r=10), showactive=False,
            buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                     dict(label="Pause", method="animate", args=[[None], jump])])],
        sliders=[dict(
            active=0, x=0.2, y=0, len=0.8, xanchor="left", yanchor="top",
            pad=dict(t=CONTROLS_TOP), ticklen=0, tickwidth=0, font=dict(color="rgba(0,0,0,0)"),
            currentvalue=dict(prefix="step ", visible=True, xanchor="right",
                              font=dict(color="#333333", size=15)),
            steps=[dict(label=str(k), method="animate", args=[[str(k)], jump])
                   for k in _slider_stops(frame_steps)])],
    )
