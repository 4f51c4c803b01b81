"""Learning-rate schedules against independent transcriptions of torch.optim.lr_scheduler's
chainable ``get_lr`` (what ``scheduler.step()`` calls; the closed form is used only when an epoch
is passed), stepped once after every optimizer step: the lr of every step, to the bit.

torch (last_epoch = e, group lr = the previous lr, base = the initial lr):
    StepLR             e == 0 or e % step_size != 0: lr;  else lr·γ
    ExponentialLR      e == 0: lr;  else lr·γ
    CosineAnnealingLR  e == 0: lr;  (e − 1 − T) % 2T == 0: lr + (base − η)(1 − cos(π/T))/2;
                       else (1 + cos(πe/T)) / (1 + cos(π(e−1)/T))·(lr − η) + η
    LinearLR           e == 0: lr·start;  e > total: lr;
                       else lr·(1 + (end − start)/(total·start + (e − 1)(end − start)))
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz import schedules

STEPS = 250


def torch_lrs(kind, base, steps, **p):
    lr = base
    out = []
    for e in range(steps + 1):
        if kind == "step":
            if not (e == 0 or e % p["step_size"] != 0):
                lr = lr * p["gamma"]
        elif kind == "exponential":
            if e != 0:
                lr = lr * p["gamma"]
        elif kind == "cosine":
            t, eta = p["t_max"], p["eta_min"]
            if e == 0:
                pass
            elif (e - 1 - t) % (2 * t) == 0:
                lr = lr + (base - eta) * (1 - math.cos(math.pi / t)) / 2
            else:
                lr = ((1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
                      * (lr - eta) + eta)
        elif kind == "warmup":
            start, end, total = p["start_factor"], 1.0, p["total_iters"]
            if e == 0:
                lr = lr * start
            elif e <= total:
                lr = lr * (1.0 + (end - start) / (total * start + (e - 1) * (end - start)))
        out.append(lr)
    return np.array(out)


def closed_form(kind, base, steps, **p):
    e = np.arange(steps + 1)
    if kind == "step":
        return base * p["gamma"] ** (e // p["step_size"])
    if kind == "exponential":
        return base * p["gamma"] ** e
    if kind == "cosine":
        return p["eta_min"] + (base - p["eta_min"]) * (1 + np.cos(np.pi * e / p["t_max"])) / 2
    start, total = p["start_factor"], p["total_iters"]
    return base * (start + (1 - start) * np.minimum(e, total) / total)


CASES = [
    ("step", dict(step_size=30, gamma=0.5)), ("step", dict(step_size=1, gamma=0.9)),
    ("step", dict(step_size=7, gamma=1.0)),
    ("exponential", dict(gamma=0.99)), ("exponential", dict(gamma=0.5)),
    ("cosine", dict(t_max=100, eta_min=0.0)), ("cosine", dict(t_max=37, eta_min=1e-4)),
    ("cosine", dict(t_max=1, eta_min=0.0)), ("cosine", dict(t_max=500, eta_min=0.001)),
    ("warmup", dict(total_iters=50, start_factor=0.1)),
    ("warmup", dict(total_iters=1, start_factor=0.5)),
    ("warmup", dict(total_iters=400, start_factor=1 / 3)),
]


@pytest.mark.parametrize("kind, params", CASES)
@pytest.mark.parametrize("base", [0.01, 0.3, 1e-5])
def test_the_lr_of_every_step_is_torchs(kind, params, base):
    schedule = schedules.SCHEDULES[kind](**params)
    expected = torch_lrs(kind, base, STEPS, **params)
    np.testing.assert_array_equal(schedule.lrs(base, STEPS), expected)
    # and the closed form, to rounding (the two forms differ in the last bits)
    np.testing.assert_allclose(expected, closed_form(kind, base, STEPS, **params), rtol=1e-9,
                               atol=1e-12 * base)


@pytest.mark.parametrize("kind, params", CASES)
def test_array_bases_follow_the_same_arithmetic(kind, params):
    """The engine steps an array of base lrs (a sweep, or several runs) element-wise."""
    schedule = schedules.SCHEDULES[kind](**params)
    bases = np.array([0.01, 0.3, 1e-5, 2.0])
    lr = schedule.first(bases)
    rows = [lr]
    for e in range(1, STEPS + 1):
        lr = schedule.next(lr, bases, e)
        rows.append(lr)
    table = np.broadcast_to(np.array(rows).T, (len(bases), STEPS + 1))
    for b, row in zip(bases, table, strict=True):
        np.testing.assert_array_equal(row, schedule.lrs(b, STEPS))


def test_cosine_reaches_eta_min_at_t_max_and_rises_after():
    lrs = schedules.cosine(100, 0.001).lrs(0.1, 300)
    assert lrs[0] == 0.1
    assert lrs[100] == pytest.approx(0.001, abs=1e-15)
    assert np.all(np.diff(lrs[:101]) < 0) and np.all(np.diff(lrs[101:201]) > 0)
    assert lrs[200] == pytest.approx(0.1, rel=1e-12)


def test_warmup_reaches_the_base_lr_and_stays():
    lrs = schedules.warmup(10, 0.1).lrs(0.5, 40)
    assert lrs[0] == 0.05
    assert lrs[10] == pytest.approx(0.5, rel=1e-14)
    assert np.all(lrs[10:] == lrs[10])


def momentum_by_hand(surface, lrs, beta, steps, run):
    """v ← βv + g; θ ← θ − lr_k·v, fed the run's exact gradients."""
    (x, y), (vx, vy) = surface.start, (0.0, 0.0)
    path = [(x, y)]
    for k in range(steps):
        gx, gy = run.grad[k]
        vx, vy = beta * vx + gx, beta * vy + gy
        x, y = x - lrs[k] * vx, y - lrs[k] * vy
        path.append((x, y))
    return np.array(path)


