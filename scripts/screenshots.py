"""Regenerate the README's screenshots in assets/ from the real app (`make screenshots`).

Starts `streamlit run app.py` on a free port, opens each view (all, or those named on the
command line) in headless Chromium, waits for the charts, and saves a PNG per view.
Uses $CHROMIUM_PATH, else `chromium` on PATH.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWS = {
    "playground": "/?surface=ravine&lr=0.038&beta=0.6&steps=200&x0=-2.5&y0=-1.6"
                  "&opt=sgd,momentum",
    "playground_rosenbrock": "/?surface=rosenbrock&lr=0.002&beta=0.9&steps=1000&x0=-1.2&y0=1"
                             "&opt=sgd,momentum,nesterov",
    "tuning_lab": "/tuning_lab?surface=ravine&lr=0.038&beta=0.6&steps=200&x0=-2.5&y0=-1.6"
                  "&opt=sgd,momentum",
    "why_momentum": "/why_momentum",
    "presenter": "/?lesson=ravine&present=1",
}
SIZES = {"presenter": (1280, 720)}
"""Views taken at another size than the default 1500×1050: presenter mode on a projector."""
PRESENTER_STEP = 40
"""Presenter mode is taken with the balls this many steps along (the → key, from the page)."""


SCRUB = ("scrub", VIEWS["playground"], (0.3, 0.75, 0.9))
"""The scrub sequence: the Playground at 1280×720 while β is dragged, the button still down,
one picture per β (assets/scrub_beta_<β>.png)."""


STEP_NUMBERS = ("step_numbers", VIEWS["playground"], 12)
"""The Playground at 1280×720 at step 12, with "This step in numbers" for the momentum run
beside the map (assets/step_numbers.png)."""


def step_numbers(browser, url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url + STEP_NUMBERS[1])
    page.wait_for_selector(".st-key-stage .mvs-map .main-svg", timeout=60_000)
    page.wait_for_timeout(2000)
    page.locator(".st-key-stage .mvs-work-pick").select_option(label="Momentum β=0.6")
    page.wait_for_selector(".st-key-stage .mvs-work-line", timeout=60_000)
    for _ in range(STEP_NUMBERS[2]):
        page.locator(".st-key-stage .mvs-fwd").click()
    page.wait_for_timeout(400)
    out = ROOT / "assets" / f"{STEP_NUMBERS[0]}.png"
    page.screenshot(path=str(out))
    print(f"saved {out.relative_to(ROOT)}")
    page.close()


def scrub_sequence(browser, url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url + SCRUB[1])
    page.wait_for_selector(".st-key-stage .mvs-map .main-svg", timeout=60_000)
    page.wait_for_timeout(2000)
    handle = page.locator(".st-key-stage .mvs-beta input")
    box = handle.bounding_box()
    top = int(handle.get_attribute("max"))
    values = [float(v) for v in handle.evaluate(
        "el => Array.from({length: +el.max + 1}, (_, i) => i)")]
    at = int(handle.input_value())
    x_of = lambda i: box["x"] + 8 + (box["width"] - 16) * i / top  # noqa: E731
    y = box["y"] + box["height"] / 2
    page.mouse.move(x_of(at), y)
    page.mouse.down()
    for beta in SCRUB[2]:
        target = min(range(len(values)), key=lambda i: abs(i / top * 0.99 - beta))
        page.mouse.move(x_of(target), y, steps=8)
        page.wait_for_timeout(400)
        shown = handle.evaluate("el => el.dataset.value")
        out = ROOT / "assets" / f"scrub_beta_{shown}.png"
        page.screenshot(path=str(out))
        print(f"saved {out.relative_to(ROOT)} (β = {shown}, mouse button held)")
    page.mouse.up()
    page.close()


def save_stage(page, name: str, what: str) -> None:
    """Scroll the stage's top just below Streamlit's header, save assets/<name>.png and close
    the page."""
    page.locator(".st-key-stage").evaluate(
        "el => { el.scrollIntoView({block: 'start'}); "
        "document.querySelector('[data-testid=\"stMain\"]').scrollBy(0, -70); }")
    page.wait_for_timeout(1000)
    out = ROOT / "assets" / f"{name}.png"
    page.screenshot(path=str(out))
    print(f"saved {out.relative_to(ROOT)} ({what})")
    page.close()


QUIZ = ("quiz", "/?lesson=spiral&quiz=1", (0.5, -0.5))
"""The quiz at 1280×720: the spiral lesson, a guess of where the momentum ball will be after
20 steps, SGD answered right and momentum wrong, then revealed (assets/quiz.png)."""


def quiz_sequence(browser, url: str) -> None:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere
    from testkit.browser import click_map

    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url + QUIZ[1])
    page.wait_for_selector(".st-key-stage .mvs-map .main-svg", timeout=60_000)
    settle(page)
    click_map(page, ".st-key-stage .mvs-map", *QUIZ[2])
    settle(page)
    for key, answer in (("quiz_answer_0", "converges smoothly"),
                        ("quiz_answer_1", "oscillates but converges")):
        page.locator(f".st-key-{key}").get_by_text(answer).click()
        settle(page)
    page.locator(".st-key-quiz_reveal button").click()
    settle(page)
    save_stage(page, QUIZ[0], "the quiz, revealed")


SEEDS = ("many_seeds", "/?lesson=minibatch-noise")
"""The many-seed view at 1280×720: the minibatch lesson's 30 seeds of SGD and EMA momentum at
their last step, every seed's path faint, its position a dot, the mean paths bold and the loss
median with its 10–90 % band (assets/many_seeds.png)."""


def seeds_view(browser, url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url + SEEDS[1])
    page.wait_for_selector(".st-key-stage .mvs-map .main-svg", timeout=60_000)
    settle(page)
    page.locator(".st-key-stage .mvs-scrub").evaluate(  # the step slider to the last step
        "el => { el.value = el.max; el.dispatchEvent(new Event('input')); }")
    save_stage(page, SEEDS[0], "the many-seed view at its last step")


def settle(page) -> None:
    """Wait for the script run a change started to finish, and for the page to draw it."""
    page.wait_for_timeout(800)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=60_000)
    page.wait_for_function("() => !document.querySelector(\".mvs[data-families='loading']\")",
                           timeout=60_000)  # the stage's scrub families have come
    page.wait_for_timeout(1500)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the app did not start")


def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        wait_healthy(url)
        chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            sequences = {"scrub": scrub_sequence, STEP_NUMBERS[0]: step_numbers,
                         QUIZ[0]: quiz_sequence, SEEDS[0]: seeds_view}
            for name in sys.argv[1:] or [*VIEWS, *sequences]:
                if name in sequences:
                    sequences[name](browser, url)
                    continue
                width, height = SIZES.get(name, (1500, 1050))
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(url + VIEWS[name])
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state="
                                       "'notRunning']", timeout=60_000)
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
                if name == "presenter":
                    for _ in range(PRESENTER_STEP):
                        page.keyboard.press("ArrowRight")
                page.wait_for_timeout(2500)
                if page.locator("[data-testid='stException']").count():
                    raise SystemExit(f"{name}: the page shows an exception")
                out = ROOT / "assets" / f"{name}.png"
                page.screenshot(path=str(out))
                page.close()
                print(f"saved {out.relative_to(ROOT)}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
