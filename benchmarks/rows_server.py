"""Server rows: the CPU time a real ``streamlit run app.py`` spends on one change, per page, read
from /proc as `make load`'s profile phase reads it: one session alone sets each control of the
load test's ``ACTIONS`` to each of its values, one change at a time, first with empty caches
(every change computes, as in a class where every student's setup differs), then again (every
result cached). The baseline is the same server with Streamlit's default garbage collection
after every run (``runner.postScriptGC = true``), which ``.streamlit/config.toml`` turns off.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Iterator

from benchmarks.core import Check, Context, Figure, Ratio, Row, bench
from benchmarks.timing import fmt_seconds
from scripts.cluster import ROOT, running_cluster
from scripts.load_test import ACTIONS, Tally, cold_open, profile

ORDER = 30
PAGES = {"playground": "Playground", "lab": "Tuning lab", "why": "Why momentum works"}
CLASS_CHANGES_PER_S = 30 / 4.0
"""A class of 30 at the load test's browse pace (a change every 2–6 s each)."""
TARGET_S = 0.5 / CLASS_CHANGES_PER_S
"""CPU per change that serves such a class with half a core: the rest of the core keeps the
queue short (the p95 ≤ 2 s of issue 15)."""
DEFAULT_GC = ("--runner.postScriptGC=true",)


def _profiles(options: tuple[str, ...], passes: int) -> list[dict]:
    """``profile`` ``passes`` times against a fresh server started with ``options``."""
    async def run() -> list[dict]:
        logs = ROOT / "test-artifacts" / "bench-server"
        with running_cluster(1, logs, balanced=False, options=options) as cluster:
            tally = Tally()
            await cold_open(cluster, 1, tally.errors)
            found = [await profile(cluster, tally) for _ in range(passes)]
        if tally.errors:
            raise RuntimeError(f"the server answered with errors: {tally.errors[:3]}")
        return found
    return asyncio.run(run())


def _page(found: dict, title: str) -> list[float]:
    """Every change's CPU seconds on the page ``title`` (its opening and each control)."""
    return [c for row, cost in found.items() if row.startswith(f"{title}:")
            for c in cost["server_cpu_s"]]


def _figure(samples: list[float]) -> Figure:
    return Figure(statistics.median(samples), min(samples), max(samples), "s")


def _per_control(found: dict, title: str) -> str:
    return ", ".join(f"{row.split(': ', 1)[1]} {fmt_seconds(cost['server_cpu_s_per_change'])}"
                     for row, cost in found.items() if row.startswith(f"{title}:"))


@bench(*(f"server-cpu-{page}" for page in PAGES))
def server_rows(ctx: Context) -> Iterator[Row]:
    """CPU seconds per change of each page on a real server, against Streamlit's defaults."""
    ours = _profiles((), ctx.pick(2, 1))
    baseline = ctx.pick(lambda: _profiles(DEFAULT_GC, 1), lambda: None)()
    for page, title in PAGES.items():
        fresh = _figure(_page(ours[0], title))
        again = _figure(_page(ours[-1], title)).median
        cached = f"; cached (the same changes again) {fmt_seconds(again)}" if len(ours) > 1 else ""
        row = dict(
            name=f"server-cpu-{page}",
            what=(f"{title}: the server's CPU seconds per change (/proc, 10 ms ticks), one "
                  f"session alone: the page opened and {', '.join(k for k, _ in ACTIONS[title])} "
                  f"set to each of the load test's values, caches empty (median over "
                  f"{len(_page(ours[0], title))} changes)"),
            ours=fresh, checks=(Check.at_most(fresh, TARGET_S),),
            note=f"per change: {_per_control(ours[0], title)}{cached}")
        if baseline is not None:
            base = _figure(_page(baseline[0], title))
            row |= dict(baseline=base, baseline_what="Streamlit's default: a full garbage "
                        "collection after every run (runner.postScriptGC = true)",
                        ratio=Ratio(base.median / fresh.median, base.low / max(fresh.high, 0.01),
                                    base.high / max(fresh.low, 0.01), "less CPU"))
        yield Row(**row)
