"""One-click lessons for the Playground: each sets the whole view and says what to watch."""

from __future__ import annotations

from dataclasses import dataclass, field

from ui.params import Setup, default_setup


@dataclass(frozen=True)
class Lesson:
    """A title, what to watch, and the setup's changes from its surface's defaults."""

    title: str
    explanation: str
    changes: dict = field(default_factory=dict)

    def setup(self) -> Setup:
        """The complete setup: the surface's defaults with this lesson's changes."""
        base = default_setup(self.changes.get("surface", "ravine"))
        return base | self.changes


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "Ravine: SGD zig-zags, momentum glides",
        "In a long narrow valley the gradient points mostly across it, so SGD bounces from wall "
        "to wall while creeping along the floor. Momentum averages the alternating "
        "across-valley pushes away and builds speed along the valley: same lr, about three "
        "times fewer steps.",
        dict(surface="ravine", opt=["sgd", "momentum"], lr=0.038, beta=0.6, steps=200),
    ),
    Lesson(
        "β too high: overshoot and spiral",
        "With β = 0.97 the ball keeps 97% of its velocity each step: it races past the minimum, "
        "swings back and spirals in slowly. Watch the loss curve ripple; lower β and the "
        "spiral tightens.",
        dict(surface="ravine", opt=["sgd", "momentum"], lr=0.02, beta=0.97, steps=300),
    ),
    Lesson(
        "Past the stability limit: divergence",
        "Plain gradient descent is stable only while lr·λmax < 2; here lr·λmax = 2.1, so SGD's "
        "zig-zag grows until it flies off. Momentum's limit is lr·λmax < 2(1+β) = 3.8, so the "
        "same lr still converges; raise lr past 0.076 and it diverges too.",
        dict(surface="ravine", opt=["sgd", "momentum"], lr=0.042, beta=0.9, steps=200),
    ),
    Lesson(
        "Critical damping",
        "On the bowl (curvature λ = 2, lr = 0.05) the β that damps the motion critically is "
        "(1 − √(lr·λ))² ≈ 0.4675: fastest, with no overshoot. Below it the ball is sluggish; "
        "above it, it overshoots and rings.",
        dict(surface="bowl", compare=True, betas=[0.2, 0.4675, 0.8], lr=0.05, steps=120),
    ),
    Lesson(
        "Noisy gradients: momentum averages them",
        "Every gradient here has random noise (σ = 2) added, the same for both runs. SGD "
        "jerks at every step; the EMA velocity averages about 1/(1−β) = 10 recent gradients, "
        "so its path is smooth, though with the same step size both end in a cloud around "
        "the minimum.",
        dict(surface="bowl", opt=["sgd", "ema"], lr=0.05, beta=0.9, noise=2.0, seed=7,
             steps=300),
    ),
    Lesson(
        "Rosenbrock's banana valley",
        "Both optimizers drop into the curved valley within a few steps. Along its nearly "
        "flat floor SGD crawls, while momentum keeps its speed around the bend and reaches "
        "(1, 1) in under 800 steps.",
        dict(surface="rosenbrock", opt=["sgd", "momentum"], lr=0.002, beta=0.9, steps=1000),
    ),
)
