"""The Playground page through Streamlit's AppTest: widgets, URL round trips, figures, lessons."""

from __future__ import annotations

import json

import numpy as np
import pytest
from plotly_spec import decode
from stage_spec import current, labels, path_of, run_named, shown, stage_of, with_families

import momentum_viz as mv
from testkit.apptest import no_exception, open_page, send_component_state
from ui.controls import LESSON_PICKER
from ui.lessons import LESSONS
from ui.params import default_setup, setup_from_query
from ui.playground import VIEWS
from ui.session import AHEAD, ECHOES, PENDING, SETUP, URL_QUERY
from ui.stage import course


def engine_path(surface_id, optimizer, lr, beta, start, steps):
    run = mv.simulate(mv.get_surface(surface_id), optimizer=optimizer, lr=lr, beta=beta,
                      start=start, steps=steps)
    return run.path


def close(a, b) -> bool:
    """Equal to the 1e-9 the stage promises (its positions are exact to ~7e-12)."""
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=0)


def test_default_view_renders_the_stage_and_reading():
    at = open_page()
    no_exception(at)
    data = stage_of(at)
    sgd, momentum = path_of(run_named(data, "SGD")), path_of(run_named(data, "Momentum β=0.6"))
    assert np.allclose(sgd[0], [-2.5, -1.6]) and len(sgd) == 201
    assert close(momentum, engine_path("ravine", "momentum", 0.038, 0.6, (-2.5, -1.6), 200))
    assert current(data, "beta") == 0.6 and current(data, "lr") == 0.038
    assert data["families"]["beta"]["scrub"] and data["families"]["lr"]["scrub"]
    assert data["plotly"].endswith("/plotly-cartesian.min.js") and data["image"]["source"]
    # "This step in numbers" is there, and works a run out only once one is picked in it
    assert "worked" in data and data["worked"] is None and data["workedFor"] is None
    assert not at.get("plotly_chart"), "the stage replaces the paths and loss charts"
    reading = " ".join(m.value for m in at.markdown)
    assert "reached the minimum in 63 steps, SGD in 197 steps" in reading


def test_the_view_switch_shows_the_3d_view_and_back_the_stage():
    at = open_page()
    assert at.segmented_control(key="view").value == VIEWS[0] and stage_of(at)
    at.segmented_control(key="view").set_value(VIEWS[1]).run()
    no_exception(at)
    (chart,) = at.get("plotly_chart")
    assert json.loads(chart.proto.spec)["data"][0]["type"] == "surface"
    assert not [e for e in at.get("bidi_component")
                if e.proto.component_name == "momentum_viz_stage"]
    at.segmented_control(key="view").set_value(VIEWS[0]).run()
    assert stage_of(at) and not at.get("plotly_chart")


def test_the_stage_shows_the_setups_beta_and_holds_its_whole_family():
    """The β the page is opened with is the stage's β; the family around it is exact too (the
    browser tests drag the slider and release it into the URL)."""
    default = path_of(run_named(stage_of(open_page()), "Momentum"))
    at = open_page(beta="0.855")
    no_exception(at)
    first = stage_of(at)
    data = with_families(at)
    assert first["families"]["beta"]["values"] == data["families"]["beta"]["values"]
    after = path_of(run_named(data, "Momentum β=0.855"))
    assert np.array_equal(after, path_of(run_named(first, "Momentum β=0.855")))
    assert not np.array_equal(default, after)
    assert close(after, engine_path("ravine", "momentum", 0.038, 0.855, (-2.5, -1.6), 200))
    family = data["families"]["beta"]
    assert current(data, "beta") == 0.855 and 0.85 in family["values"]
    i = family["values"].index(0.85)
    neighbour = path_of(data["pool"][family["rows"][i][1]])
    assert close(neighbour, engine_path("ravine", "momentum", 0.038, 0.85, (-2.5, -1.6), 200))
    assert at.query_params["beta"] == "0.855"


