"""The Playground's stage in a real browser: live scrubbing of β and lr (exact paths while the
button is still down, the value in the URL on release), stepping the animation, and the layout
on a projector and a phone."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from testkit.browser import settled, wait_for_app
from ui import why
from ui.lessons import LESSONS

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
def test_a_key_on_beta_sends_the_value_before_the_map_redraws(app_server, page):
    """An arrow key on the stage's β slider fires its input and its change together: the value
    goes to the server first (the page's run starts), and the map then shows the new exact
    path and the rerun lands it in the URL."""
    open_stage(page, app_server, "/why_momentum?kappa=50&lr=0.01&beta=0.5&steps=150", WHY_STAGE)
    page.evaluate("""(stage) => {
        const seen = window.__order = [];
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
            seen.push("sent");
            return send.call(this, data);
        };
        const map = document.querySelector(`${stage} .mvs-map`);
        map.on("plotly_afterplot", () => seen.push("drawn"));
    }""", WHY_STAGE)
    page.locator(f"{WHY_STAGE} .mvs-beta input").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__order.includes('drawn')", timeout=30_000)
    order = page.evaluate("() => window.__order")
    assert order.index("sent") < order.index("drawn"), order
    name, path = plotted(page, "Momentum", WHY_STAGE)
    beta = float(page.locator(f"{WHY_STAGE} .mvs-beta input").evaluate("el => el.dataset.value"))
    assert beta > 0.5 and name.startswith(f"Momentum β={beta:g}")
    surface = why.quadratic(50.0, 0)
    expected = mv.simulate(surface, optimizer="momentum", lr=0.01, beta=beta,
                           start=surface.start, steps=150).path
    assert relative_error(path, expected) <= 1e-9
    page.wait_for_function(f"() => location.search.includes('beta={beta:g}')", timeout=30_000)


@pytest.mark.e2e
def test_a_key_on_beta_writes_the_new_value_before_the_redraw(app_server, page):
    """The β a key moves the slider to is written beside it (and in its data-value) in the
    same task as the key's input event, though the paths are redrawn in the next one."""
    open_stage(page, app_server, "/?surface=ravine&beta=0.6&steps=100")
    before, shown = page.evaluate("""(stage) => {
        const input = document.querySelector(`${stage} .mvs-beta input`);
        const before = +input.dataset.value;
        input.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));
        input.value = +input.value + 1;
        input.dispatchEvent(new Event("input"));
        const label = document.querySelector(`${stage} .mvs-beta .mvs-val`).textContent;
        return [before, [+input.dataset.value, label]];
    }""", STAGE)
    assert before == 0.6 and shown == [0.61, "0.61"], shown
    page.wait_for_function(f"""() => document.querySelector('{MAP}').data
        .some(t => (t.name || '').startsWith('Momentum β=0.61'))""", timeout=30_000)


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
        now = settled(page, state, lambda now, k=k: now["step"] == k and np.allclose(
            now["ball"], run.path[k], rtol=1e-9, atol=0) and now["marker"] == [k, k])
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


_PILL_TITLES_JS = """() => [...document.querySelectorAll('.st-key-lesson_pick button')].map((b) => {
  const p = b.querySelector('p');
  return {text: b.textContent, right: b.getBoundingClientRect().right,
          cut: p.scrollWidth > p.clientWidth + 1 || p.scrollHeight > p.clientHeight + 1};
})"""


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
        titles = page.evaluate(_PILL_TITLES_JS)
        assert [t["text"] for t in titles] == [lesson.title for lesson in LESSONS]
        assert not [t for t in titles if t["cut"] or t["right"] > width + 1], "a title is cut off"
    finally:
        context.close()


@pytest.mark.e2e
def test_new_paths_while_the_animation_plays_are_drawn(app_server, page):
    """A key on β while the balls move: each new path is drawn, and is the engine's at the β
    shown."""
    open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200&opt=sgd,momentum")
    surface = mv.get_surface("ravine")
    page.locator(f"{STAGE} .mvs-speed").select_option("0.5")  # 16 s to play: still playing
    page.locator(f"{STAGE} .mvs-play").click()                 # after six slow redraws
    slider = page.locator(f"{STAGE} .mvs-beta input")
    for _ in range(6):
        slider.focus()
        page.keyboard.press("ArrowRight")
        beta = float(slider.evaluate("el => el.dataset.value"))
        page.wait_for_function(
            "(name) => document.querySelector('.st-key-stage .mvs-map').data"
            ".some((d) => d.name === name)", arg=f"Momentum β={beta:g}", timeout=5_000)
        page.wait_for_timeout(400)  # several moves of the balls (12.5 a second) after it
        name, path = plotted(page, "Momentum")
        assert name == f"Momentum β={beta:g}"
        expected = mv.simulate(surface, optimizer="momentum", lr=0.038, beta=beta, start=START,
                               steps=200).path
        assert relative_error(path, expected) <= 1e-9
    assert page.locator(f"{STAGE} .mvs-play").get_attribute("aria-label") == "Pause"
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


