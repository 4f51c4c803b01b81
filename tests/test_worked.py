"""This step, in numbers (momentum_viz.worked, momentum_viz.arithmetic and each registry entry's
``worked`` rule): the numbers are the run's own, the written-out arithmetic is true as shown.

Checked against hand-worked first steps, and at several steps of every optimizer against a
plain scalar transcription of its update (torch's order of operations) on x² + 10y², whose
gradient (2x, 20y) is written here by hand; each substituted line is re-evaluated from its text
in 60-digit decimal arithmetic, independently of the module's own check."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from decimal import Decimal, localcontext

import numpy as np
import pytest

import momentum_viz as mv
from momentum_viz import arithmetic, schedules
from momentum_viz.stage import stage_worked, worked_data
from momentum_viz.worked import worked_step, worked_steps


def _run(surface, optimizer, lr, beta=None, steps=40, start=(1.0, 2.0), **kw):
    return mv.simulate_many(surface, [mv.RunSpec(optimizer, lr, beta, **kw.pop("spec", {}))],
                            start=start, steps=steps, states=True, **kw)[0]


@pytest.fixture(scope="module")
def bowl():
    return mv.surface_from_formula("x^2 + y^2")  # ∇f = (2x, 2y)


@pytest.fixture(scope="module")
def ravine():
    return mv.surface_from_formula("x^2 + 10y^2")  # ∇f = (2x, 20y)


# -- hand-worked steps ----------------------------------------------------------------------------
# From (1, 2) on x² + y²: g₀ = (2, 4).
HAND = [
    ("sgd", 0.1, None, {}, 0, ["θ ← θ − lr·g = (1, 2) − 0.1·(2, 4) = (0.8, 1.6)"]),
    ("momentum", 0.1, 0.5, {}, 1,  # v₁ = (2, 4), θ₁ = (0.8, 1.6), g₁ = (1.6, 3.2)
     ["v ← β·v + g = 0.5·(2, 4) + (1.6, 3.2) = (2.6, 5.2)",
      "θ ← θ − lr·v = (0.8, 1.6) − 0.1·(2.6, 5.2) = (0.54, 1.08)"]),
    ("nesterov", 0.1, 0.5, {}, 0,
     ["v ← β·v + g = 0.5·(0, 0) + (2, 4) = (2, 4)",
      "θ ← θ − lr·(g + β·v) = (1, 2) − 0.1·((2, 4) + 0.5·(2, 4)) = (0.7, 1.4)"]),
    ("ema", 0.1, 0.5, {}, 0,
     ["v ← β·v + (1−β)·g = 0.5·(0, 0) + 0.5·(2, 4) = (1, 2)",
      "θ ← θ − lr·v = (1, 2) − 0.1·(1, 2) = (0.9, 1.8)"]),
    # t = 1: m = 0.1·g, s = 0.001·g², √(1−β₂) = 0.0316227…: the step is lr·m/|m| (less ε)
    ("adam", 0.1, 0.9, {}, 0,
     ["m ← β₁·m + (1−β₁)·g = 0.9·(0, 0) + 0.1·(2, 4) = (0.2, 0.4)",
      "s ← β₂·s + (1−β₂)·g² = 0.999·(0, 0) + 0.001·(2, 4)² = (0.004, 0.016)",
      "θ ← θ − lr/(1−β₁ᵗ)·m/(√s/√(1−β₂ᵗ) + ε) = (1, 2) − 0.1/0.1·(0.2, 0.4)/"
      "(√(0.004, 0.016)/0.03162 + 1e−8) = (0.9, 1.9)"]),
    ("rmsprop", 0.01, None, {}, 0,
     ["s ← β₂·s + (1−β₂)·g² = 0.99·(0, 0) + 0.01·(2, 4)² = (0.04, 0.16)",
      "θ ← θ − lr·g/(√s + ε) = (1, 2) − 0.01·(2, 4)/(√(0.04, 0.16) + 1e−8) = (0.9, 1.9)"]),
    ("rmsprop", 0.01, 0.5, {}, 0,
     ["s ← β₂·s + (1−β₂)·g² = 0.99·(0, 0) + 0.01·(2, 4)² = (0.04, 0.16)",
      "b ← β·b + g/(√s + ε) = 0.5·(0, 0) + (2, 4)/(√(0.04, 0.16) + 1e−8) = (10, 10)",
      "θ ← θ − lr·b = (1, 2) − 0.01·(10, 10) = (0.9, 1.9)"]),
    ("adagrad", 0.1, None, {}, 0,
     ["Σ ← Σ + g² = (0, 0) + (2, 4)² = (4, 16)",
      "θ ← θ − lr·g/(√Σ + ε) = (1, 2) − 0.1·(2, 4)/(√(4, 16) + 1e−10) = (0.9, 1.9)"]),
]


@pytest.mark.parametrize("optimizer, lr, beta, kw, k, lines", HAND,
                         ids=[f"{h[0]}-{h[2]}" for h in HAND])
def test_first_steps_by_hand(bowl, optimizer, lr, beta, kw, k, lines):
    step = worked_step(_run(bowl, optimizer, lr, beta, steps=5, **kw), k)
    assert [w.line for w in step.lines] == lines
    assert step.note is None
    assert step.given[0][0] == "θₖ" and step.given[1][0] == "∇f(θₖ)"


def test_a_result_on_a_rounding_tie_gets_a_digit_more_not_seventeen():
    # −2.5 − 0.03·(−24.55) = −1.7635 exactly, and the float result is just below or above it
    run = _run(mv.get_surface("ravine"), "sgd", 0.03, steps=2, start=(-2.5, -1.6))
    assert worked_step(run, 0).lines[0].line == \
        "θ ← θ − lr·g = (−2.5, −1.6) − 0.03·(−24.55, 20.45) = (−1.7635, −2.2135)"


# -- every optimizer against an independent transcription ----------------------------------------
RULES = {
    "sgd": ["θ ← θ − lr·g"],
    "momentum": ["v ← β·v + g", "θ ← θ − lr·v"],
    "nesterov": ["v ← β·v + g", "θ ← θ − lr·(g + β·v)"],
    "ema": ["v ← β·v + (1−β)·g", "θ ← θ − lr·v"],
    "adam": ["m ← β₁·m + (1−β₁)·g", "s ← β₂·s + (1−β₂)·g²",
             "θ ← θ − lr/(1−β₁ᵗ)·m/(√s/√(1−β₂ᵗ) + ε)"],
    "rmsprop": ["s ← β₂·s + (1−β₂)·g²", "b ← β·b + g/(√s + ε)", "θ ← θ − lr·b"],
    "adagrad": ["Σ ← Σ + g²", "θ ← θ − lr·g/(√Σ + ε)"],
}
"""Each optimizer's rule as written (RMSprop with momentum β > 0)."""
VECTORS = {
    "sgd": [["θ", "g"]],
    "momentum": [["v", "g"], ["θ", "v'"]],
    "nesterov": [["v", "g"], ["θ", "g", "v'"]],
    "ema": [["v", "g"], ["θ", "v'"]],
    "adam": [["m", "g"], ["s", "g"], ["θ", "m'", "s'"]],
    "rmsprop": [["s", "g"], ["b", "g", "s'"], ["θ", "b'"]],
    "adagrad": [["Σ", "g"], ["θ", "g", "Σ'"]],
}
"""The vectors substituted into each line, left to right (x' is x after the step)."""
GIVEN = {"sgd": [], "momentum": ["v"], "nesterov": ["v"], "ema": ["v"], "adam": ["m", "s"],
         "rmsprop": ["s", "b"], "adagrad": ["Σ"]}
