"""Render rows: a plain-text table for the terminal and BENCHMARKS.md with the environment and
a profile-based explanation of every miss."""

from __future__ import annotations

import cProfile
import datetime as dt
import os
import platform
import pstats
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from benchmarks.core import Row
from benchmarks.timing import WIDE_SPREAD, fmt_seconds

ROOT = Path(__file__).resolve().parent.parent
DESIGN_NOTES = Path(__file__).resolve().parent / "design_notes.md"
"""Measured design choices (prose, kept by hand), appended to every BENCHMARKS.md."""
COLUMNS = ("row", "what", "ours: median [min–max]", "baseline (same run)", "ratio", "target",
           "verdict")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    """Read-only git query (``--no-optional-locks``: never even refreshes the index)."""
    try:
        out = subprocess.run(["git", "--no-optional-locks", *args], cwd=ROOT, text=True,
                             capture_output=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def load_average() -> str:
    """The 1/5/15-minute load averages (other users' work on a shared machine)."""
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def environment() -> dict[str, str]:
    """Where and with what the numbers were measured."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    env = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(),
        "cores": f"{cores} logical ({usable} usable by this process)",
        "load average (1/5/15 min) at start": load_average(),
        "python": platform.python_version(),
    }
    for package in ("numpy", "sympy", "streamlit", "plotly", "torch"):
        env[package] = _version(package) or "not installed"
    commit = _git("rev-parse", "--short", "HEAD")
    if commit is not None:
        dirty = _git("status", "--porcelain", "--", "momentum_viz")
        env["engine commit"] = commit + (" + uncommitted changes in momentum_viz/" if dirty
                                         else "")
    return env


def cells(row: Row, quick: bool) -> tuple[str, ...]:
    """The table cells of ``row``, in COLUMNS order."""
    if row.error is not None:
        return (row.name, row.what, "ERROR: " + row.error, "", "", row.target, "ERROR")
    ours = row.ours.text() if row.ours else (row.note if row.skipped else "—")
    baseline = row.baseline.text() if row.baseline else "—"
    ratio = row.ratio.text() if row.ratio else "—"
    return (row.name, row.what, ours, baseline, ratio, row.target, row.verdict(quick))


def text_table(rows: Sequence[Row], quick: bool) -> str:
    """Terminal table; the long descriptions follow it as numbered notes."""
    head = ("#", "row", "ours: median [min–max]", "baseline (same run)", "ratio", "target",
            "verdict")
    body = []
    for i, row in enumerate(rows, 1):
        c = cells(row, quick)
        body.append((str(i), c[0], c[2], c[3], c[4], c[5], c[6]))
    widths = [max(len(r[j]) for r in [head, *body]) for j in range(len(head))]
    line = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(head), "  ".join("-" * w for w in widths)] + [line(r) for r in body]
    out.append("")
    for i, row in enumerate(rows, 1):
        extra = [row.what]
        if row.baseline_what:
            extra.append("baseline: " + row.baseline_what)
        if row.note and not row.skipped:
            extra.append(row.note)
        out.append(f"{i}. " + " | ".join(extra))
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(rows: Sequence[Row], env: dict[str, str], misses: Sequence[str],
             command: str, quick: bool = False) -> str:
    """BENCHMARKS.md: environment, the table, notes, one section per miss, and the measured
    design choices (``DESIGN_NOTES``)."""
    out = ["# Benchmarks", "",
           f"Written by `{command}` (see `benchmarks/`). Timings are medians of repeated runs "
           f"with [min–max] of the repeats; WIDE marks a spread (max/min) above "
           f"{WIDE_SPREAD:g}. These are shared, noisy machines: trust ratios measured in the "
           f"same run over absolute times. Verdicts: met / MISSED (median against the target) "
           f"/ report (no target) / skipped.", "", "## Environment", ""]
    out += [f"- {k}: {v}" for k, v in env.items()]
    out += ["", "## Results", "", "| " + " | ".join(COLUMNS) + " |",
            "|" + "---|" * len(COLUMNS)]
    for row in rows:
        c = list(cells(row, quick))
        if row.baseline_what:
            c[3] = f"{c[3]} — {row.baseline_what}" if row.baseline else row.baseline_what
        if row.note and not row.skipped:
            c[1] = f"{c[1]} ({row.note})"
        out.append("| " + " | ".join(_md(v) for v in c) + " |")
    if misses:
        out += ["", "## Misses", ""]
        out += list(misses)
    out += ["", DESIGN_NOTES.read_text(encoding="utf-8")]
    return "\n".join(out).rstrip() + "\n"


def profile_section(rows: Sequence[Row], top: int = 10, least: float = 0.005) -> str:
    """Profile the workload the missed ``rows`` share once with cProfile and explain the miss."""
    head = []
    for row in rows:
        missed = "; ".join(c.label for c in row.missed)
        head += [f"### `{row.name}`: MISSED ({row.ours.text() if row.ours else ''}; "
                 f"target {missed})", ""]
    spec = rows[0].profile
    if spec is None:
        return "\n".join([*head, "No profile workload is defined for this row.", ""])
    spec.run()  # warm: compile caches, allocator
    profiler = cProfile.Profile()
    profiler.enable()
    spec.run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    entries = [e for e in entries if e[1][2] >= least * total]
    lines = [*head, spec.diagnosis, "",
             f"cProfile of one run ({fmt_seconds(total)} under the profiler, "
             f"{spec.steps} {spec.unit}{'s' if spec.steps != 1 else ''}), top functions by "
             f"own time (≥ {least:.1%}). NumPy ufuncs are C calls without a Python frame, so "
             f"their time is the own time of the Python function that issues them:", "",
             f"| function | calls | calls/{spec.unit} | own time | own time/call | share |",
             "|---|---|---|---|---|---|"]
    for (filename, lineno, name), (_, ncalls, tottime, _, _) in entries:
        where = _short(filename)
        label = f"{where}:{lineno}({name})" if lineno else f"{where}{name}"
        lines.append(f"| `{label}` | {ncalls} | {ncalls / spec.steps:.3g} | "
                     f"{fmt_seconds(tottime)} | {fmt_seconds(tottime / max(ncalls, 1))} | "
                     f"{tottime / total:.0%} |")
    return "\n".join(lines) + "\n"


def _short(filename: str) -> str:
    if filename == "~":
        return ""
    path = Path(filename)
    for anchor in (ROOT, Path(sys.prefix)):
        try:
            return str(path.relative_to(anchor))
        except ValueError:
            continue
    return path.name
