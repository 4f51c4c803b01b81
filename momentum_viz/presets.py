"""The preset surfaces: quadratics for theory, the standard 2-D optimization test functions, and
the regression losses of the built-in data sets (``momentum_viz.data.DATASETS``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

from momentum_viz.data import DATASETS
from momentum_viz.surface import Domain, Point, Surface, make_surface


class Preset(NamedTuple):
    """A preset surface: ``make_surface``'s arguments but the id (its key in the table). The
    description is written as a paragraph; its line breaks and indentation read as single
    spaces (``get_surface``)."""

    name: str
    formula: str
    domain: Domain
    start: Point
    minima: Sequence[Point]
    lr: float
    beta: float
    description: str


_PRESETS: dict[str, Preset] = {
    "bowl": Preset(
        "Bowl (isotropic quadratic)", "x^2 + y^2",
        domain=((-3, 3), (-3, 3)), start=(-2.5, 2.0), minima=[(0, 0)], lr=0.05, beta=0.8,
        description="""A round bowl: every direction has curvature 2, so plain gradient descent
        heads straight for the bottom and momentum can only overshoot."""),
    "oval": Preset(
        "Oval bowl (λ = 1 and 1.2)", "(x^2 + 1.2y^2)/2",
        domain=((-3, 3), (-3, 3)), start=(-2.5, 2.0), minima=[(0, 0)], lr=0.05, beta=0.9,
        description="""A slightly oval bowl: curvature 1 along x and 1.2 along y. The two
        directions swing at slightly different rates, so a ball with a lot of momentum circles the
        minimum instead of swinging through it."""),
    "ravine": Preset(
        "Ravine (κ = 50)", "(x + y)^2/4 + 25(x - y)^2/2",
        domain=((-3, 3), (-3, 3)), start=(-2.5, -1.6), minima=[(0, 0)], lr=0.038, beta=0.6,
        description="""A long diagonal valley, an ill-conditioned quadratic: curvature 50 across it
        and 1 along it. SGD bounces between the walls; momentum builds speed along the floor."""),
    "rosenbrock": Preset(
        "Rosenbrock's banana", "(1 - x)^2 + 100(y - x^2)^2",
        domain=((-2, 2), (-1, 3)), start=(-1.2, 1.0), minima=[(1, 1)], lr=0.002, beta=0.9,
        description="""A curved, nearly flat valley: finding it is easy, following it to (1, 1) is
        slow for plain gradient descent."""),
    "beale": Preset(
        "Beale", "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        domain=((-4.5, 4.5), (-4.5, 4.5)), start=(1.0, 1.4), minima=[(3, 0.5)], lr=0.002, beta=0.9,
        description="""Flat plateaus and steep walls with the minimum at (3, 0.5) in a narrow
        curved trough."""),
    "himmelblau": Preset(
        "Himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        domain=((-6, 6), (-6, 6)), start=(-0.3, -0.9), lr=0.005, beta=0.8,
        minima=[(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        description="""Four equally deep minima: from the same start, SGD and momentum can end in
        different ones."""),
    "rastrigin": Preset(
        "Rastrigin", "20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)",
        domain=((-5.12, 5.12), (-5.12, 5.12)), start=(-4.3, 4.4), lr=0.002, beta=0.95,
        minima=[(0, 0)],
        description="""A bowl covered in bumps: a local minimum near every integer point. Momentum
        rolls over bumps that trap plain gradient descent and settles lower, though rarely at the
        global minimum."""),
    "booth": Preset(
        "Booth", "(x + 2y - 7)^2 + (2x + y - 5)^2",
        domain=((-10, 10), (-10, 10)), start=(-8.0, -7.0), minima=[(1, 3)], lr=0.05, beta=0.8,
        description="""A tilted quadratic bowl with curvatures 2 and 18 (κ = 9) and its minimum at
        (1, 3)."""),
    "six_hump_camel": Preset(
        "Six-hump camel", "(4 - 2.1x^2 + x^4/3)x^2 + xy + (-4 + 4y^2)y^2",
        domain=((-2.5, 2.5), (-1.5, 1.5)), start=(-2.0, 1.2), lr=0.01, beta=0.8,
        minima=[(0.0898, -0.7126), (-0.0898, 0.7126), (-1.7036, 0.7961), (1.7036, -0.7961),
                (-1.6071, -0.5687), (1.6071, 0.5687)],
        description="""Six minima, two of them global (f ≈ −1.0316): a test of where each optimizer
        settles."""),
    "styblinski_tang": Preset(
        "Styblinski–Tang", "(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y)/2",
        domain=((-5, 5), (-5, 5)), start=(4.5, 4.8), lr=0.01, beta=0.9,
        minima=[(-2.903534, -2.903534), (-2.903534, 2.746803), (2.746803, -2.903534),
                (2.746803, 2.746803)],
        description="""Four basins, one of them lowest at (−2.90, −2.90): from the start a plain
        descent stops in the nearest, shallowest one."""),
    "saddle": Preset(
        "Saddle (x² − y²)", "x^2 - y^2",
        domain=((-2, 2), (-2, 2)), start=(-1.8, 0.05), minima=[], lr=0.05, beta=0.8,
        description="""No minimum at all: a saddle at the origin, unbounded below. Watch how fast
        each optimizer escapes along y."""),
}

SURFACE_IDS: tuple[str, ...] = tuple(_PRESETS)
"""The formula presets."""
DATA_SURFACE_IDS: tuple[str, ...] = tuple(DATASETS)
"""The surfaces from data: one per built-in data set, its id the data set's."""


@cache
def get_surface(surface_id: str) -> Surface:
    """The preset with this id (``SURFACE_IDS`` or ``DATA_SURFACE_IDS``); built once and
    cached."""
    if surface_id in DATASETS:
        return DATASETS[surface_id].surface()
    if surface_id not in _PRESETS:
        raise KeyError(f"unknown surface {surface_id!r}; choose one of "
                       f"{', '.join((*SURFACE_IDS, *DATA_SURFACE_IDS))}")
    preset = _PRESETS[surface_id]
    description = " ".join(preset.description.split())
    return make_surface(id=surface_id, **preset._asdict() | {"description": description})


def preset_names() -> dict[str, str]:
    """{id: display name} of the presets and the data sets, without building them."""
    return ({surface_id: preset.name for surface_id, preset in _PRESETS.items()}
            | {d.id: d.name for d in DATASETS.values()})


def list_surfaces() -> list[Surface]:
    """Every preset surface, in display order."""
    return [get_surface(i) for i in SURFACE_IDS]
