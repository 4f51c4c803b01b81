"""Typed formulas: hostile text is refused quickly and runs nothing; formulas as people type them
evaluate to what the formula means, checked against NumPy expressions written here."""

from __future__ import annotations

import builtins
import math
import os
import subprocess
import time

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import momentum_viz as mv
from scripts.hostile_inputs import HOSTILE_FORMULAS

X, Y = sp.symbols("x y", real=True)

# -- hostile input (the corpus is scripts/hostile_inputs.py, shared with the load test) --
VALID_WARMUP = ["x^2 + 10y^2", "sin(x)*cos(y)", "log(1+x^2+y^2)", "sqrt(x)", "abs(x)", "1/x"]


def parse_refused(text: str) -> str:
    """The message of the FormulaError raised for ``text`` (fails if anything else happens)."""
    with pytest.raises(mv.FormulaError) as info:
        mv.parse_formula(text)
    return str(info.value)


def test_formula_error_is_a_value_error():
    assert issubclass(mv.FormulaError, ValueError)


@pytest.mark.parametrize("text", HOSTILE_FORMULAS, ids=lambda t: repr(t[:30]))
def test_hostile_text_is_refused_quickly_with_a_message(text):
    for text_ in VALID_WARMUP:  # sympy imports lazily on first use: not part of the timing
        mv.parse_formula(text_)
    start = time.perf_counter()
    with pytest.raises(mv.FormulaError) as info:
        mv.surface_from_formula(text)
    assert time.perf_counter() - start < 0.5
    message = str(info.value)
    assert message.strip()
    assert "Traceback" not in message


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("z", "unknown name 'z': use x and y"),
        ("x + 2z", "unknown name 'z': use x and y"),
        ("x" * 301, "formula too long"),
        ("+".join(["x"] * 20000), "formula too long"),
        ("", "the formula is empty"),
        ("  ", "the formula is empty"),
        ("1/0", "undefined"),
        ("x^(1/0)", "undefined"),
        ("0.5/0.0", "undefined"),  # two decimals: sympy raised ZeroDivisionError (the fuzzer)
        ("(0.0)/(0.0) + x", "undefined"),
        ("sqrt(-1)", "complex"),
        ("x\nimport os", "one line"),
        ("gamma(x)", "unknown name 'gamma'"),
        ("x^1000", "exponent too large"),
        ("sin x", "'sin' is a function"),
        ("x.real", "'.' is not allowed"),
    ],
)
def test_messages_say_what_is_wrong(text, phrase):
    assert phrase in parse_refused(text)


def test_not_text_is_refused():
    for value in (None, 5, 2.5, b"x", ["x"]):
        with pytest.raises(mv.FormulaError):
            mv.parse_formula(value)


def test_longest_formula_allowed_is_300_characters():
    text = "x" + " " * 297 + "+y"  # 300 characters
    assert len(text) == 300
    assert mv.parse_formula("  " + text + "  ") == X + Y  # outer spaces do not count
    with pytest.raises(mv.FormulaError, match="formula too long"):
        mv.parse_formula(text + "y")  # 301


FORBIDDEN_MODULES = {"os", "posix", "nt", "subprocess", "shutil", "socket", "pty", "ctypes",
                     "builtins", "importlib", "pickle", "io"}


def test_hostile_text_runs_nothing(monkeypatch, tmp_path):
    """While the hostile corpus is parsed: no eval or exec of text, no import of os and the
    like, no os.system or subprocess, no file opened or created."""
    monkeypatch.chdir(tmp_path)
    for text in VALID_WARMUP:  # let sympy finish its lazy imports with nothing patched
        mv.parse_formula(text)
    calls: list[tuple] = []
    real_import, real_exec = builtins.__import__, builtins.exec

    def guarded_import(name, *args, **kwargs):
        if name.split(".")[0] in FORBIDDEN_MODULES:
            calls.append(("import", name))
            raise ImportError(f"blocked import of {name}")
        return real_import(name, *args, **kwargs)

    def guarded_exec(source, *args, **kwargs):
        # importlib loads modules with exec(code_object): allow library code, nothing else
        filename = getattr(source, "co_filename", "")
        if not (filename.endswith(".py") and os.path.isfile(filename)):
            calls.append(("exec", source))
            raise RuntimeError("blocked exec")
        return real_exec(source, *args, **kwargs)

    def refused(kind):
        def record(*args, **kwargs):
            calls.append((kind, args))
            raise RuntimeError(f"blocked {kind}")
        return record

    for text in HOSTILE_FORMULAS:
        with monkeypatch.context() as patch:
            patch.setattr(builtins, "__import__", guarded_import)
            patch.setattr(builtins, "exec", guarded_exec)
            patch.setattr(builtins, "eval", refused("eval"))
            patch.setattr(builtins, "open", refused("open"))
            patch.setattr(os, "system", refused("os.system"))
            patch.setattr(os, "popen", refused("os.popen"))
            patch.setattr(subprocess, "Popen", refused("subprocess.Popen"))
            try:
                mv.parse_formula(text)
            except mv.FormulaError:
                pass
            else:  # pragma: no cover - a failure
                pytest.fail(f"{text!r} was accepted")
    assert calls == []
    assert list(tmp_path.iterdir()) == []


