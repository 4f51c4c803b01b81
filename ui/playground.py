"""The Playground's own logic: its table's cells and the offline
animation export."""

from __future__ import annotations

import functools
from typing import Any

import plotly.graph_objects as go
import plotly.io
from plotly.offline import get_plotlyjs

_PAGE_TAIL = b"\n</body>\n</html>\n"


def display_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table cells as text: "—" where a metric does not apply, integers with thousands
    separators, floats to 4 significant digits, anything else as it is."""
    return [{k: "—" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:.4g}"
                                       if isinstance(v, float) else v)
             for k, v in row.items()} for row in rows]


@functools.cache
def _page_head() -> bytes:
    """The start of a standalone page, up to its body, with plotly.js inlined: read and
    encoded once per process (4.7 MB)."""
    return ('<!doctype html>\n<html>\n<head>\n<meta charset="utf-8" />\n'
            "<style>html, body {height: 100%;}</style>\n"
            f"<script>{get_plotlyjs()}</script>\n</head>\n<body>\n").encode()


def animation_html(figure: go.Figure) -> bytes:
    """A standalone HTML page showing ``figure`` (animation stopped) that works offline:
    plotly.js inlined, no network request. Only the figure's part is built per call."""
    div = plotly.io.to_html(figure, include_plotlyjs=False, full_html=False, auto_play=False,
                            default_height="100%", default_width="100%")
    return b"".join((_page_head(), div.encode(), _PAGE_TAIL))
