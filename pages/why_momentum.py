"""Why momentum works: Gabriel Goh's Distill article made live on the quadratic ½(λ₁u² + λ₂v²)
with the user's lr and β. Each idea gets one picture with its formula beside it."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

import momentum_viz as mv
from momentum_viz.figures import (
    components_figure,
    damping_figure,
    direction_regime,
    envelope_figure,
    path_figure,
    phase_figure,
    rate_map_figure,
)
from momentum_viz.report import reading
from pages import common
from pages.params import KAPPAS, ROTATION_RANGE

LAM_MIN = 1.0
START = (2.0, 2.0)  # in eigen-coordinates (u, v): both directions equally far from the minimum
MAP_SIZE = 120
ARTICLE = "https://distill.pub/2017/momentum/"
BEHAVIOUR = {
    "monotone": "creeps in without overshooting",
    "ripples": "rings: overshoots and swings back, shrinking by √β per step",
    "oscillating": "flips sign every step",
    "divergent": "grows every step: it diverges",
    "critically damped": "sits exactly on the border, a double root: the fastest this lr allows",
}


def eigenbasis(rotation: int) -> np.ndarray:
    """Columns: the slow (λ₁) and fast (λ₂) eigenvector, the x and y axes turned by
    ``rotation`` degrees."""
    a = math.radians(rotation)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


@st.cache_resource(**common.CACHE)
def quadratic(kappa: float, rotation: int) -> mv.Surface:
    """½(λ₁u² + λ₂v²) with λ₁ = 1, λ₂ = κ; sympy's exact cos and sin of the angle."""
    angle = f"pi*({rotation})/180"
    u, v = (f"(cos({angle})*x + sin({angle})*y)", f"(-sin({angle})*x + cos({angle})*y)")
    start = tuple(float(c) for c in eigenbasis(rotation) @ START)
    return mv.surface.make_surface(
        f"({LAM_MIN:g}*{u}^2 + {kappa:g}*{v}^2)/2", id="quadratic",
        name=f"Quadratic, κ = {kappa:g}", domain=((-3.5, 3.5), (-3.5, 3.5)), start=start,
        minima=[(0.0, 0.0)])


@st.cache_resource(**common.CACHE)
def runs(kappa: float, rotation: int, lr: float, beta: float, steps: int) -> list[mv.Run]:
    """Momentum at (lr, β), and EMA at lr/(1−β): by the equivalence, the same path."""
    specs = [mv.RunSpec("momentum", lr, beta), mv.RunSpec("ema", lr / (1 - beta), beta)]
    return mv.simulate_many(quadratic(kappa, rotation), specs, steps=steps)


def per_digit(rate: float) -> str:
    """How many steps it takes to shrink the distance tenfold at this rate."""
    if rate >= 1:
        return "never"
    return "1 step" if rate <= 0.1 else f"{math.log(10) / -math.log(rate):.1f} steps"


def _use_optimal(lr: float, beta: float) -> None:
    common.apply_changes(lr=lr, beta=beta)
    st.session_state.why_optimal = True


setup = common.begin_page("why_momentum")
st.title("Why momentum works")
st.caption(f"Gabriel Goh's Distill article [“Why Momentum Really Works”]({ARTICLE}) (2017), "
           "made live: the quadratic below with your learning rate and β, one picture per idea, "
           "the formula beside it.")

with st.sidebar:
    st.header("The quadratic")
    st.select_slider("Condition number κ = λ₂/λ₁", KAPPAS, key="kappa",
                     format_func=lambda k: f"{k:g}")
    st.slider("Rotation (degrees)", *ROTATION_RANGE, step=5, key="rotation",
              help="Turns the bowl; the theory only sees the eigenvalues. κ = 50 at 45° is "
                   "the Playground's ravine.")
    st.header("Momentum")
    common.learning_rate_controls()
    common.beta_control()
    common.steps_control()

