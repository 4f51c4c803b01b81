"""Load test (`make load`): a class at once against a real `streamlit run app.py`.

Starts the server as the Dockerfile does (the repository's .streamlit/config.toml, on a free
local port) and drives it over Streamlit's own websocket protocol: each simulated visitor loads
the page over HTTP (keeping the cookies it is given, as a browser does), opens one websocket at
/_stcore/stream, sends what the browser sends (a BackMsg ``rerun_script`` carrying the query
string, the page and every widget's value) and reads the ForwardMsgs until ``script_finished``,
as the browser does before it redraws. Headless Chromium ×30 on a two-core machine would
measure thirty browsers, not the server; this client's own CPU time is reported so it can be
checked. The server's CPU time comes from /proc/<pid>/stat. Phases:

0. cold start: N sessions open the freshly started server at the same instant, on the
   Playground, the Tuning lab and the theory page in turn (a class following a link): the
   first runs import their modules in N script threads at once. Must give 0 errors.
1. profile: one session alone opens each page and sets each control of ``ACTIONS`` to each of
   its values, one change at a time: the server's CPU seconds and the latency of each change,
   per page and control (nothing else runs, so the server's CPU is this session's).
2. browse: N sessions for D seconds move sliders (β, steps, lr, rotation, the map's grid)
   and switch between the pages, 2–6 s between two changes of one session (a class
   experimenting). Reported: errors (exceptions, failed or timed-out runs, dropped
   connections; must be 0), the time from a change to the finished page with its updated
   charts (p50, p95, max) and the server's CPU seconds per change.
3. hostile: the same, but a tenth of the sessions send hostile input at the same pace (so
   ~10 % of requests): formulas from the hostile corpus typed into the formula box, and links
   from the hostile URL corpus opened in a new tab (scripts/hostile_inputs.py). The other
   sessions must see 0 errors and a latency within 1.5× of the browse phase's.
4. stress: browse with 0.2–1 s between changes: more than one process can serve, to see
   the queue and that nothing fails.
5. formulas: N sessions for F seconds type a formula never seen before, look at it for
   0.5–1.5 s, type the next. Reported: the same latency, and the server's resident memory
   (from /proc) over time, which must level off: every cache is bounded.
6. heavy: one session changes β on the Playground over and over while another asks the
   Tuning lab for 200 × 200 sweeps of 5000 steps. Reported: the Playground's latency with and
   without a sweep running, and how long each sweep took.

The same visitors run through HAProxy in ``scripts/load_cluster.py`` (`make load-cluster`).
Writes test-artifacts/load/report.json and prints a summary; exits 1 if any error occurred
(in a session or in the server's log).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import streamlit
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from scripts.cluster import REPLICA_HEADER, ROOT, Cluster, running_cluster, spread
from scripts.hostile_inputs import HOSTILE_FORMULAS, HOSTILE_URLS, payloads_everywhere
from testkit.components import data_of

ARTIFACTS = ROOT / "test-artifacts"
RUN_TIMEOUT = 120.0
FINISHED_OK = {0, 3}  # successfully, fragment run successfully
FINISHED_FRAGMENT = 3
FINISHED_EARLY_FOR_RERUN = 2
STAGE_COMPONENT = "momentum_viz_stage"
"""The Playground's stage: sent in two parts, it asks for the second once it has drawn."""
RECONNECT_PATIENCE = 30.0
"""How long a visitor waits for the page after a reconnection before acting again (its next
change sends a rerun). Streamlit 1.67 can lose that run's answer: its runtime sends queued
messages in a loop over the sessions it listed when the loop began, yielding after each
message; a session that reconnects during that loop has its next run's messages written to the
closed websocket of the connection it had (they are dropped) instead of the new one. A browser
then keeps showing the page as it was, marked running, until the visitor's next change is
answered. Counted as ``unanswered`` in the report; an error only if the next action is not
answered either."""
FAILOVER_SECONDS = 30.0
"""How long a session whose replica died keeps trying to reconnect through the balancer."""
CONNECTION_PROBLEMS = (TimeoutError, OSError, websockets.WebSocketException)


