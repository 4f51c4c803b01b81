"""Plotly figure builders: pure functions from surfaces and results to figures."""

from momentum_viz.figures.curves import loss_figure, surface3d_figure
from momentum_viz.figures.paths import path_figure, surface_background
from momentum_viz.figures.style import OPTIMIZER_COLORS, run_colors

__all__ = [
    "OPTIMIZER_COLORS",
    "loss_figure",
    "path_figure",
    "run_colors",
    "surface3d_figure",
    "surface_background",
]
