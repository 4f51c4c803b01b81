"""Smoke test of the e2e harness itself: the real app loads in a real browser, cleanly."""

from __future__ import annotations

import pytest

from testkit.browser import wait_for_app

from .conftest import screenshot


@pytest.mark.e2e
def test_app_loads_without_exception(app_server, page):
    response = page.goto(app_server.url)
    assert response is not None and response.ok, f"GET {app_server.url} -> {response}"
    wait_for_app(page)
    assert page.locator("[data-testid='stApp']").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.title().strip(), "the page has no title"
    shot = screenshot(page, "harness_smoke")
    assert shot.is_file() and shot.stat().st_size > 0
    uncaught = [e for e in page.errors_seen if e.startswith("pageerror:")]
    assert not uncaught, f"uncaught JavaScript errors: {uncaught}"


@pytest.mark.e2e
def test_every_page_asks_nothing_of_another_host(app_server, page):
    """Offline, as in a classroom without internet: each page, its charts drawn and its tab's
    icon set, requests nothing but the app's own server (any other request is refused and
    listed)."""
    foreign: list[str] = []

    def refuse(route) -> None:
        foreign.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith(app_server.url), refuse)
    for path, chart in (("/", ".st-key-stage .mvs-map .main-svg"),
                        ("/tuning_lab", ".st-key-lab_map .main-svg"),
                        ("/why_momentum", ".st-key-why_stage .mvs-map .main-svg")):
        page.goto(app_server.url + path)
        wait_for_app(page)
        page.wait_for_selector(chart, timeout=30_000)
        icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
        assert icon and icon.startswith(f"{app_server.url}/media/"), icon  # the app's own
        page.wait_for_timeout(500)  # late requests (fonts, icons) have been made by now
    assert not foreign, foreign
