"""``python -m benchmarks [--quick] [--output PATH] [--only NAME]``: run every row, print the
table, and (full runs) write BENCHMARKS.md with a profile-based section for every miss."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import benchmarks
from benchmarks import report
from benchmarks.core import REGISTRY, Bench, Context, Row

DEFAULT_OUTPUT = report.ROOT / "BENCHMARKS.md"


def load_row_modules() -> list[Bench]:
    """Import every ``benchmarks/rows_*.py`` (ordered by its ``ORDER``, then name) and return
    the registered row functions in that order."""
    modules = []
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name.startswith("rows_"):
            modules.append(importlib.import_module(f"benchmarks.{info.name}"))
    rank = {m.__name__: (getattr(m, "ORDER", 100), m.__name__) for m in modules}
    return sorted(REGISTRY, key=lambda b: rank.get(b.module, (100, b.module)))


def row_names() -> list[str]:
    """Every row name, in table order."""
    return [name for b in load_row_modules() for name in b.names]


def run_rows(ctx: Context, only: str | None = None, log=print) -> list[Row]:
    """Run the row functions; a failing function yields ERROR rows for the names it owed."""
    rows: list[Row] = []
    for b in load_row_modules():
        if only and not any(only in name for name in b.names):
            continue
        got: list[Row] = []
        started = time.perf_counter()
        try:
            for row in b.fn(ctx):
                if row.name not in b.names:
                    raise ValueError(f"{b.fn.__name__} yielded undeclared row {row.name!r}")
                got.append(row)
        except Exception as exc:  # a broken row must not hide the others
            log(traceback.format_exc(), file=sys.stderr)
            done = {r.name for r in got}
            got += [Row(name=n, what="", error=f"{type(exc).__name__}: {exc}")
                    for n in b.names if n not in done]
        log(f"  {', '.join(b.names)}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        rows += got
    return rows


def miss_sections(rows: Sequence[Row]) -> list[str]:
    """One profiled section per distinct workload among the missed rows."""
    groups: dict[int, list[Row]] = {}
    for row in rows:
        if row.error is None and row.missed:
            groups.setdefault(id(row.profile), []).append(row)
    return [report.profile_section(group) for group in groups.values()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and few repeats: checks the rows run, asserts no "
                             "targets, does not write BENCHMARKS.md unless --output is given")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"where to write the markdown (default for full runs: "
                             f"{DEFAULT_OUTPUT.name} at the repository root)")
    parser.add_argument("--only", default=None,
                        help="run only row functions with a row name containing this; "
                             "writes nothing unless --output is given")
    parser.add_argument("--list", action="store_true", help="print the row names and exit")
    args = parser.parse_args(argv)

    if args.list:
        print("\n".join(row_names()))
        return 0
    env = report.environment()
    mode = "quick" if args.quick else "full"
    print(f"momentum_viz benchmarks ({mode}) — {env['cpu']}, {env['cores']}, "
          f"load {env['load average (1/5/15 min) at start']}", file=sys.stderr)
    ctx = Context(quick=args.quick)
    rows = run_rows(ctx, args.only)
    env["load average (1/5/15 min) at end"] = report.load_average()
    print(report.text_table(rows, quick=args.quick))

    output = args.output
    if output is None and not args.quick and not args.only:
        output = DEFAULT_OUTPUT
    if output is not None:
        misses = [] if args.quick else miss_sections(rows)
        command = "python -m benchmarks" + (" --quick" if args.quick else "")
        text = report.markdown(rows, env, misses, command, quick=args.quick)
        output.write_text(text, encoding="utf-8")
        print(f"\nwrote {output}", file=sys.stderr)
    return 1 if any(r.error is not None for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