setup = common.finish_page()
kappa, lr, beta = setup["kappa"], setup["lr"], setup["beta"]
lams = (LAM_MIN, LAM_MIN * kappa)
basis = eigenbasis(setup["rotation"])
surface = quadratic(kappa, setup["rotation"])
run, ema_run = runs(kappa, setup["rotation"], lr, beta, setup["steps"])
rates = [float(mv.theory.rate(lr, beta, lam)) for lam in lams]
rate = max(rates)
regimes = [direction_regime(lr, beta, lam) for lam in lams]

# -- 1. the bowl ---------------------------------------------------------------------------------
st.header("1. Two races in one bowl")
picture, words = st.columns([3, 2], gap="large")
with picture:
    st.plotly_chart(path_figure(surface, [run]), key="why_path", config={"displaylogo": False})
with words:
    st.latex(r"\begin{aligned} f(x, y) &= \tfrac12\left(\lambda_1 u^2 + \lambda_2 v^2\right)"
             rf"\\ \lambda_1 &= {LAM_MIN:g},\quad \lambda_2 = \kappa = {kappa:g} \\"
             r"u &= x\cos\varphi + y\sin\varphi \\ v &= -x\sin\varphi + y\cos\varphi,"
             rf"\quad \varphi = {setup['rotation']}^\circ \end{{aligned}}")
    st.markdown("The gradient along each eigenvector is λ times the distance from the minimum, "
                "so the two directions never mix: momentum runs **two independent races**, "
                "one per eigenvalue, and the slower one decides when you arrive. "
                f"The ball starts at distance {START[0]:g} along each.")
    st.markdown(f"##### {reading([run])}")

# -- 2. the rate map -----------------------------------------------------------------------------
st.header("2. The convergence rate over (lr, β)")
best_lr, best_beta, best_rate = (float(v) for v in mv.theory.optimal(*lams))
chart, formulas = st.columns([3, 2], gap="large")
with chart:
    lrs = np.logspace(math.log10(min(best_lr / 30, lr / 2)),
                      math.log10(max(5 / lams[1], 2 * lr)), MAP_SIZE)
    st.plotly_chart(rate_map_figure(*lams, lrs=lrs, betas=np.linspace(0, 0.999, MAP_SIZE),
                                    current=(lr, beta), optimum=(best_lr, best_beta)),
                    key="why_rate_map", config={"displaylogo": False})
    st.caption("Colour: the rate max|σ| over both directions (the distance shrinks by this "
               "factor per step). Labels: the regime of the slowest direction there.")
with formulas:
    st.markdown("Along one eigenvalue λ the heavy ball is a 2-state linear recursion:")
    st.latex(r"\begin{aligned} v_{k+1} &= \beta v_k + \lambda\theta_k \\ "
             r"\theta_{k+1} &= \theta_k - \mathrm{lr}\,v_{k+1} \end{aligned}")
    st.latex(r"\begin{pmatrix} v_{k+1} \\ \theta_{k+1} \end{pmatrix} = R "
             r"\begin{pmatrix} v_k \\ \theta_k \end{pmatrix}")
    st.latex(r"R = \begin{pmatrix} \beta & \lambda \\ -\mathrm{lr}\,\beta & "
             r"1 - \mathrm{lr}\,\lambda \end{pmatrix}")
    st.latex(r"\begin{aligned} \sigma_{1,2} &= \tfrac12\big(T \pm \sqrt{T^2 - 4\beta}\big) "
             r"\\ T &= 1 + \beta - \mathrm{lr}\,\lambda \end{aligned}")
    st.latex(r"\begin{aligned} R^k &= \sigma_1^k R_1 - \sigma_2^k R_2 \quad "
             r"(\sigma_1 \ne \sigma_2) \\ R_1 &= \frac{R - \sigma_2 I}{\sigma_1 - \sigma_2},"
             r"\quad R_2 = \frac{R - \sigma_1 I}{\sigma_1 - \sigma_2} \end{aligned}")
    st.latex(r"\begin{aligned} \text{rate} &= \max(|\sigma_1|, |\sigma_2|) \\ &= "
             r"\sqrt{\beta}\ \text{ if the } \sigma \text{ are complex} \\ \text{stable} "
             r"&\iff 0 < \mathrm{lr}\,\lambda < 2(1 + \beta) \end{aligned}")
    st.caption("The article writes the complex-root rate as 2√β and swaps σ₁ and σ₂ in R^k; "
               "both are corrected here.")
    st.metric("Your rate max|σ|", f"{rate:.4g}", help="The larger over the two directions.")
    st.markdown(f"A tenfold smaller distance every **{per_digit(rate)}**.")

