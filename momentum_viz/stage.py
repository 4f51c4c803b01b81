"""The Playground's stage as data: everything the browser needs to draw the map, the paths,
the balls, the arrows and the loss chart, for every position of the β and lr sliders.

``stage_data`` is pure (no Streamlit): it computes the β family and the lr family of the
current setup (``momentum_viz.family``, one engine batch) and packs them compactly:

* positions as float64 with the mantissa rounded to 36 bits (6 bytes a number instead of 8,
  relative error ≤ 2⁻³⁷ ≈ 7e-12, far inside the 1e-9 the scrub promises);
* the loss (f − f*, or f when the minimum is unknown) as float32, for a chart;
* nothing else per step while every step is sent: the browser recovers each run's velocity and
  gradient from its positions by inverting the update rule (``stage.js``, ``derive``), exactly
  as the engine defines them; only when the path is thinned (more than ``MAX_POINTS`` steps) are
  the step vector, the gradient and |v| sent, as float32, at the steps shown.

A path that is thinned still passes through exact positions: it shows the steps it lists.
The grids coarsen with the number of steps so that the data stays within ``BYTES_BUDGET``.

With several seeds (noise or minibatches), the runs at the setup's own β and lr also come as a
cloud (``cloud_data``): every seed's path (float32, at most ``CLOUD_POINTS`` points each in
all), their mean path and the median loss with its 10–90 % band. Only the setup's value has a
cloud: while β or lr is dragged the stage shows the families' paths (seed ``seed``), and the
cloud's bytes come out of the families' budget, whose grids coarsen to make room.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence

import numpy as np

from momentum_viz.arithmetic import ROUNDING_NOTE
from momentum_viz.family import Family, beta_grid, lr_grid, simulate_family
from momentum_viz.figures.paths import last_finite, surface_background, view_bounds
from momentum_viz.figures.style import run_colors, run_name
from momentum_viz.optimizers import DISPLAY_NAMES
from momentum_viz.seeds import Seeds, simulate_seeds_many
from momentum_viz.simulate import Run, RunSpec, simulate_many
from momentum_viz.surface import Point, Surface
from momentum_viz.worked import worked_steps

MAX_POINTS = 501
"""Up to 500 steps every step is a point and a frame; beyond, 501 evenly spaced steps."""
BYTES_BUDGET = 1_400_000
"""The packed families and cloud stay under this (the map picture and labels come on top)."""
CLOUD_POINTS = 50_000
"""A cloud's faint paths hold at most this many points in all (8 bytes each, 10.7 in base64),
fewer when the families' coarsest grids leave less room: a path of many seeds or steps is
thinned to evenly spaced steps."""
FAINT_MIN = 50
"""Points a faint path keeps however little room is left (a path of a few points would draw
straight lines that no run took): only far from the defaults (thousands of steps, five or more
optimizers and many seeds) can the data then exceed ``BYTES_BUDGET``."""
FAINT_BYTES = 32 / 3
"""Base64 bytes a faint path's point costs (float32 x and y)."""
CLOUD_BYTES_PER_STEP = 16 + 3 * 16 / 3
"""Base64 bytes per run and shown step of the cloud's mean path (6-byte x and y) and band
(three float32)."""
GRIDS = ((0.01, 20), (0.02, 10), (0.05, 10), (0.1, 5), (0.1, 2))
"""(β step, lr positions per decade), finest first: the first whose estimate fits is used."""
BYTES_PER_POINT = {False: 16 + 16 / 3, True: 16 + 16 / 3 + 5 * 16 / 3}
"""Base64 bytes a path point costs: 6-byte x and y, a float32 loss (thinned: also float32
step, gradient and |v|)."""

SpecsAt = Callable[[str, float], Sequence[RunSpec]]
"""The runs of the setup with one parameter ("beta" or "lr") set to a value."""


