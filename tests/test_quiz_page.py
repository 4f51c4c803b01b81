"""The Playground's quiz through AppTest: hidden paths, answers, the reveal with each answer
marked right or wrong by the run's own behaviour, the guess's distance, and bad quiz URLs."""

from __future__ import annotations

import math

import numpy as np
from stage_spec import stage_of

import momentum_viz as mv
from testkit.apptest import no_exception, open_page, text_of
from ui import quiz, session, stage
from ui.lessons import LESSONS

SPIRAL = next(lesson for lesson in LESSONS if lesson.id == "spiral")


def spiral_runs() -> list[mv.Run]:
    setup = SPIRAL.setup()
    surface = mv.get_surface(setup["surface"])
    return [mv.simulate(surface, optimizer=o, lr=setup["lr"], beta=setup["beta"],
                        start=(setup["x0"], setup["y0"]), steps=setup["steps"])
            for o in setup["opt"]]


def test_a_quiz_link_hides_the_paths_and_everything_that_tells_the_answer():
    at = open_page(lesson="spiral", quiz="1")
    no_exception(at)
    quiz = stage_of(at)["quiz"]
    assert quiz["hidden"] and quiz["answer"] is None and quiz["guess"] is None
    assert quiz["label"] == "Momentum β=0.95" and quiz["k"] == 20 and quiz["ball"] == 1
    assert [r.label for r in at.radio] == ["SGD", "Momentum β=0.95"]
    assert all(r.value is None for r in at.radio)
    assert list(at.radio[0].options) == ["converges smoothly", "oscillates but converges",
                                         "overshoots and spirals", "diverges"]
    text = text_of(at)
    assert "reached the minimum" not in text and "What to notice" not in text
    assert not at.table and not at.get("download_button")
    assert "the Momentum β=0.95 ball will be after 20 steps" in text
    assert at.query_params["lesson"] == "spiral" and at.query_params["quiz"] == "1"


def test_reveal_marks_each_answer_by_the_runs_own_behaviour():
    at = open_page(lesson="spiral", quiz="1")
    at.radio(key="quiz_answer_0").set_value("smooth").run()  # SGD slides straight in: right
    at.radio(key="quiz_answer_1").set_value("oscillates").run()  # momentum spirals: wrong
    assert stage_of(at)["quiz"]["hidden"], "answering does not reveal"
    at.button(key="quiz_reveal").click().run()
    no_exception(at)
    (right,), (wrong,) = at.success, at.error
    assert right.value.startswith("**SGD** — you said “converges smoothly”: right. It never "
                                  "crossed the minimum along either principal axis")
    assert wrong.value.startswith("**Momentum β=0.95** — you said “oscillates but converges”, "
                                  "but it overshoots and spirals. It crossed the minimum along "
                                  "its principal axes 33 times and turned")
    assert "(4.0 full turns)" in wrong.value and "complex, of modulus 0.9747" in wrong.value
    quiz = stage_of(at)["quiz"]
    momentum = spiral_runs()[1]
    assert not quiz["hidden"] and quiz["answer"] == list(momentum.path[20])
    assert at.table and "You made no guess of where Momentum β=0.95 would be after 20 steps" \
        in text_of(at)
    assert not at.radio, "the marks say what was answered"
    at.run()  # a later run (e.g. the share box opened) keeps the answers given
    assert len(at.success) == 1 and len(at.error) == 1


def test_no_answer_is_told_as_such_and_the_guess_gets_its_distance():
    at = open_page(lesson="spiral", quiz="1", quiz_k="35")
    at.session_state[session.QUIZ_GUESS] = (0.5, -0.25)  # what a click on the map leaves
    at.run()
    assert "Your guess: (0.5, -0.25)." in text_of(at)
    at.button(key="quiz_reveal").click().run()
    no_exception(at)
    assert len(at.info) == 2 and not at.success and not at.error
    assert at.info[0].value.startswith("**SGD** — no answer; it converges smoothly.")
    x, y = spiral_runs()[1].path[35]
    distance = math.hypot(0.5 - x, -0.25 - y)
    assert (f"Your guess (0.5, -0.25) was {distance:.3g} from where Momentum β=0.95 was after "
            f"35 steps, ({x:.3g}, {y:.3g}): {distance / 6 * 100:.0f}% of the map's width.") \
        in text_of(at)
    assert stage_of(at)["quiz"]["guess"] == [0.5, -0.25]


def test_new_runs_are_a_new_question_and_try_again_hides_the_paths():
    at = open_page(lesson="spiral", quiz="1")
    at.radio(key="quiz_answer_0").set_value("diverges").run()
    at.button(key="quiz_reveal").click().run()
    assert not stage_of(at)["quiz"]["hidden"]
    at.button(key="quiz_again").click().run()
    assert stage_of(at)["quiz"]["hidden"] and at.radio(key="quiz_answer_0").value is None
    at.radio(key="quiz_answer_0").set_value("smooth").run()
    at.button(key="quiz_reveal").click().run()
    at.select_slider(key="steps").set_value(150).run()  # other runs: a new question
    no_exception(at)
    assert stage_of(at)["quiz"]["hidden"] and at.radio(key="quiz_answer_0").value is None


