"""The Playground's many-seed view as the page sends it (AppTest): every seed's path, their mean
path and the loss's median and 10–90 % band, against runs made one seed at a time; the data
budget with seeds."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from stage_spec import stage_of

import momentum_viz as mv
from momentum_viz.stage import unpack_float48
from testkit.apptest import no_exception, open_page, text_of


def f32(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), "<f4").astype(np.float64)


def i32(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), "<i4")


CASES = {
    "minibatches": dict(surface="linreg", opt="sgd,momentum", batch_size="8", seeds="12",
                        seed="5", steps="120"),
    "noise": dict(surface="bowl", opt="sgd,momentum", noise="1.5", seeds="9", steps="80"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_cloud_is_every_seeds_run_with_their_mean_and_percentiles(case):
    query = CASES[case]
    at = open_page(**query)
    no_exception(at)
    cloud = stage_of(at)["cloud"]
    setup = at.session_state["setup"]
    assert f"Over {query['seeds']} seeds" in text_of(at)  # the spread table follows it
    spread = at.table[-1].value
    assert list(spread["run"]) == ["SGD", f"Momentum β={setup['beta']:g}"]
    surface = mv.get_surface(query["surface"])
    n, first = int(query["seeds"]), setup["seed"]
    assert cloud["seeds"] == n and cloud["first"] == first
    shown = np.arange(setup["steps"] + 1)
    faint = i32(cloud["steps"])
    batch = int(query["batch_size"]) if "batch_size" in query else None
    for j, name in enumerate(setup["opt"]):
        runs = [mv.simulate(surface, optimizer=name, lr=setup["lr"], beta=setup["beta"],
                            start=(setup["x0"], setup["y0"]), steps=setup["steps"],
                            noise=setup["noise"] if batch is None else 0.0, seed=first + i,
                            batch_size=batch) for i in range(n)]
        sent = cloud["runs"][j]
        paths = f32(sent["paths"]).reshape(n, len(faint), 2)
        for i, run in enumerate(runs):
            np.testing.assert_allclose(paths[i], run.path[faint], rtol=1e-6, atol=1e-6)
        mean = unpack_float48(sent["mean"]).reshape(-1, 2)
        by_hand = sum(run.path for run in runs) / n
        np.testing.assert_allclose(mean, by_hand[shown], rtol=1e-10, atol=1e-12)
        losses = np.array([run.loss for run in runs]) - surface.f_min
        for key, q in (("low", 10), ("median", 50), ("high", 90)):
            expected = np.percentile(losses, q, axis=0)[shown]
            np.testing.assert_allclose(f32(sent[key]), expected, rtol=2e-7, atol=1e-12)
        assert sent["diverged"] == sum(run.diverged_at is not None for run in runs)


def test_one_seed_or_no_randomness_sends_no_cloud():
    assert stage_of(open_page(surface="bowl", noise="1"))["cloud"] is None
    assert stage_of(open_page(surface="bowl", seeds="20"))["cloud"] is None


@pytest.mark.parametrize("query", [
    dict(seeds="100", noise="1"),  # the default view with the most seeds
    dict(surface="linreg", batch_size="1", seeds="100"),
    dict(seeds="100", noise="1", steps="500", opt="sgd,momentum,nesterov,adam"),
])
def test_the_stage_data_stays_within_budget_with_many_seeds(query):
    """≤ 1.5 MB of chart data: the families' grids coarsen to make room for the cloud."""
    at = open_page(**query)
    no_exception(at)
    data = stage_of(at)
    assert len(json.dumps(data)) <= 1_500_000
    assert data["cloud"]["seeds"] == 100
    faint = i32(data["cloud"]["steps"])  # thinned evenly, from the start to the last step
    assert len(faint) >= 50 and faint[0] == 0 and faint[-1] == int(query.get("steps", 200))
    assert len(data["families"]["beta"]["values"]) > 10  # β still scrubs