def shown_steps(steps: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """The steps drawn (and animated): all of them, or ``max_points`` evenly spaced ones
    including the first and the last."""
    if steps + 1 <= max_points:
        return np.arange(steps + 1)
    return np.unique(np.linspace(0, steps, max_points).round().astype(np.int64))


def pick_grids(specs_at: SpecsAt, beta: float, lr: float, steps: int,
               scrub: Sequence[str], budget: float = BYTES_BUDGET) \
        -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The β and lr grids: the finest of ``GRIDS`` whose packed paths fit ``budget`` (else
    the coarsest)."""
    options = grid_options(specs_at, beta, lr, steps, scrub)
    betas, lrs, _ = next((o for o in options if o[2] <= budget), options[-1])
    return betas, lrs


def grid_options(specs_at: SpecsAt, beta: float, lr: float, steps: int,
                 scrub: Sequence[str]) -> list[tuple[tuple[float, ...], tuple[float, ...], float]]:
    """(β grid, lr grid, estimated bytes of their packed paths) for each of ``GRIDS``."""
    points = len(shown_steps(steps))
    per_path = points * BYTES_PER_POINT[steps + 1 > MAX_POINTS]
    base = list(specs_at("beta", beta))

    def varying(name: str, other: float) -> int:
        return sum(a != b for a, b in zip(base, specs_at(name, other), strict=True)) \
            if name in scrub else 0

    varies = {"beta": varying("beta", 0.5 if beta != 0.5 else 0.6), "lr": varying("lr", lr * 2)}
    options = []
    for beta_step, per_decade in GRIDS:
        betas = beta_grid(beta, beta_step) if "beta" in scrub else (beta,)
        lrs = lr_grid(lr, per_decade) if "lr" in scrub else (lr,)
        paths = len(base) + varies["beta"] * (len(betas) - 1) + varies["lr"] * (len(lrs) - 1)
        options.append((betas, lrs, paths * per_path))
    return options


def stage_families(surface: Surface, specs_at: SpecsAt, *, beta: float, lr: float,
                   start: Point, steps: int, noise: float, seed: int,
                   scrub: Sequence[str] = ("beta", "lr"), batch_size: int | None = None,
                   budget: int = BYTES_BUDGET, released_only: bool = False) \
        -> tuple[Family, Family]:
    """The β family (lr fixed) and the lr family (β fixed) of the setup, in one batch. With
    ``released_only`` only the setup's own runs (at ``beta`` and ``lr``) are simulated: the
    families keep every value, and their other rows are None."""
    betas, lrs = pick_grids(specs_at, beta, lr, steps, scrub, budget)
    if released_only:
        (row,) = simulate_family(surface, [list(specs_at("beta", beta))], start=start,
                                 steps=steps, noise=noise, seed=seed,
                                 batch_size=batch_size).runs
        return (Family(betas, tuple(row if b == float(beta) else None for b in betas)),
                Family(lrs, tuple(row if v == float(lr) else None for v in lrs)))
    rows = [list(specs_at("beta", b)) for b in betas] + [list(specs_at("lr", v)) for v in lrs]
    both = simulate_family(surface, rows, start=start, steps=steps, noise=noise, seed=seed,
                           batch_size=batch_size)
    return (Family(betas, both.runs[:len(betas)]), Family(lrs, both.runs[len(betas):]))


def stage_data(surface: Surface, specs_at: SpecsAt, *, beta: float, lr: float, start: Point,
               steps: int, noise: float = 0.0, seed: int = 0,
               scrub: Sequence[str] = ("beta", "lr"), plotly_url: str = "",
               batch_size: int | None = None, seeds: int = 1,
               released_only: bool = False) -> dict:
    """The component's data (JSON-ready) for the setup whose runs are ``specs_at("beta", β)``.

    ``scrub`` names the sliders shown ("beta" is left out in β-comparison mode, where β is
    not one value). With ``seeds`` > 1 and noise or minibatches, ``cloud`` holds the setup's
    runs under seeds ``seed … seed + seeds − 1`` (``cloud_data``); else it is None.

    With ``released_only`` (``partial`` is then True) the families hold only the setup's own
    runs: every value of each slider is listed, but only the released value's row of run
    references is filled, the others are None. That is all the map needs to draw the setup;
    everything else in it (the cloud, the picture, the grids) is the same as in the full
    data, which adds the other rows."""
    cloud = None
    if seeds > 1 and (noise or batch_size is not None):
        specs = list(specs_at("beta", beta))
        many = simulate_seeds_many(surface, specs, seeds=seeds, start=start, steps=steps,
                                   noise=noise, seed=seed, batch_size=batch_size)
        coarsest = grid_options(specs_at, beta, lr, steps, scrub)[-1][2]
        fixed = len(specs) * len(shown_steps(steps)) * CLOUD_BYTES_PER_STEP
        room = (BYTES_BUDGET - coarsest - fixed) / FAINT_BYTES
        cloud = cloud_data(many, shown_steps(steps), int(min(CLOUD_POINTS, room)))
    budget = BYTES_BUDGET - (cloud_bytes(cloud) if cloud else 0)
    betas_family, lrs_family = stage_families(surface, specs_at, beta=beta, lr=lr, start=start,
                                              steps=steps, noise=noise, seed=seed, scrub=scrub,
                                              batch_size=batch_size, budget=budget,
                                              released_only=released_only)
    current = betas_family.runs[betas_family.values.index(float(beta))]
    shown = shown_steps(steps)
    thinned = len(shown) < steps + 1
    pool: list[dict] = []
    index: dict[int, int] = {}

    def ref(run: Run) -> int:
        if id(run) not in index:
            index[id(run)] = len(pool)
            pool.append(_pack(run, shown, thinned, surface.f_min))
        return index[id(run)]

    families = {}
    for name, family in (("beta", betas_family), ("lr", lrs_family)):
        rows = [None if row is None else [ref(run) for run in row] for row in family.runs]
        value = float(beta if name == "beta" else lr)
        families[name] = dict(values=list(family.values), index=family.values.index(value),
                              rows=rows, scrub=name in scrub)
    gaps = [r.loss - surface.f_min if surface.f_min is not None else r.loss for r in current]
    finite = np.concatenate([g[np.isfinite(g)] for g in gaps])
    log = surface.f_min is not None and finite.size > 0 and bool(np.all(finite > 0))
    bounds = view_bounds(surface, start)
    image, colorbar = surface_background(surface, bounds)
    (x0, x1), (y0, y1) = bounds
    noise_rows = None
    if noise and not thinned:
        from momentum_viz.engine import gradient_noise
        noise_rows = _b64(gradient_noise(noise, steps, seed)[:, :, 0], "<f8")
    arrows_for = next((j for j, r in enumerate(current) if r.optimizer != "sgd"), None)
    return dict(
        plotly=plotly_url,
        bounds=[x0, x1, y0, y1],
        axes=["w (slope)", "b (intercept)"] if surface.data is not None else ["x", "y"],
        image=image,
        colorbar=colorbar,
        minima=[list(m) for m in surface.minima],
        start=[float(start[0]), float(start[1])],
        steps=int(steps),
        shown=_b64(shown.astype(np.int32), "<i4"),
        thinned=thinned,
        noise=noise_rows,
        loss=dict(log=log, title=("f − f*  (log scale)" if log else "f − f*")
                  if surface.f_min is not None else "f"),
        runs=[dict(color=c, optimizer=r.optimizer) for r, c in zip(current, run_colors(current),
                                                                   strict=True)],
        arrowsFor=arrows_for,
        pool=pool,
        families=families,
        partial=released_only,
        cloud=cloud,
    )


def cloud_data(many: Sequence[Seeds], shown: np.ndarray, points: int = CLOUD_POINTS) -> dict:
    """The many-seed view of each run (JSON-ready): ``seeds`` N; ``steps``, the steps of the
    faint paths (``shown``, thinned so that all of them hold at most ``points`` points, but
    at least ``FAINT_MIN`` each); per run, ``paths`` every seed's positions at those steps
    (float32, seed-major), ``mean`` the mean path over the seeds at the ``shown`` steps
    (float48; NaN from the first step at which any seed has diverged), ``median``, ``low``
    and ``high`` the loss's median, 10th and 90th percentile over seeds (f − f*, or f without
    a known minimum; float32, +inf where diverged runs reach them), ``diverged``, how many
    seeds diverged, and ``spread``,
    the root-mean-square distance of the seeds' positions from their mean over all steps (the
    browser draws the widest cloud first)."""
    n = len(many[0].seeds)
    room = max(FAINT_MIN, points // (n * len(many)))
    faint = shown if len(shown) <= room else \
        shown[np.unique(np.linspace(0, len(shown) - 1, room).round().astype(np.int64))]
    f_min = many[0].surface.f_min
    runs = []
    for result in many:
        low, median, high = result.loss_quantile(np.array([0.1, 0.5, 0.9]))[:, shown]
        if f_min is not None:
            low, median, high = low - f_min, median - f_min, high - f_min
        runs.append(dict(
            paths=_b64(result.path[:, faint], "<f4"),
            mean=pack_float48(mean_path(result)[shown]),
            median=_b64(median, "<f4"), low=_b64(low, "<f4"), high=_b64(high, "<f4"),
            diverged=int(np.sum(result.diverged_at >= 0)),
            spread=_spread(result.path)))
    return dict(seeds=n, first=int(many[0].seeds[0]), steps=_b64(faint.astype(np.int32), "<i4"),
                count=len(faint), runs=runs)


def _spread(paths: np.ndarray) -> float:
    """RMS distance of the seeds' positions (N, steps+1, 2) from their mean, over the steps at
    which no seed has diverged (0 if there are none)."""
    deviation = paths - paths.mean(axis=0)
    square = np.sum(deviation * deviation, axis=2)
    finite = np.all(np.isfinite(square), axis=0)
    return float(np.sqrt(square[:, finite].mean())) if finite.any() else 0.0


def mean_path(result: Seeds) -> np.ndarray:
    """The mean over seeds of the positions at every step, (steps+1, 2): NaN from the first
    step at which a seed has diverged (the mean of all the paths no longer exists)."""
    return result.path.mean(axis=0)


def cloud_bytes(cloud: dict) -> int:
    """The size of a cloud's packed arrays (base64 characters)."""
    return sum(len(r[k]) for r in cloud["runs"] for k in ("paths", "mean", "median", "low",
                                                           "high")) + len(cloud["steps"])


