"""The "Why momentum works" page's own logic: the quadratic and its runs, and the numbers and
sentences each section shows. The formulas and words follow Goh's Distill article."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st
import sympy as sp

import momentum_viz as mv
from momentum_viz.figures import theory_plots as plots
from momentum_viz.stage import stage_data
from ui import plotly_live, stage
from ui.compute import CACHE

LAM_MIN = 1.0
START = (2.0, 2.0)
"""The start in eigen-coordinates (u, v): both directions equally far from the minimum."""
MAP_SIZE = 120
RATE_MAP_BETAS = np.linspace(0, 0.999, MAP_SIZE)
"""The rate map's β axis."""
ARTICLE = "https://distill.pub/2017/momentum/"
BEHAVIOUR = {
    "monotone": "creeps in without overshooting",
    "ripples": "rings: overshoots and swings back, shrinking by √β per step",
    "oscillating": "flips sign every step",
    "divergent": "grows every step: it diverges",
    "critically damped": "sits exactly on the border, a double root 1 − √(lr·λ) ≥ 0: it "
                         "creeps in without overshooting, the fastest this lr allows",
    "critically damped (flipping)": "sits exactly on the border, but lr·λ > 1 makes the double "
                                    "root 1 − √(lr·λ) negative: it flips sign every step while "
                                    "shrinking, the fastest this lr allows",
}
"""What a direction in each regime (``direction_regime``) does."""


def turn(rotation: int) -> tuple[float, float]:
    """(cos, sin) of ``rotation`` degrees, correctly rounded (sympy's; exact at multiples of
    90°, where the floats of ``math`` are not)."""
    angle = sp.pi * rotation / 180
    return float(sp.cos(angle)), float(sp.sin(angle))


def eigenbasis(rotation: int) -> np.ndarray:
    """Columns: the slow (λ₁) and fast (λ₂) eigenvector, the x and y axes turned by
    ``rotation`` degrees."""
    c, s = turn(rotation)
    return np.array([[c, -s], [s, c]])


@st.cache_resource(**CACHE)
def quadratic(kappa: float, rotation: int) -> mv.Surface:
    """½(λ₁u² + λ₂v²) with λ₁ = 1, λ₂ = κ, u = cx + sy, v = −sx + cy (c, s: ``turn``),
    written out as ax² + bxy + dy² with a = (λ₁c² + λ₂s²)/2, b = (λ₁ − λ₂)cs and
    d = (λ₁s² + λ₂c²)/2: three numbers for sympy to differentiate at each new angle."""
    basis = eigenbasis(rotation)
    c, s = (float(q) for q in basis[:, 0])
    a = (LAM_MIN * c * c + kappa * s * s) / 2
    b = (LAM_MIN - kappa) * c * s
    d = (LAM_MIN * s * s + kappa * c * c) / 2
    start = tuple(float(q) for q in basis @ START)
    return mv.surface.make_surface(
        f"{a!r}*x^2 + {b!r}*x*y + {d!r}*y^2", id="quadratic",
        name=f"Quadratic, κ = {kappa:g}", domain=((-3.5, 3.5), (-3.5, 3.5)), start=start,
        minima=[(0.0, 0.0)])


@st.cache_resource(**CACHE)
def runs(kappa: float, rotation: int, lr: float, beta: float, steps: int) -> list[mv.Run]:
    """Momentum at (lr, β), and EMA at lr/(1−β): by the equivalence, the same path."""
    specs = [mv.RunSpec("momentum", lr, beta), mv.RunSpec("ema", lr / (1 - beta), beta)]
    return mv.simulate_many(quadratic(kappa, rotation), specs, steps=steps)


STAGE_KEY = "why_stage"
"""The stage's widget key on this page."""