def test_the_stage_comes_in_two_parts_the_families_on_the_browsers_request():
    """A change is drawn from its own runs first; the families follow when the browser asks
    for the data it drew (an old token is not an answer: the next change's data is partial)."""
    at = open_page(beta="0.7")
    first = stage_of(at)
    assert first["partial"] and first["familiesToken"]
    beta = first["families"]["beta"]
    assert [i for i, row in enumerate(beta["rows"]) if row is not None] == [beta["index"]]
    assert len(first["pool"]) == len(shown(first)) == 2  # SGD and momentum
    full = with_families(at)
    assert all(row is not None for row in full["families"]["beta"]["rows"])
    assert len(full["pool"]) > 2 and full["token"] == first["token"]
    for a, b in zip(shown(first), shown(full), strict=True):
        assert a["label"] == b["label"] and np.array_equal(path_of(a), path_of(b))
    at.follows_stage = False
    at.select_slider(key="steps").set_value(300).run()
    no_exception(at)
    again = stage_of(at)
    assert again["partial"] and again["familiesToken"] != first["familiesToken"]


def test_a_controls_change_reruns_the_stage_alone_and_the_page_follows_once_it_is_drawn():
    """Steps, optimizers, noise...: the stage reruns alone with the widgets' setup (the rest of
    the page, the URL included, still shows the last one); the browser's request for the
    families of what it drew reruns the whole page, which then agrees with the stage."""
    at = open_page(beta="0.7")
    with_families(at)
    at.follows_stage = False
    at.select_slider(key="steps").set_value(300).run()
    no_exception(at)
    ahead = stage_of(at)
    assert ahead["partial"] and ahead["steps"] == 300 and at.session_state[AHEAD]
    assert "steps" not in at.query_params  # the page has not followed yet
    full = with_families(at)
    assert full["token"] == ahead["token"] and full["steps"] == 300
    assert at.query_params["steps"] == "300" and AHEAD not in at.session_state
    assert at.select_slider(key="steps").value == 300 and not at.warning
    for a, b in zip(shown(ahead), shown(full), strict=True):
        assert a["label"] == b["label"] and np.array_equal(path_of(a), path_of(b))


def test_a_new_surface_is_drawn_by_the_stage_first_and_its_start_reaches_the_fields_after():
    """The surface's callback sets its lr, β and start: the stage draws the new surface from
    the start at once; the start fields, which the browser still shows with the old start,
    keep their state (the new start waits in PENDING) until the page follows and draws them
    with it (the browser test of controls changed in turn adds a change in between)."""
    at = open_page(beta="0.7")
    with_families(at)
    at.follows_stage = False
    at.selectbox(key="surface").select("bowl").run()
    no_exception(at)
    bowl = mv.get_surface("bowl")
    ahead = stage_of(at)
    assert ahead["partial"] and at.session_state[AHEAD] and ahead["start"] == list(bowl.start)
    assert current(ahead, "lr") == bowl.lr and current(ahead, "beta") == bowl.beta
    assert at.session_state[PENDING]["y0"] == bowl.start[1] == 2.0  # the ravine's: −1.6
    assert at.session_state["y0"] == -1.6 and "surface" not in at.query_params
    full = with_families(at)
    assert full["token"] == ahead["token"] and PENDING not in at.session_state
    assert at.number_input(key="x0").value == bowl.start[0]
    assert at.number_input(key="y0").value == bowl.start[1]
    assert at.query_params["surface"] == "bowl" and at.query_params["y0"] == "2"
    assert setup_from_query(at.query_params)[0] == at.session_state[SETUP]
    at.number_input(key="x0").set_value(1.0).run()  # the visitor's start: the field's own
    assert stage_of(at)["start"] == [1.0, bowl.start[1]]
    with_families(at)
    assert at.query_params["x0"] == "1" and at.number_input(key="x0").value == 1.0


