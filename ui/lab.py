"""The Tuning lab's own logic: which curvature the map's theory curves and lr range come from,
the lr range itself, the sentences the page shows about them, and what the map's β and lr
sliders say at each of their positions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import momentum_viz as mv
from momentum_viz.family import beta_grid, lr_grid
from momentum_viz.metrics import Convergence, convergence
from momentum_viz.simulate import Conditions
from ui.params import LR_RANGE, MAP_GRID_RANGE, OWN_LR, Setup, optimizer_label, sampling_of

if TYPE_CHECKING:
    from typing_extensions import Unpack


def point(p: tuple[float, float]) -> str:
    """A point as the page writes it: (x, y) to 4 significant digits."""
    return f"({p[0]:.4g}, {p[1]:.4g})"


def reference(surface: mv.Surface, start: tuple[float, float]) \
        -> tuple[mv.theory.Curvature | None, float, str]:
    """The curvature the theory's curves use (None: draw none), the lr that the map's range
    is measured in (plain GD's limit 2/λmax) and where that λmax comes from."""
    minimum = surface.nearest_minimum(start)
    curvature = mv.theory.curvature(surface, minimum) if minimum is not None else None
    if curvature is not None and curvature.lam_max > 0:
        return curvature, 2 / curvature.lam_max, f"at the minimum {point(minimum)}"
    lam_max = float(mv.theory.hessian_eigenvalues(surface, start)[-1])
    if lam_max > 0:
        return None, 2 / lam_max, f"at the start {point(start)} (no usable minimum)"
    return None, 1.0, "taken as 2 (the surface curves nowhere upward at the start)"


def lr_span(scale: float, factors: tuple[float, float]) -> tuple[float, float]:
    """The map's lr range: ``factors`` × ``scale``, kept within what the Playground accepts;
    a range that clipping leaves (almost) empty becomes the lowest two decades."""
    low, high = (min(max(f * scale, LR_RANGE[0]), LR_RANGE[1]) for f in factors)
    return (low, high) if high > low * 1.01 else (LR_RANGE[0], LR_RANGE[0] * 100)


def theory_note(surface: mv.Surface, curvature: mv.theory.Curvature | None,
                optimizer: str = "momentum") -> str:
    """What the drawn theory curves are: exact, a local approximation, or absent, and why
    (an optimizer whose registry entry declares no linear theory never has them)."""
    if not mv.optimizers.get(optimizer).linear_theory:
        return (f"No linear theory applies to {optimizer_label(optimizer)}: its step divides "
                "the gradient by a running size of the gradient itself, so even on a quadratic "
                "the update is not linear in θ. The map shows what the runs did; there are no "
                "stability or critical-damping curves to draw.")
    if not surface.minima:
        return "This surface has no minimum, so no quadratic to compare with: no theory curves."
    if curvature is None:
        return ("The Hessian at the minimum is flat or undefined, so the quadratic theory says "
                "nothing here: no curves.")
    lams = f"λ = {curvature.lam_min:.4g} and {curvature.lam_max:.4g}"
    if curvature.exact:
        return f"The curves are **exact**: this surface is a quadratic with {lams}."
    return (f"The curves are a **local approximation**: the quadratic that matches the surface "
            f"at its minimum {point(curvature.point)} nearest the start ({lams}). Far from it "
            "the surface curves differently.")


def map_seeds(setup: Setup, surface: mv.Surface) -> int:
    """The runs per cell on ``surface``: the setup's seeds with noise or minibatches, else 1
    (every seed would make the same run)."""
    noise, batch_size = sampling_of(setup, surface)
    return setup["seeds"] if noise or batch_size is not None else 1


MAP_WORK = 2e8
"""The most work a map may take, in cell-steps × terms of f: the default 100 × 100 map of 500
steps on a formula is 5·10⁶, with 10 seeds 5·10⁷ (a few seconds); on logistic regression each
step of each cell evaluates the loss over every data point."""


def map_grid(setup: Setup, surface: mv.Surface, seeds: int) -> int:
    """The map's cells per side: the setup's, or fewer where that would take more than
    ``MAP_WORK`` (many seeds or steps, or a loss that sums over many data points); 0 when even
    the smallest grid would."""
    fits = int(np.sqrt(MAP_WORK / (seeds * setup["map_steps"] * _terms(surface))))
    size = min(setup["map_grid"], fits)
    return size if size >= MAP_GRID_RANGE[0] else 0


def _terms(surface: mv.Surface) -> int:
    """The terms of f evaluated per step: the data points of a logistic regression's loss
    (a numeric sum), else 1 (a compiled formula)."""
    return surface.data.n if surface.data is not None and surface.data.kind == "logistic" else 1


def map_caption(setup: Setup, surface: mv.Surface, size: int) -> str:
    """What each cell of the map is, for the caption above it (``size`` cells per side, fewer
    than the setup asks for when ``map_grid`` had to shrink it)."""
    seeds = map_seeds(setup, surface)
    why = [f"{seeds} seeds"] if seeds > 1 else []
    if _terms(surface) > 1:
        why.append(f"a loss summed over {surface.data.n} data points at every step")
    shrunk = "" if size == setup["map_grid"] else (
        f" The map has {size} × {size} cells, not {setup['map_grid']} × {setup['map_grid']}: "
        f"more would take too long{' with ' + ' and '.join(why) if why else ''}.")
    surface_name = surface.name
    noise, batch_size = sampling_of(setup, surface)
    first = setup["seed"]
    which = f"seed {first}" if seeds == 1 else f"seeds {first} to {first + seeds - 1}"
    random = (f", with minibatches of B = {batch_size} ({which})" if batch_size is not None
              else f", with gradient noise σ = {noise:g} ({which})" if noise else "")
    runs = ("is one run" if seeds == 1 else
            f"is the median of {seeds} runs (a diverged run counts as the worst)")
    return (f"Each of the {size} × {size} cells {runs} of "
            f"**{optimizer_label(setup['map_opt'])}** on {surface_name} from "
            f"{point((setup['x0'], setup['y0']))} for {setup['map_steps']} steps{random}. "
            f"Click a cell to use its lr and β.{shrunk}")


def outcome(metrics: mv.Metrics | Convergence, steps: int) -> str:
    """How one run ended (its ``Metrics``, or just their ``Convergence``): diverged,
    converged, or neither within ``steps``."""
    if metrics.diverged_at is not None:
        return f"diverged at step {metrics.diverged_at}"
    if metrics.steps_to_converge is not None:
        return f"converged in {metrics.steps_to_converge:,} steps"
    return f"not converged in {steps:,} steps"


def median_outcome(many: mv.Seeds, steps: int) -> str:
    """How the runs of one setting over seeds ended, as the map's median cell counts it."""
    n = len(many.seeds)
    taken = many.steps_to_converge()
    diverged = int(np.sum(many.diverged_at >= 0))
    median = np.median(np.where(many.diverged_at >= 0, np.inf, many.loss[:, -1]))
    if not np.isfinite(median):
        return f"the median run diverged ({diverged} of {n} seeds diverged)"
    converged = np.median(np.where(taken >= 0, taken, np.inf))
    if not np.isfinite(converged):
        return (f"the median run did not converge in {steps:,} steps ({int(np.sum(taken >= 0))} "
                f"of {n} seeds converged)")
    return (f"converged in a median of {int(np.ceil(converged)):,} steps over {n} seeds "
            f"({int(np.sum(taken >= 0))} of {n} converged)")


SLIDER_GRIDS = ((0.01, 20), (0.05, 5), (0.1, 2))
"""The map's β and lr sliders: (β step, lr positions per decade), finest first."""
SEED_RUNS = 4000
"""Runs per engine batch for the sliders' sentences over many seeds (each position's N seeds),
so that their recorded paths stay a few tens of MB."""


def setting_sentence(lr: float, beta: float, told: str, inside: bool) -> str:
    """What the visitor's own (lr, β) did (``told``: ``outcome`` or ``median_outcome``), after
    "Your setting (○):"."""
    return f"lr = {lr:g}, β = {beta:g}: {told}" + ("." if inside else
                                                    "; it lies outside this map.")


def slider_sentences(surface: mv.Surface, optimizer: str, lr: float, beta: float, *,
                     seeds: int, span: tuple[float, float], betas: tuple[float, float],
                     **conditions: Unpack[Conditions]) -> dict:
    """For the map's β slider (every β of ``beta_grid``, at this lr) and its lr slider (every
    lr of ``lr_grid``, at this β): the positions, the current one, and at each the
    ``setting_sentence`` of the run there under ``conditions``, or of the median over
    ``seeds`` runs, as the map's cells count them. The runs are the engine's
    (``simulate_many``: one batch; over many seeds ``simulate_seeds_many`` in batches of
    ``SEED_RUNS``), each the run ``simulate`` makes at that value; ``span`` and ``betas`` are
    the map's extent. The sliders are coarser (``SLIDER_GRIDS``) where every position would
    take more than ``MAP_WORK``, and only the setup's own values where even the coarsest
    would."""
    steps = conditions["steps"]
    grids = {"beta": (float(beta),), "lr": (float(lr),)}
    for beta_step, per_decade in SLIDER_GRIDS:
        finer = {"beta": beta_grid(beta, beta_step), "lr": lr_grid(lr, per_decade)}
        work = (len(finer["beta"]) + len(finer["lr"])) * seeds * steps * _terms(surface)
        if work <= MAP_WORK:
            grids = finer
            break
    at = {"beta": [(lr, b) for b in grids["beta"]], "lr": [(v, beta) for v in grids["lr"]]}
    specs = [mv.RunSpec(optimizer, v, b) for name in grids for v, b in at[name]]
    if seeds == 1:
        told = iter([outcome(convergence(run), steps)
                     for run in mv.simulate_many(surface, specs, **conditions)])
    else:
        chunk = max(1, SEED_RUNS // seeds)
        told = iter([median_outcome(many, steps) for i in range(0, len(specs), chunk)
                     for many in mv.simulate_seeds_many(surface, specs[i:i + chunk], seeds=seeds,
                                                        **conditions)])
    sliders = {}
    for name, values in grids.items():
        said = [setting_sentence(v, b, next(told),
                                 span[0] <= v <= span[1] and betas[0] <= b <= betas[1])
                for v, b in at[name]]
        current = beta if name == "beta" else lr
        sliders[name] = dict(values=list(values), index=values.index(float(current)), said=said)
    return sliders


def span_caption(span: tuple[float, float], factors: tuple[float, float], scale: float,
                 scale_source: str, sgd_row: bool) -> str:
    """The caption under the map: its lr range, where it comes from, and what a cell's
    convergence means."""
    clipped = "" if span == (factors[0] * scale, factors[1] * scale) else \
        f" (kept within the Playground's lr range {LR_RANGE[0]:g} to {LR_RANGE[1]:g})"
    sgd = " The bottom row, β = 0, is plain SGD." if sgd_row else ""
    return (f"lr from {span[0]:.3g} to {span[1]:.3g}: {factors[0]:g}× to {factors[1]:g}× plain "
            f"gradient descent's stability limit 2/λmax = {scale:.3g}, λmax {scale_source}"
            f"{clipped}.{sgd} Converged: f − f* ≤ {mv.DEFAULT_TOL:g} from that step on.")


def cell_message(before: Setup, after: Setup) -> str:
    """What taking a map cell to the Playground changed, every value of it: lr and β, the
    optimizers (the map's joins them), the steps (the map's steps per run), the map
    optimizer's own lr (dropped for the shared one) and the β comparison (turned off)."""
    def names(opt: list[str]) -> str:
        return ", ".join(optimizer_label(o) for o in opt)

    shown = {"lr": ("lr", "{:g}"), "beta": ("β", "{:g}"), "steps": ("steps", "{:,}")}
    changes = [f"{word} {form.format(before[name])} → {form.format(after[name])}"
               for name, (word, form) in shown.items() if before[name] != after[name]]
    if before["steps"] != after["steps"]:
        changes[-1] += " (the map's steps per run)"
    if before["opt"] != after["opt"]:
        changes.append(f"optimizers {names(before['opt'])} → {names(after['opt'])}")
    changes += [f"{optimizer_label(name)}'s own lr {before[f'{name}_lr']:g} → the shared lr"
                for name in OWN_LR if before[f"{name}_lr"] is not None
                and after[f"{name}_lr"] is None]
    if before["compare"] and not after["compare"]:
        changes.append("β comparison off")
    if not changes:
        return "The Playground already shows this cell's run: nothing changed."
    return f"The Playground now replays this cell's run. Changed: {'; '.join(changes)}."
