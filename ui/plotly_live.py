"""A plotly figure as a browser component that is drawn once and then updated in place.

``st.plotly_chart`` derives its element from the figure: a changed figure is a new element,
which plotly.js draws from scratch. Here the element is keyed by its widget key alone, and a
changed figure is handed to ``Plotly.react`` on the same element, which redraws only what
changed; a figure the browser has drawn already (the same token) is not drawn at all, and a
chart out of sight draws its new figure when it is scrolled to
(``plotly_live_component/plotly_live.js``, no build step). The figure travels as its JSON
text, made once per figure (``packed``), and only to a browser that does not have it: a rerun
that leaves a figure as it was sends its token alone (``show``), and should the browser not
have that figure after all (its element was mounted afresh) it asks for it, once.

An optional mark follows the stage's β and lr while they are dragged (``ring``, ``line``):
an element laid over the plot, so an (lr, β) picture answers the stage's sliders with nothing
sent and nothing redrawn. plotly.js is the file the
stage loads (``ui.stage.plotly_url``), fetched once per page.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from ui import stage

_HERE = Path(__file__).parent / "plotly_live_component"
_component = st.components.v2.component(
    "momentum_viz_plotly_live", html="",
    css=(_HERE / "plotly_live.css").read_text(encoding="utf-8"),
    js=stage.PLOTLY_LOADER + stage.SCROLLER
    + (_HERE / "plotly_live.js").read_text(encoding="utf-8"),
    isolate_styles=False)

SENT = "plotly_live.sent"
"""Session state: {widget key: the token of the figure last sent to this browser under it}."""
FOLLOW = ("lr", "beta")
"""The stage's scrub event's fields, in the order (x, y) of an (lr, β) picture."""


def packed(figure: go.Figure | dict) -> dict:
    """``figure`` as the component takes it: ``{"figure": its plotly JSON text, "token": a
    digest of that text}``. Make it once per figure (cache it): the browser draws a token once."""
    text = figure.to_json() if isinstance(figure, go.Figure) else json.dumps(figure)
    return {"figure": text, "token": hashlib.sha1(text.encode()).hexdigest()[:16]}


def figure_of(data: dict) -> dict:
    """The plotly figure ``{data, layout}`` in the component's ``data`` (``packed``)."""
    return json.loads(data["figure"])


RING_LEGEND = dict(type="scatter", x=[None], y=[None], mode="markers", name="your lr, β",
                   hoverinfo="skip", marker=dict(symbol="circle-open", size=16, color="#000000",
                                                 line=dict(width=2.5)))
"""The legend's entry for a ``ring`` that marks the visitor's lr, β: add it to the figure (the
ring itself is laid over the plot, not a trace)."""


def ring(x: float, y: float, follow: tuple[str, str] = FOLLOW) -> dict:
    """A mark: a ring at (``x``, ``y``) laid over the plot (a log axis is read as one), which
    moves to the stage's (``follow``) values while its sliders are dragged."""
    return {"kind": "ring", "at": [x, y], "follow": list(follow)}


def line(x: float, shape: dict, note: dict, text: str, digits: int = 3,
         follow: str = "beta") -> dict:
    """A mark: a vertical line at ``x`` drawn like the layout ``shape`` (its line's colour and
    width) with a label placed like the annotation ``note`` (its y along the line, its side,
    its background), whose ``text`` has ``{x}`` for x to ``digits`` decimals. Both are laid
    over the plot and move to the stage's ``follow`` value while its slider is dragged."""
    return {"kind": "line", "at": [x], "follow": [follow], "line": shape, "note": note,
            "text": text, "digits": digits}


def show(key: str, figure: dict, mark: dict | None = None, theme: str | None = None) -> None:
    """Draw the ``packed`` figure under widget ``key`` (the same key on every run: the element
    stays and is updated in place), with ``mark`` (``ring``, ``line``) over it. ``theme``:
    "streamlit" dresses the figure as ``st.plotly_chart`` does (the theme's body font, its
    sizes and colours); None keeps the figure's own fonts, in the theme's where it sets none.
    The figure itself is sent only once to the element (``once``)."""
    _component(key=key, data=once(key, figure) | {"plotly": stage.plotly_url(), "mark": mark,
                                                  "theme": theme},
               on_missing_change=partial(forget, key))


def once(key: str, figure: dict) -> dict:
    """What the component under widget ``key`` is sent of ``figure`` (a dict with its
    ``token``) this run: all of it, unless the element drawn in the last run (its widget state
    is still there) was sent that token already; then the token alone. A browser that lacks
    the figure after all asks for it, and ``forget`` (its callback) has the next run send it."""
    sent = st.session_state.setdefault(SENT, {})
    drawn = key in st.session_state and sent.get(key) == figure["token"]
    sent[key] = figure["token"]
    return {"token": figure["token"]} if drawn else figure


def forget(key: str) -> None:
    """The browser asks for the figure under ``key`` (its ``missing``): the next run sends it."""
    st.session_state.get(SENT, {}).pop(key, None)