# -- one visitor ---------------------------------------------------------------------------------
def widget_state(kind: str, proto, previous: WidgetState | None) -> WidgetState | None:
    """The value a browser holds for a widget after the server sent ``proto``: the value the
    server set, else the one it already had, else the default (None: a widget without a
    lasting value, such as a button). The browser sends all of them with every rerun; the
    app's session state relies on it."""
    if kind == "bidi_component":  # a custom component: what it last sent, if anything
        return previous
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




def value_of(state: WidgetState) -> bytes:
    """A widget's value without its element id (which differs between pages)."""
    value = WidgetState()
    value.CopyFrom(state)
    value.ClearField("id")
    return value.SerializeToString()


@dataclass
class Session:
    """A browser tab, as far as the server can tell: its cookies, one websocket, one script run
    at a time, and the value of every widget on the page sent with each rerun. ``address`` is
    host:port of the server or of the balancer in front of it."""

    name: str
    address: str
    errors: list[str]
    widgets: dict[str, str] = field(default_factory=dict)  # widget key → element id
    states: dict[str, WidgetState] = field(default_factory=dict)  # element id → value
    fragments: dict[str, str] = field(default_factory=dict)  # element id → its fragment's id
    pages: dict[str, str] = field(default_factory=dict)  # page title → script hash
    page: str = ""
    query: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    replicas: list[str] = field(default_factory=list)  # the replica of each connection
    session_id: str = ""  # the server's id of this session
    resumed: int = 0  # reconnections the server answered with the same session
    unanswered: int = 0  # reconnections whose first rerun got no answer (RECONNECT_PATIENCE)
    settled: tuple[str, str, dict[str, bytes]] = ("", "", {})  # page, query, key → value
    socket: websockets.ClientConnection | None = None
    asks: tuple[str, str, str] | None = None  # the stage's families request, once it is drawn
    _seen: set[str] = field(default_factory=set)

    async def open(self, query: str = "", page: str = "", path: str = "") -> float:
        """Load the page with ``query`` and run it; seconds from the websocket's first rerun.
        The page is ``page`` (a script hash), else the one at ``path`` (a link to /tuning_lab
        has the path ``tuning_lab``), else the default page."""
        self.query = query
        await self._connect(resume=False)
        return await self.rerun(page_hash=page, page_name=path)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def reconnect(self) -> float:
        """Drop the websocket and open it again, as a browser does after a network blip: with
        its cookies and its session id, then the rerun it had. Seconds until the page is back."""
        await self.socket.close()
        start, previous = time.perf_counter(), self.session_id
        await self._connect(resume=True)
        try:
            await self.rerun(timeout=RECONNECT_PATIENCE)
        except TimeoutError:
            self.unanswered += 1
            await self.rerun()  # the visitor acts again
        self.resumed += self.session_id == previous
        return time.perf_counter() - start

    async def failover(self) -> float:
        """After its server died: reconnect through the balancer (retrying while it notices)
        and rerun with the URL's query string alone, as a browser does when the server no
        longer knows its session. Records an error unless the page comes back with that URL
        (the app writes its state into the URL after every run: a state lost is a new URL) and,
        when the URL is the one of the last finished run, every control as it was then.
        Seconds until the page is back."""
        page, query, values = self.settled
        sent, start = self.query, time.perf_counter()
        deadline = time.monotonic() + FAILOVER_SECONDS
        while True:
            try:
                await self._connect(resume=True)
                break
            except CONNECTION_PROBLEMS:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        self.states = {}
        await self.rerun()
        if self.query != sent:
            self.errors.append(f"{self.name}: failed over to another URL: {sent[:200]!r} → "
                               f"{self.query[:200]!r}")
        elif (page, query) == (self.page, sent):
            lost = sorted(k for k, v in values.items() if self.settled[2].get(k, v) != v)
            if lost:
                self.errors.append(f"{self.name}: failed over without its controls: {lost}")
        return time.perf_counter() - start

    async def _connect(self, resume: bool) -> None:
        await asyncio.to_thread(self._load_page)
        protocols = ["streamlit", self.cookies.get("_streamlit_xsrf", "none")]
        if resume and self.session_id:
            protocols.append(self.session_id)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.socket = await websockets.connect(
                f"ws://{self.address}/_stcore/stream", subprotocols=protocols,
                additional_headers={"Cookie": cookie} if cookie else {}, max_size=None,
                open_timeout=30, ping_interval=None)
        except TimeoutError as exc:
            raise TimeoutError("no websocket within 30 s") from exc
        self.replicas.append(self.socket.response.headers.get(REPLICA_HEADER, "server"))

    def _load_page(self) -> None:
        """GET the app's page, keeping the cookies it sets (the balancer's sticky one)."""
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(f"http://{self.address}/",
                                         headers={"Cookie": cookie} if cookie else {})
        try:
            response = urllib.request.urlopen(request, timeout=30)
        except TimeoutError as exc:
            raise TimeoutError("no page within 30 s") from exc
        with response:
            response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for morsel in SimpleCookie(header).values():
                    self.cookies[morsel.key] = morsel.value

    async def set(self, key: str, value: float | str) -> float:
        """Move a slider (numbers) or type into a text input (strings) and wait for the page.
        ``component.name`` sets ``name`` in a custom component's state, as its ``setStateValue``
        does in the browser (the Playground's stage sends β that way on release). A widget
        drawn by a fragment reruns that fragment, as in the browser."""
        key, _, name = key.partition(".")
        state = WidgetState(id=self.widgets[key])
        if name:
            state = self._component_state(state.id, name, value)
        elif isinstance(value, str) and key in SELECT_SLIDERS:  # its option, as it is shown
            state.string_array_value.data[:] = [value]
        elif isinstance(value, str):
            state.string_value = value
        else:
            state.double_array_value.data[:] = [value]
        self.states[state.id] = state
        return await self.rerun(fragment=self.fragments.get(state.id, ""))

    def _component_state(self, element_id: str, name: str, value: object) -> WidgetState:
        """The custom component ``element_id``'s state with ``name`` set to ``value``."""
        held = self.states.get(element_id)
        values = json.loads(held.json_value) if held is not None else {}
        return WidgetState(id=element_id, json_value=json.dumps(values | {name: value}))

    async def switch(self, title: str) -> float:
        return await self.rerun(page_hash=self.pages[title])

    async def rerun(self, page_hash: str = "", page_name: str = "",
                    timeout: float = RUN_TIMEOUT, fragment: str = "") -> float:
        """Send a rerun (of the fragment ``fragment``, if not empty); seconds until the server
        says the script finished (TimeoutError after ``timeout`` seconds). When the run sent
        the Playground's stage in its first part (the released runs), the stage's own rerun
        that a browser's drawing asks for follows, and counts: the change is done when the
        stage can scrub."""
        elapsed = await self._run_once(page_hash, page_name, timeout, fragment=fragment)
        if self.asks is not None:
            element_id, token, stage = self.asks
            self.asks = None
            self.states[element_id] = self._component_state(element_id, "families", token)
            elapsed += await self._run_once("", "", timeout, fragment=stage)
        return elapsed

    async def _run_once(self, page_hash: str, page_name: str, timeout: float,
                        fragment: str) -> float:
        """One run of the page (of its fragment ``fragment``, if not empty)."""
        self.page = page_hash or self.page  # the page a browser's address bar now shows
        back = BackMsg()
        back.rerun_script.query_string = self.query
        back.rerun_script.page_script_hash = self.page
        back.rerun_script.page_name = page_name
        back.rerun_script.fragment_id = fragment
        back.rerun_script.widget_states.widgets.extend(self.states.values())
        self._seen = set()
        start = time.perf_counter()
        await self.socket.send(back.SerializeToString())
        try:
            async with asyncio.timeout(timeout):
                while not await self._receive():
                    pass
        except TimeoutError as exc:
            raise TimeoutError(f"the run did not finish within {timeout:.0f} s") from exc
        return time.perf_counter() - start

    async def _receive(self) -> bool:
        """Read one ForwardMsg; True when it ends the script run (a run cut short by the page's
        own ``st.rerun()`` does not: the rerun that follows does)."""
        message = ForwardMsg()
        message.ParseFromString(await self.socket.recv())
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            proto = getattr(element, element.WhichOneof("type"))
            if element.WhichOneof("type") == "exception":
                self.errors.append(f"{self.name}: exception {proto.type}: {proto.message}")
            element_id = getattr(proto, "id", "")
            if getattr(proto, "component_name", "") == STAGE_COMPONENT:
                data = data_of(proto)
                self.asks = ((element_id, data["familiesToken"], message.delta.fragment_id)
                             if data.get("partial") else None)
            if element_id.startswith("$$ID-"):
                self.widgets[element_id.rsplit("-", 1)[1]] = element_id
                self.fragments[element_id] = message.delta.fragment_id
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
            self.session_id = message.new_session.initialize.session_id
        elif kind == "session_event" and message.session_event.WhichOneof("type"):
            self.errors.append(f"{self.name}: {message.session_event}")
        elif kind == "script_finished":
            if message.script_finished == FINISHED_EARLY_FOR_RERUN:
                return False  # the page called st.rerun(): a browser waits for that run too
            if message.script_finished not in FINISHED_OK:
                self.errors.append(f"{self.name}: script finished with {message.script_finished}")
            if message.script_finished != FINISHED_FRAGMENT:  # a fragment's run keeps the rest
                self.states = {k: v for k, v in self.states.items() if k in self._seen}
            self.settled = (self.page, self.query, {
                key: value_of(self.states[i]) for key, i in self.widgets.items()
                if i in self.states})
            return True
        return False


