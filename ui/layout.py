"""Columns that keep their content whole at every width.

Streamlit stacks columns only on a viewport of 640 px or less. Between that and a wide screen
(a 1024×768 projector with the sidebar open, half a desktop screen, a tablet) the page is
~600–750 px wide and a column of a pair gets 150–300 px: formulas run past its edge and numbers
are shortened to "0.…". ``side_by_side`` makes columns that stand side by side while each has
``MIN_WIDTH``, and stack (each as wide as the page) when they would not: the rule is in
``STYLE``, which every page draws once (``ui.session.begin_page``)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

PREFIX = "side_by_side_"
MIN_WIDTH = "20rem"
"""The narrowest a column of ``side_by_side`` gets: room for the widest formula beside a chart
(~310 px) and for a row of three numbers."""
STYLE = (f"<style>[class*='st-key-{PREFIX}'] > div > [data-testid='stHorizontalBlock'] "
         "{flex-wrap: wrap; row-gap: 1rem} "
         f"[class*='st-key-{PREFIX}'] > div > [data-testid='stHorizontalBlock'] > "
         f"[data-testid='stColumn'] {{min-width: min(100%, {MIN_WIDTH})}}</style>")


def side_by_side(spec: Sequence[float], key: str, *, gap: str = "large",
                 vertical_alignment: str = "top") -> list[DeltaGenerator]:
    """``st.columns(spec, ...)`` in a container keyed ``side_by_side_<key>`` (unique on its
    page): side by side while each column has ``MIN_WIDTH``, stacked otherwise."""
    with st.container(key=PREFIX + key):
        return list(st.columns(spec, gap=gap, vertical_alignment=vertical_alignment))
