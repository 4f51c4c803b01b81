"""Runs in words and tables: the metrics table, a one-line reading, and a CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np

from momentum_viz.metrics import DEFAULT_TOL, Metrics
from momentum_viz.simulate import Run


def metrics_rows(runs: Sequence[Run], tol: float = DEFAULT_TOL) -> list[dict]:
    """One row per run, ready for a table (None where a value does not apply)."""
    rows = []
    for run in runs:
        m = run.metrics(tol)
        rows.append({
            "run": run.label,
            "lr": run.lr,
            "steps to converge": m.steps_to_converge,
            "overshoots": m.overshoots,
            "largest overshoot": _round(m.largest_overshoot),
            "final loss": None if np.isnan(m.final_loss) else float(f"{m.final_loss:.6g}"),
            "path length": _round(m.path_length),
            "diverged at": m.diverged_at,
        })
    return rows


def reading(runs: Sequence[Run], tol: float = DEFAULT_TOL) -> str:
    """A one-sentence account of what happened, e.g. "Momentum β=0.9 reached the minimum in 84
    steps, SGD in 1,530; Momentum β=0.9 overshot 3 times." Correct for any outcome: runs that
    diverged, stalled, settled in a local minimum, or a surface with no known minimum."""
    if not runs:
        return "Choose at least one optimizer to run."
    metrics = [r.metrics(tol) for r in runs]
    surface = runs[0].surface
    order = sorted(range(len(runs)), key=lambda i: _rank(metrics[i]))
    parts = [_outcome(runs[i], metrics[i], surface.f_min, tol, first=(n == 0))
             for n, i in enumerate(order)]
    sentence = "; ".join(_join_same_kind(parts)) + "."
    overshoot = _overshoot_clause(runs, metrics)
    return sentence + (f" {overshoot}" if overshoot else "")


def runs_csv(runs: Sequence[Run]) -> str:
    """Every step of every run: step, optimizer, beta, lr, x, y, loss, vx, vy (NaN after a
    divergence, as in the run)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "optimizer", "beta", "lr", "x", "y", "loss", "vx", "vy"])
    for run in runs:
        beta = run.beta if run.optimizer != "sgd" else 0.0
        for k in range(run.steps + 1):
            (x, y), (vx, vy) = run.path[k], run.velocity[k]
            writer.writerow([k, run.optimizer, repr(beta), repr(run.lr), repr(float(x)),
                             repr(float(y)), repr(float(run.loss[k])), repr(float(vx)),
                             repr(float(vy))])
    return out.getvalue()


def _rank(m: Metrics) -> tuple:
    """Converged runs first (fastest first), then the rest by final loss, diverged last."""
    if m.steps_to_converge is not None:
        return (0, m.steps_to_converge)
    if m.diverged_at is not None:
        return (2, -m.diverged_at)
    return (1, m.final_loss)


def _outcome(run: Run, m: Metrics, f_min: float | None, tol: float, first: bool) -> tuple:
    """(kind, text) for one run; ``first`` spells the sentence out in full."""
    name = run.label
    if m.diverged_at is not None:
        return ("diverged", f"{name} diverged at step {m.diverged_at:,}")
    if m.steps_to_converge is not None:
        steps = f"{m.steps_to_converge:,} step{'s' if m.steps_to_converge != 1 else ''}"
        return ("converged", f"{name} reached the minimum in {steps}" if first
                else f"{name} in {steps}")
    local = _local_minimum(run, m, f_min, tol)
    if local:
        return ("local", f"{name} settled in a local minimum near {local}")
    if f_min is None:
        return ("open", f"{name} ended at f = {m.final_loss:.4g} after {run.steps:,} steps")
    return ("open", f"{name} was still {m.final_loss - f_min:.3g} above the minimum after "
                    f"{run.steps:,} steps")


def _local_minimum(run: Run, m: Metrics, f_min: float | None, tol: float) -> str | None:
    """The point, formatted, when the run ended close to a known minimum that is not global."""
    if m.target is None or f_min is None:
        return None
    target_f = float(run.surface.f(*m.target))
    near = np.hypot(*(run.path[-1] - np.asarray(m.target))) < 1e-3 * _width(run)
    if near and target_f > f_min + tol:
        return f"({m.target[0]:.3g}, {m.target[1]:.3g}), where f = {target_f:.4g}"
    return None


def _width(run: Run) -> float:
    (x0, x1), (y0, y1) = run.surface.domain
    return max(x1 - x0, y1 - y0)


def _join_same_kind(parts: list[tuple]) -> list[str]:
    """Keep the sentence order; parts of one kind stay together as a comma list."""
    texts: list[str] = []
    previous = None
    for kind, text in parts:
        if kind == previous == "converged":
            texts[-1] += f", {text}"
        else:
            texts.append(text)
        previous = kind
    return texts


def _overshoot_clause(runs: Sequence[Run], metrics: list[Metrics]) -> str:
    """Overshoots of the runs that use momentum (SGD's zig-zag is described by its own count)."""
    pieces = []
    for run, m in zip(runs, metrics, strict=True):
        if run.optimizer != "sgd" and m.overshoots and m.diverged_at is None:
            times = "once" if m.overshoots == 1 else f"{m.overshoots:,} times"
            pieces.append(f"{run.label} overshot {times}")
    zigzag = [r.label for r, m in zip(runs, metrics, strict=True)
              if r.optimizer == "sgd" and m.overshoots and m.diverged_at is None]
    if zigzag:
        count = metrics[[r.label for r in runs].index(zigzag[0])].overshoots
        pieces.append(f"{zigzag[0]} crossed the minimum's axes {count:,} times (zig-zag)")
    return ("; ".join(pieces) + ".") if pieces else ""


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")