VELOCITY = {"momentum": "v", "nesterov": "v", "ema": "v", "adam": "m", "rmsprop": "b"}
"""The state a run records as its velocity (``Run.velocity``), where the panel shows it."""
SETTINGS = {"sgd": (0.04, None), "momentum": (0.03, 0.7), "nesterov": (0.03, 0.7),
            "ema": (0.05, 0.6), "adam": (0.1, 0.8), "rmsprop": (0.02, 0.5),
            "adagrad": (0.5, None)}
STEPS_CHECKED = (0, 1, 2, 7, 19, 38)


def transcription(optimizer: str, lr, beta: float, steps: int, start=(1.0, 2.0),
                  noise=None, beta2=None, eps=None) -> list[dict]:
    """Per step k (a dict of scalars pairs): θ, ∇f, the g used, and each state before and
    after the step, by plain scalar arithmetic on x² + 10y² in torch's order. ``lr`` is a
    function of k."""
    theta = list(start)
    state = {name: [0.0, 0.0] for name in ("v", "m", "s", "b", "Σ")}
    rows = []
    for k in range(steps + 1):
        grad = [2 * theta[0], 20 * theta[1]]
        g = [grad[i] + (noise[k][i] if noise is not None else 0.0) for i in (0, 1)]
        row = {"θ": tuple(theta), "∇f": tuple(grad), "g": tuple(g),
               **{name: tuple(v) for name, v in state.items()}}
        rows.append(row)
        if k == steps:
            break
        rate, t = lr(k), k + 1
        for i in (0, 1):
            gi = g[i]
            if optimizer == "sgd":
                theta[i] -= rate * gi
            elif optimizer in ("momentum", "nesterov", "ema"):
                pushed = (1 - beta) * gi if optimizer == "ema" else gi
                state["v"][i] = beta * state["v"][i] + pushed
                ahead = gi + beta * state["v"][i] if optimizer == "nesterov" else state["v"][i]
                theta[i] -= rate * ahead
            elif optimizer == "adam":
                b2, e = beta2 or 0.999, eps or 1e-8
                m = state["m"][i]
                w = 1 - beta
                state["m"][i] = m + w * (gi - m) if w < 0.5 else gi - (gi - m) * (1 - w)
                state["s"][i] = state["s"][i] * b2 + (1 - b2) * gi * gi
                denom = math.sqrt(state["s"][i]) / math.sqrt(1 - b2 ** t) + e
                theta[i] -= (rate / (1 - beta ** t)) * state["m"][i] / denom
            elif optimizer == "rmsprop":
                a, e = beta2 or 0.99, eps or 1e-8
                state["s"][i] = state["s"][i] * a + (1 - a) * gi * gi
                avg = math.sqrt(state["s"][i]) + e
                state["b"][i] = state["b"][i] * beta + gi / avg
                theta[i] -= rate * state["b"][i]
            else:  # adagrad
                state["Σ"][i] += gi * gi
                theta[i] -= rate * gi / (math.sqrt(state["Σ"][i]) + (eps or 1e-10))
    for k in range(steps):
        rows[k].update({f"{name}'": rows[k + 1][name] for name in ("θ", "v", "m", "s", "b", "Σ")})
    return rows