st.subheader("The best lr and β for this κ")
left, right = st.columns(2, gap="large")
with left:
    st.latex(r"\begin{aligned} \mathrm{lr}^* &= \Big(\frac{2}{\sqrt{\lambda_1} + "
             r"\sqrt{\lambda_2}}\Big)^2 \\ \beta^* &= \Big(\frac{\sqrt{\kappa} - 1}"
             r"{\sqrt{\kappa} + 1}\Big)^2 \\ \text{rate} &= \sqrt{\beta^*} = "
             r"\frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1} \end{aligned}")
    gd_rate = (kappa - 1) / (kappa + 1)
    st.markdown(f"At lr*, β* (the star, where the two damping lines cross) the slow and the "
                f"fast direction are both critically damped, and every direction converges "
                f"at rate √β*. Plain "
                f"gradient descent at its best lr manages rate (κ − 1)/(κ + 1) = "
                f"{gd_rate:.4g}, a digit every **{per_digit(gd_rate)}**; "
                f"momentum a digit every **{per_digit(best_rate)}**: √κ instead of κ.")
with right:
    cells = st.columns(3)
    cells[0].metric("lr*", f"{best_lr:.4g}")
    cells[1].metric("β*", f"{best_beta:.4g}")
    cells[2].metric("rate √β*", f"{best_rate:.4g}")
    st.button("Use optimal parameters", key="use_optimal", icon=":material/star:",
              on_click=_use_optimal, args=(best_lr, best_beta), width="stretch",
              type="primary")
    if st.session_state.pop("why_optimal", False):
        st.success(f"Set lr = lr* = {best_lr:.6g} and β = β* = {best_beta:.6g}: every "
                   f"direction now converges at rate √β* = {best_rate:.6g}.", icon="✅")

# -- 3. the run along the eigen-directions ------------------------------------------------------
st.header("3. The run, one direction at a time")
along, phase = st.columns(2, gap="large")
with along:
    st.plotly_chart(components_figure(run, basis, lams), key="why_components",
                    config={"displaylogo": False})
with phase:
    st.plotly_chart(phase_figure(run, basis, lams), key="why_phase",
                    config={"displaylogo": False})
for i, lam in enumerate(lams):
    behaviour = BEHAVIOUR[regimes[i]].replace("√β", f"√β = {math.sqrt(beta):.3g}")
    st.markdown(f"- **λ{'₁₂'[i]} = {lam:g}** ({regimes[i]}): {behaviour}; rate "
                f"{rates[i]:.4g}, a digit every {per_digit(rates[i])}.")
st.caption("Left: the distance from the minimum along each eigenvector against the step. Right: "
           "position against velocity (the step just taken); a spiral into the centre is a "
           "ringing direction, a straight slide a creeping or flipping one.")

# -- 4. loss and envelope ------------------------------------------------------------------------
st.header("4. The loss follows the theory")
chart, formulas = st.columns([3, 2], gap="large")
with chart:
    st.plotly_chart(envelope_figure(run, rate), key="why_envelope",
                    config={"displaylogo": False})
with formulas:
    st.latex(r"f(\theta_k) - f^* \;\le\; C\,\text{rate}^{2k}")
    st.markdown(f"The loss is quadratic in the distance, so it shrinks by rate² = "
                f"{rate**2:.4g} per step. The dashed line has that slope, with C the smallest "
                "constant that keeps it above every step shown. Early on the run may bend away "
                "from a straight line: a ringing direction adds wiggles, a critically damped "
                "one a factor k that can make the loss rise before it falls.")

# -- 5. critical damping -------------------------------------------------------------------------
st.header("5. Critical damping")
chart, formulas = st.columns([3, 2], gap="large")
with chart:
    st.plotly_chart(damping_figure(lr, beta, lams), key="why_damping",
                    config={"displaylogo": False})
