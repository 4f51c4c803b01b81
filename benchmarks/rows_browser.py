"""Browser rows: the Playground in headless Chromium against ``streamlit run app.py``, and the
server's memory with many sessions open.

The server and the browser are started as the e2e tests start them (``testkit/browser.py``:
a free port, the same Chromium flags and viewport, ``wait_for_app`` for a settled page). Every
page gets a fresh browser context (cold browser cache) and a probe script that timestamps the
websocket traffic, long tasks (> 50 ms of main-thread work) and key presses, so a timing can be
split into server, transfer and drawing. The Playground's workload is ``rows_page``'s (three
runs on the default view); every URL and every β step is new to the server, so each is a cold
compute there too.
"""

from __future__ import annotations

import collections
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from benchmarks.core import Check, Context, Figure, ProfileSpec, Ratio, Row, bench
from benchmarks.report import ROOT
from benchmarks.rows_page import ColdPlayground, playground_query, playground_setup
from benchmarks.timing import Timing, fmt_seconds
from testkit import browser as e2e

ORDER = 30
FIRST_CHART_TARGET = 1.3  # the first chart from a shared URL, as a multiple of the floor page's
SLIDER_TARGET_S = 0.300
PATHS_CHART = ".st-key-stage .mvs-map"
BETA_SLIDER = ".st-key-stage .mvs-beta input"
SCRUB_TARGET_S = 0.033
SCRUB_STEPS = 200
PAGE_TIMEOUT_MS = 60_000
SERVER_PROFILE = ("The cProfile below is the server's part alone (one cold compute, as "
                  "`playground-compute`); the browser's part is the breakdown above.")

TINY_APP = '''\
"""The browser rows' floor page: one Streamlit slider and one 2-trace Plotly chart."""
import plotly.graph_objects as go
import streamlit as st

n = st.slider("n", 1, 100, 3, key="n")
st.plotly_chart(go.Figure([go.Scatter(x=[0, 1, 2], y=[1, n, 2]),
                           go.Scatter(x=[0, 1, 2], y=[2, 1, n])]), key="tiny_chart")
'''
FLOOR_SLIDER = ".st-key-n input[type=range]"
CONTROL_TARGET = 1.5  # a control's round trip, as a multiple of the floor page's slider

