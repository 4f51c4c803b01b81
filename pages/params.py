"""The shared setup every page reads: what the URL parameters mean, how they are checked, and how
they round-trip between the address bar, the widgets and the engine. No Streamlit here, so it
can be tested on its own; ``pages/common.py`` wires it to the widgets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import momentum_viz as mv

CUSTOM = "custom"
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "Momentum (heavy ball)",
                   "nesterov": "Nesterov", "ema": "EMA (seed text's form)"}
DEFAULT_SURFACE = "ravine"
DEFAULT_FORMULA = "x^2 + 10y^2"
DEFAULT_BETAS = (0.0, 0.5, 0.9, 0.99)
LR_RANGE = (1e-5, 10.0)
BETA_RANGE = (0.0, 0.999)
STEPS_RANGE = (10, 5000)
NOISE_MAX = 100.0
SEED_MAX = 2**31 - 1
START_WIDTHS = 10.0
"""A start point may lie at most this many domain widths from the domain's centre."""
DOMAIN_LIMIT = 1e4

# The Tuning lab's map and the "Why momentum works" quadratic.
MAP_OPTIMIZERS = ("momentum", "nesterov", "ema")
"""SGD needs no map of its own: it is the β = 0 row of each of these."""
MAP_METRICS = {"steps": "Steps to converge", "loss": "Final loss"}
MAP_GRID_RANGE = (10, 200)
MAP_STEPS_RANGE = (10, 5000)
LR_FACTORS = (1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""The map's lr range, in multiples of plain gradient descent's stability limit 2/λmax."""
MAP_BETA_RANGE = (0.0, 0.99)
KAPPAS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
ROTATION_RANGE = (-90, 90)
PAGE_DEFAULTS = {
    "map_opt": "momentum", "map_metric": "steps", "map_grid": 100, "map_steps": 500,
    "map_lr_min": 0.01, "map_lr_max": 4.0, "map_beta": MAP_BETA_RANGE, "kappa": 50.0,
    "rotation": 0,
}
"""Parameters of one page only: left out of the URL while they keep these values."""


class ParamError(ValueError):
    """A URL value that cannot be used; the message names the problem for the reader."""


@dataclass(frozen=True)
class Param:
    """One URL parameter: how to read it from text and write it back."""

    name: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str]


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


def _optimizers(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in mv.OPTIMIZERS]
    if unknown or not names:
        raise ParamError(f"must list optimizers from {', '.join(mv.OPTIMIZERS)}")
    return [n for n in mv.OPTIMIZERS if n in names]


def parse_betas(text: str) -> list[float]:
    """A comma-separated list of 1 to 8 values of β in [0, 0.999]."""
    parts = [t.strip() for t in text.split(",") if t.strip()]
    if not 1 <= len(parts) <= 8:
        raise ParamError("must list 1 to 8 values of β, e.g. 0, 0.5, 0.9, 0.99")
    values = [_number(*BETA_RANGE)(p) for p in parts]
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


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def _fmt_pair(values: tuple[float, float]) -> str:
    return ",".join(_fmt(v) for v in values)


PARAMS: dict[str, Param] = {p.name: p for p in [
    Param("surface", _choice((*mv.SURFACE_IDS, CUSTOM)), str),
    Param("formula", _text(mv.formula.MAX_LENGTH), str),
    Param("xmin", _number(-DOMAIN_LIMIT, DOMAIN_LIMIT), _fmt),
    Param("xmax", _number(-DOMAIN_LIMIT, DOMAIN_LIMIT), _fmt),
    Param("ymin", _number(-DOMAIN_LIMIT, DOMAIN_LIMIT), _fmt),
    Param("ymax", _number(-DOMAIN_LIMIT, DOMAIN_LIMIT), _fmt),
    Param("lr", _number(*LR_RANGE), _fmt),
    Param("beta", _number(*BETA_RANGE), _fmt),
    Param("steps", _number(*STEPS_RANGE, integer=True), str),
    Param("x0", _number(-1e6, 1e6), _fmt),
    Param("y0", _number(-1e6, 1e6), _fmt),
    Param("opt", _optimizers, ",".join),
    Param("sgd_lr", _number(*LR_RANGE), _fmt),
    Param("noise", _number(0.0, NOISE_MAX), _fmt),
    Param("seed", _number(0, SEED_MAX, integer=True), str),
    Param("compare", _flag, lambda v: "1" if v else "0"),
    Param("betas", parse_betas, lambda v: ",".join(_fmt(b) for b in v)),
    Param("map_opt", _choice(MAP_OPTIMIZERS), str),
    Param("map_metric", _choice(tuple(MAP_METRICS)), str),
    Param("map_grid", _number(*MAP_GRID_RANGE, integer=True), str),
    Param("map_steps", _number(*MAP_STEPS_RANGE, integer=True), str),
    Param("map_lr_min", _member(LR_FACTORS), _fmt),
    Param("map_lr_max", _member(LR_FACTORS), _fmt),
    Param("map_beta", _pair(_number(*MAP_BETA_RANGE)), _fmt_pair),
    Param("kappa", _member(KAPPAS), _fmt),
    Param("rotation", _number(*ROTATION_RANGE, integer=True), str),
]}


def surface_defaults(surface_id: str) -> dict:
    """What choosing a preset sets: its suggested lr, β and start (a good first demo)."""
    if surface_id == CUSTOM:
        return {"lr": 0.05, "beta": 0.9, "x0": 2.0, "y0": 2.0,
                "xmin": -3.0, "xmax": 3.0, "ymin": -3.0, "ymax": 3.0}
    s = mv.get_surface(surface_id)
    return {"lr": s.lr, "beta": s.beta, "x0": s.start[0], "y0": s.start[1]}


def default_setup(surface_id: str = DEFAULT_SURFACE) -> dict:
    """The view a visitor sees first (and what a missing URL parameter falls back to)."""
    setup = {
        "surface": surface_id, "formula": DEFAULT_FORMULA,
        "xmin": -3.0, "xmax": 3.0, "ymin": -3.0, "ymax": 3.0,
        "steps": 200, "opt": ["sgd", "momentum"], "sgd_lr": None, "noise": 0.0, "seed": 0,
        "compare": False, "betas": list(DEFAULT_BETAS), **PAGE_DEFAULTS,
    }
    setup.update(surface_defaults(surface_id))
    return setup


def setup_from_query(query: Mapping[str, str]) -> tuple[dict, list[str]]:
    """The setup a URL describes, and a warning for every parameter that had to fall back.

    Unknown parameters are ignored. Values are checked one by one, then together (a domain
    must have min < max; the start must lie within ``START_WIDTHS`` domain widths)."""
    warnings: list[str] = []
    raw = {k: v for k, v in query.items() if k in PARAMS}
    surface = _read(raw, "surface", warnings) or DEFAULT_SURFACE
    setup = default_setup(surface)
    for name in PARAMS:
        if name == "surface" or name not in raw:
            continue
        value = _read(raw, name, warnings)
        if value is not None:
            setup[name] = value
    if not (setup["xmin"] < setup["xmax"] and setup["ymin"] < setup["ymax"]):
        warnings.append("The URL's domain (xmin, xmax, ymin, ymax) needs min < max; "
                        "using the default domain.")
        setup.update({k: default_setup(CUSTOM)[k] for k in ("xmin", "xmax", "ymin", "ymax")})
    if not setup["map_lr_min"] < setup["map_lr_max"]:
        warnings.append("The URL's lr range (map_lr_min, map_lr_max) needs min < max; using "
                        "the default range.")
        setup.update({k: PAGE_DEFAULTS[k] for k in ("map_lr_min", "map_lr_max")})
    if not start_is_reasonable(setup):
        warnings.append("The URL's start point (x0, y0) is far outside the surface's domain; "
                        "using the surface's default start.")
        setup.update({k: surface_defaults(setup["surface"])[k] for k in ("x0", "y0")})
    return setup, warnings


def query_from_setup(setup: dict) -> dict[str, str]:
    """The URL parameters for a setup: everything that shapes the view, nothing that doesn't."""
    skip = set()
    if setup["surface"] != CUSTOM:
        skip |= {"formula", "xmin", "xmax", "ymin", "ymax"}
    if setup.get("sgd_lr") is None:
        skip.add("sgd_lr")
    if not setup.get("compare"):
        skip |= {"compare", "betas"}
    skip |= {name for name, value in PAGE_DEFAULTS.items() if setup.get(name) == value}
    return {name: p.format(setup[name]) for name, p in PARAMS.items()
            if name not in skip and setup.get(name) is not None}


def domain_of(setup: dict) -> mv.surface.Domain:
    """The domain of the setup's surface (a typed formula's is the setup's own)."""
    if setup["surface"] == CUSTOM:
        return (setup["xmin"], setup["xmax"]), (setup["ymin"], setup["ymax"])
    return mv.get_surface(setup["surface"]).domain


def start_is_reasonable(setup: dict) -> bool:
    """Whether the start is within START_WIDTHS domain widths of the domain's centre."""
    (x0, x1), (y0, y1) = domain_of(setup)
    reach = START_WIDTHS * max(x1 - x0, y1 - y0)
    return abs(setup["x0"] - (x0 + x1) / 2) <= reach and abs(setup["y0"] - (y0 + y1) / 2) <= reach


def run_specs(setup: dict) -> tuple[mv.RunSpec, ...]:
    """The runs a setup asks for: the chosen optimizers (SGD with its own lr when set), or in
    β-comparison mode one momentum run per β."""
    if setup["compare"]:
        return tuple(mv.RunSpec("momentum", setup["lr"], b) for b in setup["betas"])
    return tuple(
        mv.RunSpec(name, (setup["sgd_lr"] or setup["lr"]) if name == "sgd" else setup["lr"],
                   0.0 if name == "sgd" else setup["beta"])
        for name in setup["opt"])


def _read(raw: Mapping[str, str], name: str, warnings: list[str]):
    text = raw.get(name)
    if text is None:
        return None
    try:
        return PARAMS[name].parse(text)
    except ParamError as exc:
        warnings.append(f"URL parameter '{name}' = {_quote(text)} {exc}; using the default.")
        return None


def _quote(text: str) -> str:
    """A URL value made safe to show: short, and with nothing Markdown would interpret."""
    shown = text if len(text) <= 40 else text[:37] + "…"
    return "`" + shown.replace("`", "'").replace("\n", " ") + "`"