def number(text: str) -> Decimal:
    return Decimal(text.replace("−", "-"))


def close(shown: str, exact: float, digits: int = arithmetic.DIGITS) -> bool:
    """Whether ``shown`` is ``exact`` rounded to at least ``digits`` significant digits (up to
    a rounding error of the transcription at a tie)."""
    d = number(shown)
    if exact == 0:
        return d == 0
    unit = Decimal(10) ** (Decimal(abs(exact)).adjusted() - max(digits, _sig(shown)) + 1)
    return abs(d - Decimal(exact)) <= unit / 2 * (1 + Decimal("1e-9")) + Decimal(abs(exact)) \
        * Decimal("1e-14")


def _sig(shown: str) -> int:
    mantissa = shown.replace("−", "").split("e")[0].replace(".", "").lstrip("0")
    return max(len(mantissa), 1)


VECTOR = re.compile(r"\(([^(),]+), ([^(),]+)\)")


def vectors(numbers: str) -> list[tuple[str, str]]:
    return VECTOR.findall(numbers)


def evaluate(numbers: str, coordinate: int) -> Decimal:
    """A line's substituted side, coordinate ``coordinate``, evaluated from its text."""
    scalar = VECTOR.sub(lambda m: f"({m.group(coordinate + 1)})", numbers)
    python = (scalar.replace("−", "-").replace("·", "*").replace("√(", "sqrt(")
              .replace("²", "**2"))
    python = re.sub(r"\d+(?:\.\d+)?(?:e-?\d+)?", lambda m: f'D("{m.group(0)}")', python)
    with localcontext() as ctx:
        ctx.prec = 60
        return eval(python, {"D": Decimal, "sqrt": lambda d: d.sqrt()})


def check_step(step, row: dict, optimizer: str, noisy: bool, scheduled: bool) -> None:
    names = [name for name, _ in step.given]
    expected = ["θₖ", "∇f(θₖ)", *(f"{s}ₖ" for s in GIVEN[optimizer])]
    if scheduled:
        expected.append("lrₖ")
    if optimizer == "adam":
        expected.append("t = k + 1")
    assert names == expected
    for (name, shown), key in zip(step.given, ["θ", "∇f", *GIVEN[optimizer]], strict=False):
        for part, exact in zip(shown.strip("()").split(", "), row[key], strict=True):
            assert close(part, exact), (name, shown, row[key])
    assert [w.rule for w in step.lines] == (["g ← ∇f + ξ"] if noisy else []) + RULES[optimizer]
    wanted = ([["∇f", "ξ"]] if noisy else []) + VECTORS[optimizer]
    results = (["g"] if noisy else []) + [r.split(" ← ")[0] + "'" for r in RULES[optimizer]]
    for line, keys, result in zip(step.lines, wanted, results, strict=True):
        assert line.exact, line.line
        literals = vectors(line.numbers)
        assert len(literals) == len(keys), line.line
        for literal, key in zip(literals, keys, strict=True):
            exact = (tuple(a - b for a, b in zip(row["g"], row["∇f"], strict=True))
                     if key == "ξ" else row[key])
            for part, value in zip(literal, exact, strict=True):
                assert close(part, value, 1), (line.line, key)
        shown_result = line.result.strip("()").split(", ")
        for i, part in enumerate(shown_result):
            assert close(part, row[result][i]), (line.line, row[result])
            # the arithmetic as shown is true to the shown result's digits
            got = evaluate(line.numbers, i)
            p = max(arithmetic.DIGITS, _sig(part))
            assert arithmetic.rounded(got, p) == arithmetic.rounded(number(part), p), \
                (line.line, i, got)