@pytest.mark.parametrize("url", ["before", "cut", "after"])
def test_a_start_field_sending_back_what_it_showed_before_the_page_drew_the_new_one(url):
    """The page gives the start fields a new surface's start. A request the browser sent
    before it received the run that drew them carries the old start, and the URL from before
    that run: an echo, not the visitor's change (the fields keep the new start, the URL too).
    So it is when that run was cut short by the request before it published its URL ("cut":
    the server's last URL is then still the old one). The same value sent with the new URL
    is the visitor's: a start typed back."""
    at = open_page(beta="0.7")
    with_families(at)
    at.follows_stage = False
    browser_url = dict(at.query_params)
    at.selectbox(key="surface").select("bowl").run()
    with_families(at)
    assert at.number_input(key="y0").value == 2.0 and at.query_params["y0"] == "2"
    if url in ("before", "cut"):  # the browser had not received the run that drew the start
        at.query_params.clear()
        at.query_params.update(browser_url)
    if url == "cut":  # as if that run had stopped after drawing the fields, before publishing
        echoes = at.session_state[ECHOES]
        echoes["y0"][2] = None
        at.session_state[ECHOES] = echoes
        at.session_state[URL_QUERY] = browser_url
    at.number_input(key="y0").set_value(-1.6).run()  # the ravine's start, as shown before
    no_exception(at)
    if url == "after":
        with_families(at)
        assert at.query_params["y0"] == "-1.6" and at.session_state[SETUP]["y0"] == -1.6
    else:
        assert at.number_input(key="y0").value == 2.0 and at.query_params["y0"] == "2"
        assert at.session_state[SETUP]["y0"] == 2.0


def test_a_change_sent_with_a_url_the_browser_had_not_received_yet_is_no_navigation():
    """The page changed the URL, and the browser sent a change before it received the new
    one: the run keeps the session's setup and the change (Back or Forward sends no change)."""
    at = open_page(beta="0.7")
    with_families(at)
    at.follows_stage = False
    at.select_slider(key="steps").set_value(300).run()
    with_families(at)
    assert at.query_params["steps"] == "300"
    at.query_params.clear()  # the URL before the steps: the default view's
    at.multiselect(key="opt").set_value(["sgd"]).run()
    no_exception(at)
    with_families(at)
    assert at.session_state[SETUP]["steps"] == 300 and at.session_state[SETUP]["opt"] == ["sgd"]
    assert at.query_params["steps"] == "300" and at.query_params["opt"] == "sgd"


def test_back_pressed_while_the_stage_shows_a_change_first_returns_to_the_older_view():
    """A change the stage shows alone has not reached the URL yet; Back then leaves the view
    the URL still names for the entry before it, and the page shows that entry's view."""
    at = open_page(beta="0.7")
    with_families(at)
    at.follows_stage = False
    older = dict(at.query_params)
    at.number_input(key="x0").set_value(1.0).run()
    with_families(at)
    assert at.query_params["x0"] == "1"
    at.select_slider(key="steps").set_value(300).run()
    assert at.session_state[AHEAD] and at.query_params["x0"] == "1"  # not followed yet
    at.query_params.clear()
    at.query_params.update(older)  # Back: the browser's URL is the older entry's
    at.run()
    no_exception(at)
    assert at.session_state[SETUP] == setup_from_query(older)[0]
    assert at.number_input(key="x0").value == -2.5 and at.select_slider(key="steps").value == 200
    assert dict(at.query_params) == older


def test_the_stage_draws_the_widgets_setup_only_while_no_callback_replaced_the_setup():
    page, shown_first, clicked = default_setup(), default_setup(), default_setup()
    assert course({SETUP: page}, page) == "stage"  # the families, a run picked in the panel
    assert course({SETUP: clicked}, page) == "page"  # a click, a released β, a lesson
    assert course({SETUP: page, AHEAD: page}, page) == "ahead"  # a control's change
    # a click on the map after such a change: its start widgets must be drawn, by the page
    assert course({SETUP: clicked, AHEAD: page}, page) == "page"
    assert course({SETUP: page, AHEAD: shown_first}, page) == "stage"  # an equal, older one


def test_a_click_on_the_map_while_the_page_follows_keeps_both_changes():
    """A new start clicked before the page followed a change the stage showed alone: the whole
    page reruns, with the change and the start (the start's widgets drawn with it)."""
    at = open_page(beta="0.7")
    with_families(at)
    at.follows_stage = False
    at.select_slider(key="steps").set_value(300).run()
    assert at.session_state[AHEAD] is at.session_state[SETUP]
    send_component_state(at, "stage", {"families": "an older token", "click": {"x": 1.5,
                                                                               "y": 0.5}})
    no_exception(at)
    assert AHEAD not in at.session_state
    assert at.number_input(key="x0").value == 1.5 and at.number_input(key="y0").value == 0.5
    assert at.query_params["steps"] == "300" and at.query_params["x0"] == "1.5"
    assert stage_of(at)["start"] == [1.5, 0.5] and stage_of(at)["steps"] == 300


