"""Surfaces and presets: values against the textbook definitions written here in NumPy,
derivatives against finite differences, minima against their published locations."""

from __future__ import annotations

import math

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz.surface import make_surface

# The standard definitions, written independently of presets.py.
DEFINITIONS = {
    "bowl": lambda x, y: x**2 + y**2,
    "oval": lambda x, y: (x**2 + 1.2 * y**2) / 2,
    "ravine": lambda x, y: (x + y) ** 2 / 4 + 25 * (x - y) ** 2 / 2,
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
    + (2.625 - x + x * y**3) ** 2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "rastrigin": lambda x, y: 20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2
    - 10 * np.cos(2 * np.pi * y),
    "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
    "six_hump_camel": lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y
    + (-4 + 4 * y**2) * y**2,
    "styblinski_tang": lambda x, y: (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y) / 2,
    "saddle": lambda x, y: x**2 - y**2,
}

# Gradients worked out by hand.
GRADIENTS = {
    "bowl": lambda x, y: (2 * x, 2 * y),
    "ravine": lambda x, y: ((x + y) / 2 + 25 * (x - y), (x + y) / 2 - 25 * (x - y)),
    "rosenbrock": lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
    "himmelblau": lambda x, y: (4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7),
                                2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7)),
    "rastrigin": lambda x, y: (2 * x + 20 * np.pi * np.sin(2 * np.pi * x),
                               2 * y + 20 * np.pi * np.sin(2 * np.pi * y)),
    "booth": lambda x, y: (10 * x + 8 * y - 34, 8 * x + 10 * y - 38),
    "six_hump_camel": lambda x, y: (8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3),
    "styblinski_tang": lambda x, y: ((4 * x**3 - 32 * x + 5) / 2, (4 * y**3 - 32 * y + 5) / 2),
    "saddle": lambda x, y: (2 * x, -2 * y),
}

FORMULAS = ["sin(x)*cos(y)", "exp(-x^2-y^2)", "log(1+x^2+y^2)", "x^2 y - y^3/3",
            "sqrt(1 + x^2 + 2y^2)", "atan(x y) + tanh(x - y)", "(x-1)^2 + 2(y+0.5)^2"]


