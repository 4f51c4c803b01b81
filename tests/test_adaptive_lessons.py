"""The two lessons on Adam and on schedules say what their runs do: every number in their text
is computed here from the runs the lesson's setup makes."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz.figures import lr_figure
from ui.lessons import LESSONS
from ui.params import run_specs


def lesson(title: str):
    return next(item for item in LESSONS if item.title == title)


def runs_of(setup: dict) -> list[mv.Run]:
    return mv.simulate_many(mv.get_surface(setup["surface"]), list(run_specs(setup)),
                            start=(setup["x0"], setup["y0"]), steps=setup["steps"],
                            noise=setup["noise"], seed=setup["seed"])


def on_floor(run: mv.Run, width: float = 0.05) -> int:
    """The first step at which the run is within ``width`` of the ravine's floor x = y."""
    return int(np.argmax(np.abs(run.path[:, 0] - run.path[:, 1]) / np.sqrt(2) < width))


def test_adam_vs_momentum_in_the_ravine():
    item = lesson("Adam vs momentum in the ravine")
    setup = item.setup()
    momentum, adam = runs_of(setup)
    assert (momentum.optimizer, adam.optimizer) == ("momentum", "adam")
    steps = np.hypot(*np.diff(adam.path, axis=0).T)
    # sign-like first steps: ±lr in each coordinate, across the valley (x up, y down)
    first = adam.path[1] - adam.path[0]
    assert first == pytest.approx([setup["adam_lr"], -setup["adam_lr"]], rel=1e-6)
    assert f"{steps[0]:.2g} long at its own lr {setup['adam_lr']:g}" in item.explanation
    assert f"on the floor in {on_floor(adam)} steps" in item.explanation
    assert f"wall to wall for {on_floor(momentum)}" in item.explanation
    assert on_floor(adam) * 5 < on_floor(momentum)
    floor_pace = steps[20:60].mean()  # walking down the floor, well below lr·√2
    assert f"steps of only about {floor_pace:.1g}" in item.explanation
    assert floor_pace < steps[0] / 3
    reached = [r.metrics().steps_to_converge for r in (momentum, adam)]
    assert None not in reached
    assert (f"Momentum reaches the minimum in {reached[0]} steps, Adam in {reached[1]}"
            in item.explanation)
    assert f"β = {setup['beta']:g}, lr {setup['lr']:g}" in item.explanation
    # what to notice: Adam's loss is the lower one while it crosses, momentum's from then on
    crossing = on_floor(adam)
    assert np.all(adam.loss[1:crossing + 1] < momentum.loss[1:crossing + 1])
    assert np.all(adam.loss[2 * crossing:reached[0]] > momentum.loss[2 * crossing:reached[0]])


def test_a_schedule_settles_noisy_momentum():
    item = lesson("A schedule settles noisy momentum")
    setup = item.setup()
    assert setup["schedule"] == "cosine" and setup["t_max"] == setup["steps"]
    (scheduled,) = runs_of(setup)
    (constant,) = runs_of(setup | {"schedule": "constant"})
    assert scheduled.lrs[0] == setup["lr"] and scheduled.lrs[setup["steps"]] == 0.0

    def spread(run: mv.Run) -> float:
        return float(np.hypot(*run.path[-50:].std(axis=0)))

    def end(run: mv.Run) -> float:
        return float(np.hypot(*(run.path[-1] - mv.get_surface(setup["surface"]).minima[0])))

    assert spread(scheduled) < spread(constant) / 5
    assert end(scheduled) < end(constant) / 5
    text = item.explanation
    assert f"wanders {spread(constant):.1g} about its mean and ends {end(constant):.2g}" in text
    assert f"spreads only {spread(scheduled):.1g}" in text
    assert f"ends {end(scheduled):.2g} from the minimum" in text
    assert f"σ = {setup['noise']:g}" in text and f"from {setup['lr']:g} to 0" in text


def test_the_schedule_lesson_is_typical_of_its_noise():
    """Not a lucky seed: over 20 seeds the scheduled run ends on average five times closer."""
    setup = lesson("A schedule settles noisy momentum").setup()
    ends = {name: np.mean([np.hypot(*runs_of(setup | {"schedule": name, "seed": seed})[0]
                                    .path[-1]) for seed in range(20)])
            for name in ("constant", "cosine")}
    assert ends["cosine"] * 5 < ends["constant"]


def test_the_lr_chart_draws_a_schedule_on_a_linear_axis_and_far_apart_lrs_on_a_log_one():
    surface = mv.get_surface("ravine")
    cosine = mv.schedules.cosine(100)
    runs = mv.simulate_many(surface, [mv.RunSpec("momentum", 0.038, 0.9, schedule=cosine),
                                      mv.RunSpec("adam", 0.5, 0.9, schedule=cosine)], steps=100)
    figure = lr_figure(runs[:1])
    assert figure.layout.yaxis.type == "linear"
    assert np.array_equal(figure.data[0].y, runs[0].lrs[:100])
    assert lr_figure(runs).layout.yaxis.type == "log"
