"""What a benchmark row is, and how row functions register themselves.

A row module (``benchmarks/rows_*.py``) defines generator functions decorated with ``@bench``
naming the rows they yield; ``python -m benchmarks`` imports every row module, runs them in
order and renders the rows. Adding page or browser rows means adding a module, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from benchmarks.timing import Timing, fmt_number, fmt_seconds

T = TypeVar("T")


@dataclass(frozen=True)
class Figure:
    """A measured quantity: the median of the repeats and the range they spanned."""

    median: float
    low: float
    high: float
    unit: str
    wide: bool = False

    @classmethod
    def time(cls, timing: Timing) -> Figure:
        return cls(timing.median, timing.min, timing.max, "s", timing.wide)

    @classmethod
    def rate(cls, work: float, timing: Timing, unit: str) -> Figure:
        """``work`` per second: the fastest repeat gives the highest rate."""
        return cls(work / timing.median, work / timing.max, work / timing.min, unit, timing.wide)

    def text(self) -> str:
        fmt = fmt_seconds if self.unit == "s" else fmt_number
        suffix = "" if self.unit == "s" else f" {self.unit}"
        wide = " WIDE" if self.wide else ""
        return f"{fmt(self.median)}{suffix} [{fmt(self.low)}–{fmt(self.high)}]{wide}"


@dataclass(frozen=True)
class Ratio:
    """A ratio of two timings from the same run, e.g. a speed-up over a baseline.

    ``low``/``high`` combine the extremes of both timings, so they bound every pairing."""

    median: float
    low: float
    high: float
    label: str

    @classmethod
    def speedup(cls, ours: Timing, baseline: Timing) -> Ratio:
        """How many times faster than the baseline we are (baseline time / our time)."""
        return cls(baseline.median / ours.median, baseline.min / ours.max,
                   baseline.max / ours.min, "faster")

    @classmethod
    def time_ratio(cls, ours: Timing, baseline: Timing) -> Ratio:
        """Our time as a multiple of the baseline's (our time / baseline time)."""
        return cls(ours.median / baseline.median, ours.min / baseline.max,
                   ours.max / baseline.min, "baseline's time")

    def text(self) -> str:
        return f"{self.median:.3g}× {self.label} [{self.low:.3g}–{self.high:.3g}]"


@dataclass(frozen=True)
class Check:
    """One target and whether the median met it."""

    label: str
    passed: bool

    @classmethod
    def at_most(cls, measured: Timing | Figure | Ratio, limit: float) -> Check:
        """The median of ``measured`` is ``limit`` or less (a time, a size, a time ratio)."""
        return cls(f"≤ {_limit_text(measured, limit)}", measured.median <= limit)

    @classmethod
    def at_least(cls, measured: Timing | Figure | Ratio, limit: float) -> Check:
        """The median of ``measured`` is ``limit`` or more (a rate, a speed-up)."""
        return cls(f"≥ {_limit_text(measured, limit)}", measured.median >= limit)


def _limit_text(measured: Timing | Figure | Ratio, limit: float) -> str:
    """``limit`` in the units of ``measured``: "150 ms", "1.5 MB", "400× faster"."""
    if isinstance(measured, Timing):
        return fmt_seconds(limit)
    if isinstance(measured, Ratio):
        return f"{limit:g}× {measured.label}"
    return f"{fmt_number(limit)} {measured.unit}"


@dataclass(frozen=True)
class ProfileSpec:
    """What to run under cProfile when a row misses, and how to read the profile.

    ``steps`` (counted in ``unit``s) turns call counts into calls per step; ``diagnosis`` is
    the analysis of where the time goes, shown with the profile in BENCHMARKS.md."""

    run: Callable[[], object]
    steps: int
    diagnosis: str
    unit: str = "step"


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    name: str
    what: str
    ours: Figure | None = None
    baseline: Figure | None = None
    baseline_what: str = ""
    ratio: Ratio | None = None
    checks: tuple[Check, ...] = ()
    note: str = ""
    skipped: bool = False
    error: str | None = None
    profile: ProfileSpec | None = field(default=None, compare=False)

    @classmethod
    def timed(cls, name: str, what: str, timing: Timing, target: float | None = None,
              **rest: Any) -> Row:
        """A row whose figure is ``timing``, checked against at most ``target`` seconds when
        one is given (else reported only); ``rest`` as for the constructor."""
        checks = (Check.at_most(timing, target),) if target is not None else ()
        return cls(name=name, what=what, ours=Figure.time(timing), checks=checks, **rest)

    @property
    def missed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def verdict(self, quick: bool = False) -> str:
        """met / MISSED / report (no target) / skipped / ERROR; quick runs assert nothing."""
        if self.error is not None:
            return "ERROR"
        if self.skipped:
            return "skipped"
        if not self.checks:
            return "report"
        if quick:
            return "quick (not asserted)"
        return "MISSED" if self.missed else "met"

    @property
    def target(self) -> str:
        return "; ".join(c.label for c in self.checks) or "—"


@dataclass
class Context:
    """Run-wide settings and a cache so rows can share one measurement."""

    quick: bool
    cache: dict[str, Any] = field(default_factory=dict)

    def pick(self, full: T, quick: T) -> T:
        """``full`` in a full run, ``quick`` under --quick."""
        return quick if self.quick else full


RowFunction = Callable[[Context], Iterator[Row]]


@dataclass(frozen=True)
class Bench:
    """A registered row function and the row names it promises to yield."""

    fn: RowFunction
    names: tuple[str, ...]
    module: str


REGISTRY: list[Bench] = []


def bench(*names: str) -> Callable[[RowFunction], RowFunction]:
    """Register a generator of rows named ``names`` (in the order it yields them)."""

    def register(fn: RowFunction) -> RowFunction:
        taken = {n for b in REGISTRY for n in b.names if b.fn is not fn}
        clash = taken.intersection(names)
        if clash:
            raise ValueError(f"duplicate benchmark row names: {sorted(clash)}")
        REGISTRY.append(Bench(fn, tuple(names), fn.__module__))
        return fn

    return register
