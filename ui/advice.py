"""A learning rate the surface allows: the curvature's advice (``momentum_viz.theory.stable_lr``)
in words, and a one-click button to use it."""

from __future__ import annotations

import streamlit as st

import momentum_viz as mv
from ui import compute, session
from ui.params import CUSTOM, Setup


@compute.cached(**compute.CACHE)
def advice_for(key: tuple, start: tuple[float, float]) -> mv.theory.LrAdvice | None:
    """``stable_lr`` of the surface ``key`` (``compute.surface_key``) from ``start``, cached."""
    return mv.theory.stable_lr(compute.surface_for(key), start)


def warning(advice: mv.theory.LrAdvice, lr: float, beta: float, optimizers: list[str]) -> \
        str | None:
    """What happens at this lr along the stiffest direction, when a run diverges there: plain
    gradient descent past lr·λmax = 2, momentum past 2(1 + β). None when every run is stable
    there."""
    h = lr * advice.lam_max
    unstable = []
    if "sgd" in optimizers and h >= 2:
        unstable.append("plain gradient descent (stable only while lr·λmax < 2)")
    if any(o != "sgd" for o in optimizers) and h >= 2 * (1 + beta):
        unstable.append(f"momentum with β = {beta:g} (stable only while lr·λmax < 2(1+β) = "
                        f"{2 * (1 + beta):.3g})")
    if not unstable:
        return None
    return (f"lr·λmax ≈ {h:.3g} (λmax ≈ {advice.lam_max:.4g} at {advice.where}): "
            f"{' and '.join(unstable)} will diverge within a few steps. Try lr ≤ "
            f"{advice.lr:g}.")


def advice_controls(setup: Setup) -> None:
    """Under the lr controls: a warning when the runs will diverge at this lr, and, then or for
    a typed formula, a button that sets lr to the advice. One container whether it says
    anything or not, so that the controls after it keep their places when an lr brings or
    removes the warning: the browser updates them instead of building them anew."""
    with st.container():
        _advice_controls(setup)


def _advice_controls(setup: Setup) -> None:
    _, key, error = compute.current_surface(setup)
    if error:  # the page shows the last formula that worked, and why this one doesn't
        return
    advice = advice_for(key, (setup["x0"], setup["y0"]))
    if advice is None:
        return
    optimizers = ["momentum"] if setup["compare"] else setup["opt"]
    text = warning(advice, setup["lr"], setup["beta"], optimizers)
    if text:
        st.warning(text, icon=":material/warning:")
    if (text or setup["surface"] == CUSTOM) and setup["lr"] != advice.lr:
        st.button(f"Use lr = {advice.lr:g}", key="use_stable_lr", icon=":material/tune:",
                  on_click=session.apply_changes, kwargs={"lr": advice.lr},
                  help=f"1/λmax, half plain gradient descent's stability limit 2/λmax = "
                       f"{advice.limit:.3g} (λmax ≈ {advice.lam_max:.4g} at {advice.where}).")
