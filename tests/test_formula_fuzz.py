"""Fuzzing the one place visitors type code-like text: ``mv.surface_from_formula``.

Random text, random printable unicode and random expressions built from the formula grammar
(huge numbers, every function, every operator, implicit products, deep nesting, long sums) must
each end in one of two ways: a Surface whose f and ∇f are finite somewhere in the domain, or a
FormulaError with a message. Nothing else may be raised, nothing may take more than a second,
no file may be written and no module imported but the mathematics libraries' own.

How "nothing imported, nothing written" is checked, and why this way:

- Imports: the set of ``sys.modules`` before and after each call. Patching
  ``builtins.__import__`` would miss ``importlib.import_module``, and the audit event "import"
  misses it too; a new entry in ``sys.modules`` is how every import mechanism ends. sympy and
  NumPy legitimately import their own submodules the first time a feature is used (the
  lambdify printers, ``sympy.calculus`` for 1/0 …), so new modules of ``sympy``, ``numpy``
  and ``mpmath`` are allowed, and a handful of pure-computation stdlib modules; anything else
  (``os``, ``subprocess``, ``socket``, ``ctypes``, ``pickle``, …) fails the test.
- Side effects: a ``sys.addaudithook`` hook, active only while a formula is compiled, records
  opens for writing, file-system changes, processes, sockets, and ``exec`` of any code that is
  neither a library file nor lambdify's generated code (lambdify ``exec``s Python it printed
  from the sympy tree; the formula text itself only ever reaches ``ast.parse``). The working
  directory is an empty temporary directory that must stay empty.
- Time: CPU seconds of the whole process (``time.process_time``: the call's worker thread
  included) per input, under 1 s. Not wall time: this machine is shared, and a test that
  fails because another job ran is a flaky test. The engine's own limit is on CPU time for the
  same reason (``momentum_viz.surface.FORMULA_SECONDS``); wall time is bounded there too.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import momentum_viz as mv
from momentum_viz.formula import FUNCTIONS

CPU_LIMIT = 1.0
ALLOWED_PACKAGES = {"sympy", "numpy", "mpmath"}
ALLOWED_STDLIB = {"fractions", "decimal", "numbers", "cmath", "math", "random", "bisect",
                  "heapq", "itertools", "functools", "operator", "collections", "linecache",
                  "tokenize", "token", "inspect", "textwrap", "string", "keyword", "weakref",
                  "dis", "opcode", "ast", "copy", "typing", "contextlib", "re", "enum"}
FORBIDDEN_EVENTS = {"os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn",
                    "os.fork", "os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.chmod",
                    "os.truncate", "shutil.copyfile", "shutil.rmtree", "socket.connect",
                    "socket.bind", "socket.getaddrinfo", "urllib.Request", "pickle.find_class",
                    "marshal.loads", "ctypes.dlopen"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

_recording: list[tuple] | None = None


def _audit(event: str, args: tuple) -> None:
    """Records side effects while ``_recording`` is a list (audit hooks cannot be removed)."""
    if _recording is None:
        return
    if event in FORBIDDEN_EVENTS:
        _recording.append((event, args))
    elif event == "open":
        _, mode, flags = args
        if (mode and set(str(mode)) & set("wax+")) or (flags or 0) & WRITE_FLAGS:
            _recording.append((event, args))
    elif event == "exec":
        filename = getattr(args[0], "co_filename", "")
        if not (filename.startswith("<lambdifygenerated-") or os.path.isfile(filename)):
            _recording.append((event, filename))


sys.addaudithook(_audit)


def _foreign(modules: set[str]) -> set[str]:
    return {m for m in modules
            if m.split(".")[0] not in ALLOWED_PACKAGES | ALLOWED_STDLIB}


@contextmanager
def watched() -> Iterator[list[tuple]]:
    """Collects the side effects of the block: forbidden audit events and foreign imports."""
    global _recording
    before = set(sys.modules)
    _recording = found = []
    try:
        yield found
    finally:
        _recording = None
        found.extend(("import", m) for m in sorted(_foreign(set(sys.modules) - before)))


WARM_UP = ["x^2 + 10y^2", "abs(x) + abs(log(y))", "1/0", "sqrt(-1)", "atan(1/0)^x", "0^x",
           "x^y", "(x+y+1)^3 * sin(x)cos(y)", "exp(-x^2-y^2)", "log10(x) + asin(y)",
           "tanh(x)*acos(y)", "x + (-8)^(1/3)", "cosh(x^((x+y+1)^100))", "sinh(abs(sinh(1e12)))*x"]


@pytest.fixture(scope="module", autouse=True)
def warm_sympy():
    """sympy imports its printers, cse and calculus modules on first use: done before the
    fuzzing, which then sees only what a formula itself brings about."""
    for text in WARM_UP:
        with suppress(mv.FormulaError):
            mv.surface_from_formula(text)


@pytest.fixture
def in_empty_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert list(tmp_path.iterdir()) == [], "a formula wrote a file"


def check(text: str) -> None:
    """The fuzzing contract for one input."""
    cpu = time.process_time()
    with watched() as effects:
        try:
            surface = mv.surface_from_formula(text)
        except mv.FormulaError as exc:
            surface, message = None, str(exc)
    used = time.process_time() - cpu
    assert effects == [], f"{text!r}: {effects}"
    assert used < CPU_LIMIT, f"{text!r} took {used:.2f} s of CPU time"
    if surface is None:
        assert message.strip() and "Traceback" not in message and "\n" not in message
        return
    (x0, x1), (y0, y1) = surface.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    f, dx, dy = surface.value_and_grad(gx, gy)
    assert np.any(np.isfinite(f) & np.isfinite(dx) & np.isfinite(dy)), text


FUZZ = settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow,
                                                         HealthCheck.function_scoped_fixture])


@FUZZ
@given(text=st.text(max_size=320))
def test_random_text(in_empty_dir, text):
    check(text)


@FUZZ
@given(text=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                    min_size=1, max_size=60))
def test_random_printable_unicode(in_empty_dir, text):
    check(text)


# -- the grammar -------------------------------------------------------------------------------
NUMBERS = st.one_of(
    st.integers(0, 10**14).map(str),  # beyond the 1e12 literal cap too
    st.sampled_from(["0", "1", "2", "0.5", ".5", "1e12", "1e-12", "1e308", "1e-308",
                     "999999999999", "2.5e3", "1e400"]),
    st.floats(0, 1e13, allow_nan=False, allow_infinity=False).map(repr),
)
ATOMS = st.one_of(NUMBERS, st.sampled_from(["x", "y", "pi", "e", "π", "xy", "x y"]))
BINARY = ["+", "-", "*", "/", "^", "**", "−", "·"]


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{}({})".format, st.sampled_from(sorted(FUNCTIONS)), inner),
        st.builds("({}){}({})".format, inner, st.sampled_from(BINARY), inner),
        st.builds("{}{}{}".format, inner, st.sampled_from(BINARY), inner),
        st.builds("-{}".format, inner),
        st.builds("{}({})".format, NUMBERS, inner),  # 2(x+1)
        st.builds("({})({})".format, inner, inner),  # (x+1)(x-1)
        st.builds("{}x".format, st.integers(0, 99)),  # 2x
        st.builds("({})^{}".format, inner, st.sampled_from(["2", "3", "99", "100", "101",
                                                            "-100", "0.5", "1/3", "(1/0)"])),
    )


EXPRESSIONS = st.recursive(ATOMS, _extend, max_leaves=24)


@st.composite
def deep_nesting(draw) -> str:
    """The same function (or parentheses) nested 1–60 deep around an expression."""
    depth = draw(st.integers(1, 60))
    name = draw(st.sampled_from([*sorted(FUNCTIONS), ""]))
    return f"{name}(" * depth + draw(EXPRESSIONS) + ")" * depth


@st.composite
def long_sums(draw) -> str:
    """Sums of up to 400 terms (most past the length cap, some within it)."""
    term = draw(st.sampled_from(["x", "y", "x^2", "sin(x)", "1e12", "xy", "(x+y)^100"]))
    return "+".join([term] * draw(st.integers(2, 400)))


@FUZZ
@given(text=st.one_of(EXPRESSIONS, deep_nesting(), long_sums()))
def test_random_expressions_from_the_grammar(in_empty_dir, text):
    check(text)


def test_the_watch_sees_imports_and_writes(in_empty_dir):
    """The instruments themselves: an import of a foreign module and a write are caught."""
    sys.modules.pop("colorsys", None)
    with watched() as effects:
        __import__("colorsys")
        with open("probe.txt", "w") as handle:
            handle.write("x")
    os.remove("probe.txt")
    assert ("import", "colorsys") in effects
    assert any(event == "open" for event, _ in effects)