def show_stage(kappa: float, rotation: int, lr: float, beta: float, steps: int) -> None:
    """Section 1's picture: the stage (``ui.stage``) with the quadratic and the momentum run,
    whose β and lr sliders are the page's β and lr controls (exact paths while dragged; a
    released value becomes the setup's). The start is the page's own: a click does nothing."""
    stage.show(_stage_data(kappa, rotation, lr, beta, steps, stage.plotly_url()), STAGE_KEY,
               movable_start=False)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _stage_data(kappa: float, rotation: int, lr: float, beta: float, steps: int,
                url: str) -> dict:
    surface = quadratic(kappa, rotation)
    values = {"lr": lr, "beta": beta}

    def specs_at(name: str, value: float) -> list[mv.RunSpec]:
        at = values | {name: value}
        return [mv.RunSpec("momentum", at["lr"], at["beta"])]

    data = stage_data(surface, specs_at, beta=beta, lr=lr, start=surface.start, steps=steps,
                      plotly_url=url)
    return stage.tokened(data, (kappa, rotation, lr, beta, steps))


def eigen_run(kappa: float, lr: float, beta: float, steps: int) -> mv.Run:
    """The momentum run in eigen-coordinates (u, v): the run on the unturned quadratic.
    Rotation turns the path but not its distances along the eigenvectors, its velocity in
    them or its loss, so the charts drawn from this run are the same at every rotation (and
    the browser does not redraw them when only the rotation changes)."""
    return runs(kappa, 0, lr, beta, steps)[0]


def eigenvalues(kappa: float) -> tuple[float, float]:
    """The quadratic's Hessian eigenvalues (λ₁, λ₂) = (1, κ)."""
    return LAM_MIN, LAM_MIN * kappa


def rate(lr: float, beta: float, kappa: float) -> float:
    """The convergence rate max|σ| over both directions."""
    return max(float(mv.theory.rate(lr, beta, lam)) for lam in eigenvalues(kappa))


def optimum(kappa: float) -> tuple[float, float, float]:
    """(lr*, β*, rate √β*) for this κ."""
    best_lr, best_beta, best_rate = mv.theory.optimal(*eigenvalues(kappa))
    return float(best_lr), float(best_beta), float(best_rate)


CHART_KEYS = {name: f"why_{name}" for name in ("components", "phase", "envelope")}
"""Sections 3 and 4's charts' widget keys."""


def show_chart(name: str, kappa: float, lr: float, beta: float, steps: int) -> None:
    """Section 3 or 4's chart ``name`` (components, phase or envelope), drawn in place
    (``ui.plotly_live``): a new lr, β or number of steps updates the chart the browser has,
    and a rotation changes nothing (none of them depends on it)."""
    plotly_live.show(CHART_KEYS[name], chart(name, kappa, lr, beta, steps), theme="streamlit")


@st.cache_resource(**CACHE)
def chart(name: str, kappa: float, lr: float, beta: float, steps: int) -> dict:
    """Sections 3 and 4's figure ``name`` for these values, packed for ``ui.plotly_live``, built
    once per distinct input and shared across sessions (never modified). None depends on the
    rotation: turning the bowl rebuilds none of them. Section 2's rate map is
    ``show_rate_map``, section 5's chart ``show_damping``."""
    lams = eigenvalues(kappa)
    run = eigen_run(kappa, lr, beta, steps)
    if name == "envelope":
        return plotly_live.packed(plots.envelope_figure(run, rate(lr, beta, kappa)))
    build = {"components": plots.components_figure, "phase": plots.phase_figure}[name]
    return plotly_live.packed(build(run, eigenbasis(0), lams))


def per_digit(rate: float) -> str | None:
    """How long the distance takes to shrink tenfold at this rate ("step", "3.2 steps"); None
    when it never does (rate ≥ 1)."""
    if not rate < 1:
        return None
    return "step" if rate <= 0.1 else f"{math.log(10) / -math.log(rate):.1f} steps"


def digit_clause(rate: float) -> str:
    """A clause for any rate: "a digit every **3.2 steps**", or what happens instead when the
    distance does not shrink (rate = 1) or grows (rate > 1)."""
    steps = per_digit(rate)
    if steps is not None:
        return f"a digit every **{steps}**"
    return ("no digit ever: the distance does not shrink" if rate == 1 else
            "no digit ever: the distance grows every step, it diverges")


