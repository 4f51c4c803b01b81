"""The animation as an animated GIF, for slides: drawn with Pillow from the runs, no browser.

Each frame shows the surface's banded picture (``figures.raster``, the same bands and colours as
the interactive map), every run's path grown up to the frame's step, a ball per run, the step
counter and a legend. Frames are drawn in RGB and mapped onto one fixed palette (the surface's
bands, the run colours and shades of them for anti-aliased text); every frame after the first
stores only the pixels that changed, the rest transparent, which keeps 300 steps of three runs
at 640×480 to a few hundred kilobytes.

Text uses Pillow's built-in font, whose glyphs are ASCII only: Greek letters are spelled out
("beta"), superscripts written with ^, other symbols replaced by their closest ASCII.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from momentum_viz.figures.paths import (
    BANDS,
    HeightScale,
    frame_steps_of,
    last_finite,
    view_bounds,
)
from momentum_viz.figures.raster import banded_image
from momentum_viz.figures.style import SURFACE_SCALE, run_colors
from momentum_viz.simulate import Run
from momentum_viz.surface import Domain, Surface

DEFAULT_SIZE = (640, 480)
SIDE_RANGE = (160, 1920)
"""Pixels per side, width and height alike."""
DEFAULT_FPS = 25.0
FPS_RANGE = (1.0, 50.0)
"""GIF delays count hundredths of a second, and browsers show delays under 2/100 s as 1/10 s."""
DEFAULT_FRAMES = 301
"""One frame per step for runs of up to 300 steps."""
FRAME_RANGE = (2, 600)
PIXEL_BUDGET = 640 * 480 * 600
"""width × height × frames at most: bounds the time one request can take (~4 s here)."""
MAX_RUNS = 8
HOLD_SECONDS = 2.0
"""The last frame stays this long before the animation starts over."""
BALL_DARKEN = 0.7
"""A ball is its run's colour darkened by this factor, so it stands out on its own path."""

_WHITE, _BLACK, _GREY = (255, 255, 255), (0, 0, 0), (110, 110, 110)
_STAR = (240, 228, 66)  # the minima's yellow in figures.paths
_TRANSPARENT = 255
"""Palette index of "unchanged since the previous frame"; no drawn colour maps to it."""
_ASCII = {"−": "-", "–": "-", "—": "-", "×": "x", "·": "*", "…": "...", "√": "sqrt", "∇": "grad ",
          "≈": "~", "≤": "<=", "≥": ">="}


def animation_gif(
    surface: Surface,
    runs: Sequence[Run],
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    fps: float = DEFAULT_FPS,
    max_frames: int = DEFAULT_FRAMES,
    hold: float = HOLD_SECONDS,
) -> bytes:
    """An animated GIF (bytes) of ``runs`` on ``surface``: the map, the paths growing step by
    step, a ball per run, a step counter and a legend with each run's label; it loops forever.

    Frames: one per step (0, 1, …, the longest run's last step) while that is at most
    ``max_frames``; beyond it ``max_frames`` evenly spaced steps, always the first and the last.
    Each frame lasts 1/``fps`` s rounded to 1/100 s (the GIF's unit); the last lasts ``hold``
    seconds longer. The view is the surface's domain (widened to the start point), at equal
    scales on both axes. A run that leaves the view is drawn up to the edge, with its ball
    shown as an arrowhead on the edge pointing where it went; a diverged run's path stops
    where it left, marked × "diverged at step k" from that step on. Non-finite positions are
    never drawn.

    Raises ValueError, with a message for the user, when ``size`` is outside ``SIDE_RANGE``
    per side, ``fps`` outside ``FPS_RANGE``, ``max_frames`` outside ``FRAME_RANGE``, the
    frames times the pixels exceed ``PIXEL_BUDGET``, ``hold`` outside 0–10 s, or there are no
    runs or more than ``MAX_RUNS``.
    """
    width, height = _check(runs, size, fps, max_frames, hold)
    steps = frame_steps_of(max(r.steps for r in runs), max_frames)
    if width * height * len(steps) > PIXEL_BUDGET:
        most = PIXEL_BUDGET // (width * height)
        raise ValueError(f"a GIF of {width}×{height} pixels can have at most {most} frames; "
                         f"{len(steps)} were asked for: lower the size or the frames")
    layout = MapLayout.of(surface, runs, (width, height))
    artist = _Artist(layout, surface, runs)
    frames = [artist.frame(k, steps[-1]) for k in steps]
    frame_ms = 10 * max(1, round(100 / fps))
    durations = [frame_ms] * len(frames)
    durations[-1] += 10 * round(100 * hold)
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=_deltas(frames),
                   duration=durations, loop=0, optimize=False, transparency=_TRANSPARENT,
                   disposal=1)
    return out.getvalue()


