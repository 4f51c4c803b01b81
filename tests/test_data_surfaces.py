"""Loss surfaces from data: values and derivatives against closed forms written here, finite
differences and least squares; the built-in data sets; bad input."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz import theory
from momentum_viz.data import CHUNK_ELEMENTS

RNG = np.random.default_rng(5)
X = RNG.normal(3.0, 2.0, 250)
Y_LIN = -1.5 * X + 4.0 + RNG.normal(0, 1.0, 250)
Y_LOG = (RNG.random(250) < 1 / (1 + np.exp(-(0.8 * X - 2.0)))).astype(float)
W = np.array([[-2.0, 0.0, 0.7], [1.3, -0.4, 3.0]])
B = np.array([[1.0, -3.0, 0.2], [0.0, 5.0, -1.0]])


def mse_by_hand(w: float, b: float) -> tuple[float, float, float]:
    r = w * X + b - Y_LIN
    return np.mean(r**2), np.mean(2 * r * X), np.mean(2 * r)


def logloss_by_hand(w: float, b: float) -> tuple[float, float, float]:
    z = w * X + b
    p = 1 / (1 + np.exp(-z))
    loss = -np.mean(Y_LOG * np.log(p) + (1 - Y_LOG) * np.log(1 - p))
    return loss, np.mean((p - Y_LOG) * X), np.mean(p - Y_LOG)


@pytest.fixture(scope="module")
def linear() -> mv.Surface:
    return mv.regression_surface("linear", X, Y_LIN)


@pytest.fixture(scope="module")
def logistic() -> mv.Surface:
    return mv.regression_surface("logistic", X, Y_LOG)


@pytest.mark.parametrize(("kind", "by_hand"), [("linear", mse_by_hand),
                                               ("logistic", logloss_by_hand)])
def test_loss_and_gradient_match_closed_forms(kind, by_hand, linear, logistic):
    surface = linear if kind == "linear" else logistic
    f, gw, gb = surface.value_and_grad(W, B)
    assert f.shape == gw.shape == gb.shape == W.shape
    expected = np.array([[by_hand(w, b) for w, b in zip(rw, rb, strict=True)]
                         for rw, rb in zip(W, B, strict=True)])
    np.testing.assert_allclose(f, expected[..., 0], rtol=1e-12)
    np.testing.assert_allclose(gw, expected[..., 1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, expected[..., 2], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(surface.f(W, B), f, rtol=1e-14)
    np.testing.assert_allclose(np.array(surface.grad(W, B)), [gw, gb], rtol=1e-14)


@pytest.mark.parametrize("kind", ["linear", "logistic"])
def test_gradient_and_hessian_match_finite_differences(kind, linear, logistic):
    surface = linear if kind == "linear" else logistic
    h = 1e-6
    gw, gb = surface.grad(W, B)
    np.testing.assert_allclose(gw, (surface.f(W + h, B) - surface.f(W - h, B)) / (2 * h),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gb, (surface.f(W, B + h) - surface.f(W, B - h)) / (2 * h),
                               rtol=1e-6, atol=1e-7)
    hww, hwb, hbb = surface.hessian(W, B)
    np.testing.assert_allclose(hww, (surface.grad(W + h, B)[0] - surface.grad(W - h, B)[0])
                               / (2 * h), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hwb, (surface.grad(W, B + h)[0] - surface.grad(W, B - h)[0])
                               / (2 * h), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hbb, (surface.grad(W, B + h)[1] - surface.grad(W, B - h)[1])
                               / (2 * h), rtol=1e-5, atol=1e-7)


def test_linear_minimum_is_least_squares_and_its_hessian_exact(linear):
    design = np.column_stack([X, np.ones_like(X)])
    (w, b), *_ = np.linalg.lstsq(design, Y_LIN, rcond=None)
    np.testing.assert_allclose(linear.minima[0], (w, b), rtol=1e-10)
    lam = theory.hessian_eigenvalues(linear, linear.minima[0])
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(2 * design.T @ design / len(X)),
                               rtol=1e-12)
    assert linear.f_min == pytest.approx(np.mean((design @ (w, b) - Y_LIN) ** 2), rel=1e-12)


def test_logistic_minimum_has_zero_gradient_and_is_framed(logistic):
    (w, b), = logistic.minima
    assert np.hypot(*logistic.grad(w, b)) < 1e-9
    assert logistic.f_min == pytest.approx(logloss_by_hand(w, b)[0], rel=1e-12)
    (x0, x1), (y0, y1) = logistic.domain
    for px, py in (logistic.start, (w, b)):
        assert x0 < px < x1 and y0 < py < y1


def test_log_loss_is_stable_far_from_the_data(logistic):
    far = np.array([1e4, -1e4, 300.0])
    f, gw, gb = logistic.value_and_grad(far, far)
    assert np.all(np.isfinite(f) & np.isfinite(gw) & np.isfinite(gb))
    z = far[0] * X + far[0]
    np.testing.assert_allclose(f[0], np.mean(np.where(z > 0, z, 0) - Y_LOG * z), rtol=1e-12)


def test_large_sweep_is_chunked_and_exact(logistic):
    w, b = np.meshgrid(np.linspace(-1, 2, 60), np.linspace(-3, 1, 80))
    assert w.size * len(X) > CHUNK_ELEMENTS  # more than one chunk
    f = logistic.f(w, b)
    assert f.shape == (80, 60)
    np.testing.assert_allclose(f[7, 11], logloss_by_hand(w[7, 11], b[7, 11])[0], rtol=1e-12)


def test_datasets_are_deterministic_surfaces_with_a_ravine_variant():
    assert set(mv.DATASETS) == {"linreg", "linreg-ravine", "logreg", "logreg-ravine"}
    for id, data in mv.DATASETS.items():
        surface = data.surface()
        assert surface.id == id and surface.data.n == len(data.x) >= 200
        assert surface.data.kind == data.kind and surface.minima_source == "known"
        assert surface.lr > 0 and 0 <= surface.beta < 1 and surface.latex.startswith("f(x, y)")
        x, y = data.make(np.random.default_rng(mv.data.SEED))
        np.testing.assert_array_equal(x, data.x)
        np.testing.assert_array_equal(y, data.y)
    kappa = {}
    for id, data in mv.DATASETS.items():
        lam = theory.hessian_eigenvalues(data.surface(), data.surface().minima[0])
        kappa[id] = lam[1] / lam[0]
    assert kappa["linreg"] < 3 and kappa["linreg-ravine"] > 100
    assert kappa["logreg"] < 5 and kappa["logreg-ravine"] > 100


@pytest.mark.parametrize(("kind", "x", "y", "message"), [
    ("quadratic", [1, 2], [1, 2], "kind"),
    ("linear", [1, 2, 3], [1, 2], "same length"),
    ("linear", [[1, 2]], [[1, 2]], "1-D"),
    ("linear", [1], [1], "2 to"),
    ("linear", [1, np.nan], [1, 2], "finite"),
    ("linear", [1, 2], [np.inf, 2], "finite"),
    ("linear", [2, 2, 2], [1, 2, 3], "constant"),
    ("logistic", [1, 2, 3], [0, 1, 2], "labels"),
    ("logistic", [1, 2, 3, 4], [0, 0, 1, 1], "separable"),
])
def test_bad_data_raise_value_error(kind, x, y, message):
    with pytest.raises(ValueError, match=message):
        mv.regression_surface(kind, np.array(x, float), np.array(y, float))
