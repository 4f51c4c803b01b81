"""Page rows: what the Playground and the Tuning lab do on the server for one rerun, and what
the Playground sends to the browser.

The Playground's workload is its default view (the ravine with its lr, β and start) with all three
of SGD, momentum and Nesterov, as a visitor who ticks Nesterov sees it. Every timed repeat moves β
by the slider's step, so the page's caches (``st.cache_resource``, shared by all sessions) miss,
as they do after a slider change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from itertools import count
from urllib.parse import urlencode

import numpy as np
import plotly.graph_objects as go
import plotly.io
import plotly.tools
import streamlit as st

import momentum_viz as mv
from benchmarks.core import Check, Context, Figure, ProfileSpec, Row, bench
from benchmarks.timing import fmt_seconds, measure, measure_interleaved
from momentum_viz.figures import tuning_figure
from momentum_viz.figures.paths import surface_background
from momentum_viz.stage import stage_data
from testkit.apptest import no_exception, open_page
from ui import compute, site, stage
from ui.params import LR_RANGE, STEPS_RANGE, default_setup, query_from_setup, run_specs
from ui.site import page_script

ORDER = 20
LAB = page_script(site.LAB)
OPTIMIZERS = ("sgd", "momentum", "nesterov")
ADAPTIVE_OPTIMIZERS = ("sgd", "momentum", "adam")
BETA_STEP = 0.001
"""The β slider's step (ui/params.py): one ArrowRight."""

COMPUTE_TARGET_S = 0.050
JSON_TARGET_MB = 1.5
LAB_TARGET_S = 1.0

COMPUTE_WHAT = ("one Playground rerun after a change, caches cold: simulate_many of SGD, momentum, "
                "Nesterov × {steps} steps on the default ravine view and the stage's data (the β "
                "and lr families, one engine batch, packed), serialized as the component sends it")
COMPUTE_NOTE = ("parts, each timed alone: simulate_many {simulate}, stage data {stage} (surface "
                "picture, remembered: {picture}), json.dumps {serialize} ({kb:.0f} kB)")
LAB_WHAT = ("Tuning lab page rerun with every cache cleared (AppTest of app.py at "
            "?map_grid={size}&map_steps={steps}, default ravine setup): {size}×{size} sweep × "
            "{steps} steps, map figure, the whole script")
LAB_NOTE = ("the same rerun with the sweep cached {warm}; sweep + figure + JSON alone {direct}; "
            "map sent: {kb:.0f} kB")

SCRATCH_NOTE = ("Measured once (2026-11-25, this machine, load 1–4), on scratch copies of the "
                "figure code, medians of 15–21.")

COMPUTE_DIAGNOSIS = """\
Where the time goes (medians of this run, each part timed on its own, interleaved with the
whole): the engine's `simulate_many` for the runs the reading and the table describe
{simulate}, and the stage's data {stage}: the β family (every position of the stage's β slider,
0–0.99 by 0.01 and the high ends) and the lr family (41 positions over ±1 decade) of every
chosen optimizer, in one engine batch, then packed (6-byte floats, float32 losses); past 500
steps the grids coarsen and the paths are thinned. The surface picture inside it is remembered
per surface and view ({picture}). `json.dumps` of the data, made once per data as the component
sends it (`ui.stage.payload`): {serialize} ({kb:.0f} kB). The batch costs little more than the
three runs alone (the loop is per step, not per trajectory): the price of scrubbing without a
server round trip is paid here once per change."""

LAB_DIAGNOSIS = """\
Where the time goes: the sweep ({size}×{size} runs of {steps} steps), the map figure and its
JSON, and Streamlit's script run around them (widgets, the rest of the page). The profile is of
the sweep, figure and JSON run directly — AppTest runs the page in a thread that cProfile does
not see."""


def playground_setup(steps: int, beta: float | None = None,
                     optimizers: Sequence[str] = OPTIMIZERS) -> dict:
    """The Playground's default view with ``optimizers`` (SGD, momentum and Nesterov) over
    ``steps`` steps."""
    setup = default_setup() | {"opt": list(optimizers), "steps": steps}
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
    """One Playground rerun after a change, through the page's own cached functions: the runs
    (reading, table) and the stage's data (both families), serialized as the component sends
    it. Each call moves β one step of the sidebar's slider (0.001), so every cache misses."""

    def __init__(self, steps: int, first_beta: float, optimizers: Sequence[str] = OPTIMIZERS):
        self.steps, self.optimizers = steps, optimizers
        self.betas = (round(first_beta + i * BETA_STEP, 6) for i in count())

    def __call__(self) -> tuple[bytes]:
        setup = playground_setup(self.steps, next(self.betas), self.optimizers)
        key = compute.surface_key(setup)
        compute.runs_for(setup, key)
        return (stage.payload(stage.stage_data_for(setup, key), {}),)


