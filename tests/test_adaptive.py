"""Adam, RMSprop and AdaGrad against independent transcriptions of torch.optim's documented
single-tensor updates (scalar Python, one coordinate at a time, in torch's order of operations),
by hand at the first steps, and by their properties.

torch (CPU, 2-element parameter, so the scalar kernels):
    Adam     exp_avg.lerp_(g, 1−β₁); exp_avg_sq.mul_(β₂).addcmul_(g, g, value=1−β₂);
             bc1 = 1 − β₁^t; bc2 = 1 − β₂^t; denom = (√exp_avg_sq / √bc2) + ε;
             p.addcdiv_(exp_avg, denom, value=−lr/bc1)
    RMSprop  square_avg.mul_(α).addcmul_(g, g, value=1−α); avg = √square_avg + ε;
             momentum > 0: buf.mul_(μ).addcdiv_(g, avg); p.add_(buf, alpha=−lr)
             else:         p.addcdiv_(g, avg, value=−lr)
    Adagrad  state_sum.addcmul_(g, g, value=1); std = √state_sum + ε; p.addcdiv_(g, std, value=−lr)
with lerp(a, b, w) = a + w(b − a) if |w| < 0.5 else b − (b − a)(1 − w),
addcmul(s, x, y, value=c) = s + c·x·y and addcdiv(s, x, y, value=c) = s + c·x/y.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import momentum_viz as mv

ADAPTIVE = ("adam", "rmsprop", "adagrad")


def lerp(a, b, w):
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


def torch_adam(grad_at, start, lr, beta1, beta2, eps, steps, lrs=None):
    p, exp_avg, exp_avg_sq = list(start), [0.0, 0.0], [0.0, 0.0]
    path, moments = [tuple(p)], [(0.0, 0.0)]
    for k in range(steps):
        g = grad_at(k, p)
        step = k + 1
        lr_k = lr if lrs is None else lrs[k]
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr_k / bias_correction1
        bias_correction2_sqrt = math.sqrt(bias_correction2)
        for i in range(2):
            exp_avg[i] = lerp(exp_avg[i], g[i], 1 - beta1)
            exp_avg_sq[i] = exp_avg_sq[i] * beta2 + (1 - beta2) * g[i] * g[i]
            denom = math.sqrt(exp_avg_sq[i]) / bias_correction2_sqrt + eps
            p[i] = p[i] + (-step_size) * exp_avg[i] / denom
        path.append(tuple(p))
        moments.append(tuple(exp_avg))
    return np.array(path), np.array(moments)


def torch_rmsprop(grad_at, start, lr, alpha, eps, momentum, steps, lrs=None):
    p, square_avg, buf = list(start), [0.0, 0.0], [0.0, 0.0]
    path = [tuple(p)]
    for k in range(steps):
        g = grad_at(k, p)
        lr_k = lr if lrs is None else lrs[k]
        for i in range(2):
            square_avg[i] = square_avg[i] * alpha + (1 - alpha) * g[i] * g[i]
            avg = math.sqrt(square_avg[i]) + eps
            if momentum > 0:
                buf[i] = buf[i] * momentum + 1 * g[i] / avg
                p[i] = p[i] + (-lr_k) * buf[i]
            else:
                p[i] = p[i] + (-lr_k) * g[i] / avg
        path.append(tuple(p))
    return np.array(path)


def torch_adagrad(grad_at, start, lr, eps, steps):
    p, state_sum = list(start), [0.0, 0.0]
    path = [tuple(p)]
    for k in range(steps):
        g = grad_at(k, p)
        step = k + 1
        clr = lr / (1 + (step - 1) * 0.0)  # lr_decay = 0
        for i in range(2):
            state_sum[i] = state_sum[i] + 1 * g[i] * g[i]
            std = math.sqrt(state_sum[i]) + eps
            p[i] = p[i] + (-clr) * g[i] / std
        path.append(tuple(p))
    return np.array(path)


def exact_gradients(run):
    """The run's own exact gradient at row k (checked against the lambdified gradient in
    test_simulate), so the update arithmetic alone is compared."""
    return lambda k, p: tuple(float(v) for v in run.grad[k])


CASES = [("ravine", 0.05), ("rosenbrock", 0.01), ("himmelblau", 0.05), ("beale", 0.02),
         ("six_hump_camel", 0.02), ("booth", 0.1)]


@pytest.mark.parametrize("surface_id, lr", CASES)
@pytest.mark.parametrize("beta1, beta2, eps", [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3),
                                               (0.0, 0.99, 1e-8), (0.7, 0.0, 1e-8)])
def test_adam_is_torchs_update_to_the_bit(surface_id, lr, beta1, beta2, eps):
    surface = mv.get_surface(surface_id)
    steps = 600
    run = mv.simulate(surface, optimizer="adam", lr=lr, beta=beta1, beta2=beta2, eps=eps,
                      steps=steps)
    last = steps if run.diverged_at is None else run.diverged_at
    path, moments = torch_adam(exact_gradients(run), surface.start, lr, beta1, beta2, eps, last)
    np.testing.assert_array_equal(run.path[:last + 1], path)
    np.testing.assert_array_equal(run.velocity[:last + 1], moments)  # Adam's velocity is m


@pytest.mark.parametrize("surface_id, lr", CASES)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("alpha, eps", [(0.99, 1e-8), (0.9, 1e-4)])
def test_rmsprop_is_torchs_update_to_the_bit(surface_id, lr, momentum, alpha, eps):
    surface = mv.get_surface(surface_id)
    steps = 600
    lr = lr / 10 if momentum else lr
    run = mv.simulate(surface, optimizer="rmsprop", lr=lr, beta=momentum, beta2=alpha, eps=eps,
                      steps=steps)
    last = steps if run.diverged_at is None else run.diverged_at
    path = torch_rmsprop(exact_gradients(run), surface.start, lr, alpha, eps, momentum, last)
    np.testing.assert_array_equal(run.path[:last + 1], path)


@pytest.mark.parametrize("surface_id, lr", CASES)
@pytest.mark.parametrize("eps", [1e-10, 1e-2])
def test_adagrad_is_torchs_update_to_the_bit(surface_id, lr, eps):
    surface = mv.get_surface(surface_id)
    steps = 600
    run = mv.simulate(surface, optimizer="adagrad", lr=lr * 5, eps=eps, steps=steps)
    last = steps if run.diverged_at is None else run.diverged_at
    path = torch_adagrad(exact_gradients(run), surface.start, lr * 5, eps, last)
    np.testing.assert_array_equal(run.path[:last + 1], path)


@pytest.mark.parametrize("optimizer, kwargs, reference", [
    ("adam", dict(beta=0.9, beta2=0.999, eps=1e-8),
     lambda grad, s, lr: torch_adam(grad, s, lr, 0.9, 0.999, 1e-8, 400)[0]),
    ("rmsprop", dict(beta=0.5, beta2=0.99, eps=1e-8),
     lambda grad, s, lr: torch_rmsprop(grad, s, lr, 0.99, 1e-8, 0.5, 400)),
    ("adagrad", dict(eps=1e-10), lambda grad, s, lr: torch_adagrad(grad, s, lr, 1e-10, 400)),
])
def test_paths_follow_torch_with_an_independent_gradient(optimizer, kwargs, reference):
    """Driven by the lambdified gradient (a different code path from the loop's kernel): equal
    to float64 rounding."""
    surface = mv.get_surface("himmelblau")
    run = mv.simulate(surface, optimizer=optimizer, lr=0.05, steps=400, **kwargs)
    path = reference(lambda k, p: tuple(float(v) for v in surface.grad(*p)), surface.start, 0.05)
    np.testing.assert_allclose(run.path, path, rtol=1e-10, atol=1e-12)


# -- the first steps by hand -----------------------------------------------------------------------
QUADRATIC = "x^2 + 10y^2"  # ∇f = (2x, 20y)
X0, Y0 = 1.5, -0.5


def test_adams_bias_correction_makes_the_first_step_lr_in_each_coordinate():
    """m₁ = (1−β₁)g and s₁ = (1−β₂)g², so m̂ = g and ŝ = g²: the first step is lr·g/(|g|+ε),
    whatever the scale of g. Without the correction it would be (1−β₁)/√(1−β₂) ≈ 3.16 times
    that."""
    surface = mv.surface_from_formula(QUADRATIC)
    lr = 0.01
    run = mv.simulate(surface, optimizer="adam", lr=lr, start=(X0, Y0), steps=2)
    gx, gy = 2 * X0, 20 * Y0
    np.testing.assert_allclose(run.path[1], [X0 - lr * gx / (abs(gx) + 1e-8),
                                             Y0 - lr * gy / (abs(gy) + 1e-8)], rtol=1e-14)
    # step 2 by hand: m₂ = β₁m₁ + (1−β₁)g₂, s₂ likewise, corrections 1−β^2
    x1, y1 = run.path[1]
    g1, g2 = np.array([gx, gy]), np.array([2 * x1, 20 * y1])
    m = 0.9 * (0.1 * g1) + 0.1 * g2
    s = 0.999 * (0.001 * g1**2) + 0.001 * g2**2
    expected = run.path[1] - lr / (1 - 0.9**2) * m / (np.sqrt(s) / np.sqrt(1 - 0.999**2) + 1e-8)
    np.testing.assert_allclose(run.path[2], expected, rtol=1e-13)


def test_adams_eps_is_added_after_the_bias_corrected_square_root():
    """On a surface with gradients ~1e-8 the placement of ε decides the step: torch adds ε to
    √s/√(1−β₂ᵗ), so the first step is lr·g/(|g| + ε) = 0.75·lr here (ε added before the
    correction would give lr·g/(|g| + ε/√(1−β₂)) ≈ 0.087·lr)."""
    surface = mv.surface_from_formula("1e-8*x^2 + 1e-8*y^2")
    lr = 0.1
    run = mv.simulate(surface, optimizer="adam", lr=lr, start=(1.5, 1.5), steps=1)
    g = 2e-8 * 1.5
    step = 1.5 - run.path[1, 0]
    assert step == pytest.approx(lr * g / (g + 1e-8), rel=1e-12)
    assert step == pytest.approx(0.75 * lr, rel=1e-12)


def test_rmsprop_first_steps_by_hand():
    surface = mv.surface_from_formula(QUADRATIC)
    lr, alpha, eps = 0.01, 0.99, 1e-8
    plain = mv.simulate(surface, optimizer="rmsprop", lr=lr, start=(X0, Y0), steps=2)
    assert plain.beta == 0.0 and plain.beta2 == 0.99 and plain.eps == 1e-8  # torch's defaults
    g = np.array([2 * X0, 20 * Y0])
    s1 = (1 - alpha) * g * g
    theta1 = np.array([X0, Y0]) - lr * g / (np.sqrt(s1) + eps)
    np.testing.assert_allclose(plain.path[1], theta1, rtol=1e-14)
    np.testing.assert_allclose(plain.path[1], [X0 - lr / 0.1, Y0 + lr / 0.1], rtol=1e-6)
    heavy = mv.simulate(surface, optimizer="rmsprop", lr=lr, beta=0.9, start=(X0, Y0), steps=2)
    np.testing.assert_array_equal(heavy.path[1], plain.path[1])  # b₁ = g/a either way
    g2 = np.array([2 * heavy.path[1, 0], 20 * heavy.path[1, 1]])
    s2 = alpha * s1 + (1 - alpha) * g2 * g2
    b2 = 0.9 * (g / (np.sqrt(s1) + eps)) + g2 / (np.sqrt(s2) + eps)
    np.testing.assert_allclose(heavy.path[2], heavy.path[1] - lr * b2, rtol=1e-13)
    np.testing.assert_allclose(heavy.velocity[2], b2, rtol=1e-13)


def test_adagrad_first_steps_by_hand():
    surface = mv.surface_from_formula(QUADRATIC)
    lr = 0.5
    run = mv.simulate(surface, optimizer="adagrad", lr=lr, start=(X0, Y0), steps=2)
    assert run.eps == 1e-10
    g1 = np.array([2 * X0, 20 * Y0])
    theta1 = np.array([X0, Y0]) - lr * g1 / (np.abs(g1) + 1e-10)
    np.testing.assert_allclose(run.path[1], theta1, rtol=1e-14)
    g2 = np.array([2 * theta1[0], 20 * theta1[1]])
    theta2 = theta1 - lr * g2 / (np.sqrt(g1**2 + g2**2) + 1e-10)
    np.testing.assert_allclose(run.path[2], theta2, rtol=1e-14)


# -- properties ------------------------------------------------------------------------------------
@pytest.mark.parametrize("surface_id", ["ravine", "rosenbrock", "himmelblau", "booth"])
def test_adam_without_averaging_takes_sign_like_steps(surface_id):
    """β = β₂ = 0: m = g, s = g², no bias correction (1 − 0ᵗ = 1), so every step is
    lr·g/(|g| + ε) — to the bit, since √(g²) = |g| in floating point."""
    surface = mv.get_surface(surface_id)
    lr, eps = 0.01, 1e-8
    run = mv.simulate(surface, optimizer="adam", lr=lr, beta=0.0, beta2=0.0, steps=200)
    g = run.grad[:-1]
    np.testing.assert_array_equal(run.path[1:], run.path[:-1] - lr * g / (np.abs(g) + eps))
    assert np.all(np.abs(run.path[1:] - run.path[:-1]) <= lr * (1 + 1e-12))  # never above lr


@pytest.mark.parametrize("optimizer", ADAPTIVE)
def test_defaults_are_torchs_and_unused_parameters_are_ignored(optimizer):
    surface = mv.get_surface("ravine")
    run = mv.simulate(surface, optimizer=optimizer, lr=0.01, steps=50)
    expected = {"adam": (0.9, 0.999, 1e-8), "rmsprop": (0.0, 0.99, 1e-8),
                "adagrad": (0.0, None, 1e-10)}[optimizer]
    assert (run.beta, run.beta2, run.eps) == expected
    explicit = mv.simulate(surface, optimizer=optimizer, lr=0.01, steps=50,
                           **{k: v for k, v in zip(("beta", "beta2", "eps"), expected,
                                                   strict=True) if v is not None})
    np.testing.assert_array_equal(run.path, explicit.path)
    # momentum ignores β₂ and ε, AdaGrad ignores β and β₂: no error, same path
    momentum = mv.simulate(surface, optimizer="momentum", lr=0.01, steps=50)
    np.testing.assert_array_equal(
        momentum.path,
        mv.simulate(surface, optimizer="momentum", lr=0.01, beta2=7.0, eps=-1.0, steps=50).path)
    np.testing.assert_array_equal(
        mv.simulate(surface, optimizer="adagrad", lr=0.01, steps=50).path,
        mv.simulate(surface, optimizer="adagrad", lr=0.01, beta=0.5, beta2=3.0, steps=50).path)


@pytest.mark.parametrize("kwargs, word", [
    (dict(optimizer="adam", beta2=1.0), "beta2"), (dict(optimizer="adam", beta2=-0.1), "beta2"),
    (dict(optimizer="rmsprop", beta2=math.nan), "beta2"),
    (dict(optimizer="adam", eps=0.0), "eps"), (dict(optimizer="adam", eps=-1e-8), "eps"),
    (dict(optimizer="rmsprop", eps=math.inf), "eps"),
    (dict(optimizer="adagrad", eps=math.nan), "eps"),
    (dict(optimizer="adam", beta=1.0), "beta"), (dict(optimizer="rmsprop", beta=-0.5), "beta"),
    (dict(optimizer="lion"), "adam, rmsprop, adagrad"),
])
def test_bad_hyper_parameters_are_value_errors_naming_them(kwargs, word):
    with pytest.raises(ValueError, match=word):
        mv.simulate(mv.get_surface("bowl"), lr=0.1, steps=5, **kwargs)
    with pytest.raises(ValueError, match=word):
        mv.sweep(mv.get_surface("bowl"), lrs=[0.1], steps=5,
                 betas=[kwargs.get("beta", 0.5)], **{k: v for k, v in kwargs.items()
                                                     if k != "beta"})


def test_mixed_optimizers_in_one_call_equal_each_run_alone():
    """Runs are grouped by rule and schedule (one engine call per group); with noise, each
    equals its run alone to the bit and all see the same noise."""
    surface = mv.get_surface("six_hump_camel")
    cosine = mv.schedules.cosine(50)
    specs = [mv.RunSpec("adam", 0.02), mv.RunSpec("momentum", 0.01, 0.9),
             mv.RunSpec("rmsprop", 0.005, 0.5), mv.RunSpec("adam", 0.05, 0.5, 0.9),
             mv.RunSpec("sgd", 0.01), mv.RunSpec("adagrad", 0.1),
             mv.RunSpec("momentum", 0.01, 0.9, schedule=cosine),
             mv.RunSpec("adam", 0.02, schedule=cosine), mv.RunSpec("rmsprop", 0.01)]
    runs = mv.simulate_many(surface, specs, steps=150, noise=0.3, seed=9)
    for spec, run in zip(specs, runs, strict=True):
        alone = mv.simulate(surface, optimizer=spec.optimizer, lr=spec.lr, beta=spec.beta,
                            beta2=spec.beta2, eps=spec.eps, schedule=spec.schedule,
                            steps=150, noise=0.3, seed=9)
        assert run.spec == alone.spec
        for a, b in ((run.path, alone.path), (run.velocity, alone.velocity),
                     (run.lrs, alone.lrs)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("optimizer", ADAPTIVE)
def test_sweep_cells_equal_simulate_runs(optimizer):
    surface = mv.get_surface("ravine")
    lrs, betas = [0.005, 0.02, 0.1, 3.0], [0.0, 0.5, 0.9]
    result = mv.sweep(surface, optimizer=optimizer, lrs=lrs, betas=betas, steps=300,
                      beta2=0.95 if optimizer != "adagrad" else None)
    for i, beta in enumerate(betas):
        for j, lr in enumerate(lrs):
            run = mv.simulate(surface, optimizer=optimizer, lr=lr, beta=beta,
                              beta2=0.95 if optimizer != "adagrad" else None, steps=300)
            m = run.metrics()
            assert result.steps_to_converge[i, j] == (m.steps_to_converge
                                                      if m.steps_to_converge is not None else -1)
            assert result.diverged[i, j] == (run.diverged_at is not None)
            np.testing.assert_array_equal(result.final_loss[i, j], m.final_loss)
    if optimizer == "adagrad":  # β is ignored: every row is the same run
        assert result.eps == 1e-10 and result.beta2 is None
        for i in range(1, len(betas)):
            np.testing.assert_array_equal(result.final_loss[i], result.final_loss[0])


def test_the_reading_and_metrics_cover_the_adaptive_optimizers():
    from momentum_viz.report import metrics_rows, reading
    surface = mv.get_surface("ravine")
    runs = mv.simulate_many(surface, [mv.RunSpec("adam", 0.05), mv.RunSpec("rmsprop", 0.01),
                                      mv.RunSpec("adagrad", 0.5), mv.RunSpec("adam", 50.0)],
                            steps=400)
    text = reading(runs)
    for label in ("Adam β=0.9", "RMSprop β=0", "AdaGrad"):
        assert label in text
    assert "diverged" in text or "above the minimum" in text
    rows = metrics_rows(runs)
    assert [r["run"] for r in rows] == [r.label for r in runs]


@pytest.mark.parametrize("schedule", [mv.schedules.cosine(80, 1e-4), mv.schedules.step(25, 0.5),
                                      mv.schedules.warmup(40, 0.05)])
def test_scheduled_adaptive_runs_are_torchs_update_with_the_schedules_lr(schedule):
    """The lr of step k (``Run.lrs``, checked against torch's schedulers in test_schedules)
    enters Adam's step size and RMSprop's step exactly as torch's param_group["lr"] does."""
    surface = mv.get_surface("himmelblau")
    steps = 200
    adam = mv.simulate(surface, optimizer="adam", lr=0.05, schedule=schedule, steps=steps)
    path, _ = torch_adam(exact_gradients(adam), surface.start, None, 0.9, 0.999, 1e-8, steps,
                         lrs=adam.lrs)
    np.testing.assert_array_equal(adam.path, path)
    heavy = mv.simulate(surface, optimizer="rmsprop", lr=0.005, beta=0.8, schedule=schedule,
                        steps=steps)
    path = torch_rmsprop(exact_gradients(heavy), surface.start, None, 0.99, 1e-8, 0.8, steps,
                         lrs=heavy.lrs)
    np.testing.assert_array_equal(heavy.path, path)


def test_the_tuning_map_of_an_adaptive_optimizer_draws_no_theory_curves():
    from momentum_viz.figures import tuning_figure
    surface = mv.get_surface("ravine")
    curvature = mv.theory.curvature(surface, surface.minima[0])
    for optimizer, curves in (("momentum", True), ("adam", False)):
        result = mv.sweep(surface, optimizer=optimizer, lrs=[0.01, 0.05], betas=[0.0, 0.9],
                          steps=50)
        names = [t.name or "" for t in tuning_figure(result, curvature=curvature).data]
        assert any(n.startswith("stability limit") for n in names) is curves