def test_a_change_sent_before_the_browser_drew_a_clicked_start_keeps_the_start():
    """A click on the map sets the start fields; a change the browser sent before it received
    that run carries the old start and the old URL: the start clicked stays, the change is
    taken too."""
    at = open_page(beta="0.7")
    with_families(at)
    at.follows_stage = False
    browser_url, old = dict(at.query_params), at.number_input(key="x0").value
    send_component_state(at, "stage", {"click": {"x": 1.5, "y": 0.5}})
    assert at.number_input(key="x0").value == 1.5 and at.query_params["x0"] == "1.5"
    at.query_params.clear()
    at.query_params.update(browser_url)
    at.number_input(key="x0").set_value(old)  # as the browser still showed it
    at.select_slider(key="steps").set_value(300).run()
    no_exception(at)
    with_families(at)
    assert at.number_input(key="x0").value == 1.5 and at.query_params["x0"] == "1.5"
    assert at.query_params["steps"] == "300" and stage_of(at)["start"] == [1.5, 0.5]


@pytest.mark.parametrize("change", [
    lambda at: at.number_input(key="x0").set_value(600.0),  # too far: back, with a warning
    lambda at: at.toggle(key="quiz").set_value(True),  # the layout changes
])
def test_a_change_with_more_to_show_than_the_stage_reruns_the_whole_page(change):
    at = open_page(beta="0.7")
    at.follows_stage = False
    change(at).run()
    no_exception(at)
    assert AHEAD not in at.session_state
    assert setup_from_query(at.query_params)[0] == at.session_state[SETUP]


def test_shared_url_restores_widgets_and_path():
    at = open_page(surface="rosenbrock", lr="0.0005", beta="0.85", steps="300", x0="-1.2",
                  y0="1", opt="sgd,momentum")
    no_exception(at)
    assert not at.warning
    assert at.selectbox(key="surface").value == "rosenbrock"
    assert current(stage_of(at), "lr") == 0.0005
    assert current(stage_of(at), "beta") == 0.85
    assert at.select_slider(key="steps").value == 300
    assert at.multiselect(key="opt").value == ["sgd", "momentum"]
    momentum = path_of(run_named(stage_of(at), "Momentum β=0.85"))
    assert close(momentum, engine_path("rosenbrock", "momentum", 0.0005, 0.85, (-1.2, 1.0), 300))


def test_garbage_url_values_warn_by_name_and_fall_back():
    at = open_page(lr="abc", beta="7", steps="-3", surface="nope", opt="adam,nope", x0="1e400",
                  junk="<script>alert(1)</script>")
    no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    for name in ("lr", "beta", "steps", "surface", "opt", "x0"):
        assert f"'{name}'" in warnings
    assert "junk" not in warnings
    defaults = mv.get_surface("ravine")
    assert at.selectbox(key="surface").value == "ravine"
    assert current(stage_of(at), "lr") == defaults.lr
    assert current(stage_of(at), "beta") == defaults.beta
    assert at.multiselect(key="opt").value == ["sgd", "momentum"]


def test_bad_formula_shows_the_message_and_keeps_the_last_good_surface():
    at = open_page(surface="custom", formula="x^2 + 3y^2")
    no_exception(at)
    good = path_of(run_named(stage_of(at), "SGD"))
    at.text_input(key="formula").set_value("x^2 + z").run()
    no_exception(at)
    errors = " ".join(e.value for e in at.error)
    assert "unknown name 'z': use x and y" in errors
    assert np.array_equal(path_of(run_named(stage_of(at), "SGD")), good)
    assert at.query_params["formula"] == "x^2 + z"


