"""path_figure: paths, markers, the PNG surface, animation frames and controls."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly_spec import decode, trace, xy
from test_figures_raster import TOP, WHITE, decode_png

import momentum_viz as mv
from momentum_viz.figures import path_figure, surface_background

LR_DIVERGES = 1.5  # sgd on x² + y²: θ ← θ − 3θ = −2θ, so θ_k = (−2)^k θ_0 exactly
START = (1.0, 0.5)


def spec(fig) -> dict:
    return json.loads(fig.to_json())


def frame_balls(frame: dict) -> np.ndarray:
    """(runs, 2) ball positions of one animation frame."""
    return np.column_stack([frame["data"][0]["x"], frame["data"][0]["y"]])


@pytest.fixture(scope="module")
def bowl_runs() -> list[mv.Run]:
    """Momentum converging, and sgd leaving the escape square (half-width 600) at step 10,
    where θ_10 = (1024, 512)."""
    specs = [mv.RunSpec("momentum", 0.1, 0.8), mv.RunSpec("sgd", LR_DIVERGES)]
    runs = mv.simulate_many(mv.get_surface("bowl"), specs, start=START, steps=40)
    assert [r.diverged_at for r in runs] == [None, 10]
    return runs


@pytest.fixture(scope="module")
def bowl_spec(bowl_runs) -> dict:
    return spec(path_figure(mv.get_surface("bowl"), bowl_runs))


def test_one_path_trace_per_run_with_its_whole_path(bowl_runs, bowl_spec):
    momentum, sgd = bowl_runs
    np.testing.assert_array_equal(xy(trace(bowl_spec, "Momentum β=0.8")), momentum.path)
    diverged = trace(bowl_spec, "SGD")
    assert diverged["name"] == "SGD (diverged at step 10)"
    # drawn up to its last position on the map (±3): θ_1 = (−2, −1); θ_2 = (4, 2) is off it
    np.testing.assert_array_equal(xy(diverged), [START, (-2.0, -1.0)])
    np.testing.assert_array_equal(xy(diverged), sgd.path[:2])
    lines = [t for t in bowl_spec["data"] if t.get("mode", "").startswith("lines")
             and t.get("name") not in ("−∇f (downhill)", "velocity of Momentum β=0.8")]
    assert len(lines) == 2
    named = spec(path_figure(mv.get_surface("bowl"), bowl_runs, with_lr=True))
    assert trace(named, "SGD")["name"] == "SGD lr=1.5 (diverged at step 10)"


def test_diverged_run_is_marked_where_it_left(bowl_spec):
    marks = [t for t in bowl_spec["data"]
             if t.get("text") == ["left the map after step 1,<br>diverged at step 10"]]
    assert len(marks) == 1
    np.testing.assert_array_equal(xy(marks[0]), [(-2.0, -1.0)])


def test_start_and_minima_markers():
    surface = mv.get_surface("himmelblau")
    run = mv.simulate(surface, optimizer="momentum", lr=0.005, beta=0.8, steps=20,
                      start=(0.5, -1.0))
    figure = spec(path_figure(surface, [run]))
    np.testing.assert_array_equal(xy(trace(figure, "start")), [(0.5, -1.0)])
    known = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    minima = xy(trace(figure, "minima"))
    np.testing.assert_allclose(sorted(map(tuple, minima)), sorted(known), atol=1e-5)
    saddle = mv.get_surface("saddle")
    run = mv.simulate(saddle, optimizer="sgd", lr=0.05, steps=5)
    names = [t.get("name") for t in spec(path_figure(saddle, [run]))["data"]]
    assert "minima" not in names and "start" in names


def test_the_surface_is_a_png_image_below_the_paths(bowl_spec):
    (image,) = bowl_spec["layout"]["images"]
    assert (image["xref"], image["yref"], image["layer"]) == ("x", "y", "below")
    assert (image["x"], image["y"], image["sizex"], image["sizey"]) == (-3, 3, 6, 6)
    pixels = decode_png(image["source"])
    assert pixels.shape == (480, 480, 3)
    np.testing.assert_array_equal(pixels[240, 240], WHITE)  # the bottom of the bowl: lowest
    np.testing.assert_array_equal(pixels[0, 0], TOP)  # a corner: highest
    assert not any(t["type"] in ("contour", "heatmap") for t in bowl_spec["data"])
    camel = mv.get_surface("six_hump_camel")  # 5 wide, 3 high
    run = mv.simulate(camel, optimizer="sgd", lr=0.01, steps=3)
    (image,) = spec(path_figure(camel, [run]))["layout"]["images"]
    assert decode_png(image["source"]).shape == (288, 480, 3)
    assert (image["x"], image["y"], image["sizex"], image["sizey"]) == (-2.5, 1.5, 5, 3)


def test_background_rows_run_from_the_top_and_the_colour_bar_spans_f():
    plane = mv.surface_from_formula("x + 2y")  # from −9 at (−3, −3) to 9 at (3, 3)
    image, colorbar = surface_background(plane)
    pixels = decode_png(image["source"])
    np.testing.assert_array_equal(pixels[0, -1], TOP)  # top right
    np.testing.assert_array_equal(pixels[-1, 0], WHITE)  # bottom left
    assert tuple(pixels[0, 0]) not in (WHITE, TOP)
    assert (colorbar["marker"]["cmin"], colorbar["marker"]["cmax"]) == pytest.approx((-9, 9))
    assert colorbar["marker"]["colorbar"]["ticktext"] == ["-5", "0", "5"]  # round values


def test_a_start_outside_the_domain_widens_the_view():
    bowl = mv.get_surface("bowl")
    run = mv.simulate(bowl, optimizer="sgd", lr=0.1, start=(5.0, -4.0), steps=5)
    figure = spec(path_figure(bowl, [run]))
    pad = 0.05 * 6  # 5 % of the domain's width beyond the start
    np.testing.assert_allclose(figure["layout"]["xaxis"]["range"], [-3, 5 + pad])
    np.testing.assert_allclose(figure["layout"]["yaxis"]["range"], [-4 - pad, 3])
    (image,) = figure["layout"]["images"]
    np.testing.assert_allclose([image["sizex"], image["sizey"]], [8 + pad, 7 + pad])


def test_frames_move_one_ball_per_run_along_its_path(bowl_runs, bowl_spec):
    frames = bowl_spec["frames"]
    assert [f["name"] for f in frames] == [str(k) for k in range(41)]  # every step of 40
    moving = frames[0]["traces"]
    assert bowl_spec["data"][moving[0]]["name"] == "position"
    momentum, sgd = bowl_runs
    for k, frame in enumerate(frames):
        assert frame["traces"] == moving
        # the diverged run's ball stops at its last position on the map
        np.testing.assert_array_equal(frame_balls(frame),
                                      [momentum.path[k], sgd.path[min(k, 1)]])


@pytest.mark.parametrize(("max_frames", "count"), [(None, 150), (20, 20)])
def test_long_runs_are_sampled_evenly(max_frames, count):
    surface = mv.get_surface("ravine")
    run = mv.simulate(surface, optimizer="momentum", lr=0.038, beta=0.6, steps=1000)
    options = {} if max_frames is None else {"max_frames": max_frames}
    frames = spec(path_figure(surface, [run], **options))["frames"]
    steps = [int(f["name"]) for f in frames]
    assert len(steps) == count and steps[0] == 0 and steps[-1] == 1000
    gaps = np.diff(steps)
    assert gaps.min() >= np.floor(1000 / (count - 1)) and gaps.max() <= np.ceil(1000 / (count - 1))
    for k, frame in zip(steps, frames, strict=True):
        np.testing.assert_array_equal(frame_balls(frame), [run.path[k]])


def test_play_pause_and_step_slider(bowl_spec):
    layout = bowl_spec["layout"]
    (menu,) = layout["updatemenus"]
    play, pause = menu["buttons"]
    assert "Play" in play["label"] and pause["label"] == "Pause"
    assert play["method"] == pause["method"] == "animate"
    assert play["args"][0] is None  # all frames, in order
    assert pause["args"][0] == [None]  # stops the animation
    assert play["args"][1]["frame"]["redraw"] is False
    (slider,) = layout["sliders"]
    names = [f["name"] for f in bowl_spec["frames"]]
    targets = [s["args"][0][0] for s in slider["steps"]]
    assert set(targets) <= set(names) and targets[0] == "0" and targets[-1] == names[-1]
    assert [s["label"] for s in slider["steps"]] == targets
    assert all(s["method"] == "animate" for s in slider["steps"])
    assert slider["currentvalue"]["prefix"] == "step "


def test_arrows_show_downhill_and_velocity_at_the_ball(bowl_runs, bowl_spec):
    """Drawn for the first run that is not sgd: −∇f at θ_k and −v_{k+1} (the next move),
    the longer one 12 % of the view's width long."""
    momentum = bowl_runs[0]
    for k in (0, 5, 17):
        frame = bowl_spec["frames"][k]
        downhill, velocity = (np.column_stack([t["x"], t["y"]]) for t in frame["data"][1:])
        for arrow, direction in ((downhill, -momentum.grad[k]),
                                 (velocity, -momentum.velocity[k + 1])):
            np.testing.assert_array_equal(arrow[0], momentum.path[k])
            vector = arrow[1] - arrow[0]
            cross = vector[0] * direction[1] - vector[1] * direction[0]
            assert abs(cross) <= 1e-9 * np.hypot(*vector) * np.hypot(*direction)
            assert vector @ direction > 0
        lengths = [np.hypot(*(a[1] - a[0])) for a in (downhill, velocity)]
        assert max(lengths) == pytest.approx(0.12 * 6)