def test_a_diverging_run_is_marked_and_the_guess_for_it_says_so():
    """lr·λmax = 0.08·50 = 4 > 2(1+β) = 3.8: momentum diverges, and SGD too."""
    at = open_page(surface="ravine", opt="sgd,momentum", lr="0.08", beta="0.9", quiz="1",
                   quiz_k="150")
    at.radio(key="quiz_answer_1").set_value("diverges").run()
    at.session_state[session.QUIZ_GUESS] = (0.0, 0.0)
    at.run()
    at.button(key="quiz_reveal").click().run()
    no_exception(at)
    momentum = mv.simulate(mv.get_surface("ravine"), optimizer="momentum", lr=0.08, beta=0.9,
                           steps=200)
    step = momentum.diverged_at
    assert step is not None and step < 150
    assert at.success[0].value.startswith("**Momentum β=0.9** — you said “diverges”: right. "
                                          f"It diverged at step {step}")
    assert "include one of modulus" in at.success[0].value
    assert at.info[0].value.startswith("**SGD** — no answer; it diverges.")
    assert (f"Your guess was (0, 0), but Momentum β=0.9 diverged at step {step}, before step "
            "150, and was nowhere on the map by then.") in text_of(at)
    assert stage_of(at)["quiz"]["answer"] is None


def test_the_toggle_turns_the_quiz_on_and_off_and_the_normal_view_is_unchanged():
    at = open_page()
    assert "quiz" not in stage_of(at) and not at.radio
    at.toggle(key="quiz").set_value(True).run()
    no_exception(at)
    assert stage_of(at)["quiz"]["hidden"] and at.query_params["quiz"] == "1"
    at.toggle(key="quiz").set_value(False).run()
    assert "quiz" not in stage_of(at) and "quiz" not in at.query_params and at.table


def test_the_share_box_gives_the_quiz_link_and_the_answer_link():
    at = open_page(lesson="spiral")
    at.session_state["share_box"] = True
    at.run()
    links = [c.value for c in at.code]
    assert links[0].endswith("?lesson=spiral") and links[1].endswith("?lesson=spiral&quiz=1")
    assert "The same view as a quiz" in text_of(at)
    at = open_page(lesson="spiral", quiz="1")
    at.session_state["share_box"] = True
    at.run()
    links = [c.value for c in at.code]
    assert links[0].endswith("?lesson=spiral&quiz=1") and links[1].endswith("?lesson=spiral")
    assert "This is a quiz" in text_of(at)


def test_bad_quiz_values_in_the_url_fall_back_with_a_warning():
    at = open_page(quiz="yes", quiz_k="<script>alert(1)</script>")
    no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "URL parameter 'quiz' = `yes` must be 0 or 1; using the default." in warnings
    assert "URL parameter 'quiz_k' = `<script>alert(1)</script>` is not a number" in warnings
    assert "quiz" not in stage_of(at) and at.session_state["setup"]["quiz_k"] == 20
    at = open_page(quiz="1", steps="50", quiz_k="80")
    no_exception(at)
    assert any("quiz_k (80) is more than the run's steps (50)" in w.value for w in at.warning)
    assert stage_of(at)["quiz"]["k"] == 50
    at = open_page(quiz="1", quiz_k="0")
    assert any("URL parameter 'quiz_k' = `0` must be between 1 and 5000" in w.value
               for w in at.warning)
    assert stage_of(at)["quiz"]["k"] == 20


def test_a_surface_without_a_known_minimum_has_no_quiz_to_answer():
    at = open_page(surface="custom", formula="exp(-x^2-y^2)", quiz="1", steps="50")
    no_exception(at)
    assert not at.radio and "quiz" not in stage_of(at)
    assert any("known minimum" in i.value for i in at.info)
    assert np.isfinite(at.session_state["setup"]["x0"])


def test_answers_are_validated_and_the_guess_is_about_the_momentum_ball():
    runs = spiral_runs()
    given = quiz.marks(runs, ["smooth", "<script>"])
    assert [m.given for m in given] == ["smooth", None] and given[0].right and \
        given[1].right is None
    for hostile in (None, 1, "Diverges", "diverges ", ["smooth"], "__class__"):
        assert quiz.valid_answer(hostile) is None
    assert [quiz.valid_answer(a) for a in mv.quiz.ANSWERS] == list(mv.quiz.ANSWERS)
    surface = mv.get_surface("ravine")
    sgd, adam, nesterov, momentum = (mv.simulate(surface, optimizer=o, lr=0.01, steps=10)
                                     for o in ("sgd", "adam", "nesterov", "momentum"))
    assert quiz.ball([sgd, adam, nesterov, momentum]) == 3
    assert quiz.ball([sgd, nesterov, adam]) == 1 and quiz.ball([sgd]) == 0


def test_a_guess_from_the_browser_is_two_numbers_or_nothing():
    assert stage.sent_point({"x": 0.51234, "y": -0.25}) == (0.5123, -0.25)
    for hostile in (None, [0.5, 0.5], "0.5,0.5", {"x": 0.5}, {"x": "0.5", "y": 0.5},
                    {"x": True, "y": 0.5}, {"x": float("nan"), "y": 0.5},
                    {"x": float("inf"), "y": 0.5}, {"x": 1e300, "y": 0.5},
                    {"x": "<script>", "y": 0}):
        assert stage.sent_point(hostile) is None, hostile
