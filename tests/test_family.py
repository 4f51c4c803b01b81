"""The scrub's families: every precomputed path is the run ``simulate`` makes at that value."""

from __future__ import annotations

import itertools
import json
import time

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz.family import beta_grid, lr_grid, simulate_family
from momentum_viz.stage import (
    MAX_POINTS,
    shown_steps,
    stage_data,
    unpack_float48,
)
from ui.params import default_setup, run_specs

OPTS = ["sgd", "momentum", "nesterov"]


def specs_at(setup):
    return lambda name, value: run_specs(setup | {name: value})


def data_for(setup, released_only=False):
    return stage_data(mv.get_surface(setup["surface"]), specs_at(setup), beta=setup["beta"],
                      lr=setup["lr"], start=(setup["x0"], setup["y0"]), steps=setup["steps"],
                      noise=setup["noise"], seed=setup["seed"], seeds=setup["seeds"],
                      scrub=("lr",) if setup["compare"] else ("beta", "lr"),
                      released_only=released_only)


def relative_error(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    ok = np.isfinite(b)
    return float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-300),
                        initial=0.0))


def test_grids_hold_every_slider_position_and_the_current_value():
    betas = beta_grid(0.4675)
    assert betas[:3] == (0.0, 0.01, 0.02) and betas[-3:] == (0.99, 0.995, 0.999)
    assert 0.4675 in betas and len(betas) == 103
    lrs = lr_grid(0.038)
    assert 0.038 in lrs and len(lrs) == 41
    assert lrs[0] == pytest.approx(0.0038) and lrs[-1] == pytest.approx(0.38)
    assert all(b / a > 1.05 for a, b in itertools.pairwise(lrs))
    assert max(lr_grid(8.0)) <= 10.0


@pytest.mark.parametrize("surface_id", ["ravine", "rosenbrock", "rastrigin", "six_hump_camel"])
def test_every_path_of_a_family_equals_simulate(surface_id):
    surface = mv.get_surface(surface_id)
    betas = beta_grid(surface.beta)
    rows = [[mv.RunSpec(o, surface.lr, 0.0 if o == "sgd" else b) for o in OPTS] for b in betas]
    family = simulate_family(surface, rows, values=betas, steps=200, noise=0.5, seed=3)
    assert len(family.unique_runs()) == 1 + 2 * len(betas)  # SGD is shared, run once
    for i in range(0, len(betas), 7):
        for run in family.runs[i]:
            alone = mv.simulate(surface, optimizer=run.optimizer, lr=run.lr, beta=run.beta,
                                steps=200, noise=0.5, seed=3)
            assert relative_error(run.path, alone.path) <= 1e-9


def test_stage_data_paths_unpack_to_simulate_and_fit_the_budget():
    setup = default_setup() | {"opt": OPTS}
    start = time.perf_counter()
    data = data_for(setup)
    elapsed = time.perf_counter() - start
    assert len(json.dumps(data)) <= 1_500_000
    assert elapsed < 1.0  # the 100 ms budget is measured by the benchmark, on a quiet machine
    beta = data["families"]["beta"]
    assert beta["values"][beta["index"]] == setup["beta"] and len(beta["values"]) == 102
    assert len(data["families"]["lr"]["values"]) == 41
    surface = mv.get_surface("ravine")
    for i in (0, 30, beta["index"], 101):
        for j, ref in enumerate(beta["rows"][i]):
            packed = data["pool"][ref]
            path = unpack_float48(packed["xy"]).reshape(-1, 2)
            run = mv.simulate(surface, optimizer=OPTS[j], lr=setup["lr"],
                              beta=0.0 if j == 0 else beta["values"][i], steps=200)
            assert relative_error(path, run.path[: len(path)]) <= 1e-9
            assert packed["n"] == len(path) == packed["last"] + 1
    lr = data["families"]["lr"]
    for i in (0, 20, 40):
        packed = data["pool"][lr["rows"][i][1]]
        run = mv.simulate(surface, optimizer="momentum", lr=lr["values"][i], beta=setup["beta"],
                          steps=200)
        path = unpack_float48(packed["xy"]).reshape(-1, 2)
        assert relative_error(path, run.path[: len(path)]) <= 1e-9


@pytest.mark.parametrize("changes", [{}, {"steps": 5000, "opt": [*OPTS, "ema"]},
                                     {"compare": True, "betas": [0.0, 0.5, 0.9]},
                                     {"noise": 0.5, "seeds": 5}])
def test_the_released_runs_alone_are_the_full_datas_own(changes):
    """``released_only``: the same grids, picture and runs at the released β and lr as the
    full data, every other row None, and a small fraction of its size."""
    setup = default_setup() | {"opt": OPTS} | changes
    full, first = data_for(setup), data_for(setup, released_only=True)
    assert first["partial"] and not full["partial"]
    assert {k: v for k, v in first.items() if k not in ("pool", "families", "partial")} == \
        {k: v for k, v in full.items() if k not in ("pool", "families", "partial")}
    for name in ("beta", "lr"):
        a, b = first["families"][name], full["families"][name]
        assert (a["values"], a["index"], a["scrub"]) == (b["values"], b["index"], b["scrub"])
        assert [i for i, row in enumerate(a["rows"]) if row is not None] == [a["index"]]
        for ref_a, ref_b in zip(a["rows"][a["index"]], b["rows"][b["index"]], strict=True):
            pa, pb = first["pool"][ref_a], full["pool"][ref_b]
            assert pa["label"] == pb["label"]
            assert relative_error(unpack_float48(pa["xy"]), unpack_float48(pb["xy"])) <= 1e-9
    assert len(json.dumps(first)) < len(json.dumps(full)) / 4


def test_many_steps_degrade_on_purpose_and_stay_small():
    setup = default_setup() | {"opt": [*OPTS, "ema"], "steps": 5000}
    data = data_for(setup)
    assert len(json.dumps(data)) <= 1_500_000
    assert data["thinned"]
    shown = shown_steps(5000)
    assert len(shown) == MAX_POINTS and shown[0] == 0 and shown[-1] == 5000
    beta = data["families"]["beta"]
    assert len(beta["values"]) < 102
    packed = data["pool"][beta["rows"][beta["index"]][1]]
    rows = np.frombuffer(__import__("base64").b64decode(packed["rows"]), "<i4")
    run = mv.simulate(mv.get_surface("ravine"), optimizer="momentum", lr=setup["lr"],
                      beta=setup["beta"], steps=5000)
    path = unpack_float48(packed["xy"]).reshape(-1, 2)
    assert relative_error(path, run.path[rows]) <= 1e-9  # exact positions at the steps shown


def test_comparison_mode_scrubs_lr_only():
    setup = default_setup() | {"compare": True, "betas": [0.0, 0.5, 0.9]}
    data = data_for(setup)
    assert not data["families"]["beta"]["scrub"] and data["families"]["lr"]["scrub"]
    assert len(data["runs"]) == 3


def test_a_run_the_browser_cannot_invert_sends_its_velocity_and_gradient():
    """Adam's steps do not give back its velocity by the momentum family's rule: sent."""
    surface = mv.get_surface("ravine")
    specs = lambda name, value: [mv.RunSpec("adam", 0.05 if name != "lr" else value)]  # noqa: E731
    data = stage_data(surface, specs, beta=0.6, lr=0.05, start=surface.start, steps=50,
                      scrub=("lr",))
    packed = data["pool"][0]
    assert packed["opt"] == "adam" and "step" in packed and "grad" in packed
    assert "rows" not in packed  # every step is sent
