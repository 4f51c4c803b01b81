"""A session's state and a page's life cycle: the navigation, the setup (URL → widgets → URL),
the widgets drawn from the parameter table, and the one-shot notices a page shows once.

Every page script starts with ``begin_page`` and calls ``finish_page`` after its controls."""

from __future__ import annotations

from collections import ChainMap
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import streamlit as st

from ui import layout
from ui.lessons import LESSONS
from ui.params import (
    CSV_SURFACES,
    PARAMS,
    WIDGETS,
    Setup,
    query_from_setup,
    setup_from_query,
    setup_from_widgets,
    widget_values,
    with_stop,
)
from ui.site import PAGES, page_spec

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.navigation.page import StreamlitPage

# -- session state: every key besides the widgets' ----------------------------------------------
SETUP = "setup"
"""The shared setup (``ui.params.Setup``) every page reads."""
WIDGETS_PAGE = "widgets_page"
"""The page whose widgets were last given the setup's values (``begin_page``)."""
ENTERED_BY_APP = "entered_by_app"
"""Set by ``app.py``'s ``navigation``: page scripts are being run through it."""
NOTICES = "notices"
"""Warnings to show once at the top of the next run: refused URL values, a refused start."""
CELL_APPLIED = "lab_cell_applied"
"""(setup before, setup after) a Tuning lab cell was taken to the setup, to say once what
changed."""
OPTIMAL_APPLIED = "why_optimal_applied"
"""Set when "Use optimal parameters" was pressed, to confirm it once."""
LAST_GOOD_SURFACE = "last_good_surface"
"""The key of the last surface that could be built, shown while a typed formula cannot."""
URL_QUERY = "url_query"
"""The query the URL held when this session's last run ended: a run that starts with another
one came from the browser's Back or Forward (Streamlit reruns with that entry's query)."""
REVISITED = "revisited"
"""Set by ``begin_page`` for a run that Back or Forward started: ``publish`` sends that entry's
URL again (a run of the page from before, finishing meanwhile, can have put its own URL on the
entry the browser went to)."""
NAV_SLOT = "nav_slot"
"""This run's place for the page links at the top of the sidebar (``begin_page`` makes it,
``finish_page`` or the page itself fills it with links that carry the setup: ``publish``)."""
QUIZ_QUESTION = "quiz_question"
"""The question (``ui.quiz.question``) the quiz's answers, guess and reveal below belong to: when
the runs change, they are cleared."""
QUIZ_GUESS = "quiz_guess"
"""The student's guess (x, y) of where the momentum ball will be after k steps."""
LEAD = "lead"
"""Set by a page whose stage can show a control's change before the rest of the page does
(``ui.stage.mount``): (the stage fragment's key, the test ``(setup before, setup after) ->
bool`` of whether a change may go so). ``begin_page`` clears it: a page without the stage
has none."""
AHEAD = "stage_ahead"
"""Set when a control's change reruns the stage alone (``LEAD``), to the setup object of that
moment: the stage shows the widgets' setup (``setup_shown``), the rest of the page still that
setup, until the stage has drawn it and asks the whole page to follow. A callback that
replaces the setup meanwhile (``apply_setup``) ends it, as ``begin_page`` does."""
PENDING = "pending_widgets"
"""{widget key: value} that a control's callback set (a new surface's start) while the stage
shows the change first (``AHEAD``). The browser still shows the old values (a widget takes a
value from session state only when it is drawn), so those widgets keep their old state, the
setup reads these values instead (``setup_shown``), and ``begin_page`` gives them to the
widgets when the whole page runs."""
ECHOES = "widget_echoes"
"""{widget key: [shown, set, url]}: a widget whose state the app set to ``set`` while the
browser showed ``shown``; ``url`` is the query that the run which drew it published (None
until then: a run can be cut short by the browser's next request before it gets there). A
request the browser sent before it received that run sends ``shown`` back with an older URL:
``_changed`` takes that for the echo it is, not for the visitor's change (the same value sent
with that run's URL, or the last run's, is the visitor's). ``begin_page`` drops an entry once
a request carries one of those URLs: the browser has drawn the value. After Back or Forward
the browser sends the entry's URL before it draws the values that run gives the widgets, so a
URL cannot tell: their ``url`` is ``HISTORY``, and such an entry lasts until a request sends
the value set."""
HISTORY = "history"
"""``ECHOES``' ``url`` for a value a Back or Forward run gave its widget."""
INTERACTED = "widget_changed"
"""Set by a table widget's callback to the URL its request carried. A page run with that URL is
the visitor's change on this page, so a URL other than the one the last run left is one the
browser had not received yet when it sent the change, not Back or Forward (``begin_page``). A
run with another URL is Back or Forward, though the change ran the stage alone (``AHEAD``)
and no page run has taken the entry since."""
QUIZ_REVEALED = "quiz_revealed"
"""Set when "Reveal" was pressed for the current question: the answers given, one per run (a
key of ``momentum_viz.quiz.ANSWERS``, or None)."""


