"""The theory pictures and the theory helpers they use, against hand-computed values and
independent computations (eigenvalues of R with numpy.linalg, projections by hand)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from plotly_spec import decode

import momentum_viz as mv
from momentum_viz import theory
from momentum_viz.figures.theory_plots import (
    components_figure,
    damping_figure,
    deepest_cell,
    direction_regime,
    envelope_figure,
    phase_figure,
    rate_map_figure,
)


def spec(fig) -> dict:
    return json.loads(fig.to_json())


def by_name(figure: dict, prefix: str) -> dict:
    return next(t for t in figure["data"] if str(t.get("name", "")).startswith(prefix))


def spectral_radius(lr: float, beta: float, lam: float) -> float:
    """max|eig(R)| of Goh's iteration matrix, by numpy: independent of momentum_viz.theory."""
    r = np.array([[beta, lam], [-lr * beta, 1 - lr * lam]])
    return float(np.max(np.abs(np.linalg.eigvals(r))))


# -- theory helpers --------------------------------------------------------------------------------
def test_stability_limit_per_optimizer_by_hand():
    assert theory.stability_limit_lr(0.5, 10.0) == pytest.approx(0.3)
    assert theory.stability_limit_lr(0.5, 10.0, "sgd") == pytest.approx(0.2)
    assert theory.stability_limit_lr(0.5, 10.0, "nesterov") == pytest.approx(0.15)  # 3/(2·10)
    assert theory.stability_limit_lr(0.5, 10.0, "ema") == pytest.approx(0.6)


def test_critical_lrs_by_hand():
    low, high = theory.critical_lrs(0.25, 2.0)
    assert (low, high) == (pytest.approx(0.125), pytest.approx(1.125))  # (1 ∓ ½)²/2
    low, high = theory.critical_lrs(0.25, 2.0, "ema")
    assert (low, high) == (pytest.approx(0.125 / 0.75), pytest.approx(1.125 / 0.75))
    low, high = theory.critical_lrs(0.5, 2.0, "nesterov")
    assert (low, high) == (pytest.approx((0.5 / 1.5) ** 2 / 2), pytest.approx(0.5))
    assert np.isnan(theory.critical_lrs(0.5, 2.0, "sgd")).all()
    assert np.isnan(theory.critical_lrs(1.0, 2.0)).all()
    assert theory.critical_lr(0.25, 2.0) == theory.critical_lrs(0.25, 2.0)[0]


def test_between_the_critical_lrs_the_roots_are_complex():
    beta, lam = 0.64, 3.0
    low, high = theory.critical_lrs(beta, lam)
    for lr, regime in ((0.9 * low, "monotone"), ((low + high) / 2, "ripples"),
                       (1.005 * high, "oscillating")):
        assert theory.regime(lr, beta, lam) == regime


def test_curvature_is_exact_only_for_quadratics():
    ravine = theory.curvature(mv.get_surface("ravine"), (0.0, 0.0))
    assert ravine.exact and ravine.lam_min == pytest.approx(1) and ravine.lam_max == 50
    booth = theory.curvature(mv.get_surface("booth"), (1.0, 3.0))
    assert booth.exact and (booth.lam_min, booth.lam_max) == (pytest.approx(2), pytest.approx(18))
    rosenbrock = theory.curvature(mv.get_surface("rosenbrock"), (1.0, 1.0))
    assert not rosenbrock.exact
    # Hessian of (1−x)² + 100(y−x²)² at (1, 1): [[802, −400], [−400, 200]]
    np.testing.assert_allclose([rosenbrock.lam_min, rosenbrock.lam_max],
                               np.linalg.eigvalsh([[802, -400], [-400, 200]]), rtol=1e-12)


def test_the_pages_closed_form_of_r_to_the_k_and_the_articles_typo():
    """The Why-momentum page shows R^k = σ₁^k (R − σ₂I)/(σ₁−σ₂) − σ₂^k (R − σ₁I)/(σ₁−σ₂);
    the article's version, with the indices of σ swapped inside, is wrong."""
    lr, beta, lam, k = 0.03, 0.7, 20.0, 9
    r = theory.iteration_matrix(lr, beta, lam)
    s1, s2 = theory.roots(lr, beta, lam)
    eye = np.eye(2)
    shown = s1**k * (r - s2 * eye) / (s1 - s2) - s2**k * (r - s1 * eye) / (s1 - s2)
    np.testing.assert_allclose(shown, np.linalg.matrix_power(r, k), atol=1e-12)
    swapped = s1**k * (r - s1 * eye) / (s1 - s2) - s2**k * (r - s2 * eye) / (s1 - s2)
    assert not np.allclose(swapped, np.linalg.matrix_power(r, k))


def test_the_optimum_damps_both_ends_critically():
    lr, beta, rate = theory.optimal(1.0, 100.0)
    assert direction_regime(lr, beta, 1.0) == "critically damped"  # lr·λ = 4/121 < 1
    # lr·λ = 400/121 > 1: the double root 1 − √(lr·λ) = −9/11 is negative
    assert direction_regime(lr, beta, 100.0) == "critically damped (flipping)"
    assert theory.roots(lr, beta, 100.0)[0].real == pytest.approx(-9 / 11)
    assert theory.rate(lr, beta, 1.0) == pytest.approx(rate)
    assert theory.rate(lr, beta, 100.0) == pytest.approx(rate)
    assert direction_regime(lr, 0.5, 1.0) == "monotone"
    assert direction_regime(lr, 0.9, 1.0) == "ripples"


