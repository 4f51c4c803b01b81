"""The "Why momentum works" page through AppTest: its numbers against hand-computed theory, the
optimal-parameters button, the live run it decomposes, and its URL parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from plotly_spec import decode, trace
from stage_spec import component_data, current, path_of, run_named, stage_of

from testkit.apptest import no_exception, open_page, text_of
from ui import plotly_live
from ui.plotly_live import figure_of

WHY = "pages/why_momentum.py"
PLAYGROUND = "pages/playground.py"


def hand_rate(lr: float, beta: float, lam: float) -> float:
    """Larger |root| of z² − (1 + β − lr·λ)z + β, by the quadratic formula."""
    t = 1 + beta - lr * lam
    disc = t * t - 4 * beta
    if disc < 0:
        return math.sqrt(beta)
    return max(abs((t + math.sqrt(disc)) / 2), abs((t - math.sqrt(disc)) / 2))


CHARTS = ("why_rate_map", "why_components", "why_phase", "why_envelope", "why_damping")
"""Sections 2 to 5's charts (``ui.plotly_live`` components)."""


def figure(at, key: str) -> dict:
    """The figure of the page's chart under widget ``key``."""
    return figure_of(component_data(at, key))


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_theory_numbers_for_kappa_100():
    at = open_page(WHY, kappa="100", rotation="30", lr="0.01", beta="0.5", steps="120")
    no_exception(at)
    assert not at.warning
    shown = metrics(at)
    # λ = 1 and 100: lr* = (2/(1 + 10))², β* = (9/11)², rate √β* = 9/11
    assert shown["lr*"] == f"{(2 / 11) ** 2:.4g}" == "0.03306"
    assert shown["β*"] == f"{(9 / 11) ** 2:.4g}" == "0.6694"
    assert shown["rate √β*"] == f"{9 / 11:.4g}" == "0.8182"
    # lr·λ₁ = 0.01: real roots, (1.49 + √0.2201)/2; lr·λ₂ = 1: complex, √0.5
    rate = max(hand_rate(0.01, 0.5, 1.0), hand_rate(0.01, 0.5, 100.0))
    assert rate == pytest.approx((1.49 + math.sqrt(1.49**2 - 2)) / 2)
    assert shown["Your rate max|σ|"] == f"{rate:.4g}" == "0.9796"
    text = text_of(at)
    assert f"shrinks tenfold every **{math.log(10) / -math.log(rate):.1f} steps**" in text
    # critical β = (1 − √(lr·λ))²: 0.81 for λ = 1, 0 for λ = 100
    assert "**λ₁ = 1** (lr·λ = 0.01): critical β = **0.81**" in text
    assert "**λ₂ = 100** (lr·λ = 1): critical β = **0**" in text
    assert "rate (κ − 1)/(κ + 1) = 0.9802" in text  # plain GD at its best lr: 99/101
    assert "**λ₁ = 1** (monotone): creeps in without overshooting" in text
    assert "**λ₂ = 100** (ripples): rings" in text


def test_optimal_button_sets_lr_and_beta_everywhere():
    at = open_page(WHY, kappa="100", lr="0.01", beta="0.5")
    at.button(key="use_optimal").click().run()
    no_exception(at)
    lr, beta = (2 / 11) ** 2, (9 / 11) ** 2
    setup = at.session_state["setup"]
    assert setup["lr"] == pytest.approx(lr, rel=1e-12)
    assert setup["beta"] == pytest.approx(beta, rel=1e-12)
    data = stage_of(at)  # the stage's sliders are the page's lr and β controls
    assert current(data, "lr") == pytest.approx(lr, rel=1e-12)
    assert current(data, "beta") == pytest.approx(beta, rel=1e-12)
    assert "worked" not in data  # no "This step in numbers" here: the Playground's panel
    assert float(at.query_params["lr"]) == pytest.approx(lr, rel=1e-9)
    assert f"rate √β* = {9 / 11:.6g}" in text_of(at)
    # lr*·λ₁ = 4/121 < 1: the double root is positive; lr*·λ₂ = 400/121 > 1: negative
    assert "**λ₁ = 1** (critically damped): " in text_of(at)
    assert "**λ₂ = 100** (critically damped (flipping)): " in text_of(at)
    assert "flips sign every step while shrinking" in text_of(at)
    assert metrics(at)["Your rate max|σ|"] == f"{9 / 11:.4g}"
    rate_map = component_data(at, "why_rate_map")  # its ring: the setup's (lr, β)
    best = trace(figure_of(rate_map), "optimal lr*, β*")
    assert rate_map["mark"]["at"] == pytest.approx([best["x"][0], best["y"][0]], rel=1e-12)
    at.switch_page(PLAYGROUND).run()
    assert current(stage_of(at), "lr") == pytest.approx(lr, rel=1e-12)


