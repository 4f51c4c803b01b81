"""The Playground's stage in a real browser: live scrubbing of β and lr (exact paths while the
button is still down, the value in the URL on release), stepping the animation, and the layout
on a projector and a phone."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from testkit.browser import wait_for_app
from ui import why

from .conftest import screenshot

STAGE = ".st-key-stage"
"""The Playground's stage; the theory page's is ``WHY_STAGE``."""
WHY_STAGE = ".st-key-why_stage"
MAP = f"{STAGE} .mvs-map"
START = (-2.5, -1.6)


def open_stage(page, app_server, query: str, stage: str = STAGE) -> None:
    page.goto(app_server.url + query)
    wait_for_app(page)
    page.wait_for_selector(f"{stage} .mvs-map .main-svg", timeout=30_000)


def plotted(page, name_start: str, stage: str = STAGE) -> tuple[str, np.ndarray]:
    """(trace name, (n, 2) points) of the first map trace whose name starts so."""
    name, x, y = page.evaluate("""([stage, start]) => {
        const t = document.querySelector(`${stage} .mvs-map`).data
            .find(d => (d.name || '').startsWith(start));
        return [t.name, Array.from(t.x), Array.from(t.y)];
    }""", [stage, name_start])
    return name, np.column_stack([x, y]).astype(float)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def drag(page, slider: str, moves: int, positions: int, check, stage: str = STAGE) -> float:
    """Press the mouse on ``slider``'s thumb (in ``stage``), move it ``moves`` times by
    ``positions`` slider positions without releasing, calling ``check(value)`` after each move;
    release; the last value shown."""
    handle = page.locator(f"{stage} {slider} input")
    box = handle.bounding_box()
    top = int(handle.get_attribute("max"))
    at = int(handle.input_value())
    x = box["x"] + 8 + (box["width"] - 16) * at / top
    y = box["y"] + box["height"] / 2
    dx = positions * (box["width"] - 16) / top
    page.mouse.move(x, y)
    page.mouse.down()
    shown = handle.evaluate("el => el.dataset.value")
    for _ in range(moves):
        x += dx
        page.mouse.move(x, y)
        page.wait_for_function(
            "([s, v]) => document.querySelector(s).dataset.value !== v",
            arg=[f"{stage} {slider} input", shown], timeout=5_000)
        shown = handle.evaluate("el => el.dataset.value")
        value = float(shown)
        check(value)
    page.mouse.up()
    return value


@pytest.mark.e2e
def test_dragging_beta_redraws_exact_paths_and_the_release_lands_in_the_url(app_server, page):
    open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200&opt=sgd,momentum")
    surface = mv.get_surface("ravine")
    seen = [plotted(page, "Momentum")[1]]
    url_before = page.url

    def check(beta: float) -> None:
        name, path = plotted(page, "Momentum")
        assert name.startswith(f"Momentum β={beta:g}")
        assert not np.array_equal(path, seen[-1]), f"the path did not change at β={beta}"
        expected = mv.simulate(surface, optimizer="momentum", lr=0.038, beta=beta, start=START,
                               steps=200).path
        assert relative_error(path, expected) <= 1e-9
        assert page.url == url_before, "a value was sent before the button was released"
        seen.append(path)

    beta = drag(page, ".mvs-beta", 6, 3, check)
    assert len(seen) == 7 and beta != 0.6
    page.wait_for_function(f"() => location.search.includes('beta={beta:g}')", timeout=30_000)
    wait_for_app(page)
    name, path = plotted(page, "Momentum")  # the rerun's data: the same exact path
    assert name.startswith(f"Momentum β={beta:g}")
    np.testing.assert_allclose(path, seen[-1], rtol=1e-9, atol=0)
    assert page.locator(".st-key-beta").count() == 0, "a second β control on the Playground"
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


@pytest.mark.e2e
def test_dragging_beta_on_the_theory_page_redraws_the_exact_quadratic_path(app_server, page):
    """Section 1 of "Why momentum works": the stage's β is the page's β (no sidebar slider),
    each path while dragging is the engine's on that quadratic, the release lands in the URL."""
    open_stage(page, app_server, "/why_momentum?kappa=50&rotation=30&lr=0.01&beta=0.5&steps=150",
               WHY_STAGE)
    surface = why.quadratic(50.0, 30)
    seen = [plotted(page, "Momentum", WHY_STAGE)[1]]
    url_before = page.url

    def check(beta: float) -> None:
        name, path = plotted(page, "Momentum", WHY_STAGE)
        assert name.startswith(f"Momentum β={beta:g}")
        assert not np.array_equal(path, seen[-1]), f"the path did not change at β={beta}"
        expected = mv.simulate(surface, optimizer="momentum", lr=0.01, beta=beta,
                               start=surface.start, steps=150).path
        assert relative_error(path, expected) <= 1e-9
        assert page.url == url_before, "a value was sent before the button was released"
        seen.append(path)

    beta = drag(page, ".mvs-beta", 5, 3, check, WHY_STAGE)
    assert len(seen) == 6 and beta != 0.5
    page.wait_for_function(f"() => location.search.includes('beta={beta:g}')", timeout=30_000)
    wait_for_app(page)
    name, path = plotted(page, "Momentum", WHY_STAGE)  # the rerun's data: the same exact path
    assert name.startswith(f"Momentum β={beta:g}")
    np.testing.assert_allclose(path, seen[-1], rtol=1e-9, atol=0)
    assert page.locator(".st-key-beta, .st-key-lr, .st-key-lr_log").count() == 0, \
        "a second β or lr control on the theory page"
    released = page.url
    page.locator(f"{WHY_STAGE} .mvs-map").click(position={"x": 200, "y": 200})
    page.wait_for_timeout(1_000)  # a click would have sent a start by now
    assert page.url == released, "a click moved the theory page's start"
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


