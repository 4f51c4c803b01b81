"""Runs in words and tables: the metrics table, a one-line reading, and a CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np

from momentum_viz.criteria import DEFAULT_TOL
from momentum_viz.metrics import Metrics
from momentum_viz.seeds import Seeds
from momentum_viz.simulate import Run


def final_column(runs: Sequence[Run]) -> str:
    """The table's last-value column: "final f − f*" where the minimum value f* is known (what
    the loss chart plots), else "final f"."""
    return "final f" if not runs or runs[0].surface.f_min is None else "final f − f*"


def metrics_rows(runs: Sequence[Run], tol: float = DEFAULT_TOL) -> list[dict]:
    """One row per run, ready for a table (None where a value does not apply). The final value
    is f − f* where f* is known, else f (``final_column`` names it)."""
    rows, column = [], final_column(runs)
    for run in runs:
        m = run.metrics(tol)
        f_min = run.surface.f_min or 0.0
        final = m.final_loss - f_min
        rows.append({
            "run": run.label,
            "lr": run.lr,
            "steps to converge": m.steps_to_converge,
            "overshoots": m.overshoots,
            "largest overshoot": _round(m.largest_overshoot),
            column: None if np.isnan(final) else float(f"{final:.6g}"),
            "path length": _round(m.path_length),
            "diverged at": m.diverged_at,
        })
    return rows


def reading(runs: Sequence[Run], tol: float = DEFAULT_TOL) -> str:
    """A one-sentence account of what happened, naming every run, e.g. "Momentum β=0.9 reached
    the minimum in 84 steps, SGD in 1,530; Momentum β=0.9 overshot 3 times." Correct for any
    outcome: runs that diverged, stalled, settled in a local minimum, started converged, or a
    surface with no known minimum (there a run converges where the slope vanishes, |∇f| ≤ tol,
    which is not called a minimum)."""
    if not runs:
        return "Choose at least one optimizer to run."
    metrics = [r.metrics(tol) for r in runs]
    f_min = runs[0].surface.f_min
    order = sorted(range(len(runs)), key=lambda i: _rank(metrics[i]))
    groups: dict[tuple, list[str]] = {}
    for i in order:
        kind, detail = _outcome(runs[i], metrics[i], f_min, tol)
        groups.setdefault((kind, detail), []).append(runs[i].label)
    arrived = ("reached the minimum in" if f_min is not None else
               f"came to rest where the slope vanishes (|∇f| ≤ {tol:g}) in")
    converged = [(_and(names), detail) for (kind, detail), names in groups.items()
                 if kind == "converged"]
    clauses = []
    if converged:
        clauses.append(", ".join([f"{converged[0][0]} {arrived} {converged[0][1]}",
                                  *(f"{names} in {steps}" for names, steps in converged[1:])]))
    clauses += [f"{_and(names)} {_plural(detail) if len(names) > 1 else detail}"
                for (kind, detail), names in groups.items() if kind != "converged"]
    overshoot = _overshoot_clause(runs, metrics)
    return "; ".join(clauses) + "." + (f" {overshoot}" if overshoot else "")


def runs_csv(runs: Sequence[Run]) -> str:
    """Every step of every run: step, optimizer, beta, lr, x, y, loss, vx, vy, beta2, eps (NaN
    after a divergence, as in the run). lr is the learning rate of that step (the schedule's);
    beta is 0 for an optimizer without one; beta2 and eps are empty where the optimizer has no
    such parameter."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "optimizer", "beta", "lr", "x", "y", "loss", "vx", "vy", "beta2",
                     "eps"])
    for run in runs:
        entry = run.spec.entry
        beta = run.beta if entry.uses_beta else 0.0
        extra = [repr(float(getattr(run.spec, name))) if entry.parameter(name) else ""
                 for name in ("beta2", "eps")]
        for k in range(run.steps + 1):
            (x, y), (vx, vy) = run.path[k], run.velocity[k]
            writer.writerow([k, run.optimizer, repr(float(beta)), repr(float(run.lrs[k])),
                             repr(float(x)), repr(float(y)), repr(float(run.loss[k])),
                             repr(float(vx)), repr(float(vy)), *extra])
    return out.getvalue()


def _rank(m: Metrics) -> tuple:
    """Converged runs first (fastest first), then the rest by final loss, diverged last."""
    if m.steps_to_converge is not None:
        return (0, m.steps_to_converge)
    if m.diverged_at is not None:
        return (2, -m.diverged_at)
    return (1, m.final_loss)


def _outcome(run: Run, m: Metrics, f_min: float | None, tol: float) -> tuple[str, str]:
    """(kind, what happened): runs with the same kind and detail are told together."""
    if m.diverged_at is not None:
        return "diverged", f"diverged at step {m.diverged_at:,}"
    if m.steps_to_converge == 0:
        return "started", ("was at the minimum from the start" if f_min is not None else
                           f"started where the slope vanishes (|∇f| ≤ {tol:g}) and never "
                           "moved")
    if m.steps_to_converge is not None:
        return "converged", _count(m.steps_to_converge, "step")
    local = _local_minimum(run, m, f_min, tol)
    if local:
        return "local", f"settled in a local minimum near {local}"
    if f_min is None:
        return "open", f"ended at f = {m.final_loss:.4g} after {run.steps:,} steps"
    return "open", (f"was still {m.final_loss - f_min:.3g} above the minimum after "
                    f"{run.steps:,} steps")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n:,} times"


def _plural(detail: str) -> str:
    """A detail told of several runs: "was …" becomes "were …"."""
    return "were" + detail[3:] if detail.startswith("was ") else detail


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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


def _overshoot_clause(runs: Sequence[Run], metrics: list[Metrics]) -> str:
    """Overshoots of the runs whose optimizer carries a velocity (has a β), and the zig-zag
    across the minimum of those that do not (SGD, AdaGrad)."""
    pieces = []
    for run, m in zip(runs, metrics, strict=True):
        if not m.overshoots or m.diverged_at is not None:
            continue
        if not run.spec.entry.uses_beta:
            zigzag = " (zig-zag)" if m.overshoots >= 3 else ""
            pieces.append(f"{run.label} crossed the minimum's axes {_times(m.overshoots)}"
                          + zigzag)
        else:
            pieces.append(f"{run.label} overshot {_times(m.overshoots)}")
    return ("; ".join(pieces) + ".") if pieces else ""


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def spread_rows(many: Sequence[Seeds], tol: float = DEFAULT_TOL) -> list[dict]:
    """One row per run over its seeds: the final f − f* (f without a known minimum) as median
    and 90th percentile, how many seeds converged and their median steps, how many diverged."""
    f_min = many[0].surface.f_min
    final = "final f − f*" if f_min is not None else "final f"
    rows = []
    for result in many:
        n = len(result.seeds)
        steps = result.steps_to_converge(tol)
        done = steps[steps >= 0]
        rows.append({
            "run": result.spec.label,
            f"{final}, median": _finite(result.final_loss_median - (f_min or 0.0)),
            f"{final}, 90th percentile": _finite(result.final_loss_p90 - (f_min or 0.0)),
            "converged": f"{done.size} of {n}",
            "median steps (converged seeds)": int(np.ceil(np.median(done))) if done.size else None,
            "diverged": f"{int(np.sum(result.diverged_at >= 0))} of {n}",
        })
    return rows


def _finite(value: float) -> float | str:
    """A loss for the table: "diverged" where it is a diverged run's (+inf)."""
    return float(f"{value:.6g}") if np.isfinite(value) else "diverged"