@pytest.mark.parametrize("optimizer", list(RULES))
def test_every_optimizer_matches_a_transcription_of_its_rule(ravine, optimizer):
    lr, beta = SETTINGS[optimizer]
    run = _run(ravine, optimizer, lr, beta, steps=max(STEPS_CHECKED) + 1)
    rows = transcription(optimizer, lambda k: lr, beta or 0.0, run.steps)
    for k in STEPS_CHECKED:
        # the recorded run is the transcription (θ, v and g as simulate records them)
        np.testing.assert_allclose(run.path[k], rows[k]["θ"], rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(run.grad[k], rows[k]["∇f"], rtol=1e-12, atol=1e-300)
        if optimizer in VELOCITY:
            np.testing.assert_allclose(run.velocity[k], rows[k][VELOCITY[optimizer]],
                                       rtol=1e-12, atol=1e-300)
        check_step(worked_step(run, k), rows[k], optimizer, noisy=False, scheduled=False)


def test_every_registered_optimizer_has_a_rule_written_out():
    assert set(RULES) == set(mv.OPTIMIZERS)
    assert all(mv.optimizers.get(name).worked is not None for name in mv.OPTIMIZERS)


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "adam", "adagrad"])
def test_a_schedule_and_noise_use_the_lr_and_gradient_of_the_step(ravine, optimizer):
    lr, beta = SETTINGS[optimizer]
    schedule = schedules.cosine(30, eta_min=lr / 10)
    run = _run(ravine, optimizer, lr, beta, steps=30, noise=0.7, seed=4,
               spec={"schedule": schedule})
    noise = 0.7 * np.random.default_rng(4).standard_normal((31, 2))

    def rate(k):  # the closed form: torch's recursion differs from it in the last bits only
        return lr / 10 + (lr - lr / 10) * (1 + math.cos(math.pi * k / 30)) / 2
    rows = transcription(optimizer, rate, beta or 0.0, 30, noise=noise)
    for k in (0, 3, 16, 29):
        step = worked_step(run, k)
        assert dict(step.given)["lrₖ"] == arithmetic.shown(float(run.lrs[k]))
        assert close(dict(step.given)["lrₖ"], rate(k))
        check_step(step, rows[k], optimizer, noisy=True, scheduled=True)


def test_the_last_step_and_a_diverged_run_say_so_and_never_show_nan(ravine):
    run = _run(ravine, "momentum", 0.2, 0.9, steps=60)
    assert run.diverged_at is not None
    d = run.diverged_at
    steps = worked_steps(run, range(run.steps + 1))
    text = " ".join(" ".join(v for _, v in w.given) + " ".join(x.line for x in w.lines)
                    + (w.note or "") for w in steps)
    assert "nan" not in text.lower() and "inf" not in text.lower()
    assert steps[d].note.startswith(f"The run diverged here, at step {d}")
    assert steps[d].lines == ()
    assert steps[d + 1].note == f"The run diverged at step {d}: it has no step {d + 1}."
    assert all(w.lines for w in steps[:d - 1])
    calm = _run(ravine, "momentum", 0.01, 0.5, steps=5)
    last = worked_step(calm, 5)
    assert last.note == "This is the run's last step (5): the update that would follow was " \
                        "not computed."
    assert last.lines == () and last.given[0][0] == "θₖ"
    with pytest.raises(ValueError, match="not a step"):
        worked_step(calm, 6)
    with pytest.raises(ValueError, match="states=True"):
        worked_step(mv.simulate(ravine, optimizer="sgd", lr=0.01, steps=3), 0)


