"""The Tuning lab and "Why momentum works" in a real browser, each opened by its own URL path on a
freshly started server (as a shared link is): the map is mv.sweep's, a click on a cell sets lr
and β and the link opens the Playground with them; the theory page's optimal button works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

import momentum_viz as mv
from testkit.browser import start_server, stop, wait_for_app

from .conftest import (
    ARTIFACTS_DIR,
    REPO_ROOT,
    AppServer,
    plotly_figure,
    screenshot,
)

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