def _stage_data(setup: dict) -> dict:
    """The stage's data for ``setup``, computed afresh (no cache)."""
    surface = compute.surface_for(compute.surface_key(setup))
    return stage_data(surface, lambda name, value: run_specs(setup | {name: value}),
                      beta=setup["beta"], lr=setup["lr"], start=(setup["x0"], setup["y0"]),
                      steps=setup["steps"], noise=setup["noise"], seed=setup["seed"])


def _playground_parts(steps: int) -> dict[str, Callable[[], object]]:
    """The parts of a Playground rerun, each on fixed inputs, built as the page builds them."""
    setup = playground_setup(steps)
    surface = compute.surface_for(compute.surface_key(setup))
    specs, start = list(run_specs(setup)), (setup["x0"], setup["y0"])
    data = _stage_data(setup)
    return {
        "simulate": lambda: mv.simulate_many(surface, specs, start=start, steps=steps),
        "stage": lambda: _stage_data(setup),
        "picture": lambda: surface_background(surface),
        "serialize": lambda: json.dumps(data),
    }


def _json_bytes(part: object) -> int:
    return len(json.dumps(part, separators=(",", ":")).encode())


def _json_parts(data: dict) -> dict[str, int]:
    """Bytes of the stage's sent JSON by part: the surface picture, the packed paths, the rest."""
    picture = len(data["image"]["source"])
    paths = _json_bytes(data["pool"])
    return {"surface picture (PNG data URI)": picture, "packed paths (both families)": paths,
            "the rest": _json_bytes(data) - picture - paths}


@bench("playground-compute", "playground-compute-adaptive", "playground-json-size")
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
    yield Row.timed(
        name="playground-compute", what=COMPUTE_WHAT.format(steps=steps),
        timing=page, target=COMPUTE_TARGET_S, note=COMPUTE_NOTE.format(**median, kb=sent_kb),
        profile=ProfileSpec(cold, 1, diagnosis, unit="rerun"),
    )
    adaptive = measure(ColdPlayground(steps, default_setup()["beta"], ADAPTIVE_OPTIMIZERS),
                       repeats=repeats)
    yield Row.timed(
        name="playground-compute-adaptive",
        what=(f"the same cold Playground rerun with SGD, momentum and Adam × {steps} steps "
              f"(Adam's rule is a batch of its own in simulate_many and in each family)"),
        timing=adaptive, note="no target: reported beside `playground-compute`")

    json_steps = ctx.pick(500, 50)
    sent = json.dumps(_stage_data(playground_setup(json_steps)))
    size_mb = len(sent.encode()) / 1e6
    parts_kb = ", ".join(f"{name} ~{n / 1e3:.0f} kB"
                         for name, n in _json_parts(json.loads(sent)).items())
    longest = STEPS_RANGE[1]
    extreme = ("" if ctx.quick else f"; at the steps slider's maximum ({longest}): "
               f"{len(json.dumps(_stage_data(playground_setup(longest))).encode()) / 1e6:.2f} MB")
    size = Figure(size_mb, size_mb, size_mb, "MB")
    yield Row(
        name="playground-json-size",
        what=(f"the Playground stage's data as sent (json.dumps: the β and lr families of SGD, "
              f"momentum, Nesterov × {json_steps} steps, default ravine view)"),
        ours=size, checks=(Check.at_most(size, JSON_TARGET_MB),),
        note=f"deterministic; {parts_kb}{extreme}",
    )


def _lab_work(size: int, steps: int) -> Callable[[], str]:
    """The lab's own work for a fresh map on its default setup, outside Streamlit: the sweep,
    the map figure and its JSON, as ``ui.lab_map`` sends it (lr range: the page's default
    multiples of 2/λmax)."""
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
        return tuning_figure(sweep, metric=setup["map_metric"], curvature=curvature).to_json()

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
    median = {name: fmt_seconds(t.median) for name, t in timings.items()}
    sent_kb = len(at.get("bidi_component")[0].proto.json) / 1e3
    yield Row.timed(
        name="lab-map-end-to-end", what=LAB_WHAT.format(size=size, steps=steps),
        timing=timings["cold"], target=LAB_TARGET_S, note=LAB_NOTE.format(**median, kb=sent_kb),
        profile=ProfileSpec(direct, 1, LAB_DIAGNOSIS.format(size=size, steps=steps),
                            unit="rerun"),
    )