@dataclass
class Tally:
    """What one group of sessions saw during a phase."""

    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # change → finished page, seconds
    reconnects: list[float] = field(default_factory=list)  # blip → page back, seconds
    failovers: list[float] = field(default_factory=list)  # dead replica → page back, seconds
    resumed: int = 0
    unanswered: int = 0
    histories: dict[str, list[str]] = field(default_factory=dict)  # session → its replicas

    def report(self, killed: Iterable[str] = ()) -> dict:
        """Counts and latency summaries; the first 20 errors; where the sessions were served."""
        result = {"changes": len(self.latencies), "latency": summary(self.latencies),
                  "error_count": len(self.errors), "errors": self.errors[:20],
                  "replicas": spread(self.histories, list(killed))}
        if self.reconnects:
            result["reconnects"] = {"latency": summary(self.reconnects),
                                    "resumed_same_session": self.resumed,
                                    "unanswered_then_answered": self.unanswered}
        if self.failovers:
            result["failovers"] = summary(self.failovers)
        return result


@contextlib.asynccontextmanager
async def visit(session: Session, tally: Tally) -> AsyncIterator[Session]:
    """Run a visitor: a dropped connection or a run that never finished is an error in
    ``tally``; the session's replicas are recorded and its websocket closed in any case."""
    try:
        yield session
    except CONNECTION_PROBLEMS as exc:
        tally.errors.append(f"{session.name}: {type(exc).__name__} {exc}")
    finally:
        tally.histories[session.name] = session.replicas
        tally.resumed += session.resumed
        tally.unanswered += session.unanswered
        with contextlib.suppress(*CONNECTION_PROBLEMS):
            await session.close()