def tenfold_sentence(rate: float) -> str:
    """One sentence for any rate: how often the distance shrinks tenfold, or that it never
    does."""
    steps = per_digit(rate)
    if steps is not None:
        return f"The distance shrinks tenfold every **{steps}**."
    if rate == 1:
        return "The distance never shrinks: rate 1, no convergence."
    return f"The distance grows by a factor {rate:.4g} every step: the run diverges."


def rate_map_span(lr: float, best_lr: float, lam_max: float) -> tuple[float, float]:
    """The rate map's lr range: from below both lr* and the visitor's lr to past both the
    stability limit and it."""
    return min(best_lr / 30, lr / 2), max(5 / lam_max, 2 * lr)


def rate_map_lrs(low: float, high: float) -> np.ndarray:
    """The rate map's lr axis over [``low``, ``high``]: ``MAP_SIZE`` log-spaced values whose
    ends are ``low`` and ``high`` to the last bit."""
    lrs = np.logspace(math.log10(low), math.log10(high), MAP_SIZE)
    lrs[[0, -1]] = low, high
    return lrs


RATE_MAP_KEY = "why_rate_map"
"""The rate map's widget key on this page."""


def show_rate_map(kappa: float, lr: float, beta: float) -> None:
    """Section 2's picture: the rate map over (lr, β) for this κ (``rate_map_figure``, built
    once per κ and lr axis), with the optimum starred and the visitor's (lr, β) as a ring that
    follows the stage's sliders while they are dragged (``ui.plotly_live``): a change of β
    alone moves the ring and redraws nothing."""
    low, high = rate_map_span(lr, optimum(kappa)[0], eigenvalues(kappa)[1])
    plotly_live.show(RATE_MAP_KEY, _rate_map(kappa, low, high), plotly_live.ring(lr, beta))


DAMPING_KEY = "why_damping"
"""Section 5's chart's widget key."""


def show_damping(kappa: float, lr: float, beta: float) -> None:
    """Section 5's picture: the rate along each direction against β at this lr
    (``damping_figure``, built once per κ and lr), with "your β" as a line over it that follows
    the stage's β while it is dragged: a change of β alone moves the line, nothing else."""
    line, note = plots.your_beta_mark(0.0)  # the browser puts it at β and writes β in the label
    plotly_live.show(DAMPING_KEY, _damping(kappa, lr),
                     plotly_live.line(beta, line, note, "your β = {x}", digits=3))


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _damping(kappa: float, lr: float) -> dict:
    return plotly_live.packed(plots.damping_figure(lr, None, eigenvalues(kappa)))


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _rate_map(kappa: float, low: float, high: float) -> dict:
    best_lr, best_beta, _ = optimum(kappa)
    figure = plots.rate_map_figure(*eigenvalues(kappa), lrs=rate_map_lrs(low, high),
                                   betas=RATE_MAP_BETAS, optimum=(best_lr, best_beta))
    return plotly_live.packed(figure.add_trace(plotly_live.RING_LEGEND))


def bowl_latex(kappa: float, rotation: int) -> str:
    """The quadratic in eigen-coordinates, with this κ and rotation."""
    return (r"\begin{aligned} f(x, y) &= \tfrac12\left(\lambda_1 u^2 + \lambda_2 v^2\right)"
            rf"\\ \lambda_1 &= {LAM_MIN:g},\quad \lambda_2 = \kappa = {kappa:g} \\"
            r"u &= x\cos\varphi + y\sin\varphi \\ v &= -x\sin\varphi + y\cos\varphi \\"
            rf"\varphi &= {rotation}^\circ \end{{aligned}}")


