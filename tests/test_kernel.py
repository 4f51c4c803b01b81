"""kernel.Program: the allocation-free evaluator used by the simulation loop must compute the same
numbers as the lambdified f and ∇f (a separate code path) and as NumPy written here."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import momentum_viz as mv
from momentum_viz.kernel import Program, Unsupported
from momentum_viz.surface import Compiled, Surface

X, Y = sp.symbols("x y", real=True)

# Every supported function and power, with points where some are undefined (NaN).
FUNCTION_FORMULAS = [
    "sin(x) + cos(y) + tan(x y)",
    "asin(x/2) + acos(y/2) + atan(x y)",
    "sinh(x) + cosh(y) + tanh(x y)",
    "exp(-x^2) log(1 + y^2)",
    "log(x) + sqrt(y)",
    "ln(x y) + log10(x^2 + 1)",
    "abs(x) + abs(y - 1) + abs(x y)",
    "1/(1 + x^2 + y^2)",
    "x^-1 + y^(-1)",
    "(1 + x^2 + y^2)^(-1/2)",
    "(1 + x^2)^(1/2) + y^0.5",
    "x^2 + y^3 - x^3 y^2",
    "x^y",
    "abs(x)^y + (1 + y^2)^x",
    "e^x + pi y",
    "exp(x)/(1 + exp(x)) + x y/(x + y)",
    "1 - x",
    "-x - y",
    "5",
    "x^2",
    # cse renames a temporary in these (x3 = x2), which once freed a register still in use
    "((x^(1/2))^(0.5pi + 2 + y))^0.7",
    "(((e + y)^0.5)^(x + 2))^((2^x/x)^3)",
    "((x^0.5)^(y + 2))^0.7",
    "(x^(1/2))^(y + 2)",
    "((1/2)^(x/(sin(x) + 2) + 1))^0.7 + y^2",  # cse leaves a temporary nothing reads
    "sin(x + y) exp(x + y) + cos(x + y) exp(x + y) + (x + y)^3",
]


def points(surface: Surface, rng, n=300) -> np.ndarray:
    """(2, n): mostly inside the domain, some well outside, and a few special values."""
    (x0, x1), (y0, y1) = surface.domain
    inside = np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    outside = rng.uniform(-3, 3, (2, 40)) * np.array([[x1 - x0], [y1 - y0]])
    special = np.array([[0.0, 1.0, -1.0, 0.5, 2.0], [0.0, -1.0, 1.0, 0.25, -2.0]])
    return np.concatenate([inside, outside, special], axis=1)


def assert_agree(program_values, reference, rtol=1e-12):
    """Relative agreement with a floor at rtol times the largest finite value (cancellation),
    and NaN exactly where the reference is NaN."""
    program_values = np.asarray(program_values)
    reference = np.broadcast_to(np.asarray(reference, float), program_values.shape)
    np.testing.assert_array_equal(np.isnan(program_values), np.isnan(reference))
    finite = np.isfinite(reference)
    np.testing.assert_array_equal(program_values[~finite & ~np.isnan(reference)],
                                  reference[~finite & ~np.isnan(reference)])  # ±inf alike
    if finite.any():
        scale = np.max(np.abs(reference[finite]))
        np.testing.assert_allclose(program_values[finite], reference[finite], rtol=rtol,
                                   atol=rtol * scale)


def all_surfaces():
    return [mv.get_surface(i) for i in mv.SURFACE_IDS] + [
        mv.surface_from_formula(t) for t in FUNCTION_FORMULAS
    ]


@pytest.mark.parametrize("surface", all_surfaces(), ids=lambda s: s.formula)
def test_bound_evaluators_match_lambdified_functions(surface, rng):
    # the compiled path, not a fallback
    assert all(p is not None for p in surface.compiled.programs)
    theta = points(surface, rng)
    with np.errstate(all="ignore"):
        value = surface.bind_value(theta)()
        gradient = surface.bind_gradient(theta)()
        f = surface.f(theta[0], theta[1])
        gx, gy = surface.grad(theta[0], theta[1])
    assert value.shape == (theta.shape[1],) and gradient.shape == theta.shape
    assert value.dtype == gradient.dtype == np.float64
    assert_agree(value, f)
    assert_agree(gradient[0], gx)
    assert_agree(gradient[1], gy)


@pytest.mark.parametrize("surface", all_surfaces(), ids=lambda s: s.formula)
def test_program_follows_theta_updated_in_place(surface, rng):
    theta = points(surface, rng, 50)
    value, gradient = surface.bind_value(theta), surface.bind_gradient(theta)
    with np.errstate(all="ignore"):
        first_value, first_grad = value().copy(), gradient().copy()
        theta[:] = theta[::-1] * 0.5 + 0.1  # a new position, written into the same array
        second_value, second_grad = value(), gradient()
        f = surface.f(theta[0], theta[1])
        gx, gy = surface.grad(theta[0], theta[1])
        old_f = surface.f(*(((theta - 0.1) / 0.5)[::-1]))
    assert_agree(second_value, f)
    assert_agree(second_grad[0], gx)
    assert_agree(second_grad[1], gy)
    assert_agree(first_value, old_f)
    assert first_grad.shape == second_grad.shape


def test_bound_evaluator_reuses_its_output_array():
    surface = mv.get_surface("rosenbrock")
    theta = np.array([[0.0, 1.0], [0.0, 1.0]])
    gradient = surface.bind_gradient(theta)
    first = gradient()
    # ∇f(0, 0) = (−2, 0), ∇f(1, 1) = (0, 0)
    assert first.tolist() == [[-2.0, 0.0], [0.0, 0.0]]
    theta[0, 1] = 2.0  # (2, 1): ∇f = (−2(1−2) − 400·2·(1−4), 200(1−4)) = (2402, −600)
    second = gradient()
    assert second is first
    assert second.tolist() == [[-2.0, 2402.0], [0.0, -600.0]]


def test_program_on_hand_written_expressions(rng):
    s = X + Y
    exprs = [sp.exp(s) * sp.sin(s), sp.cos(s) * sp.exp(s), s**3, 1 - X, -X - Y, X * Y, X,
             sp.Integer(7), 2 / (1 + X**2), sp.sqrt(1 + Y**2) ** -1, sp.Abs(X - Y) ** 3]
    program = Program(exprs)
    theta = rng.uniform(-2, 2, (2, 50))
    x, y = theta
    out = program.bind(theta)()
    expected = [np.exp(x + y) * np.sin(x + y), np.cos(x + y) * np.exp(x + y), (x + y) ** 3,
                1 - x, -x - y, x * y, x, np.full_like(x, 7.0), 2 / (1 + x**2),
                1 / np.sqrt(1 + y**2), np.abs(x - y) ** 3]
    assert out.shape == (len(exprs), 50)
    for row, want in zip(out, expected, strict=True):
        np.testing.assert_allclose(row, want, rtol=1e-13, atol=1e-13)


def test_program_when_cse_renames_a_temporary(rng):
    """f = (x^(y/2 + π/4 + 1))^0.7 = x^(0.7·a) with a = y/2 + π/4 + 1 (x > 0), so
    ∂f/∂x = 0.7·a·x^(0.7a − 1) and ∂f/∂y = 0.35·ln(x)·f. sympy's cse names the same
    temporary twice here; every output must still be right."""
    expr = mv.parse_formula("((x^(1/2))^(0.5pi + 2 + y))^0.7")
    exprs = [expr, sp.diff(expr, X), sp.diff(expr, Y)]
    replacements, _ = sp.cse(exprs)
    assert any(e in {s for s, _ in replacements} for _, e in replacements)  # the rename
    theta = np.stack([rng.uniform(0.1, 3, 100), rng.uniform(-3, 3, 100)])
    x, y = theta
    a = y / 2 + np.pi / 4 + 1
    f = x ** (0.7 * a)
    out = Program(exprs).bind(theta)()
    np.testing.assert_allclose(out[0], f, rtol=1e-13)
    np.testing.assert_allclose(out[1], 0.7 * a * x ** (0.7 * a - 1), rtol=1e-13)
    np.testing.assert_allclose(out[2], 0.35 * np.log(x) * f, rtol=1e-13, atol=1e-15)


def test_program_refuses_what_it_cannot_translate():
    with pytest.raises(Unsupported):
        Program([sp.gamma(X) + Y])
    with pytest.raises(Unsupported):
        Program([X + sp.zoo])


def test_surface_falls_back_to_lambdify_when_program_cannot_translate(rng):
    """A surface whose f Program cannot compile (atan2; its gradient it can) still evaluates
    and simulates correctly."""
    surface = Surface(
        id="atan2", name="atan2", formula="atan2(y, x) + x^2", domain=((-3, 3), (-3, 3)),
        start=(1.0, 1.0), minima=(), lr=0.1, beta=0.5,
        compiled=Compiled(sp.atan2(Y, X) + X**2),
    )
    programs = surface.compiled.programs
    assert programs[0] is None and programs[1] is not None
    theta = rng.uniform(-2, 2, (2, 30))
    x, y = theta
    value, gradient = surface.bind_value(theta)(), surface.bind_gradient(theta)()
    np.testing.assert_allclose(value, np.arctan2(y, x) + x**2, rtol=1e-14)
    np.testing.assert_allclose(gradient[0], -y / (x**2 + y**2) + 2 * x, rtol=1e-13)
    np.testing.assert_allclose(gradient[1], x / (x**2 + y**2), rtol=1e-13)
    run = mv.simulate(surface, optimizer="sgd", lr=0.1, steps=3, start=(1.0, 1.0))
    x, y = 1.0, 1.0
    for k in range(3):
        r2 = x * x + y * y
        x, y = x - 0.1 * (-y / r2 + 2 * x), y - 0.1 * (x / r2)
        assert run.path[k + 1] == pytest.approx((x, y), rel=1e-14)
        assert run.loss[k + 1] == pytest.approx(np.arctan2(y, x) + x * x, rel=1e-14)


# -- random expressions ----------------------------------------------------------------------------
SMOOTH = [sp.sin, sp.cos, sp.atan, sp.tanh, lambda e: sp.exp(sp.sin(e)),
          lambda e: sp.log(1 + e**2), lambda e: sp.sqrt(1 + e**2), sp.Abs]


def expressions():
    leaves = st.sampled_from([X, Y, X, Y, sp.Integer(2), sp.Rational(1, 2), sp.pi, sp.E,
                              sp.Float(0.7)])

    def extend(children):
        return st.one_of(
            st.tuples(children, children).map(lambda p: p[0] + p[1]),
            st.tuples(children, children).map(lambda p: p[0] - p[1]),
            st.tuples(children, children).map(lambda p: p[0] * p[1]),
            st.tuples(children, children).map(lambda p: p[0] / (2 + sp.sin(p[1]))),
            # arguments squashed by atan: sin(huge) would only compare rounding noise
            st.tuples(st.sampled_from(SMOOTH), children).map(lambda p: p[0](sp.atan(p[1]))),
            st.tuples(children, st.sampled_from([2, 3, -1, sp.Rational(1, 2),
                                                  -sp.Rational(1, 2), sp.Float(0.7)]))
            .map(lambda p: (1 + p[0] ** 2) ** p[1]),
            st.tuples(children, children).map(lambda p: (1 + p[0] ** 2) ** sp.sin(p[1])),
            st.tuples(children, children).map(lambda p: (p[0] ** (p[1] + 1)) ** sp.Float(0.7)),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=40)
@given(expressions())
def test_program_matches_lambdify_on_random_expressions(expr):
    """f and both partial derivatives of smooth random expressions (nested powers and shared
    subexpressions included), Program against lambdify, on fixed points."""
    exprs = [expr, sp.diff(expr, X), sp.diff(expr, Y)]
    assume(sum(sp.count_ops(e) for e in exprs) < 300)
    # what surfaces refuse anyway: 0^x (log 0 in ∇f), (−3/2)^x (complex values)
    assume(not any(e.has(sp.zoo, sp.oo, sp.nan, sp.I) for e in exprs))
    theta = np.random.default_rng(7).uniform(-2, 2, (2, 64))
    with np.errstate(all="ignore"):
        try:
            reference_fn = sp.lambdify((X, Y), exprs, modules="numpy", cse=True)
            want = reference_fn(theta[0], theta[1])
            # the same at points 1e-14 away: where that moves the value by more than the
            # tolerance (sin of a huge argument, say), operation order alone can too
            nudged = reference_fn(theta[0] * (1 + 1e-14), theta[1] * (1 + 1e-14))
        except OverflowError:  # a constant part overflows in Python floats: refused too
            assume(False)
        assume(not any(np.iscomplexobj(w) for w in want))
        try:
            program = Program(exprs)
        except Unsupported:  # re/im from |complex-looking| parts: surfaces fall back
            assume(False)
        got = program.bind(theta.copy())()
    for row, reference, near in zip(got, want, nudged, strict=True):
        reference = np.broadcast_to(np.asarray(reference, float), row.shape)
        near = np.broadcast_to(np.asarray(near, float), row.shape)
        finite = np.isfinite(reference)
        scale = 1 + (np.max(np.abs(reference[finite])) if finite.any() else 0)
        with np.errstate(invalid="ignore"):
            stable = ~(np.abs(near - reference) > 1e-11 * scale)
        np.testing.assert_allclose(row[stable], reference[stable], rtol=1e-10,
                                   atol=1e-10 * scale)