PROBE_JS = """
(() => {
  const bench = {recv: [], sent: [], long: [], key: null};
  window.__bench = bench;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => { bench.open = performance.now(); });
      this.addEventListener("message", (e) => {
        bench.recv.push([performance.now(), e.data.byteLength ?? e.data.size ?? e.data.length]);
      });
    }
    send(data) { bench.sent.push(performance.now()); return super.send(data); }
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.long.push([e.startTime, e.duration]);
  }).observe({type: "longtask", buffered: true});
  addEventListener("keydown", () => { bench.key = performance.now(); }, true);
  new MutationObserver(() => { bench.changed = performance.now(); }).observe(
    document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""

CHART_DRAWN_JS = """([chart, image]) => {
  const gd = document.querySelector(chart);
  const drawn = gd && gd.querySelector(".main-svg")
    && (!image || gd.querySelector(".imagelayer image"));
  return drawn ? performance.now() : false;
}"""

LOAD_TIMELINE_JS = """(drawn) => {
  const b = window.__bench;
  const nav = performance.getEntriesByType("navigation")[0];
  const chunk = performance.getEntriesByType("resource")
    .find((r) => /PlotlyChart\\.[^/]*\\.js$|plotly[-a-z]*\\.min\\.js$/.test(r.name));
  const before = b.recv.filter(([t]) => t <= drawn);
  const figure = before.reduce((a, m) => (m[1] > a[1] ? m : a), [NaN, 0]);
  return {
    chart: drawn, dom: nav.domContentLoadedEventEnd, socket: b.open ?? NaN,
    figure: figure[0], figure_kb: figure[1] / 1e3,
    chunk_start: chunk ? chunk.startTime : NaN, chunk_end: chunk ? chunk.responseEnd : NaN,
    busy: b.long.filter(([t]) => t < drawn).reduce((s, [, d]) => s + d, 0),
  };
}"""

MARK_CHART_JS = """(chart) => {
  document.querySelector(chart).__benchMark = true;
  const b = window.__bench;
  b.recv.length = 0; b.sent.length = 0; b.long.length = 0;
}"""

CHART_UPDATED_JS = """([chart, name]) => {
  const gd = document.querySelector(chart);
  const shown = gd && Array.isArray(gd.data)
    && gd.data.some((t) => (t.name || "").startsWith(name));
  return shown ? performance.now() : false;
}"""

CHANGE_TIMELINE_JS = """([chart, _]) => {
  const b = window.__bench;
  const shown = window.__scrub.drawn.find((t) => t >= b.key) ?? NaN;
  const sent = b.sent.find((t) => t >= b.key) ?? NaN;
  const after = b.recv.filter(([t]) => t >= b.key);
  const biggest = after.reduce((a, m) => (m[1] > a[1] ? m : a), [NaN, 0]);
  return {
    total: shown - b.key, send: sent - b.key,
    answer: after.length ? after[after.length - 1][0] - b.key : NaN,
    figure_kb: biggest[1] / 1e3,
    remounted: !document.querySelector(chart).__benchMark,
  };
}"""

SCRUB_PROBE_JS = """(chart) => {
  const gd = document.querySelector(chart);
  if (window.__scrub && window.__scrub.gd === gd) {
    window.__scrub.moves.length = 0; window.__scrub.drawn.length = 0; return;
  }
  const b = window.__scrub = {moves: [], drawn: [], gd};
  addEventListener("pointermove", () => b.moves.push(performance.now()), true);
  for (const done of ["plotly_afterplot", "plotly_animated"]) {  // redrawn, or points moved
    gd.on(done, () => b.drawn.push(performance.now()));
  }
}"""

SCRUB_TIMES_JS = """() => {
  const b = window.__scrub;
  return b.moves.map((t, i) => {
    const next = b.moves[i + 1] ?? Infinity;
    const drawn = b.drawn.find((d) => d >= t && d < next);
    return drawn === undefined ? null : drawn - t;
  });
}"""

FIRST_CHART_DIAGNOSIS = """\
Where the time goes (medians, from navigation start; a new browser context per repeat, so
nothing is cached in the browser; a URL the server has not computed yet): the page shell (the
HTML and Streamlit's ~480 kB main bundle, executed) is ready at {dom}, the websocket open at
{socket}, and the stage's data ({figure_kb:.0f} kB) has arrived by {figure}. plotly.js (its
cartesian bundle, 1.5 MB, requested by a script sent with st.html before the sidebar, so it can
load while the rest of the page arrives) is fetched from {chunk_start} to {chunk_end}, then
compiled and run, and the map is complete at {chart}. The main thread spent {busy} of that in
long tasks (> 50 ms each): the browser's CPU, not the network or the server, sets the time. The
floor page (one slider, one 2-trace chart, same browser, loaded in turn with ours) draws its
chart at {tiny_chart} (shell {tiny_dom}, plotly chunk fetched by {tiny_chunk_end}): that much is
Streamlit and plotly.js loading in this headless browser on this machine. Ours adds {extra}: the
server's first run of the session up to the data ({server} from the websocket's opening to the
data's arrival), a larger page (sidebar widgets, lessons, the metrics table) and the map, the
loss chart and the surface picture to draw. Main-thread CPU of one load, by script (self time;
`(program)` is the browser's own work: parsing, style, layout): {cpu}. {server_profile}"""

SLIDER_DIAGNOSIS = """\
Where the time goes (medians of {n} presses, from the key press): the stage's β slider redraws
the paths from the precomputed β family in the same event ({total}: Plotly.react of the map and
the loss chart, no server round trip); the released value is sent at once ({send}) and the
rerun's new data (the families around the new β, {figure_kb:.0f} kB) has arrived {answer} after
the key; the stage was remounted after {remounts} of {n} presses (a keyed v2 component keeps its
element: new data reaches the same plots). Main-thread CPU of one press, by script (self time):
{cpu}; plotly.js functions by inclusive time: {plotly}. {server_profile}"""

SCRUB_DIAGNOSIS = """\
Timed in the page: each pointer move on the stage's β slider (mouse button held) to the map's
next `plotly_afterplot`, {n} moves (the probe also takes `plotly_animated`, but a new β's paths
carry new names, so the stage redraws the map). The redraw is `Plotly.react` of the map
(contour picture as a layout image, every run's path, balls, arrows) and of the loss chart,
from paths decoded once per β and kept. Nothing goes to the server until the button is released."""


@contextmanager
def _harness() -> Iterator[None]:
    """The e2e helpers stop with ``pytest.fail``, a BaseException: turn it into an error, so
    the runner reports these rows as ERROR and goes on with the others."""
    try:
        yield
    except pytest.fail.Exception as exc:
        raise RuntimeError(str(exc)) from None


@contextmanager
def _server(app_dir: Path, log: Path) -> Iterator[e2e.AppServer]:
    """``streamlit run app.py`` in ``app_dir`` on a free port, stopped by its pid afterwards."""
    proc, server = e2e.start_server(app_dir, log)
    try:
        yield server
    finally:
        e2e.stop(proc)


@contextmanager
def _servers(tmp: Path) -> Iterator[tuple[e2e.AppServer, e2e.AppServer]]:
    """Our app and the floor page (``TINY_APP``, written into ``tmp``), each on its own server."""
    tiny_dir = tmp / "tiny"
    tiny_dir.mkdir()
    (tiny_dir / "app.py").write_text(TINY_APP, encoding="utf-8")
    (tiny_dir / ".streamlit").symlink_to(ROOT / ".streamlit")
    with _server(ROOT, tmp / "app.log") as app, _server(tiny_dir, tmp / "tiny.log") as tiny:
        yield app, tiny


@contextmanager
def _chromium() -> Iterator[Browser]:
    """Headless Chromium with the e2e tests' flags (``$CHROMIUM_PATH`` or ``chromium``)."""
    path = e2e.chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(headless=True, args=e2e.CHROMIUM_ARGS,
                                             **({"executable_path": path} if path else {}))
        try:
            yield browser
        finally:
            browser.close()


def _open(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
    """A fresh context (cold cache) with the probe installed, navigating to ``url``."""
    context = browser.new_context(viewport=e2e.VIEWPORT, device_scale_factor=1)
    context.add_init_script(PROBE_JS)
    page = context.new_page()
    page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
    return context, page


def _drawn(page: Page, chart: str, image: bool) -> float:
    """Wait until ``chart`` is drawn (with its layout image if ``image``): when, in ms from
    navigation start."""
    return page.wait_for_function(CHART_DRAWN_JS, arg=[chart, image], polling="raf",
                                  timeout=PAGE_TIMEOUT_MS).json_value()


def _first_chart(browser: Browser, url: str, chart: str, image: bool) -> dict[str, float]:
    """Open ``url`` and wait until ``chart`` is drawn; the load's timeline in ms from
    navigation start. The run must then finish cleanly."""
    context, page = _open(browser, url)
    try:
        timeline = page.evaluate(LOAD_TIMELINE_JS, _drawn(page, chart, image))
        e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
    finally:
        context.close()
    return timeline


def _beta_changes(page: Page, presses: int) -> list[dict[str, float]]:
    """Press ArrowRight on the focused stage β slider ``presses`` times; for each, the timeline
    in ms from the key press until the map shows the momentum run at the new β, and until the
    rerun that the release starts has answered."""
    slider = page.locator(BETA_SLIDER)
    changes = []
    key = "ArrowRight"
    for _ in range(presses):
        at, top = (int(slider.evaluate(f"el => +el.{a}")) for a in ("value", "max"))
        if at in (0, top):  # at an end of the β grid: turn round, so every press changes β
            key = "ArrowRight" if at == 0 else "ArrowLeft"
        page.evaluate(SCRUB_PROBE_JS, PATHS_CHART)  # timed in the page: key → afterplot
        page.evaluate(MARK_CHART_JS, PATHS_CHART)
        slider.focus()
        page.keyboard.press(key)
        name = f"Momentum β={float(slider.evaluate('el => el.dataset.value')):g}"
        shown = page.wait_for_function(CHART_UPDATED_JS, arg=[PATHS_CHART, name],
                                       polling="raf", timeout=PAGE_TIMEOUT_MS).json_value()
        page.wait_for_function("(v) => location.search.includes('beta=' + v + '&')",
                               arg=name.split("=")[1], timeout=PAGE_TIMEOUT_MS)
        e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
        changes.append(page.evaluate(CHANGE_TIMELINE_JS, [PATHS_CHART, shown]))
    return changes


def _scrub(page: Page, moves: int) -> list[float]:
    """Hold the mouse on the stage's β slider and move it ``moves`` times by one position;
    each move's time in ms from the pointer event to the map's ``plotly_afterplot``."""
    page.evaluate(SCRUB_PROBE_JS, PATHS_CHART)
    handle = page.locator(BETA_SLIDER)
    box = handle.bounding_box()
    top, at = int(handle.get_attribute("max")), int(handle.input_value())
    step = (box["width"] - 16) / top
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 8 + step * at, y)
    page.mouse.down()
    page.evaluate("() => { window.__scrub.moves.length = 0; window.__scrub.drawn.length = 0; }")
    direction = 1 if at < top else -1
    for i in range(1, moves + 1):
        if not 0 <= at + direction <= top:  # bounce at the ends: each move is a new β
            direction = -direction
        at += direction
        page.mouse.move(box["x"] + 8 + step * at, y)
        page.wait_for_function("(n) => window.__scrub.drawn.length >= n", arg=i,
                               timeout=PAGE_TIMEOUT_MS)
        page.wait_for_timeout(30)
    times = page.evaluate(SCRUB_TIMES_JS)
    page.mouse.up()
    e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
    return [t for t in times[-moves:] if t is not None]


def _cpu_profile(page: Page, action: Callable[[], object]) -> dict[str, collections.Counter]:
    """Chromium's sampling CPU profile of ``action``: main-thread self time by script, and the
    inclusive time of plotly.js's named functions (minified names are left out), in ms."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 500})
    cdp.send("Profiler.start")
    action()
    profile = cdp.send("Profiler.stop")["profile"]
    cdp.detach()
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", ())}
    scripts: collections.Counter = collections.Counter()
    plotly: collections.Counter = collections.Counter()
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[node_id]["callFrame"]
        scripts[frame["url"].rsplit("/", 1)[-1] or frame["functionName"]] += delta / 1e3
        seen = set()
        while node_id is not None:
            frame = nodes[node_id]["callFrame"]
            name = frame["functionName"].rpartition(".")[2]
            plotly_js = "PlotlyChart" in frame["url"] or "plotly" in frame["url"].rsplit("/", 1)[-1]
            if plotly_js and len(name) > 4 and name != "exports" and name not in seen:
                plotly[name] += delta / 1e3
                seen.add(name)
            node_id = parent.get(node_id)
    del scripts["(idle)"]
    return {"scripts": scripts, "plotly": plotly}


def _top(counter: collections.Counter | None, n: int) -> str:
    if counter is None:
        return "(not profiled in quick mode)"
    return ", ".join(f"{name} {ms:.0f} ms" for name, ms in counter.most_common(n))


def _medians(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def _ms(value: float) -> str:
    return fmt_seconds(value / 1e3)


def _seconds(samples: list[dict[str, float]], key: str) -> Timing:
    return Timing(tuple(s[key] / 1e3 for s in samples))


def _rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of process ``pid`` in MB."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[key].split()[0]) * 1024 / 1e6 for key in ("VmRSS", "VmHWM"))


def _memory(browser: Browser, server: e2e.AppServer, url: str, sessions: int) \
        -> tuple[Row, BrowserContext, Page]:
    """The server's RSS after one session and after ``sessions`` sessions have each loaded
    ``url`` and stay open (the same URL: runs and figures are shared through
    st.cache_resource). The first session's context and page are handed back, still open."""
    idle, _ = _rss_mb(server.pid)
    first, page = _open(browser, url)
    extra = []
    try:
        e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
        one, _ = _rss_mb(server.pid)
        for _ in range(sessions - 1):
            context, other = _open(browser, url)
            extra.append(context)
            e2e.wait_for_app(other, timeout=PAGE_TIMEOUT_MS)
        many, peak = _rss_mb(server.pid)
    except BaseException:
        first.close()
        raise
    finally:
        for context in extra:
            context.close()
    each = (many - one) / max(sessions - 1, 1)
    row = Row(
        name="server-memory",
        what=f"streamlit server RSS with {sessions} sessions open on the Playground (same URL)",
        ours=Figure(many, many, many, "MB"), baseline=Figure(one, one, one, "MB"),
        baseline_what="one session open", ratio=Ratio(many / one, many / one, many / one,
                                                      "one session's"),
        note=(f"no target: reported; one sample each, on a fresh server; +{each:.2g} MB per "
              f"further session; idle server before any session {idle:.0f} MB; peak (VmHWM) "
              f"{peak:.0f} MB"),
    )
    return row, first, page


@bench("browser-first-chart", "browser-beta-slider", "browser-scrub", "server-memory")
def browser_rows(ctx: Context) -> Iterator[Row]:
    """The browser rows, on one server for our app and one for the trivial baseline page, in
    one Chromium. The memory is measured first, on the fresh server; its first session then
    serves the slider row; the page loads come last."""
    steps = ctx.pick(1000, 100)
    beta = playground_setup(steps)["beta"]
    with _harness(), tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp, \
            _servers(Path(tmp)) as (app, tiny), _chromium() as browser:

        def url(beta: float) -> str:
            return app.url + playground_query(playground_setup(steps, beta))

        memory, context, page = _memory(browser, app, url(beta + 0.1), ctx.pick(20, 2))
        try:
            changes = _beta_changes(page, ctx.pick(20, 2))
            change_cpu = None if ctx.quick else _cpu_profile(
                page, lambda: _beta_changes(page, 1))
            # the scrub at the defaults (200 steps: every β by 0.01), on its own page
            scrub_context, scrub_page = _open(
                browser, app.url + playground_query(playground_setup(SCRUB_STEPS)))
            try:
                e2e.wait_for_app(scrub_page, timeout=PAGE_TIMEOUT_MS)
                scrub_page.wait_for_selector(f"{PATHS_CHART} .main-svg",
                                             timeout=PAGE_TIMEOUT_MS)
                scrub = _scrub(scrub_page, ctx.pick(24, 3))
            finally:
                scrub_context.close()
        finally:
            context.close()
        ours, baseline = [], []
        for i in range(ctx.pick(5, 1)):
            ours.append(_first_chart(browser, url(beta + i * 0.01), PATHS_CHART, image=True))
            baseline.append(_first_chart(browser, tiny.url, ".js-plotly-plot", image=False))
        load_cpu = None if ctx.quick else _cpu_profile_of_load(browser, url(beta + 0.09))
    yield _first_chart_row(ours, baseline, load_cpu, steps)
    yield _slider_row(changes, change_cpu, steps)
    yield _scrub_row(scrub, SCRUB_STEPS)
    yield memory


def _cpu_profile_of_load(browser: Browser, url: str) -> dict[str, collections.Counter]:
    """The CPU profile of one page load, from navigation until the paths chart is drawn."""
    context = browser.new_context(viewport=e2e.VIEWPORT, device_scale_factor=1)
    page = context.new_page()

    def load() -> None:
        page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
        _drawn(page, PATHS_CHART, image=True)

    try:
        return _cpu_profile(page, load)
    finally:
        context.close()


def _against_floor(name: str, what: str, ours: Timing, floor: Timing, floor_what: str,
                   target: float, note: str, profile: ProfileSpec | None = None) -> Row:
    """A row whose target is a multiple of the floor page's time measured in the same run."""
    ratio = Ratio.time_ratio(ours, floor)
    return Row(name=name, what=what, ours=Figure.time(ours), baseline=Figure.time(floor),
               baseline_what=floor_what, ratio=ratio, checks=(Check.at_most(ratio, target),),
               note=note, profile=profile)


def _first_chart_row(ours: list[dict], baseline: list[dict], cpu: dict | None,
                     steps: int) -> Row:
    ours_t, base_t = _seconds(ours, "chart"), _seconds(baseline, "chart")
    m, b = _medians(ours), _medians(baseline)
    times = {k: _ms(v) for k, v in m.items() if k != "figure_kb"}
    diagnosis = FIRST_CHART_DIAGNOSIS.format(
        **times, figure_kb=m["figure_kb"], tiny_chart=_ms(b["chart"]), tiny_dom=_ms(b["dom"]),
        tiny_chunk_end=_ms(b["chunk_end"]), extra=_ms(m["chart"] - b["chart"]),
        server=_ms(m["figure"] - m["socket"]),
        cpu=_top(cpu and cpu["scripts"], 6),
        server_profile=SERVER_PROFILE)
    return _against_floor(
        "browser-first-chart",
        (f"headless Chromium, new context: open the Playground URL (SGD, momentum, Nesterov "
         f"× {steps} steps, a β not yet computed) → the paths chart drawn with its surface "
         f"picture"),
        ours_t, base_t, "the floor page (one slider, one 2-trace plotly chart), same run",
        FIRST_CHART_TARGET,
        note=(f"medians from navigation: shell {times['dom']}, figure received "
              f"{times['figure']}, plotly.js chunk fetched {times['chunk_start']}–"
              f"{times['chunk_end']}, chart {times['chart']}; long tasks {times['busy']}"),
        profile=ProfileSpec(ColdPlayground(steps, 0.3), 1, diagnosis, unit="rerun"),
    )


def _slider_row(changes: list[dict], cpu: dict | None, steps: int) -> Row:
    total = _seconds(changes, "total")
    m = _medians(changes)
    remounts = sum(bool(c["remounted"]) for c in changes)
    parts = {k: _ms(m[k]) for k in ("total", "send", "answer")}
    diagnosis = SLIDER_DIAGNOSIS.format(
        **parts, n=len(changes), figure_kb=m["figure_kb"], remounts=remounts,
        cpu=_top(cpu and cpu["scripts"], 6), plotly=_top(cpu and cpu["plotly"], 8),
        server_profile=SERVER_PROFILE)
    return Row.timed(
        name="browser-beta-slider",
        what=(f"headless Chromium: the stage's β slider focused, ArrowRight → the map shows the "
              f"new β (SGD, momentum, Nesterov × {steps} steps), median of {len(changes)}"),
        timing=total, target=SLIDER_TARGET_S,
        note=(f"medians: key → map redrawn {parts['total']} (from the precomputed family), "
              f"→ value sent {parts['send']}, → rerun's data received {parts['answer']} "
              f"({m['figure_kb']:.0f} kB); stage remounted {remounts}/{len(changes)}"),
        profile=ProfileSpec(ColdPlayground(steps, 0.2), 1, diagnosis, unit="rerun"),
    )


def _scrub_row(times_ms: list[float], steps: int) -> Row:
    timing = Timing(tuple(t / 1e3 for t in times_ms))
    return Row.timed(
        name="browser-scrub",
        what=(f"headless Chromium: mouse held on the stage's β slider, pointer move → the map's "
              f"plotly_afterplot, timed in the page (SGD, momentum, Nesterov × {steps} steps), "
              f"median of {len(times_ms)} moves"),
        timing=timing, target=SCRUB_TARGET_S,
        note="no server round trip while the button is down; the floor page has no scrub",
        profile=None if not times_ms else ProfileSpec(
            ColdPlayground(steps, 0.3), 1, SCRUB_DIAGNOSIS.format(n=len(times_ms)),
            unit="rerun"),
    )


# -- the Playground's other controls, each against the floor page's slider, in the same run --

STAGE_MARK_JS = """(chart) => {
  const b = window.__bench;
  b.recv.length = 0; b.sent.length = 0; b.long.length = 0;
  b.stageAt = null; b.familiesAt = null;
  if (!b.stageWatch) {  // when the stage takes new data, and when its families have come
    b.stageWatch = new MutationObserver((records) => {
      for (const r of records) {
        if (r.attributeName === "data-token") b.stageAt = performance.now();
        else if (r.target.dataset.families === "ready") b.familiesAt = performance.now();
      }
    });
    b.stageWatch.observe(document.querySelector(chart).closest(".mvs"),
                         {attributes: true, attributeFilter: ["data-token", "data-families"]});
  }
}"""

ROUND_TRIP_JS = """(chart) => {
  const b = window.__bench;
  if (b.stageAt === null) return false;
  const drawn = window.__scrub.drawn.find((t) => t >= b.stageAt);
  if (drawn === undefined || b.familiesAt === null || b.familiesAt < drawn) return false;
  const before = b.recv.filter(([t]) => t >= b.key && t <= drawn);
  const data = before.reduce((a, m) => (m[1] > a[1] ? m : a), [NaN, 0]);
  return {total: drawn - b.key, send: (b.sent.find((t) => t >= b.key) ?? NaN) - b.key,
          data: data[0] - b.key, data_kb: data[1] / 1e3, draw: drawn - data[0],
          families: b.familiesAt - b.key};
}"""

FLOOR_UPDATED_JS = """(n) => {
  const gd = document.querySelector(".js-plotly-plot");
  if (!gd || !gd.data || gd.data[0].y[1] !== n) return false;
  const b = window.__bench;
  return {total: performance.now() - b.key,
          send: (b.sent.find((t) => t >= b.key) ?? NaN) - b.key};
}"""

CONTROLS_DIAGNOSIS = """\
Each change is made the way a person makes it (a key press, Enter in a field, a click), and
timed in the page from that input event: to the value sent, to the rerun's data (the stage's
runs for the new setup, the largest message before the map is drawn), to the map drawn
after the stage took that data (its first `plotly_afterplot`, or `plotly_animated` where only
the paths' points changed and the stage moved them without a redraw; its paths, dots, balls
and arrows drawn; the loss chart follows), and to the scrub families' arrival in the rerun that
the drawing asks for (the whole page's when the change reran the stage alone; else the
stage's). The floor page's
slider (one Streamlit slider, one 2-trace plotly chart) is timed the same way, from its key
press to the chart showing the new value, in turn with ours in the same browser. Medians:
{parts}."""


def _round_trip(page: Page, action: Callable[[int], object], i: int) -> dict[str, float]:
    """Do ``action(i)`` on the Playground and wait until the map is redrawn with the rerun's data
    and the scrub families have come; the timeline in ms from the last input event."""
    page.evaluate(SCRUB_PROBE_JS, PATHS_CHART)
    page.evaluate(STAGE_MARK_JS, PATHS_CHART)
    action(i)
    e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
    return page.wait_for_function(ROUND_TRIP_JS, arg=PATHS_CHART, polling="raf",
                                  timeout=PAGE_TIMEOUT_MS).json_value()


def _floor_round_trip(page: Page, i: int) -> dict[str, float]:
    """Press an arrow key on the floor page's slider (alternately right and left): the time
    from the key press until the chart shows the new value."""
    slider = page.locator(FLOOR_SLIDER)
    value = int(slider.input_value())
    key, value = ("ArrowRight", value + 1) if i % 2 == 0 else ("ArrowLeft", value - 1)
    page.evaluate(MARK_CHART_JS, ".js-plotly-plot")
    slider.focus()
    page.keyboard.press(key)
    result = page.wait_for_function(FLOOR_UPDATED_JS, arg=value, polling="raf",
                                    timeout=PAGE_TIMEOUT_MS).json_value()
    e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
    return result


def _type_into(page: Page, key: str, text: str) -> None:
    """Replace the text of widget ``key``'s input and press Enter."""
    field = page.locator(f".st-key-{key} input")
    field.fill(text)
    field.press("Enter")


def _choose(page: Page, key: str, text: str) -> None:
    """Type ``text`` into the select widget ``key`` and press Enter (the first match)."""
    field = page.locator(f".st-key-{key} input")
    field.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _controls(page: Page) -> dict[str, Callable[[int], object]]:
    """The Playground's non-scrubbed controls: for each, the ``i``-th change (every change sets
    a value the server has not computed for this session yet, or toggles back)."""
    def surface(i: int) -> None:
        _choose(page, "surface", "Bowl" if i % 2 == 0 else "Ravine")

    def steps(i: int) -> None:  # the setup's step count and the next stop, in turn
        page.locator(".st-key-steps input[type=range]").focus()
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")

    def start(i: int) -> None:
        _type_into(page, "x0", f"{-2.4 + 0.01 * i:g}")

    def optimizers(i: int) -> None:
        if i % 2 == 0:
            page.locator(".st-key-opt input").focus()
            page.keyboard.press("Backspace")  # removes the last chosen optimizer
        else:
            _choose(page, "opt", "Nesterov")
            page.keyboard.press("Escape")  # close the menu

    def noise(i: int) -> None:
        _type_into(page, "noise", f"{0.5 + 0.01 * i:g}" if i % 2 == 0 else "0")

    return {"surface": surface, "steps": steps, "start": start, "optimizers": optimizers,
            "noise": noise}


CONTROL_NAMES = ("surface", "steps", "start", "optimizers", "noise")
STAGE_TOKEN_JS = """(chart) => document.querySelector(chart).closest(".mvs").dataset.token"""
NEW_DATA_JS = """([chart, before]) => {
  const stage = document.querySelector(chart).closest(".mvs");
  return stage.dataset.token !== before && stage.dataset.families === "ready";
}"""


def _new_seed(page: Page, seed: int) -> None:
    """Type ``seed`` into the Playground's seed field and wait until the stage has the data
    for it, families included. The seed is part of every cache key of the page's runs, so the
    changes timed after it find nothing computed. The wait is for the data, not a drawing:
    without noise the paths stay the same, and the map is not drawn again."""
    before = page.evaluate(STAGE_TOKEN_JS, PATHS_CHART)
    _type_into(page, "seed", str(seed))
    e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(NEW_DATA_JS, arg=[PATHS_CHART, before], polling="raf",
                           timeout=PAGE_TIMEOUT_MS)


@bench(*(f"browser-control-{name}" for name in CONTROL_NAMES))
def control_rows(ctx: Context) -> Iterator[Row]:
    """Each non-scrubbed Playground control's round trip (input → the map redrawn with the
    rerun's data), as a multiple of the floor page's slider round trip measured in turn."""
    repeats = ctx.pick(16, 1)
    with _harness(), tempfile.TemporaryDirectory(prefix="bench-controls-") as tmp, \
            _servers(Path(tmp)) as (app, tiny), _chromium() as browser:
        ours_context, ours = _open(browser, app.url + playground_query(
            playground_setup(SCRUB_STEPS)))
        floor_context, floor = _open(browser, tiny.url)
        try:
            e2e.wait_for_app(ours, timeout=PAGE_TIMEOUT_MS)
            e2e.wait_for_app(floor, timeout=PAGE_TIMEOUT_MS)
            ours.get_by_text("Noise, minibatches and seeds", exact=True).click()  # its expander
            e2e.wait_for_app(ours, timeout=PAGE_TIMEOUT_MS)
            actions = _controls(ours)
            times: dict[str, list[dict]] = {name: [] for name in CONTROL_NAMES}
            floor_times = []
            for i in range(repeats):
                _new_seed(ours, i + 1)  # untimed: no run of the cycle finds its data cached
                for name in CONTROL_NAMES:
                    times[name].append(_round_trip(ours, actions[name], i))
                    floor_times.append(_floor_round_trip(floor, len(floor_times)))
        finally:
            ours_context.close()
            floor_context.close()
    base = _seconds(floor_times, "total")
    for name in CONTROL_NAMES:
        m = _medians(times[name])
        yield _against_floor(
            f"browser-control-{name}",
            (f"headless Chromium, the Playground (SGD, momentum, Nesterov × {SCRUB_STEPS} "
             f"steps; each cycle of the five changes starts with a new seed, untimed, so no "
             f"change finds its runs cached): change the sidebar's {name} → the map redrawn "
             f"with the rerun's data, median of {len(times[name])}"),
            _seconds(times[name], "total"), base,
            "the floor page's slider: key → its chart redrawn, same run", CONTROL_TARGET,
            note=(f"medians: → sent {_ms(m['send'])}, → data {_ms(m['data'])} "
                  f"({m['data_kb']:.0f} kB), → drawn {_ms(m['total'])} (drawing "
                  f"{_ms(m['draw'])}), → scrub families {_ms(m['families'])}; floor page "
                  f"{_ms(base.median * 1e3)}"),
            profile=None if ctx.quick else ProfileSpec(
                ColdPlayground(SCRUB_STEPS, 0.3), 1,
                CONTROLS_DIAGNOSIS.format(parts=f"{name} {_ms(m['total'])}, floor "
                                                f"{_ms(base.median * 1e3)}"), unit="rerun"),
        )


# -- the Tuning lab's and the theory page's controls: input → the page stops changing --------

SETTLED_JS = """() => {
  const b = window.__bench;
  return {total: b.changed - b.key, send: (b.sent.find((t) => t >= b.key) ?? NaN) - b.key};
}"""

PAGE_CONTROLS = {  # page → (URL query, the controls timed there)
    "lab": ("/tuning_lab?surface=ravine&map_grid=100&map_steps=500",
            ("beta", "lr", "x0", "map_grid", "map_steps")),
    "why": ("/why_momentum?kappa=50&lr=0.01&beta=0.5",
            ("beta", "lr", "kappa", "rotation", "steps")),
}
WHY_OUT_OF_SIGHT = ("; the page's charts out of sight in the 1400×900 window draw their new "
                    "figures when scrolled near (ui/plotly_live.py), so after this time")
COMPONENT_SLIDERS = {  # (page, control) → its slider, when it is not a widget of that key
    ("lab", "beta"): ".st-key-lab_map .mvl-beta input",  # the map's own β and lr
    ("lab", "lr"): ".st-key-lab_map .mvl-lr input",
    ("why", "beta"): ".st-key-why_stage .mvs-beta input",  # its stage's β and lr
    ("why", "lr"): ".st-key-why_stage .mvs-lr input",
}


def _settled(page: Page, field: str, i: int) -> dict[str, float]:
    """``_nudge(page, field, i)`` and wait for the rerun; the time in ms from the last key
    press until the page last changed (its last DOM mutation: every chart drawn, every text in
    place)."""
    page.evaluate(MARK_CHART_JS, "body")
    _nudge(page, field, i)
    e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
    return page.evaluate(SETTLED_JS)


def _field(name: str, key: str) -> str:
    """The input of control ``key`` on page ``name``: a component's slider, or the widget's."""
    return COMPONENT_SLIDERS.get((name, key), f".st-key-{key} input")


def _nudge(page: Page, selector: str, i: int) -> None:
    """Change the input ``selector`` by one step: an arrow key on a slider (right, then left),
    a new value typed into a number field and Enter."""
    field = page.locator(selector).first
    if field.get_attribute("type") == "range":
        field.focus()
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
    else:
        field.fill(f"{float(field.input_value()) + (0.1 if i % 2 == 0 else -0.1):.4g}")
        field.press("Enter")


@bench(*(f"browser-{page}-{key}" for page, (_, keys) in PAGE_CONTROLS.items() for key in keys))
def page_control_rows(ctx: Context) -> Iterator[Row]:
    """The Tuning lab's and the theory page's controls: input → the page stops changing, as a
    multiple of the floor page's slider timed the same way, in turn, in the same run."""
    repeats = ctx.pick(8, 1)
    times: dict[tuple[str, str], list[dict]] = {}
    floor_times: list[dict] = []
    with _harness(), tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp, \
            _servers(Path(tmp)) as (app, tiny), _chromium() as browser:
        floor_context, floor = _open(browser, tiny.url)
        try:
            e2e.wait_for_app(floor, timeout=PAGE_TIMEOUT_MS)
            for name, (query, keys) in PAGE_CONTROLS.items():
                context, page = _open(browser, app.url + query)
                try:
                    e2e.wait_for_app(page, timeout=PAGE_TIMEOUT_MS)
                    for i in range(repeats):
                        for key in keys:
                            times.setdefault((name, key), []).append(
                                _settled(page, _field(name, key), i))
                            floor_times.append(_settled(floor, FLOOR_SLIDER, len(floor_times)))
                finally:
                    context.close()
        finally:
            floor_context.close()
    base = _seconds(floor_times, "total")
    for (name, key), samples in times.items():
        title = "the Tuning lab" if name == "lab" else "Why momentum works"
        yield _against_floor(
            f"browser-{name}-{key}",
            (f"headless Chromium, {title} ({PAGE_CONTROLS[name][0]}): control {key} "
             f"changed by one step → the page's last change (DOM mutation), median of "
             f"{len(samples)}" + (WHY_OUT_OF_SIGHT if name == "why" else "")),
            _seconds(samples, "total"), base,
            "the floor page's slider, timed the same way, same run", CONTROL_TARGET,
            note=f"value sent after {_ms(_medians(samples)['send'])}")
