"""figures.raster: colour ramps, banded contour pictures, and PNG data URIs that decode."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

from momentum_viz.figures.raster import (
    LINE_DARKEN,
    UNDEFINED_RGB,
    banded_image,
    png_data_uri,
    ramp,
)
from momentum_viz.figures.style import SURFACE_SCALE

GREY = [[0.0, "#646464"], [1.0, "#c8c8c8"]]  # 100 → 200 on every channel
WHITE, TOP = (255, 255, 255), (0x8F, 0x9B, 0xB0)  # the ends of SURFACE_SCALE


def decode_png(uri: str) -> np.ndarray:
    """(height, width, 3) uint8 pixels of an 8-bit RGB PNG data URI written without row
    filters, checking the signature, every chunk's CRC and the chunk order on the way."""
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    data = base64.b64decode(uri[len(prefix):])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        tag, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc, tag
        chunks.append((tag, body))
        at += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1])
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for tag, body in chunks if tag == b"IDAT"))
    stride = 1 + 3 * width
    assert len(raw) == height * stride
    rows = [raw[i * stride:(i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows), "rows use filter type 0 (none)"
    return np.frombuffer(b"".join(row[1:] for row in rows), np.uint8).reshape(height, width, 3)


def test_ramp_hits_the_stops_and_interpolates_between_them():
    np.testing.assert_array_equal(ramp(GREY, np.array([0.0, 0.25, 1.0])),
                                  [[100] * 3, [125] * 3, [200] * 3])
    three = [[0.0, "#000000"], [0.5, "#ff0000"], [1.0, "#ff00ff"]]
    got = ramp(three, np.array([[0.25, 0.5], [0.75, 1.0]]))
    assert got.shape == (2, 2, 3) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, [[[128, 0, 0], [255, 0, 0]],
                                        [[255, 0, 128], [255, 0, 255]]])  # 127.5 rounds up
    np.testing.assert_array_equal(ramp(SURFACE_SCALE, np.array([0.0, 1.0])), [WHITE, TOP])


def test_bands_are_flat_colours_with_a_darker_pixel_where_the_band_changes():
    heights = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])  # rows from the top
    image = banded_image(heights, GREY, bands=2)
    dark = round(100 * LINE_DARKEN)  # the top row borders the band below it
    np.testing.assert_array_equal(image, [[[dark] * 3] * 3, [[200] * 3] * 3])
    left_right = banded_image(np.array([[0.0, 0.0, 5.0, 5.0]]), SURFACE_SCALE, bands=24)
    np.testing.assert_array_equal(
        left_right[0], [WHITE, [round(255 * LINE_DARKEN)] * 3, TOP, TOP])


def test_bands_split_the_finite_range_evenly_and_mark_undefined_cells():
    heights = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, np.nan, np.inf, 3.0]])
    image = banded_image(heights, GREY, bands=4)
    assert image.dtype == np.uint8 and image.shape == (2, 4, 3)
    # bands 0..3 → colours 100, 133.3, 166.7, 200; NaN and inf are not part of the range
    np.testing.assert_array_equal(image[1, 1], UNDEFINED_RGB)
    np.testing.assert_array_equal(image[1, 2], UNDEFINED_RGB)
    np.testing.assert_array_equal(image[1, 0], [100] * 3)  # band 0 beside an undefined cell
    # row 0 is bands 0..3: each cell but the last differs from its right neighbour, so is
    # darkened; the last sits on the same band below it and keeps its colour
    expected = [*(round(round(100 + 100 * b / 3) * LINE_DARKEN) for b in range(3)), 200]
    np.testing.assert_array_equal(image[0, :, 0], expected)
    np.testing.assert_array_equal(image[:, 3], [[200] * 3] * 2)


def test_a_flat_surface_is_one_band_and_an_undefined_one_all_pale_red():
    flat = banded_image(np.full((3, 4), 7.0), GREY, bands=8)
    assert np.all(flat == 100)
    nowhere = banded_image(np.full((2, 2), np.nan), GREY, bands=8)
    assert np.all(nowhere == np.array(UNDEFINED_RGB, np.uint8))


def test_every_pixel_follows_the_rule_on_a_rough_surface_with_holes(rng):
    """A pixel by pixel transcription: the band of the pixel's height in the finite range,
    that band's colour on the scale, darkened where the band differs from the pixel's right
    or lower neighbour (an undefined neighbour counts as the lowest band), pale red where
    the height is undefined."""
    heights = rng.normal(size=(30, 40)).cumsum(axis=1)
    heights[rng.random(heights.shape) < 0.05] = np.nan
    heights[3, 7] = np.inf
    bands = 24
    finite = np.isfinite(heights)
    lo, hi = heights[finite].min(), heights[finite].max()
    band = [[min(int((h - lo) / (hi - lo) * bands), bands - 1) if np.isfinite(h) else 0
             for h in row] for row in heights]
    expected = np.zeros((30, 40, 3), np.uint8)
    for i in range(30):
        for j in range(40):
            if not finite[i, j]:
                expected[i, j] = UNDEFINED_RGB
                continue
            colour = ramp(SURFACE_SCALE, np.array([band[i][j] / (bands - 1)]))[0]
            edge = (j + 1 < 40 and band[i][j + 1] != band[i][j]) or \
                (i + 1 < 30 and band[i + 1][j] != band[i][j])
            expected[i, j] = np.round(colour * LINE_DARKEN) if edge else colour
    np.testing.assert_array_equal(banded_image(heights, SURFACE_SCALE, bands), expected)


def test_png_round_trip_keeps_size_orientation_and_every_pixel(rng):
    pixels = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)  # 5 rows, 7 columns
    uri = png_data_uri(pixels)
    ihdr = base64.b64decode(uri.split(",", 1)[1])[16:24]
    assert struct.unpack(">II", ihdr) == (7, 5)  # width, then height
    np.testing.assert_array_equal(decode_png(uri), pixels)
    mirrored = pixels[:, ::-1]  # a view with negative strides
    np.testing.assert_array_equal(decode_png(png_data_uri(mirrored)), mirrored)
    single = decode_png(png_data_uri(np.array([[[1, 2, 3]]], np.uint8)))
    np.testing.assert_array_equal(single, [[[1, 2, 3]]])