# -- the visitors --------------------------------------------------------------------------------
CLASS_PACE = (2.0, 6.0)
"""Seconds between two changes of one visitor in the browse phase: a student experimenting."""
STRESS_PACE = (0.2, 1.0)
"""… in the stress phase: everyone dragging sliders at once, more than one process can serve."""
SELECT_SLIDERS = {"steps"}
"""Keys of select sliders: their value is sent as the option's text, as the slider shows it."""
PLAYGROUND_BETA = "stage.beta"
"""The Playground's β: the stage component's slider, sent on release."""
PLAYGROUND_LR = "stage.lr"
"""The Playground's lr: the stage component's other slider, sent on release."""
WHY_BETA = "why_stage.beta"
"""Why momentum works's β: its stage's slider, sent on release."""
ACTIONS = {  # page title → (widget key, values it may take)
    "Playground": [(PLAYGROUND_BETA, [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95]),
                   ("steps", ["100", "200", "300"]),
                   (PLAYGROUND_LR, [0.025, 0.032, 0.038, 0.05])],
    "Tuning lab": [("lab_map.beta", [0.5, 0.7, 0.9]), ("map_grid", [20, 40, 60])],
    "Why momentum works": [(WHY_BETA, [0.5, 0.8, 0.9]), ("rotation", [0, 15, 30, 45])],
}
HOSTILE_SHARE = 0.1
"""Fraction of the sessions that send hostile input in the hostile phase."""
HOSTILE_SLOWDOWN = 1.5
"""The other sessions' p50 and p95 may be at most this many times the browse phase's."""
HOSTILE_LINKS = [*HOSTILE_URLS, payloads_everywhere(sorted({k for q in HOSTILE_URLS for k in q}))]
CUSTOM_QUERY = "surface=custom&formula=x%5E2%2By%5E2"