# -- the rate map ---------------------------------------------------------------------------------
def test_rate_map_is_the_spectral_radius_over_both_directions():
    lrs, betas = np.logspace(-3, -1, 12), np.linspace(0, 0.99, 10)
    best = theory.optimal(1.0, 50.0)
    figure = spec(rate_map_figure(1.0, 50.0, lrs=lrs, betas=betas, current=(0.038, 0.6),
                                  optimum=best[:2]))
    heatmap = by_name(figure, "rate")
    rate = decode(heatmap["customdata"])
    for i, beta in enumerate(betas):
        for j, lr in enumerate(lrs):
            expected = max(spectral_radius(lr, beta, 1.0), spectral_radius(lr, beta, 50.0))
            assert rate[i, j] == pytest.approx(expected, rel=1e-9)
    divergent = next(t for t in figure["data"] if t.get("name") == "divergent"
                     and t["type"] == "heatmap")
    np.testing.assert_array_equal(np.isfinite(decode(divergent["z"])), rate >= 1)
    labels = {a["text"] for a in figure["layout"]["annotations"]}
    assert {"monotone", "ripples", "divergent"} <= labels
    star = by_name(figure, "optimal lr*, β*")
    assert (star["x"][0], star["y"][0]) == pytest.approx(best[:2])
    assert by_name(figure, "your lr, β")["x"] == [0.038]


def test_region_labels_sit_inside_their_region():
    mask = np.zeros((9, 11), bool)
    mask[2:7, 1:10] = True
    assert deepest_cell(mask) == (4, 5)
    single = np.zeros((3, 3), bool)
    single[0, 2] = True
    assert deepest_cell(single) == (0, 2)


# -- a run along the eigen-directions ----------------------------------------------------------
@pytest.fixture(scope="module")
def quadratic_run() -> tuple[mv.Run, np.ndarray]:
    """½(u² + 100v²) turned by 30°, momentum at lr 0.01, β 0.5 from (u, v) = (2, 2)."""
    a = np.radians(30)
    basis = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    surface = mv.surface.make_surface(
        "((cos(pi/6)*x + sin(pi/6)*y)^2 + 100*(-sin(pi/6)*x + cos(pi/6)*y)^2)/2", id="q",
        name="q", domain=((-3.5, 3.5), (-3.5, 3.5)), minima=[(0.0, 0.0)])
    start = tuple(basis @ np.array([2.0, 2.0]))
    return mv.simulate(surface, optimizer="momentum", lr=0.01, beta=0.5, start=start,
                       steps=80), basis


def test_components_are_the_run_in_the_eigenbasis(quadratic_run):
    run, basis = quadratic_run
    figure = spec(components_figure(run, basis, (1.0, 100.0)))
    slow, fast = by_name(figure, "λ₁ = 1"), by_name(figure, "λ₂ = 100")
    u = run.path[:, 0] * np.cos(np.pi / 6) + run.path[:, 1] * np.sin(np.pi / 6)
    v = -run.path[:, 0] * np.sin(np.pi / 6) + run.path[:, 1] * np.cos(np.pi / 6)
    np.testing.assert_allclose(decode(slow["y"]), u, atol=1e-12)
    np.testing.assert_allclose(decode(fast["y"]), v, atol=1e-12)
    assert decode(slow["y"])[0] == pytest.approx(2) and decode(fast["y"])[0] == pytest.approx(2)
    # lr·λ₁ = 0.01 < β_c: creeps; lr·λ₂ = 1: complex roots, rings at √0.5
    assert slow["name"].startswith("λ₁ = 1 (slow): monotone")
    assert fast["name"] == "λ₂ = 100 (fast): ripples, rate 0.707"
    # Each coordinate is its own 1-D heavy ball: u_{k+1} = u_k − lr(β v_k + λ u_k)...
    coast = u[1:] - u[:-1]
    np.testing.assert_allclose(coast[1:], 0.5 * coast[:-1] - 0.01 * 1.0 * u[1:-1], atol=1e-12)


def test_phase_plot_is_position_against_the_step_just_taken(quadratic_run):
    run, basis = quadratic_run
    figure = spec(phase_figure(run, basis, (1.0, 100.0)))
    fast = by_name(figure, "λ₂ = 100")
    v = (run.path @ basis)[:, 1]
    np.testing.assert_allclose(decode(fast["x"]), v[1:], atol=1e-12)
    np.testing.assert_allclose(decode(fast["y"]), np.diff(v), atol=1e-12)


def test_envelope_bounds_the_loss_and_touches_it(quadratic_run):
    run, _ = quadratic_run
    rate = max(spectral_radius(0.01, 0.5, lam) for lam in (1.0, 100.0))
    figure = spec(envelope_figure(run, rate))
    envelope = by_name(figure, "theory: C·rate^(2k)")
    curve = decode(envelope["y"])
    gap = run.loss[: len(curve)] - run.surface.f_min
    assert np.all(curve >= gap * (1 - 1e-9))
    assert np.max(gap / curve) == pytest.approx(1.0)
    np.testing.assert_allclose(curve[1:] / curve[:-1], rate**2, rtol=1e-9)


def test_damping_figure_rates_and_critical_betas():
    lr, lams = 0.01, (1.0, 100.0)
    figure = spec(damping_figure(lr, 0.5, lams))
    slow = by_name(figure, "rate along λ = 1")
    betas = decode(slow["x"])
    expected = [spectral_radius(lr, b, 1.0) for b in betas]
    np.testing.assert_allclose(decode(slow["y"]), expected, rtol=1e-9)
    lines = sorted(s["x0"] for s in figure["layout"]["shapes"] if s["type"] == "line"
                   and s["x0"] == s["x1"])
    # β_c = (1 − √(lr·λ))²: 0.81 for λ = 1 and 0 for λ = 100; and the user's β = 0.5
    assert lines == pytest.approx([0.0, 0.5, 0.81])
