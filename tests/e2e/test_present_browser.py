"""Presenter mode in a real browser on a projector's 1280×720: the sidebar collapsed, the map's
plot area at least 70 % of the screen's height, every word on the stage and above it at least
18 px, the tour's keys (n and p, Page Down and Page Up) and the stage's (space, →) wherever the
focus is, even on a button; the exit back to the normal view. On a phone (390×844) nothing is
cut off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from testkit.browser import wait_for_app
from ui.lessons import LESSONS

from .conftest import screenshot

STAGE = ".st-key-stage .mvs"
FIRST, SECOND = LESSONS[0], LESSONS[1]
MIN_FONT_PX = 18
MIN_PLOT_SHARE = 0.7

_GEOMETRY_JS = """() => {
  const rect = (el) => el.getBoundingClientRect();
  const plot = rect(document.querySelector('.st-key-stage .mvs-map .nsewdrag'));
  const sidebar = rect(document.querySelector("[data-testid='stSidebar']"));
  return {top: plot.top, bottom: plot.bottom, height: plot.height, width: plot.width,
          sidebarRight: sidebar.right, sidebarWidth: sidebar.width,
          viewport: [innerWidth, innerHeight]};
}"""
_FONTS_JS = """() => {
  // every visible element that holds words of its own (a label, a tick, a button, a readout,
  // a title), on the stage and above it; the selects and sliders' values too
  const roots = ['.st-key-stage', '.st-key-present_head', '.st-key-present_line'];
  const out = [];
  for (const sel of roots) {
    for (const el of document.querySelector(sel).querySelectorAll('*')) {
      const own = Array.from(el.childNodes).some(
        (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      const r = el.getBoundingClientRect();
      if (!(own || el.tagName === 'SELECT') || r.width === 0 || r.height === 0) continue;
      if (getComputedStyle(el).visibility === 'hidden') continue;
      const svg = el.closest('.mvs-map') ? 'map' : el.closest('.mvs-loss') ? 'loss' : 'html';
      const parent = el.parentElement.getAttribute('class') || '';
      out.push({where: svg, cls: `${el.getAttribute('class') || el.tagName} ${parent}`,
                text: (el.textContent || '').trim().slice(0, 30),
                size: parseFloat(getComputedStyle(el).fontSize)});
    }
  }
  return out;
}"""


def open_presenter(page, app_server, query: str) -> None:
    page.goto(app_server.url + query)
    wait_for_app(page)
    page.wait_for_selector(f"{STAGE}.mvs-present .mvs-map .main-svg", timeout=30_000)


@contextmanager
def projector(browser, app_server, query: str) -> Iterator[Page]:
    """The presenter view ``query`` in a new 1280×720 context, closed on leaving; the page
    raises no error meanwhile (checked when the block ends normally)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, device_scale_factor=1)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        open_presenter(page, app_server, query)
        yield page
        assert not errors
    finally:
        context.close()


def heading(page) -> str:
    return page.locator(".st-key-present_head").inner_text()


def wait_for_lesson(page, lesson, *, present: bool = True) -> None:
    """The URL names ``lesson`` (and presenter mode, if ``present``) and the page has settled."""
    query = f"lesson={lesson.id}" + ("&present=1" if present else "")
    page.wait_for_function("(q) => location.search === '?' + q", arg=query, timeout=60_000)
    wait_for_app(page)


def step_shown(page) -> int:
    return int(page.locator(STAGE).get_attribute("data-step"))


def check_projector_view(page, lesson) -> None:
    """At this stop of the tour: its title and line above the map, the sidebar closed, the
    map's plot area at least 70 % of the screen's height and on it, every word 18 px or
    larger."""
    assert lesson.title in heading(page)
    assert lesson.notice in page.locator(".st-key-present_line").inner_text()
    # the map is laid out once the heading above it is: wait for the state, not a time
    try:
        page.wait_for_function(
            """(share) => {
              const r = document.querySelector('.st-key-stage .mvs-map .nsewdrag')
                .getBoundingClientRect();
              return r.height >= share * innerHeight && r.top >= 0 && r.bottom <= innerHeight;
            }""", arg=MIN_PLOT_SHARE, timeout=30_000)
    except PlaywrightTimeoutError:
        screenshot(page, f"present_1280x720_{lesson.id}")
        pytest.fail(f"{lesson.id}: the map's plot area is {page.evaluate(_GEOMETRY_JS)}",
                    pytrace=False)
    box = page.evaluate(_GEOMETRY_JS)
    assert box["sidebarRight"] <= 0 or box["sidebarWidth"] == 0, "the sidebar is open"
    fonts = page.evaluate(_FONTS_JS)
    small = [f for f in fonts if f["size"] < MIN_FONT_PX]
    assert not small, (lesson.id, small)
    kinds = {(f["where"], f["cls"]) for f in fonts}
    for where, cls in [("map", "xtick"), ("map", "ytick"), ("map", "xtitle"), ("map", "ytitle"),
                       ("loss", "xtick"), ("loss", "ytick"), ("loss", "ytitle"),
                       ("html", "mvs-name"), ("html", "mvs-fwd"), ("html", "mvs-step"),
                       ("html", "mvs-cbar")]:
        assert any(w == where and cls in c for w, c in kinds), (lesson.id, where, cls)
    icon = page.locator(".st-key-stage .mvs-play svg").bounding_box()  # ▶ is drawn, not text
    assert icon["height"] >= MIN_FONT_PX, (lesson.id, icon)


@pytest.mark.e2e
def test_every_stop_of_the_tour_fills_a_projector_with_large_type(app_server, browser):
    """The whole tour, walked with the n key from its first stop."""
    with projector(browser, app_server, f"/?lesson={FIRST.id}&present=1") as page:
        screenshot(page, "present_1280x720")
        for index, lesson in enumerate(LESSONS):
            if index:
                page.keyboard.press("n")
                wait_for_lesson(page, lesson)
            check_projector_view(page, lesson)
        assert page.locator(".st-key-tour_next").get_by_role("button", name="Next").is_disabled()


@pytest.mark.e2e
def test_presenter_keys_walk_the_tour_and_play_wherever_the_focus_is(app_server, browser):
    with projector(browser, app_server, f"/?lesson={SECOND.id}&present=1") as page:
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        for key, lesson in [("p", FIRST), ("PageDown", SECOND), ("PageUp", FIRST)]:
            page.keyboard.press(key)
            wait_for_lesson(page, lesson)
            page.wait_for_function("(t) => document.querySelector('.st-key-present_head')"
                                   ".innerText.includes(t)", arg=lesson.title, timeout=30_000)
        page.wait_for_selector(f"{STAGE}.mvs-present", timeout=30_000)
        # → steps with the focus nowhere in particular
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        before = step_shown(page)
        page.keyboard.press("ArrowRight")
        assert step_shown(page) == before + 1
        # space plays even with the focus on the tour's Next button, and does not press it
        button = page.locator(".st-key-tour_next").get_by_role("button", name="Next")
        button.evaluate("(b) => { window.nextClicked = false;"
                        " b.addEventListener('click', () => { window.nextClicked = true; }); }")
        button.focus()
        page.keyboard.press(" ")
        page.wait_for_function(f"() => +document.querySelector('{STAGE}').dataset.step "
                               f">= {before + 10}", timeout=30_000)
        assert page.evaluate("() => window.nextClicked") is False
        assert page.locator(f"{STAGE} .mvs-play").get_attribute("aria-label") == "Pause"
        assert page.locator(f"{STAGE} .mvs-play svg path").count() == 1  # ⏸ drawn, not a glyph
        page.keyboard.press(" ")
        assert page.locator(f"{STAGE} .mvs-play").get_attribute("aria-label") == "Play"
        assert f"lesson={FIRST.id}" in page.url
        # the exit: the normal view of the same lesson, the sidebar open again
        page.locator(".st-key-present_off button").click()
        wait_for_lesson(page, FIRST, present=False)
        page.wait_for_function("() => document.querySelector(\"[data-testid='stSidebar']\")"
                               ".getBoundingClientRect().right > 0", timeout=30_000)
        page.wait_for_selector(f"{STAGE}:not(.mvs-present) .mvs-map .main-svg", timeout=30_000)
        assert page.locator(".st-key-present_head").count() == 0
        # outside presenter mode n goes on too, while the stage has the focus
        page.locator(STAGE).focus()
        page.keyboard.press("n")
        wait_for_lesson(page, SECOND, present=False)


@pytest.mark.e2e
def test_presenter_mode_on_a_phone_cuts_nothing_off(app_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    try:
        open_presenter(page, app_server, "/?lesson=critical-damping&present=1")
        page.wait_for_timeout(300)  # only for the picture: the layout is checked below
        screenshot(page, "present_390x844")
        box = page.evaluate(_GEOMETRY_JS)
        assert box["width"] >= 0.7 * 390, box
        right = page.evaluate("""() => Math.max(...Array.from(document.querySelectorAll(
            '.st-key-present_head *, .st-key-present_line *, .st-key-stage *'))
            .filter((el) => el.getBoundingClientRect().width > 0)
            .map((el) => el.getBoundingClientRect().right))""")
        assert right <= 390 + 1, f"something reaches {right} px on a 390 px screen"
        small = [f for f in page.evaluate(_FONTS_JS) if f["size"] < MIN_FONT_PX]
        assert not small, small
    finally:
        context.close()
