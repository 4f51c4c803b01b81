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
``wait_for_app(page, timeout=30_000) -> None``
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
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
SCREENSHOTS_DIR = ARTIFACTS_DIR / "screenshots"

SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 10.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 900}
SETTLE_MS = 300  # how long the app must look idle before wait_for_app trusts it


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class AppServer:
    url: str
    port: int
    log_path: Path
    pid: int

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    """Stop exactly this process (by its own pid): SIGTERM, wait, then SIGKILL if needed."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=SERVER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=SERVER_STOP_TIMEOUT_S)


def _start_server(app_dir: Path, log_path: Path) -> tuple[subprocess.Popen, AppServer]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("STREAMLIT_SERVER_PORT", None)  # the command line wins anyway; avoid confusion
    with open(log_path, "w") as log:
        log.write(f"$ cd {app_dir} && {' '.join(cmd)}\n")
        log.flush()
        proc = subprocess.Popen(
            cmd, cwd=app_dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env,
        )  # fmt: skip
    server = AppServer(url=url, port=port, log_path=log_path, pid=proc.pid)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    try:
        while True:
            if _healthy(url):
                return proc, server
            code = proc.poll()
            if code is not None:
                raise _ServerDied(code, server)
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not become healthy at {url}/_stcore/health within "
                    f"{SERVER_START_TIMEOUT_S:.0f} s (app dir {app_dir}).\n"
                    f"--- tail of {log_path} ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
    except BaseException:
        _stop(proc)
        raise


class _ServerDied(Exception):
    def __init__(self, code: int, server: AppServer):
        super().__init__(code)
        self.code = code
        self.server = server


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
            proc, server = _start_server(app_dir, log_path)
        except _ServerDied as died:
            code = died.code
        else:
            break
        tail = _tail(log_path)
        if attempt == attempts or "already in use" not in tail.lower():
            pytest.fail(
                f"streamlit exited with code {code} before becoming healthy "
                f"(app dir {app_dir}).\n--- tail of {log_path} ---\n{tail}",
                pytrace=False,
            )
    try:
        yield server
    finally:
        _stop(proc)


# --------------------------------------------------------------------------- browser


def _chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium; a missing/broken browser FAILS the tests, never skips them."""
    path = _chromium_path()
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

_APP_STATUS_JS = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app) return null;
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  };
  const busy = Array.from(document.querySelectorAll(
    "[data-testid='stSkeleton'], [data-testid='stSkeletonElement'], " +
    "[data-testid='stAppSkeleton'], [data-testid='stSpinner'], " +
    "[data-testid='stStatusWidgetRunningIcon'], [data-testid='stStatusWidgetRunningManIcon']"
  )).some(visible);
  return {
    script: app.getAttribute("data-test-script-state"),
    connection: app.getAttribute("data-test-connection-state"),
    busy,
  };
}
"""


def wait_for_app(page: Page, timeout: float = 30_000) -> None:
    """Wait for the Streamlit script run to finish and settle; fail if an exception is shown.

    ``data-test-script-state`` is ``initial`` until the first run has an id, but can still flip
    ``notRunning`` → ``running`` right after a click, so the idle state must hold for
    ``SETTLE_MS`` with a live connection and no skeleton/spinner/running indicator visible.
    """
    deadline = time.monotonic() + timeout / 1000
    page.wait_for_selector("[data-testid='stApp']", state="attached", timeout=timeout)
    idle_since: float | None = None
    status = None
    while True:
        status = page.evaluate(_APP_STATUS_JS)
        if status is not None and status["script"] == "compilationError":
            # A syntax error is not an stException: Streamlit shows it in a modal dialog.
            dialog = page.locator("[data-testid='stDialog']")
            with contextlib.suppress(PlaywrightTimeoutError):
                dialog.first.wait_for(state="visible", timeout=5_000)
            text = "\n".join(t.strip() for t in dialog.all_inner_texts()) or "<no dialog text>"
            pytest.fail(
                f"Streamlit could not compile the script ({page.url}):\n{text}", pytrace=False
            )
        idle = (
            status is not None
            and status["script"] == "notRunning"
            and status["connection"] in (None, "CONNECTED", "STATIC_CONNECTED")
            and not status["busy"]
        )
        now = time.monotonic()
        if idle:
            if idle_since is None:
                idle_since = now
            elif (now - idle_since) * 1000 >= SETTLE_MS:
                break
        else:
            idle_since = None
        if now > deadline:
            pytest.fail(
                f"Streamlit app did not settle within {timeout / 1000:.0f} s "
                f"(last status: {status}; page {page.url})",
                pytrace=False,
            )
        page.wait_for_timeout(50)
    exceptions = page.locator("[data-testid='stException']")
    if exceptions.count():
        texts = "\n---\n".join(t.strip() for t in exceptions.all_inner_texts())
        pytest.fail(f"Streamlit shows an exception on {page.url}:\n{texts}", pytrace=False)


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