def navigation() -> StreamlitPage:
    """``st.navigation`` over ``ui.site.PAGES``, for ``app.py``: returns the page to run. Its
    own menu is hidden: ``finish_page`` draws the page links, which take the setup along."""
    st.session_state[ENTERED_BY_APP] = True
    return _navigation()


def _navigation() -> StreamlitPage:
    return st.navigation([st.Page(p.script, title=p.title, icon=p.icon, default=p.default)
                          for p in PAGES], position="hidden")


def begin_page(page: str) -> Setup:
    """Call first on every page. On a session's first run, and after Back or Forward (the URL
    is not the one the last run left, and not a page link's bare address), the setup comes from
    the URL (with a warning per unusable parameter) and the widgets take its values; on the
    first run of a page too.

    A fresh server opened at a page's own URL (/tuning_lab) runs that script alone, in
    Streamlit's legacy pages/ mode, until ``st.navigation`` has been called once. Such a run
    declares the app's pages itself (which ends that mode) and reruns through ``app.py``."""
    state = st.session_state
    if ENTERED_BY_APP not in state:
        _navigation()
        st.rerun()
    st.set_page_config(page_title=page_spec(page).tab_title)
    st.html(layout.STYLE)
    state.pop(LEAD, None)
    state.pop(AHEAD, None)
    state[NAV_SLOT] = st.sidebar.container()
    query = st.query_params.to_dict()
    interacted = state.pop(INTERACTED, None) == query
    navigated = query != state.get(URL_QUERY, query) and not interacted
    echoes, seen = state.setdefault(ECHOES, {}), (query, state.get(URL_QUERY))
    for key in [k for k, (_, value, url) in echoes.items() if navigated or url in seen
                or (url == HISTORY and state.get(k) == value)]:
        del echoes[key]
    if SETUP not in state or navigated:
        state[SETUP], state[NOTICES] = setup_from_query(query)
        state.pop(WIDGETS_PAGE, None)
    state[REVISITED] = navigated
    if state.get(WIDGETS_PAGE) != page:
        push_widgets(state[SETUP], url=HISTORY if navigated else None)
        state[WIDGETS_PAGE] = page
    else:  # a run cut short (a reconnection, a newer change) can leave widgets without state
        push_widgets(state[SETUP], only_missing=True)
        for key, value in state.get(PENDING, {}).items():  # drawn below: the browser gets them
            _set_widget(key, value, shown=state[key])
    state.pop(PENDING, None)  # only now: a run cut short before gives them on the next run
    for warning in state.pop(NOTICES, []):
        st.warning(warning, icon=":material/warning:")
    return state[SETUP]


def finish_page(page: str, *, publish_here: bool = True) -> Setup:
    """Call after the controls: reads ``page``'s widgets into the setup, then ``publish``-es it
    (the URL and the page links). A page whose fragment changes the setup (the Tuning lab's
    map: its lr and β) passes ``publish_here=False`` and calls ``publish`` in that fragment,
    with ``nav_slot()``, on every run."""
    state = st.session_state
    state[SETUP], warnings = setup_from_widgets(state[SETUP], state, page)
    for warning in warnings:
        st.warning(warning)
    if publish_here:
        publish(state[SETUP], nav_slot())
    return state[SETUP]


def nav_slot() -> DeltaGenerator:
    """This run's place for the page links (the top of the sidebar, made by ``begin_page``)."""
    return st.session_state.pop(NAV_SLOT)


