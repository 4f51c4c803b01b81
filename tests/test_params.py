"""The parameter table (ui/params.py) on its own: every parameter round-trips URL → setup → URL,
defaults follow the surface, each parser refuses bad input with a warning naming it, and the
widgets' session-state values convert back to the same setup."""

from __future__ import annotations

import re

import numpy as np
import pytest

import momentum_viz as mv
from testkit.apptest import no_exception, open_page
from ui.lessons import LESSONS
from ui.params import (
    CUSTOM,
    OWN_LR,
    PARAM,
    PARAMS,
    STEPS_RANGE,
    STEPS_STOPS,
    WIDGETS,
    ParamError,
    default_setup,
    lesson_setup,
    lesson_view,
    optimizer_label,
    optimizers_help,
    params_of,
    presented_as,
    query_from_setup,
    sampling_of,
    setup_from_query,
    setup_from_widgets,
    surface_defaults,
    widget_values,
    with_stop,
)
from ui.site import LAB, PAGE_IDS, PLAYGROUND, WHY, page_script

# A value other than the default for every parameter, as a URL writes it.
CHANGED = {
    "surface": "custom", "formula": "x^2 + 3y^2", "xmin": "-2", "xmax": "4", "ymin": "-1.5",
    "ymax": "2.5", "lr": "0.0123", "beta": "0.77", "steps": "321", "x0": "1.5", "y0": "-0.5",
    "opt": "sgd,nesterov,ema", "sgd_lr": "0.2", "noise": "0.25", "seed": "42", "compare": "1",
    "betas": "0,0.3,0.95", "map_opt": "ema", "map_metric": "loss", "map_grid": "60",
    "map_steps": "250", "map_lr_min": "0.1", "map_lr_max": "8", "map_beta": "0.2,0.8",
    "kappa": "200", "rotation": "-30",
    "adam_lr": "0.003", "rmsprop_lr": "0.004", "adagrad_lr": "0.5", "adam_beta2": "0.99",
    "adam_eps": "1e-06", "rmsprop_beta2": "0.9", "rmsprop_eps": "1e-07", "adagrad_eps": "1e-08",
    "schedule": "cosine", "t_max": "150", "eta_min": "0.001",
    # arguments of the other schedules: in the setup, not in a link to a cosine view
    "step_size": "30", "step_gamma": "0.3", "exp_gamma": "0.9", "total_iters": "40",
    "start_factor": "0.5", "quiz": "1", "quiz_k": "35", "present": "1",
    "seeds": "25",
    # minibatches: only on a surface from data
    "batch_size": "16",
}
UNUSED = {"step_size", "step_gamma", "exp_gamma", "total_iters", "start_factor", "batch_size"}
"""The parameters of CHANGED that its view does not use (another schedule's arguments, the
batch size on a formula)."""
BAD = {
    "surface": ["nope", ""], "formula": ["x" * 1000], "xmin": ["abc", "1e5", "nan"],
    "lr": ["0", "11", "inf", "0.1.1"], "beta": ["1", "-0.1"], "steps": ["9", "5001", "1.5"],
    "x0": ["1e7"], "opt": ["nope", "", "sgd,nope"], "sgd_lr": ["-1"], "noise": ["-0.1", "101"],
    "seed": ["-1", "2147483648"], "compare": ["yes", "2"], "betas": ["", "1", "0,nan",
                                                                   ",".join(["0.5"] * 9)],
    "map_opt": ["sgd"], "map_metric": ["speed"], "map_grid": ["5", "500"], "map_steps": ["0"],
    "map_lr_min": ["3"], "map_lr_max": ["0.2"], "map_beta": ["0.5", "0.5,0.5", "0.1,1"],
    "kappa": ["7", "2000"], "rotation": ["91", "0.5"],
    "lesson": ["nope", "", "RAVINE", "../ravine", "ravine ", "0"],
    "present": ["2", "yes", "", "1 ", "<b>1</b>"],
    "adam_lr": ["0", "nan"], "adam_beta2": ["1", "-0.1", "nan"], "adam_eps": ["0", "-1e-8", "inf"],
    "rmsprop_beta2": ["1.5"], "adagrad_eps": ["x"], "schedule": ["linear", ""],
    "t_max": ["0", "1.5", "1e309"], "step_gamma": ["0", "1.01"], "exp_gamma": ["nan"],
    "eta_min": ["-1", "inf"], "step_size": ["0"], "total_iters": ["-3"], "start_factor": ["0"],
    "batch_size": ["0", "100001", "2.5", "x", "-4"], "seeds": ["0", "101", "1.5", "nan", "x"],
    "quiz": ["yes", "2", "<b>1</b>"], "quiz_k": ["0", "5001", "1.5", "x", "-1"],
}


