"""The Tuning lab and "Why momentum works" in a real browser, each opened by its own URL path on a
freshly started server (as a shared link is): the map is mv.sweep's, a click on a cell sets lr
and β and the link opens the Playground with them, dragging the map's β or lr says at every
position what the engine's run there does; the theory page's optimal button works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from lab_spec import said_by_the_engine

import momentum_viz as mv
from testkit.browser import start_server, stop, wait_for_app

from .conftest import (
    ARTIFACTS_DIR,
    REPO_ROOT,
    AppServer,
    plotly_figure,
    screenshot,
)
from .test_stage_browser import START, drag

PAGES = ["Playground", "Tuning lab", "Why momentum works"]


@pytest.fixture
def fresh_server() -> Iterator[AppServer]:
    """A server no browser has visited yet: the first request is the page's own URL."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    proc, server = start_server(Path(REPO_ROOT), ARTIFACTS_DIR / "streamlit-server-fresh.log")
    try:
        yield server
    finally:
        stop(proc)


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def check_navigation(page, title: str) -> None:
    """The app's own navigation ran (not Streamlit's pages/ folder listing): the sidebar has a
    link per page, in order, and the one to ``title``'s page points here (the Playground has
    no heading: its stage starts at the top)."""
    assert page.locator("[data-testid='stSidebarNav']").count() == 0, "pages/ listing shown"
    links = page.locator("[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink']")
    titles = [links.nth(i).inner_text().split("\n")[-1].strip() for i in range(links.count())]
    assert titles == list(PAGES), titles
    here = links.nth(list(PAGES).index(title)).get_attribute("href")
    assert urlparse(here).path.strip("/") == urlparse(page.url).path.strip("/")


def no_page_errors(page) -> None:
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")], page.errors_seen


@pytest.mark.e2e
def test_tuning_lab_map_click_and_playground_link(fresh_server, page):
    page.goto(fresh_server.url + "/tuning_lab?surface=booth&map_grid=40&map_steps=300")
    wait_for_app(page, timeout=90_000)
    check_navigation(page, "Tuning lab")
    figure = plotly_figure(page, 0)
    cells = next(t["meta"] for t in figure["data"] if t.get("meta"))  # what a click reads
    lrs, betas = np.array(cells["lrs"]), np.array(cells["betas"])
    assert len(lrs) == len(betas) == 40
    sweep = mv.sweep(mv.get_surface("booth"), optimizer="momentum", lrs=lrs, betas=betas,
                     start=(-8.0, -7.0), steps=300)
    steps = next(t for t in figure["data"] if t.get("name") == "steps")
    shown = np.array(steps["z"], dtype=float)  # NaN arrives as None
    np.testing.assert_array_equal(
        shown, np.where(sweep.steps_to_converge >= 0, sweep.steps_to_converge, np.nan))
    screenshot(page, "tuning_lab")

    box = page.locator(".st-key-lab_map .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.5 * box["height"])
    page.wait_for_timeout(300)
    page.mouse.click(box["x"] + 0.6 * box["width"], box["y"] + 0.5 * box["height"])
    page.wait_for_selector("[data-testid='stAlert']", timeout=30_000)
    wait_for_app(page, timeout=60_000)
    lr, beta = float(query(page)["lr"]), float(query(page)["beta"])
    assert any(lr == float(f"{c:.4g}") for c in lrs), lr
    assert any(beta == round(float(b), 3) for b in betas), beta
    alert = page.locator("[data-testid='stAlert']").first.inner_text()
    assert (f"The Playground now replays this cell's run. Changed: lr 0.05 → {lr:g}; β 0.8 → "
            f"{beta:g}; steps 200 → 300 (the map's steps per run).") in alert
    screenshot(page, "tuning_lab_after_click")

    page.get_by_text("Open in the Playground").click()
    page.wait_for_function("() => !location.pathname.includes('tuning_lab')", timeout=30_000)
    wait_for_app(page, timeout=60_000)
    check_navigation(page, "Playground")
    assert float(query(page)["lr"]) == lr and query(page)["surface"] == "booth"
    shown = page.locator(".st-key-stage .mvs-lr input").evaluate("el => el.dataset.value")
    assert float(shown) == lr  # the stage's lr slider: the Playground's only lr control
    no_page_errors(page)


@pytest.mark.e2e
def test_why_momentum_charts_and_optimal_button(fresh_server, page):
    page.goto(fresh_server.url + "/why_momentum?kappa=100&lr=0.01&beta=0.5")
    wait_for_app(page, timeout=90_000)
    check_navigation(page, "Why momentum works")
    # the stage's map and loss chart, then the five charts of sections 2 to 5
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7",
                           timeout=30_000)
    rate_map = plotly_figure(page, 2)
    assert any(t.get("name") == "rate" and t["type"] == "heatmap" for t in rate_map["data"])
    page.get_by_role("button", name="Use optimal parameters").click()
    page.wait_for_function("() => !location.search.includes('lr=0.01&')", timeout=30_000)
    wait_for_app(page, timeout=60_000)
    assert float(query(page)["lr"]) == pytest.approx((2 / 11) ** 2, rel=1e-9)
    assert float(query(page)["beta"]) == pytest.approx((9 / 11) ** 2, rel=1e-9)
    assert "rate √β* = 0.818182" in page.locator("[data-testid='stAlert']").first.inner_text()
    screenshot(page, "why_momentum")
    no_page_errors(page)


