"""Every page at every common width, in a real browser: nothing a reader needs is cut off. On
a phone, a tablet upright, a narrow desktop window, a 1024×768 projector (the sidebar open
beside the page), a 1280×720 one and a desktop: no formula runs past its column, and no
number, label or link is shortened with an ellipsis. Side-by-side columns stack where the page
is too narrow for both (``ui.layout``)."""

from __future__ import annotations

import pytest

from testkit.browser import wait_for_app

WIDTHS = [(390, 844), (768, 1024), (900, 1000), (1024, 768), (1280, 720), (1920, 1080)]
PAGES = {  # the README's first classroom link, and the other pages at their own URLs
    "playground": "/?surface=ravine&lr=0.038&beta=0.6&steps=200&x0=-2.5&y0=-1.6"
                  "&opt=sgd,momentum",
    "quiz": "/?lesson=spiral&quiz=1",  # its questions stay beside the map (ui.layout.BESIDE)
    "lab": "/tuning_lab?surface=ravine",
    "why": "/why_momentum?kappa=50&lr=0.01&beta=0.5",
    "typed formula": "/?surface=custom&formula=(1-x)%5E2%20%2B%20100(y-x%5E2)%5E2%20%2B%20"
                     "sin(3x)cos(3y)",  # f and its gradient wider than a phone
}
LAID_OUT_JS = """() => document.fonts.ready.then(() => new Promise(
  (done) => requestAnimationFrame(() => requestAnimationFrame(done))))"""
CUT_OFF_JS = """() => {
  const SLACK = 4;  // KaTeX's last glyph may reach 1-2 px past its box: no stroke is lost
  const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const text = (e) => e.textContent.trim().slice(0, 60);
  const cut = [];
  for (const e of document.querySelectorAll('.katex-display')) {
    if (shown(e) && e.scrollWidth > e.clientWidth + SLACK) cut.push(['formula', text(e)]);
  }
  for (const e of document.querySelectorAll(':not(.katex-display) > .katex')) {  // inline
    const box = e.closest('[data-testid=stMarkdownContainer]').getBoundingClientRect();
    if (shown(e) && e.getBoundingClientRect().right > box.right + SLACK) {
      cut.push(['formula', text(e)]);
    }
  }
  const roots = '[data-testid=stMain], [data-testid=stSidebar]';
  for (const root of document.querySelectorAll(roots)) {
    for (const e of root.querySelectorAll('p, span, div, a, label')) {
      if (e.closest('svg, .js-plotly-plot, .katex')) continue;
      if (getComputedStyle(e).textOverflow === 'ellipsis' && shown(e)
          && e.scrollWidth > e.clientWidth + 1) cut.push(['shortened', text(e)]);
    }
  }
  return cut;
}"""


@pytest.mark.e2e
@pytest.mark.parametrize("name", list(PAGES))
def test_nothing_is_cut_off_at_any_width(app_server, browser, name):
    problems = {}
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      device_scale_factor=1)
        page = context.new_page()
        try:
            page.goto(app_server.url + PAGES[name])
            wait_for_app(page, timeout=90_000)
            if "why" in name or "formula" in name:
                page.wait_for_function("() => document.querySelectorAll('.katex').length > 0",
                                       timeout=30_000)
            page.evaluate(LAID_OUT_JS)
            cut = page.evaluate(CUT_OFF_JS)
            if cut:
                problems[f"{width}×{height}"] = cut
        finally:
            context.close()
    assert not problems, f"{name}: {problems}"
