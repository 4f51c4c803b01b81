"""The controls the pages share, laid out from the parameter table's widgets, and their
callbacks."""

from __future__ import annotations

import streamlit as st

import momentum_viz as mv
from ui import session, tour, uploads
from ui.lessons import LESSONS
from ui.params import (
    BATCH_DEFAULT,
    BETA_RANGE,
    CSV_SURFACES,
    CUSTOM,
    LR_RANGE,
    OWN_LR,
    START_WIDTHS,
    data_size,
    hyper_key,
    hyper_params_of,
    is_data,
    optimizer_label,
    presented_as,
    schedule_args,
    start_is_reasonable,
    surface_defaults,
)


def surface_controls() -> None:
    """Surface picker; for a custom formula, the formula and its domain; for a CSV surface,
    the file uploader."""
    session.draw("surface", on_change=_surface_changed)
    if st.session_state.surface in CSV_SURFACES:
        upload_controls()
    if st.session_state.surface == CUSTOM:
        session.draw("formula")
        with st.expander("Domain"):
            left, right = st.columns(2)
            session.draw("xmin", left)
            session.draw("xmax", right)
            session.draw("ymin", left)
            session.draw("ymax", right)


def start_controls() -> None:
    """The start point (x₀, y₀); one too far from the surface goes back to its default."""
    left, right = st.columns(2)
    session.draw("x0", left, on_change=_start_changed)
    session.draw("y0", right, on_change=_start_changed)


def optimizer_controls() -> None:
    """Which runs to compare; for each chosen optimizer its own lr (SGD and the adaptive ones)
    and its own hyper-parameters besides β; the β comparison."""
    state = st.session_state
    session.draw("opt", disabled=state.compare, options=tuple(mv.OPTIMIZERS))  # the live registry
    chosen = () if state.compare else state.opt
    for name in chosen:
        if name in OWN_LR:
            session.draw(f"{name}_own")
            if state[f"{name}_own"]:
                session.draw(f"{name}_lr")
        hyper = hyper_params_of(name)
        if hyper:
            with st.expander(f"{optimizer_label(name)} settings"):
                for h in hyper:
                    session.draw(hyper_key(name, h))
    session.draw("compare")
    if state.compare:
        session.draw("betas")


def schedule_controls() -> None:
    """The lr schedule and the arguments of the chosen one."""
    session.draw("schedule")
    for arg in schedule_args(st.session_state.schedule):
        session.draw(arg.name)


def upload_controls() -> None:
    """The CSV uploader (the file stays in this session's memory), what it holds now, and why
    the last file was refused."""
    st.file_uploader("CSV file: two numeric columns x, y", type=["csv", "txt"], key="csv_file",
                     on_change=_csv_uploaded, max_upload_size=uploads.MAX_MB,
                     help="Comma-separated, an optional header row, 2 to 100,000 rows, at most "
                          f"{uploads.MAX_MB} MB; y of 0 or 1 for logistic regression. The "
                          "data stays in this session only: it is never stored, and a link "
                          "cannot carry it.")
    refused = session.take(uploads.ERROR)
    if refused:
        st.error(refused, icon=":material/block:")
    upload = uploads.current()
    if upload is not None:
        st.caption(f"Data: {upload.name}, {upload.n:,} points.")


def noise_controls() -> None:
    """Gradient noise σ and its seed (the same noise for every run); on a surface from data,
    minibatches instead; how many seeds each setting runs with."""
    state = st.session_state
    minibatches = is_data(state.surface) and state.minibatch
    left, right = st.columns(2)
    session.draw("noise", left, disabled=minibatches)
    session.draw("seed", right)
    if is_data(state.surface):
        session.draw("minibatch", on_change=_minibatch_changed)
        if state.minibatch:
            session.draw("batch_size", on_change=_batch_changed)
    session.draw("seeds")


def map_controls() -> None:
    """The Tuning lab map's optimizer, colouring, grid size, steps and (lr, β) ranges."""
    for key in ("map_opt", "map_metric", "map_grid", "map_steps"):
        session.draw(key)
    st.markdown("lr range, in multiples of plain GD's limit 2/λmax:")
    low, high = st.columns(2)
    session.draw("map_lr_min", low)
    session.draw("map_lr_max", high)
    session.draw("map_beta")


def use_cell(lr: float, beta: float) -> None:
    """Take a Tuning lab cell to the shared setup: its lr and β, and the map's optimizer and
    steps (and the shared lr for it), so the Playground replays this cell's run."""
    setup = st.session_state[session.SETUP]
    lr = min(max(float(f"{lr:.4g}"), LR_RANGE[0]), LR_RANGE[1])
    beta = min(max(round(beta, 3), BETA_RANGE[0]), BETA_RANGE[1])
    opt = [o for o in mv.OPTIMIZERS if o in {*setup["opt"], setup["map_opt"]}]
    own = {f"{setup['map_opt']}_lr": None} if setup["map_opt"] in OWN_LR else {}
    session.apply_changes(lr=lr, beta=beta, opt=opt, steps=setup["map_steps"], compare=False,
                          **own)
    session.notify(session.CELL_APPLIED, (setup, st.session_state[session.SETUP]))


LESSON_PICKER = "lesson_pick"
"""The lesson picker's widget key: the index of the lesson picked."""