@pytest.mark.e2e
def test_dragging_lr_redraws_exact_paths_and_the_release_lands_in_the_url(app_server, page):
    open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200&opt=sgd,momentum")
    surface = mv.get_surface("ravine")
    seen = [plotted(page, "Momentum")[1]]

    def check(lr: float) -> None:
        _, path = plotted(page, "Momentum")
        _, sgd = plotted(page, "SGD")
        assert not np.array_equal(path, seen[-1]), f"the path did not change at lr={lr}"
        for optimizer, got in (("momentum", path), ("sgd", sgd)):
            expected = mv.simulate(surface, optimizer=optimizer, lr=lr, beta=0.6, start=START,
                                   steps=200).path[: len(got)]
            assert relative_error(got, expected) <= 1e-9
        seen.append(path)

    lr = drag(page, ".mvs-lr", 5, -2, check)
    assert len(seen) == 6 and lr < 0.038
    page.wait_for_function(f"() => location.search.includes('lr={lr:.10g}')", timeout=30_000)
    wait_for_app(page)
    assert page.locator(".st-key-lr, .st-key-lr_log").count() == 0, \
        "a second lr control on the Playground"
    # the released lr is the centre of the next drag's decade either side: past the first one
    lowest = drag(page, ".mvs-lr", 2, -10, check)
    assert lowest < 0.038 / 10
    page.wait_for_function(f"() => location.search.includes('lr={lowest:.10g}')",
                           timeout=30_000)


