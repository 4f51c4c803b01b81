"""Hostile input, shared by the tests and the load test: formulas a visitor may type and query
strings a link may carry. Data only (no import of the app), so that scripts and benchmarks use
the same corpus as the tests without importing from tests/.

- ``HOSTILE_FORMULAS``: text that must be refused quickly with a one-line message and run
  nothing (``momentum_viz.parse_formula`` raises ``FormulaError`` for each).
- ``HOSTILE_URLS`` and ``payloads_everywhere``: query parameters (a list value is a repeated
  key) that every page must render without an exception, refusing what it cannot use.
"""

from __future__ import annotations

from collections.abc import Iterable

Query = dict[str, str | list[str]]
"""A query string as a mapping: a list value is a key repeated in the URL."""

# -- formulas ----------------------------------------------------------------------------------
INJECTIONS = [
    "__import__('os').system('x')",
    "__import__('os').system('touch pwned')",
    "().__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "x.real",
    "x.__class__",
    "lambda: 1",
    "[x for x in ()]",
    "eval('1')",
    "exec('import os')",
    "open('f')",
    "open('pwned', 'w')",
    "x; import os",
    "x\nimport os",
    "x\rimport os",
    "import os",
    "Symbol('a')",
    "Function('f')(x)",
    "Integral(x, x)",
    "Matrix([1])",
    "sympify('x')",
    "globals()",
    "__builtins__",
    "getattr(x, 'real')",
    "print(x)",
    "x[0]",
    "{1: x}",
    "x if y else 1",
    "x := 1",
    "x = 1",
    "*x",
    "f'{x}'",
    "b'x'",
    "x # comment",
    "x @ y",
    "x // y",
    "x % y",
    "x < y",
    "sin(x, y)",
    "sin(x=1)",
    "sin(*x)",
]
TOO_BIG = [
    "x**9**9**9",
    "9^9^9^9",
    "2^9^9^9",
    "x^(10^10)",
    "x^1000",
    "10^1000",
    "1e999",
    "99999999999999999999x",
    "factorial(10**8)",
    "(" * 10000,
    "(" * 150 + "x" + ")" * 149,
    "-" * 200 + "x",
    "+".join(["x"] * 20000),
    "x" * 1_000_000,
    "sin(" * 40 + "x" + ")" * 40,
    "(" * 10000 + "x" + ")" * 10000,
    # found by the formula fuzzer: exact numbers past 4300 digits (sympy cannot print
    # them), exponents multiplied past the cap, constants mpmath cannot evaluate
    "(x*999999999999^100)^4",
    "y^sin(((3x)^99)^100 - x)",
    "999999999999^25*999999999999^25*999999999999^25*999999999999^25*x",
    "((x^100)^100)^100",
    "x^60 * x^50",
    "sinh(abs(sinh(1e12)))*x",
    "tanh(sinh(abs(exp(178234507235)))*x)",
    "sin(exp(exp(100)))*x",
]
NONSENSE = [
    "z",
    "",
    "   ",
    "1/0",
    "x/0",
    "x^(1/0)",
    "log(0)",
    "nan",
    "oo*x",
    "inf",
    "sqrt(-1)",
    "(-1)^(1/2)",
    "1j*x",
    "x +",
    "x ^^ 2",
    ")(",
    "sin",
    "sin x",
    "x sin",
    "gamma(x)",
    "None",
    "True",
    "x $ y",
    "x ∑ y",
    "atan(1/0)^x",  # an AccumulationBounds, on which sympy raises ValueError
]
HOSTILE_FORMULAS = INJECTIONS + TOO_BIG + NONSENSE

# -- URLs --------------------------------------------------------------------------------------
PAYLOADS = [
    "<script>alert('INJECTED')</script>",
    "<img src=x onerror=alert('INJECTED')>",
    "[INJECTED](javascript:alert(1))",
    "**INJECTED**",
    "<b>INJECTED</b>",
    "`<script>INJECTED</script>`",  # tries to close the code span the app quotes values in
    "x</code><script>INJECTED</script>",
]
HOSTILE_URLS: list[Query] = [
    {"junk": "1", "__proto__": "x", "": "empty key", "lr": ["0.5", "abc"],
     "beta": ["0.9", "0.8"], "surface": ["booth", "nope"]},  # unknown and repeated keys
    {"lr": "1" * 100_000, "formula": "x" * 100_000, "steps": "9" * 5000, "x0": "1e309",
     "seed": "-1", "noise": "-0.0001", "betas": ",".join(["0.5"] * 1000),
     "map_grid": "9" * 400},  # huge values (a 400-digit integer raised OverflowError)
    {"surface": "ravine\u202e", "lr": "０.１", "opt": "sgd,мomentum", "beta": "٠.٥",
     "formula": "x²+y²", "junk\u0000": "\u0000"},  # unicode
    {"surface": "custom", "formula": PAYLOADS[0], "xmin": "nan", "ymax": "inf"},
    {"surface": "custom", "formula": "__import__('os').system('touch pwned')", "xmin": "5",
     "xmax": "-5"},
    {"surface": "custom", "formula": "cosh(x^((x+y+1)^100))"},  # minutes of sympy, stopped
    {"lr": "nan", "beta": "inf", "steps": "-inf", "x0": "1e6", "y0": "-1e6", "map_grid": "1e3",
     "map_lr": "4,0.01", "map_beta": "0.5,0.5,0.5", "rotation": "90.5", "compare": "1",
     "betas": "0.1,nan,0.2", "sgd_lr": "0", "map_steps": "0x10"},  # out of range
    {"lesson": "ravine\u0000"}, {"lesson": ["spiral", "../lessons"]},  # lessons
    {"lesson": "divergence", "lr": "nan", "surface": "nope"},
    {"opt": "sgd,momentum,adam,rmsprop,adagrad", "adam_beta2": "1", "adam_eps": "0",
     "rmsprop_beta2": "-0.1", "rmsprop_eps": "inf", "adagrad_eps": "nan", "adam_lr": "1e9",
     "rmsprop_lr": "-0", "schedule": "cosine", "t_max": "0", "eta_min": "-1",
     "map_opt": "sgd"},  # the registry's hyper-parameters and a schedule's, out of range
    {"schedule": "step", "step_size": "1.5", "step_gamma": "0", "exp_gamma": "2",
     "total_iters": "9" * 400, "start_factor": "1.0001", "opt": "adam,foo"},
    {"schedule": "<script>", "opt": "adam,rmsprop", "t_max": "1e309", "eta_min": "nan"},
    {"quiz": ["1", "<b>INJECTED</b>"], "quiz_k": "1e309", "lesson": "spiral"},  # the quiz
    {"quiz": "1", "quiz_k": "9" * 400, "steps": "10", "surface": "custom",
     "formula": "exp(-x^2-y^2)"},
    {"quiz": "true", "quiz_k": "-0", "quiz_answer_0": "diverges", "quiz_guess": "1,1",
     "quiz_revealed": "1"},  # the quiz's session keys are not parameters
]


def payloads_everywhere(names: Iterable[str]) -> Query:
    """A query that puts one of ``PAYLOADS`` (HTML, script, markdown) in each named parameter,
    cycling through them in order."""
    return {name: PAYLOADS[i % len(PAYLOADS)] for i, name in enumerate(names)}
