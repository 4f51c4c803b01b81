"""Numbers at their extremes: every optimizer on every preset at the largest settings the app
accepts (lr up to 10, β up to 0.999, starts as far as a URL may put them), through the engine
and every figure builder, with RuntimeWarnings turned into errors.

What must hold: a run that diverges says so ("diverged at step k" in ``Run.diverged_at``, the
reading, the legend and a marker on the charts); every coordinate a chart plots is finite (a
NaN or inf would silently vanish from a plotly trace); and no RuntimeWarning escapes to the
server log (the engine uses ``np.errstate`` locally). The property test over random runs (NaN
after ``diverged_at``, finite before) lives in tests/test_simulate.py.
"""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
from plotly_spec import decode

import momentum_viz as mv
from momentum_viz.figures import (
    components_figure,
    damping_figure,
    envelope_figure,
    loss_figure,
    path_figure,
    phase_figure,
    rate_map_figure,
    surface3d_figure,
    tuning_figure,
)
from momentum_viz.report import final_column, metrics_rows, reading
from testkit.apptest import app_pages, no_exception, open_page
from ui.params import (
    BETA_RANGE,
    DOMAIN_LIMIT,
    LR_RANGE,
    MAP_OPTIMIZERS,
    NOISE_MAX,
    ROTATION_RANGE,
    SEED_MAX,
    START_WIDTHS,
    STEPS_RANGE,
    WIDGETS,
    setup_from_query,
)

LRS = (LR_RANGE[0], 0.5, 2.0, LR_RANGE[1])
BETAS = (0.0, 0.9, BETA_RANGE[1])
DRAWN = ((LR_RANGE[0], BETA_RANGE[1]), (0.5, 0.9), (2.0, 0.0), (LR_RANGE[1], BETA_RANGE[1]))
"""The settings whose runs are also drawn (plotly takes ~30 ms a run to build a chart)."""
STEPS = 300
COORDINATES = ("x", "y", "z")


def far_starts(surface: mv.Surface) -> list[tuple[float, float]]:
    """The surface's own start, and the farthest corner a URL may choose (``START_WIDTHS``
    domain widths from the centre)."""
    (x0, x1), (y0, y1) = surface.domain
    reach = START_WIDTHS * max(x1 - x0, y1 - y0)
    cx, cy = surface.center
    return [surface.start, (cx + reach, cy - reach)]


def plotted(spec: dict) -> list[tuple[str, np.ndarray]]:
    """(trace name, values) of every coordinate array drawn: traces and animation frames.
    Heatmap z is a colour, where NaN deliberately means "no cell of this layer"; a legend-only
    trace (x = y = [None]) draws nothing."""
    traces = [*spec["data"], *(t for frame in spec.get("frames", []) for t in frame["data"])]
    out = []
    for trace in traces:
        if trace.get("x") == [None] and trace.get("y") == [None]:
            continue
        for axis in COORDINATES:
            if axis in trace and not (axis == "z" and trace.get("type") == "heatmap"):
                out.append((str(trace.get("name")), decode(trace[axis]).astype(float)))
    return out


def assert_all_finite(figure) -> dict:
    spec = json.loads(figure.to_json())
    for name, values in plotted(spec):
        assert np.all(np.isfinite(values)), f"non-finite coordinates in trace {name!r}"
    return spec


def marker_texts(spec: dict) -> list[str]:
    return [text for t in spec["data"] for text in t.get("text") or [] if isinstance(text, str)]


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("surface_id", mv.SURFACE_IDS)
def test_every_optimizer_at_extreme_settings_reports_divergence_and_plots_finite(surface_id):
    surface = mv.get_surface(surface_id)
    settings = list(itertools.product(LRS, BETAS))
    for start in far_starts(surface):
        for optimizer in mv.OPTIMIZERS:  # the reading and table of every setting
            specs = [mv.RunSpec(optimizer, lr, beta) for lr, beta in settings]
            runs = mv.simulate_many(surface, specs, start=start, steps=STEPS)
            if mv.optimizers.get(optimizer).linear_theory:  # an adaptive step is bounded by ~lr
                assert any(r.diverged_at is not None for r in runs), "lr = 10 diverges"
            check_words(runs)
        specs = [mv.RunSpec(o, lr, beta) for o in mv.OPTIMIZERS for lr, beta in DRAWN]
        check_charts(surface, mv.simulate_many(surface, specs, start=start, steps=STEPS))


