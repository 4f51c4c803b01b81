"""Convergence theory of gradient descent with momentum on a quadratic.

On f(θ) = ½θᵀAθ every optimizer below acts independently along each eigenvector of A, so one
eigenvalue λ at a time is a 2-state linear recursion x_{k+1} = R x_k (Gabriel Goh, "Why Momentum
Really Works", Distill 2017). Its convergence rate is the spectral radius of R, the larger modulus
of the two roots of the characteristic polynomial z² − T·z + D (T = trace R, D = det R).

The optimizers, with v₀ = 0 and g = ∇f(θ) = λθ along one eigenvector:

- ``sgd``:      θ ← θ − lr·g
- ``momentum``: v ← βv + g ;       θ ← θ − lr·v          (torch.optim.SGD(momentum=β))
- ``nesterov``: v ← βv + g ;       θ ← θ − lr·(g + βv)   (the same with nesterov=True)
- ``ema``:      v ← βv + (1−β)g ;  θ ← θ − lr·v          (momentum at step size lr·(1−β))

Every function broadcasts its array arguments like a NumPy ufunc: scalar inputs give NumPy
scalars, array inputs give float64 (or complex128, bool, str) arrays of the broadcast shape.
Distill's article writes the complex-root rate as "2√β"; it is √β, as computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from momentum_viz import optimizers

Real: TypeAlias = np.float64 | NDArray[np.float64]
Complex: TypeAlias = np.complex128 | NDArray[np.complex128]
Bool: TypeAlias = np.bool_ | NDArray[np.bool_]
Label: TypeAlias = np.str_ | NDArray[np.str_]


class HasHessian(Protocol):
    """Anything with exact second derivatives, like ``Surface``: hessian(x, y) = (hxx, hxy, hyy)."""

    def hessian(self, x: ArrayLike, y: ArrayLike) -> tuple[ArrayLike, ArrayLike, ArrayLike]: ...


FORMS = ("sgd", "momentum", "nesterov", "ema")
"""The linear forms this module knows; an optimizer's registry entry names the one that describes
it (``Optimizer.linear_theory``), and the functions below accept an optimizer name or a form."""


def _form(optimizer: str) -> str:
    """The linear form of ``optimizer`` (a registry name or a form); ValueError for an unknown
    name or an optimizer no linear theory describes (an adaptive step is not linear in g)."""
    if optimizer in FORMS and optimizer not in optimizers.REGISTRY:
        return optimizer
    form = optimizers.get(optimizer).linear_theory
    if form not in FORMS:
        raise ValueError(f"no linear theory applies to {optimizer}: its step is not linear "
                         f"in the gradient")
    return form


def _floats(*values: ArrayLike) -> list[NDArray[np.float64]]:
    return np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))


def _trace_det(lr: ArrayLike, beta: ArrayLike, lam: ArrayLike, optimizer: str) -> tuple[Real, Real]:
    """T and D of the characteristic polynomial z² − T·z + D of the iteration matrix."""
    optimizer = _form(optimizer)
    lr, beta, lam = _floats(lr, beta, lam)
    h = lr * lam
    if optimizer == "sgd":
        return 1 - h, np.zeros_like(h)
    if optimizer == "nesterov":
        return (1 + beta) * (1 - h), beta * (1 - h)
    if optimizer == "ema":
        h = h * (1 - beta)
    return 1 + beta - h, beta


def iteration_matrix(
    lr: ArrayLike, beta: ArrayLike, lam: ArrayLike, optimizer: str = "momentum"
) -> NDArray[np.float64]:
    """The matrix R with (v_{k+1}, θ_{k+1}) = R (v_k, θ_k) along an eigenvalue λ.

    The state is (v, θ) after k steps: v is the velocity buffer (for sgd, the last gradient) and
    θ the coordinate along the eigenvector. Substituting g = λθ into each update gives

    - sgd:      [[0, λ],  [0,      1 − lr·λ]]
    - momentum: [[β, λ],  [−lr·β,  1 − lr·λ]]
    - nesterov: [[β, λ],  [−lr·β², 1 − lr·λ(1+β)]]
    - ema:      [[β, (1−β)λ], [−lr·β, 1 − lr·(1−β)λ]]  (similar to momentum's at lr·(1−β))

    Shape: broadcast(lr, beta, lam).shape + (2, 2).
    """
    optimizer = _form(optimizer)
    lr, beta, lam = _floats(lr, beta, lam)
    h = lr * lam
    if optimizer == "sgd":
        zero = np.zeros_like(h)
        rows = ((zero, lam), (zero, 1 - h))
    elif optimizer == "momentum":
        rows = ((beta, lam), (-lr * beta, 1 - h))
    elif optimizer == "nesterov":
        rows = ((beta, lam), (-lr * beta**2, 1 - h * (1 + beta)))
    else:
        rows = ((beta, (1 - beta) * lam), (-lr * beta, 1 - h * (1 - beta)))
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)


def roots(
    lr: ArrayLike, beta: ArrayLike, lam: ArrayLike, optimizer: str = "momentum"
) -> tuple[Complex, Complex]:
    """The eigenvalues (z1, z2) of the iteration matrix, as complex numbers; |z1| ≥ |z2|.

    Closed form z = (T ± √(T² − 4D))/2 with a complex square root. The sign is chosen to add,
    not cancel, and z2 = D/z1 (Vieta), so the smaller root is accurate too.
    """
    trace, det = _trace_det(lr, beta, lam, optimizer)
    s = np.sqrt(trace**2 - 4 * det + 0j)
    z1 = (trace + np.where(trace < 0, -s, s)) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = np.where(z1 == 0, 0j, det / z1)  # z1 = 0 only if T = D = 0: a double root at 0
    return z1, z2[()]


def rate(lr: ArrayLike, beta: ArrayLike, lam: ArrayLike, optimizer: str = "momentum") -> Real:
    """Asymptotic per-step contraction of |θ_k| along λ: the spectral radius max(|z1|, |z2|).

    With complex roots (|z1|² = z1·z2 = D) this is exactly √D, i.e. √β for momentum.
    """
    z1, z2 = roots(lr, beta, lam, optimizer)
    return np.maximum(np.abs(z1), np.abs(z2))


def stable(lr: ArrayLike, beta: ArrayLike, lam: ArrayLike, optimizer: str = "momentum") -> Bool:
    """Whether the iteration converges along λ: rate < 1, i.e. both roots inside the unit circle.

    Decided without square roots by the Jury criterion for p(z) = z² − T·z + D:
    |D| < 1, p(1) > 0 and p(−1) = 1 + T + D > 0. For all four optimizers p(1) = lr·λ (lr·(1−β)·λ
    for ema), taken directly so tiny lr·λ > 0 still counts as stable. For momentum with
    lr > 0 and 0 ≤ β < 1 this is 0 < lr·λ < 2(1+β); for sgd 0 < lr·λ < 2.
    """
    optimizer = _form(optimizer)
    trace, det = _trace_det(lr, beta, lam, optimizer)
    lr, beta, lam = _floats(lr, beta, lam)
    p_at_one = lr * lam * (1 - beta) if optimizer == "ema" else lr * lam
    return (np.abs(det) < 1) & (p_at_one > 0) & (1 + trace + det > 0)


def critical_beta(lr: ArrayLike, lam: ArrayLike) -> Real:
    """The momentum β = (1 − √(lr·λ))² at which the two roots coincide (critical damping).

    From (1 + β − lr·λ)² = 4β. Defined for 0 < lr·λ < 4 (NaN elsewhere); the double root is
    1 − √(lr·λ), so the rate there is |1 − √(lr·λ)| = √β.
    """
    lr, lam = _floats(lr, lam)
    h = lr * lam
    with np.errstate(invalid="ignore"):
        return np.where((h > 0) & (h < 4), (1 - np.sqrt(h)) ** 2, np.nan)[()]


def critical_lr(beta: ArrayLike, lam: ArrayLike) -> Real:
    """The step size lr = (1 − √β)²/λ at which momentum β critically damps eigenvalue λ.

    The inverse of critical_beta on its lower branch (lr·λ ≤ 1): for smaller lr the roots are
    real (over-damped), for larger lr complex (ripples). NaN unless 0 ≤ β < 1 and λ > 0.
    """
    return critical_lrs(beta, lam)[0]


def stability_limit_lr(
    beta: ArrayLike, lam_max: ArrayLike, optimizer: str = "momentum"
) -> Real:
    """The largest stable step size, 2(1+β)/λmax for momentum (stability needs lr·λ < 2(1+β)).

    At equality a root sits at −1; plain gradient descent (β = 0) gives the familiar 2/λmax.
    From p(−1) = 1 + T + D = 0 for the others: sgd 2/λmax, nesterov 2(1+β)/((1+2β)λmax),
    ema 2(1+β)/((1−β)λmax).
    """
    optimizer = _form(optimizer)
    beta, lam_max = _floats(beta, lam_max)
    limit = 2 * (1 + beta) / lam_max
    with np.errstate(divide="ignore"):
        if optimizer == "sgd":
            return 2 / lam_max
        if optimizer == "nesterov":
            return limit / (1 + 2 * beta)
        return limit / (1 - beta) if optimizer == "ema" else limit


def critical_lrs(
    beta: ArrayLike, lam: ArrayLike, optimizer: str = "momentum"
) -> tuple[Real, Real]:
    """The two step sizes at which the roots along λ coincide for this β (critical damping).

    Below the first the roots are real and positive (monotone), between the two complex
    (ripples), above the second real and negative (oscillating) up to ``stability_limit_lr``.
    momentum: (1 ∓ √β)²/λ; ema: the same divided by (1−β); nesterov: ((1−β)/(1+β))²/λ and
    1/λ (where both roots are 0). NaN unless 0 ≤ β < 1 and λ > 0; sgd has no β, so NaN.
    """
    optimizer = _form(optimizer)
    beta, lam = _floats(beta, lam)
    valid = (beta >= 0) & (beta < 1) & (lam > 0) & (optimizer != "sgd")
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(beta)
        if optimizer == "nesterov":
            low, high = ((1 - beta) / (1 + beta)) ** 2 / lam, 1 / lam
        else:
            scale = lam * (1 - beta) if optimizer == "ema" else lam
            low, high = (1 - root) ** 2 / scale, (1 + root) ** 2 / scale
        return np.where(valid, low, np.nan)[()], np.where(valid, high, np.nan)[()]


def optimal(
    lam_min: ArrayLike, lam_max: ArrayLike, optimizer: str = "momentum"
) -> tuple[Real, Real, Real]:
    """The (lr, β) minimizing the worst rate over eigenvalues in [λmin, λmax], and that rate.

    With κ = λmax/λmin:

    - momentum: lr = (2/(√λmin + √λmax))², β = ((√κ − 1)/(√κ + 1))², rate √β. Both ends are
      critically damped, so every λ in between has complex roots and rate √β.
    - ema: the same β and rate, at lr/(1 − β) (ema is momentum at lr·(1−β)).
    - sgd: lr = 2/(λmin + λmax), β = 0, rate (κ − 1)/(κ + 1).
    - nesterov: lr = 4/(3λmax + λmin), β = (√(3κ+1) − 2)/(√(3κ+1) + 2), rate 1 − 2/√(3κ+1)
      (Lessard, Recht & Packard 2016).
    """
    optimizer = _form(optimizer)
    lo, hi = _floats(lam_min, lam_max)
    if not np.all((lo > 0) & (lo <= hi)):
        raise ValueError("optimal needs 0 < lam_min <= lam_max")
    kappa = hi / lo
    if optimizer == "sgd":
        return 2 / (lo + hi), np.zeros_like(kappa)[()], (kappa - 1) / (kappa + 1)
    if optimizer == "nesterov":
        s = np.sqrt(3 * kappa + 1)
        return 4 / (3 * hi + lo), (s - 2) / (s + 2), 1 - 2 / s
    root_kappa = np.sqrt(kappa)
    best_rate = (root_kappa - 1) / (root_kappa + 1)
    beta = best_rate**2
    lr = (2 / (np.sqrt(lo) + np.sqrt(hi))) ** 2
    if optimizer == "ema":
        lr = lr / (1 - beta)
    return lr, beta, best_rate


def regime(lr: ArrayLike, beta: ArrayLike, lam: ArrayLike) -> Label:
    """Goh's label for momentum's behaviour along λ.

    "divergent" (rate ≥ 1, see ``stable``), "ripples" (complex roots: θ spirals in at √β),
    "monotone" (real roots, the dominant one positive: θ decays without changing sign) or
    "oscillating" (real roots, the dominant one negative: θ flips sign every step).
    """
    trace, det = _trace_det(lr, beta, lam, "momentum")
    z1, _ = roots(lr, beta, lam)
    conditions = [~stable(lr, beta, lam), trace**2 - 4 * det < 0, z1.real > 0]
    return np.select(conditions, ["divergent", "ripples", "monotone"], "oscillating")[()]


def envelope(rate: ArrayLike, steps: int, initial: ArrayLike = 1.0) -> NDArray[np.float64]:
    """The theoretical envelope initial·rate^k of the distance to the optimum, k = 0..steps.

    Asymptotic: the exact trajectory also carries a constant (and, at a double root, a factor
    k), so it tracks this curve's slope on a log axis rather than its values. For the loss,
    which is quadratic in the distance, use ``loss_envelope``. Shape:
    broadcast(rate, initial).shape + (steps + 1,).
    """
    rate, initial = _floats(rate, initial)
    k = np.arange(steps + 1)
    return initial[..., None] * rate[..., None] ** k


def loss_envelope(
    rate: ArrayLike, steps: int, initial_loss: ArrayLike = 1.0
) -> NDArray[np.float64]:
    """initial_loss·rate^(2k), k = 0..steps: f − f* ∝ distance², so the loss decays at rate²."""
    return envelope(np.square(rate), steps, initial_loss)


def hessian_eigenvalues(surface: HasHessian, point: ArrayLike) -> NDArray[np.float64]:
    """Eigenvalues (ascending) of the Hessian of ``surface`` at ``point`` = (x, y).

    Near a minimum the surface is locally the quadratic ½δᵀHδ, so these are the λ to feed the
    rate functions. ``surface.hessian(x, y)`` returns (hxx, hxy, hyy); constant entries may be
    plain numbers and are broadcast. ``point`` may be an array of shape (..., 2); the result has
    the same shape (shape (2,) for a single point). Where the Hessian is not finite the result
    is NaN (LAPACK would silently turn a NaN matrix into eigenvalues 0).
    """
    xy = np.asarray(point, dtype=np.float64)
    x, y = xy[..., 0], xy[..., 1]
    hxx, hxy, hyy, _ = _floats(*surface.hessian(x, y), x)
    finite = np.isfinite(hxx) & np.isfinite(hxy) & np.isfinite(hyy)
    rows = ((hxx, hxy), (hxy, hyy))
    matrix = np.stack([np.stack([np.where(finite, h, 0.0) for h in row], -1) for row in rows], -2)
    return np.where(finite[..., None], np.linalg.eigvalsh(matrix), np.nan)


class HasDomain(HasHessian, Protocol):
    """A surface with exact second derivatives and a domain ((xmin, xmax), (ymin, ymax))."""

    domain: tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Curvature:
    """The Hessian's eigenvalues λmin ≤ λmax at ``point``, the λ the rate functions need.

    ``exact``: the Hessian is the same all over the domain, so the surface is this quadratic
    and the theory holds everywhere; otherwise it is a local approximation around ``point``.
    """

    point: tuple[float, float]
    lam_min: float
    lam_max: float
    exact: bool


def curvature(surface: HasDomain, point: ArrayLike, probes: int = 7) -> Curvature:
    """The Curvature of ``surface`` at ``point``; exactness is checked on a probes × probes
    grid over the domain (a quadratic's Hessian is constant, anything else varies)."""
    x, y = (float(v) for v in np.asarray(point, dtype=np.float64))
    lam_min, lam_max = (float(v) for v in hessian_eigenvalues(surface, (x, y)))
    (x0, x1), (y0, y1) = surface.domain
    grid = np.meshgrid(np.linspace(x0, x1, probes), np.linspace(y0, y1, probes))
    here = np.array([float(h) for h in surface.hessian(x, y)])
    there = np.stack(_floats(*surface.hessian(*grid), grid[0]))[:3]
    scale = float(np.max(np.abs(here))) if np.all(np.isfinite(here)) else 0.0
    exact = bool(np.allclose(there, here[:, None, None], rtol=1e-9, atol=1e-12 * scale))
    return Curvature((x, y), lam_min, lam_max, exact)


@dataclass(frozen=True)
class LrAdvice:
    """A learning rate that plain gradient descent survives on a surface.

    ``lam_max``: the largest curvature that matters (see ``stable_lr``) and ``where`` it was
    measured, in words. SGD is stable along it only while lr < ``limit`` = 2/λmax (momentum
    with β: lr < 2(1+β)/λmax); ``lr`` = 1/λmax rounded down to two significant digits, half the
    limit, steps across the stiffest direction without overshooting."""

    lam_max: float
    where: str
    limit: float
    lr: float


def stable_lr(surface: HasHessian, start: ArrayLike, grid: int = 41) -> LrAdvice | None:
    """Advice from the curvature: the larger λmax of the Hessian at the minimum nearest
    ``start`` (``surface.nearest_minimum``) and at ``start`` itself (a run that diverges in its
    first steps does so there); with no known minimum, the largest λmax over a grid × grid grid
    of the domain and the start. None when the surface curves upward nowhere there (every
    λmax ≤ 0 or undefined): no curvature limits lr."""
    x, y = (float(v) for v in np.asarray(start, dtype=np.float64))
    minimum = surface.nearest_minimum((x, y))
    if minimum is not None:
        points = {"the minimum nearest the start": minimum, "the start": (x, y)}
    else:
        (x0, x1), (y0, y1) = surface.domain
        gx, gy = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y0, y1, grid))
        points = {"the domain": np.column_stack([gx.ravel(), gy.ravel()]), "the start": (x, y)}
    largest = {where: float(np.nanmax(hessian_eigenvalues(surface, np.asarray(p))[..., -1],
                                      initial=-np.inf))
               for where, p in points.items()}
    where, lam_max = max(largest.items(), key=lambda item: item[1])
    if not (np.isfinite(lam_max) and lam_max > 0):
        return None
    return LrAdvice(lam_max, where, 2 / lam_max, _round_down(1 / lam_max))


def _round_down(value: float) -> float:
    """``value`` rounded down to two significant digits."""
    power = 10.0 ** (np.floor(np.log10(value)) - 1)
    return float(f"{np.floor(value / power) * power:.2g}")
