"""Loss surfaces from data: linear and logistic regression of y on x with parameters (w, b).

The surface's x axis is the slope w, its y axis the intercept b; f(w, b) is the mean loss over
the data points, with z_i = w·x_i + b:

- linear: mean squared error, mean (z_i − y_i)², an exact quadratic in (w, b) whose
  coefficients are moments of the data, so it is a sympy polynomial like any preset surface;
- logistic: mean log-loss, mean log(1 + e^{z_i}) − y_i·z_i (y_i ∈ {0, 1}), evaluated as
  ``softplus(z) − y·z`` (no overflow for any z); its f, ∇f and Hessian are numeric means
  over the data (``DataCompiled``), vectorised over the points and chunked over (w, b).

A data surface carries its ``Data`` (``Surface.data``), from which the engine draws minibatch
gradients (``Data.batch_gradient``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, cached_property

import numpy as np
import sympy as sp

from momentum_viz import theory
from momentum_viz.formula import X, Y
from momentum_viz.surface import Compiled, Domain, Point, Surface, refine_minima

KINDS = ("linear", "logistic")
MAX_POINTS = 100_000
CHUNK_ELEMENTS = 1 << 17
"""Parameter points × data points evaluated at once: 1 MB per temporary array, which stays in
cache (2.5× faster than 8 MB arrays for f and ∇f at 50 000 points of 1 000 data points)."""


@dataclass(frozen=True, eq=False)
class Data:
    """The data of a regression surface: 1-D float64 arrays ``x`` and ``y`` of equal length n
    and the model ``kind`` ("linear" or "logistic")."""

    kind: str
    x: np.ndarray
    y: np.ndarray

    @property
    def n(self) -> int:
        return len(self.x)

    def slope(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """∂ℓ/∂z of one point's loss: 2(z − y) (linear) or σ(z) − y (logistic)."""
        if self.kind == "linear":
            return 2.0 * (z - y)
        return _sigmoid(z) - y

    def batch_gradient(self, theta: np.ndarray, index: np.ndarray, weight: np.ndarray,
                       pick: np.ndarray | None = None) -> np.ndarray:
        """∇f over a minibatch per trajectory: Σ_j weight_j·ℓ'(w·x_j + b)·(x_j, 1).

        ``theta`` (2, m); ``index`` (c, B), the points of c batches; trajectory j sees batch
        ``pick[j]``, or with ``pick`` None batch j (c = m) or the one batch (c = 1); ``weight``
        (1, B), 1/the batch's size (0 for padding), summing to 1. Returns (2, m).

        Linear regression's gradient is linear in the batch's moments, 2·(E[x²]w + E[x]b −
        E[xy], E[x]w + b − E[y]) with E the weighted mean over the batch: each batch's four
        moments are computed once (c × B work), then each trajectory's gradient from its
        batch's (m work). Logistic regression gathers each trajectory's batch."""
        x, y = self.x[index], self.y[index]
        if self.kind == "linear":
            xw = x * weight
            moments = np.stack([(xw * x).sum(axis=1), xw.sum(axis=1), (xw * y).sum(axis=1),
                                (y * weight).sum(axis=1)])
            if pick is not None:
                moments = moments[:, pick]
            xx, mx, xy, my = moments
            w, b = theta
            return 2.0 * np.stack([xx * w + mx * b - xy, mx * w + b - my])
        if pick is not None:
            x, y = x[pick], y[pick]
        z = theta[0][:, None] * x + theta[1][:, None]
        d = self.slope(z, y) * weight
        return np.stack([np.einsum("mb,mb->m", d, np.broadcast_to(x, d.shape)),
                         d.sum(axis=1)])