def test_the_live_run_is_momentum_on_the_rotated_quadratic():
    at = open_page(WHY, kappa="20", rotation="-45", lr="0.05", beta="0.7", steps="90")
    no_exception(at)
    a = math.radians(-45)
    c, s = math.cos(a), math.sin(a)
    path = path_of(run_named(stage_of(at), "Momentum β=0.7"))  # 6-byte floats: rel ≤ 2⁻³⁷
    # start: 2 along each eigenvector, (c, s) for λ₁ = 1 and (−s, c) for λ₂ = 20
    np.testing.assert_allclose(path[0], [2 * c - 2 * s, 2 * s + 2 * c], atol=1e-12)
    by_hand, velocity = [path[0]], np.zeros(2)
    for _ in range(90):
        x, y = by_hand[-1]
        u, v = c * x + s * y, -s * x + c * y
        grad = np.array([c * u - s * 20 * v, s * u + c * 20 * v])
        velocity = 0.7 * velocity + grad
        by_hand.append(by_hand[-1] - 0.05 * velocity)
    np.testing.assert_allclose(path, by_hand, atol=1e-9)
    components = figure(at, "why_components")
    fast = decode(trace(components, "λ₂ = 20")["y"])
    np.testing.assert_allclose(fast, -s * path[:, 0] + c * path[:, 1], atol=1e-10)
    envelope = trace(figure(at, "why_envelope"), "theory: C·rate^(2k)")
    rate = max(hand_rate(0.05, 0.7, 1.0), hand_rate(0.05, 0.7, 20.0))
    curve = decode(envelope["y"])
    np.testing.assert_allclose(curve[1:] / curve[:-1], rate**2, rtol=1e-9)
    u, v = c * path[:, 0] + s * path[:, 1], -s * path[:, 0] + c * path[:, 1]
    loss = (u**2 + 20 * v**2) / 2
    assert np.all(curve >= loss[: len(curve)] * (1 - 1e-9))


def test_ema_equivalence_check_and_effective_step():
    at = open_page(WHY, lr="0.02", beta="0.9", steps="150")
    no_exception(at)
    text = text_of(at)
    assert "EMA with lr/(1 − β) = 0.2 retraces your momentum run" in text
    gap = float(text.split("differ by at most **")[1].split("**")[0])
    assert gap < 1e-12
    assert "lr/(1 − β) = **0.2** times the gradient: 10× plain gradient descent" in text


def test_page_parameters_are_validated_and_shared():
    at = open_page(WHY, kappa="7", rotation="400")
    no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "'kappa'" in warnings and "'rotation'" in warnings
    assert at.select_slider(key="kappa").value == 50 and at.slider(key="rotation").value == 0
    assert "kappa" not in at.query_params  # page parameters at their defaults stay out of URLs

    at = open_page(WHY, kappa="200", rotation="15", lr="0.004")
    no_exception(at)
    assert (at.query_params["kappa"], at.query_params["rotation"]) == ("200", "15")
    at.switch_page(PLAYGROUND).run()
    no_exception(at)
    assert (at.query_params["kappa"], at.query_params["rotation"]) == ("200", "15")
    assert current(stage_of(at), "lr") == 0.004
    at.switch_page(WHY).run()
    assert at.select_slider(key="kappa").value == 200 and at.slider(key="rotation").value == 15


def test_the_controls_show_the_lr_and_steps_themselves_even_off_their_round_stops():
    at = open_page(WHY, lr="0.0385", beta="0.55", steps="237")
    no_exception(at)
    assert current(stage_of(at), "lr") == 0.0385 and current(stage_of(at), "beta") == 0.55
    assert at.select_slider(key="steps").value == 237
    assert at.session_state["setup"]["steps"] == 237


