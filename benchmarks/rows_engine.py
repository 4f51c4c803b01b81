"""Engine rows: sweeps, simulate_many, formula compilation, gradient kernels.

All on Rosenbrock with the "momentum" optimizer. The learning rates of a sweep span the range a
user would map: from 1e-3× to 4× the plain-GD stability limit 2/λmax at the minimum (the
momentum limit 2(1+β)/λmax reaches 3.98× at β = 0.99), log-spaced; β from 0 to 0.99.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import sympy

import momentum_viz as mv
from benchmarks import baselines
from benchmarks.core import Check, Context, Figure, ProfileSpec, Ratio, Row, bench
from benchmarks.timing import Timing, measure, measure_interleaved
from momentum_viz.sweep import CHUNK

ORDER = 10
SURFACE = "rosenbrock"
OPTIMIZER = "momentum"
TOL = mv.DEFAULT_TOL

SWEEP_TARGET_S = 0.15
SWEEP_SPEEDUP = 400.0
STEPS_PER_S_TARGET = 1.3e8
SIMULATE_TARGET_S = 0.020
FORMULA_TARGET_S = 0.150
GRAD_RATIO_TARGET = 1.5
LAB_TARGETS_S = {100: 1.0, 200: 2.0}

SWEEP_DIAGNOSIS = """\
Where the time goes. The sweep runs its n = {n} trajectories in chunks of `sweep.CHUNK`
({chunk} cells), each chunk through every step before the next. Each step is a fixed sequence
of whole-chunk NumPy calls issued from Python: the compiled ∇f program ({grad_ops} ufunc calls)
and the compiled f program ({value_ops}) — `kernel.evaluate`, two calls a step —, the update
rule (`optimizers.update`: β·v, +g, lr·v, three allocating calls on (2, chunk)), θ −= step
(`engine.iterate`), and the tracking in `sweep._track` (the tolerance test, a masked copy, the
finiteness of f, max and min of θ). Python overhead is small: ~{calls} calls a step at ~1 µs
per call and chunk. That is about {passes} passes over the n elements a step,
{element_ops:.2g} element operations for the run. One NumPy ufunc pass costs
{ns_per_element:.2f} ns per element on this machine even when it runs alone and in cache
(measured just now: np.multiply on {n} float64), so the floor of this loop structure is
{floor:.2f} s on one core{verdict}"""

SWEEP_BELOW_FLOOR = """\
: the {target:g} s target cannot be met by it.

What would help. The variants measured so far (see "Engine design choices, measured" below:
threads, in-place rules, one program for f and ∇f) gain at most 1.15× beyond chunking; the
target needs both cores idle, or faster per-element arithmetic than this machine has."""

SWEEP_ABOVE_FLOOR = """\
, below the {target:g} s target: the time above the floor is Python overhead and other work
on the machine (see the load average above and the profile below)."""

SIMULATE_DIAGNOSIS = """\
Where the time goes. simulate_many of 3 runs is pure per-call overhead: every array has 3 (or
6) elements, so each NumPy call costs its fixed ~1 µs (~2 µs when it must broadcast) whatever
the arithmetic. The three optimizers are one batch with per-column (β, dampening, Nesterov)
settings, prepared once per run (`Batch.arguments`). Per step the loop issues the ∇f program
({grad_ops} ufunc calls, `kernel.evaluate`), one `optimizers.update` call (β·v, +g, the
Nesterov look-ahead β·v and g + β·v, `np.where` on the Nesterov flags, lr·(…): 6 calls),
θ −= step and the generator, and the recording copies `positions[k], velocities[k] = θ, v`;
then f and ∇f of every visited point at once, and the Runs. The profile below shows the
shares.

