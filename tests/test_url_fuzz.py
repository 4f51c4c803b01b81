"""Hostile URLs: random and malicious query strings through AppTest, on every page that app.py
gives to ``st.navigation`` (read when the tests run, so a page added later is covered too).

Every page must render without an exception, show a warning for every parameter it refused
(exactly the ones ``ui.params.setup_from_query`` refuses, each named), fall back to the
defaults for those (a formula that is text but no usable formula: an error saying so on every
page that shows the formula), and never render what the URL says as HTML: no element may be created
with ``unsafe_allow_html`` (nor ``st.html``, iframes or components other than the app's own, whose
data must be clean too), and outside code spans no
text on the page may contain a payload from the URL (a ``<script>`` or ``<img>`` tag, a
``javascript:`` link, a markdown link or bold).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import momentum_viz as mv
from scripts.hostile_inputs import HOSTILE_URLS, PAYLOADS, payloads_everywhere
from testkit.apptest import APP, TIMEOUT, app_pages
from ui.layout import STYLE as LAYOUT_STYLE
from ui.params import CUSTOM, PARAM, default_setup, domain_of, setup_from_query
from ui.stage import preload_html

PAGES = app_pages()
DANGEROUS = re.compile(
    r"<\s*(script|img|b|iframe|svg)\b|javascript:|onerror|INJECTED\]\(|\*\*INJECTED",
    re.IGNORECASE)
UNSAFE_ELEMENTS = {"html", "iframe", "component_instance", "bidi_component"}
TRUSTED_COMPONENTS = {"momentum_viz_stage", "momentum_viz_lab_map", "momentum_viz_plotly_live"}
"""The app's own components (their code is the app's); what the URL reaches of them is their
JSON data, which must carry no payload either (``stage.js`` escapes every text it shows,
``lab_map.js`` sets its texts as text, ``plotly_live.js`` hands figures to plotly.js)."""
RESERVED = {"embed", "embed_options"}
"""Streamlit's own query parameters, which ``st.query_params`` never hands to the app."""

HAND_WRITTEN: list[dict[str, Any]] = [*HOSTILE_URLS, payloads_everywhere(PARAM)]


def effective(query: dict[str, Any]) -> dict[str, str]:
    """What ``st.query_params.to_dict()`` gives the app: the last of repeated values, without
    Streamlit's reserved keys."""
    return {k: v[-1] if isinstance(v, list) else v for k, v in query.items()
            if k not in RESERVED}


def elements(node) -> Iterator[Any]:
    for child in getattr(node, "children", {}).values():
        yield child
        yield from elements(child)


def outside_code(text: str) -> str:
    """``text`` without its code spans and blocks (there, markdown shows characters as they
    are)."""
    return re.sub(r"```.*?```|`[^`]*`", "", text, flags=re.DOTALL)


def open_with(page: str, query: dict[str, Any]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page(page)
    return at.run()


def check_page(page: str, query: dict[str, Any]) -> None:
    at = open_with(page, query)
    assert not at.exception, (page, [e.value for e in at.exception])
    expected_setup, expected_warnings = setup_from_query(effective(query))
    shown = [w.value for w in at.warning]
    for warning in expected_warnings:
        assert warning in shown, (page, warning, shown)
    setup = at.session_state["setup"]
    for name in PARAM:  # refused values fell back to the defaults
        assert setup[name] == expected_setup[name], (page, name)
    shows_formula = any(w.key == "formula" for w in at.text_input)
    if setup["surface"] == CUSTOM and shows_formula and not usable(setup):
        assert any("formula can't be used" in e.value for e in at.error), page
    for element in elements(at._tree):
        proto = getattr(element, "proto", None)
        if element.type == "bidi_component" and proto.component_name in TRUSTED_COMPONENTS:
            sent = proto.bytes.decode() if proto.WhichOneof("data") == "bytes" else proto.json
            assert not DANGEROUS.search(sent), (page, proto.component_name)
            continue
        if element.type == "html" and proto.body in (preload_html(), LAYOUT_STYLE):
            continue  # the app's own script and style, the same on every page
        assert element.type not in UNSAFE_ELEMENTS, (page, element.type)
        assert not getattr(proto, "allow_html", False), (page, element.type)
        body = getattr(proto, "body", None)
        if isinstance(body, str):
            assert not DANGEROUS.search(outside_code(body)), (page, body)


@pytest.mark.parametrize("query", HAND_WRITTEN, ids=range(len(HAND_WRITTEN)))
@pytest.mark.parametrize("page", PAGES)
def test_hand_written_hostile_urls(page, query):
    check_page(page, query)


def usable(setup: dict) -> bool:
    try:
        mv.surface_from_formula(setup["formula"], domain_of(setup))
    except mv.FormulaError:
        return False
    return True


def test_the_hand_written_urls_are_refused():
    """The corpus really is hostile: each URL with a known parameter gets a warning, or has a
    formula that is refused."""
    for query in HAND_WRITTEN:
        if set(query) & set(PARAM):
            setup, warnings = setup_from_query(effective(query))
            assert warnings or not usable(setup), query


def test_the_checks_catch_html():
    """The instruments: HTML outside a code span is caught, inside one it is not."""
    assert DANGEROUS.search(outside_code(f"`ok` {PAYLOADS[0]}"))
    assert not DANGEROUS.search(outside_code(f"value `{PAYLOADS[1]}` refused"))
    assert setup_from_query({})[0] == default_setup()


VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(PAYLOADS),
    st.sampled_from(["0", "-1", "0.5", "1e309", "-1e-400", "nan", "inf", "1,2", "0,0.9",
                     "9" * 400, "ravine", "custom", "sgd,nesterov", "x^2+y^2", "adam,rmsprop",
                     "cosine", "step", "warmup", "1e-8"]),
)
KEYS = st.one_of(st.sampled_from(sorted(PARAM)), st.text(min_size=1, max_size=12))
QUERIES = st.dictionaries(KEYS, st.one_of(VALUES, st.lists(VALUES, min_size=2, max_size=3)),
                          min_size=1, max_size=6)


@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERIES)
@pytest.mark.parametrize("page", PAGES)
def test_random_urls(page, query):
    check_page(page, query)
