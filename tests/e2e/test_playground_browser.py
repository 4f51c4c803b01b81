"""The Playground in a real browser: a shared URL, the plotted path, Play, and the keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import momentum_viz as mv
from testkit.browser import wait_for_app

from .conftest import plotly_figure, screenshot
from .test_stage_browser import plotted

SHARED = "/?surface=rosenbrock&lr=0.0005&beta=0.85&steps=300&x0=-1.2&y0=1&opt=sgd,momentum"


STAGE = ".st-key-stage"


def named(figure: dict, prefix: str) -> dict:
    return next(t for t in figure["data"] if str(t.get("name", "")).startswith(prefix))


def stage_map(page) -> dict:
    """The stage's map figure as the browser has it now."""
    page.wait_for_selector(f"{STAGE} .mvs-map .main-svg", timeout=30_000)
    index = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .indexOf(document.querySelector('.st-key-stage .mvs-map'))""")
    return plotly_figure(page, index)


def balls(page) -> list[float]:
    """x of the animated balls as the browser has them now."""
    return page.evaluate("""() => {
        const plot = document.querySelector('.st-key-stage .mvs-map');
        const t = plot.data.find(d => d.name === 'position');
        return Array.from(t.x);
    }""")


@pytest.mark.e2e
def test_shared_url_play_and_keyboard(app_server, page):
    page.goto(app_server.url + SHARED)
    wait_for_app(page)
    figure = stage_map(page)
    momentum = named(figure, "Momentum β=0.85")
    expected = mv.simulate(mv.get_surface("rosenbrock"), optimizer="momentum", lr=0.0005,
                           beta=0.85, start=(-1.2, 1.0), steps=300).path
    plotted = np.column_stack([momentum["x"], momentum["y"]]).astype(float)
    np.testing.assert_allclose(plotted, expected, rtol=1e-9, atol=0)
    screenshot(page, "playground_shared_url")

    start = balls(page)
    page.locator(f"{STAGE} .mvs-play").click()
    page.wait_for_timeout(2500)
    moved = balls(page)
    assert moved != start, "the balls did not move after pressing Play"
    assert page.locator(f"{STAGE} .mvs-map .imagelayer image").count() == 1, \
        "the surface picture vanished during the animation"
    screenshot(page, "playground_playing")

    slider = page.locator(f"{STAGE} .mvs-beta input")
    for beta in (0.86, 0.87, 0.88, 0.89, 0.9):  # each key is a release: a rerun, the URL
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => location.search.includes('beta={beta:g}&')",
                               timeout=30_000)
        wait_for_app(page)
    updated = named(stage_map(page), "Momentum β=0.9")
    assert not np.array_equal(np.asarray(updated["x"], float), plotted[:, 0])
    screenshot(page, "playground_after_keyboard")
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


@pytest.mark.e2e
def test_click_on_the_map_sets_the_start(app_server, page):
    page.goto(app_server.url + "/?surface=ravine&lr=0.038&beta=0.6&steps=100&opt=sgd,momentum")
    wait_for_app(page)
    stage_map(page)
    area = page.locator(f"{STAGE} .mvs-map .nsewdrag").first.bounding_box()
    # the plot spans [-3, 3]²; three quarters across and a quarter down is (1.5, 1.5)
    page.mouse.click(area["x"] + 0.75 * area["width"], area["y"] + 0.25 * area["height"])
    page.wait_for_function("() => location.search.includes('x0=1.5')", timeout=30_000)
    wait_for_app(page)
    assert "y0=1.5" in page.url
    page.wait_for_function("""() => {
        const t = document.querySelector('.st-key-stage .mvs-map').data
            .find(d => (d.name || '').startsWith('SGD'));
        return t && t.x[0] === 1.5 && t.y[0] === 1.5;
    }""", timeout=30_000)


@pytest.mark.e2e
def test_controls_changed_in_turn_leave_the_page_the_stage_and_the_url_agreeing(app_server,
                                                                                 page):
    """A new surface, then more steps, then a typed start: the steps and the start are drawn by
    the stage first and then followed by the page. The surface's own start, set by its
    callback, must survive the changes after it (a widget left showing its old value would
    send it back)."""
    page.goto(app_server.url + "/?surface=ravine&lr=0.038&beta=0.6&steps=100&opt=sgd,momentum")
    wait_for_app(page)
    stage_map(page)
    field = page.locator(".st-key-surface input")
    field.click()
    page.keyboard.type("Bowl")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('surface=bowl')", timeout=30_000)
    wait_for_app(page)
    bowl = mv.get_surface("bowl").start
    steps = page.locator(".st-key-steps input[type=range]")
    steps.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => /steps=[0-9]/.test(location.search)", timeout=30_000)
    wait_for_app(page)
    shown = int(re.search(r"steps=([0-9]+)", page.url).group(1))
    assert shown > 100
    x0 = page.locator(".st-key-x0 input")
    assert float(x0.input_value()) == bowl[0]
    path = plotted(page, "SGD")[1]
    assert list(path[0]) == [bowl[0], bowl[1]] and len(path) == shown + 1
    x0.fill("1")
    x0.press("Enter")
    page.wait_for_function("() => location.search.includes('x0=1')", timeout=30_000)
    wait_for_app(page)
    page.wait_for_function("""() => {
        const t = document.querySelector('.st-key-stage .mvs-map').data
            .find(d => (d.name || '').startsWith('SGD'));
        return t && t.x[0] === 1;
    }""", timeout=30_000)
    path = plotted(page, "SGD")[1]
    assert list(path[0]) == [1.0, bowl[1]] and len(path) == shown + 1
    assert "surface=bowl" in page.url and f"steps={shown}" in page.url
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


@pytest.mark.e2e
@pytest.mark.parametrize("then", ["steps", "x0"])
def test_a_control_changed_right_after_a_new_surface_keeps_both(app_server, page, then):
    """The stage draws a new surface first and the page follows a moment later: a change made
    as soon as the new surface is seen (more steps, or a typed start), while the page follows
    or before, is kept with the surface's own start."""
    page.goto(app_server.url + "/?surface=ravine&lr=0.038&beta=0.6&steps=100&opt=sgd,momentum")
    wait_for_app(page)
    stage_map(page)
    page.locator(".st-key-surface input").click()
    page.keyboard.type("Bowl")
    page.keyboard.press("Enter")
    page.wait_for_function("""() => {
        const t = document.querySelector('.st-key-stage .mvs-map').data
            .find(d => (d.name || '').startsWith('SGD'));
        return t && t.y[0] === 2;
    }""", timeout=30_000)  # the bowl, from its start (the ravine's is at y = −1.6)
    if then == "steps":
        page.locator(".st-key-steps input[type=range]").focus()
        page.keyboard.press("ArrowRight")
        expected = {"x0": "-2.5", "y0": "2"}
    else:
        page.locator(".st-key-x0 input").fill("1")
        page.locator(".st-key-x0 input").press("Enter")
        expected = {"x0": "1", "y0": "2"}
    page.wait_for_function("() => location.search.includes('surface=bowl')"
                           + (" && !location.search.includes('steps=100')" if then == "steps"
                              else " && location.search.includes('x0=1')"), timeout=30_000)
    wait_for_app(page)
    assert mv.get_surface("bowl").start == (-2.5, 2.0)
    for key, value in expected.items():
        assert f"{key}={value}&" in page.url
        assert float(page.locator(f".st-key-{key} input").input_value()) == float(value)
    path = plotted(page, "SGD")[1]
    assert list(path[0]) == [float(expected["x0"]), float(expected["y0"])]
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


