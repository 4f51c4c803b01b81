"""Families of runs: the same runs at every value a control can take, computed in one batch.

The Playground's β and lr sliders redraw while they are dragged, without asking the server:
the browser switches between paths computed here in advance. Every path of a family is the
run ``simulate`` would make at that value (the same engine loop, the trajectories side by
side in one batch), so what is drawn while scrubbing is exact, not interpolated.

>>> import momentum_viz as mv
>>> fam = simulate_family(mv.get_surface("ravine"),
...                       [[mv.RunSpec("sgd", 0.038, 0.0), mv.RunSpec("momentum", 0.038, b)]
...                        for b in (0.5, 0.9)], steps=50)
>>> fam.runs[1][1].beta
0.9
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from momentum_viz.simulate import Conditions, Run, RunSpec, simulate_many
from momentum_viz.surface import Surface

if TYPE_CHECKING:
    from typing_extensions import Unpack

BETA_STEP = 0.01
"""The β slider's resolution: 0, 0.01, …, 0.99; paths a hundredth apart in β look different
on the map in the interesting range, and 0.001 apart they mostly don't."""
BETA_EXTRA = (0.995, 0.999)
"""High-β ends kept at any resolution: the top of the β range (very slow damping)."""
LR_PER_DECADE = 20
"""lr slider positions per decade (each a factor 10^(1/20) ≈ 1.12 from the next)."""
LR_DECADES = 1.0
"""The lr slider spans this many decades either side of the current lr."""


@dataclass(frozen=True, eq=False)
class Family:
    """Runs at each of ``values`` of one parameter: ``runs[i][j]`` is run j of the setup at
    ``values[i]`` (a run that does not depend on the parameter, such as SGD in a β family, is
    one shared object)."""

    values: tuple[float, ...]
    runs: tuple[tuple[Run, ...], ...]

    def unique_runs(self) -> list[Run]:
        """Every distinct run once, in first-seen order."""
        seen: dict[int, Run] = {}
        for row in self.runs:
            for run in row:
                seen.setdefault(id(run), run)
        return list(seen.values())


def simulate_family(
    surface: Surface,
    specs: Sequence[Sequence[RunSpec]],
    *,
    values: Sequence[float] | None = None,
    **conditions: Unpack[Conditions],
) -> Family:
    """Run ``specs[i]`` (the runs at the i-th value) for every i in ONE batch of the engine,
    all seeing the same noise or minibatches (``simulate_many``).

    Identical specs are simulated once. ``values`` label the rows (default 0, 1, …)."""
    unique: dict[RunSpec, int] = {}
    for row in specs:
        for spec in row:
            unique.setdefault(spec, len(unique))
    runs = simulate_many(surface, list(unique), **conditions) if unique else []
    rows = tuple(tuple(runs[unique[spec]] for spec in row) for row in specs)
    labels = tuple(float(v) for v in values) if values is not None else \
        tuple(float(i) for i in range(len(specs)))
    if len(labels) != len(rows):
        raise ValueError("values and specs must have the same length")
    return Family(labels, rows)


def beta_grid(current: float, step: float = BETA_STEP, high: float = 0.999) -> tuple[float, ...]:
    """The β slider's positions: 0 to 0.99 in ``step``, the ends ``BETA_EXTRA`` up to
    ``high``, and ``current`` itself (a β set by a lesson or a URL, e.g. 0.4675, is a position
    of its own, so the slider can show exactly the run the page was opened with)."""
    count = int(np.floor(0.99 / step + 1e-9))
    grid = {round(k * step, 10) for k in range(count + 1)}
    grid |= {b for b in BETA_EXTRA if b <= high}
    grid.add(float(current))
    return tuple(sorted(grid))


def lr_grid(current: float, per_decade: int = LR_PER_DECADE, decades: float = LR_DECADES,
            bounds: tuple[float, float] = (1e-5, 10.0)) -> tuple[float, ...]:
    """The lr slider's positions: log-spaced, ``per_decade`` a decade, ``decades`` either side
    of ``current`` (which is itself a position), each rounded to 3 significant digits so the
    URL stays readable, and kept within ``bounds``."""
    n = round(per_decade * decades)
    grid = {float(f"{current * 10 ** (k / per_decade):.3g}") for k in range(-n, n + 1) if k}
    grid = {v for v in grid if bounds[0] <= v <= bounds[1]}
    grid.add(float(current))
    return tuple(sorted(grid))