with formulas:
    st.latex(r"\begin{aligned} \beta_c(\lambda) &= \big(1 - \sqrt{\mathrm{lr}\,\lambda}"
             r"\big)^2 \\ \text{rate there} &= \big|1 - \sqrt{\mathrm{lr}\,\lambda}\big| "
             r"\end{aligned}")
    for i, lam in enumerate(lams):
        h = lr * lam
        critical = float(mv.theory.critical_beta(lr, lam))
        name = f"**λ{'₁₂'[i]} = {lam:g}** (lr·λ = {h:.4g})"
        if not math.isfinite(critical):
            st.markdown(f"{name}: lr·λ ≥ 4, so no β damps it critically; it is stable only "
                        f"while β > lr·λ/2 − 1 = {h / 2 - 1:.4g}.")
            continue
        below = "creeps in (over-damped)" if h < 1 else "flips sign every step" + (
            f", and diverges below β = {h / 2 - 1:.4g}" if h > 2 else "")
        st.markdown(f"{name}: critical β = **{critical:.4g}**. Below it, this direction "
                    f"{below}; above it, it rings at rate √β. At the critical β it is "
                    f"fastest: rate {abs(1 - math.sqrt(h)):.4g}.")
    st.caption("One β cannot damp both directions critically at this lr: the art is choosing "
               "lr and β together (section 2).")

# -- 6. two notations, one method -----------------------------------------------------------------
st.header("6. EMA or heavy ball: the same method")
left, right = st.columns(2, gap="large")
with left:
    st.latex(r"\begin{aligned} \text{EMA:}\quad v_{k+1} &= \beta v_k + (1 - \beta)"
             r"\nabla f(\theta_k) \\ \theta_{k+1} &= \theta_k - \mathrm{lr}\,v_{k+1} "
             r"\end{aligned}")
    st.latex(r"= \text{heavy ball at } \mathrm{lr}\,(1 - \beta),\quad "
             r"v^{\text{EMA}} = (1 - \beta)\,v")
    gap = np.abs(run.path - ema_run.path)
    shown = f"{np.nanmax(gap):.1e}" if np.isfinite(gap).any() else "— (both diverged)"
    st.markdown(f"Live check: EMA with lr/(1 − β) = {lr / (1 - beta):.4g} retraces your "
                f"momentum run; the paths differ by at most **{shown}** (rounding).")
with right:
    st.latex(r"\begin{aligned} \nabla f = g \text{ constant:}\quad v_k &\to "
             r"\frac{g}{1 - \beta} \\ \theta_k - \theta_{k+1} &\to "
             r"\frac{\mathrm{lr}}{1 - \beta}\,g \end{aligned}")
    st.markdown(f"On a long even slope momentum's steps grow to lr/(1 − β) = "
                f"**{lr / (1 - beta):.4g}** times the gradient: {1 / (1 - beta):.3g}× plain "
                "gradient descent at the same lr. A fair comparison gives SGD that larger lr.")

# -- 7. physics ----------------------------------------------------------------------------------
st.header("7. In plain words: a heavy ball with friction")
st.markdown(
    "Picture the loss as a landscape and the parameters as a heavy ball rolling on it. The "
    "slope pushes the ball downhill; its velocity remembers the pushes so far; and at every "
    "step friction takes away a share 1 − β of that velocity.\n"
    "- **Much friction** (β near 0): the ball stops as soon as the slope does. That is plain "
    "gradient descent, creeping along gentle slopes.\n"
    "- **Little friction** (β near 1): on a long gentle slope the ball picks up speed, up to "
    "1/(1 − β) times the plain step; in a steep narrow valley it overshoots, rolls up the other "
    "side and swings back and forth before it settles.\n"
    "- **Just enough friction** (critical damping) brings it to rest at the bottom as fast as "
    "possible without overshooting. In a ravine no single β is just right for both the steep "
    "walls and the gentle floor; the best β lets the steep direction ring a little so the "
    "gentle one can speed up, and the number of steps then grows like √κ instead of κ.")
common.share_box(setup)
