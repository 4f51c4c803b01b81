"""Load test (`make load`): many sessions at once against a real `streamlit run app.py`.

Starts the server as the Dockerfile does (the repository's .streamlit/config.toml, on a free
local port) and drives it over Streamlit's own websocket protocol: each simulated visitor is
one websocket at /_stcore/stream that sends what the browser sends (a BackMsg ``rerun_script``
carrying the query string, the page and the changed widget's state) and reads the ForwardMsgs
until ``script_finished``, as the browser does before it redraws (with every widget's value,
as the browser sends them). Headless Chromium ×20 on a two-core machine would measure twenty
browsers, not the server; this client's own CPU time is reported so it can be checked. Phases:

1. browse: N sessions for D seconds move sliders (β, steps, lr, rotation, the map's grid)
   and switch between the pages, 2–6 s between two changes of one session (a class
   experimenting). Reported: errors (exceptions, failed or timed-out runs, dropped
   connections; must be 0) and the time from a change to the finished page with its updated
   charts (p50, p95, max).
2. stress: the same with 0.2–1 s between changes: more than one process can serve, to see
   the queue and that nothing fails.
3. formulas: N sessions for F seconds type a formula never seen before, look at it for
   0.5–1.5 s, type the next. Reported: the same latency, and the server's resident memory
   (from /proc) over time, which must level off: every cache is bounded.
4. heavy: one session changes β on the Playground over and over while another asks the
   Tuning lab for 200 × 200 sweeps of 5000 steps. Reported: the Playground's latency with and
   without a sweep running, and how long each sweep took.

With ``--replicas K`` it starts K servers and gives session i to server i mod K, as a load
balancer with sticky sessions would (RELIABILITY.md). Writes test-artifacts/load/report.json
and prints a summary; exits 1 if any error occurred.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import streamlit
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "test-artifacts" / "load" / "report.json"
RUN_TIMEOUT = 120.0
FINISHED_OK = {0, 2, 3}  # successfully, early for a rerun, fragment run successfully


# -- the server ----------------------------------------------------------------------------------
@dataclass
class Server:
    """`streamlit run app.py` with the repository's config, on a free local port."""

    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/_stcore/stream"

    def rss_mb(self) -> float:
        """Resident memory of the server process, from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process, from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def running_server(log: Path) -> Iterator[Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", f"--server.port={port}",
             "--server.address=127.0.0.1"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start; see {log}")
            time.sleep(0.25)
        yield Server(process, port)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                    timeout=2) as response:
            return response.read() == b"ok"
    except OSError:
        return False


# -- one visitor ---------------------------------------------------------------------------------
def widget_state(kind: str, proto, previous: WidgetState | None) -> WidgetState | None:
    """The value a browser holds for a widget after the server sent ``proto``: the value the
    server set, else the one it already had, else the default (None: a widget without a
    lasting value, such as a button). The browser sends all of them with every rerun; the
    app's session state relies on it."""
    if kind not in ("slider", "number_input", "checkbox", "text_input", "selectbox", "radio",
                    "multiselect"):
        return None
    if previous is not None and not proto.set_value:
        return previous
    state = WidgetState(id=proto.id)
    given = proto.set_value
    if kind == "slider" and proto.options:  # a select_slider: formatted option strings
        state.string_array_value.data[:] = (list(proto.raw_value) if given
                                            else [proto.options[int(i)] for i in proto.default])
    elif kind == "slider":
        state.double_array_value.data[:] = list(proto.value if given else proto.default)
    elif kind == "number_input":
        state.double_value = proto.value if given else proto.default
    elif kind == "checkbox":
        state.bool_value = proto.value if given else proto.default
    elif kind == "text_input":
        state.string_value = proto.value if given else proto.default
    elif kind == "multiselect":
        state.string_array_value.data[:] = (list(proto.raw_values) if given
                                            else [proto.options[i] for i in proto.default])
    else:  # selectbox, radio
        state.string_value = proto.raw_value if given else proto.options[proto.default]
    return state


