"""Checks of momentum_viz.theory against hand-derived values, explicitly written matrices,
numpy.linalg and the update rules themselves, never against the module's own formulas."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from momentum_viz import theory

OPTIMIZERS = ("sgd", "momentum", "nesterov", "ema")


def step(optimizer: str, lr: float, beta: float, lam: float, v: float, theta: float):
    """One update of each optimizer on f = ½λθ², written straight from its definition."""
    g = lam * theta
    if optimizer == "sgd":
        return g, theta - lr * g
    if optimizer == "momentum":
        v = beta * v + g
        return v, theta - lr * v
    if optimizer == "nesterov":
        v = beta * v + g
        return v, theta - lr * (g + beta * v)
    v = beta * v + (1 - beta) * g
    return v, theta - lr * v


def matrix_by_hand(optimizer: str, lr, beta, lam) -> np.ndarray:
    """The iteration matrix on (v, θ), written out entry by entry; shape (..., 2, 2)."""
    lr, beta, lam = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (lr, beta, lam)))
    m = np.empty((*lr.shape, 2, 2))
    if optimizer == "sgd":
        m[..., 0, 0], m[..., 0, 1] = 0.0, lam
        m[..., 1, 0], m[..., 1, 1] = 0.0, 1 - lr * lam
    elif optimizer == "momentum":
        m[..., 0, 0], m[..., 0, 1] = beta, lam
        m[..., 1, 0], m[..., 1, 1] = -lr * beta, 1 - lr * lam
    elif optimizer == "nesterov":
        m[..., 0, 0], m[..., 0, 1] = beta, lam
        m[..., 1, 0], m[..., 1, 1] = -lr * beta**2, 1 - lr * lam * (1 + beta)
    else:
        m[..., 0, 0], m[..., 0, 1] = beta, (1 - beta) * lam
        m[..., 1, 0], m[..., 1, 1] = -lr * beta, 1 - lr * (1 - beta) * lam
    return m


def eig_rate(optimizer: str, lr, beta, lam) -> np.ndarray:
    return np.abs(np.linalg.eigvals(matrix_by_hand(optimizer, lr, beta, lam))).max(axis=-1)


# A dense grid over step size, momentum and eigenvalue, including λ ≤ 0 and unstable points.
LR, BETA, LAM = np.meshgrid(
    np.linspace(0.01, 3.0, 23),
    np.linspace(0.0, 0.99, 21),
    np.array([-0.5, 0.0, 0.3, 1.0, 2.7, 9.0]),
)


# -- optimal parameters ----------------------------------------------------------------------------


def test_optimal_momentum_by_hand():
    # κ = 100: lr = (2/(1 + 10))², β = ((10 − 1)/(10 + 1))², rate = 9/11.
    lr, beta, rate = theory.optimal(1.0, 100.0)
    assert lr == pytest.approx((2 / 11) ** 2, abs=1e-15)
    assert beta == pytest.approx((9 / 11) ** 2, abs=1e-15)
    assert rate == pytest.approx(9 / 11, abs=1e-15)


def test_optimal_sgd_by_hand():
    lr, beta, rate = theory.optimal(1.0, 100.0, "sgd")
    assert lr == pytest.approx(2 / 101, abs=1e-15)
    assert beta == 0.0
    assert rate == pytest.approx(99 / 101, abs=1e-15)


def test_optimal_ema_by_hand():
    # Momentum's lr* rescaled by 1/(1 − β*): (4/121) / (40/121) = 1/10.
    lr, beta, rate = theory.optimal(1.0, 100.0, "ema")
    assert lr == pytest.approx(0.1, abs=1e-15)
    assert beta == pytest.approx(81 / 121, abs=1e-15)
    assert rate == pytest.approx(9 / 11, abs=1e-15)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(("lam_min", "lam_max"), [(1.0, 1.0), (0.5, 2.0), (1.0, 100.0), (3.0, 3e3)])
def test_optimal_is_the_minimax_over_the_spectrum(optimizer, lam_min, lam_max):
    """The claimed rate is the worst eigvals-rate over [λmin, λmax], and nudging lr or β
    never lowers that worst case."""
    lams = np.linspace(lam_min, lam_max, 2001)

    def worst(lr, beta):
        return eig_rate(optimizer, lr, beta, lams).max()

    lr, beta, rate = theory.optimal(lam_min, lam_max, optimizer)
    assert worst(lr, beta) == pytest.approx(rate, rel=1e-6, abs=1e-7)
    nudges = [(lr * 1.001, beta), (lr * 0.999, beta)]
    if optimizer != "sgd":
        nudges += [(lr, beta + 1e-3), (lr, max(beta - 1e-3, 0.0))]
    for nudged in nudges:
        assert worst(*nudged) >= rate - 1e-7


@pytest.mark.parametrize(("lam_min", "lam_max"), [(0.0, 1.0), (2.0, 1.0), (-1.0, 1.0)])
def test_optimal_rejects_a_bad_spectrum(lam_min, lam_max):
    with pytest.raises(ValueError, match="lam_min"):
        theory.optimal(lam_min, lam_max)


# -- iteration matrix, roots and rate --------------------------------------------------------------


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_iteration_matrix_is_one_step_of_the_update_rule(optimizer):
    rng = np.random.default_rng(0)
    for lr, beta, lam, v, theta in rng.uniform([0, 0, -1, -1, -1], [2, 1, 5, 1, 1], (50, 5)):
        expected = step(optimizer, lr, beta, lam, v, theta)
        r = theory.iteration_matrix(lr, beta, lam, optimizer)
        np.testing.assert_allclose(r @ [v, theta], expected, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(r, matrix_by_hand(optimizer, lr, beta, lam), rtol=1e-15)


def test_iteration_matrix_broadcasts():
    r = theory.iteration_matrix(np.array([0.1, 0.2, 0.3]), 0.5, np.array([[1.0], [2.0]]))
    assert r.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(r[1, 2], [[0.5, 2.0], [-0.15, 0.4]])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_rate_matches_eigvals_on_a_dense_grid(optimizer):
    got = theory.rate(LR, BETA, LAM, optimizer)
    assert got.shape == LR.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, eig_rate(optimizer, LR, BETA, LAM), rtol=1e-6, atol=1e-7)


@settings(max_examples=400, deadline=None)
@given(
    optimizer=st.sampled_from(OPTIMIZERS),
    lr=st.floats(1e-4, 5.0),
    beta=st.floats(0.0, 0.999),
    lam=st.floats(-2.0, 20.0),
)
def test_rate_matches_eigvals_hypothesis(optimizer, lr, beta, lam):
    expected = eig_rate(optimizer, lr, beta, lam)
    assert theory.rate(lr, beta, lam, optimizer) == pytest.approx(expected, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_roots_are_the_eigenvalues(optimizer):
    z1, z2 = theory.roots(LR, BETA, LAM, optimizer)
    assert z1.dtype == z2.dtype == np.complex128
    m = matrix_by_hand(optimizer, LR, BETA, LAM)
    # Vieta: sum = trace, product = determinant.
    np.testing.assert_allclose(z1 + z2, np.trace(m, axis1=-2, axis2=-1), atol=1e-12)
    np.testing.assert_allclose(z1 * z2, np.linalg.det(m), atol=1e-12)
    assert np.all(np.abs(z1) >= np.abs(z2) - 1e-12)


def test_sgd_roots_are_zero_and_one_minus_lr_lam():
    z1, z2 = theory.roots(0.5, 0.7, 3.0, "sgd")
    assert z1 == pytest.approx(-0.5) and z2 == 0


def test_scalar_inputs_give_scalars():
    assert np.ndim(theory.rate(0.1, 0.5, 1.0)) == 0
    assert np.ndim(theory.stable(0.1, 0.5, 1.0)) == 0
    assert np.ndim(theory.regime(0.1, 0.5, 1.0)) == 0
    assert np.ndim(theory.critical_beta(0.1, 1.0)) == 0
    assert theory.rate(np.ones(3), 0.5, np.ones((2, 1))).shape == (2, 3)


@pytest.mark.parametrize(
    ("optimizer", "lr", "beta", "lam"),
    [
        (opt, *point)
        for opt, point in itertools.product(
            OPTIMIZERS,
            [(0.5, 0.9, 1), (0.05, 0.5, 1), (1.0, 0.3, 2.5), (0.25, 0.25, 1), (0.1, 0.8, 3)],
        )
    ],
)
def test_observed_contraction_matches_rate(optimizer, lr, beta, lam):
    """Run the real update for 400 steps; the envelope of |θ_k| shrinks (or grows) at the rate.

    The envelope is the max of |θ| over a window, so ripples (θ ∝ ρᵏcos(kω)) do not matter;
    comparing windows 200 steps apart gives the per-step factor.
    """
    v, theta, path = 0.0, 1.0, []
    for _ in range(400):
        v, theta = step(optimizer, lr, beta, lam, v, theta)
        path.append(abs(theta))
    path = np.array(path)
    observed = (path[300:].max() / path[100:200].max()) ** (1 / 200)
    assert observed == pytest.approx(theory.rate(lr, beta, lam, optimizer), rel=0.02)


def test_complex_roots_give_sqrt_beta():
    disc = (1 + BETA - LR * LAM) ** 2 - 4 * BETA
    ripples = disc < -1e-9
    assert ripples.sum() > 100
    got = theory.rate(LR, BETA, LAM)[ripples]
    np.testing.assert_allclose(got, np.sqrt(BETA[ripples]), rtol=1e-12)


def test_ema_is_momentum_at_lr_times_one_minus_beta():
    np.testing.assert_allclose(
        theory.rate(LR, BETA, LAM, "ema"), theory.rate(LR * (1 - BETA), BETA, LAM), rtol=1e-12
    )


# -- critical damping ------------------------------------------------------------------------------


def test_critical_beta_gives_a_double_root():
    h = np.linspace(0.01, 3.99, 200)
    for lam in (0.5, 1.0, 7.0):
        lr = h / lam
        beta = theory.critical_beta(lr, lam)
        assert np.all((beta >= 0) & (beta < 1))
        np.testing.assert_allclose((1 + beta - h) ** 2 - 4 * beta, 0.0, atol=1e-12)
        np.testing.assert_allclose(theory.rate(lr, beta, lam), np.abs(1 - np.sqrt(h)), atol=1e-7)


def test_critical_beta_by_hand_and_nan_outside():
    assert theory.critical_beta(0.25, 1.0) == pytest.approx(0.25)  # (1 − ½)²
    assert theory.critical_beta(1.0, 2.25) == pytest.approx(0.25)  # (1 − 1.5)²
    assert np.isnan(theory.critical_beta(np.array([0.0, -1.0, 4.0, 5.0]), 1.0)).all()


def test_critical_lr_is_the_lower_branch_inverse():
    assert theory.critical_lr(0.25, 2.0) == pytest.approx(0.125)  # (1 − ½)² / 2
    beta = np.linspace(0.0, 0.99, 50)
    lr = theory.critical_lr(beta, 3.0)
    assert np.all(lr * 3.0 <= 1)
    np.testing.assert_allclose(theory.critical_beta(lr[:-1], 3.0), beta[:-1], atol=1e-12)
    assert np.isnan(theory.critical_lr(np.array([-0.1, 1.0, 0.5]), np.array([1.0, 1.0, 0.0]))).all()


# -- stability and regimes -------------------------------------------------------------------------


def test_stability_limit_lr_by_hand():
    assert theory.stability_limit_lr(0.5, 10.0) == pytest.approx(0.3)
    assert theory.stability_limit_lr(0.0, 4.0) == pytest.approx(0.5)


def test_momentum_stable_matches_closed_form_near_the_boundary():
    # h = lr·λ at relative distances from the edge 2(1+β) on both sides, plus h ≤ 0 and tiny h.
    beta = np.linspace(0.0, 0.99, 34)[:, None]
    edge = 2 * (1 + beta)
    rel = np.array([-0.5, -1e-3, -1e-6, -1e-9, 1e-9, 1e-6, 1e-3, 0.5])
    h = np.concatenate([edge * (1 + rel), np.broadcast_to([-1.0, 0.0, 1e-12, 1e-3], (34, 4))], 1)
    expected = (h > 0) & (h < edge)
    assert expected.any() and not expected.all()
    for lam in (1.0, 3.0):
        np.testing.assert_array_equal(theory.stable(h / lam, beta, lam), expected)
    assert not theory.stable(3.0, 0.5, 1.0)  # exactly on the edge: a root at −1
    assert not theory.stable(0.0, 0.5, 1.0)  # lr = 0: a root at 1


def test_sgd_and_nesterov_stable_match_closed_form():
    # sgd: 0 < h < 2. nesterov: p(−1) = 1 + (1+2β)(1−h) > 0, p(1) = h > 0, |β(1−h)| < 1
    # together give 0 < h < 2(1+β)/(1+2β) for 0 ≤ β < 1.
    h, beta = LR * LAM, BETA
    np.testing.assert_array_equal(theory.stable(LR, BETA, LAM, "sgd"), (h > 0) & (h < 2))
    nesterov_edge = 2 * (1 + beta) / (1 + 2 * beta)
    np.testing.assert_array_equal(
        theory.stable(LR, BETA, LAM, "nesterov"), (h > 0) & (h < nesterov_edge)
    )


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_stable_means_eigvals_inside_the_unit_circle(optimizer):
    expected = eig_rate(optimizer, LR, BETA, LAM)
    clear = np.abs(expected - 1) > 1e-6
    got = theory.stable(LR, BETA, LAM, optimizer)
    np.testing.assert_array_equal(got[clear], (expected < 1)[clear])


@pytest.mark.parametrize(
    ("lr", "beta", "lam", "label"),
    [
        # h = lr·λ, roots of z² − (1 + β − h)z + β, worked out by hand:
        (1.0, 0.81, 1.0, "ripples"),  # T = 0.81, T² − 4β < 0
        (2.9, 0.5, 1.0, "ripples"),  # T = −1.4, 1.96 − 2 < 0
        (0.1, 0.0, 1.0, "monotone"),  # roots 0.9, 0
        (0.01, 0.5, 1.0, "monotone"),  # T = 1.49, 2.2201 − 2 > 0, roots ≈ 1.08 ± 0.23 → 0.98
        (1.5, 0.0, 1.0, "oscillating"),  # roots −0.5, 0
        (2.95, 0.5, 1.0, "oscillating"),  # T = −1.45, roots ≈ −0.885, −0.565
        (0.5, 0.3, 5.0, "oscillating"),  # h = 2.5, T = −1.2, roots ≈ −0.845, −0.355
        (3.0, 0.0, 1.0, "divergent"),  # root −2
        (3.5, 0.5, 1.0, "divergent"),  # h = 3.5 > 2(1 + β) = 3
        (1.0, 0.5, -0.1, "divergent"),  # negative curvature: a root above 1
    ],
)
def test_regime_by_hand(lr, beta, lam, label):
    assert theory.regime(lr, beta, lam) == label


def test_regime_is_vectorized():
    got = theory.regime(np.array([1.0, 0.1, 1.5, 3.0]), np.array([0.81, 0.0, 0.0, 0.0]), 1.0)
    assert got.tolist() == ["ripples", "monotone", "oscillating", "divergent"]


# -- envelopes -------------------------------------------------------------------------------------


def test_envelope_by_hand():
    np.testing.assert_allclose(theory.envelope(0.5, 3, 8.0), [8.0, 4.0, 2.0, 1.0])
    np.testing.assert_allclose(theory.loss_envelope(0.5, 2, 1.0), [1.0, 0.25, 0.0625])
    both = theory.envelope(np.array([0.5, 0.1]), 2, 1.0)
    np.testing.assert_allclose(both, [[1.0, 0.5, 0.25], [1.0, 0.1, 0.01]])


def test_envelopes_are_exact_for_sgd():
    lr, lam, theta = 0.3, 2.0, 1.5
    path = [theta]
    for _ in range(10):
        theta -= lr * lam * theta
        path.append(theta)
    path = np.array(path)
    rate = theory.rate(lr, 0.0, lam, "sgd")
    np.testing.assert_allclose(theory.envelope(rate, 10, 1.5), np.abs(path), rtol=1e-12)
    loss = 0.5 * lam * path**2
    np.testing.assert_allclose(theory.loss_envelope(rate, 10, loss[0]), loss, rtol=1e-12)


# -- Hessian eigenvalues ---------------------------------------------------------------------------


class RotatedQuadratic:
    """f = ½(λ₁u² + λ₂w²) with (u, w) the point rotated by `angle`; constant Hessian returned as
    plain floats, the way sympy's lambdify returns constant expressions."""

    def __init__(self, lam1: float, lam2: float, angle: float):
        c, s = np.cos(angle), np.sin(angle)
        self.h = (lam1 * c * c + lam2 * s * s, (lam1 - lam2) * c * s, lam1 * s * s + lam2 * c * c)

    def hessian(self, x, y):
        return self.h


