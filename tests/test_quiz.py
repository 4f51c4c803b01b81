"""The quiz's answers: constructed runs whose class is known by hand, the lessons' runs, the
reason's numbers and theory, and sentences that hold for every outcome."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz import quiz
from momentum_viz.simulate import Run
from tests.test_lessons import runs_of

OVAL = mv.get_surface("oval")
"""(x² + 1.2y²)/2: minimum (0, 0), principal axes x and y, domain ±3 (dead band 0.006)."""


def constructed(path, *, optimizer: str = "adam", diverged_at: int | None = None) -> Run:
    """A run along ``path`` on the oval bowl, with f and ∇f at its positions (an adaptive
    optimizer by default: no linear theory, so the reason is the measurements alone)."""
    path = np.asarray(path, dtype=float)
    x, y = path.T
    with np.errstate(invalid="ignore"):
        loss = OVAL.f(x, y)
        grad = np.column_stack(OVAL.grad(x, y))
    steps = len(path) - 1
    return Run(OVAL, mv.RunSpec(optimizer, 0.1), tuple(path[0]), steps, 0.0, 0, path, loss,
               np.zeros_like(path), grad, diverged_at, np.full(steps + 1, 0.1))


def geometric(ratio: float, steps: int, start=(2.0, 1.0), turn: float = 0.0) -> np.ndarray:
    """θ_k = ratio^k · (start turned by k·turn radians)."""
    k = np.arange(steps + 1)
    angle = k * turn
    c, s = np.cos(angle), np.sin(angle)
    x0, y0 = start
    return (ratio ** k)[:, None] * np.column_stack([c * x0 - s * y0, s * x0 + c * y0])


def test_straight_in_converges_smoothly():
    verdict = quiz.classify(constructed(geometric(0.5, 40)))
    assert verdict.answer == "smooth" and verdict.words == "converges smoothly"
    assert verdict.overshoots == 0 and verdict.turns == 0
    # f = 0.5^(2k)·(4 + 1.2)/2 ≤ 1e-6 from k = 11 on (2.6·0.5^22 = 6.2e-7; 0.5^20·2.6 = 2.5e-6)
    assert verdict.reason == ("It never crossed the minimum along either principal axis "
                              "(0 overshoots); it reached the minimum in 11 steps.")


def test_flipping_sign_every_step_oscillates_but_converges():
    """θ_k = (−0.5)^k (2, 1): x crosses at every step while |x| > 0.006 (k ≤ 8: 8 crossings),
    y while |y| > 0.006 (k ≤ 7: 7 crossings); each step turns half a turn around the minimum,
    a jump across it, which is no winding."""
    verdict = quiz.classify(constructed(geometric(-0.5, 40)))
    assert verdict.answer == "oscillates" and verdict.words == "oscillates but converges"
    assert verdict.overshoots == 15 and verdict.turns == 0
    assert verdict.reason.startswith("It crossed the minimum along its principal axes 15 times "
                                     "and turned 0° around it, less than the full turn of a "
                                     "spiral; it reached the minimum in ")


def test_half_a_turn_is_an_oscillation_not_a_spiral():
    """Shrinking by 0.8 and turning 0.2 rad a step: within 2% of the start from step 18
    (0.8^18 = 0.018), so 17 steps count: 3.4 rad = 194.8°, crossing both axes once."""
    verdict = quiz.classify(constructed(geometric(0.8, 60, start=(2.0, 0.0), turn=0.2)))
    assert verdict.answer == "oscillates"
    assert verdict.turns == pytest.approx(3.4 / (2 * math.pi))
    assert verdict.overshoots == 2
    assert "crossed the minimum along its principal axes twice and turned 195° around it" \
        in verdict.reason


def test_circling_the_minimum_spirals():
    """Shrinking by 0.97 and turning 0.3 rad a step: within 2% from step 129
    (0.97^129 = 0.0197), so 128 steps count: 38.4 rad = 6.1 turns."""
    verdict = quiz.classify(constructed(geometric(0.97, 200, turn=0.3)))
    assert verdict.answer == "spirals" and verdict.words == "overshoots and spirals"
    assert verdict.turns == pytest.approx(128 * 0.3 / (2 * math.pi))
    assert "(6.1 full turns) around it (a spiral: at least one full turn)" in verdict.reason
    clockwise = quiz.classify(constructed(geometric(0.97, 200, turn=-0.3)))
    assert clockwise.answer == "spirals" and clockwise.turns < -6


def test_a_run_past_the_escape_square_diverges_whatever_its_path():
    path = geometric(-3.0, 10)
    path[7:] = np.nan
    verdict = quiz.classify(constructed(path, diverged_at=7))
    assert verdict.answer == "diverges" and verdict.diverged_at == 7
    assert verdict.reason == ("It diverged at step 7: it went farther than 100 map widths from "
                              "the map's centre, or f stopped being a finite number.")


def test_the_lessons_runs():
    sgd, momentum = runs_of("spiral")
    assert quiz.classify(sgd).answer == "smooth"
    spiral = quiz.classify(momentum)
    assert spiral.answer == "spirals" and spiral.turns > 3.5
    sgd, momentum = runs_of("divergence")
    assert quiz.classify(sgd).answer == "diverges"
    assert quiz.classify(momentum).answer == "oscillates"
    assert [quiz.classify(r).answer for r in runs_of("ravine")] == ["oscillates"] * 2


def test_the_reason_names_the_iteration_matrix_regime_on_a_quadratic():
    """Ravine, lr 0.038, β 0.6: along λ = 1, T = 1.6 − 0.038 = 1.562, D = 0.6, real roots, the
    larger (1.562 + √(1.562² − 2.4))/2 = 0.8808; along λ = 50, T = 1.6 − 1.9 = −0.3, T² < 4D:
    complex, of modulus √0.6 = 0.7746."""
    _, momentum = runs_of("ravine")
    reason = quiz.classify(momentum).reason
    assert "Theory: on this quadratic, the iteration matrix's eigenvalues along λ = 1 are real " \
           "and the larger is 0.8808: that component shrinks without changing sign" in reason
    assert "along λ = 50 are complex, of modulus 0.7746" in reason
    _, spiral = runs_of("spiral")  # β = 0.95, lr 0.05: T = 1.95 − 0.05λ < 2√0.95 for both λ
    assert "eigenvalues along λ = 1 and along λ = 1.2 are complex, of modulus 0.9747: each " \
           "component swings back and forth" in quiz.classify(spiral).reason
    sgd, _ = runs_of("divergence")  # lr·λ = 2.2: the root 1 − 2.2 = −1.2
    assert "along λ = 50 include one of modulus 1.2 ≥ 1: that component grows" in \
        quiz.classify(sgd).reason


def test_no_theory_where_it_does_not_apply():
    adam = mv.simulate(OVAL, optimizer="adam", lr=0.05, steps=100)
    noisy = mv.simulate(OVAL, optimizer="momentum", lr=0.05, beta=0.9, steps=100, noise=0.5)
    scheduled = mv.simulate(OVAL, optimizer="momentum", lr=0.05, beta=0.9, steps=100,
                            schedule=mv.schedules.cosine(100))
    for run in (adam, noisy, scheduled):
        assert "Theory" not in quiz.classify(run).reason
    rosenbrock = mv.simulate(mv.get_surface("rosenbrock"), optimizer="momentum", lr=0.002,
                             beta=0.9, steps=1000)
    assert "Theory: near the minimum (for the quadratic that matches the surface there)" in \
        quiz.classify(rosenbrock).reason


def test_a_surface_without_a_known_minimum_is_refused_unless_the_run_diverged():
    hill = mv.surface_from_formula("exp(-x^2-y^2)")
    assert not hill.minima
    with pytest.raises(ValueError, match="known minimum"):
        quiz.classify(mv.simulate(hill, optimizer="momentum", lr=0.1, steps=20))
    plane = mv.surface_from_formula("10x")
    run = mv.simulate(plane, optimizer="momentum", lr=10.0, beta=0.9, steps=200)
    assert run.diverged_at is not None and quiz.classify(run).answer == "diverges"


@pytest.mark.parametrize("surface_id", ["bowl", "oval", "ravine", "booth", "himmelblau",
                                        "rosenbrock", "beale"])
def test_every_outcome_gets_one_answer_in_true_sentences(surface_id):
    """Over a grid of optimizers, β and lr (from creeping to diverging) every run gets one of
    the four answers and a reason that is well formed."""
    surface = mv.get_surface(surface_id)
    lam = max(mv.theory.hessian_eigenvalues(surface, surface.minima[0])[-1], 1.0)
    seen = set()
    for optimizer in ("sgd", "momentum", "nesterov", "ema", "adam"):
        for beta in (0.0, 0.6, 0.95):
            for factor in (0.01, 0.5, 1.9, 3.0, 10.0):
                run = mv.simulate(surface, optimizer=optimizer, lr=factor / lam, beta=beta,
                                  steps=150)
                verdict = quiz.classify(run)
                seen.add(verdict.answer)
                assert verdict.answer in quiz.ANSWERS
                text = verdict.reason
                assert text.startswith("It ") and text.endswith(".") and ".." not in text
                assert not re.search(r"(?<![\d,.])1 (times|steps)|nan|inf\b", text), text
                assert (verdict.answer == "diverges") == (run.diverged_at is not None)
    assert "diverges" in seen and len(seen) >= 2


def test_position_after_k_steps():
    run = mv.simulate(OVAL, optimizer="momentum", lr=0.05, beta=0.9, steps=50)
    assert quiz.position_at(run, 20) == tuple(run.path[20])
    assert quiz.position_at(run, 0) == run.start
    with pytest.raises(ValueError):
        quiz.position_at(run, 51)
    path = geometric(-3.0, 10)
    path[7:] = np.nan
    gone = constructed(path, diverged_at=7)
    assert quiz.position_at(gone, 6) is not None and quiz.position_at(gone, 7) is None