def test_every_parameter_has_a_changed_value_here():
    assert set(CHANGED) | {"lesson"} == set(PARAM) == {p.name for p in PARAMS}  # see lessons
    assert set(BAD) <= set(PARAM)


def test_the_url_round_trips_for_every_parameter():
    setup, warnings = setup_from_query(CHANGED)
    assert warnings == []
    assert query_from_setup(setup) == {k: v for k, v in CHANGED.items() if k not in UNUSED}
    assert query_from_setup(setup | {"schedule": "step"}).keys() >= {"step_size", "step_gamma"}
    for name, text in CHANGED.items():
        assert setup[name] != default_setup()[name], name
        assert PARAM[name].format(PARAM[name].parse(text)) == text, name


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_parser_refuses_bad_input_and_the_url_names_it(name):
    for text in BAD[name]:
        with pytest.raises(ParamError):
            PARAM[name].parse(text)
        setup, warnings = setup_from_query({name: text})
        assert any(f"URL parameter '{name}'" in w for w in warnings), (name, text)
        assert setup[name] == default_setup()[name]


def test_a_default_view_has_a_short_url():
    assert query_from_setup(default_setup()) == {
        "surface": "ravine", "lr": "0.038", "beta": "0.6", "steps": "200", "x0": "-2.5",
        "y0": "-1.6", "opt": "sgd,momentum", "noise": "0", "seed": "0"}
    assert setup_from_query({})[0] == default_setup()


def test_defaults_follow_the_surface():
    for surface_id in mv.SURFACE_IDS:
        surface = mv.get_surface(surface_id)
        setup = default_setup(surface_id)
        assert (setup["lr"], setup["beta"]) == (surface.lr, surface.beta)
        assert (setup["x0"], setup["y0"]) == surface.start
        assert surface_defaults(surface_id).items() <= setup.items()
    custom = default_setup(CUSTOM)
    assert (custom["lr"], custom["beta"], custom["x0"], custom["y0"]) == (0.05, 0.9, 2.0, 2.0)
    assert (custom["xmin"], custom["xmax"], custom["ymin"], custom["ymax"]) == (-3, 3, -3, 3)
    assert default_setup()["opt"] is not default_setup()["opt"]  # lists are never shared


def test_page_parameters_stay_out_of_the_url_at_their_defaults():
    setup = default_setup()
    for name in ("map_opt", "map_grid", "map_beta", "kappa", "rotation"):
        assert name not in query_from_setup(setup)
    assert query_from_setup(setup | {"kappa": 100.0})["kappa"] == "100"
    assert "sgd_lr" in query_from_setup(setup | {"sgd_lr": 0.1})
    assert "betas" not in query_from_setup(setup | {"betas": [0.1]})
    assert "formula" not in query_from_setup(setup)