LAB_MAP = ".st-key-lab_map"


def said(page) -> str:
    """The sentence under the lab map's sliders, without its "Your setting (○):" label."""
    return page.locator(f"{LAB_MAP} .mvl-said span").inner_text()


def ring(page) -> tuple[str, float, float]:
    """The (lr, β) the ring of the lab map marks, and its place in pixels."""
    return page.evaluate("""(root) => {
        const r = document.querySelector(root + ' .mvl-mine');
        return [document.querySelector(root + ' .mvl').dataset.mine,
                parseFloat(r.style.left), parseFloat(r.style.top)];
    }""", LAB_MAP)


@pytest.mark.e2e
@pytest.mark.parametrize(("slider", "name"), [(".mvl-beta", "beta"), (".mvl-lr", "lr")])
def test_dragging_the_lab_maps_beta_and_lr_moves_the_ring_and_tells_the_engines_run(
        app_server, page, slider, name):
    """While the mouse button is down every position shows what ``mv.simulate`` does there and
    moves the ring over the map, with nothing sent; the release lands in the URL."""
    page.goto(app_server.url + "/tuning_lab?surface=ravine&lr=0.038&beta=0.6&map_grid=30"
                               "&map_steps=300")
    wait_for_app(page)
    page.wait_for_selector(f"{LAB_MAP} .mvl-map .main-svg", timeout=30_000)
    url_before, seen = page.url, [(said(page), ring(page))]
    assert seen[0][0] == said_by_the_engine("ravine", 0.038, 0.6, START, 300, True)

    def check(value: float) -> None:
        lr, beta = (0.038, value) if name == "beta" else (value, 0.6)
        sentence, (mine, *place) = said(page), ring(page)
        inside = 0.0004 * (1 - 1e-12) <= lr <= 0.16 * (1 + 1e-12) and beta <= 0.99
        assert sentence == said_by_the_engine("ravine", lr, beta, START, 300, inside)
        assert mine == f"{lr},{beta}" or [float(v) for v in mine.split(",")] == [lr, beta]
        assert place != list(seen[-1][1][1:]), f"the ring did not move at {name}={value}"
        assert page.url == url_before, "a value was sent before the button was released"
        seen.append((sentence, ring(page)))

    value = drag(page, slider, 6, -3 if name == "beta" else -2, check, LAB_MAP)
    assert len(seen) == 7
    page.wait_for_function(f"() => location.search.includes('{name}={value:g}')", timeout=30_000)
    wait_for_app(page)
    assert said(page) == seen[-1][0]  # the rerun's own sentence at the released value
    # every link follows the release: the sidebar's page links and "Open in the Playground",
    # then the share box's link once opened
    hrefs = page.locator("a[data-testid='stPageLink-NavLink']").evaluate_all(
        "links => links.map((a) => a.href)")
    assert len(hrefs) == len(PAGES) + 1
    assert all(parse_qs(urlparse(h).query)[name] == [f"{value:g}"] for h in hrefs), hrefs
    page.get_by_text("Share this view").click()
    shared = page.locator(".st-key-share_box [data-testid='stCode'] code")
    shared.first.wait_for(timeout=30_000)  # the link, then the same view as a quiz
    links = [text.strip() for text in shared.all_inner_texts()]
    assert len(links) == 2
    assert all(parse_qs(urlparse(link).query)[name] == [f"{value:g}"] for link in links), links
    screenshot(page, f"tuning_lab_after_{name}_drag")
    no_page_errors(page)


