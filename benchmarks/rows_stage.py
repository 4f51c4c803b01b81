"""Stage rows: computing the Playground stage's families (every position of its β and lr
sliders, one engine batch) and what they weigh on the wire, at the default step count and at the
largest one, where the grids coarsen and the paths are thinned on purpose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import count

import momentum_viz as mv
from benchmarks.core import Check, Context, Figure, Row, bench
from benchmarks.rows_page import playground_setup
from benchmarks.timing import fmt_seconds, measure
from momentum_viz.stage import stage_data
from ui.params import STEPS_RANGE, run_specs

ORDER = 25
FAMILY_TARGET_S = 0.100
FAMILY_WHAT = ("the Playground stage's data: the β and lr families of SGD, momentum, Nesterov × "
               "{steps} steps on the default ravine view, computed in one engine batch and packed "
               "(stage_data, a β not computed before)")
BYTES_TARGET_MB = 1.5
DEFAULT_STEPS = 200


def _data(steps: int, beta: float) -> dict:
    setup = playground_setup(steps, beta)
    return stage_data(mv.get_surface(setup["surface"]),
                      lambda name, value: run_specs(setup | {name: value}), beta=beta,
                      lr=setup["lr"], start=(setup["x0"], setup["y0"]), steps=steps)


def _timed(steps: int, repeats: int):
    betas = (round(0.6 + 0.001 * i, 6) for i in count(1))  # a β not computed yet, each time
    return measure(lambda: _data(steps, next(betas)), repeats=repeats)


def _describe(data: dict) -> str:
    beta, lr = data["families"]["beta"], data["families"]["lr"]
    shown = "thinned to 501 drawn steps" if data["thinned"] else "every step"
    return (f"{len(beta['values'])} β × {len(lr['values'])} lr positions, "
            f"{len(data['pool'])} distinct runs, {shown}")


@bench("stage-family", "stage-bytes")
def stage_rows(ctx: Context) -> Iterator[Row]:
    """Family compute time and the stage's data size, at 200 steps and at the maximum."""
    longest = ctx.pick(STEPS_RANGE[1], 1000)
    repeats = ctx.pick(15, 2)
    at_default = _timed(DEFAULT_STEPS, repeats)
    at_longest = _timed(longest, ctx.pick(5, 1))
    default_data, longest_data = _data(DEFAULT_STEPS, 0.6), _data(longest, 0.6)
    yield Row.timed(
        name="stage-family", what=FAMILY_WHAT.format(steps=DEFAULT_STEPS),
        timing=at_default, target=FAMILY_TARGET_S,
        note=(f"{_describe(default_data)}; at {longest} steps {fmt_seconds(at_longest.median)} "
              f"({_describe(longest_data)})"),
    )
    size = {n: len(json.dumps(d).encode()) / 1e6
            for n, d in ((DEFAULT_STEPS, default_data), (longest, longest_data))}
    figure = Figure(max(size.values()), min(size.values()), max(size.values()), "MB")
    yield Row(
        name="stage-bytes",
        what=(f"the stage's data as sent (json.dumps), SGD, momentum, Nesterov, at "
              f"{DEFAULT_STEPS} and at {longest} steps: the larger of the two"),
        ours=figure, checks=(Check.at_most(figure, BYTES_TARGET_MB),),
        note=(f"deterministic; {DEFAULT_STEPS} steps {size[DEFAULT_STEPS]:.2f} MB, {longest} "
              f"steps {size[longest]:.2f} MB (grids coarsen, paths thinned, to stay under "
              f"the budget)"),
    )