def test_cross_checks_fall_back_with_a_warning():
    setup, warnings = setup_from_query({"surface": "custom", "xmin": "2", "xmax": "1"})
    assert (setup["xmin"], setup["xmax"]) == (-3, 3) and "needs min < max" in warnings[0]
    setup, warnings = setup_from_query({"map_lr_min": "4", "map_lr_max": "0.01"})
    assert (setup["map_lr_min"], setup["map_lr_max"]) == (0.01, 4.0) and len(warnings) == 1
    setup, warnings = setup_from_query({"x0": "1000"})
    assert setup["x0"] == -2.5 and "start point" in warnings[0]
    setup, warnings = setup_from_query({"quiz": "1", "steps": "50", "quiz_k": "80"})
    assert setup["quiz_k"] == 50 and warnings == [
        "The URL's quiz_k (80) is more than the run's steps (50); the guess is for the last "
        "step, 50."]


def test_each_page_draws_its_own_parameters():
    # the theory page's lr and β are its stage's sliders, as the Playground's
    assert {p.name for p in params_of(WHY)} == {"steps", "kappa", "rotation"}
    assert "map_grid" in {p.name for p in params_of(LAB)}
    assert "opt" not in {p.name for p in params_of(LAB)}
    # set by buttons (a lesson, presenter mode), or the sliders of each page's stage or map
    # component (β and lr): no widget of their own
    for param in (p for p in PARAMS if p.name not in {"lesson", "present", "lr", "beta"}):
        assert param.pages and param.pages <= set(PAGE_IDS), param.name
        # a setting switched on by a checkbox: the checkbox is its first widget
        assert (param.widgets and param.widgets[0].key == param.name) or \
            param.name in {f"{o}_lr" for o in OWN_LR} | {"batch_size"}


@pytest.mark.parametrize("page", PAGE_IDS)
def test_widget_values_read_back_to_the_same_setup(page):
    setup = setup_from_query(CHANGED)[0]
    state = widget_values(setup)
    assert set(state) == set(WIDGETS)
    assert state["betas"] == "0, 0.3, 0.95"
    assert state["sgd_own"] is True
    assert setup_from_widgets(setup, state, page) == (setup, [])
    assert setup_from_widgets(default_setup(), state, page)[0] == default_setup() | {
        p.name: setup[p.name] for p in params_of(page)}


def test_widgets_read_back_with_their_conversions():
    setup = default_setup()
    state = widget_values(setup) | {"sgd_own": False, "sgd_lr": 0.3, "steps": 150.0,
                                    "opt": ["momentum", "sgd"], "map_beta": [0.1, 0.5]}
    new, _ = setup_from_widgets(setup, state, PLAYGROUND)
    assert new["sgd_lr"] is None and new["steps"] == 150 and isinstance(new["steps"], int)
    assert new["opt"] == ["sgd", "momentum"]
    assert setup_from_widgets(setup, state, LAB)[0]["map_beta"] == (0.1, 0.5)
    absent = {k: v for k, v in state.items() if k != "betas"}
    assert setup_from_widgets(setup, absent, PLAYGROUND)[0]["betas"] == setup["betas"]


def test_an_unusable_widget_input_keeps_the_value_with_a_warning():
    setup = default_setup()
    state = widget_values(setup) | {"betas": "0.5, x"}
    new, warnings = setup_from_widgets(setup, state, PLAYGROUND)
    assert new["betas"] == setup["betas"]
    assert warnings == ["β values must be numbers between 0 and 0.999: `x` is not a number; "
                        "keeping 0, 0.5, 0.9, 0.99."]


@pytest.mark.parametrize("text", ["0.5, x", "nan", "0.5, 2", "-1", "1e999", "0.1,,abc"])
def test_every_refused_beta_list_is_told_in_a_sentence_that_names_the_field(text):
    setup = default_setup()
    _, (warning,) = setup_from_widgets(setup, widget_values(setup) | {"betas": text}, PLAYGROUND)
    assert warning.startswith("β values must ") and warning.endswith(
        "; keeping 0, 0.5, 0.9, 0.99.")
    assert " is not a number" not in warning or re.search(r"`[^`]*` is not a number", warning)


