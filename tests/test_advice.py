"""A stable learning rate for any surface: the curvature's advice, its words, and its button."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz.theory import stable_lr
from testkit.apptest import no_exception, open_page
from ui import advice
from ui.site import LAB, page_script

ROSENBROCK = "(1-x)^2+100(y-x^2)^2"


@pytest.mark.parametrize("surface_id", mv.SURFACE_IDS)
def test_the_advised_lr_runs_every_preset_without_diverging(surface_id):
    surface = mv.get_surface(surface_id)
    tip = stable_lr(surface, surface.start)
    assert tip.limit == pytest.approx(2 / tip.lam_max) and tip.lr <= tip.limit / 2
    assert tip.lr == float(f"{tip.lr:.2g}")
    if surface_id == "saddle":  # unbounded below: it leaves at any lr
        return
    runs = mv.simulate_many(surface, [mv.RunSpec("sgd", tip.lr), mv.RunSpec("momentum", tip.lr,
                                                                            0.9)], steps=500)
    assert [r.diverged_at for r in runs] == [None, None]


def test_advice_on_quadratics_is_exact_and_without_minimum_comes_from_the_domain():
    booth = stable_lr(mv.get_surface("booth"), (-8.0, -7.0))
    assert (booth.lam_max, booth.limit, booth.lr) == pytest.approx((18.0, 1 / 9, 0.055))
    assert booth.where == "the minimum nearest the start"
    saddle = stable_lr(mv.surface_from_formula("x^2 - y^2"), (0.5, 0.5))
    assert saddle.lam_max == pytest.approx(2.0) and saddle.where == "the domain"
    quartic = stable_lr(mv.surface_from_formula("x^4 + y^2", ((-3, 3), (-3, 3))), (2.0, 2.0))
    assert quartic.lam_max == pytest.approx(12 * 2.0**2)  # the start curves most
    assert stable_lr(mv.surface_from_formula("2"), (1.0, 1.0)) is None
    assert stable_lr(mv.surface_from_formula("abs(x) + abs(y)"), (1.0, 1.0)) is None
    banana = stable_lr(mv.surface_from_formula(ROSENBROCK), (2.0, 2.0))
    x, y = 2.0, 2.0  # hxx = 2 − 400(y − x²) + 800x², hxy = −400x, hyy = 200
    h = np.array([[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200]])
    assert banana.lam_max == pytest.approx(np.linalg.eigvalsh(h)[-1])
    assert banana.where == "the start" and banana.lr == 0.00024


def test_the_warning_names_who_diverges_and_the_lr_to_try():
    tip = mv.theory.LrAdvice(50.0, "the minimum nearest the start", 0.04, 0.02)
    assert advice.warning(tip, 0.039, 0.9, ["sgd", "momentum"]) is None
    sgd_only = advice.warning(tip, 0.05, 0.9, ["sgd", "momentum"])
    assert sgd_only == ("lr·λmax ≈ 2.5 (λmax ≈ 50 at the minimum nearest the start): plain "
                        "gradient descent (stable only while lr·λmax < 2) will diverge within "
                        "a few steps. Try lr ≤ 0.02.")
    both = advice.warning(tip, 0.1, 0.9, ["sgd", "momentum"])
    assert "plain gradient descent (stable only while lr·λmax < 2) and momentum with β = 0.9 " \
           "(stable only while lr·λmax < 2(1+β) = 3.8) will diverge" in both
    assert advice.warning(tip, 0.05, 0.9, ["momentum"]) is None


def test_a_map_too_large_to_draw_still_shows_the_advice_and_the_page_links():
    """The advice and the links are drawn with the map (``ui.lab_map.follow``), and without
    it when there is no map."""
    at = open_page(page_script(LAB), surface="logreg", lr="10", map_steps="5000", noise="1",
                   seeds="10")
    no_exception(at)
    assert any("This map would take too long" in w.value for w in at.main.warning)
    assert any("will diverge within a few steps" in w.value for w in at.sidebar.warning)
    links = [dict(parse_qsl(link.proto.query_string)) for link in at.sidebar.get("page_link")]
    assert len(links) == 3 and all(query["lr"] == "10" for query in links)


def test_a_typed_formula_gets_a_warning_and_a_stable_lr_in_one_click():
    at = open_page(page_script(LAB), surface="custom", formula=ROSENBROCK, lr="0.05", x0="2",
                   y0="2")
    no_exception(at)
    warned = [w.value for w in at.sidebar.warning]
    assert any("will diverge within a few steps. Try lr ≤ 0.00024." in w for w in warned)
    at.button(key="use_stable_lr").click().run()
    no_exception(at)
    assert at.session_state["setup"]["lr"] == 0.00024
    (lab_map,) = at.get("bidi_component")  # the map's lr slider: the lab's lr control
    lr = json.loads(lab_map.proto.json)["sliders"]["lr"]
    assert lr["values"][lr["index"]] == 0.00024
    assert not any("will diverge" in w.value for w in at.sidebar.warning)
