"""Back and Forward in a real browser: each committed change is one history entry, Back and
Forward restore that entry's view (URL, widgets, the stage's runs) and a reload reproduces it;
a page link takes the setup along."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest

from testkit.browser import wait_for_app

from .conftest import screenshot

START = "/?surface=bowl&lr=0.05&beta=0.8&steps=100&opt=sgd,momentum"
VIEW_JS = """() => {
    const plot = document.querySelector('.st-key-stage .mvs-map');
    const run = plot && plot.data && plot.data.find(d => (d.name || '').startsWith('Momentum'));
    const beta = document.querySelector('.st-key-stage .mvs-beta input');
    const steps = document.querySelector('.st-key-steps input[type=range]');
    if (!run || !beta || !steps) return null;
    return {search: decodeURIComponent(location.search), beta: beta.value,
            steps: steps.getAttribute('aria-valuetext'),
            surface: document.querySelector('.st-key-surface').innerText, run: run.name,
            picked: document.querySelector('.st-key-surface [role=combobox]').value,
            x: Array.from(run.x).slice(0, 4).concat([run.x.length])};
}"""


def view(page) -> dict:
    """What the visitor sees: the URL's query (decoded: a Back or Forward run sends its entry's
    URL again, in Streamlit's encoding), the β and steps controls, the surface picked,
    and the stage's momentum run (its name, first x values and length)."""
    wait_for_app(page)
    page.wait_for_function(VIEW_JS, timeout=30_000)
    return page.evaluate(VIEW_JS)


def settles_on(page, expected: dict, timeout: float = 30.0) -> dict:
    """The view once it equals ``expected`` (or, after ``timeout`` seconds, as it is)."""
    deadline = time.monotonic() + timeout
    while (seen := view(page)) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    return seen


def committed(page, before: dict) -> dict:
    """The view after a change: wait until the URL and the stage both changed."""
    page.wait_for_function(f"() => decodeURIComponent(location.search) !== {before['search']!r}",
                           timeout=30_000)
    deadline = time.monotonic() + 30
    while (seen := view(page))["x"] == before["x"] and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    return seen


@pytest.mark.e2e
def test_back_forward_and_reload_restore_each_view(app_server, page):
    page.goto(app_server.url + START)
    views = [view(page)]
    entries = page.evaluate("history.length")

    page.locator(".st-key-steps input[type=range]").focus()  # 1: steps, one stop up
    page.keyboard.press("ArrowRight")
    views.append(committed(page, views[-1]))
    page.locator(".st-key-stage .mvs-beta input").focus()  # 2: β on the stage, one notch up
    page.keyboard.press("ArrowRight")
    views.append(committed(page, views[-1]))
    page.locator(".st-key-surface").get_by_role("combobox").click()  # 3: another surface
    page.get_by_role("option", name="Oval bowl").click()
    views.append(committed(page, views[-1]))
    screenshot(page, "history_after_three_changes")

    assert page.evaluate("history.length") == entries + 3, "one history entry per change"
    assert len({v["search"] for v in views}) == 4
    assert views[1]["steps"] != views[0]["steps"]
    assert views[2]["beta"] != views[1]["beta"] and "0.81" in views[2]["run"]
    assert "Oval" in views[3]["surface"] + views[3]["picked"]

    for expected in reversed(views[:-1]):
        page.go_back()
        assert settles_on(page, expected) == expected
    screenshot(page, "history_after_three_backs")
    page.go_forward()
    assert settles_on(page, views[1]) == views[1]
    page.reload()
    assert settles_on(page, views[1]) == views[1]
    assert page.evaluate("history.length") == entries + 3, "Back, Forward and reload add none"

    page.get_by_role("link", name="Tuning lab").click()  # a page link: the setup goes along
    wait_for_app(page)
    page.wait_for_function("() => location.pathname.endsWith('/tuning_lab')", timeout=30_000)
    wait_for_app(page)
    carried = parse_qs(urlparse(page.url).query)
    assert all(carried.get(k) == v for k, v in parse_qs(views[1]["search"][1:]).items()), \
        "the link's URL carries the setup"
    shown = page.locator(".st-key-lab_map .mvl-beta input").get_attribute("data-value")
    assert float(shown) == float(parse_qs(views[1]['search'][1:])['beta'][0]), \
        "the lab keeps the setup"
    assert page.evaluate("history.length") == entries + 2, "a page link adds one entry"
    page.go_back()  # the first Back after a page link returns to the page it left
    page.wait_for_function("() => !location.pathname.endsWith('/tuning_lab')", timeout=30_000)
    assert settles_on(page, views[1]) == views[1]
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]


@pytest.mark.e2e
@pytest.mark.parametrize("wait_ms", [50, 150, 300])
def test_back_right_after_a_change_shows_an_older_view_whole(app_server, page, wait_ms):
    """Back pressed while a change is on its way (the stage drew it; the page and the URL
    follow a moment later) goes back: to the view before the change, or, when Back came
    before the change had its history entry, to the one before that. Either way the URL, the
    controls and the stage agree, and the change is gone. (Pressed at the very moment the
    stage redraws, Back now and then reaches the server as no rerun at all, and the page
    stays; ``test_back_pressed_while_the_stage_shows_a_change_first_returns_to_the_older_view``
    covers the server's side at any moment.)"""
    page.goto(app_server.url + START)
    first = view(page)
    page.locator(".st-key-x0 input").fill("1")
    page.locator(".st-key-x0 input").press("Enter")
    second = committed(page, first)
    page.locator(".st-key-steps input[type=range]").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"""() => {{
        const run = document.querySelector('.st-key-stage .mvs-map').data
            .find(d => (d.name || '').startsWith('Momentum'));
        return run && run.x.length !== {second["x"][-1]};
    }}""", timeout=30_000)  # the stage shows the change
    page.wait_for_timeout(wait_ms)
    page.go_back()
    deadline = time.monotonic() + 30
    while (seen := view(page)) not in (first, second) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert seen in (first, second)
    page.wait_for_timeout(1000)  # and it stays so
    assert view(page) == seen
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")]