What would help. Fewer NumPy calls per step than the update rule, the gradient program and
the recording need: `np.copyto(…, where=…)` instead of `np.where` would save a call's
overhead a step. The larger gains measured (Python floats per run, see "Engine design
choices, measured" below) would need a second loop beside the batch-shaped one."""

GRAD_LAMBDIFIED_DIAGNOSIS = """\
Where the time goes. `surface.grad` evaluates the lambdified [∂f/∂x, ∂f/∂y] (with common
subexpressions shared), in which every operation allocates a fresh array (8 MB on 10⁶ points);
sympy also writes ∂f/∂y as −200x² + 200y, three operations where the hand-written gradient
has 200·(y − x²). What would help: evaluating `grad` with the allocation-free
`kernel.Program` (as `bind_gradient` does) into fresh output arrays."""

GRAD_KERNEL_DIAGNOSIS = """\
Where the time goes. The kernel issues {grad_ops} ufunc calls (the hand-written gradient 8) but
allocates nothing; on 10⁶ points both are bound by memory traffic (16 MB of θ, 8 MB per
register), so the ratio moves with the load on the machine — see the spread."""


def _kernel_ops(surface: mv.Surface) -> dict[str, int | str]:
    """Ufunc calls per evaluation of the loop's compiled ∇f and f programs (plus copies into
    the output rows), read from the engine's programs; "?" if the engine changed shape."""
    try:
        value, gradient = surface.compiled.programs
        count = {}
        for name, program in (("grad", gradient), ("value", value)):
            copies = sum(1 for src in program.outputs if src[0] != "out")
            count[name] = len(program.code) + copies
        return count
    except (AttributeError, IndexError, TypeError):
        return {"grad": "?", "value": "?"}


def _ufunc_ns_per_element(n: int) -> float:
    """The machine's throughput for one binary ufunc pass on n float64, in ns per element."""
    a, b, out = np.random.default_rng(0).random((3, n))
    timing = measure(lambda: [np.multiply(a, b, out=out) for _ in range(20)], repeats=5)
    return timing.min / 20 / n * 1e9


def _sweep_diagnosis(args: dict, target: float) -> str:
    """SWEEP_DIAGNOSIS with this run's sizes, program sizes and ufunc throughput, against the
    row's ``target`` in seconds."""
    n = len(args["lrs"]) * len(args["betas"])
    ops = _kernel_ops(args["surface"])
    known = all(isinstance(v, int) for v in ops.values())
    passes = (ops["grad"] + ops["value"] if known else 17) + 6 + 2 + 8
    ns = _ufunc_ns_per_element(n)
    element_ops = passes * n * args["steps"]
    floor = element_ops * ns * 1e-9
    verdict = (SWEEP_BELOW_FLOOR if floor > target else SWEEP_ABOVE_FLOOR).format(target=target)
    return SWEEP_DIAGNOSIS.format(
        n=n, chunk=f"{CHUNK:,}".replace(",", " "), grad_ops=ops["grad"],
        value_ops=ops["value"], passes=passes,
        calls=(ops["grad"] + ops["value"] + 10) if known else "~27",
        element_ops=element_ops, ns_per_element=ns, floor=floor, verdict=verdict)


def _grid(size: int, steps: int) -> dict:
    """Sweep arguments for a size×size grid over the stability-scaled lr range."""
    surface = mv.get_surface(SURFACE)
    lam_max = float(mv.theory.hessian_eigenvalues(surface, surface.minima[0])[-1])
    limit = 2 / lam_max
    lrs = np.logspace(np.log10(1e-3 * limit), np.log10(4 * limit), size)
    betas = np.linspace(0.0, 0.99, size)
    return dict(surface=surface, lrs=lrs, betas=betas, steps=steps, limit=limit)


def _run_sweep(args: dict) -> mv.Sweep:
    return mv.sweep(args["surface"], optimizer=OPTIMIZER, lrs=args["lrs"], betas=args["betas"],
                    steps=args["steps"], tol=TOL)


def _sweep_what(args: dict) -> str:
    size, steps = len(args["lrs"]), args["steps"]
    return (f"sweep {size}×{size} (lr, β) × {steps} steps, {SURFACE}, {OPTIMIZER}; "
            f"lr log-spaced over [1e-3, 4]×2/λmax = [{args['lrs'][0]:.2g}, {args['lrs'][-1]:.2g}],"
            f" β ∈ [0, 0.99]")


def _sample_cells(args: dict, count: int) -> list[tuple[float, float]]:
    """``count`` (lr, β) cells drawn without replacement from the grid (fixed seed)."""
    lrs, betas = args["lrs"], args["betas"]
    n = len(lrs) * len(betas)
    picks = np.random.default_rng(0).choice(n, size=min(count, n), replace=False)
    return [(float(lrs[i % len(lrs)]), float(betas[i // len(lrs)])) for i in picks]


def _seed_job(args: dict, cells: list[tuple[float, float]]) -> Callable[[], None]:
    """The seed loop over the sampled cells (one repeat of the baseline)."""
    surface = args["surface"]
    threshold = surface.f_min + TOL
    start = np.array(surface.start, dtype=np.float64)

    def run() -> None:
        with np.errstate(all="ignore"):
            for lr, beta in cells:
                baselines.seed_loop(start.copy(), lr, beta, args["steps"], threshold)

    return run


def _torch_job(args: dict, cells: list[tuple[float, float]]) -> Callable[[], None]:
    """torch.optim.SGD per trajectory over the sampled cells, one intra-op thread (the tensors
    have two elements); torch's lazy first-call set-up is done here, untimed."""
    import torch

    torch.set_num_threads(1)
    surface = args["surface"]
    threshold = surface.f_min + TOL
    _check_torch_agrees(surface, cells[0])

    def run() -> None:
        for lr, beta in cells:
            baselines.torch_loop(surface.start, lr, beta, args["steps"], threshold)

    return run


def _check_torch_agrees(surface: mv.Surface, cell: tuple[float, float], steps: int = 300) -> None:
    """The baseline must compute what the engine computes: torch.optim.SGD's momentum and
    Nesterov trajectories against ``mv.simulate`` (to float64 rounding; torch's kernels may
    fuse a multiply-add). A disagreement fails the row."""
    lr, beta = cell
    for optimizer in ("momentum", "nesterov"):
        theta, _, _ = baselines.torch_loop(surface.start, lr, beta, steps, np.inf,
                                           nesterov=optimizer == "nesterov")
        run = mv.simulate(surface, optimizer=optimizer, lr=lr, beta=beta, steps=steps)
        if run.diverged_at is None:
            np.testing.assert_allclose(theta, run.path[-1], rtol=1e-9,
                                       err_msg=f"torch {optimizer} vs the engine")


@bench("sweep", "sweep-steps-per-s", "sweep-vs-torch")
def sweep_rows(ctx: Context) -> Iterator[Row]:
    """Row 1 (sweep vs the seed loop), its throughput, and the torch comparison; the three
    are timed round-robin so drifting load hits them alike."""
    size, steps = ctx.pick(200, 20), ctx.pick(500, 50)
    args = _grid(size, steps)
    n = size * size
    cells = _sample_cells(args, ctx.pick(40, 3))
    torch_cells = cells[: ctx.pick(8, 2)]
    jobs: dict[str, Callable[[], object]] = {"ours": lambda: _run_sweep(args),
                                             "seed": _seed_job(args, cells)}
    repeats = {"ours": ctx.pick(7, 2), "seed": ctx.pick(3, 1), "torch": ctx.pick(3, 1)}
    have_torch = baselines.torch_available()
    if have_torch:
        jobs["torch"] = _torch_job(args, torch_cells)
    jobs["ours"]()  # warm-up: kernel compilation, allocator
    timings = measure_interleaved(jobs, repeats=repeats, warmup=0)
    ours = timings["ours"]
    seed = timings["seed"].scaled(n / len(cells))
    ctx.cache[f"sweep-{size}x{size}x{steps}"] = ours
    ratio = Ratio.speedup(ours, seed)
    profile = ProfileSpec(lambda: _run_sweep(args), steps,
                          _sweep_diagnosis(args, SWEEP_TARGET_S))
    yield Row(
        name="sweep", what=_sweep_what(args), ours=Figure.time(ours),
        baseline=Figure.time(seed),
        baseline_what=(f"seed per-trajectory NumPy loop (EMA form, loss every step), "
                       f"{len(cells)} random cells timed, scaled ×{n / len(cells):g}"),
        ratio=ratio,
        checks=(Check.at_most(ours, SWEEP_TARGET_S),
                Check.at_least(ratio, SWEEP_SPEEDUP)),
        profile=profile,
    )
    rate = Figure.rate(n * steps, ours, "traj-steps/s")
    yield Row(
        name="sweep-steps-per-s",
        what=f"trajectory-steps per second of the sweep above ({n} × {steps})",
        ours=rate, checks=(Check.at_least(rate, STEPS_PER_S_TARGET),),
        note="same measurement as `sweep`", profile=profile,
    )
    what = f"sweep {size}×{size}×{steps} vs torch.optim.SGD(momentum=β) per trajectory"
    if not have_torch:
        yield Row(name="sweep-vs-torch", what=what, skipped=True,
                  note="torch not installed: skipped")
        return
    import torch

    base = timings["torch"].scaled(n / len(torch_cells))
    yield Row(
        name="sweep-vs-torch", what=what, ours=Figure.time(ours), baseline=Figure.time(base),
        baseline_what=(f"torch {torch.__version__} SGD(momentum=β), float64 tensor of 2, "
                       f"loss.backward() per step, 1 thread; {len(torch_cells)} cells timed, "
                       f"scaled ×{n / len(torch_cells):g}"),
        ratio=Ratio.speedup(ours, base),
        note="no target: reported; torch's momentum and Nesterov paths checked equal to the "
             "engine's first",
    )


def _three_runs(ctx: Context, *optimizers: tuple[str, float | None]) \
        -> tuple[mv.Surface, int, list[mv.RunSpec], Timing]:
    """simulate_many of (optimizer, β) pairs at the surface's lr, timed: the surface, steps,
    specs and timing."""
    surface = mv.get_surface(SURFACE)
    steps = ctx.pick(1000, 100)
    specs = [mv.RunSpec(name, surface.lr, beta) for name, beta in optimizers]
    timing = measure(lambda: mv.simulate_many(surface, specs, steps=steps),
                     repeats=ctx.pick(30, 3), warmup=ctx.pick(3, 1))
    return surface, steps, specs, timing


@bench("simulate-many")
def simulate_row(ctx: Context) -> Iterator[Row]:
    """Row 3: three optimizers side by side, recorded step by step."""
    surface, steps, specs, ours = _three_runs(ctx, ("sgd", None), ("momentum", 0.9),
                                              ("nesterov", 0.9))
    yield Row.timed(
        name="simulate-many",
        what=(f"simulate_many, {SURFACE}: sgd, momentum β=0.9, nesterov β=0.9 at lr="
              f"{surface.lr:g} × {steps} steps (loop + recording + f/∇f of every point + Runs)"),
        timing=ours, target=SIMULATE_TARGET_S,
        profile=ProfileSpec(lambda: mv.simulate_many(surface, specs, steps=steps), steps,
                            SIMULATE_DIAGNOSIS.format(grad_ops=_kernel_ops(surface)["grad"])),
    )


def _formula_end_to_end(text: str) -> mv.Surface:
    """Everything between typed text and the first simulation step."""
    surface = mv.surface_from_formula(text)
    x, y = np.linspace(-2, 2, 5), np.linspace(-1, 3, 5)
    surface.f(x, y)
    surface.grad(x, y)
    theta = np.array(surface.start, dtype=np.float64)[:, None]
    surface.bind_gradient(theta)()
    surface.bind_value(theta)()
    return surface


@bench("formula-compile")
def formula_row(ctx: Context) -> Iterator[Row]:
    """Row 4: formula text → Surface with compiled f and ∇f, first evaluation included."""
    counter = iter(range(101, 10_000))

    def fresh() -> tuple[str]:
        sympy.core.cache.clear_cache()
        return (f"(1-x)^2 + {next(counter)}(y-x^2)^2",)

    ours = measure(_formula_end_to_end, repeats=ctx.pick(9, 2), warmup=1, setup=fresh)
    yield Row.timed(
        name="formula-compile",
        what=("surface_from_formula('(1-x)^2 + c(y-x^2)^2'), a new c every repeat and sympy's "
              "cache cleared (parse, ∂/∂x, ∂/∂y, lambdify, minima search, kernel compile, "
              "first f/∇f evaluation)"),
        timing=ours, target=FORMULA_TARGET_S,
        profile=ProfileSpec(lambda: _formula_end_to_end(fresh()[0]), 1,
                            "One end-to-end compilation; see the profile for the sympy stages.",
                            unit="compilation"),
    )


@bench("grad-lambdified", "grad-kernel")
def gradient_rows(ctx: Context) -> Iterator[Row]:
    """Row 5: compiled ∇f against a hand-written NumPy gradient on many points (timed
    round-robin)."""
    surface = mv.get_surface(SURFACE)
    points = ctx.pick(10**6, 10**4)
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = surface.domain
    x, y = rng.uniform(x0, x1, points), rng.uniform(y0, y1, points)
    theta = np.stack([x, y])
    evaluate = surface.bind_gradient(theta)
    jobs = {"hand": lambda: baselines.rosenbrock_gradient(x, y),
            "grad-lambdified": lambda: surface.grad(x, y), "grad-kernel": evaluate}
    timings = measure_interleaved(jobs, repeats=dict.fromkeys(jobs, ctx.pick(15, 3)))
    hand = timings["hand"]
    expected = np.stack(baselines.rosenbrock_gradient(x, y))
    agree = (np.allclose(np.stack(surface.grad(x, y)), expected, rtol=1e-12, atol=1e-9)
             and np.allclose(evaluate(), expected, rtol=1e-12, atol=1e-9))
    base_what = "hand-written NumPy ∇f(x, y) (r = y − x**2; 8 ufunc calls, allocating)"
    agreement = "" if agree else "RESULTS DISAGREE with the hand-written gradient"
    descriptions = {
        "grad-lambdified": (f"surface.grad(x, y) (public API: lambdified ∇f with cse, "
                            f"allocating) on {points:.0e} points", GRAD_LAMBDIFIED_DIAGNOSIS),
        "grad-kernel": (f"surface.bind_gradient(θ)() (the loop's allocation-free kernel, "
                        f"{_kernel_ops(surface)['grad']} ufunc calls) on θ of shape "
                        f"(2, {points:.0e}); binding not timed", GRAD_KERNEL_DIAGNOSIS.format(
                            grad_ops=_kernel_ops(surface)["grad"])),
    }
    for name, (what, diagnosis) in descriptions.items():
        timing = timings[name]
        ratio = Ratio.time_ratio(timing, hand)
        yield Row(name=name, what=what, ours=Figure.time(timing), baseline=Figure.time(hand),
                  baseline_what=base_what, ratio=ratio,
                  checks=(Check.at_most(ratio, GRAD_RATIO_TARGET),), note=agreement,
                  profile=ProfileSpec(jobs[name], 1, diagnosis, unit="run"))


@bench("lab-sweep-100", "lab-sweep-200")
def lab_rows(ctx: Context) -> Iterator[Row]:
    """Row 6: the engine part of the Tuning lab's sweeps."""
    steps = ctx.pick(500, 50)
    for name, full, quick in (("lab-sweep-100", 100, 10), ("lab-sweep-200", 200, 20)):
        size = ctx.pick(full, quick)
        args = _grid(size, steps)
        key = f"sweep-{size}x{size}x{steps}"
        note = ""
        if key in ctx.cache:
            timing, note = ctx.cache[key], "same measurement as `sweep`"
        else:
            timing = measure(lambda args=args: _run_sweep(args), repeats=ctx.pick(5, 2))
            ctx.cache[key] = timing
        yield Row.timed(
            name=name, what=f"Tuning lab engine part: {_sweep_what(args)}",
            timing=timing, target=LAB_TARGETS_S[full],
            note=note,
            profile=ProfileSpec(lambda args=args: _run_sweep(args), steps,
                                _sweep_diagnosis(args, LAB_TARGETS_S[full])),
        )


@bench("sweep-adam", "simulate-many-adaptive")
def adaptive_rows(ctx: Context) -> Iterator[Row]:
    """The adaptive optimizers beside momentum's rows: the same 200×200×500 sweep with Adam
    (β = β₁), and simulate_many of Adam, RMSprop and AdaGrad (one batch per rule)."""
    steps = ctx.pick(500, 50)
    args = _grid(ctx.pick(200, 20), steps)
    size = len(args["lrs"])
    timing = measure(lambda: mv.sweep(args["surface"], optimizer="adam", lrs=args["lrs"],
                                      betas=args["betas"], steps=steps, tol=TOL),
                     repeats=ctx.pick(5, 2))
    yield Row.timed(
        name="sweep-adam",
        what=(f"sweep {size}×{size} (lr, β₁) × {steps} steps, {SURFACE}, adam (β₂ 0.999, "
              f"ε 1e-8), the lrs and β of `sweep`"),
        timing=timing,
        note="no target: reported beside `sweep` (momentum); Adam's rule does ~3× the "
             "element-wise work of the heavy ball's",
    )
    surface, sim_steps, _, ours = _three_runs(ctx, ("adam", None), ("rmsprop", None),
                                              ("adagrad", None))
    yield Row.timed(
        name="simulate-many-adaptive",
        what=(f"simulate_many, {SURFACE}: adam, rmsprop, adagrad at lr={surface.lr:g} × "
              f"{sim_steps} steps (three rules: three batches)"),
        timing=ours,
        note="no target: reported beside `simulate-many` (one batch of the momentum family)",
    )