def test_valid_formulas_never_reach_eval(monkeypatch):
    """The formula text is turned into sympy without eval/exec of any string."""
    for text in VALID_WARMUP:
        mv.parse_formula(text)
    seen: list = []
    real_eval, real_exec = builtins.eval, builtins.exec

    def spy(real):
        def call(source, *args, **kwargs):
            if isinstance(source, str):
                seen.append(source)
            return real(source, *args, **kwargs)
        return call

    monkeypatch.setattr(builtins, "eval", spy(real_eval))
    monkeypatch.setattr(builtins, "exec", spy(real_exec))
    for text, *_ in VALID:
        mv.parse_formula(text)
    monkeypatch.undo()
    assert seen == []


# -- formulas as people type them ------------------------------------------------------------------
def zero(x, y):
    return 0.0 * x * y


# (text, f, ∂f/∂x, ∂f/∂y) with the derivatives worked out by hand
VALID = [
    ("x^2 + 10y^2", lambda x, y: x**2 + 10 * y**2, lambda x, y: 2 * x, lambda x, y: 20 * y),
    ("sin(x)*cos(y)", lambda x, y: np.sin(x) * np.cos(y),
     lambda x, y: np.cos(x) * np.cos(y), lambda x, y: -np.sin(x) * np.sin(y)),
    ("(1-x)^2 + 100(y-x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
     lambda x, y: -2 * (1 - x) - 400 * x * (y - x**2), lambda x, y: 200 * (y - x**2)),
    ("exp(-x^2-y^2)", lambda x, y: np.exp(-(x**2) - y**2),
     lambda x, y: -2 * x * np.exp(-(x**2) - y**2), lambda x, y: -2 * y * np.exp(-(x**2) - y**2)),
    ("abs(x)+abs(y)", lambda x, y: np.abs(x) + np.abs(y),
     lambda x, y: np.sign(x) + 0 * y, lambda x, y: np.sign(y) + 0 * x),
    ("log(1+x^2+y^2)", lambda x, y: np.log(1 + x**2 + y**2),
     lambda x, y: 2 * x / (1 + x**2 + y**2), lambda x, y: 2 * y / (1 + x**2 + y**2)),
    ("pi", lambda x, y: np.pi + zero(x, y), zero, zero),
    ("e", lambda x, y: np.e + zero(x, y), zero, zero),
    ("5", lambda x, y: 5.0 + zero(x, y), zero, zero),
    ("2x", lambda x, y: 2 * x, lambda x, y: 2.0 + zero(x, y), zero),
    ("x y", lambda x, y: x * y, lambda x, y: y + zero(x, y), lambda x, y: x + zero(x, y)),
    ("xy", lambda x, y: x * y, lambda x, y: y + zero(x, y), lambda x, y: x + zero(x, y)),
    ("(x+1)(x-1)", lambda x, y: (x + 1) * (x - 1), lambda x, y: 2 * x, zero),
    ("0.26(x^2+y^2)-0.48xy", lambda x, y: 0.26 * (x**2 + y**2) - 0.48 * x * y,
     lambda x, y: 0.52 * x - 0.48 * y, lambda x, y: 0.52 * y - 0.48 * x),
    ("x²+y²", lambda x, y: x**2 + y**2, lambda x, y: 2 * x, lambda x, y: 2 * y),
    ("x^2", lambda x, y: x**2, lambda x, y: 2 * x, zero),
    ("y³ − 2·x", lambda x, y: y**3 - 2 * x, lambda x, y: -2.0 + zero(x, y), lambda x, y: 3 * y**2),
    ("πx ÷ 2 × y", lambda x, y: np.pi * x / 2 * y, lambda x, y: np.pi / 2 * y + zero(x, y),
     lambda x, y: np.pi / 2 * x + zero(x, y)),
    ("2x^2y", lambda x, y: 2 * x**2 * y, lambda x, y: 4 * x * y,
     lambda x, y: 2 * x**2 + zero(x, y)),
    ("-x^2 + y^-1", lambda x, y: -(x**2) + 1 / y, lambda x, y: -2 * x, lambda x, y: -1 / y**2),
    ("sqrt(x^2+y^2+1)", lambda x, y: np.sqrt(x**2 + y**2 + 1),
     lambda x, y: x / np.sqrt(x**2 + y**2 + 1), lambda x, y: y / np.sqrt(x**2 + y**2 + 1)),
    ("x^y", lambda x, y: x**y, lambda x, y: y * x ** (y - 1), lambda x, y: x**y * np.log(x)),
    ("ln(x) + log10(y)", lambda x, y: np.log(x) + np.log10(y),
     lambda x, y: 1 / x + zero(x, y), lambda x, y: 1 / (y * np.log(10)) + zero(x, y)),
    ("tanh(x) + atan(y)", lambda x, y: np.tanh(x) + np.arctan(y),
     lambda x, y: 1 / np.cosh(x) ** 2 + zero(x, y), lambda x, y: 1 / (1 + y**2) + zero(x, y)),
    ("sin(x)cos(y)2", lambda x, y: 2 * np.sin(x) * np.cos(y),
     lambda x, y: 2 * np.cos(x) * np.cos(y), lambda x, y: -2 * np.sin(x) * np.sin(y)),
    ("  x^2  ", lambda x, y: x**2, lambda x, y: 2 * x, zero),
    (".5x + 1e-1y", lambda x, y: 0.5 * x + 0.1 * y, lambda x, y: 0.5 + zero(x, y),
     lambda x, y: 0.1 + zero(x, y)),
    # |g| of a g sympy cannot prove real: d|g| = sign(g)·dg (sympy's own rule printed re, im
    # and unevaluated derivatives that NumPy cannot compute; found by the fuzzer)
    ("abs(log(x)) + abs(x^y)", lambda x, y: np.abs(np.log(x)) + x**y,
     lambda x, y: np.sign(np.log(x)) / x + y * x ** (y - 1),
     lambda x, y: x**y * np.log(x)),
]