DRAWN_JS = """(map) => ({
    traces: Array.from(document.querySelectorAll(`${map} .scatterlayer .trace`))
        .map((g) => [g.__data__[0].trace.name,
                     Array.from(g.querySelectorAll("path.js-line"), (p) => p.getAttribute("d")),
                     Array.from(g.querySelectorAll(".point"), (p) => p.getAttribute("transform"))]),
    dots: document.querySelector(`${map} canvas.mvs-dots`).toDataURL()})"""
"""What the map shows: per drawn trace, its name, its lines' SVG paths and its markers' places;
and the step dots' canvas."""


def _at_frame(page, frame: int) -> None:
    """Pause the stage's animation and show frame ``frame``."""
    if page.locator(f"{STAGE} .mvs-play").get_attribute("aria-label") == "Pause":
        page.locator(f"{STAGE} .mvs-play").click()
    page.locator(f"{STAGE} .mvs-scrub").evaluate(
        "(el, f) => { el.value = f; el.dispatchEvent(new Event('input')); }", frame)
    page.wait_for_function("([s, f]) => document.querySelector(s).dataset.step == f",
                           arg=[f"{STAGE} .mvs", frame], timeout=5_000)
    page.wait_for_timeout(100)  # the balls' move is drawn at the next frame


@pytest.mark.e2e
def test_paths_moved_without_a_redraw_are_drawn_as_a_fresh_page_draws_them(app_server, page,
                                                                           browser):
    """A new step count (while the balls move) and a new start change only the paths' points:
    the stage moves them (Plotly.animate) instead of redrawing the map, and the map then shows
    exactly what a fresh page at the new URL draws."""
    open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200&opt=sgd,momentum")
    steps = page.locator(".st-key-steps input[type=range]")
    steps.focus()  # a first change (200 → 250 steps), drawn once the page around the stage
    page.keyboard.press("ArrowRight")  # has settled
    page.wait_for_function("() => location.search.includes('steps=250')", timeout=30_000)
    wait_for_app(page)
    page.evaluate("""(map) => {
        const gd = document.querySelector(map);
        window.__redraws = 0;
        gd.on("plotly_afterplot", () => { window.__redraws += 1; });
    }""", MAP)
    page.locator(f"{STAGE} .mvs-speed").select_option("0.5")
    page.locator(f"{STAGE} .mvs-play").click()
    steps.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("(s) => /\\/ 200$/.test(document.querySelector(s).textContent)",
                           arg=f"{STAGE} .mvs-step", timeout=30_000)
    wait_for_app(page)
    page.locator(".st-key-x0 input").fill("-2.3")
    page.locator(".st-key-x0 input").press("Enter")
    page.wait_for_function("() => location.search.includes('x0=-2.3')", timeout=30_000)
    wait_for_app(page)
    page.wait_for_function(f"() => document.querySelector('{STAGE} .mvs').dataset.families"
                           " === 'ready'", timeout=30_000)
    assert page.evaluate("() => window.__redraws") == 0  # moved, not redrawn
    _at_frame(page, 37)
    moved = page.evaluate(DRAWN_JS, MAP)
    context = browser.new_context(viewport=page.viewport_size)
    try:
        fresh = context.new_page()
        open_stage(fresh, app_server, page.url.removeprefix(app_server.url))
        _at_frame(fresh, 37)
        assert moved == fresh.evaluate(DRAWN_JS, MAP)
    finally:
        context.close()
    assert any(name.startswith("Momentum") and lines for name, lines, _ in moved["traces"])
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


TOUCHES_JS = """([map, loss]) => {
    const stage = document.querySelector(map).closest(".mvs");
    const log = window.__touches = {calls: [], tokens: []};
    new MutationObserver(() => log.tokens.push(performance.now()))
        .observe(stage, {attributes: true, attributeFilter: ["data-token"]});
    for (const fn of ["react", "animate", "restyle", "relayout"]) {
        const original = window.Plotly[fn];
        window.Plotly[fn] = function (gd, ...rest) {
            const which = gd === document.querySelector(map) ? "map"
                : gd === document.querySelector(loss) ? "loss" : null;
            if (which) log.calls.push([performance.now(), fn, which]);
            return original.call(this, gd, ...rest);
        };
    }
}"""
"""Record every plotly.js call on the stage's map and loss chart, and when new data came."""


PLOTTED_JS = f"""() => ["mvs-map", "mvs-loss"].map((chart) => Array.from(
    document.querySelector(`{STAGE} .${{chart}}`).data,
    (t) => [t.name, Array.from(t.x || [], String), Array.from(t.y || [], String)]))"""