@pytest.mark.parametrize("index", range(len(LESSONS)))
def test_each_lesson_pill_sets_its_parameters_and_stays_lit(index):
    at = open_page()
    picker = at.pills(key=LESSON_PICKER)
    assert picker.value is None and picker.formatted_values == []
    picker.set_value(index).run()
    no_exception(at)
    lesson = LESSONS[index]
    expected = lesson.setup()
    assert at.session_state["setup"] == expected
    assert at.pills(key=LESSON_PICKER).value == index
    assert at.selectbox(key="surface").value == expected["surface"]
    assert current(stage_of(at), "lr") == expected["lr"]
    assert at.select_slider(key="steps").value == expected["steps"]
    assert lesson.title in " ".join(i.value for i in at.info)
    names = labels(stage_of(at))
    if expected["compare"]:
        assert all(any(n.startswith(f"Momentum β={b:g}") for n in names)
                   for b in expected["betas"])
    else:
        assert all(any(n.startswith(mv.optimizers.get(o).label) for n in names)
                   for o in expected["opt"])


def test_the_lit_lesson_pill_goes_out_when_the_view_changes_and_a_click_sets_it_again():
    at = open_page()
    at.pills(key=LESSON_PICKER).set_value(1).run()
    lesson = LESSONS[1].setup()
    steps = 500 if lesson["steps"] != 500 else 400
    at.select_slider(key="steps").set_value(steps).run()
    no_exception(at)
    assert at.session_state["setup"]["steps"] == steps
    assert at.pills(key=LESSON_PICKER).value is None  # the view is no longer the lesson's
    at.pills(key=LESSON_PICKER).set_value(1).run()
    assert at.session_state["setup"] == lesson and at.pills(key=LESSON_PICKER).value == 1
    at.pills(key=LESSON_PICKER).set_value(None).run()  # a click on the lit pill turns it off
    no_exception(at)
    assert at.session_state["setup"] == lesson and at.pills(key=LESSON_PICKER).value == 1
    assert [p.label for p in at.pills] == ["**Lessons** — one click sets everything:"]


def test_diverged_run_is_marked_on_the_loss_chart_and_map():
    at = open_page(surface="ravine", lr="0.042", beta="0.9", steps="200")
    no_exception(at)
    run = mv.simulate(mv.get_surface("ravine"), optimizer="sgd", lr=0.042, steps=200)
    k = run.diverged_at
    assert k is not None
    sgd = run_named(stage_of(at), "SGD (diverged")
    assert sgd["diverged"] == k and sgd["label"] == f"SGD (diverged at step {k})"
    loss = np.frombuffer(__import__("base64").b64decode(sgd["f"]), "<f4")
    assert len(loss) == sgd["last"] + 1 and np.all(np.isfinite(loss))
    assert "SGD diverged at step" in " ".join(m.value for m in at.markdown)


def test_a_start_where_f_is_undefined_shows_a_divergence_at_step_0():
    """log(x² + y²) is −∞ at the origin (a click on the map's centre can start there)."""
    at = open_page(surface="custom", formula="log(x^2 + y^2)", x0="0", y0="0")
    no_exception(at)
    runs = shown(stage_of(at))
    assert runs and all(r["diverged"] == 0 and r["n"] == 1 for r in runs)
    assert "diverged at step 0" in " ".join(m.value for m in at.markdown)


def test_sgd_own_learning_rate_and_beta_comparison():
    at = open_page(sgd_lr="0.01")
    no_exception(at)
    assert at.checkbox(key="sgd_own").value
    data = with_families(at)
    sgd = path_of(run_named(data, "SGD"))
    assert close(sgd, engine_path("ravine", "sgd", 0.01, 0.0, (-2.5, -1.6), 200))
    lr = data["families"]["lr"]  # SGD keeps its own lr while lr is scrubbed
    assert len({lr["rows"][i][0] for i in range(len(lr["values"]))}) == 1
    at = open_page(compare="1", betas="0,0.5,0.9")
    no_exception(at)
    data = stage_of(at)
    names = labels(data)
    assert not data["families"]["beta"]["scrub"], "β comparison has no single β to scrub"
    for beta in ("0", "0.5", "0.9"):
        assert any(n.startswith(f"Momentum β={beta}") for n in names)