def random_points(surface, rng, n=200):
    (x0, x1), (y0, y1) = surface.domain
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def assert_close_scaled(actual, expected, rtol=1e-12):
    """Relative agreement, with an absolute floor at rtol times the sample's largest value
    (sums of large terms that nearly cancel are only accurate to that)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def fd_gradient(f, x, y, h=1e-3):
    """Five-point central differences (error O(h⁴))."""
    def d(g):
        return (-g(2 * h) + 8 * g(h) - 8 * g(-h) + g(-2 * h)) / (12 * h)

    return d(lambda t: f(x + t, y)), d(lambda t: f(x, y + t))


# -- the presets -----------------------------------------------------------------------------------
def test_every_preset_builds_and_is_listed():
    assert set(DEFINITIONS) == set(mv.SURFACE_IDS)
    assert mv.SURFACES == mv.SURFACE_IDS
    listed = mv.list_surfaces()
    assert [s.id for s in listed] == list(mv.SURFACE_IDS)
    for surface in listed:
        assert surface is mv.get_surface(surface.id)  # built once
        assert isinstance(surface, mv.Surface)
        assert surface.name and surface.formula and surface.description
        (x0, x1), (y0, y1) = surface.domain
        assert x0 < x1 and y0 < y1
        assert x0 <= surface.start[0] <= x1 and y0 <= surface.start[1] <= y1
        assert surface.lr > 0 and 0 <= surface.beta < 1
        assert surface.latex.startswith("f(x, y) = ")
        assert [line.split(" = ")[0] for line in surface.grad_latex] == [
            r"\partial f/\partial x", r"\partial f/\partial y"]


def test_unknown_preset_is_a_key_error():
    with pytest.raises(KeyError, match="unknown surface"):
        mv.get_surface("no_such_surface")


@pytest.mark.parametrize("surface_id", list(DEFINITIONS))
def test_preset_values_match_the_textbook_definition(surface_id, rng):
    surface = mv.get_surface(surface_id)
    x, y = random_points(surface, rng)
    assert_close_scaled(surface.f(x, y), DEFINITIONS[surface_id](x, y))


@pytest.mark.parametrize("surface_id", list(GRADIENTS))
def test_preset_gradients_match_hand_derivatives(surface_id, rng):
    surface = mv.get_surface(surface_id)
    x, y = random_points(surface, rng)
    gx, gy = surface.grad(x, y)
    hx, hy = GRADIENTS[surface_id](x, y)
    assert_close_scaled(gx, hx)
    assert_close_scaled(gy, hy)


def surfaces_for_derivative_checks():
    return [mv.get_surface(i) for i in mv.SURFACE_IDS] + [
        mv.surface_from_formula(t) for t in FORMULAS
    ]


@pytest.mark.parametrize("surface", surfaces_for_derivative_checks(), ids=lambda s: s.formula)
def test_gradient_matches_finite_differences(surface, rng):
    x, y = random_points(surface, rng, 100)
    x, y = 0.9 * x, 0.9 * y  # stay well inside where the domain ends
    fx, fy = fd_gradient(surface.f, x, y)
    gx, gy = surface.grad(x, y)
    scale = 1 + np.max(np.abs(surface.f(x, y)))
    np.testing.assert_allclose(gx, fx, rtol=1e-6, atol=1e-9 * scale)
    np.testing.assert_allclose(gy, fy, rtol=1e-6, atol=1e-9 * scale)


@pytest.mark.parametrize("surface", surfaces_for_derivative_checks(), ids=lambda s: s.formula)
def test_hessian_matches_finite_differences_of_the_gradient(surface, rng):
    x, y = random_points(surface, rng, 100)
    x, y = 0.9 * x, 0.9 * y
    hxx, hxy, hyy = surface.hessian(x, y)
    gxx, gxy = fd_gradient(lambda a, b: surface.grad(a, b)[0], x, y)
    gyx, gyy = fd_gradient(lambda a, b: surface.grad(a, b)[1], x, y)
    scale = 1 + np.max(np.abs(np.hypot(*surface.grad(x, y))))
    for exact, fd in ((hxx, gxx), (hxy, gxy), (hxy, gyx), (hyy, gyy)):
        np.testing.assert_allclose(exact, fd, rtol=1e-6, atol=1e-9 * scale)


def test_value_and_grad_agree_with_f_and_grad(rng):
    surface = mv.get_surface("beale")
    x, y = random_points(surface, rng)
    f, gx, gy = surface.value_and_grad(x, y)
    np.testing.assert_allclose(f, surface.f(x, y), rtol=1e-14)
    np.testing.assert_allclose(gx, surface.grad(x, y)[0], rtol=1e-14)
    np.testing.assert_allclose(gy, surface.grad(x, y)[1], rtol=1e-14)


def test_presets_broadcast_and_return_float64():
    surface = mv.get_surface("rosenbrock")
    x, y = np.linspace(-1, 1, 3)[:, None], np.linspace(0, 2, 4)[None, :]
    for out in (surface.f(x, y), *surface.grad(x, y), *surface.hessian(x, y)):
        assert out.shape == (3, 4) and out.dtype == np.float64
    assert surface.f(1, 1).shape == ()
    assert float(surface.f(1, 1)) == 0.0
    assert float(surface.f(0, 0)) == 1.0  # (1 − 0)² + 100·0²
    assert surface.f([1, 0], [1, 0]).tolist() == [0.0, 1.0]


# -- minima ----------------------------------------------------------------------------------------
def assert_minima(surface_id, expected, atol=1e-5):
    found = mv.get_surface(surface_id).minima
    assert len(found) == len(expected), found
    for point in expected:
        assert any(math.dist(point, m) < atol for m in found), (point, found)


def test_rosenbrock_minimum():
    s = mv.get_surface("rosenbrock")
    assert_minima("rosenbrock", [(1, 1)], atol=1e-12)
    assert s.f_min == pytest.approx(0.0, abs=1e-20)
    assert s.minima_source == "known"


def test_beale_minimum():
    s = mv.get_surface("beale")
    assert_minima("beale", [(3, 0.5)], atol=1e-12)
    assert s.f_min == pytest.approx(0.0, abs=1e-20)


def test_himmelblau_four_minima():
    s = mv.get_surface("himmelblau")
    expected = [(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    assert_minima("himmelblau", expected, atol=1e-5)
    for point in s.minima:
        assert DEFINITIONS["himmelblau"](*point) == pytest.approx(0.0, abs=1e-18)
    assert s.f_min == pytest.approx(0.0, abs=1e-18)


def test_rastrigin_minimum():
    s = mv.get_surface("rastrigin")
    assert s.minima == ((0.0, 0.0),)
    assert s.f_min == 0.0


def test_booth_minimum_and_curvatures(rng):
    s = mv.get_surface("booth")
    assert_minima("booth", [(1, 3)], atol=1e-12)
    assert s.f_min == pytest.approx(0.0, abs=1e-20)
    for x, y in rng.uniform(-10, 10, (5, 2)):
        hxx, hxy, hyy = s.hessian(x, y)
        # f = (x+2y−7)² + (2x+y−5)²: H = 2·[[1,2],[2,1]]ᵀ[[1,2],[2,1]] = [[10, 8], [8, 10]]
        assert (float(hxx), float(hxy), float(hyy)) == (10.0, 8.0, 10.0)
        assert np.linalg.eigvalsh([[hxx, hxy], [hxy, hyy]]) == pytest.approx([2.0, 18.0])


def test_six_hump_camel_global_minima():
    s = mv.get_surface("six_hump_camel")
    assert s.f_min == pytest.approx(-1.0316284534898774, abs=1e-9)
    assert_minima("six_hump_camel", [(0.0898, -0.7126), (-0.0898, 0.7126),
                                     (-1.7036, 0.7961), (1.7036, -0.7961),
                                     (-1.6071, -0.5687), (1.6071, 0.5687)], atol=1e-3)
    first_two = sorted(s.minima[:2])  # the minima are sorted by value: the globals come first
    assert first_two[0] == pytest.approx((-0.0898420, 0.7126564), abs=1e-6)
    assert first_two[1] == pytest.approx((0.0898420, -0.7126564), abs=1e-6)


def test_styblinski_tang_minima():
    s = mv.get_surface("styblinski_tang")
    assert s.minima[0] == pytest.approx((-2.903534, -2.903534), abs=1e-6)
    # per coordinate the minimum of (t⁴ − 16t² + 5t)/2 is −39.16616570377142
    assert s.f_min == pytest.approx(2 * -39.16616570377142, rel=1e-12)
    assert_minima("styblinski_tang", [(-2.903534, -2.903534), (-2.903534, 2.746803),
                                      (2.746803, -2.903534), (2.746803, 2.746803)])


def test_ravine_curvatures_and_valley_direction(rng):
    s = mv.get_surface("ravine")
    assert_minima("ravine", [(0, 0)], atol=1e-12)
    for x, y in rng.uniform(-3, 3, (5, 2)):
        hxx, hxy, hyy = (float(h) for h in s.hessian(x, y))
        values, vectors = np.linalg.eigh([[hxx, hxy], [hxy, hyy]])
        assert values == pytest.approx([1.0, 50.0])
        # the gentle direction (curvature 1) runs along the diagonal x = y
        assert abs(vectors[:, 0] @ np.array([1, 1]) / math.sqrt(2)) == pytest.approx(1.0)
        assert abs(vectors[:, 1] @ np.array([1, -1]) / math.sqrt(2)) == pytest.approx(1.0)


def test_saddle_has_no_minimum():
    s = mv.get_surface("saddle")
    assert s.minima == ()
    assert s.f_min is None
    assert s.minima_source == "none"
    assert s.nearest_minimum((0.0, 0.0)) is None
    hxx, hxy, hyy = (float(h) for h in s.hessian(0.3, -0.2))
    assert (hxx, hxy, hyy) == (2.0, 0.0, -2.0)


def test_bowl_is_isotropic():
    s = mv.get_surface("bowl")
    assert s.minima == ((0.0, 0.0),)
    assert tuple(float(h) for h in s.hessian(1.0, -2.0)) == (2.0, 0.0, 2.0)


@pytest.mark.parametrize("surface_id", list(mv.SURFACE_IDS))
def test_every_listed_minimum_is_a_minimum(surface_id):
    """Gradient zero (by finite differences of f), f no lower at nearby points, inside the
    domain, and f_min is the lowest value over the minima."""
    s = mv.get_surface(surface_id)
    (x0, x1), (y0, y1) = s.domain
    values = []
    for mx, my in s.minima:
        assert x0 <= mx <= x1 and y0 <= my <= y1
        fx, fy = fd_gradient(s.f, mx, my, h=1e-4)
        assert abs(fx) < 1e-6 and abs(fy) < 1e-6
        f0 = float(s.f(mx, my))
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        around = s.f(mx + 1e-3 * np.cos(angles), my + 1e-3 * np.sin(angles))
        assert np.all(around >= f0)
        values.append(f0)
    if values:
        assert s.f_min == min(values)
        assert values == sorted(values)


def test_geometry_helpers():
    rosenbrock = mv.get_surface("rosenbrock")  # domain ((-2, 2), (-1, 3))
    assert rosenbrock.center == (0.0, 1.0)
    assert rosenbrock.escape_radius == 100 * 4
    camel = mv.get_surface("six_hump_camel")  # domain ((-2.5, 2.5), (-1.5, 1.5))
    assert camel.center == (0.0, 0.0)
    assert camel.escape_radius == 100 * 5
    himmelblau = mv.get_surface("himmelblau")
    assert himmelblau.nearest_minimum((2.9, 2.2)) == pytest.approx((3.0, 2.0))
    assert himmelblau.nearest_minimum((-3, 3)) == pytest.approx((-2.805118, 3.131312), abs=1e-5)
    assert himmelblau.nearest_minimum((-3, -3)) == pytest.approx((-3.779310, -3.283186),
                                                                 abs=1e-5)


# -- typed formulas --------------------------------------------------------------------------------
def test_find_minima_on_a_formula():
    s = mv.surface_from_formula("(x-1)^2 + 2(y+0.5)^2")
    assert s.minima_source == "numeric"
    assert len(s.minima) == 1
    assert s.minima[0] == pytest.approx((1.0, -0.5), abs=1e-12)
    assert s.f_min == pytest.approx(0.0, abs=1e-24)
    assert s.id == "custom"
    assert s.domain == ((-3.0, 3.0), (-3.0, 3.0))


def test_find_minima_with_two_minima_and_a_custom_domain():
    s = mv.surface_from_formula("(x^2-1)^2 + (y-4)^2", domain=((-2, 2), (2, 6)))
    assert sorted(s.minima) == [pytest.approx((-1.0, 4.0)), pytest.approx((1.0, 4.0))]
    assert s.center == (0.0, 4.0)
    assert s.start == pytest.approx((1.2, 5.2))  # default: 80% of the way along each axis


@pytest.mark.parametrize("text", ["x + y", "x^2 - y^2", "x^3 + y", "-exp(-(x-9)^2) + y^2/100"])
def test_formulas_without_a_minimum_in_the_domain(text):
    s = mv.surface_from_formula(text)
    assert s.minima == ()
    assert s.f_min is None
    assert s.minima_source == "none"


def test_a_valley_of_minima_is_not_a_set_of_isolated_minima():
    """(x − y)² is 0 along the whole diagonal: no grid point is strictly below its neighbours,
    so no minimum is reported (and convergence falls back to the gradient)."""
    s = mv.surface_from_formula("(x - y)^2")
    assert s.minima == () and s.f_min is None


def test_refine_keeps_only_real_minima():
    # guesses at a saddle and at a maximum are dropped, a guess near the minimum is polished
    s = make_surface("x^2 - y^2", id="t", name="t", domain=((-2, 2), (-2, 2)), minima=[(0, 0)])
    assert s.minima == ()
    s = make_surface("-(x^2 + y^2)", id="t", name="t", domain=((-2, 2), (-2, 2)),
                     minima=[(0.1, 0.1)])
    assert s.minima == ()
    s = make_surface("(x-0.5)^2 + (y+1)^2 + x y/10", id="t", name="t",
                     domain=((-2, 2), (-2, 2)), minima=[(0.4, -0.9)])
    # ∇f = 0 is linear: 2(x − 0.5) + y/10 = 0 and 2(y + 1) + x/10 = 0
    a = np.linalg.solve([[2, 0.1], [0.1, 2]], [1.0, -2.0])
    assert s.minima[0] == pytest.approx(tuple(a), abs=1e-12)
    # a guess outside the domain is dropped
    s = make_surface("(x-5)^2 + y^2", id="t", name="t", domain=((-2, 2), (-2, 2)),
                     minima=[(5, 0)])
    assert s.minima == ()
