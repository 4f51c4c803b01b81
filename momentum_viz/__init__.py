"""momentum_viz: gradient descent with momentum, exactly and fast, on 2-D loss surfaces.

>>> import momentum_viz as mv
>>> run = mv.simulate(mv.get_surface("ravine"), optimizer="momentum", lr=0.035, beta=0.8,
...                   steps=200)
"""

from momentum_viz import optimizers, quiz, schedules, theory
from momentum_viz.criteria import DEFAULT_TOL
from momentum_viz.data import DATASETS, DataSet, regression_surface
from momentum_viz.formula import FormulaError, parse_formula
from momentum_viz.metrics import Metrics, run_metrics
from momentum_viz.optimizers import (
    OPTIMIZERS,
    HyperParameter,
    Optimizer,
    State,
    effective_lr,
    register,
)
from momentum_viz.presets import DATA_SURFACE_IDS, SURFACE_IDS, get_surface, list_surfaces
from momentum_viz.seeds import Seeds, simulate_seeds, simulate_seeds_many
from momentum_viz.simulate import Run, RunSpec, simulate, simulate_many
from momentum_viz.surface import Surface, surface_from_formula
from momentum_viz.sweep import Sweep, sweep

SURFACES = SURFACE_IDS

__all__ = [
    "DATASETS",
    "DATA_SURFACE_IDS",
    "DEFAULT_TOL",
    "OPTIMIZERS",
    "SURFACES",
    "SURFACE_IDS",
    "DataSet",
    "FormulaError",
    "HyperParameter",
    "Metrics",
    "Optimizer",
    "Run",
    "RunSpec",
    "Seeds",
    "State",
    "Surface",
    "Sweep",
    "effective_lr",
    "get_surface",
    "list_surfaces",
    "optimizers",
    "parse_formula",
    "quiz",
    "register",
    "regression_surface",
    "run_metrics",
    "schedules",
    "simulate",
    "simulate_many",
    "simulate_seeds",
    "simulate_seeds_many",
    "surface_from_formula",
    "sweep",
    "theory",
]
