"""Page-wide layout rules, drawn once per page (``ui.session.begin_page``).

Streamlit stacks columns only on a viewport of 640 px or less. Between that and a wide screen
(a 1024×768 projector with the sidebar open, a narrow desktop window, a tablet) the page is
~600–750 px wide and a column of a pair gets 150–300 px: formulas run past its edge and numbers
are shortened to "0.…". ``STYLE`` lets every ``st.columns`` row of the main area wrap, and
keeps each column at least ``MIN_WIDTH`` wide (or the page's width, if less): columns stand
side by side where each has that room and stack, each as wide as the page, where they would
not. Columns inside a container keyed ``BESIDE`` keep Streamlit's own rule (side by side
down to a phone's width), and the sidebar's columns are left as Streamlit lays them. A pill's
or a switch's label wraps onto a second line where the page is narrower than it (the lesson
titles on a phone): Streamlit would cut it short with an ellipsis.

Every rerun renders every element of the page again, and the browser painted each text,
formula and table of the main area again, on screen or not: ``STYLE`` lets it skip those out
of sight (``content-visibility: auto``; each keeps the room it last had). Where the browser
cannot paint a focus ring past such an element's edge (``overflow-clip-margin``) they are all
painted as before. Left alone: widgets and charts with a full-screen view (the containment
would confine them), and metrics (as wide as their number: out of sight, they would have no
width)."""

MIN_WIDTH = "20rem"
"""The narrowest a column of the main area gets: room for the widest formula beside a chart
(~310 px) and for a row of three numbers."""
BESIDE = "beside"
"""The key of a container whose columns stay side by side wherever Streamlit keeps them so
(the Playground's quiz: its questions beside the map, on a projector too)."""
STYLE = ("<style>[data-testid='stMain'] [data-testid='stHorizontalBlock'] "
         "{flex-wrap: wrap; row-gap: 1rem} "
         f"[data-testid='stMain'] [data-testid='stColumn']:not(.st-key-{BESIDE} *) "
         f"{{min-width: min(100%, {MIN_WIDTH})}} "
         "[data-testid='stMain'] [data-testid='stButtonGroup'] button "
         "{height: auto; text-align: left} "
         "[data-testid='stMain'] [data-testid='stButtonGroup'] button, "
         "[data-testid='stMain'] [data-testid='stButtonGroup'] button * "
         "{white-space: normal; overflow: visible; text-overflow: clip} "
         "@supports (overflow-clip-margin: 4px) {[data-testid='stMain'] "
         ":is([data-testid='stMarkdown'], [data-testid='stHeading'], [data-testid='stTable']) "
         "{content-visibility: auto; contain-intrinsic-size: auto 2rem; "
         "overflow-clip-margin: 4px}}</style>")
