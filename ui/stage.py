"""The Playground's stage: the map, the paths, the animation and the loss chart in one browser
component whose β and lr sliders redraw while they are dragged.

The data comes from ``momentum_viz.stage.stage_data`` (pure, tested without Streamlit); this
module only mounts the component (``stage_component/stage.js`` and ``.css``, no build step) and
takes what it sends back: a released β or lr, or a click on the map (the new start; in quiz
mode the guess).
plotly.js is its cartesian bundle (``PLOTLY_JS``), served by Streamlit's component file route
(cacheable, no CDN) and loaded once as a classic script.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components_v1

from momentum_viz.stage import stage_data, stage_worked
from ui import compute, controls, session
from ui.params import (
    BETA_RANGE,
    CSV_SURFACES,
    CUSTOM,
    LR_RANGE,
    START_RANGE,
    run_settings,
    run_specs,
    sampling_of,
)

KEY = "stage"
FRAGMENT = "stage"
"""The key of the stage's fragment: a control's change can rerun it alone (``session.LEAD``)."""
_HERE = Path(__file__).parent / "stage_component"
PLOTLY_JS = Path(__file__).parent / "plotly_js" / "plotly-cartesian.min.js"
"""plotly.js's cartesian bundle (npm ``plotly.js-cartesian-dist-min``, MIT), of the very
release the plotly package ships (``tests/test_plotly_bundle.py``): every trace the
components draw (scatter, heatmap, layout images) in a third of the full bundle's size, which
the browser evaluates in about a third of the time (BENCHMARKS.md, ``browser-first-chart``).
The 3-D view and the exports use the plotly package's full plotly.js."""

# A v1 component declared only for its file route: /component/<name>/<file> is served from
# ui/plotly_js with Cache-Control: public. It is never rendered.
_plotly_files = components_v1.declare_component("plotlyjs", path=str(PLOTLY_JS.parent))
PLOTLY_LOADER = (_HERE / "plotly_loader.js").read_text(encoding="utf-8")
"""``loadPlotly(url)``: loads plotly.min.js once per page (for every component that draws)."""
SCROLLER = (_HERE / "scroller.js").read_text(encoding="utf-8")
"""``scroller(el)``: the element the page scrolls in (for the components that measure in it)."""
_stage = st.components.v2.component(
    "momentum_viz_stage", html="", css=(_HERE / "stage.css").read_text(encoding="utf-8"),
    js=PLOTLY_LOADER + SCROLLER + (_HERE / "stage.js").read_text(encoding="utf-8"),
    isolate_styles=False)


def plotly_url() -> str:
    """Where the browser loads plotly.js (``PLOTLY_JS``) from (honours server.baseUrlPath)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}/component/{_plotly_files.name}/{PLOTLY_JS.name}"


def preload_html() -> str:
    """The script ``preload`` sends: it starts loading plotly.min.js."""
    return f"<script>{PLOTLY_LOADER}loadPlotly({json.dumps(plotly_url())});</script>"


def preload() -> None:
    """Start loading plotly.min.js now (an empty element). Call before the page's controls:
    it goes out with the run's first messages and Streamlit renders it at once, so the browser
    fetches and compiles plotly.js while the rest of the page arrives, and the stage finds it
    loaded (or loading) when its data arrives."""
    st.html(preload_html(), unsafe_allow_javascript=True)


def _inputs(setup: dict, key: tuple) -> tuple:
    noise, batch_size = sampling_of(setup, compute.surface_for(key))
    return (key, run_settings(setup), (setup["x0"], setup["y0"]), setup["steps"], noise,
            setup["seed"], batch_size, setup["seeds"])


@compute.cached(lambda args: args[0][0], max_entries=32, ttl=3600, show_spinner=False)
def _data(inputs: tuple, url: str, released_only: bool = False) -> dict:
    key, settings, start, steps, noise, seed, batch_size, seeds = inputs
    setup = dict(settings)
    data = stage_data(compute.surface_for(key),
                      lambda name, value: run_specs(setup | {name: value}),
                      beta=setup["beta"], lr=setup["lr"], start=start, steps=steps, noise=noise,
                      seed=seed, scrub=("lr",) if setup["compare"] else ("beta", "lr"),
                      plotly_url=url, batch_size=batch_size, seeds=seeds,
                      released_only=released_only)
    return tokened(data, inputs)


ENCODED_ENTRIES = 32
"""How many shared data dicts keep their JSON (``payload``), the latest sent: up to ~0.9 MB
each. A dict sent after it was let go is encoded again."""
_encoded: OrderedDict[int, tuple[dict, bytes]] = OrderedDict()
_encoded_lock = threading.Lock()


def payload(shared: dict, own: dict) -> bytes:
    """The stage's data as it is sent: the UTF-8 JSON of the list [``shared``, ``own``], which
    ``stage.js`` merges into one object (``own``'s fields win). ``shared`` is a cached dict
    (the same object for the same data, never modified): its JSON is made once and kept for
    the latest ``ENCODED_ENTRIES`` such dicts. ``own`` holds this run's few fields, encoded
    each time. Sent as bytes, the data skips Streamlit's encoding of a dict on every run (two
    JSON dumps, one of them sorted, of up to ~0.9 MB)."""
    key = id(shared)  # an entry holds its dict: the id is not reused while the entry is kept
    with _encoded_lock:
        entry = _encoded.get(key)
        if entry is not None:
            _encoded.move_to_end(key)
    if entry is None:
        entry = (shared, json.dumps(shared).encode())
        with _encoded_lock:
            _encoded[key] = entry
            while len(_encoded) > ENCODED_ENTRIES:
                _encoded.popitem(last=False)
    return b"[" + entry[1] + b", " + json.dumps(own).encode() + b"]"


def token(inputs: tuple) -> str:
    """A digest of the ``inputs`` the stage's data is built from."""
    return hashlib.sha1(repr(inputs).encode()).hexdigest()[:16]