@dataclass
class Session:
    """A browser tab, as far as the server can tell: one websocket, one script run at a time,
    and the value of every widget on the page sent with each rerun."""

    name: str
    errors: list[str]
    widgets: dict[str, str] = field(default_factory=dict)  # widget key → element id
    states: dict[str, WidgetState] = field(default_factory=dict)  # element id → value
    pages: dict[str, str] = field(default_factory=dict)  # page title → script hash
    page: str = ""
    query: str = ""
    socket: websockets.ClientConnection | None = None
    _seen: set[str] = field(default_factory=set)

    async def open(self, url: str, query: str = "", page: str = "") -> float:
        self.socket = await websockets.connect(url, subprotocols=["streamlit"], max_size=None,
                                               open_timeout=30, ping_interval=None)
        self.query = query
        return await self.rerun(page_hash=page)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def set(self, key: str, value: float | str) -> float:
        """Move a slider (numbers) or type into a text input (strings) and wait for the page."""
        state = WidgetState(id=self.widgets[key])
        if isinstance(value, str) and key in SELECT_SLIDERS:  # its option, as it is shown
            state.string_array_value.data[:] = [value]
        elif isinstance(value, str):
            state.string_value = value
        else:
            state.double_array_value.data[:] = [value]
        self.states[state.id] = state
        return await self.rerun()

    async def switch(self, title: str) -> float:
        return await self.rerun(page_hash=self.pages[title])

    async def rerun(self, page_hash: str = "") -> float:
        """Send a rerun; seconds until the server says the script finished."""
        back = BackMsg()
        back.rerun_script.query_string = self.query
        back.rerun_script.page_script_hash = page_hash or self.page
        back.rerun_script.widget_states.widgets.extend(self.states.values())
        self._seen = set()
        start = time.perf_counter()
        try:
            await self.socket.send(back.SerializeToString())
            async with asyncio.timeout(RUN_TIMEOUT):
                while not await self._receive():
                    pass
        except (TimeoutError, websockets.ConnectionClosed) as exc:
            self.errors.append(f"{self.name}: {type(exc).__name__} {exc}")
            raise
        return time.perf_counter() - start

    async def _receive(self) -> bool:
        """Read one ForwardMsg; True when it ends the script run."""
        message = ForwardMsg()
        message.ParseFromString(await self.socket.recv())
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            proto = getattr(element, element.WhichOneof("type"))
            if element.WhichOneof("type") == "exception":
                self.errors.append(f"{self.name}: exception {proto.type}: {proto.message}")
            element_id = getattr(proto, "id", "")
            if element_id.startswith("$$ID-"):
                self.widgets[element_id.rsplit("-", 1)[1]] = element_id
                state = widget_state(element.WhichOneof("type"), proto,
                                     self.states.get(element_id))
                if state is not None:
                    self.states[element_id] = state
                    self._seen.add(element_id)
        elif kind == "navigation":
            self.pages = {p.page_name: p.page_script_hash for p in message.navigation.app_pages}
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "new_session":
            self.page = message.new_session.page_script_hash
        elif kind == "session_event" and message.session_event.WhichOneof("type"):
            self.errors.append(f"{self.name}: {message.session_event}")
        elif kind == "script_finished":
            if message.script_finished not in FINISHED_OK:
                self.errors.append(f"{self.name}: script finished with {message.script_finished}")
            self.states = {k: v for k, v in self.states.items() if k in self._seen}
            return True
        return False


# -- the phases ----------------------------------------------------------------------------------
CLASS_PACE = (2.0, 6.0)
"""Seconds between two changes of one visitor in the browse phase: a student experimenting."""
STRESS_PACE = (0.2, 1.0)
"""… in the stress phase: everyone dragging sliders at once, more than one process can serve."""
SELECT_SLIDERS = {"steps", "lr_log"}
"""Keys of select sliders: their value is sent as the option's text, as the slider shows it."""
ACTIONS = {  # page title → (widget key, values it may take)
    "Playground": [("beta", [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95]),
                   ("steps", ["100", "200", "300"]),
                   ("lr_log", ["0.025", "0.032", "0.038", "0.05"])],
    "Tuning lab": [("beta", [0.5, 0.7, 0.9]), ("map_grid", [20, 40, 60])],
    "Why momentum works": [("beta", [0.5, 0.8, 0.9]), ("rotation", [0, 15, 30, 45])],
}


