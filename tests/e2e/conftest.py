"""Real-browser test harness: `streamlit run app.py` driven by headless Chromium (Playwright).

Every test in this package must be marked ``@pytest.mark.e2e``.

Fixtures
--------
``app_server`` (session)
    Starts ``python -m streamlit run app.py`` on a free port, from ``$E2E_APP_DIR`` (default: the
    repository root), logging to ``test-artifacts/streamlit-server.log``. Yields an
    :class:`AppServer` with ``.url`` (``"http://127.0.0.1:<port>"``), ``.port``, ``.log_path``
    and ``.log_tail(n)``. Stopped by its own pid afterwards.
``browser`` (session)
    Headless Chromium: ``$CHROMIUM_PATH`` if set, else ``chromium`` on PATH, else Playwright's own
    build. If none can be launched the tests FAIL (they are never skipped).
``page`` (function)
    A fresh context (1400×900 viewport, device scale factor 1) and page. Console errors and
    uncaught page errors are collected, as strings, into ``page.errors_seen``. When the test
    fails, a screenshot ``failed-<test name>.png`` is saved before the context is closed.

Helpers (plain functions; in a test module of this package: ``from .conftest import ...``)
-----------------------------------------------------------------------------------------
``wait_for_app(page, timeout=30_000) -> None`` (from ``testkit.browser``)
    Waits until the app is connected, its script has finished (state ``notRunning``, stable for
    300 ms) and no skeleton/spinner/running indicator is visible; then fails the test if an
    ``stException`` is shown (on a syntax error: at once, with the error dialog's text).
    Call it after ``page.goto(...)`` and after every interaction that triggers a rerun.
``screenshot(page, name) -> pathlib.Path``
    Full-page PNG at ``test-artifacts/screenshots/<name>.png`` (the whole app, not one screen).
``plotly_figure(page, index=0, timeout=30_000) -> dict``
    ``{"data": [...], "layout": {...}}`` of the index-th Plotly chart on the page (document
    order), read from the browser's plotly div: typed arrays become lists, base64-packed
    arrays (``{"dtype", "bdata", "shape"}``, how plotly.py ships NumPy data) are decoded and
    reshaped, private ``_keys`` are dropped, NaN/Infinity become None. This is the figure as
    Streamlit rendered it: its theme adds ``template``/``width``/``height`` and may rewrite text
    (a title "T" reads back as "<b><b>T</b></b>"), so compare titles with ``in``.

Skips: an ``e2e``-marked test in this package that ends up skipped (``pytest.skip``, a skipping
fixture, ``importorskip``) is reported as FAILED: a skipped browser test must never pass as green.

Example::

    import pytest
    from .conftest import plotly_figure, screenshot, wait_for_app

    @pytest.mark.e2e
    def test_chart(app_server, page):
        page.goto(app_server.url)
        wait_for_app(page)
        fig = plotly_figure(page)
        screenshot(page, "chart")
        assert fig["data"]
        assert not page.errors_seen
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from testkit.browser import (
    CHROMIUM_ARGS,
    VIEWPORT,
    AppServer,
    ServerDied,
    chromium_path,
    start_server,
    stop,
    tail,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
SCREENSHOTS_DIR = ARTIFACTS_DIR / "screenshots"

# --------------------------------------------------------------------------- server


@pytest.fixture(scope="session")
def app_server() -> Iterator[AppServer]:
    """`streamlit run app.py` from $E2E_APP_DIR (default: repo root) on a free port."""
    app_dir = Path(os.environ.get("E2E_APP_DIR") or REPO_ROOT).resolve()
    if not (app_dir / "app.py").is_file():
        pytest.fail(
            f"no app.py in {app_dir} (set E2E_APP_DIR to a directory with one)", pytrace=False
        )
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS_DIR / "streamlit-server.log"
    attempts = 3  # the probed free port can be taken before streamlit binds it
    for attempt in range(1, attempts + 1):
        try:
            proc, server = start_server(app_dir, log_path)
        except ServerDied as died:
            code = died.code
        else:
            break
        log = tail(log_path)
        if attempt == attempts or "already in use" not in log.lower():
            pytest.fail(
                f"streamlit exited with code {code} before becoming healthy "
                f"(app dir {app_dir}).\n--- tail of {log_path} ---\n{log}",
                pytrace=False,
            )
    try:
        yield server
    finally:
        stop(proc)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium; a missing/broken browser FAILS the tests, never skips them."""
    path = chromium_path()
    if path and not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"CHROMIUM_PATH={path!r} is not an executable file", pytrace=False)
    try:
        pw: Playwright = sync_playwright().start()
    except Exception as exc:
        problem = f"cannot start Playwright: {exc}"
    else:
        problem = None
    if problem:  # fail outside the except block: no chained-traceback noise
        pytest.fail(problem, pytrace=False)
    try:
        kwargs = {"headless": True, "args": CHROMIUM_ARGS}
        if path:
            kwargs["executable_path"] = path
        try:
            browser = pw.chromium.launch(**kwargs)
        except Exception as exc:
            where = path or "Playwright's bundled Chromium"
            problem = (
                f"cannot launch Chromium ({where}): {exc}\n"
                "Set CHROMIUM_PATH, install the 'chromium' package, or run "
                "scripts/ensure-chromium.sh (`make test` does this)."
            )
        if problem:
            pytest.fail(problem, pytrace=False)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember each phase's report on the item; turn a skipped e2e test into a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if (
        report.skipped
        and item.get_closest_marker("e2e") is not None
        and not hasattr(report, "wasxfail")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"e2e tests must not be skipped (skip reason: {reason})"
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh 1400×900 page; console/page errors accumulate in ``page.errors_seen``."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    try:
        pg = context.new_page()
        errors: list[str] = []
        pg.errors_seen = errors

        def on_console(msg) -> None:
            if msg.type == "error":
                loc = msg.location or {}
                where = f" ({loc.get('url')}:{loc.get('lineNumber')})" if loc.get("url") else ""
                errors.append(f"console.error: {msg.text}{where}")

        pg.on("console", on_console)
        pg.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        yield pg
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            with contextlib.suppress(Exception):
                screenshot(pg, f"failed-{name}")
    finally:
        context.close()