class DataCompiled(Compiled):
    """A ``Compiled`` whose f, ∇f and Hessian are exact means over data, computed numerically
    (logistic regression: a sum over n points has no useful closed form). ``expr`` is the
    unevaluated sum for display (its LaTeX); ``programs`` evaluate f alone and ∇f alone for
    the simulation loop. Every kernel broadcasts over (w, b) arrays of any shape."""

    def __init__(self, data: Data, expr: sp.Expr):
        self.data = data
        self.expr = expr
        self.gradient_exprs = (sp.diff(expr, X), sp.diff(expr, Y))

    @cached_property
    def f(self) -> Callable:
        return lambda w, b: self.means(w, b, (0,))[0]

    @cached_property
    def value_and_grad(self) -> Callable:
        return lambda w, b: self.means(w, b, (0, 1, 2))

    @cached_property
    def grad(self) -> Callable:
        return lambda w, b: self.means(w, b, (1, 2))

    @cached_property
    def hessian(self) -> Callable:
        return lambda w, b: self.means(w, b, (3, 4, 5))

    @cached_property
    def programs(self) -> tuple[_Means, _Means]:
        return _Means(self, (0,)), _Means(self, (1, 2))

    def means(self, w, b, which: tuple[int, ...]) -> list[np.ndarray]:
        """Means over the data of [ℓ, ℓ'·x, ℓ', ℓ''·x², ℓ''·x, ℓ''] at every (w, b), the
        entries ``which``, each of the broadcast shape of w and b; computed in chunks of
        ``CHUNK_ELEMENTS`` (w, b) × point pairs."""
        w, b = np.broadcast_arrays(np.asarray(w, np.float64), np.asarray(b, np.float64))
        shape, w, b = w.shape, w.ravel(), b.ravel()
        out = np.empty((len(which), w.size))
        step = max(1, CHUNK_ELEMENTS // self.data.n)
        for a in range(0, w.size, step):
            out[:, a:a + step] = _logistic_sums(w[a:a + step], b[a:a + step], self.data, which)
        return list((out / self.data.n).reshape(len(which), *shape))


@dataclass(frozen=True)
class _Means:
    """The ``kernel.Program`` interface (``bind``) for ``DataCompiled.means``."""

    compiled: DataCompiled
    which: tuple[int, ...]

    def bind(self, theta: np.ndarray) -> Callable[[], np.ndarray]:
        """Evaluates the means ``which`` at the current ``theta`` (2, n): (len(which), n)."""
        return lambda: np.array(self.compiled.means(theta[0], theta[1], self.which))


def _logistic_sums(w: np.ndarray, b: np.ndarray, data: Data,
                   which: tuple[int, ...]) -> np.ndarray:
    """Sums over the data of the entries ``which`` of [ℓ, ℓ'·x, ℓ', ℓ''·x², ℓ''·x, ℓ''] of
    the log-loss ℓ = log(1 + e^z) − y·z, z = w·x + b, with ℓ' = σ(z) − y and
    ℓ'' = σ(z)(1 − σ(z)), at each (w, b) (m,): (len(which), m). The terms in y are sums of
    moments (Σy·z = w·Σxy + b·Σy); the rest are matrix products with x, x² and ones."""
    x, y = data.x, data.y
    z = np.multiply.outer(w, x)
    z += b[:, None]
    sums: dict[int, np.ndarray] = {}
    if 0 in which:
        sums[0] = _softplus(z).sum(axis=1) - (w * np.dot(x, y) + b * y.sum())
    if {1, 2, 3, 4, 5} & set(which):
        s = _sigmoid(z)
        sums[1], sums[2] = s @ x - np.dot(x, y), s.sum(axis=1) - y.sum()
        if {3, 4, 5} & set(which):
            h = s * (1 - s)
            sums[3], sums[4], sums[5] = h @ (x * x), h @ x, h.sum(axis=1)
    return np.array([sums[i] for i in which])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^{−z}) = (1 + tanh(z/2))/2: no overflow for any z, to within 1e-16."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}): no overflow for any z."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def regression_surface(kind: str, x, y, *, name: str | None = None,
                       id: str | None = None, description: str = "") -> Surface:
    """The loss of a two-parameter regression of ``y`` on ``x`` as a Surface in (w, b).

    ``kind`` "linear" (mean squared error) or "logistic" (mean log-loss, ``y`` in {0, 1});
    ``x``, ``y`` 1-D finite arrays of equal length 2 … ``MAX_POINTS``. ValueError otherwise,
    also when x is constant or logistic data is separable (no finite minimum). The minimum is
    exact for linear (Newton's method on a quadratic: one step, checked against least squares
    in the tests) and Newton-polished for logistic; the start is (0, 0), moved off the minimum
    if it is there; the domain is a square around the minimum reaching 1.5× past the start;
    the suggested lr and β are the quadratic optimum for the Hessian's eigenvalues there, lr
    to 3 significant digits and β to 3 decimals (the sliders' resolution: a round value to
    show)."""
    data = _check_data(kind, x, y)
    if kind == "linear":
        compiled = Compiled(_mse_polynomial(data))
    else:
        i = sp.Idx("i")
        xi, yi, n = sp.IndexedBase("x")[i], sp.IndexedBase("y")[i], sp.Symbol("n")
        z = X * xi + Y
        expr = sp.Sum(sp.log(1 + sp.exp(z)) - yi * z, (i, 1, n)) / n
        compiled = DataCompiled(data, expr)
    label = {"linear": "Linear regression (mean squared error)",
             "logistic": "Logistic regression (mean log-loss)"}[kind]
    draft = Surface(
        id=id or ("linreg" if kind == "linear" else "logreg"), name=name or label,
        formula=f"{label} of w·x + b over {data.n} points; x axis w, y axis b",
        domain=((-1e9, 1e9), (-1e9, 1e9)), start=(0.0, 0.0), minima=(), lr=0.01, beta=0.9,
        description=description, minima_source="none", compiled=compiled, data=data,
    )
    minimum = _minimum(draft)
    start, domain = _frame(minimum)
    lam = theory.hessian_eigenvalues(draft, minimum)
    lr, beta, _ = theory.optimal(float(lam[0]), float(lam[1]))
    return replace(draft, domain=domain, start=start, minima=(minimum,),
                   lr=float(f"{lr:.3g}"), beta=round(float(beta), 3), minima_source="known")


