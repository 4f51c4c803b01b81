"""The parameter table: every setting the pages share, declared once.

A setup is a dict with one entry per ``Param`` (``Setup``). Everything else derives from the
table: the defaults (``default_setup``), the URL (``setup_from_query`` with a warning per
refused value, ``query_from_setup`` for the address bar and share links), the widgets
(``WIDGETS``: kind, label, help, bounds; ``widget_values`` and ``setup_from_widgets`` convert
between a setup and the widgets' session state) and which page draws what (``Param.pages``).
No Streamlit here: ``ui/session.py`` wires this to the widgets.

Adding a parameter is one ``Param`` in ``PARAMS``, and a ``session.draw`` where a page shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import momentum_viz as mv
from ui.site import LAB, PAGE_IDS, PLAYGROUND, WHY

Setup = dict[str, Any]
"""One value per ``Param`` of ``PARAMS``, by name."""

CUSTOM = "custom"
CSV_SURFACES = {"linreg-csv": "linear", "logreg-csv": "logistic"}
"""The surfaces from a CSV the visitor uploads (``ui.uploads``), by id: the model each fits.
Their data lives in the session only; a URL can name them but not carry the data."""
CSV_NAMES = {"linreg-csv": "Linear regression on your CSV…",
             "logreg-csv": "Logistic regression on your CSV…"}
SURFACES = (*mv.SURFACE_IDS, *mv.DATA_SURFACE_IDS, *CSV_SURFACES, CUSTOM)
"""The surface picker's entries: the presets, the built-in data sets, the CSV surfaces and a
typed formula."""
OWN_LR = tuple(o for o in mv.OPTIMIZERS if mv.optimizers.get(o).linear_theory in (None, "sgd"))
"""Optimizers the Playground can give their own lr: SGD (a fair race against momentum's
lr/(1−β) step) and every adaptive one, whose step is about lr per coordinate whatever the
gradient's size, so that its good lr differs from momentum's by orders of magnitude. The
momentum family shares the lr, so that the β slider compares them at one lr."""
DEFAULT_SURFACE = "ravine"
DEFAULT_FORMULA = "x^2 + 10y^2"
DEFAULT_BETAS = (0.0, 0.5, 0.9, 0.99)
LR_RANGE = (1e-5, 10.0)
BETA_RANGE = (0.0, 0.999)
STEPS_RANGE = (10, 5000)
START_RANGE = (-1e6, 1e6)
NOISE_MAX = 100.0
BATCH_RANGE = (1, mv.data.MAX_POINTS)
"""The minibatch size B; on a surface it is at most its number of data points."""
BATCH_DEFAULT = 32
"""B when minibatches are switched on (or the data's size, if smaller)."""
SEEDS_RANGE = (1, mv.engine.MAX_SEEDS)
SEED_MAX = 2**31 - 1
START_WIDTHS = 10.0
"""A start point may lie at most this many domain widths from the domain's centre."""
DOMAIN_LIMIT = 1e4
DEFAULT_DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))
"""A typed formula's domain until the visitor sets one."""

