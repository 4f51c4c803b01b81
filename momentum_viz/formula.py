"""Safe parsing of typed formulas such as ``x^2 + 10y^2`` into sympy expressions.

User text is never given to ``eval``, ``sympify`` or ``parse_expr`` (all of which run Python).
Instead the text is tokenized, implicit multiplication (``2x``, ``(x+1)(x-1)``) and ``^`` are
rewritten at the token level, the result is parsed with ``ast.parse`` and every node is checked
against a small whitelist while the sympy expression is built from the tree directly. Caps on
length, node count, depth, literal size and constant exponents make every refusal immediate.
"""

from __future__ import annotations

import ast
import cmath
import io
import math
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager

import sympy as sp

X, Y = sp.symbols("x y", real=True)

MAX_LENGTH = 300
MAX_NODES = 160
MAX_DEPTH = 32
MAX_LITERAL = 1e12
MAX_CONSTANT_EXPONENT = 100
MAX_EXACT = 2**1024
"""Exact numbers (sympy integers and fractions) must stay within the range of a float."""

FUNCTIONS = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "exp": sp.exp,
    "log": sp.log,
    "ln": sp.log,
    "log10": lambda arg: sp.log(arg, 10),
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
VARIABLES = {"x": X, "y": Y}
UNDEFINED = (*(type(v) for v in (sp.zoo, sp.oo, -sp.oo, sp.nan)), sp.AccumBounds)
"""What sympy makes of 1/0, log(0), atan(1/0), …: no value a float can take (or several)."""

_TYPOGRAPHY = {"−": "-", "–": "-", "×": "*", "·": "*", "÷": "/", "²": "^2", "³": "^3", "π": " pi "}
_ALLOWED_OPS = {"+", "-", "*", "/", "**", "^", "(", ")"}
UNDEFINED_MESSAGE = "the formula is undefined (a division by zero or log(0)?)"


