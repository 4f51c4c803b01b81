"""loss_figure (axis type, traces, converged/diverged markers, tolerance) and surface3d_figure."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from plotly_spec import decode, trace

import momentum_viz as mv
from momentum_viz.figures import loss_figure, surface3d_figure
from momentum_viz.figures.curves import LIFT

CAMEL_F_MIN = -1.031628453  # the six-hump camel's global minimum value (literature)


def spec(fig) -> dict:
    return json.loads(fig.to_json())


def markers(figure: dict, prefix: str) -> list[dict]:
    return [t for t in figure["data"] if str((t.get("text") or [""])[0]).startswith(prefix)]


def y_title(figure: dict) -> str:
    return figure["layout"]["yaxis"]["title"]["text"]


@pytest.fixture(scope="module")
def diverging_bowl() -> mv.Run:
    """sgd with lr 1.5 on x² + y² doubles |θ| each step: from (1, 0.5) it leaves the escape
    square at θ_10 = (1024, 512), where f = 1024² + 512²."""
    run = mv.simulate(mv.get_surface("bowl"), optimizer="sgd", lr=1.5, start=(1.0, 0.5),
                      steps=30)
    assert run.diverged_at == 10
    return run


def test_log_axis_of_the_gap_to_a_known_minimum():
    camel = mv.get_surface("six_hump_camel")
    assert camel.f_min == pytest.approx(CAMEL_F_MIN, abs=1e-9)
    runs = mv.simulate_many(camel, [mv.RunSpec("momentum", 0.01, 0.8), mv.RunSpec("sgd", 0.01)],
                            steps=150)  # both settle in a local minimum above f*
    figure = spec(loss_figure(runs))
    assert figure["layout"]["yaxis"]["type"] == "log" and "f*" in y_title(figure)
    for run in runs:
        line = trace(figure, run.label)
        np.testing.assert_array_equal(decode(line["x"]), np.arange(151))
        np.testing.assert_allclose(decode(line["y"]), run.loss - CAMEL_F_MIN, rtol=1e-8)
        assert np.all(decode(line["y"]) > 0)
    assert len([t for t in figure["data"] if t["mode"] == "lines"]) == 2


def test_linear_axis_without_a_known_minimum():
    saddle = mv.get_surface("saddle")
    run = mv.simulate(saddle, optimizer="momentum", lr=0.05, beta=0.8, steps=20)
    figure = spec(loss_figure([run]))
    assert figure["layout"]["yaxis"]["type"] == "linear" and y_title(figure) == "f"
    np.testing.assert_array_equal(decode(trace(figure, run.label)["y"]), run.loss)
    assert not figure["layout"].get("shapes")  # no tolerance line without a minimum


def test_linear_axis_when_a_gap_is_not_positive():
    bowl = mv.get_surface("bowl")
    run = mv.simulate(bowl, optimizer="momentum", lr=0.05, beta=0.8, start=(0.0, 0.0), steps=5)
    figure = spec(loss_figure([run]))
    assert figure["layout"]["yaxis"]["type"] == "linear"
    np.testing.assert_array_equal(decode(trace(figure, run.label)["y"]), np.zeros(6))


def test_a_linear_axis_plots_what_its_title_says():
    """A run that reaches the six-hump camel's global minimum exactly has a gap of 0, so the
    axis is linear: the plotted values must be the quantity named in the axis title."""
    camel = mv.get_surface("six_hump_camel")
    run = mv.simulate(camel, optimizer="momentum", lr=0.01, beta=0.8, start=(0.5, -0.2),
                      steps=300)
    assert run.loss[-1] - camel.f_min == 0
    figure = spec(loss_figure([run]))
    assert figure["layout"]["yaxis"]["type"] == "linear"
    title, plotted = y_title(figure), decode(trace(figure, run.label)["y"])
    if "f*" in title:
        np.testing.assert_allclose(plotted, run.loss - CAMEL_F_MIN, rtol=1e-8, atol=1e-8)
    else:
        assert title == "f"
        np.testing.assert_allclose(plotted, run.loss, rtol=1e-12)  # f itself, about −1.03


@pytest.mark.parametrize("tol", [1e-6, 1e-3])
def test_converged_marker_at_the_first_step_that_stays_within_tolerance(tol):
    ravine = mv.get_surface("ravine")
    run = mv.simulate(ravine, optimizer="momentum", lr=0.038, beta=0.6, steps=200)
    gap = run.loss - 0.0  # the ravine's minimum is f(0, 0) = 0
    k = int(np.flatnonzero(gap > tol)[-1]) + 1
    assert 0 < k < 200
    figure = spec(loss_figure([run], tol=tol))
    (marker,) = markers(figure, "converged at step")
    assert marker["text"] == [f"converged at step {k}"]
    assert marker["x"] == [k] and marker["y"] == [pytest.approx(gap[k], rel=1e-12)]
    assert gap[k] <= tol < gap[k - 1]


def test_diverged_marker_at_the_last_finite_step(diverging_bowl):
    figure = spec(loss_figure([diverging_bowl]))
    line = trace(figure, "SGD")
    assert line["name"] == "SGD (diverged at step 10)"
    np.testing.assert_array_equal(decode(line["x"]), np.arange(11))  # NaN rows are not drawn
    (marker,) = markers(figure, "diverged at step")
    assert marker["text"] == ["diverged at step 10"]
    assert marker["x"] == [10] and marker["y"] == [1024.0**2 + 512.0**2]
    assert not markers(figure, "converged")


def label_boxes(layout: dict, plot_width: float, plot_height: float) -> list[tuple]:
    """(left, top, right, bottom) in pixels from the plot's top-left corner of every marker
    label, estimated from its text: 0.6 em per character, 1.3 em per line."""
    boxes = []
    for note in layout["annotations"]:
        if "step" not in note["text"]:
            continue
        size = note["font"]["size"]
        width, height = 0.6 * size * len(note["text"]), 1.3 * size
        assert (note["xref"], note["yref"], note["x"], note["y"]) == ("x domain", "y domain", 1, 1)
        assert (note["xanchor"], note["yanchor"]) == ("right", "top")
        top = -note.get("yshift", 0)
        boxes.append((plot_width - width, top, plot_width, top + height))
    return boxes


def test_four_runs_labels_neither_overlap_nor_leave_the_plot(diverging_bowl):
    """Four runs, two converging at nearly the same step and two diverging at steps 2 and 10:
    each label names its run and stays whole inside a 600 × 250 px plot (the chart is 360 px
    high), none covering another."""
    bowl = mv.get_surface("bowl")
    runs = [diverging_bowl,
            mv.simulate(bowl, optimizer="momentum", lr=20.0, beta=0.5, start=(1.0, 0.5), steps=30),
            *mv.simulate_many(bowl, [mv.RunSpec("momentum", 0.3, 0.1),
                                     mv.RunSpec("nesterov", 0.3, 0.1)], start=(1.0, 0.5),
                              steps=30)]
    assert runs[1].diverged_at == 2 and all(r.diverged_at is None for r in runs[2:])
    figure = spec(loss_figure(runs))
    boxes = label_boxes(figure["layout"], 600, 250)
    texts = [a["text"] for a in figure["layout"]["annotations"] if "step" in a["text"]]
    assert texts[:2] == [f"{runs[0].label} (diverged at step 10)",
                         f"{runs[1].label} (diverged at step 2)"]
    assert all("converged at step" in t for t in texts[2:]) and len(texts) == 4
    for i, (left, top, right, bottom) in enumerate(boxes):
        assert min(left, top) >= 0 and right <= 600 and bottom <= 250, texts[i]
        for other in boxes[i + 1:]:
            assert right <= other[0] or other[2] <= left or bottom <= other[1] \
                or other[3] <= top, (texts[i], other)
    assert len(markers(figure, "diverged at step")) == 2  # ✕ at each divergence still


@pytest.mark.parametrize("tol", [1e-6, 1e-3])
def test_tolerance_line_and_its_label(tol):
    ravine = mv.get_surface("ravine")
    run = mv.simulate(ravine, optimizer="momentum", lr=0.038, beta=0.6, steps=200)
    layout = spec(loss_figure([run], tol=tol))["layout"]
    assert layout["yaxis"]["type"] == "log"
    (line,) = layout["shapes"]  # shapes take data values on a log axis
    assert line["type"] == "line" and line["line"]["dash"] == "dash"
    assert line["y0"] == line["y1"] == tol
    assert line["xref"] == "x domain" and (line["x0"], line["x1"]) == (0, 1)
    (label,) = [a for a in layout["annotations"] if f"tolerance {tol:g}" in a["text"]]
    if label.get("yref", "y") == "y":  # annotations take log10 of the value on a log axis
        assert label["y"] == pytest.approx(math.log10(tol))
    else:
        assert label["yref"] == "y domain" and 0 <= label["y"] <= 1


def test_surface3d_draws_the_surface_and_each_path_on_it(diverging_bowl):
    bowl = mv.get_surface("bowl")
    converging = mv.simulate(bowl, optimizer="momentum", lr=0.05, beta=0.8, steps=80)
    runs = [converging, diverging_bowl]
    figure = spec(surface3d_figure(bowl, runs, resolution=40))
    (surface,) = [t for t in figure["data"] if t["type"] == "surface"]
    xs = np.sort(np.append(np.linspace(-3, 3, 40), 0.0))  # through the minimum (0, 0)
    np.testing.assert_allclose(decode(surface["x"]), xs)
    np.testing.assert_allclose(decode(surface["y"]), xs)
    zaxis = figure["layout"]["scene"]["zaxis"]
    assert zaxis["title"]["text"] == "f"  # f spans < 1 decade
    assert zaxis["ticktext"] == ["5", "10", "15"] and list(decode(zaxis["tickvals"])) == [5, 10, 15]
    z = decode(surface["z"])
    np.testing.assert_allclose(z, xs[None, :] ** 2 + xs[:, None] ** 2, rtol=1e-12)
    assert z.min() == 0.0  # the minimum itself, no spike beside it
    lift = LIFT * 18
    paths = [t for t in figure["data"] if t["type"] == "scatter3d"]
    assert [t["name"] for t in paths] == ["Momentum β=0.8", "SGD (diverged at step 10)"]
    for path, run, rows in zip(paths, runs, (81, 11), strict=True):
        np.testing.assert_array_equal(decode(path["x"]), run.path[:rows, 0])
        np.testing.assert_array_equal(decode(path["y"]), run.path[:rows, 1])
        np.testing.assert_allclose(decode(path["z"]), run.loss[:rows] + lift, rtol=1e-12)
    for t in figure["data"]:
        for axis in ("x", "y", "z"):
            assert np.all(np.isfinite(decode(t[axis]))), (t.get("name"), axis)


def test_surface3d_log_heights_keep_the_order_of_f_and_long_paths_are_thinned():
    ravine = mv.get_surface("ravine")  # f from 0 to 450: heights are log-scaled
    run = mv.simulate(ravine, optimizer="sgd", lr=0.01, steps=1000)
    figure = spec(surface3d_figure(ravine, [run], max_points=100))
    zaxis = figure["layout"]["scene"]["zaxis"]
    assert zaxis["title"]["text"] == "f (log scale)"
    assert all(float(t) == float(f"{float(t):.1g}") for t in zaxis["ticktext"])
    (path,) = [t for t in figure["data"] if t["type"] == "scatter3d"]
    x, z = decode(path["x"]), decode(path["z"])
    assert len(x) == 100 and x[0] == run.path[0, 0] and x[-1] == run.path[-1, 0]
    rows = [int(np.flatnonzero(run.path[:, 0] == value)[0]) for value in x]
    assert rows == sorted(rows)
    assert np.all(np.isfinite(z))
    # a higher loss is never drawn lower (values below the grid's lowest sit at the bottom)
    by_loss = z[np.argsort(run.loss[rows])]
    assert np.all(np.diff(by_loss) >= 0) and by_loss[-1] > by_loss[0]


def test_a_chart_with_nothing_finite_says_so():
    """log(x² + y²) is −∞ at the origin: a run started there has no loss to draw."""
    surface = mv.surface_from_formula("log(x^2 + y^2)")
    run = mv.simulate(surface, optimizer="momentum", lr=0.1, start=(0.0, 0.0), steps=10)
    (note,) = spec(loss_figure([run]))["layout"]["annotations"]
    assert "no finite value" in note["text"]
    ravine = mv.simulate(mv.get_surface("ravine"), optimizer="sgd", lr=0.01, steps=20)
    texts = [a["text"] for a in spec(loss_figure([ravine]))["layout"]["annotations"]]
    assert texts == ["- - - tolerance 1e-06"]