def ball_rgb(color: str) -> tuple[int, int, int]:
    """The ball's colour for a run drawn in ``color`` ("#rrggbb")."""
    return _darken(_rgb(color))


@dataclass(frozen=True)
class MapLayout:
    """Where the map sits in the picture: ``bounds`` ((x0, x1), (y0, y1)) in data units drawn
    in the pixel box ``box`` (left, top, right, bottom), equal scales on both axes; the legend
    in the pixel box ``panel``."""

    size: tuple[int, int]
    bounds: Domain
    box: tuple[int, int, int, int]
    panel: tuple[int, int, int, int]

    @classmethod
    def of(cls, surface: Surface, runs: Sequence[Run], size: tuple[int, int]) -> MapLayout:
        """The layout ``animation_gif`` uses: the legend at the right (30 % of the width) of a
        landscape or square picture, below the map (40 % of the height) in a portrait one."""
        width, height = size
        s = _scale(size)
        bounds = view_bounds(surface, runs[0].start if runs else None)
        (x0, x1), (y0, y1) = bounds
        left, top = round(48 * s), round(12 * s)
        if width >= height:
            panel = (width - round(0.3 * width), 0, width, height)
            room_w, room_h = panel[0] - round(10 * s) - left, height - top - round(34 * s)
        else:
            panel = (left, height - round(0.4 * height), width, height)
            room_w, room_h = width - round(10 * s) - left, panel[1] - top - round(34 * s)
        unit = min(room_w / (x1 - x0), room_h / (y1 - y0))
        map_w, map_h = max(1, round(unit * (x1 - x0))), max(1, round(unit * (y1 - y0)))
        top += (room_h - map_h) // 2
        return cls(size, bounds, (left, top, left + map_w, top + map_h), panel)

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        """(…, 2) data points → (…, 2) float pixel coordinates (x right, y down)."""
        (x0, x1), (y0, y1) = self.bounds
        left, top, right, bottom = self.box
        with np.errstate(all="ignore"):
            px = left + (points[..., 0] - x0) * ((right - left) / (x1 - x0))
            py = top + (y1 - points[..., 1]) * ((bottom - top) / (y1 - y0))
        return np.stack([px, py], axis=-1)

    def inside(self, pixel: np.ndarray) -> bool:
        """Whether a pixel position lies on the map (edges included)."""
        left, top, right, bottom = self.box
        return bool(left <= pixel[0] <= right and top <= pixel[1] <= bottom)


def _check(runs, size, fps, max_frames, hold) -> tuple[int, int]:
    if not 1 <= len(runs) <= MAX_RUNS:
        raise ValueError(f"a GIF shows 1 to {MAX_RUNS} runs, not {len(runs)}")
    lo, hi = SIDE_RANGE
    try:
        width, height = (int(side) for side in size)
    except (TypeError, ValueError):
        raise ValueError(f"the GIF size must be two whole numbers of pixels, not {size!r}") \
            from None
    if (width, height) != tuple(size) or not (lo <= width <= hi and lo <= height <= hi):
        raise ValueError(f"a GIF's width and height must be whole numbers from {lo} to {hi} "
                         f"pixels, not {size[0]}×{size[1]}")
    if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:  # False for NaN too
        raise ValueError(f"frames per second must be from {FPS_RANGE[0]:g} to "
                         f"{FPS_RANGE[1]:g}, not {fps}")
    if not FRAME_RANGE[0] <= max_frames <= FRAME_RANGE[1] or int(max_frames) != max_frames:
        raise ValueError(f"a GIF has {FRAME_RANGE[0]} to {FRAME_RANGE[1]} frames, "
                         f"not {max_frames}")
    if not 0 <= hold <= 10:
        raise ValueError(f"the last frame can be held 0 to 10 seconds, not {hold}")
    return width, height


