"""The browser's plotly.js: the cartesian bundle the components load is of the very plotly.js
release the plotly package ships (its figures are written for that release), and the trace
types the components draw are in it."""

import re
from pathlib import Path

import plotly

from ui.stage import PLOTLY_JS

FULL = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def release(path: Path) -> str:
    """The plotly.js release a bundle's header names (e.g. "4.1.1")."""
    head = path.read_text(encoding="utf-8")[:300]
    match = re.search(r"\* plotly\.js (?:\([a-z -]+\) )?v(\d+\.\d+\.\d+)", head)
    assert match, head
    return match.group(1)


def test_the_bundle_is_the_plotly_packages_release():
    assert release(PLOTLY_JS) == release(FULL)
    assert "cartesian" in PLOTLY_JS.read_text(encoding="utf-8")[:200]


def test_the_bundle_registers_the_traces_the_components_draw():
    text = PLOTLY_JS.read_text(encoding="utf-8")
    for trace in ("scatter", "heatmap"):
        assert re.search(rf'moduleType:\s*"trace",\s*name:\s*"{trace}"', text), trace
    assert not re.search(r'moduleType:\s*"trace",\s*name:\s*"surface"', text)  # not 3-D
    assert PLOTLY_JS.stat().st_size < FULL.stat().st_size / 2