async def browse(url: str, name: str, seconds: float, errors: list[str],
                 latencies: list[float], rng: random.Random,
                 pause: tuple[float, float]) -> None:
    """Move sliders and switch pages, ``pause`` seconds (a range) between changes."""
    session = Session(name, errors)
    try:
        await session.open(url)
        titles = list(ACTIONS)
        title = "Playground"
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            if rng.random() < 0.2:
                title = rng.choice([t for t in titles if t != title])
                latencies.append(await session.switch(title))
            else:
                key, values = rng.choice(ACTIONS[title])
                latencies.append(await session.set(key, rng.choice(values)))
            await asyncio.sleep(rng.uniform(*pause))  # a person looks at the result
    except (TimeoutError, websockets.ConnectionClosed):
        pass  # recorded as an error by the session
    finally:
        await session.close()


async def type_formulas(url: str, name: str, seconds: float, errors: list[str],
                        latencies: list[float], index: int, rng: random.Random) -> int:
    """Type a formula never seen before, look at it, again and again; returns how many."""
    session = Session(name, errors)
    typed = 0
    try:
        await session.open(url, "surface=custom&formula=x%5E2%2By%5E2")
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            typed += 1
            formula = f"x^2 + {index + 1}.{typed:04d}y^2 + sin({typed}x)/{index + 2}"
            latencies.append(await session.set("formula", formula))
            await asyncio.sleep(rng.uniform(0.5, 1.5))
    except (TimeoutError, websockets.ConnectionClosed):
        pass
    finally:
        await session.close()
    return typed