def tokened(data: dict, inputs: tuple) -> dict:
    """``data`` with its token (``token`` of its ``inputs``): the browser skips data whose token
    it has drawn already. Returns ``data`` itself."""
    data["token"] = token(inputs)
    return data


def stage_data_for(setup: dict, key: tuple) -> dict:
    """The component's data for this setup, families included (shared across sessions, never
    modified here)."""
    return _data(_inputs(setup, key), plotly_url())


@compute.cached(lambda args: args[0][0], max_entries=16, ttl=3600, show_spinner=False)
def _worked(inputs: tuple, pick: int) -> dict:
    key, settings, start, steps, noise, seed, batch_size, _ = inputs
    spec = run_specs(dict(settings))[pick]
    return stage_worked(compute.surface_for(key), spec, start=start, steps=steps, noise=noise,
                        seed=seed, batch_size=batch_size)


def mount(setup: dict, key: tuple, quiz: dict | None = None) -> None:
    """Show the stage for ``setup`` in two parts, so that a change is drawn as soon as its own
    runs are computed: first the released β and lr's runs (``stage_data``'s
    ``released_only``), then, when the browser has drawn them and asks (its ``families``
    state: the token it drew), the families for scrubbing, in a rerun of the stage alone (a
    fragment). A release, a click on the map, a tour key or a quiz guess changes more than the
    stage: the fragment then reruns the whole page.

    Its β and lr sliders are the Playground's only β and lr controls: the lr slider spans a
    decade either side of the setup's lr, and a released value becomes the setup, so the next
    drag spans a decade either side of it (any lr in ``LR_RANGE`` is a few drags away). "This
    step in numbers" shows the run picked in it (none at first: the numbers are worked out on
    request, for that run only). In quiz mode
    (``quiz``: ``ui.quiz.stage_quiz``) the paths may be hidden, and a click on the map is the
    guess (``session.QUIZ_GUESS``), not a new start; there is no step panel (its numbers would
    give the paths away). Keys n and p go to the tour's next and previous lesson; in presenter
    mode (the setup's ``present``) the stage fills the screen with large type and its keys
    work wherever the focus is not in a field.

    A change of a sidebar control that only the stage shows at first (``leads``) reruns the
    stage alone, with the released runs of the setup the widgets show; once the browser has
    drawn them and asks for the families, the whole page reruns and brings them."""
    st.session_state[session.LEAD] = (FRAGMENT, leads)
    _fragment(setup, key, quiz, st.session_state.get(session.SETUP))


def leads(before: dict, after: dict) -> bool:
    """Whether the stage may show the change from setup ``before`` to ``after`` before the
    rest of the page: no quiz and no presenter mode before or after (their layout follows the
    setup), built-in surfaces only (a formula or a CSV can be refused, which the page says),
    and at least one run chosen."""
    def plain(setup: dict) -> bool:
        return not (setup["quiz"] or setup["present"] or setup["surface"] == CUSTOM
                    or setup["surface"] in CSV_SURFACES)
    return plain(before) and plain(after) and bool(run_specs(after))


def course(state: Mapping[str, Any], page_setup: dict | None) -> str:
    """What a run of the stage draws, from session ``state`` and the setup object the page's
    last run drew (``page_setup``): "ahead", the widgets' setup (a control's change the stage
    shows first, ``session.AHEAD``, the setup not replaced since); "page", nothing, the whole
    page reruns (a callback replaced the setup: a click on the map, a released β, a lesson);
    "stage", the page's setup (a request for the families, a run picked in the panel)."""
    setup = state.get(session.SETUP)
    if state.get(session.AHEAD) is setup:
        return "ahead"
    return "stage" if setup is page_setup else "page"


