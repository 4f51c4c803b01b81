"""Keep the benchmarks from rotting: the quick mode runs every row and renders the table, and
the baselines compute the same trajectories as the engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` (not `python -m pytest`) does not add the root
    sys.path.insert(0, str(ROOT))

import momentum_viz as mv  # noqa: E402
from benchmarks import __main__ as cli  # noqa: E402
from benchmarks import baselines, report  # noqa: E402
from benchmarks.core import Check, Figure, ProfileSpec, Row  # noqa: E402
from benchmarks.timing import Timing, measure  # noqa: E402

ENGINE_ROWS = {"sweep", "sweep-steps-per-s", "sweep-vs-torch", "simulate-many",
               "formula-compile", "grad-lambdified", "grad-kernel", "lab-sweep-100",
               "lab-sweep-200", "sweep-adam", "simulate-many-adaptive"}
DATA_ROWS = {"seeds-minibatch", "seeds-minibatch-logistic"}
PAGE_ROWS = {"playground-compute", "playground-compute-adaptive", "playground-json-size",
             "lab-map-end-to-end"}
BROWSER_ROWS = {"browser-first-chart", "browser-beta-slider", "server-memory"}


def table_rows(text: str) -> dict[str, str]:
    """Row name → verdict from the terminal table (lines that start with a row number)."""
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[0].isdigit() and not line.startswith(f"{parts[0]}. "):
            rows[parts[1]] = line
    return rows


def test_quick_mode_prints_every_row_and_writes_nothing():
    """Run as a user runs it, in its own process: the browser rows start their own Playwright,
    which refuses to start inside another one (the e2e tests' session-wide browser)."""
    before = (ROOT / "BENCHMARKS.md").read_bytes()
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = table_rows(done.stdout)
    names = cli.row_names()
    assert set(names) >= ENGINE_ROWS | DATA_ROWS | PAGE_ROWS | BROWSER_ROWS
    assert set(rows) == set(names)
    for line in rows.values():
        assert "ERROR" not in line, line
        assert "MISSED" not in line, "quick mode asserts no targets"
    assert (ROOT / "BENCHMARKS.md").read_bytes() == before, "--quick must not write BENCHMARKS.md"


def test_list_names_rows_without_running(capsys):
    assert cli.main(["--list"]) == 0
    assert set(capsys.readouterr().out.split()) == set(cli.row_names())


def test_markdown_has_environment_table_and_a_profiled_section_per_miss():
    timing = Timing((0.2, 0.3, 0.25))
    spec = ProfileSpec(lambda: sum(range(1000)), steps=1, diagnosis="Because of reasons.")
    missed = Row(name="slow-row", what="a thing", ours=Figure.time(timing),
                 checks=(Check.at_most(timing, 0.1),), profile=spec)
    met = Row(name="fast-row", what="another | thing", ours=Figure.time(timing),
              checks=(Check.at_most(timing, 1.0),))
    skipped = Row(name="torch-row", what="x", skipped=True, note="torch not installed: skipped")
    rows = [missed, met, skipped]
    text = report.markdown(rows, report.environment(), cli.miss_sections(rows), "test")
    for key in ("date", "cpu", "cores", "python", "numpy", "sympy", "streamlit", "plotly",
                "torch"):
        assert f"- {key}: " in text
    assert "| `slow-row` |" not in text  # names are plain cells
    assert "| slow-row |" in text and "MISSED" in text and "| met |" in text
    assert "another \\| thing" in text
    assert "torch not installed: skipped" in text and "| skipped |" in text
    assert "### `slow-row`: MISSED" in text and "Because of reasons." in text
    assert "cProfile of one run" in text
    assert "fast-row`: MISSED" not in text
    assert text.rstrip().endswith(report.DESIGN_NOTES.read_text(encoding="utf-8").rstrip())


def test_timing_reports_the_spread():
    t = measure(lambda: None, repeats=5, warmup=0)
    assert len(t.samples) == 5 and t.min <= t.median <= t.max
    wide = Timing((1.0, 1.1, 3.0))
    assert wide.wide and "WIDE" in Figure.time(wide).text()
    assert Timing((1.0,)).scaled(3).samples == (3.0,)


def test_at_most_checks_a_figure_in_its_unit():
    size = Figure(1.2, 1.2, 1.2, "MB")
    assert Check.at_most(size, 1.5).passed and Check.at_most(size, 1.5).label == "≤ 1.5 MB"
    assert not Check.at_most(size, 1.0).passed


def test_seed_loop_is_the_engines_ema():
    surface = mv.get_surface("rosenbrock")
    lr, beta, steps = 1e-3, 0.9, 200
    theta, loss, _ = baselines.seed_loop(np.array(surface.start), lr, beta, steps, 0.0)
    run = mv.simulate(surface, optimizer="ema", lr=lr, beta=beta, steps=steps)
    np.testing.assert_allclose(theta, run.path[-1], rtol=1e-10)
    np.testing.assert_allclose(loss, run.loss[-1], rtol=1e-9)


def test_hand_written_gradient_matches_the_surface():
    surface = mv.get_surface("rosenbrock")
    x, y = np.linspace(-2, 2, 7), np.linspace(-1, 3, 7)
    np.testing.assert_allclose(np.stack(baselines.rosenbrock_gradient(x, y)),
                               np.stack(surface.grad(x, y)), rtol=1e-12, atol=1e-12)