def stage_worked(surface: Surface, spec: RunSpec, *, start: Point, steps: int,
                 noise: float = 0.0, seed: int = 0, batch_size: int | None = None) -> dict:
    """The run of ``spec`` in the setup (as ``stage_data``'s, at the released β and lr), in
    numbers at every drawn step (``shown_steps``), for the panel "this step, in numbers":
    ``worked_data`` of the run, simulated with ``states=True``."""
    (run,) = simulate_many(surface, [spec], start=start, steps=steps, noise=noise, seed=seed,
                           batch_size=batch_size, states=True)
    return worked_data(run, shown_steps(steps))


def worked_data(run: Run, shown: np.ndarray) -> dict:
    """``run`` (simulated with ``states=True``) at steps ``shown``, in numbers
    (``momentum_viz.worked``), JSON-ready: its ``label``, the names of the numbers a step
    starts from (``given``), its rule's lines in symbols (``rules``), per shown step [the
    given values (None for a name the step does not have), the lines' [substituted numbers,
    "=" or "≈", result], a note or None], and how the numbers are rounded (``rounding``). An
    optimizer without a worked rule has only ``label`` and a sentence saying so
    (``missing``)."""
    label = run_name(run)
    if run.spec.entry.worked is None:
        return dict(label=label, missing=f"{run.spec.entry.label} has no written-out rule to "
                                         "show.")
    steps = worked_steps(run, shown)
    names = list(dict.fromkeys(name for w in steps for name, _ in w.given))
    return dict(
        label=label, given=names, rounding=ROUNDING_NOTE,
        rules=next(([line.rule for line in w.lines] for w in steps if w.lines), []),
        steps=[[[dict(w.given).get(name) for name in names],
                [[line.numbers, "=" if line.exact else "≈", line.result] for line in w.lines],
                w.note] for w in steps])


