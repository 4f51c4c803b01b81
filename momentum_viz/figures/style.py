"""Shared look: colour-blind-safe colours (Okabe–Ito), one colour per run in every chart."""

from __future__ import annotations

from collections.abc import Sequence

from momentum_viz.simulate import Run

OPTIMIZER_COLORS = {
    "sgd": "#D55E00",       # vermillion
    "momentum": "#0072B2",  # blue
    "nesterov": "#009E73",  # bluish green
    "ema": "#CC79A7",       # reddish purple
}
SEQUENCE = ["#E69F00", "#56B4E9", "#0072B2", "#000000", "#CC79A7", "#009E73", "#D55E00"]
"""For runs of one optimizer at several β (the β comparison)."""

SURFACE_SCALE = [[0.0, "#ffffff"], [0.35, "#e8ecf2"], [0.7, "#c5cedb"], [1.0, "#8f9bb0"]]
"""A pale ramp under the paths: low loss is white so coloured paths stay visible."""

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=15)
"""Large enough to read on a projector."""


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