@pytest.mark.parametrize("kind, params", CASES)
def test_a_scheduled_run_uses_the_schedules_lr_at_each_step(kind, params):
    surface = mv.get_surface("ravine")
    schedule = schedules.SCHEDULES[kind](**params)
    run = mv.simulate(surface, optimizer="momentum", lr=0.03, beta=0.8, schedule=schedule,
                      steps=STEPS)
    expected_lrs = torch_lrs(kind, 0.03, STEPS, **params)
    np.testing.assert_array_equal(run.lrs, expected_lrs)
    np.testing.assert_array_equal(run.path, momentum_by_hand(surface, expected_lrs, 0.8,
                                                             STEPS, run))


@pytest.mark.parametrize("optimizer", mv.OPTIMIZERS)
def test_a_constant_schedule_equals_no_schedule(optimizer):
    surface = mv.get_surface("himmelblau")
    plain = mv.simulate(surface, optimizer=optimizer, lr=0.01, steps=200, noise=0.2)
    constant = mv.simulate(surface, optimizer=optimizer, lr=0.01, steps=200, noise=0.2,
                           schedule=schedules.constant())
    for a, b in ((plain.path, constant.path), (plain.velocity, constant.velocity),
                 (plain.lrs, constant.lrs)):
        np.testing.assert_array_equal(a, b)
    assert np.all(plain.lrs == 0.01) and plain.lrs.shape == (201,)


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "rmsprop"])
def test_sweep_cells_equal_scheduled_runs(optimizer):
    surface = mv.get_surface("booth")
    schedule = schedules.cosine(60, 1e-4)
    lrs, betas = [0.01, 0.05, 0.2], [0.0, 0.7]
    result = mv.sweep(surface, optimizer=optimizer, lrs=lrs, betas=betas, steps=150,
                      schedule=schedule)
    assert result.schedule == schedule
    for i, beta in enumerate(betas):
        for j, lr in enumerate(lrs):
            run = mv.simulate(surface, optimizer=optimizer, lr=lr, beta=beta, steps=150,
                              schedule=schedule)
            stc = run.metrics().steps_to_converge
            assert result.steps_to_converge[i, j] == (-1 if stc is None else stc)
            np.testing.assert_array_equal(result.final_loss[i, j], run.metrics().final_loss)


def test_labels_and_equality():
    assert schedules.cosine(200) == schedules.cosine(200, 0.0) != schedules.cosine(100)
    assert schedules.constant() == schedules.constant()
    assert len({schedules.step(10, 0.5), schedules.step(10, 0.5)}) == 1  # hashable
    spec = mv.RunSpec("momentum", 0.1, 0.9, schedule=schedules.cosine(200))
    assert spec.label == "Momentum β=0.9 · cosine t_max=200"
    assert mv.RunSpec("sgd", 0.1, schedule=schedules.constant()).label == "SGD"


@pytest.mark.parametrize("build, word", [
    (lambda: schedules.step(0, 0.5), "step_size"), (lambda: schedules.step(2.5, 0.5), "step_size"),
    (lambda: schedules.step(True, 0.5), "step_size"), (lambda: schedules.step(10, 0.0), "gamma"),
    (lambda: schedules.step(10, 1.5), "gamma"), (lambda: schedules.step(10, math.nan), "gamma"),
    (lambda: schedules.exponential(0.0), "gamma"), (lambda: schedules.exponential(-1), "gamma"),
    (lambda: schedules.exponential(math.inf), "gamma"),
    (lambda: schedules.cosine(0), "t_max"), (lambda: schedules.cosine(-5), "t_max"),
    (lambda: schedules.cosine(math.inf), "t_max"), (lambda: schedules.cosine(10, -1.0), "eta_min"),
    (lambda: schedules.cosine(10, math.nan), "eta_min"),
    (lambda: schedules.warmup(0, 0.5), "total_iters"),
    (lambda: schedules.warmup(10, 0.0), "start_factor"),
    (lambda: schedules.warmup(10, 1.5), "start_factor"),
    (lambda: mv.simulate(mv.get_surface("bowl"), optimizer="sgd", lr=0.1, steps=5,
                         schedule="cosine"), "schedule"),
])
def test_bad_schedule_parameters_are_value_errors(build, word):
    with pytest.raises(ValueError, match=word):
        build()
