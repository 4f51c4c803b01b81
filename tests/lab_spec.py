"""What the Tuning lab's map says about a setting, computed independently of the page: the
engine's run there (``mv.simulate``), put in the page's words."""

from __future__ import annotations

import momentum_viz as mv


def said_by_the_engine(surface_id: str, lr: float, beta: float, start: tuple[float, float],
                       steps: int, inside: bool) -> str:
    """The sentence the map's sliders should show at (lr, β) for momentum on the surface."""
    metrics = mv.simulate(mv.get_surface(surface_id), optimizer="momentum", lr=lr, beta=beta,
                          start=start, steps=steps).metrics()
    if metrics.diverged_at is not None:
        told = f"diverged at step {metrics.diverged_at}"
    elif metrics.steps_to_converge is not None:
        told = f"converged in {metrics.steps_to_converge:,} steps"
    else:
        told = f"not converged in {steps:,} steps"
    return f"lr = {lr:g}, β = {beta:g}: {told}" + ("." if inside else
                                                    "; it lies outside this map.")
