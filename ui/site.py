"""The app's pages, declared once: ``app.py`` hands them to ``st.navigation``, the parameter
table names them in ``Param.pages``, tests open each of them."""

from __future__ import annotations

from dataclasses import dataclass

APP_NAME = "momentum_viz"
PLAYGROUND = "playground"
LAB = "tuning_lab"
WHY = "why_momentum"


@dataclass(frozen=True)
class PageSpec:
    """One page: its id (also its URL path), script, title and Material icon."""

    id: str
    title: str
    icon: str
    default: bool = False

    @property
    def tab_title(self) -> str:
        """The browser tab's title on this page: "Playground · momentum_viz"."""
        return f"{self.title} · {APP_NAME}"

    @property
    def script(self) -> str:
        """The page script's path, relative to the app's root."""
        return f"pages/{self.id}.py"


PAGES: tuple[PageSpec, ...] = (
    PageSpec(PLAYGROUND, "Playground", ":material/sports_score:", default=True),
    PageSpec(LAB, "Tuning lab", ":material/grid_on:"),
    PageSpec(WHY, "Why momentum works", ":material/functions:"),
)
PAGE_IDS = tuple(page.id for page in PAGES)


def page_script(page_id: str) -> str:
    """The script of the page ``page_id`` (for ``st.page_link`` and ``st.switch_page``)."""
    return page_spec(page_id).script


def page_spec(page_id: str) -> PageSpec:
    """The page ``page_id`` of ``PAGES``."""
    return next(page for page in PAGES if page.id == page_id)