def lesson_picker(setup: dict) -> None:
    """The lessons as one row of pills, as wide as their titles and wrapping (none cut off:
    ``ui.layout.STYLE``): a click sets the lesson's whole setup (``apply_lesson``). The pill
    of the lesson this view is (``ui.tour.shown_lesson``) is lit; a click on it sets that
    lesson's view again."""
    shown = tour.shown_lesson(setup)
    st.session_state[LESSON_PICKER] = None if shown is None else tour.position(setup)
    st.pills("**Lessons** — one click sets everything:", range(len(LESSONS)),
             format_func=lambda index: LESSONS[index].title, key=LESSON_PICKER,
             on_change=_lesson_picked)


def _lesson_picked() -> None:
    """The lesson picker's ``on_change``: the lesson picked, or, when the click turned the lit
    pill off, that pill's lesson again."""
    index = st.session_state[LESSON_PICKER]
    if index is None:
        index = tour.position(st.session_state[session.SETUP])
    if index is not None:
        apply_lesson(index)


def apply_lesson(index: int) -> None:
    """A lesson picked (or a step of the tour): the lesson's whole setup, presented as the view
    is now (presenter mode and the quiz stay on or off). The page shows its explanation while
    the view is the lesson's (``ui.tour.shown_lesson``)."""
    session.apply_setup(presented_as(LESSONS[index].setup(), st.session_state[session.SETUP]))


def tour_step(by: int) -> None:
    """The tour's next (``by`` = +1) or previous (−1) lesson (``ui.tour.step``); past either
    end, nothing changes."""
    index = tour.step(st.session_state[session.SETUP], by)
    if index is not None:
        apply_lesson(index)


def set_present(on: bool) -> None:
    """Enter (``on``) or leave presenter mode; everything else in the view stays as it is."""
    session.apply_changes(present=on)


def use_optimal(lr: float, beta: float) -> None:
    """"Use optimal parameters" on the theory page: lr* and β* into the shared setup."""
    session.apply_changes(lr=lr, beta=beta)
    session.notify(session.OPTIMAL_APPLIED)


def _surface_changed() -> None:
    """The surface picker's ``on_change``: the surface's suggested lr, β and start (and the
    default domain) go into the setup itself, not only into this page's widgets (the
    Playground's lr and β are its stage's sliders, no widgets of the table); a CSV surface
    with data suggests its own (``_csv_suggestions``)."""
    state = st.session_state
    changes = surface_defaults(state.surface) | _csv_suggestions(state.surface)
    session.apply_changes(surface=state.surface, **changes)


def _csv_suggestions(surface_id: str) -> dict:
    """On a CSV surface whose data makes it: its own lr, β and start, and a batch size within
    the data (with a notice when it had to shrink); else nothing."""
    upload = uploads.current()
    if surface_id not in CSV_SURFACES or upload is None:
        return {}
    try:
        surface = uploads.surface(uploads.key_of(surface_id))
    except uploads.CsvError:
        return {}  # the page says why the data cannot make this surface
    changes = dict(lr=surface.lr, beta=surface.beta, x0=surface.start[0], y0=surface.start[1])
    batch_size = st.session_state[session.SETUP]["batch_size"]
    if batch_size is not None and batch_size > upload.n:
        changes["batch_size"] = min(BATCH_DEFAULT, upload.n)
        session.add_warning(f"Batch size B = {batch_size} is more than the {upload.n} data "
                            f"points; B is now {changes['batch_size']}.")
    return changes


def _csv_uploaded() -> None:
    """The uploader's ``on_change``: a usable file becomes the session's data (and the CSV
    surface its suggestions); a bad one is refused with its reason, the data kept as it was."""
    state = st.session_state
    file = state.csv_file
    if file is None:  # the file was removed from the uploader: the data stays
        return
    try:
        uploads.accept(file.getvalue(), file.name)
    except uploads.CsvError as exc:
        kept = uploads.current()
        session.notify(uploads.ERROR, f"{file.name} can't be used: {exc}. "
                       + (f"Still using {kept.name}." if kept else "Nothing was changed."))
        return
    session.apply_changes(**_csv_suggestions(state.surface))


def _minibatch_changed() -> None:
    """Minibatches switched on: a batch size above the data's size (the default 32 on a
    smaller CSV) becomes one that fits."""
    state = st.session_state
    size = _data_points(state.surface)
    if state.minibatch and size is not None and state.batch_size > size:
        state.batch_size = min(BATCH_DEFAULT, size)


def _batch_changed() -> None:
    """A batch size above the surface's number of data points is refused, with a warning."""
    state = st.session_state
    size = _data_points(state.surface)
    if size is not None and state.batch_size > size:
        setup = state[session.SETUP]
        previous = setup["batch_size"] if setup["batch_size"] is not None else \
            min(BATCH_DEFAULT, size)
        session.add_warning(f"Batch size B = {state.batch_size} refused: this data set has "
                            f"{size} points. Keeping {previous}.")
        state.batch_size = previous


def _data_points(surface_id: str) -> int | None:
    """The number of data points of the surface (a built-in data set or the session's CSV)."""
    if surface_id in CSV_SURFACES:
        upload = uploads.current()
        return upload.n if upload else None
    return data_size(surface_id)


def _start_changed() -> None:
    """A start typed too far from the surface goes back to its default, with a warning that
    names it, as for a URL (``start_is_reasonable``)."""
    state = st.session_state
    setup = session.setup_shown()
    if not start_is_reasonable(setup):
        default = surface_defaults(setup["surface"])
        state.x0, state.y0 = default["x0"], default["y0"]
        session.add_warning(
            f"The start (x0, y0) = ({setup['x0']:g}, {setup['y0']:g}) is more than "
            f"{START_WIDTHS:g} domain widths from the surface; back to its default start "
            f"({state.x0:g}, {state.y0:g}).")
