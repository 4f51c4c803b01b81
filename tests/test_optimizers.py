"""The four optimizers, step by step against hand arithmetic, against an independent transcription
of torch.optim.SGD's documented update, and against each other where they must coincide.

Definitions (v₀ = 0, g = ∇f(θ)):
    sgd       θ ← θ − lr·g
    momentum  v ← βv + g;        θ ← θ − lr·v          (torch.optim.SGD(momentum=β))
    nesterov  v ← βv + g;        θ ← θ − lr·(g + βv)   (torch.optim.SGD(momentum=β, nesterov=True))
    ema       v ← βv + (1−β)g;   θ ← θ − lr·v
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import momentum_viz as mv

QUADRATIC = "x^2 + 10y^2"  # ∇f = (2x, 20y)
FAMILY = ("sgd", "momentum", "nesterov", "ema")


@pytest.fixture(scope="module")
def quadratic():
    return mv.surface_from_formula(QUADRATIC)


def run_on(surface, optimizer, lr, beta, start, steps=3):
    return mv.simulate(surface, optimizer=optimizer, lr=lr, beta=beta, start=start, steps=steps)


# -- the first steps, by hand ----------------------------------------------------------------------
LR, BETA = 0.02, 0.9
X0, Y0 = 1.5, -0.5


def test_sgd_first_steps_by_hand(quadratic):
    run = run_on(quadratic, "sgd", LR, BETA, (X0, Y0))
    x1, y1 = X0 - LR * 2 * X0, Y0 - LR * 20 * Y0
    x2, y2 = x1 - LR * 2 * x1, y1 - LR * 20 * y1
    x3, y3 = x2 - LR * 2 * x2, y2 - LR * 20 * y2
    expected = [(X0, Y0), (x1, y1), (x2, y2), (x3, y3)]
    np.testing.assert_allclose(run.path, expected, rtol=1e-15)
    np.testing.assert_allclose(run.path[1:], [(1.44, -0.3), (1.3824, -0.18), (1.327104, -0.108)],
                               rtol=1e-14)
    # sgd's velocity is the gradient it followed: the one at the previous position
    np.testing.assert_allclose(run.velocity, [(0, 0), (2 * X0, 20 * Y0), (2 * x1, 20 * y1),
                                              (2 * x2, 20 * y2)], rtol=1e-15)


def test_momentum_first_steps_by_hand(quadratic):
    run = run_on(quadratic, "momentum", LR, BETA, (X0, Y0))
    vx1, vy1 = 2 * X0, 20 * Y0  # v₁ = g₀ = (3, −10)
    x1, y1 = X0 - LR * vx1, Y0 - LR * vy1  # (1.44, −0.3)
    vx2, vy2 = BETA * vx1 + 2 * x1, BETA * vy1 + 20 * y1  # (5.58, −15)
    x2, y2 = x1 - LR * vx2, y1 - LR * vy2  # (1.3284, 0)
    vx3, vy3 = BETA * vx2 + 2 * x2, BETA * vy2 + 20 * y2  # (7.6788, −13.5)
    x3, y3 = x2 - LR * vx3, y2 - LR * vy3  # (1.174824, 0.27)
    np.testing.assert_allclose(run.path, [(X0, Y0), (x1, y1), (x2, y2), (x3, y3)], rtol=1e-15,
                               atol=1e-16)
    np.testing.assert_allclose(run.path[1:], [(1.44, -0.3), (1.3284, 0.0), (1.174824, 0.27)],
                               rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(run.velocity, [(0, 0), (vx1, vy1), (vx2, vy2), (vx3, vy3)],
                               rtol=1e-15)
    np.testing.assert_allclose(run.velocity[1:], [(3, -10), (5.58, -15), (7.6788, -13.5)],
                               rtol=1e-14)


def test_nesterov_first_steps_by_hand(quadratic):
    run = run_on(quadratic, "nesterov", LR, BETA, (X0, Y0))
    gx0, gy0 = 2 * X0, 20 * Y0
    vx1, vy1 = gx0, gy0
    x1, y1 = X0 - LR * (gx0 + BETA * vx1), Y0 - LR * (gy0 + BETA * vy1)  # (1.386, −0.12)
    gx1, gy1 = 2 * x1, 20 * y1
    vx2, vy2 = BETA * vx1 + gx1, BETA * vy1 + gy1  # (5.472, −11.4)
    x2, y2 = x1 - LR * (gx1 + BETA * vx2), y1 - LR * (gy1 + BETA * vy2)  # (1.232064, 0.1332)
    gx2, gy2 = 2 * x2, 20 * y2
    vx3, vy3 = BETA * vx2 + gx2, BETA * vy2 + gy2
    x3, y3 = x2 - LR * (gx2 + BETA * vx3), y2 - LR * (gy2 + BETA * vy3)
    np.testing.assert_allclose(run.path, [(X0, Y0), (x1, y1), (x2, y2), (x3, y3)], rtol=1e-15)
    np.testing.assert_allclose(run.path[1:3], [(1.386, -0.12), (1.232064, 0.1332)], rtol=1e-14)
    np.testing.assert_allclose(run.velocity, [(0, 0), (vx1, vy1), (vx2, vy2), (vx3, vy3)],
                               rtol=1e-15)


def test_ema_first_steps_by_hand(quadratic):
    run = run_on(quadratic, "ema", LR, BETA, (X0, Y0))
    vx1, vy1 = (1 - BETA) * 2 * X0, (1 - BETA) * 20 * Y0  # (0.3, −1)
    x1, y1 = X0 - LR * vx1, Y0 - LR * vy1  # (1.494, −0.48)
    vx2, vy2 = BETA * vx1 + (1 - BETA) * 2 * x1, BETA * vy1 + (1 - BETA) * 20 * y1
    x2, y2 = x1 - LR * vx2, y1 - LR * vy2  # (1.482624, −0.4428)
    vx3, vy3 = BETA * vx2 + (1 - BETA) * 2 * x2, BETA * vy2 + (1 - BETA) * 20 * y2
    x3, y3 = x2 - LR * vx3, y2 - LR * vy3
    np.testing.assert_allclose(run.path, [(X0, Y0), (x1, y1), (x2, y2), (x3, y3)], rtol=1e-14)
    np.testing.assert_allclose(run.path[1:3], [(1.494, -0.48), (1.482624, -0.4428)], rtol=1e-14)
    np.testing.assert_allclose(run.velocity[1:3], [(0.3, -1), (0.5688, -1.86)], rtol=1e-14)


def test_momentum_on_booth_by_hand():
    booth = mv.get_surface("booth")  # ∇f = (10x + 8y − 34, 8x + 10y − 38)
    run = mv.simulate(booth, optimizer="momentum", lr=0.05, beta=0.8, steps=2)
    assert booth.start == (-8.0, -7.0)
    gx0, gy0 = 10 * -8 + 8 * -7 - 34, 8 * -8 + 10 * -7 - 38  # (−170, −172)
    x1, y1 = -8 - 0.05 * gx0, -7 - 0.05 * gy0  # (0.5, 1.6)
    gx1, gy1 = 10 * x1 + 8 * y1 - 34, 8 * x1 + 10 * y1 - 38  # (−16.2, −18)
    vx2, vy2 = 0.8 * gx0 + gx1, 0.8 * gy0 + gy1  # (−152.2, −155.6)
    x2, y2 = x1 - 0.05 * vx2, y1 - 0.05 * vy2  # (8.11, 9.38)
    np.testing.assert_allclose(run.path, [(-8, -7), (x1, y1), (x2, y2)], rtol=1e-14)
    np.testing.assert_allclose(run.path[2], (8.11, 9.38), rtol=1e-13)
    np.testing.assert_allclose(run.grad[:2], [(gx0, gy0), (gx1, gy1)], rtol=1e-13)


def test_sgd_on_bowl_by_hand():
    bowl = mv.get_surface("bowl")  # ∇f = 2θ, so θ_k = (1 − 2lr)^k θ₀
    run = mv.simulate(bowl, optimizer="sgd", lr=0.1, start=(1.0, -2.0), steps=3)
    np.testing.assert_allclose(run.path, [(1, -2), (0.8, -1.6), (0.64, -1.28), (0.512, -1.024)],
                               rtol=1e-15)


# -- torch.optim.SGD, transcribed ------------------------------------------------------------------
def torch_sgd(grad, start, lr, beta, nesterov, steps):
    """torch.optim.SGD's update with momentum (dampening 0, no weight decay) as a float loop:
    buf = g on the first step, else buf = β·buf + g; d = g + β·buf if nesterov else buf;
    p = p − lr·d. ``grad(k, x, y)`` gives the gradient at step k."""
    x, y = float(start[0]), float(start[1])
    buf = None
    path, velocity = [(x, y)], [(0.0, 0.0)]
    for k in range(steps):
        gx, gy = (float(g) for g in grad(k, x, y))
        buf = (gx, gy) if buf is None else (beta * buf[0] + gx, beta * buf[1] + gy)
        dx, dy = (gx + beta * buf[0], gy + beta * buf[1]) if nesterov else buf
        x, y = x - lr * dx, y - lr * dy
        path.append((x, y))
        velocity.append(buf)
    return np.array(path), np.array(velocity)


# Settings where trajectories are stable enough that rounding differences stay at rounding level.
TORCH_CASES = [
    ("rosenbrock", 5e-4, 0.9), ("rosenbrock", 1e-3, 0.8), ("beale", 0.002, 0.9),
    ("himmelblau", 0.01, 0.9), ("rastrigin", 0.002, 0.9), ("rastrigin", 0.004, 0.95),
    ("six_hump_camel", 0.02, 0.9), ("booth", 0.01, 0.8),
]


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
@pytest.mark.parametrize("surface_id, lr, beta", TORCH_CASES)
def test_matches_torch_sgd_with_an_independent_gradient(optimizer, surface_id, lr, beta):
    """1000 steps against the torch update driven by the lambdified gradient (a different code
    path from the loop's compiled kernel): equal to float64 rounding."""
    surface = mv.get_surface(surface_id)
    steps = 1000
    run = mv.simulate(surface, optimizer=optimizer, lr=lr, beta=beta, steps=steps)
    path, velocity = torch_sgd(lambda k, x, y: surface.grad(x, y), surface.start, lr, beta,
                               optimizer == "nesterov", steps)
    assert run.diverged_at is None
    np.testing.assert_allclose(run.path, path, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(run.velocity, velocity, rtol=1e-12,
                               atol=1e-12 * np.max(np.abs(velocity)))


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
@pytest.mark.parametrize("surface_id", ["rosenbrock", "beale", "himmelblau", "rastrigin",
                                        "six_hump_camel", "ravine"])
def test_update_arithmetic_is_exactly_torchs(optimizer, surface_id):
    """Fed the same gradients (the run's own exact gradient at each row, checked against the
    lambdified gradient in test_simulate), the update is the same IEEE operations in the same
    order as torch's (β·buf + g, then g + β·buf, then p − lr·d): equal to the last bit, over
    2000 steps with the preset's own settings."""
    surface = mv.get_surface(surface_id)
    steps = 2000
    run = mv.simulate(surface, optimizer=optimizer, lr=surface.lr, beta=surface.beta,
                      steps=steps)
    last = steps if run.diverged_at is None else run.diverged_at
    path, velocity = torch_sgd(lambda k, x, y: run.grad[k], surface.start, surface.lr,
                               surface.beta, optimizer == "nesterov", last)
    np.testing.assert_array_equal(run.path[: last + 1], path)
    np.testing.assert_array_equal(run.velocity[: last + 1], velocity)


def test_sgd_and_ema_update_arithmetic_is_exact():
    surface = mv.get_surface("himmelblau")
    lr, beta, steps = 0.01, 0.7, 500
    sgd = mv.simulate(surface, optimizer="sgd", lr=lr, beta=beta, steps=steps)
    x, y = surface.start
    for k in range(steps):
        gx, gy = sgd.grad[k]
        x, y = x - lr * gx, y - lr * gy
        assert (x, y) == tuple(sgd.path[k + 1])
    ema = mv.simulate(surface, optimizer="ema", lr=lr, beta=beta, steps=steps)
    (x, y), (vx, vy) = surface.start, (0.0, 0.0)
    for k in range(steps):
        gx, gy = ema.grad[k]
        vx, vy = beta * vx + (1 - beta) * gx, beta * vy + (1 - beta) * gy
        x, y = x - lr * vx, y - lr * vy
        assert (x, y) == tuple(ema.path[k + 1])
        assert (vx, vy) == tuple(ema.velocity[k + 1])


# -- equivalences ----------------------------------------------------------------------------------
@pytest.mark.parametrize("surface_id, lr, beta", [("bowl", 0.2, 0.8), ("ravine", 0.1, 0.9),
                                                  ("booth", 0.2, 0.5), ("rosenbrock", 0.01, 0.9),
                                                  ("himmelblau", 0.05, 0.95)])
def test_ema_is_momentum_with_a_scaled_learning_rate(surface_id, lr, beta):
    surface = mv.get_surface(surface_id)
    ema = mv.simulate(surface, optimizer="ema", lr=lr, beta=beta, steps=400)
    heavy = mv.simulate(surface, optimizer="momentum", lr=lr * (1 - beta), beta=beta, steps=400)
    assert ema.diverged_at is heavy.diverged_at is None
    scale = np.max(np.abs(heavy.path))
    np.testing.assert_allclose(ema.path, heavy.path, rtol=1e-10, atol=1e-12 * scale)
    # and ema's velocity is (1 − β) times the heavy ball's
    np.testing.assert_allclose(ema.velocity, (1 - beta) * heavy.velocity, rtol=1e-10,
                               atol=1e-12 * np.max(np.abs(ema.velocity)))


@pytest.mark.parametrize("surface_id", ["bowl", "booth", "rosenbrock", "beale", "rastrigin"])
def test_zero_beta_momentum_and_nesterov_are_sgd(surface_id):
    """With β = 0: v = 0·v + g = g and g + 0·v = g exactly, so the paths are identical."""
    surface = mv.get_surface(surface_id)
    kwargs = dict(lr=surface.lr, beta=0.0, steps=300)
    sgd = mv.simulate(surface, optimizer="sgd", **kwargs)
    for optimizer in ("momentum", "nesterov"):
        other = mv.simulate(surface, optimizer=optimizer, **kwargs)
        np.testing.assert_array_equal(other.path, sgd.path)
        np.testing.assert_array_equal(other.velocity, sgd.velocity)
    # sgd ignores β altogether
    np.testing.assert_array_equal(
        mv.simulate(surface, optimizer="sgd", lr=surface.lr, beta=0.9, steps=300).path, sgd.path
    )


@pytest.mark.parametrize("surface_id, lr, momentum", [("ravine", 0.05, 0.9), ("booth", 0.1, 0.8),
                                                      ("himmelblau", 0.02, 0.9)])
def test_the_seed_documents_form_is_ema(surface_id, lr, momentum):
    """The loop from the seed document, as written there, with the lambdified gradient."""
    surface = mv.get_surface(surface_id)
    learning_rate, steps = lr, 300
    theta = np.array(surface.start, dtype=float)
    velocity = np.zeros(2)
    path = [theta]
    for _ in range(steps):
        gradient = np.array([float(g) for g in surface.grad(*theta)])
        velocity = momentum * velocity + (1 - momentum) * gradient
        theta = theta - learning_rate * velocity
        path.append(theta)
    run = mv.simulate(surface, optimizer="ema", lr=lr, beta=momentum, steps=steps)
    np.testing.assert_allclose(run.path, np.array(path), rtol=1e-12, atol=1e-12)


def test_effective_learning_rate():
    assert mv.effective_lr("sgd", 0.1, 0.9) == 0.1
    assert mv.effective_lr("ema", 0.1, 0.9) == 0.1
    assert mv.effective_lr("momentum", 0.1, 0.9) == pytest.approx(1.0)
    assert mv.effective_lr("nesterov", 0.1, 0.75) == pytest.approx(0.4)


def test_terminal_velocity_under_a_constant_gradient():
    """On a plane f = 3x + y the heavy ball's step tends to lr·g/(1−β) and ema's to lr·g."""
    plane = mv.surface_from_formula("3x + y", domain=((-1e4, 1e4), (-1e4, 1e4)))
    lr, beta = 0.01, 0.9
    for optimizer in FAMILY:
        run = mv.simulate(plane, optimizer=optimizer, lr=lr, beta=beta, steps=400, start=(0, 0))
        last_step = run.path[-2] - run.path[-1]
        expected = mv.effective_lr(optimizer, lr, beta) * np.array([3.0, 1.0])
        np.testing.assert_allclose(last_step, expected, rtol=1e-12)


def test_optimizer_names():
    assert (*FAMILY, "adam", "rmsprop", "adagrad") == mv.OPTIMIZERS
    assert [mv.optimizers.get(o).linear_theory for o in mv.OPTIMIZERS] == [*FAMILY, None,
                                                                           None, None]
    with pytest.raises(ValueError):
        mv.effective_lr("adam", 0.1, 0.9)


# -- the rules themselves, element-wise ------------------------------------------------------------
finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=100)
@given(
    st.lists(st.tuples(finite, finite, st.floats(1e-6, 10), st.floats(0, 0.999)),
             min_size=1, max_size=8)
)
def test_rules_broadcast_per_element(rows):
    g, v, lr, beta = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    expected = {
        "sgd": (lr * g, g),
        "momentum": (lr * (beta * v + g), beta * v + g),
        "nesterov": (lr * (g + beta * (beta * v + g)), beta * v + g),
        "ema": (lr * (beta * v + (1 - beta) * g), beta * v + (1 - beta) * g),
    }
    for name in FAMILY:
        step, new_v = getattr(mv.optimizers, name)(g, v, lr, beta)
        np.testing.assert_array_equal(step, expected[name][0])
        np.testing.assert_array_equal(new_v, expected[name][1])
        assert not np.shares_memory(new_v, g)  # the loop reuses g's buffer