# --------------------------------------------------------------------------- helpers

_CONTENT_HEIGHT_JS = """
() => {
  // Streamlit scrolls inside its own containers (stMain, the sidebar), not the document, so a
  // plain full-page screenshot would stop at the viewport: measure the tallest scroller.
  let height = document.documentElement.scrollHeight;
  for (const el of document.querySelectorAll("*")) {
    if (el.scrollHeight <= el.clientHeight) continue;
    if (!/(auto|scroll)/.test(getComputedStyle(el).overflowY)) continue;
    const top = el.getBoundingClientRect().top + window.scrollY;
    height = Math.max(height, Math.ceil(top + el.scrollHeight));
  }
  return height;
}
"""
MAX_SCREENSHOT_HEIGHT = 16_000  # Chromium's capture limit is ~16k px


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG to ``test-artifacts/screenshots/<name>.png``; return its path.

    The viewport is stretched to the content's height for the capture (Streamlit's scroll
    container would otherwise clip it to one screen) and restored afterwards.
    """
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{name}.png"
    viewport = page.viewport_size
    height = min(int(page.evaluate(_CONTENT_HEIGHT_JS)), MAX_SCREENSHOT_HEIGHT)
    if viewport and height > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": height})
        try:
            page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            page.screenshot(path=str(path), full_page=True)
        finally:
            page.set_viewport_size(viewport)
    else:
        page.screenshot(path=str(path), full_page=True)
    return path


_PLOTLY_FIGURE_JS = """
([index]) => {
  const gd = document.querySelectorAll(".js-plotly-plot")[index];
  const B64 = {
    f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,
    u2: Uint16Array, i1: Int8Array, u1: Uint8Array, u1c: Uint8ClampedArray,
    float64: Float64Array, float32: Float32Array, int32: Int32Array, uint32: Uint32Array,
    int16: Int16Array, uint16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  };
  const decode = (o) => {
    const bin = atob(o.bdata);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const flat = Array.from(new B64[o.dtype](bytes.buffer), Number);
    const dims = o.shape === undefined ? [] : String(o.shape).split(",").map(Number);
    const reshape = (arr, d) => {
      if (d.length <= 1) return arr;
      const step = d.slice(1).reduce((a, b) => a * b, 1);
      const out = [];
      for (let i = 0; i < d[0]; i++) {
        out.push(reshape(arr.slice(i * step, (i + 1) * step), d.slice(1)));
      }
      return out;
    };
    return reshape(flat, dims);
  };
  const seen = new WeakSet();
  const plain = (v) => {
    if (v === null || v === undefined) return null;
    if (typeof v === "number") return Number.isFinite(v) ? v : null;
    if (typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "bigint") return Number(v);
    if (typeof v === "function" || typeof v === "symbol") return undefined;
    if (ArrayBuffer.isView(v)) return Array.from(v, Number);
    if (v instanceof Date) return v.toISOString();
    if (typeof v !== "object" || seen.has(v)) return undefined;
    if (typeof Node !== "undefined" && v instanceof Node) return undefined;
    seen.add(v);
    let out;
    if (Array.isArray(v)) {
      out = v.map((x) => { const y = plain(x); return y === undefined ? null : y; });
    } else if (typeof v.bdata === "string" && B64[v.dtype]) {
      out = decode(v);
    } else {
      out = {};
      for (const [k, x] of Object.entries(v)) {
        if (k.startsWith("_")) continue;
        const y = plain(x);
        if (y !== undefined) out[k] = y;
      }
    }
    seen.delete(v);
    return out;
  };
  return {data: plain(gd.data) || [], layout: plain(gd.layout) || {}};
}
"""


def plotly_figure(page: Page, index: int = 0, timeout: float = 30_000) -> dict:
    """``{"data", "layout"}`` of the index-th ``.js-plotly-plot`` on the page, as plain JSON."""
    try:
        page.wait_for_function(
            """([index]) => {
                const gd = document.querySelectorAll(".js-plotly-plot")[index];
                return !!(gd && Array.isArray(gd.data) && gd.layout && gd._fullLayout);
            }""",
            arg=[index],
            timeout=timeout,
        )
    except PlaywrightTimeoutError:
        count = page.locator(".js-plotly-plot").count()
        problem = (
            f"Plotly chart #{index} not rendered within {timeout / 1000:.0f} s "
            f"({count} chart(s) on {page.url})"
        )
    else:
        problem = None
    if problem:
        pytest.fail(problem, pytrace=False)
    return page.evaluate(_PLOTLY_FIGURE_JS, [index])
