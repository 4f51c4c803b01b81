"""Page rows: what the Playground and the Tuning lab do on the server for one rerun, and what
the Playground sends to the browser.

The Playground's workload is its default view (the ravine with its lr, β and start) with all three
of SGD, momentum and Nesterov, as a visitor who ticks Nesterov sees it. Every timed repeat moves β
by the slider's step, so the page's caches (``st.cache_resource``, shared by all sessions) miss,
as they do after a slider change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import count
from urllib.parse import urlencode

import numpy as np
import plotly.graph_objects as go
import plotly.io
import plotly.tools
import streamlit as st

import momentum_viz as mv
from benchmarks.core import Check, Context, Figure, ProfileSpec, Row, bench
from benchmarks.timing import fmt_seconds, measure_interleaved
from momentum_viz.figures import tuning_figure
from momentum_viz.figures.paths import surface_background
from testkit.apptest import no_exception, open_page
from ui import compute, site
from ui.params import LR_RANGE, STEPS_RANGE, default_setup, query_from_setup, run_specs
from ui.playground import CLICK_GRID
from ui.site import page_script

ORDER = 20
LAB = page_script(site.LAB)
OPTIMIZERS = ["sgd", "momentum", "nesterov"]
BETA_STEP = 0.001
"""The β slider's step (ui/params.py): one ArrowRight."""

COMPUTE_TARGET_S = 0.050
JSON_TARGET_MB = 1.5
LAB_TARGET_S = 1.0

SCRATCH_NOTE = ("Measured once (2026-11-25, this machine, load 1–4), on scratch copies of the "
                "figure code, medians of 15–21.")

COMPUTE_DIAGNOSIS = """\
Where the time goes (medians of this run, each part timed on its own, interleaved with the
whole): the engine's `simulate_many` {simulate} — about half the budget by itself (see
`simulate-many`: ~22 NumPy calls of ~1–1.5 µs per step on arrays of 3) —, the paths figure
{paths} (the surface picture, f on 480 × 480 points banded and PNG-encoded, is remembered per
surface and view: {picture}), the loss figure {loss}, and what `st.plotly_chart` does to both
on every rerun (`figure.to_dict()` and `plotly.io.to_json`, {serialize}, {kb:.0f} kB). Both
figures are built from plain dicts in one `go.Figure(data, layout)` call, which plotly
validates ~5× faster than the same figure assembled with `add_trace`, `add_hline` and
`update_layout` (loss figure 25 → 6 ms, paths figure 42 → 16 ms, measured in one run); what
remains in them is mostly plotly's validation of the traces' arrays and our 150 animation
frames.

What would help. {scratch} Figures handed over as dicts the way `AnimatedFigure` already
hands over its frames (a Figure whose `to_dict` returns the dict; Streamlit re-validates
dicts, not figures) would skip the remaining validation: a prototype of the loss figure
built that way took 2.4 ms (same JSON). Below 50 ms also needs
`simulate_many` under ~15 ms: fewer NumPy calls per step than the update rule, the gradient
program and the recording need (see `simulate-many`)."""

LAB_DIAGNOSIS = """\
Where the time goes: the sweep ({size}×{size} runs of {steps} steps), the map figure and its
JSON, and Streamlit's script run around them (widgets, the rest of the page). The profile is of
the sweep, figure and JSON run directly — AppTest runs the page in a thread that cProfile does
not see."""


def playground_setup(steps: int, beta: float | None = None) -> dict:
    """The Playground's default view with SGD, momentum and Nesterov over ``steps`` steps."""
    setup = default_setup() | {"opt": list(OPTIMIZERS), "steps": steps}
    return setup if beta is None else setup | {"beta": beta}


def playground_query(setup: dict) -> str:
    """The Playground's URL path and query for ``setup`` (as its share link writes it)."""
    return "/?" + urlencode(query_from_setup(setup))


def as_sent(figure: go.Figure) -> str:
    """What ``st.plotly_chart`` makes of a figure on every rerun: a validated dict (a Figure's
    own ``to_dict``), then JSON without validation."""
    return plotly.io.to_json(plotly.tools.return_figure_from_figure_or_data(figure, True),
                             validate=False)