async def browse(cluster: Cluster, name: str, seconds: float, tally: Tally,
                 rng: random.Random, pause: tuple[float, float], reconnect: float = 0.0) -> None:
    """Move sliders and switch pages, ``pause`` seconds (a range) between changes; with
    probability ``reconnect`` an action is a dropped and reopened websocket instead. A session
    whose replica was killed fails over to another (``Session.failover``)."""
    session = Session(name, cluster.address, tally.errors)
    async with visit(session, tally):
        await session.open()
        title = "Playground"
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            draw = rng.random()
            try:
                if draw < reconnect:
                    tally.reconnects.append(await session.reconnect())
                elif draw < reconnect + 0.2:
                    title = rng.choice([t for t in ACTIONS if t != title])
                    tally.latencies.append(await session.switch(title))
                else:
                    key, values = rng.choice(ACTIONS[title])
                    tally.latencies.append(await session.set(key, rng.choice(values)))
            except websockets.ConnectionClosed:
                if session.replicas[-1] not in cluster.killed:
                    raise
                tally.failovers.append(await session.failover())
            await asyncio.sleep(rng.uniform(*pause))  # a person looks at the result


async def send_hostile(cluster: Cluster, name: str, seconds: float, tally: Tally,
                       rng: random.Random, pause: tuple[float, float]) -> None:
    """At the browse pace: type a formula from the hostile corpus into the formula box, or open
    a link from the hostile URL corpus on a random page in a new tab (a new session)."""
    session = Session(name, cluster.address, tally.errors)
    async with visit(session, tally):
        await session.open(CUSTOM_QUERY)
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            if rng.random() < 0.5:
                tally.latencies.append(
                    await session.set("formula", rng.choice(HOSTILE_FORMULAS)))
            else:
                tab = Session(f"{name}-tab", cluster.address, tally.errors)
                async with visit(tab, tally):
                    tally.latencies.append(await tab.open(
                        urlencode(rng.choice(HOSTILE_LINKS), doseq=True),
                        rng.choice(list(session.pages.values()))))
            await asyncio.sleep(rng.uniform(*pause))


async def type_formulas(cluster: Cluster, name: str, seconds: float, tally: Tally, index: int,
                        rng: random.Random) -> int:
    """Type a formula never seen before, look at it, again and again; returns how many."""
    session = Session(name, cluster.address, tally.errors)
    typed = 0
    async with visit(session, tally):
        await session.open(CUSTOM_QUERY)
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            typed += 1
            formula = f"x^2 + {index + 1}.{typed:04d}y^2 + sin({typed}x)/{index + 2}"
            tally.latencies.append(await session.set("formula", formula))
            await asyncio.sleep(rng.uniform(0.5, 1.5))
    return typed


PROFILE_SETTLE = 0.3
"""Seconds the profile waits after a change's answer before reading the server's CPU time: what
the server does after the run (Streamlit's post-run garbage collection, when on) counts too."""


