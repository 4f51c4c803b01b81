"""The pages' own logic, outside Streamlit: the Tuning lab's reference curvature, lr range and
notes; the theory page's numbers and sentences; the Playground's table cells and its offline
animation page."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

import momentum_viz as mv
from momentum_viz.figures import direction_regime
from momentum_viz.report import spread_rows
from ui import lab, playground, why
from ui.params import KAPPAS, LR_RANGE, default_setup


def test_reference_is_plain_gds_limit_at_the_nearest_minimum():
    ravine = mv.get_surface("ravine")
    curvature, scale, source = lab.reference(ravine, ravine.start)
    assert curvature.exact and scale == pytest.approx(2 / 50) and source == "at the minimum (0, 0)"
    saddle = mv.get_surface("saddle")
    curvature, scale, source = lab.reference(saddle, saddle.start)
    assert curvature is None and scale == pytest.approx(1.0) and "at the start" in source
    flat = mv.surface_from_formula("-x^2 - y^2")
    assert lab.reference(flat, (1.0, 1.0)) == (None, 1.0, "taken as 2 (the surface curves "
                                               "nowhere upward at the start)")


def test_lr_span_scales_and_clips_to_the_playgrounds_range():
    assert lab.lr_span(0.04, (0.01, 4.0)) == pytest.approx((4e-4, 0.16))
    assert lab.lr_span(0.002, (0.001, 4.0)) == (LR_RANGE[0], 0.008)
    assert lab.lr_span(100.0, (1.0, 16.0)) == (LR_RANGE[0], LR_RANGE[0] * 100)  # both clipped


def test_theory_note_says_exact_approximate_or_absent():
    ravine, rosenbrock = mv.get_surface("ravine"), mv.get_surface("rosenbrock")
    assert "**exact**" in lab.theory_note(ravine, lab.reference(ravine, ravine.start)[0])
    note = lab.theory_note(rosenbrock, lab.reference(rosenbrock, rosenbrock.start)[0])
    assert "**local approximation**" in note and "(1, 1)" in note
    assert "no minimum" in lab.theory_note(mv.get_surface("saddle"), None)
    assert "flat or undefined" in lab.theory_note(ravine, None)


def test_outcome_and_captions():
    ravine = mv.get_surface("ravine")
    ok = mv.simulate(ravine, optimizer="momentum", lr=0.038, beta=0.6, steps=200).metrics()
    bad = mv.simulate(ravine, optimizer="sgd", lr=0.5, steps=50).metrics()
    slow = mv.simulate(ravine, optimizer="sgd", lr=1e-4, steps=20).metrics()
    assert lab.outcome(ok, 200) == "converged in 63 steps"
    assert lab.outcome(bad, 50).startswith("diverged at step ")
    assert lab.outcome(slow, 20) == "not converged in 20 steps"
    caption = lab.map_caption(default_setup() | {"noise": 0.5, "seed": 3}, ravine, 100)
    assert caption.startswith(f"Each of the 100 × 100 cells is one run of **Momentum** on "
                              f"{ravine.name} from (-2.5, -1.6) for 500 steps, with gradient "
                              "noise σ = 0.5 (seed 3).")
    assert "kept within" in lab.span_caption((1e-5, 0.008), (0.001, 4.0), 0.002, "x", True)
    assert "kept within" not in lab.span_caption((4e-4, 0.16), (0.01, 4.0), 0.04, "x", False)


def test_per_digit_and_eigenbasis():
    assert why.per_digit(1.0) is None and why.per_digit(1.5) is None
    assert why.per_digit(0.05) == "step"
    assert why.per_digit(0.5) == f"{math.log(10) / math.log(2):.1f} steps"
    basis = why.eigenbasis(30)
    np.testing.assert_allclose(basis.T @ basis, np.eye(2), atol=1e-15)
    np.testing.assert_allclose(basis[:, 0], [math.cos(math.pi / 6), math.sin(math.pi / 6)])
    np.testing.assert_array_equal(why.eigenbasis(0), np.eye(2))


def test_the_quadratic_has_the_eigenvalues_it_is_named_for():
    surface = why.quadratic(20.0, 45)
    lams = mv.theory.hessian_eigenvalues(surface, (0.3, -0.2))
    np.testing.assert_allclose(lams, [1.0, 20.0], rtol=1e-12)
    run, ema_run = why.runs(20.0, 45, 0.05, 0.7, 50)
    assert "differ by at most **" in why.ema_check(run, ema_run, 0.05, 0.7)


def test_theory_sentences():
    lines = why.direction_lines(0.01, 0.5, (1.0, 100.0))
    assert lines[0].startswith("- **λ₁ = 1** (monotone): creeps in without overshooting")
    assert lines[1].startswith("- **λ₂ = 100** (ripples): rings") and "√β = 0.707" in lines[1]
    damping = why.damping_lines(0.01, (1.0, 500.0))
    assert "critical β = **0.81**" in damping[0]
    assert damping[1].startswith("**λ₂ = 500** (lr·λ = 5): lr·λ ≥ 4")
    assert "(κ − 1)/(κ + 1) = 0.9802" in why.optimum_text(100.0, 9 / 11)
    low, high = why.rate_map_span(0.01, (2 / 11) ** 2, 100.0)
    assert (low, high) == ((2 / 11) ** 2 / 30, 0.05)  # lr*/30 < lr/2; 5/λmax > 2·lr
    lrs = why.rate_map_lrs(low, high)
    assert len(lrs) == why.MAP_SIZE and (lrs[0], lrs[-1]) == (low, high)
    assert np.all(np.diff(np.log(lrs)) == pytest.approx(math.log(high / low) / (why.MAP_SIZE - 1)))


def test_display_rows_formats_each_kind_of_cell():
    rows = playground.display_rows([{"run": "SGD", "steps": 1234, "loss": 0.000123456,
                                     "diverged at": None}])
    assert rows == [{"run": "SGD", "steps": "1,234", "loss": "0.0001235", "diverged at": "—"}]


def test_animation_html_is_standalone_and_reuses_plotlyjs():
    figure = go.Figure(go.Scatter(x=[0, 1], y=[1, 0], name="position"),
                       frames=[go.Frame(data=[go.Scatter(x=[1], y=[0])])])
    page = playground.animation_html(figure).decode()
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert len(page) > 1_000_000 and "Plotly.newPlot" in page and "addFrames" in page
    assert "cdn" not in page.split("<body>")[1].lower() and "animate" not in \
        page.split("addFrames")[1][:200]
    assert playground.animation_html(figure)[:1000] == page.encode()[:1000]


def test_the_app_uses_streamlits_public_api_only():
    """No Streamlit internals (``streamlit.runtime``, ``PagesManager``) in the app's code."""
    root = Path(__file__).resolve().parents[1]
    for path in [root / "app.py", *(root / "pages").glob("*.py"), *(root / "ui").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "streamlit.runtime" not in text and "PagesManager" not in text, path


KAPPA_LRS = np.geomspace(1e-4, 5.0, 25)
"""lr from far below to far past the stability limit of every κ in KAPPAS."""


@pytest.mark.parametrize("kappa", KAPPAS)
def test_theory_sentences_are_grammatical_for_every_kappa_lr_and_beta(kappa):
    lams = (why.LAM_MIN, why.LAM_MIN * kappa)
    best_lr, best_beta, best_rate = (float(v) for v in mv.theory.optimal(*lams))
    texts = [why.optimum_text(kappa, best_rate)]
    for lr in [*KAPPA_LRS, best_lr]:
        texts += why.damping_lines(lr, lams)
        for beta in [0.0, 0.3, 0.9, 0.999, best_beta,
                     float(mv.theory.critical_beta(lr, lams[0]))]:
            if not 0 <= beta < 1:
                continue
            rate = max(float(mv.theory.rate(lr, beta, lam)) for lam in lams)
            texts += [why.tenfold_sentence(rate), *why.direction_lines(lr, beta, lams)]
    for text in texts:
        assert "never**" not in text and "every never" not in text and "None" not in text
        assert "nan" not in text.split()
        for every in re.findall(r"every \*\*([^*]*)\*\*", text):
            assert re.fullmatch(r"step|\d+\.\d steps", every), text


def test_sentences_when_the_distance_does_not_shrink():
    assert why.tenfold_sentence(1.0) == "The distance never shrinks: rate 1, no convergence."
    assert why.tenfold_sentence(1.25) == ("The distance grows by a factor 1.25 every step: the "
                                          "run diverges.")
    assert why.tenfold_sentence(0.5).startswith("The distance shrinks tenfold every **3.3 steps")
    assert why.digit_clause(2.0) == "no digit ever: the distance grows every step, it diverges"
    # κ = 1000, lr = 0.033: lr·λ₂ = 33, past every β's stability limit
    (line,) = [t for t in why.direction_lines(0.033, 0.9, (1.0, 1000.0)) if "λ₂" in t]
    assert line.endswith("no digit ever: the distance grows every step, it diverges.")


def test_critical_damping_is_labelled_and_told_by_the_sign_of_its_double_root():
    # lr·λ = 0.25 < 1: double root 1 − √0.25 = 0.5 > 0; lr·λ = 2.25 > 1: 1 − 1.5 = −0.5
    assert direction_regime(0.25, 0.25, 1.0) == "critically damped"
    assert direction_regime(0.25, 0.25, 9.0) == "critically damped (flipping)"
    slow, fast = why.damping_lines(0.25, (1.0, 9.0))
    assert "At the critical β it is fastest, rate 0.5, and creeps in without overshooting" in slow
    assert ("flips sign every step (the double root -0.5 is negative) while shrinking by 0.5: "
            "it never stops without overshooting") in fast
    lines = why.direction_lines(0.25, 0.25, (1.0, 9.0))
    assert "(critically damped): sits exactly on the border, a double root 1 − √(lr·λ) ≥ 0: " \
           "it creeps in without overshooting" in lines[0]
    assert "flips sign every step while shrinking" in why.direction_lines(
        1 / 36, 0.25, (1.0, 81.0))[1]  # lr·λ₂ = 2.25, critical β = 0.25
    assert "as long as the steps are short enough (lr·λ < 1)" in why.PHYSICS


def test_the_cell_message_names_every_value_that_changed_and_only_those():
    before = default_setup() | {"compare": True}
    after = before | {"lr": 0.0123, "beta": 0.77, "steps": 500, "compare": False,
                      "opt": ["sgd", "momentum", "ema"]}
    assert lab.cell_message(before, after) == (
        "The Playground now replays this cell's run. Changed: lr 0.038 → 0.0123; β 0.6 → "
        "0.77; steps 200 → 500 (the map's steps per run); optimizers SGD, Momentum → SGD, "
        "Momentum, EMA momentum; β comparison off.")
    same = default_setup()
    assert lab.cell_message(same, same | {"beta": 0.5}) == (
        "The Playground now replays this cell's run. Changed: β 0.6 → 0.5.")
    assert "nothing changed" in lab.cell_message(same, dict(same))
    own = same | {"opt": ["momentum", "adam"], "adam_lr": 0.1}
    assert lab.cell_message(own, own | {"adam_lr": None}) == (
        "The Playground now replays this cell's run. Changed: Adam's own lr 0.1 → the shared "
        "lr.")


def test_the_lab_map_over_seeds_says_what_a_cell_is_and_fits_its_work():
    linreg, logreg = mv.get_surface("linreg"), mv.get_surface("logreg")
    setup = default_setup("linreg") | {"batch_size": 8, "seeds": 10, "seed": 4}
    assert lab.map_seeds(setup, linreg) == 10
    assert lab.map_seeds(setup | {"batch_size": None}, linreg) == 1  # nothing random: one run
    assert lab.map_grid(setup, linreg, 10) == 100  # 100² cells × 10 seeds × 500 steps
    caption = lab.map_caption(setup, linreg, 100)
    assert caption.startswith("Each of the 100 × 100 cells is the median of 10 runs (a "
                              "diverged run counts as the worst) of **Momentum** on "
                              f"{linreg.name} from (0, 0) for 500 steps, with minibatches of "
                              "B = 8 (seeds 4 to 13).")
    # logistic regression sums its loss over 300 points at every step of every cell
    size = lab.map_grid(setup | {"surface": "logreg"}, logreg, 10)
    assert size ** 2 * 10 * 500 * 300 <= lab.MAP_WORK < (size + 1) ** 2 * 10 * 500 * 300
    assert lab.map_caption(setup | {"surface": "logreg"}, logreg, size).endswith(
        f" The map has {size} × {size} cells, not 100 × 100: more would take too long with "
        "10 seeds and a loss summed over 300 data points at every step.")
    assert lab.map_grid(setup | {"map_steps": 5000}, logreg, 100) == 0


def test_the_median_outcome_of_a_setting_over_seeds():
    linreg = mv.get_surface("linreg")
    many = mv.simulate_seeds(linreg, optimizer="momentum", lr=0.3, beta=0.5, seeds=9,
                             steps=300, batch_size=300)  # B = n: all converge alike
    steps = many.steps_to_converge()
    assert np.all(steps == steps[0]) and steps[0] > 0
    assert lab.median_outcome(many, 300) == (f"converged in a median of {steps[0]:,} steps over "
                                             "9 seeds (9 of 9 converged)")
    noisy = mv.simulate_seeds(linreg, optimizer="momentum", lr=0.3, beta=0.5, seeds=9,
                              steps=300, batch_size=4)
    assert lab.median_outcome(noisy, 300) == ("the median run did not converge in 300 steps "
                                              "(0 of 9 seeds converged)")
    wild = mv.simulate_seeds(linreg, optimizer="momentum", lr=3.0, beta=0.9, seeds=9,
                             steps=300, batch_size=4)
    assert lab.median_outcome(wild, 300) == "the median run diverged (9 of 9 seeds diverged)"


def test_the_spread_table_and_sentences_over_seeds():
    linreg = mv.get_surface("linreg")
    specs = [mv.RunSpec("sgd", 0.8), mv.RunSpec("momentum", 0.8, 0.9)]
    many = mv.simulate_seeds_many(linreg, specs, seeds=7, steps=80, batch_size=8, seed=3)
    rows = spread_rows(many)
    for row, result in zip(rows, many, strict=True):
        runs = [result.run(i) for i in range(7)]
        finals = np.array([np.inf if r.diverged_at is not None else r.loss[-1] - linreg.f_min
                           for r in runs])
        with np.errstate(invalid="ignore"):  # inf − inf between two diverged runs: NaN
            median, p90 = np.median(finals), np.percentile(finals, 90)
        assert row["run"] == result.spec.label
        assert row["final f − f*, median"] == (float(f"{median:.6g}") if np.isfinite(median)
                                               else "diverged")
        assert row["final f − f*, 90th percentile"] == (float(f"{p90:.6g}")
                                                        if np.isfinite(p90) else "diverged")
        converged = [r.metrics().steps_to_converge for r in runs]
        done = [c for c in converged if c is not None]
        assert row["converged"] == f"{len(done)} of 7"
        assert row["diverged"] == f"{sum(r.diverged_at is not None for r in runs)} of 7"
    # 3 of 7 diverged: the median is the 4th smallest loss, the 90th percentile a diverged one
    assert rows[1]["diverged"] == "3 of 7"
    assert isinstance(rows[1]["final f − f*, median"], float)
    assert rows[1]["final f − f*, 90th percentile"] == "diverged"
    setup = default_setup("linreg") | {"seed": 3, "seeds": 7, "batch_size": 8}
    assert playground.spread_caption(setup, linreg).startswith(
        "7 seeds (3 to 9), minibatches of B = 8: the map draws every seed's path faint and "
        "their mean bold")
    reading = playground.seeded_reading(setup, [r.run(0) for r in many], rows)
    assert reading.startswith("With seed 3, SGD ")
    assert not playground.seeded_reading(setup, [many[0].run(0)], None).startswith("With")
