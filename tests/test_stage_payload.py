"""The stage's data on the wire (``ui.stage.payload``): bytes that the browser merges into one
object, the shared part's JSON made once."""

from __future__ import annotations

import json

from stage_spec import stage_of

from testkit.apptest import no_exception, open_page
from ui import stage


class Watched(dict):
    """A dict that counts how often it is encoded (json.dumps reads a dict subclass's items)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.encoded = 0

    def items(self):
        self.encoded += 1
        return super().items()


def test_the_payload_is_the_shared_data_with_the_runs_own_fields_over_it():
    sent = stage.payload({"token": "a", "steps": 200, "pool": [{"xy": "AAAA"}]},
                         {"token": "b", "tour": True})
    parts = json.loads(sent.decode("utf-8"))
    assert parts == [{"token": "a", "steps": 200, "pool": [{"xy": "AAAA"}]},
                     {"token": "b", "tour": True}]
    merged = {**parts[0], **parts[1]}  # as stage.js merges them: the run's own fields win
    assert merged == {"token": "b", "steps": 200, "pool": [{"xy": "AAAA"}], "tour": True}


def test_the_shared_datas_json_is_made_once_and_the_memo_stays_bounded():
    shared = Watched(token="t", steps=50)
    first = stage.payload(shared, {"present": False})
    again = stage.payload(shared, {"present": True})
    assert shared.encoded == 1
    assert json.loads(first)[0] == json.loads(again)[0] == {"token": "t", "steps": 50}
    assert json.loads(again)[1] == {"present": True}
    for i in range(stage.ENCODED_ENTRIES):  # as many other datas: the first one is let go
        stage.payload({"token": str(i)}, {})
    stage.payload(shared, {})
    assert shared.encoded == 2


def test_the_playground_sends_its_stage_as_bytes():
    """Streamlit encodes a dict it is given on every run; bytes go as they are."""
    at = open_page()
    no_exception(at)
    (element,) = [e for e in at.get("bidi_component")
                  if e.proto.component_name == "momentum_viz_stage"]
    assert element.proto.WhichOneof("data") == "bytes"
    data = stage_of(at)
    assert data["familiesToken"] and data["tour"] is True and "pool" in data