def _pack(run: Run, shown: np.ndarray, thinned: bool, f_min: float | None) -> dict:
    """One run, packed: its positions at ``shown`` (6-byte floats), f − f* (float32) and, if
    thinned, the step to the next position, the gradient and |v| (float32)."""
    last = last_finite(run)
    rows = shown[shown <= last]
    if rows[-1] != last:
        rows = np.append(rows, last)
    gap = run.loss[rows] - f_min if f_min is not None else run.loss[rows]
    packed = dict(
        opt=run.optimizer, lr=run.lr, beta=run.beta, label=run_name(run),
        name=DISPLAY_NAMES.get(run.optimizer, run.optimizer),
        n=len(rows), last=int(last), diverged=run.diverged_at,
        xy=pack_float48(run.path[rows]), f=_b64(gap, "<f4"),
        gLast=[float(g) for g in run.grad[last]] if np.all(np.isfinite(run.grad[last]))
        else None)
    if thinned or not _derivable(run):
        nxt = np.minimum(rows + 1, last)
        packed.update(
            step=_b64(run.path[nxt] - run.path[rows], "<f4"),
            grad=_b64(run.grad[rows], "<f4"),
            speed=_b64(np.hypot(*run.velocity[rows].T), "<f4"))
        if thinned:
            packed["rows"] = _b64(rows.astype(np.int32), "<i4")
    return packed


DERIVABLE = frozenset({"sgd", "momentum", "nesterov", "ema"})
"""Optimizers whose velocity and gradient the browser recovers from the positions (``stage.js``
inverts their update rule at a constant lr); any other run sends them."""


def _derivable(run: Run) -> bool:
    """Also not with minibatches: the rule inverted gives the minibatch's gradient, not ∇f."""
    return (run.optimizer in DERIVABLE and getattr(run.spec, "schedule", None) is None
            and run.batch_size is None)


def pack_float48(values: np.ndarray) -> str:
    """float64 values, row-major, as base64 of their top 6 bytes (little-endian) with the
    mantissa rounded to nearest: relative error ≤ 2⁻³⁷. ``unpack_float48`` reverses it."""
    bits = np.ascontiguousarray(values, "<f8").view("<u8").ravel()
    finite = np.isfinite(values).ravel()
    rounded = np.where(finite, bits + np.uint64(0x8000), bits)
    six = rounded.view(np.uint8).reshape(-1, 8)[:, 2:]
    return base64.b64encode(six.tobytes()).decode("ascii")


def unpack_float48(text: str) -> np.ndarray:
    """The flat float64 array ``pack_float48`` packed."""
    six = np.frombuffer(base64.b64decode(text), np.uint8).reshape(-1, 6)
    full = np.zeros((len(six), 8), np.uint8)
    full[:, 2:] = six
    return full.view("<f8").ravel()


def _b64(values: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype).tobytes()).decode("ascii")