"""Every trace of the map and the loss chart: its name and points (as text: NaN and null stay
apart). Points, not pixels: after a drag the loss chart's y range spans the whole family, on a
fresh page the released run."""


@pytest.mark.e2e
def test_a_released_beta_leaves_what_the_drag_drew_untouched(app_server, page, browser):
    """The rerun's data after a released β has the paths the drag drew: the stage does not
    draw or move anything on the map or the loss chart again (the balls, the arrows and the
    loss markers are where they are), and both plot what a fresh page at the new URL plots."""
    open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200&opt=sgd,momentum")
    _at_frame(page, 37)
    page.evaluate(TOUCHES_JS, [MAP, f"{STAGE} .mvs-loss"])
    beta = drag(page, ".mvs-beta", 2, 3, lambda value: None)
    page.wait_for_function(f"() => location.search.includes('beta={beta:g}')", timeout=30_000)
    wait_for_app(page)
    touches = page.evaluate("() => window.__touches")
    assert touches["tokens"], "no new data came after the release"
    after = [call for call in touches["calls"] if call[0] > touches["tokens"][0]]
    assert touches["calls"] and not after, after
    shown = page.evaluate(PLOTTED_JS)
    context = browser.new_context(viewport=page.viewport_size)
    try:
        fresh = context.new_page()
        open_stage(fresh, app_server, page.url.removeprefix(app_server.url))
        _at_frame(fresh, 37)
        assert shown == fresh.evaluate(PLOTTED_JS)
    finally:
        context.close()
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


MAP_HEIGHT_JS = f"() => document.querySelector('{MAP}').getBoundingClientRect().height"


def _laid_out_again(page) -> float:
    """Narrow the 1280×720 window by 10 px and widen it back, each a new layout of the stage
    (300 ms for each to be drawn); the map's height then."""
    for width in (1270, 1280):
        page.set_viewport_size({"width": width, "height": 720})
        page.wait_for_timeout(300)
    return page.evaluate(MAP_HEIGHT_JS)