@pytest.mark.e2e
def test_a_released_lr_or_beta_reruns_only_what_shows_them(app_server, page):
    """The map and all that shows lr and β are one fragment (``ui.lab_map.follow``): a value
    released on the map's slider brings far fewer messages than a rerun of the whole page
    (a new start, here), and the URL takes the value."""
    frames: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda _: frames.append(1)))
    page.goto(app_server.url + "/tuning_lab?surface=ravine&lr=0.038&beta=0.6&map_grid=30"
                               "&map_steps=300")
    wait_for_app(page)
    page.wait_for_selector(f"{LAB_MAP} .mvl-map .main-svg", timeout=30_000)

    def messages(change, done: str) -> int:
        page.wait_for_timeout(500)  # nothing still arriving from the last change
        before = len(frames)
        change()
        page.wait_for_function(f"() => location.search.includes('{done}')", timeout=30_000)
        wait_for_app(page)
        return len(frames) - before

    def start() -> None:
        page.locator(".st-key-x0 input").fill("-2.4")
        page.locator(".st-key-x0 input").press("Enter")

    def beta() -> None:
        page.locator(f"{LAB_MAP} .mvl-beta input").focus()
        page.keyboard.press("ArrowRight")

    whole = messages(start, "x0=-2.4")
    released = messages(beta, "beta=0.61")
    assert released * 2 < whole, (released, whole)
    no_page_errors(page)


def live_ring(page, where: str) -> tuple[str, float, float]:
    """The (lr, β) the ring over the chart ``where`` (``ui.plotly_live``) marks, and its place
    in pixels."""
    return page.evaluate("""(root) => {
        const r = document.querySelector(root + ' .mvp-ring');
        return [document.querySelector(root + ' .mvp').dataset.at,
                parseFloat(r.style.left), parseFloat(r.style.top)];
    }""", where)


def your_beta(page, where: str) -> tuple[float, str]:
    """Where the damping chart ``where`` draws "your β" (the line laid over it) and its label."""
    x, text = page.evaluate("""(root) => [
        document.querySelector(root + ' .mvp').dataset.at,
        document.querySelector(root + ' .mvp-note').textContent]""", where)
    return float(x), text


@pytest.mark.e2e
def test_the_rate_map_and_damping_chart_follow_the_stages_beta_while_dragged(app_server,
                                                                              page):
    """Why momentum works: dragging the stage's β moves the rate map's ring to (lr, β) under
    the pointer at every step, and section 5's "your β" line with it, without redrawing either
    chart; on release both stay as drawn."""
    page.goto(app_server.url + "/why_momentum?kappa=50&lr=0.01&beta=0.5&steps=100")
    wait_for_app(page)
    rate_map = ".st-key-why_rate_map"
    page.wait_for_selector(f"{rate_map} .mvp-plot .main-svg", timeout=30_000)
    page.wait_for_selector(".st-key-why_stage .mvs-map .main-svg", timeout=30_000)
    page.wait_for_selector(".st-key-why_damping .mvp-plot .main-svg", timeout=30_000)
    page.evaluate("(s) => { document.querySelector(s + ' .mvp-plot').__kept = true; }", rate_map)
    seen = [live_ring(page, rate_map)]
    assert seen[0][0] == "0.01,0.5"

    damping = ".st-key-why_damping"
    page.evaluate("(s) => { document.querySelector(s + ' .mvp-plot').__kept = true; }", damping)

    def check(beta: float) -> None:
        mine, *place = live_ring(page, rate_map)
        assert [float(v) for v in mine.split(",")] == [0.01, beta]
        assert place != list(seen[-1][1:]), f"the ring did not move at β={beta}"
        seen.append((mine, *place))
        assert your_beta(page, damping) == (beta, f"your β = {beta:.3f}")


    beta = drag(page, ".mvs-beta", 5, 4, check, ".st-key-why_stage")
    assert len(seen) == 6
    page.wait_for_function(f"() => location.search.includes('beta={beta:g}')", timeout=30_000)
    wait_for_app(page)
    assert live_ring(page, rate_map)[0] == f"0.01,{beta:g}"
    for chart in (rate_map, damping):
        assert page.evaluate("(s) => document.querySelector(s + ' .mvp-plot').__kept === true",
                             chart), f"{chart} was drawn again for a new β"
    assert your_beta(page, damping) == (beta, f"your β = {beta:.3f}")
    no_page_errors(page)