class ColdPlayground:
    """One Playground rerun after a β change, through the page's own cached functions: the
    runs, the paths figure (with its click grid) and the loss figure, both as sent. Each call
    moves β one slider step, so every cache misses."""

    def __init__(self, steps: int, first_beta: float):
        self.steps = steps
        self.betas = (round(first_beta + i * BETA_STEP, 6) for i in count())

    def __call__(self) -> tuple[str, str]:
        setup = playground_setup(self.steps, next(self.betas))
        key = compute.surface_key(setup)
        compute.runs_for(setup, key)
        paths = compute.figure_for("paths", setup, key, click_grid=CLICK_GRID)
        return as_sent(paths), as_sent(compute.figure_for("loss", setup, key))


def _playground_parts(steps: int) -> dict[str, Callable[[], object]]:
    """The parts of a Playground rerun, each on fixed inputs, built as the page builds them."""
    setup = playground_setup(steps)
    surface = compute.surface_for(compute.surface_key(setup))
    specs, start = list(run_specs(setup)), (setup["x0"], setup["y0"])
    runs = mv.simulate_many(surface, specs, start=start, steps=steps)
    paths = compute.FIGURES["paths"](surface, runs, click_grid=CLICK_GRID)
    loss = compute.FIGURES["loss"](surface, runs)
    return {
        "simulate": lambda: mv.simulate_many(surface, specs, start=start, steps=steps),
        "paths": lambda: compute.FIGURES["paths"](surface, runs, click_grid=CLICK_GRID),
        "picture": lambda: surface_background(surface),
        "loss": lambda: compute.FIGURES["loss"](surface, runs),
        "serialize": lambda: (as_sent(paths), as_sent(loss)),
    }


def _json_bytes(part: object) -> int:
    return len(json.dumps(part, separators=(",", ":")).encode())


def _json_parts(spec: dict) -> dict[str, int]:
    """Bytes of the sent JSON by part: the surface picture, the click grid, the paths, the
    animation frames."""
    traces = spec["data"]
    return {
        "surface picture (PNG data URI)": len(spec["layout"]["images"][0]["source"]),
        "click grid": _json_bytes([t for t in traces if t.get("name") == "click to start here"]),
        "paths": _json_bytes([t for t in traces if t.get("customdata") is not None]),
        "animation frames": _json_bytes(spec.get("frames", [])),
    }


@bench("playground-compute", "playground-json-size")
def playground_rows(ctx: Context) -> Iterator[Row]:
    """Rows 3 and 4 of the issue's page part: one cold Playground compute, and what the paths
    figure weighs on the wire."""
    steps = ctx.pick(1000, 100)
    cold = ColdPlayground(steps, default_setup()["beta"])
    parts = _playground_parts(steps)
    repeats = ctx.pick(15, 2)
    timings = measure_interleaved({"page": cold, **parts}, repeats=dict.fromkeys(
        ["page", *parts], repeats))
    page = timings["page"]
    sent_kb = sum(len(text) for text in cold()) / 1e3
    median = {name: fmt_seconds(t.median) for name, t in timings.items()}
    diagnosis = COMPUTE_DIAGNOSIS.format(**median, kb=sent_kb, scratch=SCRATCH_NOTE)
    yield Row(
        name="playground-compute",
        what=(f"one Playground rerun after a β change, caches cold: simulate_many of SGD, "
              f"momentum, Nesterov × {steps} steps on the default ravine view, the paths figure "
              f"(with its click grid) and the loss figure built and serialized as "
              f"st.plotly_chart does"),
        ours=Figure.time(page), checks=(Check.at_most(page, COMPUTE_TARGET_S),),
        note=(f"parts, each timed alone: simulate_many {median['simulate']}, paths figure "
              f"{median['paths']} (surface picture {median['picture']}), loss figure "
              f"{median['loss']}, to_dict + to_json of both {median['serialize']} "
              f"({sent_kb:.0f} kB)"),
        profile=ProfileSpec(cold, 1, diagnosis, unit="rerun"),
    )

    json_steps = ctx.pick(500, 50)
    sent = as_sent(_playground_figure(json_steps))
    size_mb = len(sent.encode()) / 1e6
    parts_kb = ", ".join(f"{name} ~{n / 1e3:.0f} kB"
                         for name, n in _json_parts(json.loads(sent)).items())
    longest = STEPS_RANGE[1]
    extreme = ("" if ctx.quick else f"; at the steps slider's maximum ({longest}): "
               f"{len(as_sent(_playground_figure(longest)).encode()) / 1e6:.2f} MB")
    size = Figure(size_mb, size_mb, size_mb, "MB")
    yield Row(
        name="playground-json-size",
        what=(f"the Playground's paths figure as sent (to_json of to_dict), SGD, momentum, "
              f"Nesterov × {json_steps} steps, default ravine view"),
        ours=size, checks=(Check.at_most(size, JSON_TARGET_MB),),
        note=f"deterministic; {parts_kb}{extreme}",
    )