def publish(setup: Setup, links: DeltaGenerator) -> None:
    """Mirror ``setup`` in the URL and draw the page links in ``links``. A URL that already
    describes this view, every value in it usable, is left as it is (``/`` for the
    defaults), so a change adds one browser-history entry and opening a page none; a run that
    Back or Forward started sends its entry's URL again (``REVISITED``). Each link opens its
    page with this setup in its URL (one history entry; Back returns here)."""
    query, shown = query_from_setup(setup), st.query_params.to_dict()
    if shown != query and setup_from_query(shown) != (setup, []):
        st.query_params.from_dict(query)
    elif st.session_state.pop(REVISITED, False):
        st.query_params.from_dict(shown)
    st.session_state[URL_QUERY] = published = st.query_params.to_dict()
    for echo in st.session_state.get(ECHOES, {}).values():
        if echo[2] is None:  # drawn by this run, which the browser gets with this URL
            echo[2] = published
    with links:
        for spec in PAGES:
            st.page_link(spec.script, label=spec.title, icon=spec.icon, query_params=query,
                         width="stretch")
        st.divider()


def setup_shown() -> Setup:
    """The setup as the current page's widgets show it now (in a callback: with the change
    that triggered it)."""
    state = st.session_state
    shown = ChainMap(state.get(PENDING, {}), state)
    return setup_from_widgets(state[SETUP], shown, state[WIDGETS_PAGE])[0]


def apply_setup(setup: Setup) -> None:
    """Replace the whole setup (a lesson, a "use best" button, a click on a map): for use in a
    callback."""
    st.session_state[SETUP] = setup
    push_widgets(setup)


def apply_changes(**changes: Any) -> None:
    """Change some values of the setup as the widgets show it (e.g. lr and β picked on a
    map): for use in a callback."""
    apply_setup(setup_shown() | changes)


def push_widgets(setup: Setup, *, only_missing: bool = False, url: Any = None) -> None:
    """Give every widget of the table the setup's value (widgets read it from session state),
    each expecting its echo (``ECHOES``, with ``url``); with ``only_missing``, only the widgets
    that have no value in session state."""
    state = st.session_state
    for key, value in widget_values(setup).items():
        if not (only_missing and key in state):
            _set_widget(key, value, shown=state.get(key, value), url=url)


def notify(key: str, value: Any = True) -> None:
    """Leave a one-shot notice (one of this module's keys) for the next run to ``take``."""
    st.session_state[key] = value


def take(key: str) -> Any:
    """The one-shot notice under ``key``, removed (None when there is none)."""
    return st.session_state.pop(key, None)


def add_warning(text: str) -> None:
    """A warning for the top of the next run (``begin_page`` shows it, as a URL's)."""
    st.session_state.setdefault(NOTICES, []).append(text)


def draw(key: str, where: Any = st, **overrides: Any) -> Any:
    """The table's widget ``key`` (``ui.params.WIDGETS``), in ``where`` (st, st.sidebar, a
    column); ``overrides`` add behaviour (``on_change``, ``disabled``) or change the label."""
    widget = WIDGETS[key]
    options = {"label": widget.label, "help": widget.help, **widget.options, **overrides}
    if widget.kind == "select_slider":
        options["options"] = with_stop(options["options"], st.session_state.get(key))
    if widget.kind == "number_input" and "min_value" in options:
        # Bounds in the browser would leave a typed 50 showing ("Press Enter to apply") while
        # the app goes on with the old value; checked here, the field and the app agree.
        bounds = (options.pop("min_value"), options.pop("max_value"))
        options["args"] = (key, bounds, options.pop("on_change", None), options.get("args", ()))
        options["on_change"] = _refuse_outside
    options["args"] = (key, options.pop("on_change", None), options.pop("args", ()))
    return getattr(where, widget.kind)(key=key, on_change=_changed, **options)


