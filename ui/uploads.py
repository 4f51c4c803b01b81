"""A visitor's own data: a CSV of two numeric columns x, y, checked (``parse_csv``), kept in the
session only (never written to disk, dropped with the session, never in a URL) and turned into a
linear or logistic regression surface (``CSV_SURFACES``)."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

import momentum_viz as mv
from ui.params import CSV_NAMES, CSV_SURFACES

MAX_MB = 5
MAX_BYTES = MAX_MB * 1024 * 1024
MAX_ROWS = mv.data.MAX_POINTS
DATA = "csv_data"
"""Session state: the accepted upload (``Upload``)."""
BUILT = "csv_surfaces"
"""Session state: {(surface id, digest): Surface} of the accepted upload."""
ERROR = "csv_error"
"""Session state: why the last file was refused (a one-shot notice)."""


class CsvError(ValueError):
    """A file that cannot be used; the message names the problem for the reader."""


@dataclass(frozen=True, eq=False)
class Upload:
    """An accepted CSV: its file name, its columns and a digest of them (the runs' cache key)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    digest: str

    @property
    def n(self) -> int:
        return len(self.x)


def parse_csv(content: bytes, name: str = "data.csv") -> Upload:
    """The two numeric columns x, y of a comma-separated file (a first row that is not two
    numbers is a header), or CsvError naming the problem: larger than ``MAX_MB`` MB, not UTF-8
    text, a row without exactly two columns, a value that is not a number or not finite, fewer
    than 2 or more than ``MAX_ROWS`` data rows."""
    if len(content) > MAX_BYTES:
        raise CsvError(f"the file is {len(content) / 1024 / 1024:.1f} MB; at most {MAX_MB} MB "
                       "is accepted")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError("the file is not text (UTF-8): upload a .csv file saved as text") from None
    rows = [(i, r) for i, r in enumerate(csv.reader(io.StringIO(text)), start=1)
            if any(cell.strip() for cell in r)]
    if rows and not _numeric(rows[0][1]):
        _columns(*rows[0])
        rows = rows[1:]
    if len(rows) < 2:
        raise CsvError(f"it has {len(rows)} data row{'' if len(rows) == 1 else 's'}; at least "
                       "2 are needed")
    if len(rows) > MAX_ROWS:
        raise CsvError(f"it has {len(rows):,} data rows; at most {MAX_ROWS:,} are accepted")
    values = np.empty((len(rows), 2))
    for k, (line, row) in enumerate(rows):
        values[k] = [_number(cell, line, column) for cell, column in zip(_columns(line, row),
                                                                         "xy", strict=True)]
    x, y = np.ascontiguousarray(values[:, 0]), np.ascontiguousarray(values[:, 1])
    digest = hashlib.sha1(values.tobytes()).hexdigest()[:16]
    return Upload(name, x, y, digest)


def _numeric(row: list[str]) -> bool:
    try:
        return len(row) == 2 and all(math.isfinite(float(c)) or True for c in row)
    except ValueError:
        return False


def _columns(line: int, row: list[str]) -> list[str]:
    if len(row) != 2:
        raise CsvError(f"line {line} has {len(row)} column{'' if len(row) == 1 else 's'}; the "
                       "file needs exactly two, x and y, separated by a comma")
    return row


def _number(cell: str, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        shown = cell.strip()[:20] or "(empty)"
        raise CsvError(f"line {line}: {column} = “{shown}” is not a number") from None
    if not math.isfinite(value):
        raise CsvError(f"line {line}: {column} = {cell.strip()} is not a finite number (no NaN "
                       "or infinity)")
    return value


def check_labels(upload: Upload) -> None:
    """CsvError unless every y is 0 or 1 (logistic regression's labels)."""
    bad = np.flatnonzero((upload.y != 0) & (upload.y != 1))
    if bad.size:
        raise CsvError(f"logistic regression needs labels y of 0 or 1, and {bad.size:,} "
                       f"row{'' if bad.size == 1 else 's'} {'has' if bad.size == 1 else 'have'} "
                       f"another value (the first: y = {upload.y[bad[0]]:g})")


def build(surface_id: str, upload: Upload) -> mv.Surface:
    """The regression surface ``surface_id`` (one of ``CSV_SURFACES``) of ``upload``, or
    CsvError naming why the data cannot make it (labels, constant x, separable classes)."""
    kind = CSV_SURFACES[surface_id]
    if kind == "logistic":
        check_labels(upload)
    try:
        return mv.regression_surface(kind, upload.x, upload.y, id=surface_id,
                                     name=f"{CSV_NAMES[surface_id].removesuffix('…')} "
                                          f"({upload.name})")
    except ValueError as exc:
        raise CsvError(str(exc)) from None


# -- the session's upload -------------------------------------------------------------------------
def current() -> Upload | None:
    """This session's accepted upload, if any."""
    return st.session_state.get(DATA)


def accept(content: bytes, name: str) -> Upload:
    """Check ``content`` and make it the session's data (CsvError: the previous data stays)."""
    upload = parse_csv(content, name)
    st.session_state[DATA] = upload
    st.session_state[BUILT] = {}
    return upload


def key_of(surface_id: str) -> tuple:
    """The surface key (``ui.compute.surface_key``) of a CSV surface: its id and the digest of
    the session's data (None without data)."""
    upload = current()
    return (surface_id, upload.digest if upload else None)


def surface(key: tuple) -> mv.Surface:
    """The session's CSV surface for ``key_of`` (built once per session and data), or
    CsvError: no data uploaded in this session, or data the model cannot use."""
    surface_id, digest = key
    upload = current()
    if upload is None or upload.digest != digest:
        raise CsvError("no CSV has been uploaded in this session (an uploaded data set stays "
                       "in the session that uploaded it: a link cannot carry it)")
    built = st.session_state.setdefault(BUILT, {})
    if surface_id not in built:
        built[surface_id] = build(surface_id, upload)
    return built[surface_id]