class _Artist:
    """Draws the frames in order: a still picture (map, axes, legend) drawn once, the paths
    added to it as the steps advance, and per frame the markers, balls and counter on top."""

    def __init__(self, layout: MapLayout, surface: Surface, runs: Sequence[Run]):
        self.layout, self.surface, self.runs = layout, surface, runs
        s = _scale(layout.size)
        self.px = lambda n: max(1, round(n * s))
        # one set per GIF (0.2 ms a font), none shared between threads
        self.fonts = {name: ImageFont.load_default(size=max(8, round(n * s)))
                      for name, n in (("label", 15), ("small", 13), ("counter", 20))}
        self.colors = [_rgb(c) for c in run_colors(runs)]
        self.balls = [_darken(c) for c in self.colors]
        self.lasts = [last_finite(r) for r in runs]
        self.pixels = [layout.to_pixels(r.path[: last + 1]) for r, last in
                       zip(runs, self.lasts, strict=True)]
        self.segments = [_clip_segments(p[:-1], p[1:], layout.box) for p in self.pixels]
        self.ends = [b[np.flatnonzero(keep)[-1]] if keep.any() else p[0]
                     for (_, b, keep), p in zip(self.segments, self.pixels, strict=True)]
        """Where each path, cut to the map, stops."""
        self.drawn = [0] * len(runs)
        surface_rgb = self._surface_picture()
        self.palette = _palette(surface_rgb, self.colors)
        still = Image.new("RGB", layout.size, _WHITE)
        still.paste(Image.fromarray(surface_rgb), layout.box[:2])
        self._axes(ImageDraw.Draw(still))
        self.counter_at = self._legend(ImageDraw.Draw(still))
        self.canvas = self._indexed(still)
        """The still picture as palette indices; the paths are drawn into it step by step."""
        self.marks = [None if r.diverged_at is None else
                      self._text(f"diverged at step {r.diverged_at}", "small", color)
                      for r, color in zip(runs, self.colors, strict=True)]

    # -- once ---------------------------------------------------------------------------------
    def _surface_picture(self) -> np.ndarray:
        left, top, right, bottom = self.layout.box
        (x0, x1), (y0, y1) = self.layout.bounds
        cols, rows = right - left, bottom - top
        xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
        ys = y1 - (np.arange(rows) + 0.5) * (y1 - y0) / rows  # rows from the top
        z = self.surface.f(*np.meshgrid(xs, ys))
        return banded_image(HeightScale.of(z)(z), SURFACE_SCALE, BANDS)

    def _axes(self, draw: ImageDraw.ImageDraw) -> None:
        left, top, right, bottom = self.layout.box
        draw.rectangle(self.layout.box, outline=_GREY, width=1)
        font, tick = self.fonts["small"], self.px(5)
        (x0, x1), (y0, y1) = self.layout.bounds
        for value in _ticks(x0, x1):
            x = float(self.layout.to_pixels(np.array([value, y0]))[0])
            draw.line([(x, bottom), (x, bottom + tick)], fill=_GREY)
            draw.text((x, bottom + tick + 1), _label(value), font=font, fill=_BLACK, anchor="ma")
        for value in _ticks(y0, y1):
            y = float(self.layout.to_pixels(np.array([x0, value]))[1])
            draw.line([(left - tick, y), (left, y)], fill=_GREY)
            draw.text((left - tick - 2, y), _label(value), font=font, fill=_BLACK, anchor="rm")
        draw.text(((left + right) / 2, bottom + tick + 2 * font.size), "x", font=font,
                  fill=_BLACK, anchor="ma")
        draw.text((2, (top + bottom) / 2), "y", font=font, fill=_BLACK, anchor="lm")

    def _legend(self, draw: ImageDraw.ImageDraw) -> tuple[int, int]:
        """The surface's name, room for the counter, then a row per run (and for the minima
        and the start). Returns where the counter goes."""
        left, top, right, _ = self.layout.panel
        x, room = left + self.px(4), right - left - self.px(10)
        label, small = self.fonts["label"], self.fonts["small"]
        line = label.size * 1.3
        y = top + self.px(12)
        for text in _wrap(_ascii(self.surface.name), label, room):
            draw.text((x, y), text, font=label, fill=_BLACK)
            y += line
        counter_at = (x - 3, round(y) + self.px(6))
        y += self.fonts["counter"].size * 1.3 + self.px(14)
        one_lr = len({r.lr for r in self.runs}) == 1
        if one_lr:
            draw.text((x, y), f"lr = {self.runs[0].lr:g}", font=small, fill=_BLACK)
            y += line
        swatch = self.px(26)
        for run, color, ball in zip(self.runs, self.colors, self.balls, strict=True):
            text = run.label if one_lr else f"{run.label} lr={run.lr:g}"
            middle = y + line / 2
            draw.line([(x, middle), (x + swatch, middle)], fill=color, width=self.px(3))
            self._ball(draw, (x + swatch / 2, middle), ball)
            for row in _wrap(_ascii(text), label, room - swatch - self.px(6)):
                draw.text((x + swatch + self.px(6), y + line / 2), row, font=label,
                          fill=_BLACK, anchor="lm")
                y += line
            y += line * 0.2
        markers = [("start", self._start)] + ([("minimum", self._star)]
                                              if self.surface.minima else [])
        for text, mark in markers:
            middle = y + line / 2
            mark(draw, np.array([x + swatch / 2, middle]))
            draw.text((x + swatch + self.px(6), middle), text, font=small, fill=_BLACK,
                      anchor="lm")
            y += line * 1.2
        return counter_at

    # -- per frame ----------------------------------------------------------------------------
    def frame(self, k: int, last_step: int) -> Image.Image:
        """The picture at step ``k`` (of ``last_step``), mapped onto the palette."""
        self._grow_paths(k)
        image = self.canvas.copy()
        draw = ImageDraw.Draw(image)
        layout = self.layout
        if self.surface.minima:
            for point in layout.to_pixels(np.array(self.surface.minima)):
                if layout.inside(point):
                    self._star(draw, point)
        self._start(draw, layout.to_pixels(np.array(self.runs[0].start)))
        for run, end, mark, color in zip(self.runs, self.ends, self.marks, self.colors,
                                         strict=True):
            if run.diverged_at is not None and k >= run.diverged_at:
                self._diverged(image, draw, end, mark, color)
        for run, pixels, last, ball in zip(self.runs, self.pixels, self.lasts, self.balls,
                                           strict=True):
            at = min(k, last)
            if layout.inside(pixels[at]):
                self._ball(draw, pixels[at], ball)
            else:
                self._off_map(draw, run.path[at], ball)
        image.paste(self._text(f"step {k} / {last_step}", "counter", _BLACK), self.counter_at)
        return image

    def _grow_paths(self, k: int) -> None:
        """Add to the still picture the segments and step dots up to step ``k``."""
        draw = ImageDraw.Draw(self.canvas)
        dot, width = self.px(2), self.px(2.5)
        for j, ((a, b, keep), pixels, color) in enumerate(
                zip(self.segments, self.pixels, self.colors, strict=True)):
            upto = min(k, self.lasts[j])
            for i in range(self.drawn[j], upto):
                if keep[i]:
                    draw.line([tuple(a[i]), tuple(b[i])], fill=color, width=width)
            for i in range(self.drawn[j] + 1, upto + 1):
                if self.layout.inside(pixels[i]):
                    x, y = pixels[i]
                    draw.ellipse([x - dot, y - dot, x + dot, y + dot], fill=color)
            self.drawn[j] = max(self.drawn[j], upto)

    def _ball(self, draw: ImageDraw.ImageDraw, at, ball) -> None:
        x, y = at
        r = self.px(7)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=ball, outline=_WHITE, width=self.px(2))

    def _off_map(self, draw: ImageDraw.ImageDraw, position: np.ndarray, ball) -> None:
        """An arrowhead on the map's edge, on the line from the map's centre toward a ball
        outside it at ``position`` (data units, finite, perhaps too far for pixels)."""
        (x0, x1), (y0, y1) = self.layout.bounds
        offset = np.array([position[0] - (x0 + x1) / 2, (y0 + y1) / 2 - position[1]])
        offset /= np.max(np.abs(offset))  # pixels have equal scales: the same direction
        heading = offset / np.hypot(*offset)
        left, top, right, bottom = self.layout.box
        half = np.array([right - left, bottom - top]) / 2
        tip = np.array([left, top]) + half + heading * np.min(
            half / np.maximum(np.abs(heading), 1e-12))
        across = np.array([-heading[1], heading[0]])
        length = self.px(14)
        base = tip - heading * length
        corners = [tuple(tip), tuple(base + across * length / 2), tuple(base - across * length / 2)]
        draw.polygon(corners, fill=ball, outline=_WHITE, width=self.px(1))

    def _diverged(self, image: Image.Image, draw: ImageDraw.ImageDraw, at: np.ndarray,
                  mark: Image.Image, color) -> None:
        """× where the path stops, and "diverged at step k" (``mark``) beside it, inside the
        map."""
        x, y = at
        r = self.px(7)
        for ends in ([(x - r, y - r), (x + r, y + r)], [(x - r, y + r), (x + r, y - r)]):
            draw.line(ends, fill=color, width=self.px(3))
        left, top, right, bottom = self.layout.box
        w, h = mark.size
        image.paste(mark, (round(min(max(x + r, left + 1), right - w - 1)),
                           round(min(max(y - r - h, top + 1), bottom - h - 1))))

    def _text(self, text: str, font: str, color) -> Image.Image:
        """``text`` in anti-aliased ``color`` on white, mapped onto the palette (text drawn
        straight into a palette image would not be anti-aliased)."""
        face = self.fonts[font]
        _, _, right, bottom = face.getbbox(text)
        patch = Image.new("RGB", (right + 6, bottom + 4), _WHITE)
        ImageDraw.Draw(patch).text((3, 2), text, font=face, fill=color)
        return self._indexed(patch)

    def _indexed(self, image: Image.Image) -> Image.Image:
        """An RGB picture as indices into the palette (each pixel its nearest colour)."""
        return image.quantize(palette=self.palette, dither=Image.Dither.NONE)

    def _start(self, draw: ImageDraw.ImageDraw, at: np.ndarray) -> None:
        x, y = at
        r = self.px(8)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=_BLACK, width=self.px(2.5))

    def _star(self, draw: ImageDraw.ImageDraw, at: np.ndarray) -> None:
        angles = np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, self.px(9), self.px(4))
        points = at + np.column_stack([np.cos(angles), -np.sin(angles)]) * radii[:, None]
        draw.polygon([tuple(p) for p in points], fill=_STAR, outline=_BLACK, width=1)