async def profile(cluster: Cluster, tally: Tally) -> dict:
    """Server CPU seconds and latency of each kind of change, made one at a time by one session
    with nothing else running: each page opened, each control of ``ACTIONS`` set to each of its
    values (mostly first computations: the caches hold none of them yet)."""
    rows: dict[str, list[tuple[float, float]]] = {}

    async def measured(change: Awaitable[float]) -> tuple[float, float]:
        cpu = cluster.server_cpu_seconds()
        seconds = await change
        await asyncio.sleep(PROFILE_SETTLE)
        return cluster.server_cpu_seconds() - cpu, seconds

    session = Session("profile", cluster.address, tally.errors)
    async with visit(session, tally):
        await session.open()
        for title, controls in ACTIONS.items():
            rows[f"{title}: open"] = [await measured(session.switch(title))]
            for key, values in controls:
                rows[f"{title}: {key}"] = [await measured(session.set(key, v)) for v in values]
    return {row: {"changes": len(pairs), "server_cpu_s": [round(c, 3) for c, _ in pairs],
                  "server_cpu_s_per_change": round(statistics.mean(c for c, _ in pairs), 3),
                  "latency": summary([s for _, s in pairs])} for row, pairs in rows.items()}


# -- the phases ----------------------------------------------------------------------------------
async def sample_memory(cluster: Cluster, samples: list[tuple[float, float]], start: float,
                        stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append((round(time.monotonic() - start, 1), round(cluster.rss_mb(), 1)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def measured_phase(cluster: Cluster, coroutines: list[Awaitable],
                         tallies: Mapping[str, Tally]) -> tuple[list, dict]:
    """Run the sessions' coroutines together. Returns their results and what the phase cost:
    the servers' CPU seconds (in all and per change), the balancer's and this client's, and the
    servers' memory (summed) sampled every second."""
    samples: list[tuple[float, float]] = []
    stop = asyncio.Event()
    server_cpu, balancer_cpu = cluster.server_cpu_seconds(), cluster.balancer_cpu_seconds()
    client_cpu, start = time.process_time(), time.monotonic()
    sampler = asyncio.create_task(sample_memory(cluster, samples, start, stop))
    results = await asyncio.gather(*coroutines)
    stop.set()
    await sampler
    server_cpu = cluster.server_cpu_seconds() - server_cpu
    changes = sum(len(t.latencies) for t in tallies.values())
    return results, {
        "wall_s": round(time.monotonic() - start, 1), "server_cpu_s": round(server_cpu, 1),
        "server_cpu_s_per_change": round(server_cpu / max(changes, 1), 3),
        "balancer_cpu_s": round(cluster.balancer_cpu_seconds() - balancer_cpu, 2),
        "client_cpu_s": round(time.process_time() - client_cpu, 1), "memory_mb": samples}


async def kill_later(cluster: Cluster, name: str, seconds: float) -> None:
    await asyncio.sleep(seconds)
    cluster.kill(name)


async def crowd(cluster: Cluster, phase: str, sessions: int, seconds: float,
                pause: tuple[float, float], rng: random.Random, errors: list[str], *,
                hostile: int = 0, reconnect: float = 0.0, kill: tuple[str, float] | None = None,
                ) -> dict:
    """``sessions`` visitors at once for ``seconds``: the first ``hostile`` of them send hostile
    input (``send_hostile``), the others browse (``browse``, with ``reconnect``). ``kill`` =
    (replica, seconds): that replica is killed that many seconds in. Every error is added to
    ``errors``; returns the phase's report, one entry per group of sessions."""
    tallies = {"visitors": Tally(), "hostile": Tally()}
    coroutines = [
        send_hostile(cluster, f"{phase}-{i}", seconds, tallies["hostile"],
                     random.Random(rng.random()), pause) if i < hostile else
        browse(cluster, f"{phase}-{i}", seconds, tallies["visitors"],
               random.Random(rng.random()), pause, reconnect)
        for i in range(sessions)]
    if kill is not None:
        coroutines.append(kill_later(cluster, *kill))
    _, usage = await measured_phase(cluster, coroutines, tallies)
    report = {"sessions": sessions, "pause_s": pause, "seconds": seconds, **usage,
              "visitors": tallies["visitors"].report(cluster.killed)}
    if hostile:
        requests = sum(len(t.latencies) for t in tallies.values())
        report["hostile"] = {**tallies["hostile"].report(), "share_of_requests":
                             round(len(tallies["hostile"].latencies) / max(requests, 1), 3)}
    for tally in tallies.values():
        errors += tally.errors
    return report


async def heavy_request(cluster: Cluster, tally: Tally, baseline: float, sweeps: int) -> dict:
    """The Playground's change latency alone, then while 200 × 200 sweeps run on the lab."""
    playground = Session("playground", cluster.address, tally.errors)
    lab = Session("lab", cluster.address, tally.errors)
    sweep_seconds: list[float] = []
    samples: dict[str, list[float]] = {"alone": [], "during a sweep": []}
    sweeping = asyncio.Event()

    async def measure(until: float) -> None:
        values = [0.7, 0.8, 0.85, 0.9]
        i = 0
        while time.monotonic() < until:
            i += 1
            during = sweeping.is_set()
            seconds = await playground.set(PLAYGROUND_BETA, values[i % len(values)])
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

    async with visit(playground, tally), visit(lab, tally):
        await playground.open()
        await lab.open("map_grid=200&map_steps=5000")  # on the Playground first
        await playground.set(PLAYGROUND_BETA, 0.9)
        await measure(time.monotonic() + baseline)
        sweeper = asyncio.create_task(sweep())
        while not sweeper.done():
            await measure(time.monotonic() + 1)
        await sweeper
    return {"playground": {k: summary(v) for k, v in samples.items()},
            "sweep_seconds": [round(s, 2) for s in sweep_seconds]}


COLD_PATHS = ["", "tuning_lab", "why_momentum"]
"""The links a class opens a fresh server with: the Playground, the Tuning lab, the theory."""


async def cold_open(cluster: Cluster, sessions: int, errors: list[str]) -> dict:
    """A class opening freshly started servers at the same instant: ``sessions`` sessions open
    the app on each replica at once (the first runs import sympy, pandas & co. in several
    script threads together). Returns the latency of those first page loads."""
    tally = Tally()

    async def first(replica: str, i: int) -> None:
        session = Session(f"cold-{replica}-{i}", replica, tally.errors)
        async with visit(session, tally):
            tally.latencies.append(await session.open(path=COLD_PATHS[i % len(COLD_PATHS)]))

    await asyncio.gather(*(first(f"127.0.0.1:{r.port}", i)
                           for r in cluster.replicas for i in range(sessions)))
    errors += tally.errors
    return {"sessions": sessions * len(cluster.replicas), "latency": summary(tally.latencies),
            "error_count": len(tally.errors)}


# -- reporting -----------------------------------------------------------------------------------
def summary(latencies: list[float]) -> dict:
    """Count, p50, p95 and max of durations in seconds, in milliseconds."""
    if not latencies:
        return {"count": 0}
    ordered = sorted(latencies)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18] if len(ordered) > 1 \
        else ordered[0]
    return {"count": len(ordered), "p50_ms": round(1000 * statistics.median(ordered)),
            "p95_ms": round(1000 * p95), "max_ms": round(1000 * ordered[-1])}


def ratio(latency: dict, baseline: dict) -> dict:
    """p50 and p95 of one latency summary over another's."""
    return {q: round(latency[q] / baseline[q], 2) if baseline.get(q) and q in latency else None
            for q in ("p50_ms", "p95_ms")}


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip()
                  for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpu": model, "cores": os.cpu_count(),
            "python": platform.python_version(), "streamlit": streamlit.__version__,
            "load_average_before": os.getloadavg()}


def log_problems(logs: Iterable[Path]) -> list[str]:
    """Tracebacks and warnings (a RuntimeWarning from NumPy, a deprecation) in the servers'
    logs: visitors never see them, so the log is where they would hide."""
    return [f"{log.parent.name}/{log.name}: {line.strip()}" for log in logs
            for line in log.read_text(errors="replace").splitlines()
            if "Traceback" in line or "Warning" in line or "Error" in line]


def finish(report: dict, logs: Iterable[Path], path: Path) -> int:
    """Add the problems in the servers' ``logs`` to ``report["errors"]`` (the sessions'), write
    the report to ``path`` and print the errors; the exit status: 1 if there was any."""
    errors = report["errors"] = report["errors"] + log_problems(logs)
    report["machine"]["load_average_after"] = os.getloadavg()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1))
    print(f"errors: {len(errors)}", *errors[:20], sep="\n")
    print(f"report: {path}")
    return 1 if errors else 0