class QuarticValley:
    """f = x⁴/12 + y² + xy: Hessian [[x², 1], [1, 2]]."""

    def hessian(self, x, y):
        x = np.asarray(x, dtype=float)
        return x**2, np.ones_like(x), np.full_like(x, 2.0)


@pytest.mark.parametrize("angle", [0.0, 0.3, np.pi / 4, 2.0])
def test_hessian_eigenvalues_of_a_rotated_quadratic(angle):
    got = theory.hessian_eigenvalues(RotatedQuadratic(10.0, 0.5, angle), (0.7, -1.2))
    assert got.shape == (2,)
    np.testing.assert_allclose(got, [0.5, 10.0], rtol=1e-12)


def test_hessian_eigenvalues_depend_on_the_point_and_vectorize():
    # At x = 0: [[0, 1], [1, 2]] → 1 ± √2. At x = √2: [[2, 1], [1, 2]] → 1, 3.
    got = theory.hessian_eigenvalues(QuarticValley(), np.array([[0.0, 5.0], [np.sqrt(2), -1.0]]))
    np.testing.assert_allclose(got, [[1 - np.sqrt(2), 1 + np.sqrt(2)], [1.0, 3.0]], rtol=1e-12)


def test_hessian_eigenvalues_nan_where_the_hessian_is_undefined():
    class Undefined:
        def hessian(self, x, y):
            return np.nan, 0.0, 1.0

    assert np.isnan(theory.hessian_eigenvalues(Undefined(), (0.0, 0.0))).all()


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda name: theory.iteration_matrix(0.1, 0.9, 1.0, name),
        lambda name: theory.roots(0.1, 0.9, 1.0, name),
        lambda name: theory.rate(0.1, 0.9, 1.0, name),
        lambda name: theory.stable(0.1, 0.9, 1.0, name),
        lambda name: theory.optimal(1.0, 10.0, name),
    ],
)
def test_unknown_optimizer_is_rejected(call):
    with pytest.raises(ValueError, match="adam"):
        call("adam")