def test_beta_and_lr_have_one_control_each_the_stage():
    """The sidebar draws κ, rotation and steps; β and lr are the stage's sliders only (a
    second, sidebar control could disagree with them while one is dragged)."""
    at = open_page(WHY)
    no_exception(at)
    keys = {w.key for kind in ("slider", "select_slider", "number_input") for w in at.get(kind)}
    assert {"kappa", "rotation", "steps"} <= keys
    assert not keys & {"beta", "lr", "lr_log"}
    assert {e.key for e in at.get("bidi_component")} == {"why_stage", *CHARTS}
    assert not at.get("plotly_chart")
    for key in CHARTS:  # they only follow the stage's sliders
        assert "sliders" not in component_data(at, key)


def test_turning_the_bowl_leaves_every_chart_but_the_stage_as_it_was():
    """The theory sees only the eigenvalues: the rate map, the directions, the envelope and the
    damping chart are the same figure at every rotation, so the browser need not redraw them;
    the stage's path turns."""
    flat, turned = open_page(WHY, rotation="0"), open_page(WHY, rotation="30")
    no_exception(turned)
    for key in CHARTS:
        assert component_data(flat, key) == component_data(turned, key)
    assert not np.array_equal(path_of(run_named(stage_of(flat), "Momentum")),
                              path_of(run_named(stage_of(turned), "Momentum")))


def test_the_rate_map_is_the_theorys_and_a_new_beta_only_moves_its_ring():
    """The rate map's cells are theory.rate over its (lr, β) grid for this κ; changing β (the
    stage's slider, released) sends the same figure's token alone (the browser has it and
    redraws nothing) with the ring at the new (lr, β); a browser that lacks it asks again."""
    at = open_page(WHY, kappa="50", lr="0.01", beta="0.5")
    before = component_data(at, "why_rate_map")
    heatmap = trace(figure_of(before), "rate")
    rate = decode(heatmap["customdata"])
    lrs = np.logspace(math.log10((2 / (1 + math.sqrt(50))) ** 2 / 30), math.log10(0.1), 120)
    betas = np.linspace(0, 0.999, 120)
    assert rate.shape == (120, 120)
    for i, j in ((0, 0), (60, 17), (119, 119), (33, 80)):
        expected = max(hand_rate(lrs[j], betas[i], 1.0), hand_rate(lrs[j], betas[i], 50.0))
        assert rate[i, j] == pytest.approx(expected, rel=1e-9)
    assert before["mark"]["at"] == [0.01, 0.5]
    ring = [t for t in figure_of(before)["data"] if t.get("name") == "your lr, β"]
    assert len(ring) == 1 and ring[0]["x"] == [None], "the ring's legend entry, once, no point"
    at.session_state["setup"] = at.session_state["setup"] | {"beta": 0.7}  # as a release does
    at.run()
    after = component_data(at, "why_rate_map")
    assert after["mark"]["at"] == [0.01, 0.7]
    assert after["token"] == before["token"] and "figure" not in after
    sent = at.session_state[plotly_live.SENT]  # as the browser's "missing" does:
    at.session_state[plotly_live.SENT] = {k: v for k, v in sent.items() if k != "why_rate_map"}
    at.run()
    again = component_data(at, "why_rate_map")
    assert again["token"] == before["token"] and again["figure"] == before["figure"]


def test_the_damping_chart_is_the_theorys_at_this_lr_and_marks_beta_apart():
    """Section 5: the rate along each direction against β at the setup's lr, the critical βs
    as lines; "your β" is the component's mark (a line the browser lays over the chart), so a
    new β re-sends the same figure and moves only the line."""
    at = open_page(WHY, kappa="100", lr="0.01", beta="0.5")
    damping = component_data(at, "why_damping")
    assert damping["mark"]["kind"] == "line" and damping["mark"]["at"] == [0.5]
    figure = figure_of(damping)
    slow = trace(figure, "rate along λ = 1")
    betas = decode(slow["x"])
    np.testing.assert_allclose(decode(slow["y"]), [hand_rate(0.01, b, 1.0) for b in betas],
                               rtol=1e-9)
    lines = sorted(s["x0"] for s in figure["layout"]["shapes"] if s["x0"] == s.get("x1"))
    assert lines == pytest.approx([0.0, 0.81])  # the critical βs only, no "your β"
    assert not any("your β" in a["text"] for a in figure["layout"]["annotations"])
    at.session_state["setup"] = at.session_state["setup"] | {"beta": 0.7}  # as a release does
    at.run()
    again = component_data(at, "why_damping")
    assert again["mark"]["at"] == [0.7] and again["token"] == damping["token"]
