"""Reading the figures a page sent (AppTest) back into numbers, for assertions on real data."""

from __future__ import annotations

import base64
import json

import numpy as np


def decode(value):
    """A plotly JSON array (a list, or numpy's base64 ``{dtype, bdata, shape}``) as an ndarray."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            array = array.reshape([int(n) for n in str(shape).split(",")])
        return array
    return np.asarray(value, dtype=float)


def chart_specs(at) -> dict[str, dict]:
    """{chart key: {data, layout, frames}} for every plotly chart of an AppTest run."""
    return {element.key: json.loads(element.proto.spec) for element in at.get("plotly_chart")}


def trace(spec: dict, name_start: str) -> dict:
    """The first trace whose name starts with ``name_start``."""
    for t in spec["data"]:
        if str(t.get("name", "")).startswith(name_start):
            return t
    names = [t.get("name") for t in spec["data"]]
    raise AssertionError(f"no trace named {name_start!r}; traces: {names}")


def xy(t: dict) -> np.ndarray:
    """(n, 2) points of a scatter trace."""
    return np.column_stack([decode(t["x"]), decode(t["y"])])