@pytest.mark.parametrize("page", PAGE_IDS)
def test_each_page_draws_exactly_the_widgets_of_its_parameters(page):
    """``Param.pages`` is true: with every optional control showing, a page's keyed inputs are
    the table's widgets of the parameters it names, and nothing else of the table."""
    every = {w.key for p in params_of(page) for w in p.widgets}
    shown: set[str] = set()

    def drawn_on(**query: str) -> set[str]:
        at = open_page(page_script(page), **query)
        no_exception(at)
        drawn = {w.key for kind in ("slider", "select_slider", "number_input", "selectbox",
                                    "multiselect", "text_input", "checkbox", "toggle", "radio")
                 for w in getattr(at, kind) if w.key in WIDGETS}
        assert drawn <= every
        return drawn

    for schedule in mv.schedules.SCHEDULES:  # each schedule shows its own arguments
        for compare in ("0", "1"):  # comparing β hides the optimizers' own settings
            shown |= drawn_on(surface="custom", compare=compare, quiz="1",
                              opt=",".join(mv.OPTIMIZERS), schedule=schedule,
                              **{f"{o}_lr": "0.01" for o in OWN_LR})
        if page != PLAYGROUND:
            break
    if page != WHY:  # the minibatch controls: on a surface from data
        shown |= drawn_on(surface="linreg", batch_size="8")
    assert shown == every


def test_a_parameters_range_bounds_its_parser_and_its_widget():
    for param in (p for p in PARAMS if p.range is not None):
        low, high = param.range
        widget = next((w for w in param.widgets if w.key == param.name), None)
        if widget is None:  # β and lr: no widget (their sliders check it, ui.stage.released)
            assert param.name in {"lr", "beta"}
        elif widget.kind == "select_slider":  # its stops span the range
            stops = widget.options["options"]
            assert (stops[0], stops[-1]) == (low, high)
        else:
            assert (widget.options["min_value"], widget.options["max_value"]) == (low, high)
        if param.type is tuple:  # a range within the range: map_beta
            assert param.parse(param.format((low, high))) == (low, high)
            continue
        assert param.parse(param.format(low)) == low and param.parse(param.format(high)) == high
        for outside in (low - abs(low) - 1, high + abs(high) + 1):
            with pytest.raises(ParamError):
                param.parse(param.format(outside))


def test_pickers_name_the_optimizers_as_the_registry_does():
    for name in mv.OPTIMIZERS:
        assert optimizer_label(name) == mv.optimizers.get(name).picker_label
    assert optimizer_label("ema") == "EMA momentum"
    assert optimizer_label("momentum") == "Momentum"
    assert "**EMA momentum**: v ← βv + (1−β)g" in optimizers_help()  # the rule, in the help
    assert optimizer_label("sgd") == mv.optimizers.get("sgd").label == "SGD"
    assert optimizer_label("adam") == "Adam"


def test_the_sliders_show_round_numbers_and_any_value_from_a_url_exactly():
    assert STEPS_STOPS[0] == STEPS_RANGE[0] and STEPS_STOPS[-1] == STEPS_RANGE[1]
    from ui.lessons import LESSONS
    for steps in {lesson.setup()["steps"] for lesson in LESSONS} | {200, 300, 500}:
        assert steps in STEPS_STOPS
    ratios = np.diff(np.log(STEPS_STOPS))
    assert ratios.max() < np.log(2.1)  # roughly log-spaced: no gap wider than ×2
    setup = setup_from_query({"steps": "237", "lr": "0.0385"})[0]
    assert (setup["steps"], setup["lr"]) == (237, 0.0385)
    assert with_stop(STEPS_STOPS, 237) == tuple(sorted((*STEPS_STOPS, 237)))
    assert with_stop(STEPS_STOPS, 200) is STEPS_STOPS


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_lesson_link_is_its_id_alone_and_opens_its_whole_setup(lesson):
    setup, warnings = setup_from_query({"lesson": lesson.id})
    assert (setup, warnings) == (lesson.setup(), [])
    assert query_from_setup(setup) == {"lesson": lesson.id}
    changed = setup | {"beta": 0.123}
    query = query_from_setup(changed)
    assert "lesson" not in query and query["beta"] == "0.123"
    assert setup_from_query(query)[0] | {"lesson": lesson.id} == changed
    tweaked, _ = setup_from_query({"lesson": lesson.id, "steps": "77"})
    assert tweaked == lesson.setup() | {"steps": 77}
    quiz, warnings = setup_from_query({"lesson": lesson.id, "quiz": "1", "quiz_k": "7"})
    assert (quiz, warnings) == (lesson.setup() | {"quiz": True, "quiz_k": 7}, [])
    assert query_from_setup(quiz) == {"lesson": lesson.id, "quiz": "1", "quiz_k": "7"}
    assert query_from_setup(quiz | {"quiz_k": 20}) == {"lesson": lesson.id, "quiz": "1"}


