"""One-click lessons for the Playground: each sets the whole view and says what to watch."""

from __future__ import annotations

from dataclasses import dataclass

from ui.params import Setup, default_setup


@dataclass(frozen=True)
class Lesson:
    """A lesson: its id (a slug, the URL's ``?lesson=``), title, the setup's changes from its
    surface's defaults, what it shows and what to notice in the picture. Every number its
    words quote is checked against the engine's runs (tests/test_lessons.py). ``text`` and
    ``notice`` are written as paragraphs: their line breaks and indentation read as single
    spaces."""

    id: str
    title: str
    changes: dict
    text: str
    notice: str

    def __post_init__(self) -> None:
        for name in ("text", "notice"):
            object.__setattr__(self, name, " ".join(getattr(self, name).split()))

    @property
    def explanation(self) -> str:
        """What the lesson shows, then the line "What to notice: …"."""
        return f"{self.text} **What to notice:** {self.notice}"

    def setup(self) -> Setup:
        """The complete setup: the surface's defaults with this lesson's changes, and this
        lesson's id (its view's URL is ``?lesson=<id>``)."""
        base = default_setup(self.changes.get("surface", "ravine"))
        return base | self.changes | {"lesson": self.id}


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "ravine", "Ravine: SGD zig-zags, momentum glides",
        dict(surface="ravine", opt=["sgd", "momentum"], lr=0.038, beta=0.6, x0=-2.5, y0=-2.2,
             steps=300),
        """Across this long valley the curvature is λ = 50, so lr·λ = 1.9, close to plain gradient
        descent's limit 2: SGD jumps over the floor at every step, and its zig-zag shrinks by only
        |1 − 1.9| = 0.9 per step. Both runs take the same first step (the velocity starts at zero).
        From then on momentum's velocity adds up the pushes: across the valley they alternate and
        cancel, along the floor (λ = 1) they agree and build speed. Same lr, about three times
        fewer steps.""",
        """SGD's zig-zag goes on most of the way down; momentum's swings die out after a few steps
        and it glides along the floor. The table counts the crossings.""",
    ),
    Lesson(
        "spiral", "β too high: overshoot and spiral",
        dict(surface="oval", opt=["sgd", "momentum"], lr=0.05, beta=0.95, steps=300),
        """On this slightly oval bowl (curvatures 1 and 1.2) with β = 0.95 the ball keeps 95% of
        its velocity each step: it races past the minimum, and because the two directions swing at
        slightly different rates it circles the minimum more than four times before it settles.
        SGD, with the same lr, slides straight in and arrives in half the steps.""",
        """the momentum path winds around the star, always the same way round; lower β and it
        circles fewer times and settles sooner.""",
    ),
    Lesson(
        "divergence", "Past the stability limit: divergence",
        dict(surface="ravine", opt=["sgd", "momentum"], lr=0.044, beta=0.9, x0=-2.0, y0=-2.1,
             steps=200),
        """Plain gradient descent is stable only while lr·λmax < 2; here lr·λmax = 2.2, so SGD's
        zig-zag across the valley grows by |1 − 2.2| = 1.2 per step: it starts small, near the
        floor, and swells until it leaves the map. Momentum's limit is lr·λmax < 2(1+β) = 3.8, so
        the same lr still converges; raise lr past 0.076 and it diverges too.""",
        """SGD's zig-zag widens step after step until it leaves the map; momentum, at the same lr,
        reaches the star.""",
    ),
    Lesson(
        "critical-damping", "Critical damping",
        dict(surface="ravine", compare=True, betas=[0.3, 0.648, 0.9], lr=0.038, x0=-2.5,
             y0=-2.2, steps=200),
        """Along the valley floor (λ = 1, lr·λ = 0.038) the critical β is (1 − √(lr·λ))² ≈ 0.648.
        Below it (β = 0.3) the ball creeps along the floor; at it, it arrives fastest of the three
        without passing the minimum along the floor; above it (β = 0.9) it runs past the minimum
        along the floor and swings back. Across the valley (λ = 50) lr·λ = 1.9 > 1: there no β
        stops the swing without a sign change. Even at that direction's critical β ≈ 0.143 the
        double root 1 − √1.9 ≈ −0.378 is negative: the component flips sign every step while
        shrinking by 0.378.""",
        """the β = 0.9 path passes the star along the valley and comes back. Press ▶: the critical
        β arrives first (47 steps), β = 0.3 creeps in (136), β = 0.9 swings in last (149). All
        three zig-zag across the valley at first.""",
    ),
    Lesson(
        "noise", "Noisy gradients: momentum averages them",
        dict(surface="bowl", opt=["sgd", "ema"], lr=0.05, beta=0.9, noise=2.0, seed=7,
             steps=300),
        """Every gradient here has random noise (σ = 2) added, the same for both runs. SGD jerks at
        every step; the EMA velocity averages about 1/(1−β) = 10 recent gradients, so its path is
        smooth, though with the same step size both end in a cloud around the minimum.""",
        """SGD's path jitters at every step; the EMA run's curves smoothly.""",
    ),
    Lesson(
        "minibatch-noise", "Minibatches: momentum averages the noise, until β is too high",
        dict(surface="linreg", opt=["sgd", "ema"], lr=0.8, beta=0.9, batch_size=8, seeds=30,
             steps=150),
        """Each step's gradient here is the mean over only B = 8 of the 300 data points, so it
        points somewhere else at every step, and the stage runs 30 seeds (30 orders of the data).
        SGD at lr 0.8 (lr·λmax = 1.7, near its limit 2) follows every minibatch: after 150 steps
        its seeds are 0.72 from the minimum (root mean square), with a median f − f* of 0.18 (90th
        percentile 0.71). EMA momentum at the same lr averages about 1/(1−β) = 10 minibatch
        gradients into each step: its seeds end 0.23 from the minimum, median 0.039, 90th
        percentile 0.10. Now drag β to 0.99 and release: the average reaches back about 100 steps,
        so the velocity lags behind the gradients and the ball swings wide past the minimum. After
        150 steps the mean path is still 0.53 from the minimum (0.06 at β = 0.9) and the median f −
        f* is 0.33, worse than SGD's.""",
        """press ▶: SGD's dots (one per seed) scatter widely around the star while the EMA's gather
        close to it, and at the last step the EMA's band in the loss chart lies far below SGD's. At
        β = 0.99 the bold mean path swings further past the star.""",
    ),
    Lesson(
        "rosenbrock", "Rosenbrock's banana valley",
        dict(surface="rosenbrock", opt=["sgd", "momentum"], lr=0.002, beta=0.9, steps=1000),
        """Both optimizers drop into the curved valley within a few steps. Along its nearly flat
        floor SGD crawls, while momentum keeps its speed around the bend and reaches (1, 1) in
        under 800 steps.""",
        """after 1,000 steps SGD is still short of the star; momentum is there.""",
    ),
    Lesson(
        "adam-vs-momentum", "Adam vs momentum in the ravine",
        dict(surface="ravine", opt=["momentum", "adam"], lr=0.038, beta=0.9, adam_lr=0.1,
             steps=300),
        """Adam divides each coordinate of its step by a running size of that coordinate's
        gradient, so its first steps are ±lr in x and in y whatever the slope (0.14 long at its own
        lr 0.1). In this ravine, turned 45°, that diagonal points straight across the valley: Adam
        is on the floor in 5 steps, while momentum (β = 0.9, lr 0.038) swings from wall to wall for
        49. Then Adam walks down the floor in steps of only about 0.03: its average of g² (β₂ =
        0.999) still remembers the steep walls. Momentum reaches the minimum in 153 steps, Adam in
        204.""",
        """Adam's first steps are a straight diagonal to the floor, and for those steps its loss is
        the lower one; then it snakes gently down the floor while momentum, zig-zagging between the
        walls, reaches the star first.""",
    ),
    Lesson(
        "schedule", "A schedule settles noisy momentum",
        dict(surface="bowl", opt=["momentum"], lr=0.05, beta=0.9, noise=2.0, seed=2,
             steps=300, schedule="cosine", t_max=300),
        """Every gradient carries noise (σ = 2). At a constant lr momentum's velocity keeps adding
        the noise up and the ball never settles: over its last 50 steps it wanders 0.9 about its
        mean and ends 1.0 from the minimum. The cosine schedule (the lr chart under the stage)
        lowers lr from 0.05 to 0 over the 300 steps, so the same noise moves the ball less and
        less: over the last 50 steps the ball spreads only 0.08 and it ends 0.13 from the
        minimum.""",
        """the loss chart's swings shrink as the lr chart falls, and the ball comes to rest; set
        the schedule to Constant to see it keep wandering.""",
    ),
)
LESSON_IDS: tuple[str, ...] = tuple(lesson.id for lesson in LESSONS)
"""The lessons' ids, in order: the values ``?lesson=`` accepts."""
