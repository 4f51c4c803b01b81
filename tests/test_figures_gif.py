"""animation_gif: decoded with Pillow, frame by frame: count, size, timing, moving balls,
divergence, bounds and the file size for 300 steps."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import momentum_viz as mv
from momentum_viz.figures.gif import (
    BALL_DARKEN,
    HOLD_SECONDS,
    MapLayout,
    _ascii,
    animation_gif,
    ball_rgb,
)
from momentum_viz.figures.style import run_colors

BOWL = mv.get_surface("bowl")
LR_DIVERGES = 1.5  # sgd on x² + y²: θ_k = (−2)^k θ_0, out of the view at step 2, diverged at 10


def decode(data: bytes) -> list[np.ndarray]:
    """Every frame of a GIF as it is shown: (height, width, 3) RGB."""
    image = Image.open(io.BytesIO(data))
    frames = []
    for k in range(image.n_frames):
        image.seek(k)
        frames.append(np.asarray(image.convert("RGB")))
    return frames


def durations(data: bytes) -> list[int]:
    image = Image.open(io.BytesIO(data))
    out = []
    for k in range(image.n_frames):
        image.seek(k)
        out.append(image.info["duration"])
    return out


def centroid(frame: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray | None:
    """Mean (x, y) pixel of the pixels of exactly this colour, or None if there are none."""
    ys, xs = np.nonzero(np.all(frame == np.array(rgb, np.uint8), axis=-1))
    return np.array([xs.mean(), ys.mean()]) if len(xs) else None


def ball_centroid(frame: np.ndarray, layout: MapLayout, color: str) -> np.ndarray:
    """The ball of the run drawn in ``color``: its colour off the legend (which has a ball of
    each colour too)."""
    left, top, right, bottom = layout.panel
    inside = frame.copy()
    inside[top:bottom, left:right] = 255
    found = centroid(inside, ball_rgb(color))
    assert found is not None, f"no ball of colour {color} on the map"
    return found


@pytest.fixture(scope="module")
def bowl_runs() -> list[mv.Run]:
    specs = [mv.RunSpec("sgd", 0.05), mv.RunSpec("momentum", 0.05, 0.8)]
    return mv.simulate_many(BOWL, specs, steps=40)


@pytest.fixture(scope="module")
def bowl_gif(bowl_runs) -> bytes:
    return animation_gif(BOWL, bowl_runs, fps=20)


def test_one_frame_per_step_at_the_requested_size_and_rate(bowl_gif):
    image = Image.open(io.BytesIO(bowl_gif))
    assert image.format == "GIF" and image.size == (640, 480)
    assert image.n_frames == 41  # steps 0 … 40
    assert image.info["loop"] == 0  # forever
    # the first frame is whole: no pixel of it is the "unchanged" (transparent) index
    assert image.info["transparency"] == 255 and not np.any(np.asarray(image) == 255)
    assert durations(bowl_gif) == [50] * 40 + [50 + round(1000 * HOLD_SECONDS)]
    assert {frame.shape for frame in decode(bowl_gif)} == {(480, 640, 3)}


@pytest.mark.parametrize("size", [(640, 480), (480, 800), (160, 160), (1920, 1080)])
def test_the_map_keeps_equal_scales_and_the_whole_domain_beside_the_legend(bowl_runs, size):
    layout = MapLayout.of(BOWL, bowl_runs, size)
    left, top, right, bottom = layout.box
    assert 0 <= left < right <= size[0] and 0 <= top < bottom <= size[1]
    p_left, p_top, p_right, p_bottom = layout.panel
    assert (p_left >= right) if size[0] >= size[1] else (p_top >= bottom)
    assert 0 <= p_left < p_right <= size[0] and 0 <= p_top < p_bottom <= size[1]
    (x0, x1), (y0, y1) = layout.bounds
    corners = layout.to_pixels(np.array([[x0, y1], [x1, y0]]))
    np.testing.assert_allclose(corners, [[left, top], [right, bottom]])
    assert (right - left) / (x1 - x0) == pytest.approx((bottom - top) / (y1 - y0), rel=0.01)


def test_each_ball_sits_on_its_path_and_moves_as_the_path_does(bowl_runs, bowl_gif):
    frames = decode(bowl_gif)
    layout = MapLayout.of(BOWL, bowl_runs, (640, 480))
    expected = [layout.to_pixels(run.path) for run in bowl_runs]
    # where the balls (radius 7) do not overlap: momentum is past sgd by step 10 and overtaken
    # on its way back
    apart = np.flatnonzero(np.hypot(*(expected[0] - expected[1]).T) > 20)
    early, late = apart[apart >= 6][0], apart[-1]
    assert late - early >= 10
    for pixels, color in zip(expected, run_colors(bowl_runs), strict=True):
        seen = {k: ball_centroid(frames[k], layout, color) for k in (early, late)}
        for k, found in seen.items():
            np.testing.assert_allclose(found, pixels[k], atol=1.0)
        moved = seen[late] - seen[early]
        assert np.hypot(*moved) > 20
        np.testing.assert_allclose(moved, pixels[late] - pixels[early], atol=1.5)
    assert ball_rgb("#0072B2") == tuple(round(c * BALL_DARKEN) for c in (0x00, 0x72, 0xB2))


def test_long_runs_get_evenly_spaced_frames_ending_on_the_last_step():
    run = mv.simulate(BOWL, optimizer="momentum", lr=0.01, beta=0.5, steps=999)
    data = animation_gif(BOWL, [run], max_frames=100)
    frames = decode(data)
    assert len(frames) == 100
    layout = MapLayout.of(BOWL, [run], (640, 480))
    color = run_colors([run])[0]
    expected = layout.to_pixels(run.path)
    np.testing.assert_allclose(ball_centroid(frames[0], layout, color), expected[0], atol=1.0)
    np.testing.assert_allclose(ball_centroid(frames[-1], layout, color), expected[999], atol=1.0)
    # frame 50 is step round(50 · 999/99) = 505
    np.testing.assert_allclose(ball_centroid(frames[50], layout, color), expected[505], atol=1.0)


def test_a_diverging_run_stops_where_it_left_and_is_marked_from_that_step_on():
    specs = [mv.RunSpec("momentum", 0.1, 0.8), mv.RunSpec("sgd", LR_DIVERGES)]
    runs = mv.simulate_many(BOWL, specs, start=(1.0, 0.5), steps=30)
    assert [r.diverged_at for r in runs] == [None, 10]
    frames = decode(animation_gif(BOWL, runs))
    assert len(frames) == 31
    layout = MapLayout.of(BOWL, runs, (640, 480))
    left, top, right, bottom = layout.box
    sgd = run_colors(runs)[1]
    sgd_rgb = np.frombuffer(bytes.fromhex(sgd[1:]), np.uint8)
    # the label is anti-aliased text in the run's colour: only its edges have the half tint
    tint = np.round(sgd_rgb + (255 - sgd_rgb) * 0.5).astype(np.uint8)
    label_pixels = [int(np.all(f == tint, axis=-1).sum()) for f in frames]
    assert label_pixels[9] == 0 and all(n > 0 for n in label_pixels[10:])
    # off the map from step 2: the ball is an arrowhead on the map's edge
    off = ball_centroid(frames[5], layout, sgd)
    edge_distance = min(off[0] - left, right - off[0], off[1] - top, bottom - off[1])
    assert 0 <= edge_distance < 10
    # the path never leaves the map: no sgd-coloured pixel beyond its edges but the legend's
    # and the arms of the × where it left (7 pixels from its centre)
    outside = np.all(frames[-1] == sgd_rgb, axis=-1)
    outside[top - 9:bottom + 10, left - 9:right + 10] = False
    outside[:, layout.panel[0]:] = False
    assert not outside.any()


@pytest.mark.parametrize("lr", [1e300, 5e306, 1e308])  # 5e306: finite, but not in pixels
def test_runs_that_overflow_at_once_are_drawn_without_their_non_finite_points(lr):
    run = mv.simulate(BOWL, optimizer="sgd", lr=lr, steps=5)
    assert run.diverged_at == 1
    frames = decode(animation_gif(BOWL, [run]))
    assert len(frames) == 6
    left, top, right, bottom = MapLayout.of(BOWL, [run], (640, 480)).box
    on_map = np.s_[top:bottom + 1, left:right + 1]
    np.testing.assert_array_equal(frames[2][on_map], frames[5][on_map])  # nothing moves


def test_a_run_undefined_at_its_start_still_gives_a_picture():
    surface = mv.surface_from_formula("log(x^2 + y^2)")
    run = mv.simulate(surface, optimizer="momentum", lr=0.1, beta=0.9, start=(0, 0), steps=20)
    assert run.diverged_at == 0
    frames = decode(animation_gif(surface, [run], size=(320, 240)))
    assert len(frames) == 21 and frames[0].shape == (240, 320, 3)


@pytest.mark.parametrize("kwargs, message", [
    (dict(size=(159, 480)), "160 to 1920"),
    (dict(size=(640, 1921)), "160 to 1920"),
    (dict(size=(640.5, 480)), "whole numbers"),
    (dict(size="big"), "two whole numbers"),
    (dict(fps=0), "frames per second"),
    (dict(fps=51), "frames per second"),
    (dict(fps=float("nan")), "frames per second"),
    (dict(max_frames=1), "2 to 600 frames"),
    (dict(max_frames=601), "2 to 600 frames"),
    (dict(max_frames=10.5), "2 to 600 frames"),
    (dict(max_frames=float("nan")), "2 to 600 frames"),
    (dict(hold=-1), "held 0 to 10 seconds"),
])
def test_requests_past_a_bound_are_refused_with_a_message(bowl_runs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        animation_gif(BOWL, bowl_runs, **kwargs)


def test_big_pictures_get_fewer_frames():
    run = mv.simulate(BOWL, optimizer="sgd", lr=0.05, steps=300)
    with pytest.raises(ValueError, match="1920×1080 pixels can have at most 88 frames"):
        animation_gif(BOWL, [run], size=(1920, 1080))


def test_the_number_of_runs_is_bounded(bowl_runs):
    with pytest.raises(ValueError, match="1 to 8 runs"):
        animation_gif(BOWL, [])
    with pytest.raises(ValueError, match="1 to 8 runs"):
        animation_gif(BOWL, bowl_runs * 5)


def test_three_hundred_steps_of_three_wandering_runs_stay_under_five_megabytes():
    surface = mv.get_surface("rastrigin")
    specs = [mv.RunSpec("sgd", 0.002), mv.RunSpec("momentum", 0.002, 0.95),
             mv.RunSpec("nesterov", 0.002, 0.95)]
    runs = mv.simulate_many(surface, specs, steps=300, noise=5.0, seed=3)
    data = animation_gif(surface, runs)
    assert Image.open(io.BytesIO(data)).n_frames == 301
    assert len(data) <= 5 * 2**20


def test_text_is_written_in_the_characters_the_built_in_font_has():
    assert _ascii("Momentum β=0.6") == "Momentum beta=0.6"
    assert _ascii("Saddle (x² − y²)") == "Saddle (x^2 - y^2)"
    assert _ascii("Styblinski–Tang, κ = 50") == "Styblinski-Tang, kappa = 50"
