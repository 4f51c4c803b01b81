"""The Tuning lab's figure: the heatmap layers are the sweep's numbers, the theory's curves lie
where the theory puts them, and every cell's hover (and click) belongs to exactly one layer."""

from __future__ import annotations

import json

import numpy as np
import pytest
from plotly_spec import decode

import momentum_viz as mv
from momentum_viz.figures import metric_values, tuning_figure
from momentum_viz.figures.theory_plots import cell_edges, log_ticks, theory_curves
from momentum_viz.figures.tuning import LOSS_FLOOR


def spec(fig) -> dict:
    return json.loads(fig.to_json())


def named(figure: dict, name: str, kind: str | None = None) -> list[dict]:
    return [t for t in figure["data"] if t.get("name") == name and kind in (None, t["type"])]


def starting(figure: dict, prefix: str) -> dict:
    return next(t for t in figure["data"] if str(t.get("name", "")).startswith(prefix))


@pytest.fixture(scope="module")
def ravine_sweep() -> mv.Sweep:
    surface = mv.get_surface("ravine")
    return mv.sweep(surface, optimizer="momentum", lrs=np.logspace(-3.5, -0.8, 24),
                    betas=np.linspace(0, 0.99, 18), steps=300)


@pytest.fixture(scope="module")
def ravine_curvature() -> mv.theory.Curvature:
    return mv.theory.curvature(mv.get_surface("ravine"), (0.0, 0.0))


def test_cell_edges_put_every_centre_in_the_middle_of_its_cell():
    lrs = np.logspace(-4, -1, 7)
    edges = cell_edges(lrs, log=True)
    assert len(edges) == 8
    np.testing.assert_allclose(np.sqrt(edges[:-1] * edges[1:]), lrs, rtol=1e-12)
    betas = np.linspace(0, 0.99, 5)
    np.testing.assert_allclose((cell_edges(betas)[:-1] + cell_edges(betas)[1:]) / 2, betas)
    np.testing.assert_allclose(cell_edges(np.array([0.5])), [0.0, 1.0])


def test_log_ticks_are_round_numbers_inside_the_range():
    assert log_ticks(0.0004, 0.16) == pytest.approx(
        [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1])
    wide = log_ticks(1e-7, 1.0)
    assert wide == pytest.approx([1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0])


def test_heatmap_layers_are_the_sweep(ravine_sweep, ravine_curvature):
    figure = spec(tuning_figure(ravine_sweep, curvature=ravine_curvature))
    (steps,) = named(figure, "steps")
    expected = np.where(ravine_sweep.steps_to_converge >= 0, ravine_sweep.steps_to_converge,
                        np.nan)
    np.testing.assert_array_equal(decode(steps["z"]), expected)
    np.testing.assert_allclose(decode(steps["x"]), cell_edges(ravine_sweep.lrs, log=True))
    (diverged,) = named(figure, "diverged", "heatmap")
    np.testing.assert_array_equal(np.isfinite(decode(diverged["z"])), ravine_sweep.diverged)
    (stalled,) = named(figure, "not converged", "heatmap")
    never = ~ravine_sweep.diverged & (ravine_sweep.steps_to_converge < 0)
    assert never.any() and ravine_sweep.diverged.any()
    np.testing.assert_array_equal(np.isfinite(decode(stalled["z"])), never)
    swatches = [t["name"] for t in figure["data"] if t.get("marker", {}).get("symbol") == "square"]
    assert swatches == ["diverged", "not converged in 300 steps"]
    assert diverged["colorscale"][0][1] != stalled["colorscale"][0][1]


def test_final_loss_metric(ravine_sweep):
    figure = spec(tuning_figure(ravine_sweep, metric="loss"))
    (loss,) = named(figure, "loss")
    gap = ravine_sweep.final_loss - ravine_sweep.surface.f_min
    with np.errstate(invalid="ignore"):
        expected = np.log10(np.maximum(gap, LOSS_FLOOR))
    np.testing.assert_array_equal(decode(loss["z"]), expected)
    assert np.isnan(decode(loss["z"])[ravine_sweep.diverged]).all()
    assert not [t for t in figure["data"] if t.get("name") == "not converged"]


def test_final_loss_without_a_known_minimum_is_f_itself():
    saddle = mv.get_surface("saddle")
    sweep = mv.sweep(saddle, optimizer="momentum", lrs=[1e-4, 1e-3], betas=[0.0, 0.5], steps=20)
    np.testing.assert_array_equal(metric_values(sweep, "loss"), sweep.final_loss)