@st.fragment(key=FRAGMENT)
def _fragment(setup: dict, key: tuple, quiz: dict | None, session_setup: dict | None) -> None:
    way = course(st.session_state, session_setup)
    if way == "page" or (quiz is not None and _guess() != quiz["guess"]):
        st.rerun()  # a callback changed the setup or the guess: the whole page follows
    ahead = way == "ahead"
    if ahead:  # a control's change, shown here first: the widgets' setup
        setup = session.setup_shown()
        key = compute.current_surface(setup)[1]
    inputs = _inputs(setup, key)
    drawn = token(inputs)
    if ahead and _state(KEY, "families") == drawn:
        st.rerun()  # the browser drew it: the whole page follows, and brings the families
    data = _data(inputs, plotly_url(), _state(KEY, "families") != drawn)
    own = {"tour": True, "present": setup["present"], "familiesToken": drawn}
    if quiz is None:
        pick = _picked(KEY, len(run_specs(setup)))
        show(data, KEY, movable_start=True, own=own | {
            "worked": _worked(inputs, pick) if pick is not None else None, "workedFor": pick,
            "token": token((data["token"], pick))})
        return
    own |= {"quiz": quiz, "token": token((data["token"], sorted(quiz.items())))}
    _stage(key=KEY, data=payload(data, own), on_guess_change=partial(_guessed, KEY),
           on_tour_change=partial(_toured, KEY), on_families_change=_families_declared,
           **slider_callbacks(KEY))


def show(data: dict, key: str, *, movable_start: bool, own: dict | None = None) -> None:
    """Mount the stage under widget ``key`` with ``data`` (``stage_data`` with a token, a
    cached dict) and this run's ``own`` fields over it (``payload``): a released β or lr
    becomes the setup's; with ``movable_start`` a click on the map moves the setup's start
    (x0, y0), without it a click does nothing. With a ``worked`` entry in ``own``
    (``mount``), the panel "This step in numbers" is shown, and the run picked in it is the
    component's ``worked`` state (read by ``mount`` on the rerun it starts). With
    ``own["tour"]`` the keys n and p step the guided tour (``controls.tour_step``)."""
    own = dict(own or {})
    callbacks = slider_callbacks(key)
    if movable_start:
        callbacks["on_click_change"] = partial(_clicked, key)
    else:
        own["fixedStart"] = True
    if "worked" in own:
        callbacks["on_worked_change"] = _pick_declared
    if "partial" in data:
        callbacks["on_families_change"] = _families_declared
    if own.get("tour"):
        callbacks["on_tour_change"] = partial(_toured, key)
    _stage(key=key, data=payload(data, own), **callbacks)


def slider_callbacks(key: str) -> dict:
    """The callbacks of a component under widget ``key`` whose β and lr sliders send their
    value on release (``released``)."""
    return dict(on_beta_change=partial(released, key, "beta"),
                on_lr_change=partial(released, key, "lr"))


def _pick_declared() -> None:
    """Declares the component's ``worked`` state (a state needs a callback); the rerun that
    a pick starts reads it in ``mount``."""


def _families_declared() -> None:
    """Declares the component's ``families`` state: the token of the data it drew and asks
    the families of (read by ``mount`` on the stage's rerun that the request starts)."""


def _state(key: str, name: str) -> object:
    """The state ``name`` the component under ``key`` sent (None before it sent any)."""
    state = st.session_state.get(key)
    return state.get(name) if state is not None else None


def _guess() -> list | None:
    guess = st.session_state.get(session.QUIZ_GUESS)
    return list(guess) if guess else None


def _picked(key: str, runs: int) -> int | None:
    """The run picked in the panel: an index into the setup's runs, or None."""
    value = _state(key, "worked")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < runs:
        return None
    return value


def browser_number(value, low: float, high: float) -> float | None:
    """A value from the browser, if it is a finite number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and low <= value <= high else None


SLIDER_RANGES = {"beta": BETA_RANGE, "lr": LR_RANGE}


def released(key: str, name: str) -> None:
    """A callback for the component under widget ``key``: the β or lr (``name``) it sent on
    release becomes the setup's, if it is a number in that parameter's range."""
    value = browser_number(_state(key, name), *SLIDER_RANGES[name])
    if value is not None:
        session.apply_changes(**{name: value})


def sent_point(point: object) -> tuple[float, float] | None:
    """A point {x, y} the browser sent (a click on the map), rounded to 4 decimals, if both
    are numbers within the start's range; None for anything else."""
    if not isinstance(point, dict):
        return None
    x, y = (browser_number(point.get(c), *START_RANGE) for c in ("x", "y"))
    return None if x is None or y is None else (round(x, 4), round(y, 4))


def _toured(key: str) -> None:
    by = _state(key, "tour")
    if by in (1, -1) and not isinstance(by, bool):
        controls.tour_step(by)


def _clicked(key: str) -> None:
    point = sent_point(_state(key, "click"))
    if point is not None:
        session.apply_changes(x0=point[0], y0=point[1])


def _guessed(key: str) -> None:
    point = sent_point(_state(key, "guess"))
    if point is not None and not st.session_state.get(session.QUIZ_REVEALED):
        st.session_state[session.QUIZ_GUESS] = point