def check_words(runs: list[mv.Run]) -> None:
    """The reading names every divergence with its step; the table has it too."""
    clauses = re.split(r"[;.] |\.$", reading(runs))
    for run, row in zip(runs, metrics_rows(runs), strict=True):
        assert row["diverged at"] == run.diverged_at
        assert (row[final_column(runs)] is None) == (run.diverged_at is not None)
        if run.diverged_at is not None:
            assert any(run.label in c and f"diverged at step {run.diverged_at:,}" in c
                       for c in clauses), clauses


def check_charts(surface: mv.Surface, runs: list[mv.Run]) -> None:
    """The Playground's charts of these runs (one chart, labelled with each run's lr) plot
    finite numbers only and mark each divergence in the legend and at the point."""
    paths = assert_all_finite(path_figure(surface, runs, with_lr=True))
    loss = assert_all_finite(loss_figure(runs, with_lr=True))
    assert_all_finite(surface3d_figure(surface, runs, resolution=30))
    for run in (r for r in runs if r.diverged_at is not None):
        words = f"diverged at step {run.diverged_at}"
        for spec in (paths, loss):
            assert f"{run.label} lr={run.lr:g} ({words})" in [t.get("name") for t in spec["data"]]
        assert any(text.endswith(words) for text in marker_texts(paths))
        if np.isfinite(run.loss[0]):  # the loss chart marks the last finite step
            assert words in marker_texts(loss)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("surface_id", mv.SURFACE_IDS)
def test_sweeps_over_the_whole_range_map_finite_cells(surface_id):
    """The Tuning lab's map at its extremes: lr from the smallest to 10, β up to 0.999."""
    surface = mv.get_surface(surface_id)
    lrs, betas = np.logspace(np.log10(LR_RANGE[0]), np.log10(LR_RANGE[1]), 9), \
        np.linspace(0, BETA_RANGE[1], 7)
    for optimizer in MAP_OPTIMIZERS:
        sweep = mv.sweep(surface, optimizer=optimizer, lrs=lrs, betas=betas,
                         start=far_starts(surface)[1], steps=200)
        if mv.optimizers.get(optimizer).linear_theory:  # an adaptive step stays near lr
            assert sweep.diverged[0, -1], "lr = 10 at β = 0 diverges"
        assert np.isnan(sweep.final_loss[sweep.diverged]).all()
        curvature = (mv.theory.curvature(surface, surface.minima[0]) if surface.minima
                     else None)
        for metric in ("steps", "loss"):
            assert_all_finite(tuning_figure(sweep, metric=metric, curvature=curvature,
                                            current=(LR_RANGE[1], BETA_RANGE[1])))


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize(("lr", "beta", "kappa"), [(10.0, 0.999, 1000.0), (2.0, 0.0, 1.0),
                                                   (0.05, 0.999, 50.0), (1e-5, 0.5, 1000.0)])
def test_theory_figures_at_the_extremes(lr, beta, kappa):
    """The "Why momentum works" pictures at the ends of its sliders, diverging runs too."""
    surface = mv.surface.make_surface(f"(x^2 + {kappa:g}y^2)/2", id="q", name="q",
                                      domain=((-3.5, 3.5), (-3.5, 3.5)), start=(2.0, 2.0),
                                      minima=[(0.0, 0.0)])
    lams, basis = (1.0, kappa), np.eye(2)
    run = mv.simulate(surface, optimizer="momentum", lr=lr, beta=beta, steps=STEPS_RANGE[0] * 30)
    rate = float(max(mv.theory.rate(lr, beta, lam) for lam in lams))
    lrs = np.logspace(-5, 1, 40)
    for figure in (rate_map_figure(*lams, lrs=lrs, betas=np.linspace(0, 0.999, 40),
                                   current=(lr, beta)),
                   components_figure(run, basis, lams), phase_figure(run, basis, lams),
                   envelope_figure(run, rate), damping_figure(lr, beta, lams)):
        assert_all_finite(figure)
    if run.diverged_at is not None:
        assert f"diverged at step {run.diverged_at}" in marker_texts(
            json.loads(envelope_figure(run, rate).to_json()))


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_starts_beyond_the_escape_square_diverge_at_step_zero():
    """A start past the escape square (100 domain widths; a widget allows ±1e6) is reported as
    diverged at step 0 and drawn as a single marked point."""
    bowl = mv.get_surface("bowl")
    runs = mv.simulate_many(bowl, [mv.RunSpec(o, 0.1, 0.9) for o in mv.OPTIMIZERS],
                            start=(1e6, -1e6), steps=50)
    assert [r.diverged_at for r in runs] == [0] * len(mv.OPTIMIZERS)
    assert "diverged at step 0" in reading(runs)
    spec = assert_all_finite(path_figure(bowl, runs))
    assert marker_texts(spec).count("diverged at step 0") == len(mv.OPTIMIZERS)