def _playground_figure(steps: int) -> go.Figure:
    """The paths figure the Playground shows for its default view over ``steps`` steps."""
    setup = playground_setup(steps)
    key = compute.surface_key(setup)
    return compute.FIGURES["paths"](compute.surface_for(key), compute.runs_for(setup, key),
                                   click_grid=CLICK_GRID)


def _lab_work(size: int, steps: int) -> Callable[[], str]:
    """The lab's own work for a fresh map on its default setup, outside Streamlit: the sweep,
    the map figure and its JSON (lr range: the page's default multiples of 2/λmax)."""
    setup = default_setup()
    surface = mv.get_surface(setup["surface"])
    start = (setup["x0"], setup["y0"])
    curvature = mv.theory.curvature(surface, surface.nearest_minimum(start))
    low, high = (min(max(f * 2 / curvature.lam_max, LR_RANGE[0]), LR_RANGE[1])
                 for f in (setup["map_lr_min"], setup["map_lr_max"]))

    def run() -> str:
        sweep = mv.sweep(surface, optimizer=setup["map_opt"], start=start, steps=steps,
                         lrs=np.logspace(np.log10(low), np.log10(high), size),
                         betas=np.linspace(*setup["map_beta"], size))
        return as_sent(tuning_figure(sweep, metric=setup["map_metric"], curvature=curvature,
                                     current=(setup["lr"], setup["beta"])))

    return run


def _cold_rerun(at) -> Callable[[], object]:
    """A rerun of the AppTest ``at`` after clearing every st.cache_resource cache."""

    def run() -> object:
        st.cache_resource.clear()
        return at.run()

    return run


@bench("lab-map-end-to-end")
def lab_row(ctx: Context) -> Iterator[Row]:
    """The Tuning lab's page rerun with a fresh sweep, through AppTest (the script as the
    server runs it, without the browser)."""
    size, steps = ctx.pick(100, 20), ctx.pick(500, 50)
    at = open_page(LAB, map_grid=str(size), map_steps=str(steps))
    no_exception(at)
    direct = _lab_work(size, steps)
    timings = measure_interleaved({"cold": _cold_rerun(at), "warm": at.run, "direct": direct},
                                  repeats=dict.fromkeys(("cold", "warm", "direct"),
                                                        ctx.pick(7, 2)))
    no_exception(at)
    cold = timings["cold"]
    sent_kb = len(at.get("plotly_chart")[0].proto.spec) / 1e3
    yield Row(
        name="lab-map-end-to-end",
        what=(f"Tuning lab page rerun with every cache cleared (AppTest of app.py at "
              f"?map_grid={size}&map_steps={steps}, default ravine setup): {size}×{size} sweep "
              f"× {steps} steps, map figure, the whole script"),
        ours=Figure.time(cold), checks=(Check.at_most(cold, LAB_TARGET_S),),
        note=(f"the same rerun with the sweep cached {fmt_seconds(timings['warm'].median)}; "
              f"sweep + figure + JSON alone {fmt_seconds(timings['direct'].median)}; map sent: "
              f"{sent_kb:.0f} kB"),
        profile=ProfileSpec(direct, 1, LAB_DIAGNOSIS.format(size=size, steps=steps),
                            unit="rerun"),
    )

