"""Why momentum works: Gabriel Goh's Distill article made live on the quadratic ½(λ₁u² + λ₂v²)
with the user's lr and β. Each idea gets one picture with its formula beside it."""

import streamlit as st

from momentum_viz.report import reading
from ui import controls, session, stage, why
from ui.site import WHY

setup = session.begin_page(WHY)
stage.preload()
st.title("Why momentum works")
st.caption(f"Gabriel Goh's Distill article [“Why Momentum Really Works”]({why.ARTICLE}) (2017), "
           "made live: the quadratic below with your learning rate and β, one picture per idea, "
           "the formula beside it.")

with st.sidebar:
    st.header("The quadratic")
    session.draw("kappa")
    session.draw("rotation")
    st.header("Momentum")
    session.draw("steps")
    st.caption("β and the learning rate: the sliders above the map (section 1).")

setup = session.finish_page(WHY)
kappa, rotation, lr, beta = setup["kappa"], setup["rotation"], setup["lr"], setup["beta"]
lams, steps = why.eigenvalues(kappa), setup["steps"]
run, ema_run = why.runs(kappa, rotation, lr, beta, steps)
rate = why.rate(lr, beta, kappa)

st.header("1. Two races in one bowl")
why.show_stage(kappa, rotation, lr, beta, steps)
st.caption("Drag β or lr: the path redraws as you drag, each one exact; on release the whole "
           "page follows.")
formula, words = st.columns([3, 2], gap="large")
with formula:
    st.latex(why.bowl_latex(kappa, rotation))
with words:
    st.markdown("The gradient along each eigenvector is λ times the distance from the minimum, "
                "so the two directions never mix: momentum runs **two independent races**, "
                "one per eigenvalue, and the slower one decides when you arrive. "
                f"The ball starts at distance {why.START[0]:g} along each.")
    st.markdown(f"##### {reading([run])}")

st.header("2. The convergence rate over (lr, β)")
best_lr, best_beta, best_rate = why.optimum(kappa)
chart, formulas = st.columns([3, 2], gap="large")
with chart:
    why.show_rate_map(kappa, lr, beta)
    st.caption("Colour: the rate max|σ| over both directions (the distance shrinks by this "
               "factor per step). Labels: the regime of the slowest direction there.")
with formulas:
    st.markdown("Along one eigenvalue λ the heavy ball is a 2-state linear recursion:")
    for formula in why.RATE_FORMULAS:
        st.latex(formula)
    st.caption("The article writes the complex-root rate as 2√β and swaps σ₁ and σ₂ in R^k; "
               "both are corrected here.")
    st.metric("Your rate max|σ|", f"{rate:.4g}", help="The larger over the two directions.")
    st.markdown(why.tenfold_sentence(rate))

st.subheader("The best lr and β for this κ")
left, right = st.columns(2, gap="large")
with left:
    st.latex(why.OPTIMUM_FORMULA)
    st.markdown(why.optimum_text(kappa, best_rate))
with right:
    with st.container(horizontal=True, gap="medium"):  # wraps where the three do not fit
        st.metric("lr*", f"{best_lr:.4g}", width="content")
        st.metric("β*", f"{best_beta:.4g}", width="content")
        st.metric("rate √β*", f"{best_rate:.4g}", width="content")
    st.button("Use optimal parameters", key="use_optimal", icon=":material/star:",
              on_click=controls.use_optimal, args=(best_lr, best_beta), width="stretch",
              type="primary")
    if session.take(session.OPTIMAL_APPLIED):
        st.success(f"Set lr = lr* = {best_lr:.6g} and β = β* = {best_beta:.6g}: every "
                   f"direction now converges at rate √β* = {best_rate:.6g}.", icon="✅")

st.header("3. The run, one direction at a time")
along, phase = st.columns(2, gap="large")
with along:
    why.show_chart("components", kappa, lr, beta, steps)
with phase:
    why.show_chart("phase", kappa, lr, beta, steps)
st.markdown("\n".join(why.direction_lines(lr, beta, lams)))
st.caption("Left: the distance from the minimum along each eigenvector against the step. Right: "
           "position against velocity (the step just taken); a spiral into the centre is a "
           "ringing direction, a straight slide a creeping or flipping one.")

st.header("4. The loss follows the theory")
chart, formulas = st.columns([3, 2], gap="large")
with chart:
    why.show_chart("envelope", kappa, lr, beta, steps)
with formulas:
    st.latex(r"f(\theta_k) - f^* \;\le\; C\,\text{rate}^{2k}")
    st.markdown(f"The loss is quadratic in the distance, so it shrinks by rate² = "
                f"{rate**2:.4g} per step. The dashed line has that slope, with C the smallest "
                "constant that keeps it above every step shown. Early on the run may bend away "
                "from a straight line: a ringing direction adds wiggles, a critically damped "
                "one a factor k that can make the loss rise before it falls.")

st.header("5. Critical damping")
chart, formulas = st.columns([3, 2], gap="large")
with chart:
    why.show_damping(kappa, lr, beta)
with formulas:
    st.latex(why.DAMPING_FORMULA)
    for line in why.damping_lines(lr, lams):
        st.markdown(line)
    st.caption("One β cannot damp both directions critically at this lr: the art is choosing "
               "lr and β together (section 2).")

st.header("6. EMA or heavy ball: the same method")
left, right = st.columns(2, gap="large")
with left:
    for formula in why.EMA_FORMULAS:
        st.latex(formula)
    st.markdown(why.ema_check(run, ema_run, lr, beta))
with right:
    st.latex(why.TERMINAL_VELOCITY_FORMULA)
    st.markdown(f"On a long even slope momentum's steps grow to lr/(1 − β) = "
                f"**{lr / (1 - beta):.4g}** times the gradient: {1 / (1 - beta):.3g}× plain "
                "gradient descent at the same lr. A fair comparison gives SGD that larger lr.")

st.header("7. In plain words: a heavy ball with friction")
st.markdown(why.PHYSICS)
session.share_box(setup)
