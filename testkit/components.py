"""Reading what the app's browser components are sent, as their scripts read it: for the tests,
the benchmarks and the load test."""

from __future__ import annotations

import json


def data_of(proto) -> dict:
    """The data a browser component's script is handed, from its element's ``proto``: JSON
    text, or (the stage, ``ui.stage.payload``) the UTF-8 JSON of a list of objects, merged in
    order as ``stage.js`` merges them."""
    if proto.WhichOneof("data") != "bytes":
        return json.loads(proto.json)
    merged: dict = {}
    for part in json.loads(proto.bytes.decode()):
        merged.update(part)
    return merged