def _divide(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a / b. sympy makes 1/0 complex infinity, which ``_checked`` refuses, but raises
    ZeroDivisionError for two decimals (0.5/0.0)."""
    try:
        return a / b
    except ZeroDivisionError:
        raise FormulaError(UNDEFINED_MESSAGE) from None


_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: _divide,
}


class FormulaError(ValueError):
    """A formula that cannot be used, with a message meant for the person who typed it."""


def parse_formula(text: str) -> sp.Expr:
    """Return the sympy expression for ``text``, a formula in x and y, or raise FormulaError."""
    if not isinstance(text, str):
        raise FormulaError("the formula must be text")
    text = text.strip()
    if not text:
        raise FormulaError("the formula is empty: type a function of x and y, e.g. x^2 + 10y^2")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula too long ({len(text)} characters; at most {MAX_LENGTH})")
    if "\n" in text or "\r" in text:
        raise FormulaError("the formula must fit on one line")
    for fancy, plain in _TYPOGRAPHY.items():
        text = text.replace(fancy, plain)
    text = text.strip()  # "π" became " pi ": a leading space would be an indent
    tree = _parse(_normalize_tokens(text))
    _check_size(tree)
    with numbers_in_range():
        expr = _Builder().build(tree.body)
    _check_value(expr)
    return expr


@contextmanager
def numbers_in_range() -> Iterator[None]:
    """Refuse formulas whose constants sympy cannot evaluate: it works out constant parts exactly
    with mpmath, which gives up on astronomically large numbers (``sinh(abs(sinh(10^12)))``)
    with a MemoryError or OverflowError rather than an answer."""
    try:
        yield
    except (MemoryError, OverflowError) as exc:
        raise FormulaError("a number in the formula is out of range: use smaller constants") \
            from exc


def _normalize_tokens(text: str) -> str:
    """Rewrite ``^`` as ``**`` and make implicit multiplication explicit."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, SyntaxError) as exc:
        raise FormulaError("the formula is incomplete: check the parentheses") from exc
    out: list[str] = []
    previous: tokenize.TokenInfo | None = None
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string not in _ALLOWED_OPS:
            raise FormulaError(f"'{tok.string}' is not allowed in a formula")
        if tok.type not in (tokenize.NUMBER, tokenize.NAME, tokenize.OP):
            raise FormulaError(f"unexpected character {tok.string!r} in the formula")
        if previous is not None and previous.string in FUNCTIONS and tok.string != "(":
            raise FormulaError(f"'{previous.string}' is a function: write {previous.string}(x)")
        if previous is not None and _implicit_product(previous, tok):
            out.append("*")
        out.append(_spell(tok))
        previous = tok
    if previous is not None and previous.string in FUNCTIONS:
        raise FormulaError(f"'{previous.string}' is a function: write {previous.string}(x)")
    return " ".join(out)


def _spell(tok: tokenize.TokenInfo) -> str:
    """``^`` means power; a name made only of x and y (``xy``, ``xxy``) means their product."""
    if tok.string == "^":
        return "**"
    if tok.type == tokenize.NAME and len(tok.string) > 1 and set(tok.string) <= set(VARIABLES):
        return " * ".join(tok.string)
    return tok.string


def _implicit_product(left: tokenize.TokenInfo, right: tokenize.TokenInfo) -> bool:
    """True where a reader means a product: ``2x``, ``x y``, ``2(x+1)``, ``(x)(y)``."""
    ends_operand = (
        left.type == tokenize.NUMBER
        or left.string == ")"
        or (left.type == tokenize.NAME and left.string not in FUNCTIONS)
    )
    starts_operand = right.type in (tokenize.NUMBER, tokenize.NAME) or right.string == "("
    return ends_operand and starts_operand


def _parse(source: str) -> ast.Expression:
    try:
        return ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise FormulaError("the formula is not well formed: check operators and parentheses") \
            from exc


def _check_size(tree: ast.AST) -> None:
    count = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError("formula too complex: use fewer terms")
        if depth > MAX_DEPTH:
            raise FormulaError("formula nested too deeply")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Builder:
    """Build a sympy expression from a checked ``ast`` tree, refusing anything off the whitelist."""

    def build(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return self._number(node.value)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return _checked(self._power(node.left, node.right))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _checked(_BINARY[type(node.op)](self.build(node.left), self.build(node.right)))
        if isinstance(node, ast.Call):
            return _checked(self._call(node))
        raise FormulaError(f"'{_snippet(node)}' is not allowed in a formula")

    @staticmethod
    def _number(value: object) -> sp.Expr:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, complex):
                raise FormulaError("complex numbers are not supported")
            raise FormulaError(f"{value!r} is not a number")
        if not math.isfinite(value) or abs(value) > MAX_LITERAL:
            raise FormulaError(f"number too large (at most {MAX_LITERAL:g})")
        return sp.Integer(value) if isinstance(value, int) else sp.Float(repr(value))

    @staticmethod
    def _name(name: str) -> sp.Expr:
        if name in VARIABLES:
            return VARIABLES[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        raise FormulaError(f"unknown name '{name}': use x and y (and pi, e, sin, cos, …)")

    def _power(self, base_node: ast.AST, exponent_node: ast.AST) -> sp.Expr:
        base, exponent = self.build(base_node), self.build(exponent_node)
        if not exponent.free_symbols:
            if not _is_plain_number(exponent_node):
                raise FormulaError("a constant exponent must be a plain number like 2, 0.5 or -1/2")
            if abs(float(exponent)) > MAX_CONSTANT_EXPONENT:
                raise FormulaError(f"exponent too large (at most {MAX_CONSTANT_EXPONENT})")
            if not base.free_symbols and not _is_plain_number(base_node):
                raise FormulaError("a power of a power of numbers is not allowed: simplify it")
        return base**exponent

    def _call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise FormulaError(f"'{_snippet(node.func)}' is not allowed in a formula")
        name = node.func.id
        if name not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise FormulaError(f"unknown function '{name}': use one of {allowed}")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise FormulaError(f"{name}() takes exactly one argument, e.g. {name}(x)")
        argument = self.build(node.args[0])
        # sympy evaluates functions of constants exactly, and sin(exp(exp(100))) needs π to
        # 10⁴³ digits: such an argument is infinite as a float anyway.
        if not argument.free_symbols and not cmath.isfinite(complex(argument.evalf())):
            raise FormulaError("a number in the formula is too large (at most about 1e308)")
        return FUNCTIONS[name](argument)


def _is_plain_number(node: ast.AST) -> bool:
    """Literals, pi, e, and their negations and quotients: exponents that cannot explode."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in CONSTANTS
    if isinstance(node, ast.UnaryOp):
        return _is_plain_number(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _is_plain_number(node.left) and _is_plain_number(node.right)
    return False


def _checked(expr: sp.Expr) -> sp.Expr:
    """``expr``, built by one operation, unless it is undefined or one of the things sympy's
    constant folding builds from small pieces: exponents multiplied past the cap ((x^100)^100 is
    x^10000) and exact numbers past a float's range, which grow with every power ((10^12·x)^100
    has a 1200-digit coefficient, its square 2400 digits; sympy cannot even print 4300). Checked
    after every operation, so nothing is computed from such a value (sympy raises on some)."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, UNDEFINED):
            raise FormulaError(UNDEFINED_MESSAGE)
        if node.is_Pow and node.exp.is_Number and abs(node.exp) > MAX_CONSTANT_EXPONENT:
            raise FormulaError(f"exponent too large (at most {MAX_CONSTANT_EXPONENT})")
        if node.is_Rational and max(abs(node.p), node.q) > MAX_EXACT:
            raise FormulaError("a number in the formula is too large (at most about 1e308)")
    return expr


def _check_value(expr: sp.Expr) -> None:
    if expr.has(sp.I):
        raise FormulaError("the formula has complex values (e.g. the root of a negative number)")
    if not expr.free_symbols <= {X, Y}:
        raise FormulaError("use only x and y as variables")


def _snippet(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # unparse of an odd node: name its kind instead
        text = type(node).__name__
    return text if len(text) <= 40 else text[:37] + "..."