def downloaded(app_server, page, button: str, saved: Path) -> Path:
    """The file the download ``button`` gives on the bowl with SGD and momentum × 100 steps,
    saved as ``saved``."""
    page.goto(app_server.url + "/?surface=bowl&lr=0.05&beta=0.8&steps=100&opt=sgd,momentum")
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    download.value.save_as(saved)
    return saved


@pytest.mark.e2e
def test_downloaded_animation_plays_offline(app_server, page, tmp_path):
    saved = downloaded(app_server, page, "Animation (HTML)", tmp_path / "animation.html")
    assert saved.stat().st_size > 1_000_000, "plotly.js is not embedded"

    offline = page.context.new_page()
    offline.set_viewport_size({"width": 1280, "height": 720})
    requested: list[str] = []
    offline.route("**/*", lambda route: (requested.append(route.request.url), route.abort())
                  if not route.request.url.startswith("file://") else route.continue_())
    offline.goto(saved.as_uri())
    offline.wait_for_selector(".js-plotly-plot .imagelayer image", timeout=30_000)
    position = "() => Array.from(document.querySelector('.js-plotly-plot').data" \
               ".find(d => d.name === 'position').x)"
    before = offline.evaluate(position)
    boxes = offline.evaluate("""() => Object.fromEntries(['.xtitle', '.xaxislayer-above',
        '.slider-container', '.updatemenu-container'].map(s => {
            const b = document.querySelector(s).getBoundingClientRect();
            return [s, {top: b.top, bottom: b.bottom}];
        }))""")
    for control in (".slider-container", ".updatemenu-container"):
        assert boxes[control]["top"] >= boxes[".xtitle"]["bottom"], \
            f"{control} covers the x-axis label: {boxes}"
        assert boxes[control]["bottom"] <= 720, f"{control} is below the window: {boxes}"
    screenshot(offline, "exported_animation_1280x720")
    offline.get_by_text("Play").first.click()
    offline.wait_for_timeout(2000)
    assert offline.evaluate(position) != before
    assert not requested, f"the page tried to load {requested}"
    offline.close()


@pytest.mark.e2e
def test_downloaded_gif_shows_the_runs_moving(app_server, page, tmp_path):
    saved = downloaded(app_server, page, "Animation (GIF)", tmp_path / "animation.gif")
    with Image.open(saved) as gif:
        assert gif.format == "GIF" and gif.size == (640, 480)
        assert gif.n_frames == 101  # one frame per step, 0 to 100
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"), dtype=int)
        gif.seek(20)
        later = np.asarray(gif.convert("RGB"), dtype=int)
    assert np.abs(first - later).sum() > 0, "the balls did not move"
