"""The optimizer registry: one entry is all an optimizer needs — a throwaway one registered here
runs in simulate, simulate_many, sweep, the reading, the CSV and the figures without touching any
other module — and an unknown name is a ValueError everywhere, listing the known ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz import optimizers, theory
from momentum_viz.engine import Batch, groups
from momentum_viz.figures import OPTIMIZER_COLORS, path_figure, run_colors
from momentum_viz.report import metrics_rows, reading, runs_csv


def signum(g, state, lr, t, *, beta):
    """signSGD with momentum: m ← βm + (1−β)g; step = lr·sign(m)."""
    m = beta * state[0] + (1 - beta) * g
    return lr * np.sign(m), (m,)


SIGNUM = mv.Optimizer(
    "signum", "Signum", "#999999", signum, lambda beta: {"beta": beta},
    hyper=(mv.HyperParameter("beta", 0.5, 0.0, 1.0, "beta", "EMA of the gradient", "β"),),
    state=(mv.State("exp_avg"),))


@pytest.fixture
def throwaway():
    mv.register(SIGNUM)
    try:
        yield SIGNUM
    finally:
        optimizers.unregister("signum")


def sign(v):
    return math.copysign(1.0, v) if v != 0 else 0.0


def signum_by_hand(surface, lr, beta, steps, start):
    (x, y), (mx, my) = start, (0.0, 0.0)
    path = [(x, y)]
    for _ in range(steps):
        gx, gy = (float(v) for v in surface.grad(x, y))
        mx, my = beta * mx + (1 - beta) * gx, beta * my + (1 - beta) * gy
        x, y = x - lr * sign(mx), y - lr * sign(my)
        path.append((x, y))
    return np.array(path)


def test_a_registered_optimizer_runs_everywhere(throwaway):
    surface = mv.get_surface("booth")
    assert "signum" in mv.OPTIMIZERS and mv.OPTIMIZERS[-1] == "signum"
    run = mv.simulate(surface, optimizer="signum", lr=0.01, steps=300)
    assert run.beta == 0.5 and run.label == "Signum β=0.5"
    np.testing.assert_allclose(run.path, signum_by_hand(surface, 0.01, 0.5, 300, surface.start),
                               rtol=1e-12, atol=1e-12)
    # side by side with the built-in ones, each as if alone
    specs = [mv.RunSpec("momentum", 0.01, 0.9), mv.RunSpec("signum", 0.01, 0.8),
             mv.RunSpec("adam", 0.1)]
    runs = mv.simulate_many(surface, specs, steps=300, noise=0.1, seed=3)
    for spec, r in zip(specs, runs, strict=True):
        alone = mv.simulate(surface, optimizer=spec.optimizer, lr=spec.lr, beta=spec.beta,
                            steps=300, noise=0.1, seed=3)
        np.testing.assert_array_equal(r.path, alone.path)
    # a sweep over (lr, β), each cell the run alone
    result = mv.sweep(surface, optimizer="signum", lrs=[0.001, 0.01], betas=[0.0, 0.9],
                      steps=300)
    for i, beta in enumerate([0.0, 0.9]):
        for j, lr in enumerate([0.001, 0.01]):
            m = mv.simulate(surface, optimizer="signum", lr=lr, beta=beta, steps=300).metrics()
            np.testing.assert_array_equal(result.final_loss[i, j], m.final_loss)
    # the reading, the table, the CSV and the figures read its label and colour
    assert "Signum β=0.8" in reading(runs)
    assert metrics_rows(runs)[1]["run"] == "Signum β=0.8"
    assert "\n0,signum,0.8,0.01," in runs_csv(runs)
    assert OPTIMIZER_COLORS["signum"] == "#999999" == run_colors(runs)[1]
    assert mv.optimizers.DISPLAY_NAMES["signum"] == "Signum"
    names = [t.name for t in path_figure(surface, runs).data]
    assert any(n and n.startswith("Signum") for n in names)
    # its hyper-parameter is checked, and no linear theory is claimed for it
    with pytest.raises(ValueError, match="beta"):
        mv.simulate(surface, optimizer="signum", lr=0.01, beta=1.5, steps=5)
    with pytest.raises(ValueError, match="no linear theory"):
        theory.rate(0.1, 0.5, 1.0, "signum")


def test_an_entry_that_shares_a_rule_runs_in_the_same_batch():
    """Momentum with dampening ½ (torch's SGD(dampening=0.5)) is one entry reusing heavy_ball:
    it joins the momentum family's batch and its linear form is none of the four."""
    entry = mv.Optimizer("damped", "Damped", "#123456", optimizers.heavy_ball,
                         lambda beta: {"beta": beta, "dampening": 0.5, "nesterov": False},
                         hyper=(optimizers.BETA,))
    mv.register(entry)
    try:
        assert groups(["sgd", "damped", "momentum", "adam"]) == [[0, 1, 2], [3]]
        batch = Batch.of(["momentum", "damped"], 0.1, 0.9)
        np.testing.assert_array_equal(batch.settings["dampening"], [0.0, 0.5])
        surface = mv.get_surface("ravine")
        damped = mv.simulate(surface, optimizer="damped", lr=0.02, beta=0.9, steps=200)
        heavy = mv.simulate(surface, optimizer="momentum", lr=0.01, beta=0.9, steps=200)
        np.testing.assert_allclose(damped.path, heavy.path, rtol=1e-12, atol=1e-13)
    finally:
        optimizers.unregister("damped")
    assert "damped" not in mv.OPTIMIZERS


def test_a_name_is_registered_once():
    with pytest.raises(ValueError, match="already"):
        mv.register(optimizers.get("adam"))
    with pytest.raises(ValueError, match="identifier"):
        mv.register(mv.Optimizer("two words", "x", "#000000", optimizers.heavy_ball, dict))


KNOWN = "sgd, momentum, nesterov, ema, adam, rmsprop, adagrad"


@pytest.mark.parametrize("call", [
    lambda: optimizers.get("lion"),
    lambda: mv.RunSpec("lion", 0.1),
    lambda: mv.simulate(mv.get_surface("bowl"), optimizer="lion", lr=0.1, steps=5),
    lambda: mv.simulate_many(mv.get_surface("bowl"), [mv.RunSpec("momentum", 0.1),
                                                      mv.RunSpec("Adam", 0.1)], steps=5),
    lambda: mv.sweep(mv.get_surface("bowl"), optimizer="lion", lrs=[0.1], betas=[0.5], steps=5),
    lambda: Batch.of(["momentum", "lion"], 0.1, 0.9),
    lambda: Batch.uniform("lion", np.array([0.1]), np.array([0.5])),
    lambda: theory.rate(0.1, 0.5, 1.0, "lion"),
    lambda: theory.optimal(1.0, 10.0, "lion"),
    lambda: mv.effective_lr("lion", 0.1, 0.9),
])
def test_an_unknown_optimizer_is_a_value_error_listing_the_known_ones(call):
    with pytest.raises(ValueError, match=KNOWN):
        call()


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad"])
def test_theory_says_plainly_that_no_linear_theory_applies(name):
    for call in (lambda: theory.rate(0.1, 0.5, 1.0, name), lambda: theory.stable(0.1, 0.5, 1, name),
                 lambda: theory.optimal(1.0, 10.0, name),
                 lambda: theory.stability_limit_lr(0.5, 10.0, name)):
        with pytest.raises(ValueError, match="no linear theory"):
            call()


def test_theory_reads_each_entrys_linear_form():
    for name in ("sgd", "momentum", "nesterov", "ema"):
        assert optimizers.get(name).linear_theory == name
        assert theory.rate(0.1, 0.5, 2.0, name) == theory.rate(0.1, 0.5, 2.0, name)


@pytest.mark.parametrize("name", list(optimizers.REGISTRY))
def test_every_entry_is_complete(name):
    entry = optimizers.get(name)
    assert entry.label and entry.color.startswith("#") and len(entry.color) == 7
    assert entry.state and 0 <= entry.velocity < len(entry.state)
    for h in entry.hyper:
        assert h.url and h.help and h.contains(h.default), h
        assert h.name in ("beta", "beta2", "eps")  # the fields RunSpec carries
    assert isinstance(entry.settings(**entry.defaults()), dict)  # settings take the defaults
    colors = [e.color for e in optimizers.REGISTRY.values()]
    assert len(set(colors)) == len(colors)
