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