def test_an_overflow_inside_the_update_is_said_in_words():
    # ∂f/∂x = 400·e³⁶⁰ ≈ 8.9e158 at x = 0.9: Adam's g² overflows, θ stays finite
    surface = mv.surface_from_formula("exp(400x) + y^2")
    run = _run(surface, "adam", 0.1, 0.9, steps=3, start=(0.9, 1.0))
    assert run.diverged_at is None and np.isinf(run.states["exp_avg_sq"][1, 0])
    for k in range(3):
        step = worked_step(run, k)
        assert step.lines == ()
        assert step.note == ("A number in this update is too large to compute (it overflows "
                             "to infinity), so the update is not written out.")
    assert dict(worked_step(run, 1).given)["sₖ"] == "(∞, 0.004)"


# -- numbers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, digits, shown", [
    (0.6, 4, "0.6"), (-2.5, 4, "−2.5"), (1e-8, 4, "1e−8"), (123456.0, 4, "1.235e5"),
    (0.0012345, 4, "0.001234"), (0.00012345, 4, "1.234e−4"), (2.675, 3, "2.67"),
    (9.99996, 4, "10"), (0.0, 4, "0"), (-0.0, 4, "0"), (0.038, 17, "0.038")])
def test_numbers_are_rounded_half_to_even_on_the_exact_value(value, digits, shown):
    assert arithmetic.text(value, digits) == shown  # 2.675 is 2.67499999… as a float


# -- what the stage sends -------------------------------------------------------------------------
def test_the_stage_sends_every_drawn_step_of_the_picked_run(ravine):
    spec = mv.RunSpec("adam", 0.1, 0.8)
    sent = stage_worked(ravine, spec, start=(1.0, 2.0), steps=20)
    (run,) = mv.simulate_many(ravine, [spec], start=(1.0, 2.0), steps=20, states=True)
    mine = worked_steps(run, range(21))
    assert sent["label"] == "Adam β=0.8" and sent["rounding"] == arithmetic.ROUNDING_NOTE
    assert sent["rules"] == RULES["adam"]
    assert sent["given"] == [n for n, _ in mine[0].given]
    assert len(sent["steps"]) == 21
    for (values, lines, note), w in zip(sent["steps"], mine, strict=True):
        assert [v for v in values if v is not None] == [v for _, v in w.given]
        assert note == w.note
        assert [f"{a} {b} {c}" for a, b, c in lines] == \
            [x.line.split(" = ", 1)[1] for x in w.lines]
    thinned = stage_worked(ravine, spec, start=(1.0, 2.0), steps=1000)
    assert len(thinned["steps"]) == 501  # the drawn steps only (shown_steps)


def test_an_optimizer_without_a_worked_rule_says_so(ravine):
    entry = replace(mv.optimizers.get("sgd"), name="plain", label="Plain", worked=None)
    mv.optimizers.register(entry)
    try:
        sent = stage_worked(ravine, mv.RunSpec("plain", 0.01), start=(1.0, 2.0), steps=3)
        assert sent == {"label": "Plain", "missing": "Plain has no written-out rule to show."}
    finally:
        mv.optimizers.unregister("plain")


def test_a_minibatch_step_uses_the_minibatch_gradient():
    surface = mv.DATASETS["linreg"].surface()
    run = mv.simulate_many(surface, [mv.RunSpec("sgd", 0.05)], steps=12, batch_size=16,
                           seed=3, states=True)[0]
    for k in (0, 5, 11):
        step = worked_step(run, k)
        given = dict(step.given)
        used = _vector(given["gₖ (minibatch of 16)"])
        # SGD moved by lr times the gradient it used: θₖ − θₖ₊₁ = lr·g
        assert _close_all(used, (run.path[k] - run.path[k + 1]) / 0.05)
        assert not _close_all(used, run.grad[k])  # not the full gradient
        assert step.lines[0].numbers.split(" − 0.05·")[1] == given["gₖ (minibatch of 16)"]
    last = worked_step(run, 12)  # no minibatch is drawn for a step that is not taken
    assert [name for name, _ in last.given] == ["θₖ", "∇f(θₖ)"] and last.note
    sent = worked_data(run, np.arange(13))
    assert sent["given"] == ["θₖ", "∇f(θₖ)", "gₖ (minibatch of 16)"]
    assert sent["steps"][12][0][2] is None and sent["steps"][11][0][2] is not None


def _vector(text: str) -> tuple[float, float]:
    return tuple(float(number(p)) for p in text.strip("()").split(", "))


def _close_all(shown, exact) -> bool:
    return all(close(arithmetic.text(float(s), 17), float(e)) for s, e in zip(shown, exact,
                                                                              strict=True))
