"""Each lesson shows what its title says, and every number its words quote is the engine's."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from plotly_spec import trace, xy

import momentum_viz as mv
from momentum_viz.figures import path_figure
from ui.lessons import LESSON_IDS, LESSONS
from ui.params import run_specs

BY_ID = {lesson.id: lesson for lesson in LESSONS}
VALLEY = np.array([[1.0, 1.0], [1.0, -1.0]]) / math.sqrt(2)
"""The ravine's eigenvectors as columns: along its floor (λ = 1), across it (λ = 50)."""


def runs_of(lesson_id: str) -> list[mv.Run]:
    setup = BY_ID[lesson_id].setup()
    return mv.simulate_many(mv.get_surface(setup["surface"]), list(run_specs(setup)),
                            start=(setup["x0"], setup["y0"]), steps=setup["steps"],
                            noise=setup["noise"], seed=setup["seed"])


def says(lesson_id: str, text: str) -> bool:
    return text in BY_ID[lesson_id].explanation


def test_ids_are_unique_slugs_and_every_lesson_has_a_what_to_notice_line():
    assert len(set(LESSON_IDS)) == len(LESSONS)
    for lesson in LESSONS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", lesson.id)
        assert "What to notice:" in lesson.explanation and lesson.notice


def test_ravine_sgd_zig_zags_and_momentum_glides():
    sgd, momentum = runs_of("ravine")
    setup = BY_ID["ravine"].setup()
    lr = setup["lr"]
    assert says("ravine", f"lr·λ = {lr * 50:g}")
    assert says("ravine", f"{abs(1 - lr * 50):g} per step")
    s, m = sgd.metrics(), momentum.metrics()
    assert s.overshoots > 3 * m.overshoots
    # the first step is the same for both (velocity 0), so its crossing is the largest of each
    assert m.largest_overshoot <= s.largest_overshoot
    across_sgd, across_momentum = (np.abs((r.path @ VALLEY)[:, 1]) for r in (sgd, momentum))
    assert np.all(across_momentum[:20] <= across_sgd[:20] + 1e-12)  # no swing wider than SGD's
    assert np.abs(np.diff((momentum.path @ VALLEY)[:, 1])).sum() \
        < np.abs(np.diff((sgd.path @ VALLEY)[:, 1])).sum() / 3
    ratio = s.steps_to_converge / m.steps_to_converge
    assert round(ratio) == 3 and says("ravine", "about three times fewer steps")


def winding(run: mv.Run) -> np.ndarray:
    """The angle around the minimum (0, 0), unwrapped, while the ball is visibly away from it
    (farther than 2% of the start's distance)."""
    radius = np.hypot(*run.path.T)
    away = radius > 0.02 * radius[0]
    visible = run.path[: np.argmin(away) if not away.all() else len(away)]
    return np.unwrap(np.arctan2(visible[:, 1], visible[:, 0]))


def test_spiral_winds_around_the_minimum_always_the_same_way():
    sgd, momentum = runs_of("spiral")
    angle = winding(momentum)
    turns = np.diff(angle)
    assert abs(angle[-1] - angle[0]) >= 4 * 2 * np.pi and says("spiral", "more than four times")
    assert np.all(np.sign(turns) == np.sign(turns[0]))  # a spiral, not back and forth
    assert abs(winding(sgd)[-1] - winding(sgd)[0]) < np.pi / 2  # SGD slides straight in
    assert sgd.metrics().overshoots == 0
    assert sgd.metrics().steps_to_converge * 2 == pytest.approx(
        momentum.metrics().steps_to_converge, rel=0.05) and says("spiral", "half the steps")
    surface = mv.get_surface("oval")
    assert [tuple(m) for m in surface.minima] == [(0.0, 0.0)]
    (x0, x1), (y0, y1) = surface.domain
    assert np.all((momentum.path[:, 0] > x0) & (momentum.path[:, 0] < x1))
    assert np.all((momentum.path[:, 1] > y0) & (momentum.path[:, 1] < y1))
    assert says("spiral", f"β = {momentum.beta:g}") and says("spiral", "curvatures 1 and 1.2")


