"""The Playground page through Streamlit's AppTest: widgets, URL round trips, figures, lessons."""

from __future__ import annotations

import numpy as np
import pytest
from plotly_spec import chart_specs, decode, trace, xy

import momentum_viz as mv
from testkit.apptest import no_exception, open_page
from ui.lessons import LESSONS


def engine_path(surface_id, optimizer, lr, beta, start, steps):
    run = mv.simulate(mv.get_surface(surface_id), optimizer=optimizer, lr=lr, beta=beta,
                      start=start, steps=steps)
    return run.path


def test_default_view_renders_paths_loss_and_reading():
    at = open_page()
    no_exception(at)
    specs = chart_specs(at)
    assert {"paths_chart", "loss_chart"} <= set(specs)
    paths = specs["paths_chart"]
    sgd, momentum = trace(paths, "SGD"), trace(paths, "Momentum β=0.6")
    assert np.allclose(xy(sgd)[0], [-2.5, -1.6]) and len(xy(sgd)) == 201
    assert np.array_equal(xy(momentum), engine_path("ravine", "momentum", 0.038, 0.6,
                                                    (-2.5, -1.6), 200))
    assert paths["frames"] and paths["layout"]["updatemenus"][0]["buttons"][0]["method"] == \
        "animate"
    reading = " ".join(m.value for m in at.markdown)
    assert "reached the minimum in 63 steps, SGD in 197 steps" in reading


def test_changing_beta_changes_the_momentum_trace():
    at = open_page()
    before = xy(trace(chart_specs(at)["paths_chart"], "Momentum"))
    at.slider(key="beta").set_value(0.85).run()
    no_exception(at)
    after_trace = trace(chart_specs(at)["paths_chart"], "Momentum")
    assert after_trace["name"].startswith("Momentum β=0.85")
    after = xy(after_trace)
    assert not np.array_equal(before, after)
    assert np.array_equal(after, engine_path("ravine", "momentum", 0.038, 0.85, (-2.5, -1.6),
                                             200))
    assert at.query_params["beta"] == "0.85"


def test_shared_url_restores_widgets_and_path():
    at = open_page(surface="rosenbrock", lr="0.0005", beta="0.85", steps="300", x0="-1.2",
                  y0="1", opt="sgd,momentum")
    no_exception(at)
    assert not at.warning
    assert at.selectbox(key="surface").value == "rosenbrock"
    assert at.number_input(key="lr").value == 0.0005
    assert at.slider(key="beta").value == 0.85
    assert at.slider(key="steps").value == 300
    assert at.multiselect(key="opt").value == ["sgd", "momentum"]
    momentum = xy(trace(chart_specs(at)["paths_chart"], "Momentum β=0.85"))
    assert np.array_equal(momentum, engine_path("rosenbrock", "momentum", 0.0005, 0.85,
                                                (-1.2, 1.0), 300))


def test_garbage_url_values_warn_by_name_and_fall_back():
    at = open_page(lr="abc", beta="7", steps="-3", surface="nope", opt="adam", x0="1e400",
                  junk="<script>alert(1)</script>")
    no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    for name in ("lr", "beta", "steps", "surface", "opt", "x0"):
        assert f"'{name}'" in warnings
    assert "junk" not in warnings
    defaults = mv.get_surface("ravine")
    assert at.selectbox(key="surface").value == "ravine"
    assert at.number_input(key="lr").value == defaults.lr
    assert at.slider(key="beta").value == defaults.beta
    assert at.multiselect(key="opt").value == ["sgd", "momentum"]


def test_bad_formula_shows_the_message_and_keeps_the_last_good_surface():
    at = open_page(surface="custom", formula="x^2 + 3y^2")
    no_exception(at)
    good = xy(trace(chart_specs(at)["paths_chart"], "SGD"))
    at.text_input(key="formula").set_value("x^2 + z").run()
    no_exception(at)
    errors = " ".join(e.value for e in at.error)
    assert "unknown name 'z': use x and y" in errors
    assert np.array_equal(xy(trace(chart_specs(at)["paths_chart"], "SGD")), good)
    assert at.query_params["formula"] == "x^2 + z"


@pytest.mark.parametrize("index", range(len(LESSONS)))
def test_each_lesson_button_sets_its_parameters(index):
    at = open_page()
    at.button(key=f"lesson_{index}").click().run()
    no_exception(at)
    lesson = LESSONS[index]
    expected = lesson.setup()
    assert at.session_state["setup"] == expected
    assert at.selectbox(key="surface").value == expected["surface"]
    assert at.number_input(key="lr").value == expected["lr"]
    assert at.slider(key="steps").value == expected["steps"]
    assert lesson.title in " ".join(i.value for i in at.info)
    names = [t["name"] for t in chart_specs(at)["paths_chart"]["data"] if t.get("name")]
    if expected["compare"]:
        assert all(any(n.startswith(f"Momentum β={b:g}") for n in names)
                   for b in expected["betas"])
    else:
        assert any(n.startswith("SGD") for n in names)


def test_diverged_run_is_marked_on_the_loss_chart_and_map():
    at = open_page(surface="ravine", lr="0.042", beta="0.9", steps="200")
    no_exception(at)
    run = mv.simulate(mv.get_surface("ravine"), optimizer="sgd", lr=0.042, steps=200)
    k = run.diverged_at
    assert k is not None
    loss = chart_specs(at)["loss_chart"]
    labels = [t.get("text", [""])[0] for t in loss["data"] if t.get("mode") == "markers+text"]
    assert f"diverged at step {k}" in labels
    sgd_line = trace(loss, "SGD (diverged")
    assert np.all(np.isfinite(decode(sgd_line["y"])))
    assert "SGD diverged at step" in " ".join(m.value for m in at.markdown)


def test_a_start_where_f_is_undefined_shows_a_divergence_at_step_0():
    """log(x² + y²) is −∞ at the origin (a click on the map's centre can start there)."""
    at = open_page(surface="custom", formula="log(x^2 + y^2)", x0="0", y0="0")
    no_exception(at)
    paths = chart_specs(at)["paths_chart"]
    labels = [t.get("text", [""])[0] for t in paths["data"] if t.get("mode") == "markers+text"]
    assert labels and all(label == "diverged at step 0" for label in labels)
    assert "diverged at step 0" in " ".join(m.value for m in at.markdown)


def test_sgd_own_learning_rate_and_beta_comparison():
    at = open_page(sgd_lr="0.01")
    no_exception(at)
    assert at.checkbox(key="sgd_own").value
    sgd = xy(trace(chart_specs(at)["paths_chart"], "SGD"))
    assert np.array_equal(sgd, engine_path("ravine", "sgd", 0.01, 0.0, (-2.5, -1.6), 200))
    at = open_page(compare="1", betas="0,0.5,0.9")
    no_exception(at)
    names = [t.get("name", "") for t in chart_specs(at)["paths_chart"]["data"]]
    for beta in ("0", "0.5", "0.9"):
        assert any(n.startswith(f"Momentum β={beta}") for n in names)
