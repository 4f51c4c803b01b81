"""The Playground in a real browser: a shared URL, the plotted path, Play, and the keyboard."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from testkit.browser import wait_for_app

from .conftest import plotly_figure, screenshot

SHARED = "/?surface=rosenbrock&lr=0.0005&beta=0.85&steps=300&x0=-1.2&y0=1&opt=sgd,momentum"


def named(figure: dict, prefix: str) -> dict:
    return next(t for t in figure["data"] if str(t.get("name", "")).startswith(prefix))


def balls(page) -> list[float]:
    """x of the animated balls as the browser has them now."""
    return page.evaluate("""() => {
        const plot = document.querySelector('.st-key-paths_chart .js-plotly-plot');
        const t = plot.data.find(d => d.name === 'position');
        return Array.from(t.x);
    }""")


@pytest.mark.e2e
def test_shared_url_play_and_keyboard(app_server, page):
    page.goto(app_server.url + SHARED)
    wait_for_app(page)
    figure = plotly_figure(page, 0)
    momentum = named(figure, "Momentum β=0.85")
    expected = mv.simulate(mv.get_surface("rosenbrock"), optimizer="momentum", lr=0.0005,
                           beta=0.85, start=(-1.2, 1.0), steps=300).path
    plotted = np.column_stack([momentum["x"], momentum["y"]]).astype(float)
    np.testing.assert_allclose(plotted, expected, rtol=0, atol=1e-12)
    screenshot(page, "playground_shared_url")

    start = balls(page)
    page.locator(".st-key-paths_chart").get_by_text("Play", exact=False).first.click()
    page.wait_for_timeout(2500)
    moved = balls(page)
    assert moved != start, "the balls did not move after pressing Play"
    assert page.locator(".st-key-paths_chart .imagelayer image").count() == 1, \
        "the surface picture vanished during the animation"
    screenshot(page, "playground_playing")

    slider = page.locator(".st-key-beta input[type='range']")
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(500)
    wait_for_app(page)
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.st-key-paths_chart .js-plotly-plot'))
             .some(p => p.data.some(d => (d.name || '').startsWith('Momentum β=0.855')))""",
        timeout=30_000)
    updated = named(plotly_figure(page, 0), "Momentum β=0.855")
    assert not np.array_equal(np.asarray(updated["x"], float), plotted[:, 0])
    assert "beta=0.855" in page.url
    screenshot(page, "playground_after_keyboard")
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


@pytest.mark.e2e
def test_click_on_the_map_sets_the_start(app_server, page):
    page.goto(app_server.url + "/?surface=ravine&lr=0.038&beta=0.6&steps=100&opt=sgd,momentum")
    wait_for_app(page)
    area = page.locator(".st-key-paths_chart .nsewdrag").first.bounding_box()
    # the plot spans [-3, 3]²; three quarters across and a quarter down is (1.5, 1.5)
    page.mouse.click(area["x"] + 0.75 * area["width"], area["y"] + 0.25 * area["height"])
    page.wait_for_function("() => location.search.includes('x0=1.5')", timeout=30_000)
    wait_for_app(page)
    assert "y0=1.5" in page.url
    sgd = named(plotly_figure(page, 0), "SGD")
    assert (sgd["x"][0], sgd["y"][0]) == (1.5, 1.5)


@pytest.mark.e2e
def test_downloaded_animation_plays_offline(app_server, page, tmp_path):
    page.goto(app_server.url + "/?surface=bowl&lr=0.05&beta=0.8&steps=100&opt=sgd,momentum")
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Animation (HTML)").click()
    saved = tmp_path / "animation.html"
    download.value.save_as(saved)
    assert saved.stat().st_size > 1_000_000, "plotly.js is not embedded"

    offline = page.context.new_page()
    requested: list[str] = []
    offline.route("**/*", lambda route: (requested.append(route.request.url), route.abort())
                  if not route.request.url.startswith("file://") else route.continue_())
    offline.goto(saved.as_uri())
    offline.wait_for_selector(".js-plotly-plot .imagelayer image", timeout=30_000)
    position = "() => Array.from(document.querySelector('.js-plotly-plot').data" \
               ".find(d => d.name === 'position').x)"
    before = offline.evaluate(position)
    offline.get_by_text("Play").first.click()
    offline.wait_for_timeout(2000)
    assert offline.evaluate(position) != before
    assert not requested, f"the page tried to load {requested}"
    offline.close()