def _check_data(kind: str, x, y) -> Data:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError("x and y must be 1-D arrays of the same length")
    if not 2 <= len(x) <= MAX_POINTS:
        raise ValueError(f"the data needs 2 to {MAX_POINTS} points, not {len(x)}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite numbers (no NaN or inf)")
    if np.ptp(x) == 0:
        raise ValueError("x is constant: the slope w is not determined")
    if kind == "logistic":
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("logistic regression needs labels y in {0, 1}")
        lo, hi = x[y == 1], x[y == 0]
        if len(lo) == 0 or len(hi) == 0 or lo.min() > hi.max() or hi.min() > lo.max():
            raise ValueError("the classes are separable by x alone: the log-loss has no "
                             "finite minimum")
    return Data(kind, x.copy(), y.copy())


def _mse_polynomial(data: Data) -> sp.Expr:
    """mean (w·x + b − y)² = E[x²]w² + 2E[x]wb + b² − 2E[xy]w − 2E[y]b + E[y²], exact in
    the moments of the data."""
    x, y = data.x, data.y
    m = [sp.Float(float(v), 17) for v in
         (np.mean(x * x), np.mean(x), np.mean(x * y), np.mean(y), np.mean(y * y))]
    return m[0] * X**2 + 2 * m[1] * X * Y + Y**2 - 2 * m[2] * X - 2 * m[3] * Y + m[4]


def _minimum(surface: Surface) -> Point:
    """The one minimum by Newton's method from (0, 0) (a convex loss: it is the global one);
    ``surface``'s domain must be wide enough to hold it."""
    found = refine_minima(surface, [(0.0, 0.0)], iterations=100)
    if not found:
        raise ValueError("no minimum found: the loss may be unbounded or the data degenerate")
    return found[0]


def _frame(minimum: Point) -> tuple[Point, Domain]:
    """Start (0, 0) (or one unit off a minimum at the origin) and a square domain around the
    minimum reaching 1.5 times as far as the start."""
    mw, mb = minimum
    start = (0.0, 0.0) if max(abs(mw), abs(mb)) > 0.1 else (mw - 1.0, mb - 1.0)
    half = 1.5 * max(abs(start[0] - mw), abs(start[1] - mb))
    return start, ((mw - half, mw + half), (mb - half, mb + half))


@dataclass(frozen=True)
class DataSet:
    """A built-in data set: ``id``, ``kind`` of its model, ``name``, ``description`` and how
    to generate it (``make`` returns (x, y) from a seeded generator: deterministic)."""

    id: str
    kind: str
    name: str
    description: str
    make: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]

    @property
    def x(self) -> np.ndarray:
        return _points(self.id)[0]

    @property
    def y(self) -> np.ndarray:
        return _points(self.id)[1]

    def surface(self) -> Surface:
        """Its regression surface (built once and kept)."""
        return _surface(self.id)


def _line(center: float) -> Callable:
    def make(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = center + rng.standard_normal(N_POINTS)
        return x, 0.5 * (x - center) + 1.0 + 0.5 * rng.standard_normal(N_POINTS)
    return make


def _classes(center: float) -> Callable:
    def make(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = center + rng.standard_normal(N_POINTS)
        p = _sigmoid(2.0 * (x - center) - 0.5)
        return x, (rng.random(N_POINTS) < p).astype(np.float64)
    return make


N_POINTS = 300
SEED = 20_241_114
DATASETS: dict[str, DataSet] = {d.id: d for d in (
    DataSet("linreg", "linear", "Linear regression, centred x",
            "300 points around the line y = 0.5x + 1 with x centred at 0: a round bowl.",
            _line(0.0)),
    DataSet("linreg-ravine", "linear", "Linear regression, unscaled x",
            "The same kind of data with x around 10: w and b trade off against each other, "
            "a long narrow ravine (κ in the hundreds). Centring x removes it.",
            _line(10.0)),
    DataSet("logreg", "logistic", "Logistic regression, centred x",
            "300 labels drawn with P(y = 1) = σ(2x − 0.5), x centred at 0.",
            _classes(0.0)),
    DataSet("logreg-ravine", "logistic", "Logistic regression, unscaled x",
            "The same labels with x around 10: a ravine, as for linear regression.",
            _classes(10.0)),
)}
"""The built-in data sets by id; ``DATASETS[id].surface()`` is the surface (id = the data
set's id)."""


@cache
def _points(id: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = DATASETS[id].make(np.random.default_rng(SEED))
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


@cache
def _surface(id: str) -> Surface:
    d = DATASETS[id]
    return regression_surface(d.kind, d.x, d.y, name=d.name, id=d.id,
                              description=d.description)
