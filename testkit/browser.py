"""A real server and a real browser for the app: ``streamlit run app.py`` on a free port, the
Chromium flags and viewport every browser check uses, and ``wait_for_app`` for a settled page.
Shared by the real-browser tests (tests/e2e) and the browser benchmarks."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

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


@dataclass(frozen=True)
class AppServer:
    """A running ``streamlit run app.py``: its base URL, port, log file and process id."""

    url: str
    port: int
    log_path: Path
    pid: int

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file (or why it cannot be read)."""
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


def stop(proc: subprocess.Popen) -> None:
    """Stop exactly this process (by its own pid): SIGTERM, wait, then SIGKILL if needed."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=SERVER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=SERVER_STOP_TIMEOUT_S)


def start_server(app_dir: Path, log_path: Path) -> tuple[subprocess.Popen, AppServer]:
    """``streamlit run app.py`` in ``app_dir`` on a free port, logging to ``log_path``, once
    its health check answers; fails the test if it does not within SERVER_START_TIMEOUT_S,
    raises ``ServerDied`` if it exits first."""
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
                raise ServerDied(code, server)
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not become healthy at {url}/_stcore/health within "
                    f"{SERVER_START_TIMEOUT_S:.0f} s (app dir {app_dir}).\n"
                    f"--- tail of {log_path} ---\n{tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
    except BaseException:
        stop(proc)
        raise


class ServerDied(Exception):
    """The server exited before it became healthy (``code``: its exit status)."""

    def __init__(self, code: int, server: AppServer):
        super().__init__(code)
        self.code = code
        self.server = server


def chromium_path() -> str | None:
    """$CHROMIUM_PATH, else ``chromium`` on PATH, else None (Playwright's own build)."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


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
  )).some(visible) || !!document.querySelector(".mvs[data-families='loading']");
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


def settled(page: Page, read: str, ready: Callable[[Any], bool], timeout_s: float = 5.0) -> Any:
    """The value of the JS function ``read``, evaluated until ``ready(value)`` holds or
    ``timeout_s`` has passed (then the last value, for the caller's assertion to report). For
    what the browser draws a moment after an input: Plotly.animate moves a trace (and updates
    the element's ``data``) at the next animation frame."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(read)
        if ready(value) or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(10)


def click_map(page: Page, plot: str, x: float, y: float) -> None:
    """Click the plotly chart ``plot`` (a CSS selector) at data coordinates (x, y)."""
    px, py = page.evaluate("""([plot, x, y]) => {
        const gd = document.querySelector(plot);
        const rect = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis,
              ya = gd._fullLayout.yaxis;
        return [rect.left + xa._offset + xa.l2p(x), rect.top + ya._offset + ya.l2p(y)];
    }""", [plot, x, y])
    page.mouse.click(px, py)