# -- the pages' own inputs ------------------------------------------------------------------------
WIDGET_BOUNDS = {  # key: (lowest allowed minimum, highest allowed maximum), from the issue
    "lr": (1e-12, 10.0), "sgd_lr": (1e-12, 10.0), "lr_log": (-12.0, 1.0),
    "beta": (0.0, 0.999), "steps": (0, 5000), "map_steps": (0, 5000), "map_grid": (1, 200),
    "map_beta": (0.0, 0.999), "noise": (0.0, NOISE_MAX), "seed": (0, SEED_MAX),
    "x0": (-1e6, 1e6), "y0": (-1e6, 1e6), "rotation": ROTATION_RANGE,
    "seeds": (1, 100), "batch_size": (1, 100_000),
    **dict.fromkeys(("xmin", "xmax", "ymin", "ymax"), (-DOMAIN_LIMIT, DOMAIN_LIMIT)),
}


def numeric_widgets(at) -> dict[str, tuple[float, float]]:
    """{key: (min, max)} of every slider on the page, and of every number input as the server
    enforces it (the table's range: the browser gets no bounds, see ``session.draw``)."""
    found = {w.key: (w.proto.min, w.proto.max) for w in at.slider}
    for w in at.number_input:
        assert w.min is None and w.max is None, w.key  # the browser would not apply 1e9
        options = WIDGETS[w.key].options
        found[w.key] = (options["min_value"], options["max_value"])
    return found


@pytest.mark.parametrize("page", app_pages())
def test_every_numeric_widget_is_bounded(page):
    """Each page with every optional control showing (custom formula with its domain, SGD's
    own lr): every number has finite bounds within the issue's; a number typed past them is
    refused with a warning, and the field shows the value in use again."""
    at = open_page(page, surface="custom", sgd_lr="0.01")
    no_exception(at)
    widgets = numeric_widgets(at)
    assert widgets
    for key, (low, high) in widgets.items():
        assert low is not None and high is not None, f"{key} is unbounded"
        assert key in WIDGET_BOUNDS, f"a new numeric widget {key!r}: add its bounds here"
        lowest, highest = WIDGET_BOUNDS[key]
        assert lowest <= low < high <= highest, (key, low, high)
    for field in at.number_input:
        key, (low, high) = field.key, widgets[field.key]
        before = field.value
        for typed in (high + abs(high) + 1, low - abs(low) - 1):
            at.number_input(key=key).set_value(typed).run()
            no_exception(at)
            assert at.number_input(key=key).value == before, key
            assert any(f"{typed:g} refused: it must be between {low:g} and {high:g}. Keeping "
                       f"{before:g}." in w.value for w in at.warning), key


def test_a_start_typed_too_far_away_goes_back_with_a_warning():
    at = open_page()
    far = 10 * START_WIDTHS * 6  # the ravine's domain is 6 wide
    at.number_input(key="x0").set_value(far).run()
    no_exception(at)
    warning = " ".join(w.value for w in at.warning)
    assert f"(x0, y0) = ({far:g}, -1.6)" in warning and "back to its default start" in warning
    assert at.number_input(key="x0").value == mv.get_surface("ravine").start[0]
    assert setup_from_query(at.query_params)[0]["x0"] == -2.5  # the URL's start too
    at.number_input(key="x0").set_value(30.0).run()  # within reach: kept, no warning
    assert at.number_input(key="x0").value == 30.0 and not at.warning
