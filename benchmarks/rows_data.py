"""Data rows: many seeds of minibatch SGD and momentum on regression surfaces of 1 000 points,
and the Tuning lab's map over seeds.

The workload of the many-seed view: 100 seeds × 3 optimizers (sgd, momentum β = 0.9, nesterov
β = 0.9) × 500 steps with minibatches of 32, as one ``simulate_seeds_many`` call (one batch of
300 trajectories: the three share the momentum family's rule), recording every step, the exact
f and ∇f over all 1 000 points at every visited position, and the spread summaries.

The lab's map with seeds: 100 × 100 cells × 10 seeds × 500 steps (100 000 trajectories in
chunks of ``sweep.CHUNK``), each cell the median over its seeds, with Gaussian noise on the
ravine and with minibatches of 32 on the 300-point linear regression.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import momentum_viz as mv
from benchmarks.core import Check, Context, Figure, ProfileSpec, Row, bench
from benchmarks.timing import measure

ORDER = 12
POINTS = 1000
SEEDS_TARGET_S = 0.150

SEEDS_DIAGNOSIS = """\
Where the time goes. Per step the loop issues the minibatch gradient (`Data.batch_gradient`:
w·x + b, the loss slope, the weights, two reductions on (300, 32) arrays), one momentum-family
update and the recording copies; before the loop the batches of every seed are drawn (one
`Generator.permuted` per seed) and gathered; after it f and ∇f at all 150 300 visited points,
exact over the 1 000 data points (for linear regression the compiled quadratic, for logistic
regression 150 million log-loss terms: that pass dominates its row). The profile shows the
shares."""


def _data(kind: str) -> mv.Surface:
    """A deterministic 1 000-point data set of ``kind`` and its surface."""
    rng = np.random.default_rng(1000)
    x = rng.standard_normal(POINTS)
    if kind == "linear":
        y = 0.5 * x + 1.0 + 0.5 * rng.standard_normal(POINTS)
    else:
        y = (rng.random(POINTS) < 1 / (1 + np.exp(-(2.0 * x - 0.5)))).astype(np.float64)
    return mv.regression_surface(kind, x, y)


def _job(surface: mv.Surface, seeds: int, steps: int):
    specs = [mv.RunSpec("sgd", surface.lr), mv.RunSpec("momentum", surface.lr, 0.9),
             mv.RunSpec("nesterov", surface.lr, 0.9)]

    def run() -> None:
        for result in mv.simulate_seeds_many(surface, specs, seeds=seeds, steps=steps,
                                             batch_size=32, seed=0):
            result.loss_band()
            _ = result.final_loss_median, result.final_loss_p90

    return run


@bench("seeds-minibatch", "seeds-minibatch-logistic")
def seeds_rows(ctx: Context) -> Iterator[Row]:
    """100 seeds × 3 optimizers × 500 steps, B = 32, on 1 000 points: linear (target) and
    logistic regression (reported)."""
    seeds, steps = ctx.pick(100, 10), ctx.pick(500, 50)
    for name, kind in (("seeds-minibatch", "linear"), ("seeds-minibatch-logistic", "logistic")):
        surface = _data(kind)
        job = _job(surface, seeds, steps)
        timing = measure(job, repeats=ctx.pick(10 if kind == "linear" else 3, 2),
                         warmup=ctx.pick(1, 0))
        checks = (Check.at_most(timing, SEEDS_TARGET_S),) if kind == "linear" else ()
        yield Row(
            name=name,
            what=(f"simulate_seeds_many, {kind} regression on {POINTS} points: sgd, momentum "
                  f"β=0.9, nesterov β=0.9 at lr={surface.lr:.3g} × {seeds} seeds × {steps} "
                  "steps, batch 32 (loop + recording + exact f/∇f of every point + median "
                  "and 10–90 % band)"),
            ours=Figure.time(timing), checks=checks,
            note="" if checks else "no target: reported; the exact loss over all points at "
                                   "every visited position dominates",
            profile=ProfileSpec(job, steps, SEEDS_DIAGNOSIS) if checks else None,
        )


@bench("lab-map-seeds-noise", "lab-map-seeds-minibatch")
def lab_seeds_rows(ctx: Context) -> Iterator[Row]:
    """The Tuning lab's default map (100 × 100 cells, 500 steps, momentum) with 10 seeds a
    cell: noise σ = 1 on the ravine, minibatches of 32 on linear regression (reported)."""
    size, seeds, steps = ctx.pick(100, 10), ctx.pick(10, 2), ctx.pick(500, 50)
    for name, surface_id, extra in (("lab-map-seeds-noise", "ravine", {"noise": 1.0}),
                                    ("lab-map-seeds-minibatch", "linreg", {"batch_size": 32})):
        surface = mv.get_surface(surface_id)
        scale = 2 / float(mv.theory.hessian_eigenvalues(surface, surface.minima[0])[-1])
        lrs = np.logspace(np.log10(0.01 * scale), np.log10(4 * scale), size)
        betas = np.linspace(0, 0.99, size)

        def job(surface=surface, lrs=lrs, betas=betas, extra=extra) -> None:
            mv.sweep(surface, optimizer="momentum", lrs=lrs, betas=betas, steps=steps,
                     seeds=seeds, **extra)

        timing = measure(job, repeats=ctx.pick(3, 1), warmup=0)
        random = ", ".join(f"{k} {v:g}" for k, v in extra.items())
        yield Row(
            name=name,
            what=(f"mv.sweep on {surface.name}: momentum, {size} × {size} (lr, β) cells × "
                  f"{seeds} seeds × {steps} steps ({size * size * seeds:,} trajectories, "
                  f"{random}), each cell the median over its seeds: the Tuning lab's map"),
            ours=Figure.time(timing), checks=(),
            note="no target: reported",
        )
