"""ui/plotly_live in a real browser, on "Why momentum works": a new figure is drawn into the
same element (Plotly.react, not a chart built from scratch), a chart out of sight draws its
new figure when it is scrolled to, and the figure drawn is the server's."""

from __future__ import annotations

import pytest

from testkit.browser import wait_for_app
from ui import plotly_live, why

from .conftest import screenshot

CHART = ".st-key-why_components .mvp-plot"

STEPS_JS = """(chart) => {
    const gd = document.querySelector(chart);
    return gd && gd._fullData ? gd._fullData[0].x.length : null;
}"""


def steps_drawn(page) -> int | None:
    """How many points the components chart's first trace has (the run's steps + 1)."""
    return page.evaluate(STEPS_JS, CHART)


def next_steps(page) -> None:
    """One step right on the sidebar's steps slider."""
    page.locator(".st-key-steps input[type=range]").focus()
    page.keyboard.press("ArrowRight")


@pytest.mark.e2e
def test_a_new_figure_is_drawn_in_place_and_a_chart_out_of_sight_waits(app_server, page):
    page.goto(app_server.url + "/why_momentum?kappa=50&lr=0.01&beta=0.5&steps=100")
    wait_for_app(page)
    page.wait_for_selector(f"{CHART} .main-svg", timeout=30_000)
    assert steps_drawn(page) == 101
    figure = plotly_live.figure_of(why.chart("components", 50.0, 0.01, 0.5, 100))
    assert page.evaluate("(c) => document.querySelector(c).layout.height", CHART) == \
        figure["layout"]["height"]
    page.locator(CHART).scroll_into_view_if_needed()
    page.evaluate("(c) => { document.querySelector(c).__kept = true; }", CHART)

    next_steps(page)  # in sight: drawn at once, into the same element
    page.wait_for_function(f"(c) => ({STEPS_JS})(c) !== 101", arg=CHART, timeout=30_000)
    wait_for_app(page)
    steps = page.evaluate("() => +new URLSearchParams(location.search).get('steps')")
    assert steps > 100 and steps_drawn(page) == steps + 1
    assert page.evaluate("(c) => document.querySelector(c).__kept === true", CHART), \
        "the chart was built again for a new figure"

    page.locator(".st-key-why_stage").scroll_into_view_if_needed()  # out of sight: it waits
    page.wait_for_timeout(300)
    next_steps(page)
    page.wait_for_function(f"() => !location.search.includes('steps={steps}')", timeout=30_000)
    wait_for_app(page)
    assert steps_drawn(page) == steps + 1
    page.locator(CHART).scroll_into_view_if_needed()
    page.wait_for_function(f"(c) => ({STEPS_JS})(c) > {steps + 1}", arg=CHART, timeout=30_000)
    assert page.evaluate("(c) => document.querySelector(c).__kept === true", CHART)
    screenshot(page, "why_momentum_components_in_place")
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")], page.errors_seen


@pytest.mark.e2e
def test_charts_are_drawn_again_after_a_visit_to_another_page(app_server, page):
    """A figure is sent once per element: leaving the page and coming back mounts new elements,
    which get their figures again (nothing is left blank), and a rerun that changes none of
    them sends none."""
    sizes: list[int] = []  # the bytes of each message from the server
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: sizes.append(len(f))))
    page.goto(app_server.url + "/why_momentum?kappa=50&lr=0.01&beta=0.5&steps=100")
    wait_for_app(page)
    charts = [f".st-key-why_{name} .mvp-plot" for name in
              ("rate_map", "components", "phase", "envelope", "damping")]
    for chart in charts:
        page.wait_for_selector(f"{chart} .main-svg", timeout=30_000)
    page.locator("[data-testid='stSidebar'] a", has_text="Playground").click()
    wait_for_app(page)
    page.locator("[data-testid='stSidebar'] a", has_text="Why momentum works").click()
    wait_for_app(page)
    for chart in charts:
        page.wait_for_selector(f"{chart} .main-svg", timeout=30_000)
    assert steps_drawn(page) == 101
    sizes.clear()
    page.locator(".st-key-rotation input[type=range]").focus()  # turns the stage's bowl only
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('rotation=')", timeout=30_000)
    wait_for_app(page)
    assert sizes and max(sizes) < 1_000_000  # the stage's data, no 0.6 MB rate map again
    assert sum(sizes) < 1_200_000, sizes
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")], page.errors_seen