def direction_lines(lr: float, beta: float, lams: tuple[float, float]) -> list[str]:
    """One markdown line per eigenvalue: its regime, what it does, its rate."""
    lines = []
    for i, lam in enumerate(lams):
        regime = plots.direction_regime(lr, beta, lam)
        rate = float(mv.theory.rate(lr, beta, lam))
        behaviour = BEHAVIOUR[regime].replace("√β", f"√β = {math.sqrt(beta):.3g}")
        lines.append(f"- **λ{'₁₂'[i]} = {lam:g}** ({regime}): {behaviour}; rate {rate:.4g}, "
                     f"{digit_clause(rate)}.")
    return lines


def optimum_text(kappa: float, best_rate: float) -> str:
    """lr*, β* against plain gradient descent at its best: √κ instead of κ."""
    gd_rate = (kappa - 1) / (kappa + 1)
    fast = ("The slow direction (lr*·λ₁ < 1) creeps in without overshooting; the fast one has "
            "lr*·λ₂ > 1, so its double root is negative: it flips sign every step while it "
            "shrinks. " if kappa > 1 else
            "With κ = 1 both directions are one: lr*·λ = 1 puts the ball on the minimum in "
            "one step. ")
    return ("At lr*, β* (the star, where the two damping lines cross) the slow and the fast "
            "direction are both critically damped, and every direction converges at rate √β*. "
            f"{fast}Plain gradient descent at its best lr manages rate (κ − 1)/(κ + 1) = "
            f"{gd_rate:.4g}, {digit_clause(gd_rate)}; momentum {digit_clause(best_rate)}: "
            "√κ instead of κ.")


def damping_lines(lr: float, lams: tuple[float, float]) -> list[str]:
    """One markdown line per eigenvalue: its critical β and what happens on either side."""
    lines = []
    for i, lam in enumerate(lams):
        h = lr * lam
        critical = float(mv.theory.critical_beta(lr, lam))
        name = f"**λ{'₁₂'[i]} = {lam:g}** (lr·λ = {h:.4g})"
        if not math.isfinite(critical):
            lines.append(f"{name}: lr·λ ≥ 4, so no β damps it critically; it is stable only "
                         f"while β > lr·λ/2 − 1 = {h / 2 - 1:.4g}.")
            continue
        below = "creeps in (over-damped)" if h < 1 else "flips sign every step" + (
            f", and diverges below β = {h / 2 - 1:.4g}" if h > 2 else "")
        root = 1 - math.sqrt(h)
        at = ("creeps in without overshooting" if h <= 1 else
              f"flips sign every step (the double root {root:.4g} is negative) while "
              f"shrinking by {-root:.4g}: it never stops without overshooting")
        lines.append(f"{name}: critical β = **{critical:.4g}**. Below it, this direction "
                     f"{below}; above it, it rings at rate √β. At the critical β it is "
                     f"fastest, rate {abs(root):.4g}, and {at}.")
    return lines


def ema_check(run: mv.Run, ema_run: mv.Run, lr: float, beta: float) -> str:
    """The live check that EMA at lr/(1 − β) retraces the momentum run."""
    gap = np.abs(run.path - ema_run.path)
    shown = f"{np.nanmax(gap):.1e}" if np.isfinite(gap).any() else "— (both diverged)"
    return (f"Live check: EMA with lr/(1 − β) = {lr / (1 - beta):.4g} retraces your momentum "
            f"run; the paths differ by at most **{shown}** (rounding).")


