"""ui/plotly_live: a figure packed once (its JSON text and a digest of it), and the marks that
follow the stage's sliders."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly_spec import decode

from ui import plotly_live


def test_a_packed_figure_is_its_json_text_and_a_token_of_that_text():
    figure = go.Figure([go.Scatter(x=np.arange(3), y=np.array([1.0, 0.5, 0.25]), name="run")],
                       dict(height=300))
    packed = plotly_live.packed(figure)
    assert set(packed) == {"figure", "token"}
    assert isinstance(packed["figure"], str)  # encoded once, not on every rerun
    back = plotly_live.figure_of(packed)
    np.testing.assert_array_equal(decode(back["data"][0]["y"]), [1.0, 0.5, 0.25])
    assert back["layout"]["height"] == 300
    assert plotly_live.packed(go.Figure(figure))["token"] == packed["token"]  # same figure
    changed = go.Figure(figure).update_layout(height=310)
    assert plotly_live.packed(changed)["token"] != packed["token"]
    plain = plotly_live.packed({"data": [{"type": "scatter", "y": [1, 2]}], "layout": {}})
    assert plotly_live.figure_of(plain)["data"][0]["y"] == [1, 2]


def test_marks_say_where_they_are_and_which_slider_they_follow():
    assert plotly_live.ring(0.01, 0.5) == {"kind": "ring", "at": [0.01, 0.5],
                                           "follow": ["lr", "beta"]}
    shape, note = {"type": "line", "x0": 0, "x1": 0}, {"x": 0, "text": ""}
    line = plotly_live.line(0.7, shape, note, "your β = {x}")
    assert line["kind"] == "line" and line["at"] == [0.7] and line["follow"] == ["beta"]
    assert line["line"] is shape and line["note"] is note and line["digits"] == 3