def test_divergence_grows_visibly_before_it_leaves_the_map_and_momentum_converges():
    sgd, momentum = runs_of("divergence")
    lr, beta = sgd.lr, momentum.beta
    assert says("divergence", f"lr·λmax = {lr * 50:g}") and lr * 50 > 2
    assert says("divergence", f"{abs(1 - lr * 50):g} per step")
    assert says("divergence", f"2(1+β) = {2 * (1 + beta):g}")
    assert says("divergence", f"past {2 * (1 + beta) / 50:g}")
    assert sgd.diverged_at is not None and momentum.metrics().steps_to_converge is not None
    (x0, x1), (y0, y1) = mv.get_surface("ravine").domain
    x, y = sgd.path[: sgd.diverged_at].T
    on_map = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    leaves = int(np.argmin(on_map))
    assert leaves >= 20 and not on_map[leaves:].any()  # many visible steps, then gone for good
    across = np.abs((sgd.path[:leaves] @ VALLEY)[:, 1])
    assert across[-1] > 10 * across[0]  # the zig-zag swells on the map
    x, y = momentum.path.T
    assert np.all((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    figure = json.loads(path_figure(mv.get_surface("ravine"), [sgd, momentum]).to_json())
    drawn = xy(trace(figure, "SGD"))
    assert len(drawn) == leaves  # drawn up to its last step on the map, no band across it
    marks = [t for t in figure["data"] if "left the map" in str(t.get("text"))]
    assert marks == [m for m in marks if m["text"] == [
        f"left the map after step {leaves - 1},<br>diverged at step {sgd.diverged_at}"]] != []


def test_critical_damping_on_the_valley_floor_and_the_flip_across_it():
    lesson = BY_ID["critical-damping"]
    lr = lesson.setup()["lr"]
    below, critical, above = runs_of("critical-damping")
    beta_c = float(mv.theory.critical_beta(lr, 1.0))
    assert critical.beta == pytest.approx(beta_c, abs=5e-4) and says(
        "critical-damping", f"≈ {beta_c:.3f}")
    assert below.beta < beta_c < above.beta
    assert says("critical-damping", f"lr·λ = {lr:g}")
    assert says("critical-damping", f"lr·λ = {lr * 50:g} > 1")
    along = [(r.path @ VALLEY)[:, 0] for r in (below, critical, above)]
    start_sign = np.sign(along[0][0])
    assert np.all(np.sign(along[0]) == start_sign)  # creeps in
    assert np.all(along[1] * start_sign >= -1e-9)  # never passes the minimum along the floor
    assert np.max(-along[2] * start_sign) > 0.5  # runs past it, visibly
    steps = [r.metrics().steps_to_converge for r in (below, critical, above)]
    assert steps[1] < min(steps[0], steps[2])
    assert says("critical-damping", f"critical β arrives first ({steps[1]} steps), β = "
                f"{below.beta:g} creeps in ({steps[0]}), β = {above.beta:g} swings in last "
                f"({steps[2]})") and steps[2] > steps[0]
    fast_critical = float(mv.theory.critical_beta(lr, 50.0))
    root = 1 - math.sqrt(lr * 50)
    assert says("critical-damping", f"β ≈ {fast_critical:.3f}")
    assert says("critical-damping", f"1 − √{lr * 50:g} ≈ −{-root:.3f}") and root < 0
    assert says("critical-damping", f"shrinking by {abs(root):.3f}")


def test_noise_and_rosenbrock_numbers():
    sgd, ema = runs_of("noise")
    assert says("noise", f"σ = {BY_ID['noise'].setup()['noise']:g}")
    assert says("noise", f"1/(1−β) = {1 / (1 - ema.beta):.0f}")
    assert np.abs(np.diff(ema.path, 2, axis=0)).sum() < np.abs(np.diff(sgd.path, 2, axis=0)).sum()
    sgd, momentum = runs_of("rosenbrock")
    assert sgd.metrics().steps_to_converge is None
    assert momentum.metrics().steps_to_converge < 800 and says("rosenbrock", "under 800 steps")


def test_minibatch_noise_is_averaged_until_beta_is_too_high():
    """Over the lesson's 30 seeds, computed here from runs one seed at a time."""
    setup = BY_ID["minibatch-noise"].setup()
    surface = mv.get_surface(setup["surface"])
    lam_max = float(mv.theory.hessian_eigenvalues(surface, surface.minima[0])[-1])
    assert says("minibatch-noise", f"B = {setup['batch_size']} of the {len(surface.data.x)}")
    assert says("minibatch-noise", f"runs {setup['seeds']} seeds")
    assert says("minibatch-noise", f"lr·λmax = {setup['lr'] * lam_max:.1f}, near its limit 2")
    assert says("minibatch-noise", f"1/(1−β) = {1 / (1 - setup['beta']):.0f}")
    minimum = np.array(surface.minima[0])

    def seeds_of(optimizer: str, beta: float) -> tuple[float, ...]:
        """Median and 90th percentile of the final f − f*, the RMS distance of the final
        positions from the minimum, the distance of the mean path's end from it and how far
        the mean path passes the minimum's b."""
        runs = [mv.simulate(surface, optimizer=optimizer, lr=setup["lr"], beta=beta,
                            steps=setup["steps"], batch_size=setup["batch_size"],
                            seed=setup["seed"] + i) for i in range(setup["seeds"])]
        final = np.array([r.loss[-1] for r in runs]) - surface.f_min
        ends = np.array([r.path[-1] for r in runs]) - minimum
        mean = np.mean([r.path for r in runs], axis=0)
        return (np.median(final), np.percentile(final, 90),
                np.sqrt(np.mean(np.sum(ends ** 2, axis=1))), np.linalg.norm(mean[-1] - minimum),
                mean[:, 1].max() - minimum[1])

    sgd, ema, high = seeds_of("sgd", 0.0), seeds_of("ema", setup["beta"]), seeds_of("ema", 0.99)
    assert says("minibatch-noise", f"its seeds are {sgd[2]:.2f} from the minimum (root mean "
                                   f"square), with a median f − f* of {sgd[0]:.2f} (90th "
                                   f"percentile {sgd[1]:.2f})")
    assert says("minibatch-noise", f"its seeds end {ema[2]:.2f} from the minimum, median "
                                   f"{ema[0]:.2g}, 90th percentile {ema[1]:.2f}")
    assert ema[2] < sgd[2] / 3 and ema[1] < sgd[1] / 5  # much tighter, band far below
    assert says("minibatch-noise", f"still {high[3]:.2f} from the minimum ({ema[3]:.2f} at "
                                   f"β = 0.9) and the median f − f* is {high[0]:.2f}, worse "
                                   "than SGD's")
    assert high[0] > sgd[0]
    assert high[4] > ema[4] > 0  # the mean path swings further past the star