def shaped_inputs(rng):
    """(x, y, broadcast shape) for scalars, vectors, matrices and broadcasting columns/rows;
    values in [0.2, 1.5] so that every formula above (x^y, log, 1/y, abs) is smooth there."""
    def u(*shape):
        return rng.uniform(0.2, 1.5, shape)

    return [
        (float(u()), float(u()), ()),
        (u(5), u(5), (5,)),
        (u(3, 4), u(3, 4), (3, 4)),
        (u(3, 1), u(1, 4), (3, 4)),
        (u(4), float(u()), (4,)),
    ]


def assert_close(actual, expected, shape):
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == np.float64
    assert actual.shape == shape
    expected = np.broadcast_to(np.asarray(expected, np.float64), shape)
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("text, f, fx, fy", VALID, ids=[v[0] for v in VALID])
def test_valid_formula_values_and_gradients(text, f, fx, fy, rng):
    surface = mv.surface_from_formula(text)
    for x, y, shape in shaped_inputs(rng):
        assert_close(surface.f(x, y), f(x, y), shape)
        gx, gy = surface.grad(x, y)
        assert_close(gx, fx(x, y), shape)
        assert_close(gy, fy(x, y), shape)
        value, gx2, gy2 = surface.value_and_grad(x, y)
        assert_close(value, f(x, y), shape)
        assert_close(gx2, fx(x, y), shape)
        assert_close(gy2, fy(x, y), shape)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2x", 2 * X),
        ("x y", X * Y),
        ("xy", X * Y),
        ("xxy", X**2 * Y),
        ("(x+1)(x-1)", (X + 1) * (X - 1)),
        ("2(x+1)", 2 * X + 2),
        ("(x)(y)", X * Y),
        ("2x^2", 2 * X**2),
        ("-x^2", -(X**2)),
        ("x^-1", 1 / X),
        ("2^x^2", 2 ** (X**2)),
        ("x^2y", X**2 * Y),
        ("x**3", X**3),
        ("sin(x)cos(y)", sp.sin(X) * sp.cos(Y)),
        ("x²+y³", X**2 + Y**3),
        ("e^x", sp.exp(X)),
        ("pi x", sp.pi * X),
        ("π", sp.pi),
        ("πx", sp.pi * X),
        ("2πx", 2 * sp.pi * X),
        ("sin(πx)", sp.sin(sp.pi * X)),
        ("e", sp.E),
        ("x − y", X - Y),
        ("x·y × 2 ÷ 4", X * Y / 2),
        ("ln(x)", sp.log(X)),
        ("log10(x)", sp.log(X) / sp.log(10)),
        ("sqrt(x)", sp.sqrt(X)),
        ("abs(y)", sp.Abs(Y)),
        ("x^(1/2)", sp.sqrt(X)),
        ("0.5x", sp.Rational(1, 2) * X),
    ],
)
def test_parse_means_what_a_reader_means(text, expected):
    parsed = mv.parse_formula(text)
    assert parsed.free_symbols <= {X, Y}
    assert sp.simplify(parsed - expected) == 0