@pytest.mark.parametrize("lesson", LESSONS[:3])
def test_a_lesson_presented_is_still_the_lesson_and_its_link_keeps_presenter_mode(lesson):
    setup, warnings = setup_from_query({"lesson": lesson.id, "present": "1"})
    assert (setup, warnings) == (lesson.setup() | {"present": True}, [])
    assert lesson_view(setup) and query_from_setup(setup) == {"lesson": lesson.id, "present": "1"}
    assert presented_as(lesson.setup(), setup) == setup
    assert presented_as(setup, lesson.setup()) == lesson.setup()
    changed = query_from_setup(setup | {"steps": 77})
    assert "lesson" not in changed and changed["present"] == "1" and changed["steps"] == "77"
    assert not lesson_view(setup | {"steps": 77})
    assert "present" not in query_from_setup(lesson.setup())  # off: not in the URL


def test_a_bad_present_value_falls_back_to_the_normal_view_with_a_warning():
    setup, warnings = setup_from_query({"lesson": "spiral", "present": "yes"})
    assert setup == lesson_setup("spiral") and setup["present"] is False
    assert warnings == ["URL parameter 'present' = `yes` must be 0 or 1; using the default."]


def test_an_unknown_lesson_falls_back_with_a_warning():
    setup, warnings = setup_from_query({"lesson": "<script>"})
    assert setup == default_setup()
    assert warnings == ["URL parameter 'lesson' = `<script>` must be one of "
                        f"{', '.join(lesson.id for lesson in LESSONS)}; using the default."]


@pytest.mark.parametrize("surface_id", mv.DATA_SURFACE_IDS)
def test_data_surfaces_by_url_with_minibatches_and_seeds(surface_id):
    surface = mv.get_surface(surface_id)
    setup, warnings = setup_from_query({"surface": surface_id, "batch_size": "16",
                                        "seeds": "40"})
    assert warnings == []
    assert (setup["lr"], setup["beta"], (setup["x0"], setup["y0"])) == \
        (surface.lr, surface.beta, surface.start)
    assert sampling_of(setup) == (0.0, 16)
    query = query_from_setup(setup)
    assert query["surface"] == surface_id and query["batch_size"] == "16"
    assert query["seeds"] == "40"
    # off: no batch_size in the URL, and the Gaussian noise is back
    off = setup | {"batch_size": None, "noise": 0.5}
    assert "batch_size" not in query_from_setup(off) and sampling_of(off) == (0.5, None)


def test_a_batch_larger_than_the_data_is_refused_with_a_warning():
    n = len(mv.DATASETS["linreg"].x)
    setup, warnings = setup_from_query({"surface": "linreg", "batch_size": str(n + 1)})
    assert setup["batch_size"] is None
    assert warnings == [f"URL parameter 'batch_size' = {n + 1} is more than the {n} data "
                        "points of this surface; using the full gradient."]
    setup, warnings = setup_from_query({"surface": "linreg", "batch_size": str(n)})
    assert setup["batch_size"] == n and warnings == []


def test_minibatches_need_a_surface_from_data():
    setup = setup_from_query({"surface": "bowl", "batch_size": "8", "noise": "2"})[0]
    assert setup["batch_size"] == 8 and sampling_of(setup) == (2.0, None)
    assert "batch_size" not in query_from_setup(setup)