def test_best_and_current_are_marked(ravine_sweep):
    figure = spec(tuning_figure(ravine_sweep, current=(0.038, 0.6)))
    best = ravine_sweep.best()
    star = starting(figure, "fastest cell")
    assert (star["x"][0], star["y"][0]) == (best.lr, best.beta)
    steps = ravine_sweep.steps_to_converge[list(ravine_sweep.betas).index(best.beta),
                                           list(ravine_sweep.lrs).index(best.lr)]
    assert star["name"] == f"fastest cell: {steps} steps"
    mine = starting(figure, "your lr, β")
    assert (mine["x"][0], mine["y"][0]) == (0.038, 0.6)


def test_each_cell_hovers_in_exactly_one_layer_with_its_numbers(ravine_sweep):
    figure = spec(tuning_figure(ravine_sweep))
    (steps,) = named(figure, "steps", "heatmap")
    (stalled,) = named(figure, "not converged", "heatmap")
    (diverged,) = named(figure, "diverged", "heatmap")
    layers = (steps, stalled, diverged)
    assert all(t["hoverongaps"] is False for t in layers)  # a gap leaves the cell to the others
    shown = np.stack([np.isfinite(decode(t["z"])) for t in layers])
    np.testing.assert_array_equal(shown.sum(axis=0), 1)  # one layer per cell, none twice
    # the cells the click reads back (plotly reports a heatmap click as row and column)
    assert steps["meta"] == {"lrs": list(ravine_sweep.lrs), "betas": list(ravine_sweep.betas)}
    assert "converged in %{z} steps" in steps["hovertemplate"]
    assert "not converged in 300 steps" in stalled["hovertemplate"]
    assert "diverged" in diverged["hovertemplate"]
    converged = ravine_sweep.steps_to_converge >= 0
    np.testing.assert_array_equal(decode(steps["z"])[converged],
                                  ravine_sweep.steps_to_converge[converged])
    gap = ravine_sweep.final_loss - ravine_sweep.surface.f_min  # f* = 0: f itself
    for t in (steps, stalled):
        np.testing.assert_array_equal(decode(t["customdata"]), gap)


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "ema"])
def test_curves_satisfy_the_theory(optimizer):
    lam_min, lam_max = 2.0, 18.0
    traces = {t["name"]: t for t in theory_curves(lam_min, lam_max, np.linspace(0, 0.99, 9),
                                                  optimizer) if t.get("showlegend") is not False}
    limit = traces["stability limit, λmax = 18"]
    lr, beta = np.asarray(limit["x"]), np.asarray(limit["y"])
    step = {"momentum": lr * lam_max, "ema": lr * (1 - beta) * lam_max,
            "nesterov": lr * lam_max * (1 + 2 * beta)}[optimizer]
    np.testing.assert_allclose(step, 2 * (1 + beta), rtol=1e-12)
    np.testing.assert_allclose(mv.theory.rate(lr, beta, lam_max, optimizer), 1.0, atol=1e-9)
    for name, lam in (("critical damping, λmax = 18", lam_max),
                      ("critical damping, λmin = 2", lam_min)):
        lr, beta = np.asarray(traces[name]["x"]), np.asarray(traces[name]["y"])
        z1, z2 = mv.theory.roots(lr, beta, lam, optimizer)
        assert np.all(np.abs(z1 - z2) < 1e-6), name  # a double root: critical damping
    if optimizer == "momentum":
        lr, beta = np.asarray(traces["critical damping, λmin = 2"]["x"]), \
            np.asarray(traces["critical damping, λmin = 2"]["y"])
        np.testing.assert_allclose(beta, (1 - np.sqrt(lr * lam_min)) ** 2, atol=1e-12)


def test_curves_only_for_positive_eigenvalues():
    names = [t["name"] for t in theory_curves(-2.0, 2.0, np.linspace(0, 0.9, 3)) if "name" in t]
    assert names == ["stability limit, λmax = 2", "critical damping, λmax = 2"]
    assert theory_curves(-2.0, -1.0, np.linspace(0, 0.9, 3)) == []


def test_local_approximation_is_labelled():
    rosenbrock = mv.get_surface("rosenbrock")
    curvature = mv.theory.curvature(rosenbrock, (1.0, 1.0))
    sweep = mv.sweep(rosenbrock, optimizer="momentum", lrs=np.logspace(-4, -2, 5),
                     betas=np.linspace(0, 0.9, 4), steps=10)
    local = spec(tuning_figure(sweep, curvature=curvature))
    assert local["layout"]["legend"]["title"]["text"] == "curves: local approximation"
    exact = spec(tuning_figure(sweep, curvature=mv.theory.Curvature((1, 1), 1.0, 2.0, True)))
    assert "title" not in exact["layout"]["legend"]
