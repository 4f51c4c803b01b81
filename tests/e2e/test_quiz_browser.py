"""The quiz in a real browser: the paths hidden, a click on the map that is a guess (not a new
start), the answers, and the reveal that draws the paths, the guess against the ball's true
position and a verdict per run."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from testkit.browser import click_map, wait_for_app

from .conftest import screenshot

QUIZ = "/?lesson=spiral&quiz=1"
MAP = ".st-key-stage .mvs-map"


def traces(page) -> dict[str, list[list[float]]]:
    """The map's traces as the browser has them now: name → [x, y]."""
    return page.evaluate(f"""() => Object.fromEntries(document.querySelector('{MAP}').data
        .map(d => [d.name, [Array.from(d.x || []), Array.from(d.y || [])]]))""")


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


@pytest.mark.e2e
def test_hidden_paths_a_guess_the_answers_and_the_reveal(app_server, page):
    page.goto(app_server.url + QUIZ)
    wait_for_app(page)
    page.wait_for_selector(f"{MAP} .main-svg", timeout=30_000)
    assert sorted(traces(page)) == ["minima", "start"], "a path or a ball shows before the reveal"
    for hidden in (".mvs-loss", ".mvs-readout", ".mvs-play"):
        assert not page.locator(f".st-key-stage {hidden}").is_visible(), hidden

    click_map(page, MAP, 0.5, -0.5)
    page.wait_for_function(f"""() => document.querySelector('{MAP}').data
        .some(d => d.name === 'your guess')""", timeout=30_000)
    wait_for_app(page)
    guess = traces(page)["your guess"]
    assert np.allclose([guess[0][0], guess[1][0]], [0.5, -0.5], atol=0.03)
    assert page.url.endswith(QUIZ), "the click moved the start"
    assert page.locator(".st-key-x0 input").input_value() == "-2.5"
    assert "Your guess: (" in main_text(page)
    assert sorted(traces(page)) == ["minima", "start", "your guess"]

    page.locator(".st-key-quiz_answer_0").get_by_text("converges smoothly").click()
    wait_for_app(page)
    page.locator(".st-key-quiz_answer_1").get_by_text("oscillates but converges").click()
    wait_for_app(page)
    assert "SGD" not in traces(page), "answering revealed the paths"

    page.locator(".st-key-quiz_reveal button").click()
    wait_for_app(page)
    page.wait_for_function(f"""() => document.querySelector('{MAP}').data
        .some(d => (d.name || '').startsWith('Momentum'))""", timeout=30_000)
    shown = traces(page)
    assert {"SGD", "Momentum β=0.95", "your guess", "step 20", "position"} <= set(shown)
    momentum = mv.simulate(mv.get_surface("oval"), optimizer="momentum", lr=0.05, beta=0.95,
                           steps=300)
    answer = shown["step 20"]
    np.testing.assert_allclose([answer[0][0], answer[1][0]], momentum.path[20], rtol=1e-9)
    path = np.column_stack(shown["Momentum β=0.95"])
    np.testing.assert_allclose(path, momentum.path, rtol=1e-9, atol=1e-12)
    assert page.locator(".st-key-stage .mvs-loss").is_visible()
    text = main_text(page)
    assert "SGD — you said “converges smoothly”: right." in text
    assert "Momentum β=0.95 — you said “oscillates but converges”, but it overshoots and " \
           "spirals." in text
    assert "Your guess (" in text and "% of the map's width." in text
    screenshot(page, "quiz_revealed")
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]
