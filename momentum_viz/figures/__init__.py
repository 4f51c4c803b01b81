"""Plotly figure builders: pure functions from surfaces and results to figures.

Every builder assembles its traces and layout as plain dicts and makes one
``go.Figure(data, layout)`` call (plotly validates that much faster than a figure grown with
``add_trace`` and ``update_layout``); 2-D charts share ``style.chart_layout``."""

from momentum_viz.figures.curves import loss_figure, surface3d_figure
from momentum_viz.figures.gif import animation_gif
from momentum_viz.figures.paths import path_figure, surface_background
from momentum_viz.figures.schedule import lr_figure
from momentum_viz.figures.style import OPTIMIZER_COLORS, run_colors
from momentum_viz.figures.theory_plots import (
    components_figure,
    damping_figure,
    direction_regime,
    envelope_figure,
    phase_figure,
    rate_map_figure,
)
from momentum_viz.figures.tuning import metric_values, tuning_figure

__all__ = [
    "OPTIMIZER_COLORS",
    "animation_gif",
    "components_figure",
    "damping_figure",
    "direction_regime",
    "envelope_figure",
    "loss_figure",
    "lr_figure",
    "metric_values",
    "path_figure",
    "phase_figure",
    "rate_map_figure",
    "run_colors",
    "surface3d_figure",
    "surface_background",
    "tuning_figure",
]