@pytest.mark.e2e
def test_the_map_is_as_tall_as_its_place_in_the_page_allows_wherever_it_was_laid_out(
        app_server, page):
    """The map is as tall as the window below its top with the page scrolled to the top, on a
    projector: laid out again while the page is scrolled down it keeps that height (it took
    the screen's height below a top scrolled out of sight), and a row above it that grows or
    shrinks back resizes it (the room measured before such a row settled was kept)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200&opt=sgd,momentum")
    page.wait_for_timeout(500)
    height = page.evaluate(MAP_HEIGHT_JS)
    main = "[data-testid='stMain']"
    page.evaluate(f"() => document.querySelector(\"{main}\").scrollTo(0, 400)")
    assert _laid_out_again(page) == height
    page.evaluate(f"() => document.querySelector(\"{main}\").scrollTo(0, 0)")
    page.evaluate("""(stage) => {  // a row above the stage, 40 px tall for a moment
        const row = document.createElement("div");
        row.id = "taller-for-a-moment";
        row.style.height = "40px";
        const place = document.querySelector(stage).closest("[data-testid='stElementContainer']");
        place.parentElement.insertBefore(row, place);
    }""", STAGE)
    page.wait_for_function(f"(h) => Math.abs(({MAP_HEIGHT_JS})() - h) <= 1", arg=height - 40,
                           timeout=5_000)  # its top moved: ±1 px, a fraction of a px above
    page.evaluate("() => document.getElementById('taller-for-a-moment').remove()")
    page.wait_for_function(f"(h) => ({MAP_HEIGHT_JS})() === h", arg=height, timeout=5_000)
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


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


def _panel(page) -> dict:
    """What "This step in numbers" shows: the step, the run picked, the given values and the
    written-out lines (as text)."""
    return page.evaluate("""() => {
        const w = document.querySelector('.st-key-stage .mvs-work');
        const pick = w.querySelector('.mvs-work-pick');
        return {step: +w.dataset.step, run: pick.options[pick.selectedIndex].text,
                given: Array.from(w.querySelectorAll('.mvs-work-given span')).map(s => s.innerText),
                lines: Array.from(w.querySelectorAll('.mvs-work-line')).map(s => s.innerText),
                note: Array.from(w.querySelectorAll('.mvs-work-note')).map(s => s.innerText)};
    }""")


def _pick(page, label: str, lines: int) -> None:
    """Pick a run in the panel and wait for its numbers (a rerun works them out)."""
    page.locator(f"{STAGE} .mvs-work-pick").select_option(label=label)
    page.wait_for_function(f"""() => document.querySelectorAll(
        '{STAGE} .mvs-work-line').length === {lines}""", timeout=30_000)
    assert _panel(page)["run"] == label


def _vector(text: str) -> np.ndarray:
    return np.array([float(p.replace("−", "-")) for p in text.strip("()").split(", ")])


def _rounds_to(shown: np.ndarray, exact: np.ndarray) -> bool:
    """Whether each shown number is the exact one to (at least) 4 significant digits."""
    unit = 10.0 ** (np.floor(np.log10(np.abs(exact))) - 3)
    return bool(np.all(np.abs(shown - exact) <= unit / 2 * (1 + 1e-9)))


@pytest.mark.e2e
def test_this_step_in_numbers_follows_the_steps_and_the_picked_run(app_server, page):
    from momentum_viz.worked import worked_step
    open_stage(page, app_server, "/?surface=ravine&lr=0.038&beta=0.6&steps=200"
                                 "&opt=sgd,momentum,adam&adam_lr=0.1")
    ravine = mv.get_surface("ravine")
    runs = {name: mv.simulate_many(ravine, [mv.RunSpec(name, lr, 0.6)], start=START, steps=200,
                                   states=True)[0]
            for name, lr in (("sgd", 0.038), ("momentum", 0.038), ("adam", 0.1))}
    panel = _panel(page)
    assert panel["step"] == 0 and panel["run"] == "choose a run" and not panel["lines"]
    assert panel["note"] == ["Choose a run to see θ, ∇f, its state and its update rule with "
                             "the numbers of each step."]
    _pick(page, "Momentum β=0.6", 2)  # worked out on request, for that run
    for _ in range(3):
        page.locator(f"{STAGE} .mvs-fwd").click()
    panel = _panel(page)
    momentum, k = runs["momentum"], 3
    assert panel["step"] == k
    # the run's own numbers (simulate's recorded θ, ∇f, v) …
    given = dict(item.split(" = ", 1) for item in panel["given"])
    assert _rounds_to(_vector(given["θₖ"]), momentum.path[k])
    assert _rounds_to(_vector(given["∇f(θₖ)"]), momentum.grad[k])
    assert _rounds_to(_vector(given["vₖ"]), momentum.velocity[k])
    velocity, position = panel["lines"]
    assert velocity.startswith("v ← β·v + g = 0.6·") and position.startswith("θ ← θ − lr·v = ")
    assert _rounds_to(_vector(velocity.rsplit(" = ", 1)[1]), momentum.velocity[k + 1])
    assert _rounds_to(_vector(position.rsplit(" = ", 1)[1]), momentum.path[k + 1])
    # … exactly as momentum_viz.worked writes them
    expected = worked_step(momentum, k)
    assert panel["given"] == [f"{name} = {value}" for name, value in expected.given]
    assert panel["lines"] == [line.line for line in expected.lines]
    # another run, another step: Adam's m and s, its bias corrections, t
    _pick(page, "Adam β=0.6", 3)
    assert _panel(page)["step"] == 3, "the pick moved the animation"
    page.locator(f"{STAGE} .mvs-fwd").click()
    page.locator(f"{STAGE} .mvs-fwd").click()
    panel, adam = _panel(page), runs["adam"]
    assert panel["step"] == 5 and panel["run"] == "Adam β=0.6"
    expected = worked_step(adam, 5)
    assert panel["lines"] == [line.line for line in expected.lines]
    assert [line.split(" ← ")[0] for line in panel["lines"]] == ["m", "s", "θ"]
    assert _rounds_to(_vector(panel["lines"][0].rsplit(" = ", 1)[1]), adam.velocity[6])
    assert _rounds_to(_vector(panel["lines"][2].rsplit(" = ", 1)[1]), adam.path[6])
    assert panel["given"][-1] == "t = k + 1 = 6"
    page.locator(f"{STAGE} .mvs-back").click()
    assert _panel(page)["step"] == 4
    assert _panel(page)["lines"] == [line.line for line in worked_step(adam, 4).lines]
    # while β is dragged away from the released value the panel says so; after the release
    # it shows the new run's numbers
    _pick(page, "Momentum β=0.6", 2)
    seen = []

    def check(value):
        seen.append(_panel(page)["note"])
    beta = drag(page, ".mvs-beta", 2, 5, check)
    assert all(n and "release the slider" in n[0] for n in seen)
    page.wait_for_function(f"() => location.search.includes('beta={beta:g}')", timeout=30_000)
    wait_for_app(page)
    page.wait_for_function("() => document.querySelectorAll("
                           "'.st-key-stage .mvs-work-line').length === 2", timeout=30_000)
    released = mv.simulate_many(ravine, [mv.RunSpec("momentum", 0.038, beta)], start=START,
                                steps=200, states=True)[0]
    panel = _panel(page)
    assert panel["run"] == f"Momentum β={beta:g}"
    assert panel["lines"] == [line.line for line in worked_step(released, panel["step"]).lines]
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]