def plotted(figure: dict) -> list[tuple[str, np.ndarray]]:
    """Every coordinate array of the traces and frames (the colour-bar holder draws none)."""
    traces = [*figure["data"], *(t for f in figure["frames"] for t in f["data"])]
    return [(str(t.get("name")), decode(t[axis])) for t in traces for axis in ("x", "y")
            if t.get("x") != [None]]


def test_json_round_trip_with_finite_coordinates_only(bowl_runs):
    figure = path_figure(mv.get_surface("bowl"), bowl_runs)
    text = figure.to_json()
    assert "NaN" not in text and "Infinity" not in text
    as_dict = json.loads(text)
    assert len(as_dict["frames"]) == 41 and "sliders" in as_dict["layout"]
    for name, values in plotted(as_dict):
        assert np.all(np.isfinite(values)), name
    go.Figure(as_dict)  # the frames and controls kept as plain dicts are valid plotly


def test_a_run_undefined_at_its_start_is_drawn_as_a_marked_start():
    """log(x² + y²) is −inf at the origin: a run started there diverges at step 0 and should
    be drawn like any other run that diverged at once."""
    surface = mv.surface_from_formula("log(x^2 + y^2)")
    run = mv.simulate(surface, optimizer="momentum", lr=0.1, beta=0.9, start=(0.0, 0.0),
                      steps=10)
    assert run.diverged_at == 0
    figure = spec(path_figure(surface, [run]))
    texts = [text for t in figure["data"] for text in t.get("text") or []]
    assert "diverged at step 0" in texts
    for name, values in plotted(figure):
        assert np.all(np.isfinite(values)), name


@pytest.mark.parametrize("surface_id", mv.SURFACE_IDS)
def test_colour_bar_ticks_are_round_values_of_f_at_their_heights(surface_id):
    surface = mv.get_surface(surface_id)
    _, colorbar = surface_background(surface)
    bar = colorbar["marker"]["colorbar"]
    labels, heights = bar["ticktext"], np.asarray(bar["tickvals"], dtype=float)
    assert len(labels) >= 3 and list(heights) == sorted(heights)
    for label in labels:
        value = float(label)
        assert value == float(f"{value:.2g}") and label == f"{value:g}" and label != "-0"
    lo, hi = colorbar["marker"]["cmin"], colorbar["marker"]["cmax"]
    assert np.all((heights >= lo) & (heights <= hi))