def _deltas(frames: list[Image.Image]) -> list[Image.Image]:
    """Frames 1… with every pixel equal to the previous frame's made transparent."""
    palette = frames[0].getpalette()
    out, previous = [], np.asarray(frames[0])
    for frame in frames[1:]:
        pixels = np.asarray(frame)
        delta = Image.fromarray(np.where(pixels == previous, _TRANSPARENT, pixels).astype(np.uint8),
                                "P")
        delta.putpalette(palette)
        out.append(delta)
        previous = pixels
    return out


def _palette(surface_rgb: np.ndarray, colors: list[tuple[int, int, int]]) -> Image.Image:
    """A "P" image holding every colour a frame uses: the surface's bands, black to white for
    text, each run's colour, ball colour and tints toward white; index ``_TRANSPARENT`` is a
    copy of index 0, so nothing drawn maps to it."""
    greys = [(v, v, v) for v in np.linspace(0, 255, 18).round().astype(int)]
    tints = [tuple(round(c + (255 - c) * t) for c in color)
             for color in colors for t in (0.0, 0.25, 0.5, 0.75)]
    balls = [_darken(color) for color in colors]
    packed = np.unique(surface_rgb.reshape(-1, 3).astype(np.uint32) @ [1 << 16, 1 << 8, 1])
    bands = [(int(v) >> 16, int(v) >> 8 & 255, int(v) & 255) for v in packed]
    entries = list(dict.fromkeys([_WHITE, *greys, _GREY, _STAR, *tints, *balls, *bands]))
    entries += [entries[0]] * (256 - len(entries))
    image = Image.new("P", (1, 1))
    image.putpalette([c for rgb in entries[:256] for c in rgb])
    return image