@pytest.mark.e2e
def test_stepping_visits_every_step_and_the_loss_marker_follows(app_server, page):
    open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200&opt=sgd,momentum")
    run = mv.simulate(mv.get_surface("ravine"), optimizer="momentum", lr=0.038, beta=0.6,
                      start=START, steps=200)
    state = """() => {
        const root = document.querySelector('.st-key-stage');
        const map = root.querySelector('.mvs-map').data;
        const loss = root.querySelector('.mvs-loss').data;
        const balls = map.find(t => t.name === 'position');
        const marker = loss.find(t => t.name === 'now');
        return {step: +root.querySelector('.mvs').dataset.step,
                ball: [balls.x[1], balls.y[1]], marker: Array.from(marker.x),
                scrub: +root.querySelector('.mvs-scrub').value,
                readout: root.querySelector('.mvs-now').textContent};
    }"""
    assert page.evaluate(state)["step"] == 0
    page.locator(".st-key-stage .mvs-fwd").click()
    page.locator(".st-key-stage .mvs-map").click(position={"x": 5, "y": 5})  # focus, no start
    page.locator(".st-key-stage .mvs").focus()
    visited = [0]
    for k in range(1, 201):
        if k > 1:
            page.keyboard.press("ArrowRight")
        now = page.evaluate(state)
        assert now["step"] == k and now["scrub"] == k and f"step {k} of 200" in now["readout"]
        assert now["marker"] == [k, k], "the loss marker is not at the current step"
        np.testing.assert_allclose(now["ball"], run.path[k], rtol=1e-9)
        visited.append(now["step"])
    assert visited == list(range(201))
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(state)["step"] == 199
    page.keyboard.press("Home")  # not bound: nothing happens
    page.locator(".st-key-stage .mvs-back").click()
    assert page.evaluate(state)["step"] == 198
    page.keyboard.press(" ")
    page.wait_for_timeout(600)
    assert page.evaluate(state)["step"] == 200, "space did not play to the end"
    assert "beta" not in page.url or "beta=0.6" in page.url


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.mark.e2e
@pytest.mark.parametrize("size", [(1280, 720), (390, 844)], ids=["projector", "phone"])
def test_layout_map_in_view_on_load(app_server, browser, size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=1)
    page = context.new_page()
    page.errors_seen = []
    try:
        # the README's classroom link: the ravine lesson
        open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200"
                                     "&opt=sgd,momentum,nesterov")
        page.wait_for_timeout(500)
        page.screenshot(path=str(screenshot(page, f"stage_{width}x{height}").parent
                                 / f"stage_{width}x{height}_viewport.png"))
        plot = _box(page, f"{MAP} .nsewdrag")
        bar = _box(page, ".st-key-stage .mvs-cbar")
        play = _box(page, ".st-key-stage .mvs-play")
        if width >= 1000:
            assert plot["height"] >= 400
            assert plot["y"] >= 0 and plot["y"] + plot["height"] <= height
            assert play["y"] + play["height"] <= height
        else:
            assert plot["width"] >= 0.7 * width, "the map does not span the phone's width"
            assert plot["y"] < height, "the map does not start on the first screen"
        assert bar["x"] >= 0 and bar["x"] + bar["width"] <= width, "the colour bar is cut off"
        for name in page.locator(".st-key-stage .mvs-name").all():
            b = name.bounding_box()
            assert b["x"] + b["width"] <= width + 1, "a run's label is cut off"
    finally:
        context.close()


@pytest.mark.e2e
def test_a_diverging_run_is_drawn_up_to_where_it_leaves_the_map(app_server, page):
    open_stage(page, app_server, "/?lesson=divergence")
    name, sgd = plotted(page, "SGD")
    assert name == "SGD (diverged at step 52)"
    run = mv.simulate(mv.get_surface("ravine"), optimizer="sgd", lr=0.044, start=(-2.0, -2.1),
                      steps=200)
    (x0, x1), (y0, y1) = mv.get_surface("ravine").domain
    on_map = (run.path[:, 0] >= x0) & (run.path[:, 0] <= x1) & (run.path[:, 1] >= y0) \
        & (run.path[:, 1] <= y1)
    leaves = int(np.argmin(on_map))
    assert len(sgd) == leaves and relative_error(sgd, run.path[:leaves]) < 1e-9
    marks = page.evaluate("""() => document.querySelector('.st-key-stage .mvs-map').data
        .filter(d => d.text).map(d => d.text[0])""")
    assert f"left the map after step {leaves - 1},<br>diverged at step {run.diverged_at}" in marks
    screenshot(page, "stage-divergence")
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]
