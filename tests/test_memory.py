"""A long session must not keep every view it has drawn alive: what a page computed may stay
in the bounded caches, nowhere else.

Streamlit keeps the metadata of every chart a session has drawn (the id of a chart changes with
its figure), and a selection callback defined in a page script would keep that run's whole
namespace alive with it: figures, runs, the surface, about 0.6 MB a rerun for the rest of the
session. Here a session draws several views, and at most the current run's namespace may remain.
(The load test, `make load`, shows the server's memory over minutes of typing formulas.)
"""

from __future__ import annotations

import gc

import pytest

from testkit.apptest import no_exception, open_page


def page_namespaces(page: str) -> int:
    """How many runs of ``page`` still have their globals alive."""
    gc.collect()
    return sum(1 for o in gc.get_objects()
               if isinstance(o, dict) and str(o.get("__file__", "")).endswith(page))


def widget(at, key: str):
    """The widget behind ``key``: the formula box, the Playground's steps stops or a slider."""
    return {"formula": at.text_input, "steps": at.select_slider}.get(key, at.slider)(key=key)


@pytest.mark.parametrize(("page", "key", "values", "query"), [
    ("pages/playground.py", "formula", [f"x^2 + {i}y^2 + sin({i}x)" for i in range(1, 6)],
     {"surface": "custom"}),
    ("pages/playground.py", "steps", [100, 120, 150, 200, 250], {}),
    ("pages/tuning_lab.py", "map_steps", [60, 70, 80, 90, 100], {"map_grid": "10"}),
])
def test_a_page_keeps_only_its_current_run(page, key, values, query):
    at = open_page(page, **query)
    for value in values:
        widget(at, key).set_value(value).run()
        no_exception(at)
    assert page_namespaces(page) <= 1