def test_constants_and_one_variable_formulas_have_the_full_shape(rng):
    x, y = rng.uniform(-1, 1, (3, 1)), rng.uniform(-1, 1, (1, 4))
    for text, value in (("pi", math.pi), ("5", 5.0), ("e", math.e)):
        surface = mv.surface_from_formula(text)
        f = surface.f(x, y)
        assert f.shape == (3, 4) and f.dtype == np.float64
        assert np.all(f == value)
        for g in surface.grad(x, y):
            assert g.shape == (3, 4) and g.dtype == np.float64 and np.all(g == 0)
        for h in surface.hessian(x, y):
            assert h.shape == (3, 4) and h.dtype == np.float64 and np.all(h == 0)
        assert surface.f(0.5, 0.25).shape == ()
    surface = mv.surface_from_formula("x^2")
    gx, gy = surface.grad(x, y)
    assert gx.shape == gy.shape == (3, 4)
    np.testing.assert_array_equal(gx, np.broadcast_to(2 * x, (3, 4)))
    np.testing.assert_array_equal(gy, np.zeros((3, 4)))


@pytest.mark.parametrize(
    "text",
    [
        "x + (-8)^(1/3)",  # a complex constant: used to be silently cut to its real part
        "x + (-1)^pi",
        "tan(3)^x + y^2",  # a negative base: the gradient holds log(tan 3) = … + iπ
        "(-2)^x + y^2",
        "x*0 + acos(2)",  # NaN everywhere
        "x + 1e12^100",  # inf everywhere
        "exp(exp(exp(100)))^x + y^2",
        "sqrt(-1 - x^2)",
        "log(-1 - x^2 - y^2)",
        "0^x + y^2",  # its slope 0^x·log(0) is undefined (sympy's printer raised KeyError)
    ],
)
def test_formulas_without_real_finite_values_are_refused(text):
    start = time.perf_counter()
    with pytest.raises(mv.FormulaError):
        mv.surface_from_formula(text)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    "text",
    [  # short formulas on which sympy works for minutes (found by the fuzzer): stopped
        "cosh(x^((x+y+1)^100))",
        "cosh(x^((x+y+x^2+y^2+1)^30))",
        "cosh(exp(sqrt(x)*(x+y+x^2+y^2+1)^30))",
        "+".join(f"cosh(x^((x+y)^{n}))" for n in range(94, 100)),
    ],
)
def test_formulas_sympy_cannot_finish_are_stopped_within_a_second(text):
    mv.surface_from_formula("x^2 + y^2")  # sympy's lazy imports: not part of the timing
    start = time.process_time()
    with pytest.raises(mv.FormulaError, match="too complex"):
        mv.surface_from_formula(text)
    assert time.process_time() - start < 1.0


def test_complex_values_are_refused_with_a_message():
    with pytest.raises(mv.FormulaError, match="complex"):
        mv.surface_from_formula("x + (-8)^(1/3)")


@pytest.mark.parametrize(
    "domain",
    [((-1, 1),), ((1, -1), (-1, 1)), ((-1, 1), (0, 0)), ((0, np.inf), (0, 1)),
     ((0, 1e7), (0, 1)), ((0, np.nan), (0, 1)), "abc", ((0, "a"), (0, 1))],
)
def test_bad_domains_are_refused(domain):
    with pytest.raises(mv.FormulaError):
        mv.surface_from_formula("x^2 + y^2", domain=domain)


# -- property tests --------------------------------------------------------------------------------
ALPHABET = "xyz0123456789.+-*/^()[]{},;:'\"_ =!<>@#$%&|~`\\\n\teπ²³−×·÷ sincoexplgqrtabhmd"


@settings(max_examples=300)
@given(st.one_of(st.text(ALPHABET, max_size=40), st.text(max_size=40)))
def test_any_text_parses_to_x_y_or_is_refused(text):
    start = time.perf_counter()
    try:
        expr = mv.parse_formula(text)
    except mv.FormulaError as exc:
        assert str(exc)
    else:
        assert isinstance(expr, sp.Expr)
        assert expr.free_symbols <= {X, Y}
        assert not expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I)
    assert time.perf_counter() - start < 0.5


TOKENS = ["x", "y", "2", "0.5", "10", "pi", "e", "+", "-", "*", "/", "^", "(", ")", "sin(",
          "exp(", "log(", "sqrt(", "abs(", "xy", " ", "²", "9^9"]


@pytest.mark.filterwarnings("error::numpy.exceptions.ComplexWarning")
@settings(max_examples=60)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25))
def test_token_soup_builds_a_surface_or_is_refused(tokens):
    """Formulas assembled from real tokens either build a working surface or raise
    FormulaError; nothing else escapes (no TypeError, ComplexWarning, …)."""
    text = "".join(tokens)
    try:
        surface = mv.surface_from_formula(text)
    except mv.FormulaError:
        return
    f = surface.f(np.linspace(-2, 2, 7), 0.3)
    assert f.dtype == np.float64 and f.shape == (7,)