async def sample_memory(servers: list[Server], samples: list[tuple[float, float]],
                        start: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append((round(time.monotonic() - start, 1),
                        round(sum(s.rss_mb() for s in servers), 1)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def with_memory(servers: list[Server],
                      coroutines: list) -> tuple[list, list[tuple[float, float]]]:
    """Run the sessions' coroutines while sampling the servers' memory (summed) every second."""
    samples: list[tuple[float, float]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(servers, samples, time.monotonic(), stop))
    results = await asyncio.gather(*coroutines)
    stop.set()
    await sampler
    return results, samples


async def heavy_request(url: str, errors: list[str], baseline: float, sweeps: int) -> dict:
    """The Playground's change latency alone, then while 200 × 200 sweeps run on the lab."""
    playground = Session("playground", errors)
    lab = Session("lab", errors)
    await playground.open(url)
    await lab.open(url, "map_grid=200&map_steps=5000")  # on the Playground first
    await playground.set("beta", 0.9)
    sweeping = asyncio.Event()
    sweep_seconds: list[float] = []
    samples: dict[str, list[float]] = {"alone": [], "during a sweep": []}

    async def measure(until: float) -> None:
        values = [0.7, 0.8, 0.85, 0.9]
        i = 0
        while time.monotonic() < until:
            i += 1
            during = sweeping.is_set()
            seconds = await playground.set("beta", values[i % len(values)])
            if during and sweeping.is_set():
                samples["during a sweep"].append(seconds)
            elif not during and not sweeping.is_set():
                samples["alone"].append(seconds)
            await asyncio.sleep(0.2)

    async def sweep() -> None:
        for i in range(sweeps):  # 5000, 4990, … steps: each a new sweep, never cached
            await asyncio.sleep(3)
            sweeping.set()
            if i == 0:  # opening the lab at 200 × 200 × 5000 steps
                sweep_seconds.append(await lab.switch("Tuning lab"))
            else:
                sweep_seconds.append(await lab.set("map_steps", 5000 - 10 * i))
            sweeping.clear()

    await measure(time.monotonic() + baseline)
    sweeper = asyncio.create_task(sweep())
    while not sweeper.done():
        await measure(time.monotonic() + 1)
    await sweeper
    await playground.close()
    await lab.close()
    return {"playground": {k: summary(v) for k, v in samples.items()},
            "sweep_seconds": [round(s, 2) for s in sweep_seconds]}


# -- reporting -----------------------------------------------------------------------------------
def summary(latencies: list[float]) -> dict:
    if not latencies:
        return {"count": 0}
    ordered = sorted(latencies)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18] if len(ordered) > 1 \
        else ordered[0]
    return {"count": len(ordered), "p50_ms": round(1000 * statistics.median(ordered)),
            "p95_ms": round(1000 * p95), "max_ms": round(1000 * ordered[-1])}


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip()
                  for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpu": model, "cores": os.cpu_count(),
            "python": platform.python_version(), "streamlit": streamlit.__version__,
            "load_average_before": os.getloadavg()}


async def main(args: argparse.Namespace) -> dict:
    report: dict = {"machine": machine(), "sessions": args.sessions, "replicas": args.replicas}
    errors: list[str] = []
    rng = random.Random(args.seed)
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(running_server(REPORT.parent / f"server-{i}.log"))
                   for i in range(args.replicas)]
        for server in servers:  # the first run imports sympy & co.: not measured
            warm = Session("warm-up", errors)
            await warm.open(server.url)
            await warm.close()
        report["rss_mb_idle"] = round(sum(s.rss_mb() for s in servers), 1)

        def url(i: int) -> str:
            """Session i's replica: a sticky load balancer's choice."""
            return servers[i % len(servers)].url

        def cpu() -> float:
            return sum(s.cpu_seconds() for s in servers)

        for phase, pause in (("browse", CLASS_PACE), ("stress", STRESS_PACE)):
            latencies: list[float] = []
            server_cpu, client_cpu = cpu(), time.process_time()
            _, memory = await with_memory(servers, [
                browse(url(i), f"{phase}-{i}", args.seconds, errors, latencies,
                       random.Random(rng.random()), pause) for i in range(args.sessions)])
            report[phase] = {"pause_s": pause, "seconds": args.seconds,
                             "latency": summary(latencies), "memory_mb": memory,
                             "server_cpu_s": round(cpu() - server_cpu, 1),
                             "client_cpu_s": round(time.process_time() - client_cpu, 1)}
            print(f"{phase}:", report[phase]["latency"], flush=True)

        latencies = []
        typed, memory = await with_memory(servers, [
            type_formulas(url(i), f"formula-{i}", args.formula_seconds, errors, latencies, i,
                          random.Random(rng.random())) for i in range(args.sessions)])
        report["formulas"] = {"seconds": args.formula_seconds, "typed": sum(typed),
                              "latency": summary(latencies), "memory_mb": memory}
        print("formulas:", sum(typed), "typed,", report["formulas"]["latency"], flush=True)

        report["heavy"] = await heavy_request(url(0), errors, args.baseline, args.sweeps)
        print("heavy:", report["heavy"], flush=True)
        report["rss_mb_end"] = round(sum(s.rss_mb() for s in servers), 1)
    errors += log_problems(REPORT.parent / f"server-{i}.log" for i in range(args.replicas))
    report["machine"]["load_average_after"] = os.getloadavg()
    report["errors"] = errors
    return report


def log_problems(logs: Iterator[Path]) -> list[str]:
    """Tracebacks and warnings (a RuntimeWarning from NumPy, a deprecation) in the servers'
    logs: visitors never see them, so the log is where they would hide."""
    return [f"{log.name}: {line.strip()}" for log in logs
            for line in log.read_text(errors="replace").splitlines()
            if "Traceback" in line or "Warning" in line or "Error" in line]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--replicas", type=int, default=1,
                        help="servers, the sessions spread over them as by a sticky balancer")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="of the browse and the stress phase each")
    parser.add_argument("--formula-seconds", type=float, default=180.0,
                        help="of typing formulas (long enough to fill every cache many times)")
    parser.add_argument("--baseline", type=float, default=15.0,
                        help="seconds of Playground latency without a sweep")
    parser.add_argument("--sweeps", type=int, default=3, help="200 × 200 sweeps to run")
    parser.add_argument("--seed", type=int, default=6)
    return parser.parse_args()


if __name__ == "__main__":
    result = asyncio.run(main(parse_args()))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(result, indent=1))
    print(f"errors: {len(result['errors'])}", *result["errors"][:20], sep="\n")
    print(f"report: {REPORT}")
    sys.exit(1 if result["errors"] else 0)