def show(phase: str, result: dict) -> None:
    """One line of the summary: latency and server CPU per change of a crowd phase."""
    print(f"{phase}: {result['visitors']['latency']}, server CPU {result['server_cpu_s']} s "
          f"({result['server_cpu_s_per_change']} s per change), "
          f"errors {result['visitors']['error_count']}", flush=True)


async def main(args: argparse.Namespace) -> dict:
    """All phases against one server process; the report (errors in ``report["errors"]``)."""
    report: dict = {"machine": machine(), "sessions": args.sessions}
    errors: list[str] = []
    rng = random.Random(args.seed)
    logs = ARTIFACTS / "load"
    with running_cluster(1, logs, balanced=False) as cluster:
        report["cold_open"] = await cold_open(cluster, args.sessions, errors)
        print("cold open:", report["cold_open"], flush=True)
        report["rss_mb_idle"] = round(cluster.rss_mb(), 1)
        tally = Tally()
        report["profile"] = await profile(cluster, tally)
        errors += tally.errors
        for row, cost in report["profile"].items():
            print(f"profile {row}: {cost['server_cpu_s_per_change']} s CPU per change, "
                  f"p50 {cost['latency']['p50_ms']} ms", flush=True)

        report["browse"] = await crowd(cluster, "browse", args.sessions, args.seconds,
                                       CLASS_PACE, rng, errors)
        show("browse", report["browse"])
        hostile = await crowd(cluster, "hostile", args.sessions, args.seconds, CLASS_PACE, rng,
                              errors, hostile=max(1, round(HOSTILE_SHARE * args.sessions)))
        hostile["visitors_vs_browse"] = ratio(hostile["visitors"]["latency"],
                                              report["browse"]["visitors"]["latency"])
        hostile["visitors_within_slowdown"] = all(
            r is not None and r <= HOSTILE_SLOWDOWN for r in hostile["visitors_vs_browse"].values())
        report["hostile"] = hostile
        show("hostile", hostile)
        print(f"  hostile: {hostile['hostile']['changes']} requests "
              f"({hostile['hostile']['share_of_requests']:.0%}), "
              f"errors {hostile['hostile']['error_count']}; the others' latency ÷ browse: "
              f"{hostile['visitors_vs_browse']} (within {HOSTILE_SLOWDOWN}×: "
              f"{hostile['visitors_within_slowdown']})", flush=True)
        report["stress"] = await crowd(cluster, "stress", args.sessions, args.seconds,
                                       STRESS_PACE, rng, errors)
        show("stress", report["stress"])

        tally = Tally()
        typed, usage = await measured_phase(cluster, [
            type_formulas(cluster, f"formula-{i}", args.formula_seconds, tally, i,
                          random.Random(rng.random())) for i in range(args.sessions)],
            {"formulas": tally})
        report["formulas"] = {"seconds": args.formula_seconds, "typed": sum(typed),
                              "latency": summary(tally.latencies), **usage}
        errors += tally.errors
        print("formulas:", sum(typed), "typed,", report["formulas"]["latency"],
              f"server CPU {usage['server_cpu_s_per_change']} s per formula", flush=True)

        tally = Tally()
        report["heavy"] = await heavy_request(cluster, tally, args.baseline, args.sweeps)
        errors += tally.errors
        print("heavy:", report["heavy"], flush=True)
        report["rss_mb_end"] = round(cluster.rss_mb(), 1)
    report["errors"] = errors
    return report


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="of the browse, hostile and stress phases each")
    parser.add_argument("--formula-seconds", type=float, default=180.0,
                        help="of typing formulas (long enough to fill every cache many times)")
    parser.add_argument("--baseline", type=float, default=15.0,
                        help="seconds of Playground latency without a sweep")
    parser.add_argument("--sweeps", type=int, default=3, help="200 × 200 sweeps to run")
    parser.add_argument("--seed", type=int, default=6)
    return parser.parse_args()


if __name__ == "__main__":
    result = asyncio.run(main(parse_args()))
    sys.exit(finish(result, (ARTIFACTS / "load").glob("r*.log"),
                    ARTIFACTS / "load" / "report.json"))
