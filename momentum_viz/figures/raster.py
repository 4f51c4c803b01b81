"""The surface as a picture: filled bands and level lines rendered with NumPy into a PNG.

plotly.js removes contour and heatmap traces while it animates other traces (plotly.js
issue #4491, still so in plotly.js 4), so the animated chart draws the surface as a layout
image instead, which animation leaves alone. The PNG writer is the few lines the format needs.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

UNDEFINED_RGB = (244, 214, 214)
"""Where f is NaN or infinite (e.g. log of a negative number): a pale red."""
LINE_DARKEN = 0.78
"""Level lines are the band colour darkened by this factor."""


def ramp(scale: list[list], t: np.ndarray) -> np.ndarray:
    """RGB (…, 3) uint8 of a plotly-style colour scale [[position, "#rrggbb"], …] at t ∈ [0, 1]."""
    positions = np.array([p for p, _ in scale], float)
    colors = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in scale], float)
    channels = [np.interp(t, positions, colors[:, i]) for i in range(3)]
    return np.stack(channels, axis=-1).round().astype(np.uint8)


def banded_image(heights: np.ndarray, scale: list[list], bands: int) -> np.ndarray:
    """RGB image of ``heights`` (rows from the top) in ``bands`` flat colour bands, with a
    darker pixel wherever the band changes: the picture of a filled contour plot."""
    finite = np.isfinite(heights)
    lo, hi = (np.min(heights[finite]), np.max(heights[finite])) if finite.any() else (0.0, 1.0)
    t = (np.where(finite, heights, lo) - lo) / (hi - lo if hi > lo else 1.0)
    band = np.minimum((t * bands).astype(int), bands - 1)
    edge = np.zeros(band.shape, bool)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    edge[:-1, :] |= band[:-1, :] != band[1:, :]
    # the palette: each band's colour, then its level line's, then the undefined colour
    colours = ramp(scale, np.arange(bands) / max(bands - 1, 1))
    palette = np.concatenate([colours, (colours * LINE_DARKEN).round().astype(np.uint8),
                              np.array([UNDEFINED_RGB], np.uint8)])
    return palette[np.where(finite, band + bands * edge, 2 * bands)]


def png_data_uri(rgb: np.ndarray) -> str:
    """A ``data:image/png;base64,…`` URI for an (h, w, 3) uint8 image."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in np.ascontiguousarray(rgb, np.uint8))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
           + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
