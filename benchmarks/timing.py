"""Repeat a callable and keep every sample: the median is the figure, min and max its spread."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

WIDE_SPREAD = 1.5
"""max/min above this is flagged as a wide spread (a noisy measurement, not a hidden one)."""


@dataclass(frozen=True)
class Timing:
    """Wall-clock samples in seconds, each one repeat of the measured work."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    @property
    def spread(self) -> float:
        """max/min (1.0 for a perfectly repeatable measurement)."""
        return self.max / self.min if self.min > 0 else float("inf")

    @property
    def wide(self) -> bool:
        return self.spread > WIDE_SPREAD

    def scaled(self, factor: float) -> Timing:
        """Every sample multiplied by ``factor`` (e.g. a sample of cells scaled to the grid)."""
        return Timing(tuple(s * factor for s in self.samples))


def measure(
    fn: Callable[..., Any],
    *,
    repeats: int,
    warmup: int = 1,
    setup: Callable[[], Sequence[Any]] | None = None,
) -> Timing:
    """Time ``fn(*setup())`` ``repeats`` times after ``warmup`` untimed calls.

    ``setup`` runs before every call, untimed (fresh inputs per repeat). The garbage collector
    is disabled during each timed call, as ``timeit`` does (not collected per repeat: with
    torch and sympy loaded a full collection alone takes ~0.15 s).
    """
    for _ in range(warmup):
        fn(*(setup() if setup else ()))
    samples = []
    for _ in range(repeats):
        args = setup() if setup else ()
        gc.disable()
        try:
            start = time.perf_counter()
            fn(*args)
            samples.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return Timing(tuple(samples))


def measure_interleaved(
    jobs: dict[str, Callable[[], Any]], *, repeats: dict[str, int], warmup: int = 1
) -> dict[str, Timing]:
    """Time several callables round-robin, one repeat of each in turn, so that a load that
    drifts during the measurement (shared machines) affects all of them alike. Use it for
    anything whose ratio is reported. ``repeats`` gives the count per job."""
    for fn in jobs.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for turn in range(max(repeats[name] for name in jobs)):
        for name, fn in jobs.items():
            if turn >= repeats[name]:
                continue
            gc.disable()
            try:
                start = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - start)
            finally:
                gc.enable()
    return {name: Timing(tuple(values)) for name, values in samples.items()}


def fmt_seconds(seconds: float) -> str:
    """A duration with a unit that keeps three significant figures: 412 µs, 38.2 ms, 1.25 s."""
    if seconds != seconds or seconds == float("inf"):
        return str(seconds)
    rounded = float(f"{seconds:.3g}")  # the unit of what is shown: 0.9996 s is "1 s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if rounded >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def fmt_number(value: float) -> str:
    """A large count compactly: 1.23e+08."""
    return f"{value:.3g}"