RATE_FORMULAS = (
    r"\begin{aligned} v_{k+1} &= \beta v_k + \lambda\theta_k \\ "
    r"\theta_{k+1} &= \theta_k - \mathrm{lr}\,v_{k+1} \end{aligned}",
    r"\begin{pmatrix} v_{k+1} \\ \theta_{k+1} \end{pmatrix} = R "
    r"\begin{pmatrix} v_k \\ \theta_k \end{pmatrix}",
    r"R = \begin{pmatrix} \beta & \lambda \\ -\mathrm{lr}\,\beta & "
    r"1 - \mathrm{lr}\,\lambda \end{pmatrix}",
    r"\begin{aligned} \sigma_{1,2} &= \tfrac12\big(T \pm \sqrt{T^2 - 4\beta}\big) "
    r"\\ T &= 1 + \beta - \mathrm{lr}\,\lambda \end{aligned}",
    r"\begin{aligned} R^k &= \sigma_1^k R_1 - \sigma_2^k R_2 \quad "
    r"(\sigma_1 \ne \sigma_2) \\ R_1 &= \frac{R - \sigma_2 I}{\sigma_1 - \sigma_2},"
    r"\quad R_2 = \frac{R - \sigma_1 I}{\sigma_1 - \sigma_2} \end{aligned}",
    r"\begin{aligned} \text{rate} &= \max(|\sigma_1|, |\sigma_2|) \\ &= "
    r"\sqrt{\beta}\ \text{ if the } \sigma \text{ are complex} \\ \text{stable} "
    r"&\iff 0 < \mathrm{lr}\,\lambda < 2(1 + \beta) \end{aligned}",
)
"""Section 2: the heavy ball along one eigenvalue as a linear recursion, and its rate."""
OPTIMUM_FORMULA = (
    r"\begin{aligned} \mathrm{lr}^* &= \Big(\frac{2}{\sqrt{\lambda_1} + "
    r"\sqrt{\lambda_2}}\Big)^2 \\ \beta^* &= \Big(\frac{\sqrt{\kappa} - 1}"
    r"{\sqrt{\kappa} + 1}\Big)^2 \\ \text{rate} &= \sqrt{\beta^*} = "
    r"\frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1} \end{aligned}")
DAMPING_FORMULA = (
    r"\begin{aligned} \beta_c(\lambda) &= \big(1 - \sqrt{\mathrm{lr}\,\lambda}"
    r"\big)^2 \\ \text{rate there} &= \big|1 - \sqrt{\mathrm{lr}\,\lambda}\big| "
    r"\end{aligned}")
EMA_FORMULAS = (
    r"\begin{aligned} \text{EMA:}\quad v_{k+1} &= \beta v_k + (1 - \beta)"
    r"\nabla f(\theta_k) \\ \theta_{k+1} &= \theta_k - \mathrm{lr}\,v_{k+1} "
    r"\end{aligned}",
    r"\begin{gathered} = \text{heavy ball at } \mathrm{lr}\,(1 - \beta), \\ "
    r"v^{\text{EMA}} = (1 - \beta)\,v \end{gathered}",
)
TERMINAL_VELOCITY_FORMULA = (
    r"\begin{aligned} \nabla f = g \text{ constant:}\quad v_k &\to "
    r"\frac{g}{1 - \beta} \\ \theta_k - \theta_{k+1} &\to "
    r"\frac{\mathrm{lr}}{1 - \beta}\,g \end{aligned}")
PHYSICS = (
    "Picture the loss as a landscape and the parameters as a heavy ball rolling on it. The "
    "slope pushes the ball downhill; its velocity remembers the pushes so far; and at every "
    "step friction takes away a share 1 − β of that velocity.\n"
    "- **Much friction** (β near 0): the ball stops as soon as the slope does. That is plain "
    "gradient descent, creeping along gentle slopes.\n"
    "- **Little friction** (β near 1): on a long gentle slope the ball picks up speed, up to "
    "1/(1 − β) times the plain step; in a steep narrow valley it overshoots, rolls up the other "
    "side and swings back and forth before it settles.\n"
    "- **Just enough friction** (critical damping) brings it to rest at the bottom as fast as "
    "possible without overshooting — as long as the steps are short enough (lr·λ < 1). With "
    "longer steps (lr·λ > 1) even a single step jumps past the bottom: at the critical β the "
    "ball then lands on alternate sides at every step, each time closer, and no β brings it "
    "in without crossing. In a ravine no single β is just right for both the steep "
    "walls and the gentle floor; the best β lets the steep direction ring a little so the "
    "gentle one can speed up, and the number of steps then grows like √κ instead of κ.")