# The Tuning lab's map and the "Why momentum works" quadratic.
MAP_OPTIMIZERS = tuple(o for o in mv.OPTIMIZERS if o != "sgd")
"""SGD needs no map of its own: it is the β = 0 row of the momentum family's maps."""
MAP_METRICS = {"steps": "Steps to converge", "loss": "Final loss"}
MAP_GRID_RANGE = (10, 200)
MAP_STEPS_RANGE = (10, 5000)
LR_FACTORS = (1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""The map's lr range, in multiples of plain gradient descent's stability limit 2/λmax."""
MAP_BETA_RANGE = (0.0, 0.99)
KAPPAS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
ROTATION_RANGE = (-90, 90)
QUIZ_K_DEFAULT = 20
"""The quiz's default k: guess where the momentum ball will be after this many steps."""
QUIZ_PARAMS = ("quiz", "quiz_k")
"""The quiz's settings: a lesson's link carries them besides its id (``?lesson=spiral&quiz=1``)."""


class ParamError(ValueError):
    """A value that cannot be used; the message names the problem for the reader."""


# -- parsers: text → value, raising ParamError --------------------------------------------------
def _number(low: float, high: float, *, integer: bool = False) -> Callable[[str], Any]:
    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise ParamError("is not a number") from None
        # NaN and ±inf fail the comparison; math.isfinite would raise OverflowError on a
        # 400-digit integer
        if not low <= value <= high:
            raise ParamError(f"must be between {low:g} and {high:g}")
        return value
    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ParamError(f"must be one of {', '.join(options)}")
        return text
    return parse


def optimizer_label(name: str) -> str:
    """The name the pickers show for a registered optimizer (its registry ``picker_label``)."""
    return mv.optimizers.get(name).picker_label


def optimizers_help() -> str:
    """The optimizer pickers' help: each registered optimizer's picker name and rule."""
    return "\n\n".join(f"**{optimizer_label(name)}**: {mv.optimizers.get(name).doc}"
                        for name in mv.OPTIMIZERS)


def _optimizers(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in mv.OPTIMIZERS]
    if unknown or not names:
        raise ParamError(f"must list optimizers from {', '.join(mv.OPTIMIZERS)}")
    return [n for n in mv.OPTIMIZERS if n in names]


def _hyper(h: mv.optimizers.HyperParameter) -> Callable[[float], float]:
    """A value of the registry's hyper-parameter ``h``, checked against its range."""
    def check(value: float) -> float:
        if not h.contains(value):
            raise ParamError(f"must be a finite number in {h.interval}")
        return float(value)
    return check


def _parsed(check: Callable[[float], Any]) -> Callable[[str], Any]:
    """URL text → a number → ``check``."""
    def parse(text: str) -> Any:
        try:
            value = float(text)
        except ValueError:
            raise ParamError("is not a number") from None
        return check(value)
    return parse


def parse_betas(text: str) -> list[float]:
    """A comma-separated list of 1 to 8 values of β in [0, 0.999], sorted, without repeats."""
    parts = [t.strip() for t in text.split(",") if t.strip()]
    if not 1 <= len(parts) <= 8:
        raise ParamError("must list 1 to 8 values of β, e.g. 0, 0.5, 0.9, 0.99")
    values = []
    for part in parts:
        try:
            values.append(_number(*BETA_RANGE)(part))
        except ParamError as exc:
            raise ParamError(f"must be numbers between {BETA_RANGE[0]:g} and "
                             f"{BETA_RANGE[1]:g}: {_quote(part)} {exc}") from None
    return sorted(set(values))


def _flag(text: str) -> bool:
    if text not in ("0", "1", "true", "false"):
        raise ParamError("must be 0 or 1")
    return text in ("1", "true")


def _text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise ParamError(f"is longer than {limit} characters")
        return text
    return parse


def _member(options: tuple[float, ...]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = _number(options[0], options[-1])(text)
        if value not in options:
            raise ParamError(f"must be one of {', '.join(f'{o:g}' for o in options)}")
        return value
    return parse


def _pair(parse_one: Callable[[str], float]) -> Callable[[str], tuple[float, float]]:
    """A range "low,high" of two values, each checked by ``parse_one``, with low < high."""
    def parse(text: str) -> tuple[float, float]:
        parts = text.split(",")
        if len(parts) != 2:
            raise ParamError("must be two values, low,high")
        low, high = (parse_one(p.strip()) for p in parts)
        if not low < high:
            raise ParamError("needs low < high")
        return low, high
    return parse


def _lesson(text: str) -> str:
    from ui.lessons import LESSON_IDS  # imported here: the lessons are built on this table

    return _choice(LESSON_IDS)(text)


def lesson_setup(lesson_id: str) -> Setup:
    """The whole setup of the lesson ``lesson_id`` (``ui.lessons``)."""
    from ui.lessons import LESSONS  # imported here: the lessons are built on this table

    return next(lesson for lesson in LESSONS if lesson.id == lesson_id).setup()


# -- formatters: value → URL text ----------------------------------------------------------------
def _fmt(value: float) -> str:
    return f"{value:.10g}"


def _fmt_list(values: list[float] | tuple[float, ...]) -> str:
    return ",".join(_fmt(v) for v in values)


def _fmt_flag(value: bool) -> str:
    return "1" if value else "0"


# -- when a parameter is written to the URL ------------------------------------------------------
UrlRule = Callable[[Setup, "Param"], bool]


def always(setup: Setup, param: Param) -> bool:
    """Every view writes it."""
    return True


def for_formula(setup: Setup, param: Param) -> bool:
    """Only a typed formula's view (the formula and its domain)."""
    return setup["surface"] == CUSTOM


def with_minibatches(setup: Setup, param: Param) -> bool:
    """Only while the runs use minibatches (``sampling_of``)."""
    return sampling_of(setup)[1] is not None


def when_set(setup: Setup, param: Param) -> bool:
    """Only when it has a value (None: not in use)."""
    return setup[param.name] is not None


def when_comparing(setup: Setup, param: Param) -> bool:
    """Only in β-comparison mode."""
    return bool(setup["compare"])


def when_on(setup: Setup, param: Param) -> bool:
    """Only when the flag is on."""
    return bool(setup[param.name])


def lesson_view(setup: Setup, param: Param | None = None) -> bool:
    """Whether the view is exactly its lesson's, however it is presented (in or out of
    presenter mode or the quiz): then the URL is ``?lesson=<id>``, plus the presentation's
    parameters in use (``&present=1``, ``&quiz=1``)."""
    return setup["lesson"] is not None and \
        setup == presented_as(lesson_setup(setup["lesson"]), setup)


def when_quizzing(setup: Setup, param: Param) -> bool:
    """Only in quiz mode, and then only when it differs from its default."""
    return setup["quiz"] and (param.name == "quiz" or unless_default(setup, param))


def unless_default(setup: Setup, param: Param) -> bool:
    """Only when it differs from its default (a page's own parameters: short shared links)."""
    return setup[param.name] != param.default(setup["surface"])


# -- defaults ------------------------------------------------------------------------------------
def fixed(value: Any) -> Callable[[str], Any]:
    """The same default on every surface (lists are copied, never shared)."""
    return lambda surface_id: list(value) if isinstance(value, list) else value


def suggested(of_preset: Callable[[mv.Surface], Any], for_formula: Any) -> Callable[[str], Any]:
    """A preset's own suggestion (its lr, β or start); ``for_formula`` for a typed formula and
    for a CSV surface (whose own suggestions are applied when its data is accepted)."""
    def default(surface_id: str) -> Any:
        if surface_id == CUSTOM or surface_id in CSV_SURFACES:
            return for_formula
        return of_preset(mv.get_surface(surface_id))
    return default


# -- widgets -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Widget:
    """One Streamlit widget: ``st.<kind>(label, key=key, help=help, **options)``. Behaviour
    (``on_change``, ``disabled``) and per-page labels are given where the widget is drawn."""

    key: str
    kind: str
    label: str
    help: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Param:
    """One setting: its URL name (also its setup key and its first widget's key), its type, its
    default on each surface, how it is read from and written to the URL, when the URL carries
    it, its widgets and the pages that draw them.

    ``to_widgets(value, setup)`` gives the widgets' session-state values for a setup value;
    ``from_widgets(state)`` the setup value back from them (raising ``ParamError`` for input
    that cannot be used). Both default to the value itself under the first widget's key."""

    name: str
    type: type
    default: Callable[[str], Any]
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    widgets: tuple[Widget, ...]
    pages: frozenset[str]
    in_url: UrlRule = always
    follows_surface: bool = False
    """Choosing a surface resets it to that surface's default."""
    range: tuple[float, float] | None = None
    to_widgets: Callable[[Any, Setup], dict[str, Any]] | None = None
    from_widgets: Callable[[Mapping[str, Any]], Any] | None = None
    presentation: bool = False
    """How the view is shown, not what it shows (presenter mode, the quiz): a lesson's view
    stays the lesson's whatever its value, its link carries it, and choosing a lesson keeps it
    (``presented_as``)."""

    def widget_values(self, value: Any, setup: Setup) -> dict[str, Any]:
        """The session-state value of each of this parameter's widgets for ``value``."""
        if self.to_widgets is not None:
            return self.to_widgets(value, setup)
        return {self.name: list(value) if isinstance(value, list) else value}

    def read(self, state: Mapping[str, Any]) -> Any:
        """This parameter's value as its widgets now show it."""
        if self.from_widgets is not None:
            return self.from_widgets(state)
        return self.type(state[self.name])


def _number_param(name: str, low: float, high: float, default: Callable[[str], Any], *,
                  widget: Widget, pages: frozenset[str], integer: bool = False,
                  **more: Any) -> Param:
    """A number in [low, high] with one widget bounded by the same range."""
    bounded = Widget(widget.key, widget.kind, widget.label, widget.help,
                     {"min_value": low, "max_value": high, **widget.options})
    return Param(name, int if integer else float, default, _number(low, high, integer=integer),
                 str if integer else _fmt, (bounded,), pages, range=(low, high), **more)


STEPS_STOPS: tuple[int, ...] = (10, 20, 30, 50, 75, 100, 120, 150, 200, 250, 300, 400, 500,
                                600, 800, 1000, 1200, 1500, 2000, 2500, 3000, 4000, 5000)
"""The steps slider's stops: round, roughly log-spaced, every lesson's and README link's
count among them. Steps from a URL that are not one become an extra stop (``with_stop``)."""


def with_stop(stops: tuple, value: Any) -> tuple:
    """A select slider's stops with ``value`` among them, in order (a value from a URL or a
    typed number need not be one of the round stops; the slider then shows it exactly)."""
    if value is None or value in stops:
        return stops
    return tuple(sorted((*stops, value)))


def _no_widgets(value: Any, setup: Setup) -> dict[str, Any]:
    """``Param.to_widgets`` of a parameter no page draws a widget for."""
    return {}


def _betas_text(values: list[float]) -> str:
    return ", ".join(f"{b:g}" for b in values)


ALL = frozenset(PAGE_IDS)
SURFACE_PAGES = frozenset({PLAYGROUND, LAB})
RUN_PAGES = frozenset({PLAYGROUND, WHY})
ONLY_PLAYGROUND, ONLY_LAB, ONLY_WHY = (frozenset({p}) for p in (PLAYGROUND, LAB, WHY))
DOMAIN_FIELD = {"step": 0.5, "format": "%.4g"}
START_FIELD = {"step": 0.1, "format": "%.4g"}
LR_FIELD = {"step": 0.0001, "format": "%.6g"}


def _domain(name: str, label: str, value: float) -> Param:
    return _number_param(name, -DOMAIN_LIMIT, DOMAIN_LIMIT, fixed(value),
                         widget=Widget(name, "number_input", label, options=DOMAIN_FIELD),
                         pages=SURFACE_PAGES, in_url=for_formula, follows_surface=True)


def _start(name: str, label: str, axis: int) -> Param:
    return _number_param(name, *START_RANGE, suggested(lambda s: s.start[axis], 2.0),
                         widget=Widget(name, "number_input", label, options=START_FIELD),
                         pages=SURFACE_PAGES, follows_surface=True)


def _lr_factor(name: str, label: str, value: float) -> Param:
    return Param(name, float, fixed(value), _member(LR_FACTORS), _fmt,
                 (Widget(name, "select_slider", label, options={
                     "options": LR_FACTORS, "format_func": lambda f: f"{f:g}×"}),),
                 ONLY_LAB, in_url=unless_default)


OWN_LR_HELP = {
    "sgd": "A fair race: momentum's steady-state step is lr/(1−β), so SGD may deserve a larger "
           "lr.",
}
ADAPTIVE_LR_HELP = ("Its step is about lr per coordinate whatever the gradient's size, so its "
                    "good lr can differ from momentum's by orders of magnitude.")


def _own_lr(name: str) -> Param:
    """``<name>_lr``: the optimizer's own lr, None while it uses the shared one. Widgets: the
    checkbox ``<name>_own`` and the number ``<name>_lr``."""
    own, lr = f"{name}_own", f"{name}_lr"
    label = optimizer_label(name)
    return Param(
        lr, float, fixed(None), _number(*LR_RANGE), _fmt,
        (Widget(own, "checkbox", f"Give {label} its own learning rate",
                OWN_LR_HELP.get(name, ADAPTIVE_LR_HELP)),
         Widget(lr, "number_input", f"{label} lr",
                options={"min_value": LR_RANGE[0], "max_value": LR_RANGE[1], **LR_FIELD})),
        ONLY_PLAYGROUND, in_url=when_set, range=LR_RANGE,
        to_widgets=lambda value, setup: {own: value is not None,
                                         lr: setup["lr"] if value is None else value},
        from_widgets=lambda state: state[lr] if state[own] else None)


def hyper_key(optimizer: str, hyper: mv.optimizers.HyperParameter) -> str:
    """The URL parameter (and setup key) of an optimizer's own hyper-parameter, e.g.
    ``adam_beta2``."""
    return f"{optimizer}_{hyper.url}"


def hyper_params_of(optimizer: str) -> tuple[mv.optimizers.HyperParameter, ...]:
    """The hyper-parameters a run of ``optimizer`` takes from its own rows of the table: all
    but β, which every optimizer that uses it shares (the stage's β slider; β₁ for Adam, the
    momentum of RMSprop)."""
    return tuple(h for h in mv.optimizers.get(optimizer).hyper if h.name != "beta")


def _hyper_param(optimizer: str, h: mv.optimizers.HyperParameter) -> Param:
    """One row per registered optimizer's hyper-parameter besides β, its default torch's. The
    widget's bounds are the range's closure (the field refuses what lies outside); an open
    end itself (ε = 0, β₂ = 1) is refused by the range check, with a warning."""
    key = hyper_key(optimizer, h)
    check = _hyper(h)
    return Param(key, float, fixed(h.default), _parsed(check), _fmt,
                 (Widget(key, "number_input", f"{optimizer_label(optimizer)} {h.symbol or h.name}",
                         f"{h.help} Range {h.interval}; torch's default {h.default:g}.",
                         {"format": "%g", "step": h.default / 10 if h.default < 0.01 else 0.001,
                          "min_value": h.low, "max_value": h.high}),),
                 ONLY_PLAYGROUND, in_url=unless_default,
                 from_widgets=lambda state: check(state[key]))


@dataclass(frozen=True)
class ScheduleArg:
    """One argument of a schedule constructor (``momentum_viz.schedules.SCHEDULES``) as a
    setting: its URL name, the schedule and argument it feeds, the default and the bounds of
    the widget and the URL (within what the library accepts, which checks the value too: its
    ValueError becomes the warning)."""

    name: str
    schedule: str
    arg: str
    default: float
    low: float
    high: float
    label: str
    help: str
    integer: bool = False


SCHEDULE_ARGS = (
    ScheduleArg("step_size", "step", "step_size", 50, 1, STEPS_RANGE[1], "Every (steps)",
                "StepLR: the lr is multiplied by γ every this many steps.", integer=True),
    ScheduleArg("step_gamma", "step", "gamma", 0.5, 0.001, 1.0, "γ", "StepLR's factor, in (0, 1]."),
    ScheduleArg("exp_gamma", "exponential", "gamma", 0.98, 0.001, 1.0, "γ",
                "ExponentialLR: the lr is multiplied by γ, in (0, 1], every step."),
    ScheduleArg("t_max", "cosine", "t_max", 200, 1, STEPS_RANGE[1], "T_max (steps)",
                "CosineAnnealingLR: the lr falls along a half cosine to η_min at this step "
                "(and rises again after it).", integer=True),
    ScheduleArg("eta_min", "cosine", "eta_min", 0.0, 0.0, LR_RANGE[1], "η_min",
                "The lowest lr of the cosine."),
    ScheduleArg("total_iters", "warmup", "total_iters", 20, 1, STEPS_RANGE[1],
                "Warm-up steps", "LinearLR: the lr grows linearly to lr over this many steps.",
                integer=True),
    ScheduleArg("start_factor", "warmup", "start_factor", 0.1, 0.001, 1.0, "Start factor",
                "LinearLR: the first step's lr is lr × this, in (0, 1]."),
)
"""Every schedule constructor's arguments, each its own setting (so step's γ and
exponential's γ keep their own defaults)."""
SCHEDULE_LABELS = {"constant": "Constant", "step": "Step (StepLR)",
                   "exponential": "Exponential (ExponentialLR)",
                   "cosine": "Cosine (CosineAnnealingLR)", "warmup": "Linear warm-up (LinearLR)"}


def schedule_args(schedule: str) -> tuple[ScheduleArg, ...]:
    """The settings that ``schedule``'s constructor takes."""
    return tuple(a for a in SCHEDULE_ARGS if a.schedule == schedule)


def _build_schedule(name: str, values: Mapping[str, Any]) -> mv.schedules.Schedule:
    """The library's schedule ``name`` with its arguments from ``values`` (by setting name)."""
    return mv.schedules.SCHEDULES[name](**{a.arg: values[a.name] for a in schedule_args(name)})


def _schedule_arg_check(arg: ScheduleArg) -> Callable[[float], Any]:
    """The value as the library's constructor accepts it (its ValueError → ParamError)."""
    def check(value: float) -> Any:
        if not arg.low <= value <= arg.high:  # NaN fails too
            raise ParamError(f"must be between {arg.low:g} and {arg.high:g}")
        if arg.integer and not (math.isfinite(value) and value == int(value)):
            raise ParamError("must be a whole number")
        value = int(value) if arg.integer else float(value)
        try:
            _build_schedule(arg.schedule, {a.name: a.default for a in SCHEDULE_ARGS}
                            | {arg.name: value})
        except ValueError as exc:
            raise ParamError(str(exc).removeprefix(f"{arg.arg} ")) from None
        return value
    return check


def _schedule_in_use(setup: Setup, param: Param) -> bool:
    """Only when the chosen schedule takes it."""
    return any(a.name == param.name and a.schedule == setup["schedule"] for a in SCHEDULE_ARGS)


def _schedule_param(arg: ScheduleArg) -> Param:
    check = _schedule_arg_check(arg)
    options = {"min_value": arg.low, "max_value": arg.high,
               **({"step": 1} if arg.integer else {"step": 0.01, "format": "%g"})}
    return Param(arg.name, int if arg.integer else float, fixed(arg.default), _parsed(check),
                 str if arg.integer else _fmt,
                 (Widget(arg.name, "number_input", arg.label, arg.help, options),),
                 ONLY_PLAYGROUND, in_url=_schedule_in_use, range=(arg.low, arg.high),
                 from_widgets=lambda state: check(state[arg.name]))


PARAMS: tuple[Param, ...] = (
    Param("lesson", str, fixed(None), _lesson, str, (), frozenset(), in_url=lesson_view,
          to_widgets=_no_widgets),
    Param("present", bool, fixed(False), _flag, _fmt_flag, (), frozenset(), in_url=when_on,
          to_widgets=_no_widgets, presentation=True),
    Param("surface", str, _identity, _choice(SURFACES), str,
          (Widget("surface", "selectbox", "Surface", options={
              "options": SURFACES,
              "format_func": (mv.presets.preset_names() | CSV_NAMES
                              | {CUSTOM: "Custom formula…"}).get}),),
          SURFACE_PAGES),
    Param("formula", str, fixed(DEFAULT_FORMULA), _text(mv.formula.MAX_LENGTH), str,
          (Widget("formula", "text_input", "Formula f(x, y)",
                  "Type it as you would write it: x^2 + 10y^2, sin(x)cos(y), "
                  "(1-x)^2 + 100(y-x^2)^2, exp(-x^2-y^2), abs(x)+abs(y), log(1+x^2).",
                  {"max_chars": mv.formula.MAX_LENGTH}),),
          SURFACE_PAGES, in_url=for_formula),
    _domain("xmin", "x min", DEFAULT_DOMAIN[0][0]),
    _domain("xmax", "x max", DEFAULT_DOMAIN[0][1]),
    _domain("ymin", "y min", DEFAULT_DOMAIN[1][0]),
    _domain("ymax", "y max", DEFAULT_DOMAIN[1][1]),
    # β and lr have no sidebar widgets: every page's β and lr controls are the sliders of its
    # stage or map component, which send a released value into the setup
    Param("lr", float, suggested(lambda s: s.lr, 0.05), _number(*LR_RANGE), _fmt, (),
          frozenset(), follows_surface=True, range=LR_RANGE, to_widgets=_no_widgets),
    Param("beta", float, suggested(lambda s: s.beta, 0.9), _number(*BETA_RANGE), _fmt, (),
          frozenset(), follows_surface=True, range=BETA_RANGE, to_widgets=_no_widgets),
    Param("steps", int, fixed(200), _number(*STEPS_RANGE, integer=True), str,
          (Widget("steps", "select_slider", "Steps", options={"options": STEPS_STOPS}),),
          RUN_PAGES, range=STEPS_RANGE),
    _start("x0", "Start x₀", 0),
    _start("y0", "Start y₀", 1),
    Param("opt", list, fixed(["sgd", "momentum"]), _optimizers, ",".join,
          (Widget("opt", "multiselect", "Optimizers", optimizers_help(), options={
              "options": tuple(mv.OPTIMIZERS), "format_func": optimizer_label}),),
          ONLY_PLAYGROUND,
          from_widgets=lambda state: [o for o in mv.OPTIMIZERS if o in state["opt"]]),
    *(_own_lr(name) for name in OWN_LR),
    *(_hyper_param(o, h) for o in mv.OPTIMIZERS for h in hyper_params_of(o)),
    Param("schedule", str, fixed("constant"), _choice(tuple(mv.schedules.SCHEDULES)), str,
          (Widget("schedule", "selectbox", "lr schedule",
                  "The same schedule for every run, each from its own lr (torch's "
                  "lr_scheduler, stepped after every step).",
                  {"options": tuple(mv.schedules.SCHEDULES), "format_func": SCHEDULE_LABELS.get}),),
          ONLY_PLAYGROUND, in_url=unless_default),
    *(_schedule_param(a) for a in SCHEDULE_ARGS),
    _number_param("noise", 0.0, NOISE_MAX, fixed(0.0),
                  widget=Widget("noise", "number_input", "Gradient noise σ",
                                options={"step": 0.1, "format": "%.4g"}),
                  pages=SURFACE_PAGES),
    _number_param("seed", 0, SEED_MAX, fixed(0), integer=True,
                  widget=Widget("seed", "number_input", "Seed", options={"step": 1}),
                  pages=SURFACE_PAGES),
    Param("batch_size", int, fixed(None), _number(*BATCH_RANGE, integer=True), str,
          (Widget("minibatch", "checkbox", "Minibatch gradients",
                  "Each step's gradient is the mean over B data points drawn without "
                  "replacement, reshuffled every epoch (a surface from data only). They are "
                  "the gradient noise: σ is not used."),
           Widget("batch_size", "number_input", "Batch size B", options={
               "min_value": BATCH_RANGE[0], "max_value": BATCH_RANGE[1], "step": 1})),
          SURFACE_PAGES, in_url=with_minibatches, range=BATCH_RANGE,
          to_widgets=lambda b, setup: {"minibatch": b is not None,
                                       "batch_size": BATCH_DEFAULT if b is None else b},
          from_widgets=lambda state: int(state["batch_size"]) if state["minibatch"] else None),
    _number_param("seeds", *SEEDS_RANGE, fixed(1), integer=True,
                  widget=Widget("seeds", "number_input", "Seeds (runs per setting)",
                                "With noise or minibatches: every setting runs with seeds "
                                "seed, seed + 1, …; the map draws the paths faint and their "
                                "mean bold, the loss chart the median and the 10–90 % band.",
                                {"step": 1}),
                  pages=SURFACE_PAGES, in_url=unless_default),
    Param("compare", bool, fixed(False), _flag, _fmt_flag,
          (Widget("compare", "toggle", "Compare several β (momentum only)"),),
          ONLY_PLAYGROUND, in_url=when_comparing),
    Param("betas", list, fixed(list(DEFAULT_BETAS)), parse_betas, _fmt_list,
          (Widget("betas", "text_input", "β values", "Comma-separated, e.g. 0, 0.5, 0.9, 0.99"),),
          ONLY_PLAYGROUND, in_url=when_comparing,
          to_widgets=lambda betas, setup: {"betas": _betas_text(betas)},
          from_widgets=lambda state: parse_betas(state["betas"])),
    Param("map_opt", str, fixed("momentum"), _choice(MAP_OPTIMIZERS), str,
          (Widget("map_opt", "selectbox", "Optimizer",
                  "Plain SGD is the β = 0 row of the momentum family's maps. β is β₁ for Adam "
                  "and the momentum of RMSprop; AdaGrad has no β (its rows are alike).",
                  {"options": MAP_OPTIMIZERS, "format_func": optimizer_label}),),
          ONLY_LAB, in_url=unless_default),
    Param("map_metric", str, fixed("steps"), _choice(tuple(MAP_METRICS)), str,
          (Widget("map_metric", "radio", "Colour by", options={
              "options": tuple(MAP_METRICS), "format_func": MAP_METRICS.get,
              "horizontal": True}),),
          ONLY_LAB, in_url=unless_default),
    _number_param("map_grid", *MAP_GRID_RANGE, fixed(100), integer=True,
                  widget=Widget("map_grid", "slider", "Grid (cells per side)",
                                "200 × 200 = 40,000 runs: a second or two.", {"step": 10}),
                  pages=ONLY_LAB, in_url=unless_default),
    _number_param("map_steps", *MAP_STEPS_RANGE, fixed(500), integer=True,
                  widget=Widget("map_steps", "slider", "Steps per run", options={"step": 10}),
                  pages=ONLY_LAB, in_url=unless_default),
    _lr_factor("map_lr_min", "from", 0.01),
    _lr_factor("map_lr_max", "to", 4.0),
    Param("map_beta", tuple, fixed(MAP_BETA_RANGE), _pair(_number(*MAP_BETA_RANGE)), _fmt_list,
          (Widget("map_beta", "slider", "β range", options={
              "min_value": MAP_BETA_RANGE[0], "max_value": MAP_BETA_RANGE[1], "step": 0.01}),),
          ONLY_LAB, in_url=unless_default, range=MAP_BETA_RANGE),
    Param("kappa", float, fixed(50.0), _member(KAPPAS), _fmt,
          (Widget("kappa", "select_slider", "Condition number κ = λ₂/λ₁", options={
              "options": KAPPAS, "format_func": lambda k: f"{k:g}"}),),
          ONLY_WHY, in_url=unless_default),
    Param("quiz", bool, fixed(False), _flag, _fmt_flag,
          (Widget("quiz", "toggle", "Quiz: predict, then reveal",
                  "Hides the paths: say what each run will do and click where the momentum "
                  "ball will be after k steps, then reveal the paths and the answers."),),
          ONLY_PLAYGROUND, in_url=when_quizzing, presentation=True),
    _number_param("quiz_k", 1, STEPS_RANGE[1], fixed(QUIZ_K_DEFAULT), integer=True,
                  widget=Widget("quiz_k", "number_input", "The guess is for step k =",
                                "Where will the momentum ball be after k steps? (At most the "
                                "run's number of steps.)", {"step": 1}),
                  pages=ONLY_PLAYGROUND, in_url=when_quizzing, presentation=True),
    _number_param("rotation", *ROTATION_RANGE, fixed(0), integer=True,
                  widget=Widget("rotation", "slider", "Rotation (degrees)",
                                "Turns the bowl; the theory only sees the eigenvalues. κ = 50 "
                                "at 45° is the Playground's ravine.", {"step": 5}),
                  pages=ONLY_WHY, in_url=unless_default),
)
PARAM = MappingProxyType({p.name: p for p in PARAMS})
"""The table by name."""
WIDGETS = MappingProxyType({w.key: w for p in PARAMS for w in p.widgets})
"""Every widget of the table, by key."""


# -- setups --------------------------------------------------------------------------------------
def default_setup(surface_id: str = DEFAULT_SURFACE) -> Setup:
    """The view a visitor sees first on this surface (and what a missing URL parameter falls
    back to)."""
    return {p.name: p.default(surface_id) for p in PARAMS}


def surface_defaults(surface_id: str) -> Setup:
    """What choosing a surface sets: its suggested lr, β and start, and the default domain."""
    return {p.name: p.default(surface_id) for p in PARAMS if p.follows_surface}


def setup_from_query(query: Mapping[str, str]) -> tuple[Setup, list[str]]:
    """The setup a URL describes, and a warning for every parameter that had to fall back.

    Unknown parameters are ignored. Values are checked one by one, then together (a domain
    must have min < max; the map's lr range too; the quiz's k is at most the steps; the start
    must lie within ``START_WIDTHS`` domain widths)."""
    warnings: list[str] = []
    lesson = _read(query, PARAM["lesson"], warnings)
    surface = _read(query, PARAM["surface"], warnings) or DEFAULT_SURFACE
    setup = lesson_setup(lesson) if lesson else default_setup(surface)
    for param in PARAMS:
        if param.name in ("lesson", "surface"):
            continue
        value = _read(query, param, warnings)
        if value is not None:
            setup[param.name] = value
    fallback = default_setup(CUSTOM)
    if not (setup["xmin"] < setup["xmax"] and setup["ymin"] < setup["ymax"]):
        warnings.append("The URL's domain (xmin, xmax, ymin, ymax) needs min < max; "
                        "using the default domain.")
        setup.update({k: fallback[k] for k in ("xmin", "xmax", "ymin", "ymax")})
    if not setup["map_lr_min"] < setup["map_lr_max"]:
        warnings.append("The URL's lr range (map_lr_min, map_lr_max) needs min < max; using "
                        "the default range.")
        setup.update({k: fallback[k] for k in ("map_lr_min", "map_lr_max")})
    if setup["quiz_k"] > setup["steps"]:
        warnings.append(f"The URL's quiz_k ({setup['quiz_k']}) is more than the run's steps "
                        f"({setup['steps']}); the guess is for the last step, {setup['steps']}.")
        setup["quiz_k"] = setup["steps"]
    if not start_is_reasonable(setup):
        warnings.append("The URL's start point (x0, y0) is far outside the surface's domain; "
                        "using the surface's default start.")
        setup.update({k: surface_defaults(setup["surface"])[k] for k in ("x0", "y0")})
    size = data_size(setup["surface"])
    if setup["batch_size"] is not None and size is not None and setup["batch_size"] > size:
        warnings.append(f"URL parameter 'batch_size' = {setup['batch_size']} is more than the "
                        f"{size} data points of this surface; using the full gradient.")
        setup["batch_size"] = None
    return setup, warnings


def query_from_setup(setup: Setup) -> dict[str, str]:
    """The URL parameters for a setup: everything that shapes the view, nothing that doesn't;
    a lesson's view, unchanged, is its id alone (``?lesson=ravine``), with the presentation's
    parameters (``?lesson=ravine&present=1``)."""
    query = {p.name: p.format(setup[p.name]) for p in PARAMS
             if p.name != "lesson" and p.in_url(setup, p)}
    if lesson_view(setup):
        return {"lesson": setup["lesson"]} | {name: text for name, text in query.items()
                                              if PARAM[name].presentation}
    return query


def presented_as(setup: Setup, like: Setup) -> Setup:
    """``setup`` shown as ``like`` is shown: with ``like``'s presentation parameters (presenter
    mode and the quiz on or off)."""
    return setup | {p.name: like[p.name] for p in PARAMS if p.presentation}


def params_of(page: str) -> tuple[Param, ...]:
    """The parameters whose widgets ``page`` draws."""
    return tuple(p for p in PARAMS if page in p.pages)


def widget_values(setup: Setup) -> dict[str, Any]:
    """Every widget's session-state value for this setup, by widget key."""
    values: dict[str, Any] = {}
    for param in PARAMS:
        values |= param.widget_values(setup[param.name], setup)
    return values


def setup_from_widgets(setup: Setup, state: Mapping[str, Any], page: str) \
        -> tuple[Setup, list[str]]:
    """The setup as ``page``'s widgets now show it, and a warning for each input that cannot
    be used (that parameter keeps its value). A parameter whose first widget is not in
    ``state`` (not drawn, e.g. a hidden option) keeps its value too."""
    new, warnings = dict(setup), []
    for param in params_of(page):
        if param.widgets[0].key not in state:
            continue
        try:
            new[param.name] = param.read(state)
        except ParamError as exc:
            shown = param.widget_values(setup[param.name], setup)[param.widgets[0].key]
            warnings.append(f"{param.widgets[0].label} {exc}; keeping {shown}.")
    return new, warnings


def domain_of(setup: Setup) -> mv.surface.Domain:
    """The domain of the setup's surface (a typed formula's is the setup's own; a CSV
    surface's is known only to its session: not here)."""
    if setup["surface"] == CUSTOM:
        return (setup["xmin"], setup["xmax"]), (setup["ymin"], setup["ymax"])
    return mv.get_surface(setup["surface"]).domain


def data_size(surface_id: str) -> int | None:
    """The number of data points of a built-in data set's surface (None for any other)."""
    if surface_id in mv.DATASETS:
        return len(mv.DATASETS[surface_id].x)
    return None


def is_data(surface_id: str) -> bool:
    """Whether the surface is a loss over data (built in or uploaded): it has minibatches."""
    return surface_id in mv.DATASETS or surface_id in CSV_SURFACES


def sampling_of(setup: Setup, surface: mv.Surface | None = None) -> tuple[float, int | None]:
    """What the runs see in place of the exact gradient: (noise σ, batch size B). On a
    surface from data with minibatches on, (0, B): the minibatches are the noise; else
    (σ, None). Given the ``surface`` the page shows: on one without data (a CSV surface whose
    data this session lacks: the page shows another) (σ, None), and with B larger than its
    data (0, None), the full gradient (``batch_problem`` says so)."""
    if setup["batch_size"] is None or not is_data(setup["surface"]):
        return setup["noise"], None
    if surface is not None and surface.data is None:
        return setup["noise"], None
    if surface is not None and setup["batch_size"] > surface.data.n:
        return 0.0, None
    return 0.0, setup["batch_size"]


def batch_problem(setup: Setup, surface: mv.Surface) -> str | None:
    """Why the setup's minibatches are not used on ``surface`` when B exceeds its data (a CSV
    smaller than a linked B), as a sentence; None when they are used or off."""
    if setup["batch_size"] is None or not is_data(setup["surface"]) or surface.data is None \
            or setup["batch_size"] <= surface.data.n:
        return None
    return (f"Batch size B = {setup['batch_size']} is more than the {surface.data.n} points of "
            "this data set: the runs use the full gradient. Lower B under “Noise, minibatches "
            "and seeds”.")


def start_is_reasonable(setup: Setup) -> bool:
    """Whether the start is within START_WIDTHS domain widths of the domain's centre (on a CSV
    surface, whose domain the table does not know, any start in ``START_RANGE`` is)."""
    if setup["surface"] in CSV_SURFACES:
        return True
    (x0, x1), (y0, y1) = domain_of(setup)
    reach = START_WIDTHS * max(x1 - x0, y1 - y0)
    return abs(setup["x0"] - (x0 + x1) / 2) <= reach and abs(setup["y0"] - (y0 + y1) / 2) <= reach


def schedule_of(setup: Setup) -> mv.schedules.Schedule | None:
    """The setup's lr schedule (None: constant, the same as no schedule)."""
    if setup["schedule"] == "constant":
        return None
    return _build_schedule(setup["schedule"], setup)


def run_specs(setup: Mapping[str, Any]) -> tuple[mv.RunSpec, ...]:
    """The runs a setup asks for: the chosen optimizers, each with its own lr when set (else
    the shared lr), the shared β if it uses one, its own other hyper-parameters (an optimizer
    registered after the table was built has no rows: its defaults) and the schedule; or in
    β-comparison mode one momentum run per β."""
    schedule = schedule_of(setup)
    if setup["compare"]:
        return tuple(mv.RunSpec("momentum", setup["lr"], b, schedule=schedule)
                     for b in setup["betas"])
    return tuple(
        mv.RunSpec(name, setup.get(f"{name}_lr") or setup["lr"],
                   setup["beta"] if mv.optimizers.get(name).uses_beta else None,
                   schedule=schedule,
                   **{h.name: setup.get(hyper_key(name, h)) for h in hyper_params_of(name)})
        for name in setup["opt"])


RUN_PARAMS = ("opt", "compare", "betas", "lr", "beta", "schedule",
              *(f"{o}_lr" for o in OWN_LR),
              *(hyper_key(o, h) for o in mv.OPTIMIZERS for h in hyper_params_of(o)),
              *(a.name for a in SCHEDULE_ARGS))
"""The settings ``run_specs`` reads."""


def run_settings(setup: Setup) -> tuple[tuple[str, Any], ...]:
    """The settings ``run_specs`` reads, hashable (lists as tuples): a cache key, and
    ``dict(run_settings(setup))`` is a setup ``run_specs`` accepts."""
    return tuple((n, tuple(setup[n]) if isinstance(setup[n], list) else setup[n])
                 for n in RUN_PARAMS)


def _read(query: Mapping[str, str], param: Param, warnings: list[str]) -> Any:
    text = query.get(param.name)
    if text is None:
        return None
    try:
        return param.parse(text)
    except ParamError as exc:
        warnings.append(f"URL parameter '{param.name}' = {_quote(text)} {exc}; using the "
                        "default.")
        return None


def _quote(text: str) -> str:
    """A URL value made safe to show: short, and with nothing Markdown would interpret."""
    shown = text if len(text) <= 40 else text[:37] + "…"
    return "`" + shown.replace("`", "'").replace("\n", " ") + "`"
