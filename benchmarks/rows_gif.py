"""GIF rows: the animation drawn as an animated GIF for slides, made when a visitor asks for it.

The workload is the ravine lesson with three runs (SGD, momentum and Nesterov at the preset's lr
and β) over 300 steps at the default 640×480: one frame per step, 301 frames.
"""

from __future__ import annotations

from collections.abc import Iterator

import momentum_viz as mv
from benchmarks.core import Check, Context, Figure, Row, bench
from benchmarks.timing import measure
from momentum_viz.figures import animation_gif

ORDER = 15
SURFACE = "ravine"
TIME_TARGET_S = 2.0
SIZE_TARGET_MB = 5.0


@bench("gif-300-steps", "gif-300-steps-size")
def gif_rows(ctx: Context) -> Iterator[Row]:
    """The time to draw and encode the GIF (the runs are simulated beforehand), and its size."""
    surface = mv.get_surface(SURFACE)
    steps = ctx.pick(300, 30)
    specs = [mv.RunSpec(name, surface.lr, surface.beta) for name in ("sgd", "momentum",
                                                                     "nesterov")]
    runs = mv.simulate_many(surface, specs, steps=steps)
    what = (f"animation_gif, {SURFACE}: sgd, momentum β={surface.beta:g}, nesterov "
            f"β={surface.beta:g} at lr={surface.lr:g} × {steps} steps, 640×480, one frame a step")
    ours = measure(lambda: animation_gif(surface, runs), repeats=ctx.pick(7, 1), warmup=1)
    yield Row.timed(name="gif-300-steps", what=what + " (drawing, palette, GIF encoding)",
                    timing=ours, target=TIME_TARGET_S)
    size_mb = len(animation_gif(surface, runs)) / 1e6
    size = Figure(size_mb, size_mb, size_mb, "MB")
    yield Row(name="gif-300-steps-size", what=what + ": the file's size", ours=size,
              checks=(Check.at_most(size, SIZE_TARGET_MB),), note="deterministic")