def _changed(key: str, then: Any, args: tuple) -> None:
    """Every table widget's ``on_change``: ``then(*args)`` (the widget's own, if any), then,
    where the page's stage can show the change first (``LEAD``) and there is no notice to
    show, a rerun of the stage alone (``AHEAD``) instead of the whole page. Values ``then``
    set for other widgets (a new surface's start) wait in ``PENDING`` meanwhile, those
    widgets keeping the state the browser shows; when the whole page runs instead, every
    pending value goes to its widget at once. A value the browser sends that it showed before
    it received the run that drew the page's value for the widget (``ECHOES``) is the page's
    value again, not a change."""
    state = st.session_state
    state[INTERACTED] = sent = st.query_params.to_dict()  # the URL the browser had
    echoes = state.get(ECHOES, {})
    if key in echoes:
        shown, value, url = echoes[key]
        unseen = url in (None, HISTORY) or sent not in (url, state.get(URL_QUERY))
        if unseen and state[key] == shown:  # sent before the browser drew the page's value
            state[key] = value
            return
        del echoes[key]
    pending = {k: v for k, v in state.get(PENDING, {}).items() if k != key}
    state[PENDING] = pending  # the visitor's own value for ``key`` wins over one set for it
    lead = state.get(LEAD)
    before = {k: state[k] for k in WIDGETS if k != key and k in state} if lead else {}
    if then is not None:
        then(*args)
    set_here = {k: state[k] for k, v in before.items() if state[k] != v}
    pending |= set_here
    if lead is not None and not state.get(NOTICES):
        fragment, allows = lead
        after, warnings = setup_from_widgets(state[SETUP], ChainMap(pending, state),
                                             state[WIDGETS_PAGE])
        if not warnings and allows(state[SETUP], after):
            state[PENDING] = pending
            for k in set_here:  # as the browser still shows it, until the page draws it
                state[k] = before[k]
            state[AHEAD] = state[SETUP]
            st.rerun(fragment)
    for k, value in state.pop(PENDING).items():  # the whole page runs, draws every widget
        _set_widget(k, value, shown=before.get(k, state[k]))


def _set_widget(key: str, value: Any, shown: Any, url: Any = None) -> None:
    """Give widget ``key`` the state ``value`` while the browser shows ``shown``, and expect
    the echo (``ECHOES``, with ``url``)."""
    state = st.session_state
    if value != shown:
        state.setdefault(ECHOES, {})[key] = [shown, value, url]
    state[key] = value


def _refuse_outside(key: str, bounds: tuple[float, float], then: Any, args: tuple) -> None:
    """A number input's ``on_change``: a value outside ``bounds`` is refused (the field shows
    the value in use again, and a warning says why); one within goes on to ``then(*args)``."""
    state = st.session_state
    value, (low, high) = state[key], bounds
    if value is not None and low <= value <= high:
        if then is not None:
            then(*args)
        return
    setup = state[SETUP]
    param = next(p for p in PARAMS if any(w.key == key for w in p.widgets))
    kept = param.widget_values(setup[param.name], setup)[key]
    _set_widget(key, kept, shown=value)
    typed = "(empty)" if value is None else f"{value:g}"
    add_warning(f"{WIDGETS[key].label} = {typed} refused: it must be between {low:g} and "
                f"{high:g}. Keeping {kept:g}.")


# -- sharing -------------------------------------------------------------------------------------
def share_link(setup: Setup) -> str:
    """The address of this view, to copy into slides or a chat."""
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{urlencode(query_from_setup(setup))}"


def share_box(setup: Setup) -> None:
    """The link that reproduces this view, with a copy button, drawn once the expander is
    opened (a rerun): a page's first paint does not load the code block's highlighter."""
    box = st.expander("Share this view", icon=":material/link:", key="share_box",
                      on_change="rerun")
    if not box.open:
        return
    link = query_from_setup(setup)
    title = next((lesson.title for lesson in LESSONS if lesson.id == link.get("lesson")), None)
    if setup["quiz"]:
        about = f"a quiz on the lesson “{title}”" if title else "a quiz"
        box.caption(f"This is {about}: the link opens it with the paths hidden until the "
                    "reveal (the icon at the right of the box copies it).")
    elif title:
        box.caption(f"This is the lesson “{title}”: the link opens it with its explanation "
                    "(the icon at the right of the box copies it).")
    elif setup["surface"] in CSV_SURFACES:
        box.caption("This view uses the CSV you uploaded, which a link cannot carry (the data "
                    "stays in your session only): the link keeps every setting, and whoever "
                    "opens it must upload the same file.")
    else:
        box.caption("Copy the link (the icon at the right of the box): it opens this exact view.")
    box.code(share_link(setup), language=None, wrap_lines=True)
    other = setup | {"quiz": not setup["quiz"]}
    box.caption("The same view as a quiz, the paths hidden until the class reveals them:"
                if other["quiz"] else "The same view with the paths shown (no quiz):")
    box.code(share_link(other), language=None, wrap_lines=True)
