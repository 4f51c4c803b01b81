"""Opening the app's pages in Streamlit's AppTest, as a visitor following a link would: for the
tests and the benchmarks."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.site import PAGES

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[1] / "app.py")
"""The app's entry point."""


def app_pages() -> list[str]:
    """The page scripts app.py hands to ``st.navigation`` (``ui.site.PAGES``), in order."""
    return [page.script for page in PAGES]


def open_page(page: str | None = None, **query: str) -> AppTest:
    """The app at ``page`` (e.g. "pages/tuning_lab.py"; None: the default page) with these URL
    parameters, after its first run."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
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
    (element,) = [e for e in at.get("bidi_component") if e.key == key]
    states = at._tree.get_widget_states()
    widget = states.widgets.add()
    widget.id = element.proto.id
    widget.json_value = json.dumps(state)
    return at._run(states)
