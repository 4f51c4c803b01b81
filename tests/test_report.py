"""The reading, the metrics table and the CSV export, against what the runs did."""

from __future__ import annotations

import csv
import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import momentum_viz as mv
from momentum_viz.report import metrics_rows, reading, runs_csv


def runs_on(surface_id, specs, steps, **kw):
    return mv.simulate_many(mv.get_surface(surface_id), specs, steps=steps, **kw)


def test_reading_orders_converged_runs_fastest_first_with_counts():
    runs = runs_on("ravine", [mv.RunSpec("sgd", 0.038), mv.RunSpec("momentum", 0.038, 0.6)],
                   200)
    sgd, momentum = (r.metrics().steps_to_converge for r in runs)
    assert momentum < sgd
    text = reading(runs)
    assert text.startswith(f"Momentum β=0.6 reached the minimum in {momentum} steps, "
                           f"SGD in {sgd} steps.")
    assert f"Momentum β=0.6 overshot {runs[1].metrics().overshoots} times" in text
    assert f"SGD crossed the minimum's axes {runs[0].metrics().overshoots} times (zig-zag)" \
        in text


def test_reading_reports_divergence_with_the_step():
    runs = runs_on("ravine", [mv.RunSpec("sgd", 0.042), mv.RunSpec("momentum", 0.042, 0.9)],
                   200)
    k = runs[0].diverged_at
    assert k is not None and runs[1].diverged_at is None
    text = reading(runs)
    assert f"SGD diverged at step {k}" in text
    assert text.startswith("Momentum β=0.9 reached the minimum in")


def test_reading_groups_runs_stuck_in_the_same_local_minimum():
    runs = runs_on("six_hump_camel", [mv.RunSpec("sgd", 0.01), mv.RunSpec("momentum", 0.01, 0.8)],
                   1000)
    ends = [tuple(np.round(r.path[-1], 3)) for r in runs]
    assert ends[0] == ends[1] == (-1.704, 0.796)  # the local minimum, f ≈ −0.2155
    text = reading(runs)
    assert "SGD and Momentum β=0.8 settled in a local minimum near (-1.7, 0.796)" in text
    assert "f = -0.2155" in text


def test_reading_uses_the_plural_for_runs_in_the_same_state():
    # ema with β = 0 is sgd, step for step: both end the same distance above the minimum
    runs = runs_on("rosenbrock", [mv.RunSpec("sgd", 1e-5), mv.RunSpec("ema", 1e-5, 0.0)], 10)
    gap = runs[0].metrics().final_loss
    assert reading(runs) == f"SGD and EMA β=0 were still {gap:.3g} above the minimum after " \
        "10 steps."


def test_reading_without_a_known_minimum():
    runs = mv.simulate_many(mv.surface_from_formula("x + y"), [mv.RunSpec("sgd", 0.1)],
                            steps=5)
    assert reading(runs) == f"SGD ended at f = {runs[0].loss[-1]:.4g} after 5 steps."


def test_reading_on_a_constant_surface_names_every_run_and_no_minimum():
    runs = mv.simulate_many(mv.surface_from_formula("2"), [mv.RunSpec("sgd", 0.05),
                            mv.RunSpec("momentum", 0.05, 0.9)], start=(1.0, 1.0), steps=50)
    assert reading(runs) == ("SGD and Momentum β=0.9 started where the slope vanishes "
                             "(|∇f| ≤ 1e-06) and never moved.")


SURFACES = ["2", "-3.5", "x + y", "x^2 + 10y^2", "x^2 - y^2", "sin(x)cos(y)", "abs(x) + y^2"]


@settings(max_examples=60, deadline=None)
@given(surface=st.one_of(st.sampled_from(SURFACES), st.sampled_from(mv.SURFACE_IDS)),
       specs=st.lists(st.tuples(st.sampled_from(["sgd", "momentum", "nesterov", "ema"]),
                                st.sampled_from([1e-4, 0.01, 0.05, 0.3, 3.0, 50.0]),
                                st.sampled_from([0.0, 0.5, 0.9, 0.99])),
                      min_size=1, max_size=4, unique=True),
       steps=st.sampled_from([1, 10, 200]),
       start=st.sampled_from([None, (0.0, 0.0), (1.0, 3.0)]))
def test_reading_is_true_and_names_every_run_for_any_runs(surface, specs, steps, start):
    built = (mv.get_surface(surface) if surface in mv.SURFACE_IDS
             else mv.surface_from_formula(surface))
    runs = mv.simulate_many(built, [mv.RunSpec(o, lr, b) for o, lr, b in specs],
                            start=start, steps=steps)
    text = reading(runs)
    assert text.endswith(".") and " 0 steps" not in text and "nan" not in text
    for run in runs:
        assert run.label in text
        m = run.metrics()
        if m.diverged_at is not None:
            assert f"{run.label}" in text and f"diverged at step {m.diverged_at:,}" in text
    if built.f_min is None:
        assert "reached the minimum" not in text and "at the minimum" not in text


def test_metrics_rows_match_the_metrics():
    runs = runs_on("bowl", [mv.RunSpec("sgd", 0.05), mv.RunSpec("nesterov", 0.05, 0.8)], 150)
    for row, run in zip(metrics_rows(runs), runs, strict=True):
        m = run.metrics()
        assert row["run"] == run.label and row["lr"] == 0.05
        assert row["steps to converge"] == m.steps_to_converge
        assert row["overshoots"] == m.overshoots
        assert row["diverged at"] is None
        assert np.isclose(row["final f − f*"], m.final_loss, rtol=1e-5)  # f* = 0 here


def test_the_table_shows_f_minus_f_star_where_f_star_is_known_else_f():
    camel = runs_on("six_hump_camel", [mv.RunSpec("sgd", 0.01)], 300)
    f_min = camel[0].surface.f_min
    (row,) = metrics_rows(camel)
    assert row["final f − f*"] == float(f"{camel[0].loss[-1] - f_min:.6g}") >= 0
    assert "final loss" not in row and "final f" not in row
    flat = mv.simulate_many(mv.surface_from_formula("x + y"), [mv.RunSpec("sgd", 0.1)], steps=5)
    (row,) = metrics_rows(flat)
    assert row["final f"] == float(f"{flat[0].loss[-1]:.6g}") and "final f − f*" not in row


def test_csv_holds_every_step_of_every_run():
    runs = runs_on("ravine", [mv.RunSpec("sgd", 0.042), mv.RunSpec("momentum", 0.03, 0.7)],
                   120)
    rows = list(csv.DictReader(io.StringIO(runs_csv(runs))))
    assert len(rows) == 2 * 121
    assert list(rows[0]) == ["step", "optimizer", "beta", "lr", "x", "y", "loss", "vx", "vy",
                             "beta2", "eps"]
    assert {(r["beta2"], r["eps"]) for r in rows} == {("", "")}  # not parameters of these
    for run, block in zip(runs, (rows[:121], rows[121:]), strict=True):
        assert {r["optimizer"] for r in block} == {run.optimizer}
        xy = np.array([[float(r["x"]), float(r["y"])] for r in block])
        v = np.array([[float(r["vx"]), float(r["vy"])] for r in block])
        loss = np.array([float(r["loss"]) for r in block])
        np.testing.assert_array_equal(xy, run.path)  # repr round-trips floats exactly
        np.testing.assert_array_equal(v, run.velocity)
        np.testing.assert_array_equal(loss, run.loss)
    assert runs[0].diverged_at is not None  # its rows after divergence are NaN, as in the run
    assert rows[120]["x"] == "nan"