def test_every_registered_optimizer_runs_with_its_own_settings_and_a_schedule():
    """opt lists any registered optimizer; Adam keeps its own lr, β₂ and ε; the schedule
    applies to every run; the URL carries all of it back; the stage's paths are the engine's."""
    query = dict(opt="sgd,momentum,adam,rmsprop,adagrad", adam_lr="0.1", adam_beta2="0.99",
                 adam_eps="1e-06", schedule="cosine", t_max="150", eta_min="0.001")
    at = open_page(**query)
    no_exception(at)
    assert not at.warning
    assert at.checkbox(key="adam_own").value and at.number_input(key="adam_lr").value == 0.1
    assert at.number_input(key="adam_beta2").value == 0.99
    assert at.number_input(key="rmsprop_eps").value == 1e-8  # torch's default
    assert at.selectbox(key="schedule").value == "cosine"
    assert at.number_input(key="t_max").value == 150
    assert {k: at.query_params[k] for k in query} == query
    schedule = mv.schedules.cosine(150, 0.001)
    adam = mv.simulate(mv.get_surface("ravine"), optimizer="adam", lr=0.1, beta=0.6,
                       beta2=0.99, eps=1e-6, schedule=schedule, start=(-2.5, -1.6), steps=200)
    data = stage_of(at)
    assert close(path_of(run_named(data, "Adam")), adam.path)
    assert len(shown(data)) == 5
    (lr_chart,) = at.get("plotly_chart")  # the schedule under the stage: lr against step
    traces = json.loads(lr_chart.proto.spec)["data"]
    adam_trace = next(t for t in traces if t["name"].startswith("Adam"))
    assert np.allclose(decode(adam_trace["y"]), adam.lrs[:200])
    text = " ".join(str(m.value) for m in (*at.markdown, *at.table))
    assert "Adam" in text and "AdaGrad" in text


def test_an_adaptive_optimizers_controls_appear_when_it_is_chosen():
    at = open_page()
    assert not any(w.key in ("adam_own", "adam_beta2", "t_max") for w in
                   (*at.checkbox, *at.number_input))
    at.multiselect(key="opt").select("adam").run()
    no_exception(at)
    assert at.checkbox(key="adam_own").value is False
    at.checkbox(key="adam_own").check().run()
    at.number_input(key="adam_lr").set_value(0.05).run()
    at.number_input(key="adam_eps").set_value(0.0).run()  # out of range: kept, with a warning
    no_exception(at)
    assert any("ε" in w.value and "keeping" in w.value for w in at.warning)
    at.selectbox(key="schedule").select("step").run()
    at.number_input(key="step_size").set_value(20).run()
    no_exception(at)
    assert at.query_params["adam_lr"] == "0.05" and "adam_eps" not in at.query_params
    assert at.query_params["schedule"] == "step" and at.query_params["step_size"] == "20"
    assert run_named(stage_of(at), "Adam")["lr"] == 0.05



def test_the_beta_slider_scrubs_adams_beta1_and_rmsprops_momentum_exactly():
    at = open_page(opt="adam,rmsprop", steps="80")
    no_exception(at)
    data = with_families(at)
    family = data["families"]["beta"]
    i = family["values"].index(0.3)
    for j, optimizer in enumerate(("adam", "rmsprop")):
        packed = data["pool"][family["rows"][i][j]]
        run = mv.simulate(mv.get_surface("ravine"), optimizer=optimizer, lr=0.038, beta=0.3,
                          start=(-2.5, -1.6), steps=80)
        assert packed["beta"] == 0.3 and close(path_of(packed), run.path)


def test_an_optimizer_registered_later_is_offered_and_runs():
    """The registry is read live: a throwaway entry is in the optimizer list, the URL and the
    stage, with its hyper-parameters' defaults."""
    entry = mv.Optimizer("halfstep", "Half step", "#999999", mv.optimizers.heavy_ball,
                         lambda: {"beta": 0.0, "dampening": 0.0, "nesterov": False})
    mv.register(entry)
    try:
        at = open_page(opt="sgd,halfstep", lr="0.02")
        no_exception(at)
        assert not at.warning
        assert "Half step" in at.multiselect(key="opt").options
        assert close(path_of(run_named(stage_of(at), "Half step")),
                     engine_path("ravine", "sgd", 0.02, 0.0, (-2.5, -1.6), 200))
    finally:
        mv.optimizers.unregister("halfstep")
