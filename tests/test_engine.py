"""engine.Batch (per-trajectory settings, compacted) and engine.iterate against hand arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz.engine import (
    MAX_STEPS,
    Batch,
    Sampling,
    check_steps,
    gradient_noise,
    iterate,
)

LR, BETA = 0.02, 0.9
STARTS = [(1.5, -0.5), (-1.0, 0.25)]  # one column per trajectory


@pytest.fixture(scope="module")
def quadratic() -> mv.Surface:
    return mv.surface_from_formula("x^2 + 10y^2")  # ∇f = (2x, 20y)


def record(surface, batch, start, steps, noise=None):
    """Copies of (k, θ_k, v_k, g_k) for every step (iterate reuses its arrays)."""
    return [(k, t.copy(), v.copy(), g.copy())
            for k, t, v, g in iterate(surface, batch, start, steps,
                                      None if noise is None else Sampling(noise=noise))]


def by_hand(rule, start, steps, noise=()):
    """Positions and velocities of one trajectory on x² + 10y², with Python floats."""
    x, y = start
    vx = vy = 0.0
    out = [((x, y), (vx, vy))]
    for k in range(steps):
        nx, ny = noise[k] if noise else (0.0, 0.0)
        gx, gy = 2 * x + nx, 20 * y + ny
        if rule == "sgd":
            vx, vy = gx, gy
            x, y = x - LR * gx, y - LR * gy
        elif rule == "momentum":
            vx, vy = BETA * vx + gx, BETA * vy + gy
            x, y = x - LR * vx, y - LR * vy
        elif rule == "nesterov":
            vx, vy = BETA * vx + gx, BETA * vy + gy
            x, y = x - LR * (gx + BETA * vx), y - LR * (gy + BETA * vy)
        else:  # ema
            vx, vy = BETA * vx + (1 - BETA) * gx, BETA * vy + (1 - BETA) * gy
            x, y = x - LR * vx, y - LR * vy
        out.append(((x, y), (vx, vy)))
    return out


# -- Batch ----------------------------------------------------------------------------------------
def test_batch_of_gives_each_optimizer_its_settings():
    batch = Batch.of(["sgd", "momentum", "nesterov", "ema"], 0.1, 0.8)
    assert batch.lr.ndim == 0 and float(batch.lr) == 0.1  # shared: compacted to 0-d
    settings = batch.settings
    np.testing.assert_array_equal(settings["beta"], [0.0, 0.8, 0.8, 0.8])  # sgd: no momentum
    np.testing.assert_array_equal(settings["dampening"], [0.0, 0.0, 0.0, 0.8])  # ema damps by β
    np.testing.assert_array_equal(settings["nesterov"], [False, False, True, False])
    assert settings["beta"].dtype == settings["dampening"].dtype == np.float64


def test_batch_of_keeps_differing_values_and_compacts_equal_ones():
    same = Batch.of(["momentum", "momentum"], [0.1, 0.1], [0.9, 0.9])
    for field in (same.lr, *same.settings.values()):
        assert field.ndim == 0
    assert float(same.lr) == 0.1
    assert {k: v.item() for k, v in same.settings.items()} == \
        {"beta": 0.9, "dampening": 0.0, "nesterov": False}
    mixed = Batch.of(["momentum", "momentum", "momentum"], [0.1, 0.2, 0.3], 0.9)
    np.testing.assert_array_equal(mixed.lr, [0.1, 0.2, 0.3])
    assert mixed.settings["beta"].ndim == 0


def test_batch_uniform_and_columns():
    lrs = np.array([0.01, 0.02, 0.03, 0.04])
    betas = np.array([0.5, 0.6, 0.7, 0.8])
    ema = Batch.uniform("ema", lrs, betas)
    np.testing.assert_array_equal(ema.lr, lrs)
    np.testing.assert_array_equal(ema.settings["beta"], betas)
    np.testing.assert_array_equal(ema.settings["dampening"], betas)
    assert ema.settings["nesterov"].ndim == 0 and not ema.settings["nesterov"]
    nesterov = Batch.uniform("nesterov", lrs, np.full(4, 0.9))
    assert nesterov.settings["beta"].ndim == 0 and float(nesterov.settings["beta"]) == 0.9
    assert bool(nesterov.settings["nesterov"])
    sgd = Batch.uniform("sgd", lrs, betas)
    assert sgd.settings["beta"].ndim == sgd.settings["dampening"].ndim == 0
    assert float(sgd.settings["beta"]) == 0.0
    chunk = ema.columns(slice(1, 3))
    np.testing.assert_array_equal(chunk.lr, [0.02, 0.03])
    np.testing.assert_array_equal(chunk.settings["dampening"], [0.6, 0.7])
    assert chunk.settings["nesterov"].ndim == 0  # shared settings stay shared
    assert nesterov.columns(slice(0, 2)).settings["beta"].ndim == 0


@pytest.mark.parametrize("build", [
    lambda: Batch.of(["lion"], 0.1, 0.9), lambda: Batch.of(["sgd"], 0.0, 0.9),
    lambda: Batch.of(["momentum"], np.inf, 0.9), lambda: Batch.of(["momentum"], 0.1, 1.0),
    lambda: Batch.uniform("momentum", np.array([0.1, -0.1]), np.array([0.5, 0.5])),
    lambda: Batch.uniform("ema", np.array([0.1]), np.array([-0.5])),
])
def test_bad_settings_are_value_errors(build):
    with pytest.raises(ValueError):
        build()


def test_check_steps():
    assert check_steps(3.0) == 3 and check_steps(0) == 0 and check_steps(MAX_STEPS) == MAX_STEPS
    for bad in (-1, 2.5, True, MAX_STEPS + 1):
        with pytest.raises(ValueError):
            check_steps(bad)


# -- iterate --------------------------------------------------------------------------------------
def test_iterate_yields_every_step_in_place_from_rest(quadratic):
    start = np.array(STARTS, float).T
    batch = Batch.of(["momentum", "momentum"], LR, BETA)
    seen = list(iterate(quadratic, batch, start, 4))
    assert [k for k, *_ in seen] == [0, 1, 2, 3, 4]
    thetas = {id(theta) for _, theta, _, _ in seen}
    assert len(thetas) == 1  # one θ array, updated in place
    np.testing.assert_array_equal(start, np.array(STARTS, float).T)  # the caller's start is kept
    _, theta0, v0, g0 = record(quadratic, batch, start, 0)[0]
    np.testing.assert_array_equal(theta0, start)
    np.testing.assert_array_equal(v0, np.zeros((2, 2)))
    np.testing.assert_array_equal(g0, [[3.0, -2.0], [-10.0, 5.0]])  # (2x, 20y) per column


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "ema"])
def test_first_steps_by_hand(quadratic, optimizer):
    steps = 4
    rows = record(quadratic, Batch.of([optimizer] * 2, LR, BETA), np.array(STARTS, float).T,
                  steps)
    for column, start in enumerate(STARTS):
        expected = by_hand(optimizer, start, steps)
        for (_, theta, v, g), ((x, y), (vx, vy)) in zip(rows, expected, strict=True):
            np.testing.assert_allclose(theta[:, column], (x, y), rtol=1e-14, atol=1e-16)
            np.testing.assert_allclose(v[:, column], (vx, vy), rtol=1e-14, atol=1e-16)
            np.testing.assert_allclose(g[:, column], (2 * x, 20 * y), rtol=1e-14, atol=1e-15)


def test_momentum_step_values_written_out(quadratic):
    """From (1.5, −0.5) with lr 0.02, β 0.9: v₁ = g₀ = (3, −10), θ₁ = (1.44, −0.3);
    v₂ = 0.9·v₁ + (2.88, −6) = (5.58, −15), θ₂ = (1.3284, 0)."""
    rows = record(quadratic, Batch.of(["momentum"], LR, BETA), np.array([[1.5], [-0.5]]), 2)
    np.testing.assert_allclose(rows[1][1][:, 0], (1.44, -0.3), rtol=1e-14)
    np.testing.assert_allclose(rows[1][2][:, 0], (3.0, -10.0), rtol=1e-14)
    np.testing.assert_allclose(rows[2][1][:, 0], (1.3284, 0.0), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(rows[2][2][:, 0], (5.58, -15.0), rtol=1e-14)


def test_mixed_optimizers_in_one_batch_run_as_if_alone(quadratic):
    names = ["sgd", "momentum", "nesterov", "ema"]
    start = np.repeat(np.array([[1.5], [-0.5]]), 4, axis=1)
    rows = record(quadratic, Batch.of(names, LR, BETA), start, 3)
    for column, name in enumerate(names):
        expected = by_hand(name, (1.5, -0.5), 3)
        np.testing.assert_allclose([r[1][:, column] for r in rows], [p for p, _ in expected],
                                   rtol=1e-14, atol=1e-16)


def test_noise_is_added_to_the_gradient_the_optimizer_sees(quadratic):
    draws = [(0.3, -0.2), (-0.1, 0.4), (0.25, 0.05), (0.0, 0.0)]  # rows 0..steps
    noise = np.array(draws)[:, :, None]
    for optimizer in ("sgd", "momentum", "nesterov", "ema"):
        rows = record(quadratic, Batch.of([optimizer], LR, BETA), np.array([[1.5], [-0.5]]), 3,
                      noise)
        expected = by_hand(optimizer, (1.5, -0.5), 3, draws)
        for (_, theta, v, g), ((x, y), (vx, vy)) in zip(rows, expected, strict=True):
            np.testing.assert_allclose(theta[:, 0], (x, y), rtol=1e-14, atol=1e-16)
            np.testing.assert_allclose(v[:, 0], (vx, vy), rtol=1e-14, atol=1e-16)
            # the yielded gradient is the exact one, without the noise
            np.testing.assert_allclose(g[:, 0], (2 * x, 20 * y), rtol=1e-14, atol=1e-15)


def test_gradient_noise_shape_seed_and_scale():
    assert gradient_noise(0.0, 10, 1) is None
    one = gradient_noise(1.0, 10, 7)
    assert one.shape == (11, 2, 1)
    np.testing.assert_array_equal(one, gradient_noise(1.0, 10, 7))
    np.testing.assert_allclose(gradient_noise(2.5, 10, 7), 2.5 * one, rtol=1e-15)
    assert not np.array_equal(one, gradient_noise(1.0, 10, 8))
    for bad in (-0.1, np.nan, np.inf):
        with pytest.raises(ValueError):
            gradient_noise(bad, 10, 7)
