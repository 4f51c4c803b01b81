"""Reading the Playground's stage (the st.components.v2 component) from an AppTest run: the data
the page sent, and the runs it shows now, decoded back into numbers."""

from __future__ import annotations

import numpy as np

from momentum_viz.stage import unpack_float48
from testkit.apptest import data_of, send_component_state


def stage_of(at) -> dict:
    """The data of the page's stage component."""
    (element,) = [e for e in at.get("bidi_component")
                  if e.proto.component_name == "momentum_viz_stage"]
    return data_of(element.proto)


def with_families(at) -> dict:
    """The stage's data once the browser, having drawn the first part (the released runs),
    has asked for the families, as ``stage.js`` does: the same data with every row."""
    first = stage_of(at)
    assert first["partial"], "the first part holds the released runs only"
    full = stage_of(send_component_state(at, "stage", {"families": first["familiesToken"]}))
    assert not full["partial"]
    return full


def component_data(at, key: str) -> dict:
    """The data of the page's component under widget ``key``."""
    (element,) = [e for e in at.get("bidi_component") if e.key == key]
    return data_of(element.proto)


def shown(data: dict) -> list[dict]:
    """The packed runs the stage shows on load (the β family at the current β)."""
    family = data["families"]["beta"]
    return [data["pool"][ref] for ref in family["rows"][family["index"]]]


def run_named(data: dict, name_start: str) -> dict:
    """The first shown run whose label starts with ``name_start``."""
    for packed in shown(data):
        if packed["label"].startswith(name_start):
            return packed
    raise AssertionError(f"no run named {name_start!r}; runs: {labels(data)}")


def labels(data: dict) -> list[str]:
    return [p["label"] for p in shown(data)]


def path_of(packed: dict) -> np.ndarray:
    """(n, 2) positions of a packed run (every step up to its last drawable one)."""
    return unpack_float48(packed["xy"]).reshape(-1, 2)


def current(data: dict, name: str) -> float:
    """The value the stage's β or lr slider shows on load."""
    family = data["families"][name]
    return family["values"][family["index"]]