def _clip_segments(a: np.ndarray, b: np.ndarray, box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segments a→b ((n, 2) pixels) cut to the box (Liang–Barsky): the new ends and whether
    any part lies in the box."""
    left, top, right, bottom = box
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    keep = np.all(np.isfinite(a) & np.isfinite(b), axis=1)
    with np.errstate(all="ignore"):
        for p, q in ((-d[:, 0], a[:, 0] - left), (d[:, 0], right - a[:, 0]),
                     (-d[:, 1], a[:, 1] - top), (d[:, 1], bottom - a[:, 1])):
            keep &= ~((p == 0) & (q < 0))
            ratio = q / p
            t0 = np.where(p < 0, np.maximum(t0, ratio), t0)
            t1 = np.where(p > 0, np.minimum(t1, ratio), t1)
        keep &= t0 <= t1
        return a + t0[:, None] * d, a + t1[:, None] * d, keep


def _scale(size: tuple[int, int]) -> float:
    """Sizes of text and marks relative to the 640×480 design."""
    return min(size[0] / 640, size[1] / 480)


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def _darken(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    return tuple(round(c * BALL_DARKEN) for c in rgb)


def _ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """Round values (1, 2 or 5 × 10ⁿ apart) from lo to hi, about ``count`` of them."""
    raw = (hi - lo) / count
    magnitude = 10 ** np.floor(np.log10(raw))
    step = magnitude * next(m for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return np.arange(np.ceil(lo / step), np.floor(hi / step) + 1) * step


def _label(value: float) -> str:
    return f"{value + 0.0:.4g}"  # + 0.0 turns −0 into 0


def _ascii(text: str) -> str:
    """``text`` in the characters the built-in font has: β → beta, x² → x^2, − → -."""
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in _ASCII:
            out.append(_ASCII[char])
        else:
            name = unicodedata.name(char, "")
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            if name.startswith("GREEK"):
                out.append(name.split()[-1].lower())
            elif "SUPERSCRIPT" in name and plain:
                out.append("^" + plain)
            else:
                out.append(plain or "?")
    return "".join(out)


def _fit(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """``text``, cut with "..." to fit ``width`` pixels."""
    if font.getlength(text) <= width:
        return text
    while len(text) > 1 and font.getlength(text + "...") > width:
        text = text[:-1]
    return text.rstrip() + "..."


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, lines: int = 2) -> list[str]:
    """``text`` broken at spaces into at most ``lines`` lines of ``width`` pixels."""
    out: list[str] = []
    for word in text.split():
        if out and font.getlength(out[-1] + " " + word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out[lines - 1:] = [" ".join(out[lines - 1:])]
    return [_fit(line, font, width) for line in out]
