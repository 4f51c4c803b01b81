"""Opening the app's pages in Streamlit's AppTest, as a visitor following a link would: for the
tests and the benchmarks."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from testkit.components import data_of
from ui.session import AHEAD
from ui.site import PAGES

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[1] / "app.py")
"""The app's entry point."""


def app_pages() -> list[str]:
    """The page scripts app.py hands to ``st.navigation`` (``ui.site.PAGES``), in order."""
    return [page.script for page in PAGES]


class VisitorTest(AppTest):
    """An AppTest whose runs end as they do in a browser: when a control's change reran the
    Playground's stage alone (``ui.session.AHEAD``), the browser draws it and asks for its
    families, which reruns the whole page (``ui.stage.mount``); this run does the same, unless
    ``follows_stage`` is set to False (to see the page between the two)."""

    follows_stage = True

    def _run(self, widget_state: WidgetStates | None = None,
             timeout: float | None = None) -> AppTest:
        super()._run(widget_state, timeout)
        if self.follows_stage and AHEAD in self.session_state:
            drawn = data_of(_component(self, "stage").proto)["familiesToken"]
            send_component_state(self, "stage", {"families": drawn})
        return self


def open_page(page: str | None = None, **query: str) -> AppTest:
    """The app at ``page`` (e.g. "pages/tuning_lab.py"; None: the default page) with these URL
    parameters, after its first run, run as a browser runs it (``VisitorTest``)."""
    at = VisitorTest(Path(APP), default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    if page is not None:
        at.switch_page(page)
    return at.run()


def no_exception(at: AppTest) -> None:
    """Fail with the exceptions' messages if the page shows any."""
    assert not at.exception, [e.value for e in at.exception]


def text_of(at: AppTest) -> str:
    """Every markdown, caption and alert text on the page, joined."""
    parts = [*at.markdown, *at.caption, *at.success, *at.info, *at.warning, *at.error]
    return "\n".join(str(p.value) for p in parts)


def send_component_state(at: AppTest, key: str, state: dict) -> AppTest:
    """Rerun ``at`` as after the browser's ``st.components.v2`` component under widget ``key``
    set its state to ``state`` (its ``setStateValue``), and return it. AppTest has no
    interaction for these components: this adds the component's JSON value to the widget
    states that AppTest sends with the run (through its element tree and run method)."""
    element = _component(at, key)
    states = at._tree.get_widget_states()
    widget = states.widgets.add()
    widget.id = element.proto.id
    widget.json_value = json.dumps(state)
    return at._run(states)


def _component(at: AppTest, key: str):
    """The page's ``st.components.v2`` element under widget ``key``."""
    (element,) = [e for e in at.get("bidi_component") if e.key == key]
    return element
