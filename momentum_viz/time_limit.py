"""Run a piece of work with a CPU-time limit, from any thread.

Streamlit runs page scripts in worker threads, where ``signal.alarm`` cannot be used, and sympy
cannot be interrupted otherwise: the work runs in a thread of its own, which is stopped by an
exception raised in it once it has used its time."""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class OutOfTime(Exception):
    """The work used more than its CPU time, or waited longer than its wall time."""


class _Stop(BaseException):
    """Raised inside a late worker (not an Exception: library code's ``except Exception``
    clauses must not swallow it)."""


def quiet_stops(unraisable: sys.UnraisableHookArgs, then=sys.unraisablehook) -> None:
    """``sys.unraisablehook`` (set on import): a ``_Stop`` that Python dropped because it
    landed in a finalizer is left unreported (``_stop`` sends it again); anything else goes to
    the hook that was there before (``then``)."""
    if not isinstance(unraisable.exc_value, _Stop):
        then(unraisable)


sys.unraisablehook = quiet_stops


def within(cpu_seconds: float, wall_seconds: float, work: Callable[[], T]) -> T:
    """``work()``, run in a worker thread; OutOfTime once that thread has used ``cpu_seconds``
    of CPU time (wall time where threads have no CPU clock) or ``wall_seconds`` have passed.

    CPU time, because on a busy server every session shares one interpreter lock and quick
    work must not be refused for waiting its turn. A late worker is stopped (the next time it
    runs Python code), so it does not keep a CPU busy for minutes."""
    outcome: dict[str, object] = {}
    reading = threading.Lock()  # held while the worker's clock is read: it cannot end meanwhile

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the caller, or the stop signal itself
            outcome["error"] = exc
        with reading:
            outcome["done"] = True

    worker = threading.Thread(target=run, name="time-limited", daemon=True)
    with reading:
        worker.start()
        used = _cpu_clock(worker)
    give_up = time.monotonic() + wall_seconds
    while True:
        worker.join(0.02)
        with reading:
            if "done" in outcome:
                break
            late = used() > cpu_seconds or time.monotonic() > give_up
        if late:
            _stop(worker, reading, outcome)
            raise OutOfTime(f"took more than {cpu_seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _stop(worker: threading.Thread, reading: threading.Lock, outcome: dict) -> None:
    """Raise ``_Stop`` in ``worker`` until it is done (for up to a second): Python drops an
    exception that lands while a thread runs a finalizer (a weakref callback, ``__del__``), so
    one signal may not be enough. Sent only to a live worker that has not marked itself done
    (checked under ``reading``): a thread id is reused once its thread has ended."""
    for _ in range(50):
        with reading:
            if "done" in outcome or not worker.is_alive():
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident),
                                                       ctypes.py_object(_Stop))
        worker.join(0.02)


def _cpu_clock(thread: threading.Thread) -> Callable[[], float]:
    """Seconds of CPU time ``thread`` (alive) has used; wall seconds since now where the
    platform has no per-thread CPU clock."""
    if hasattr(time, "pthread_getcpuclockid"):
        clock = time.pthread_getcpuclockid(thread.ident)
        return lambda: time.clock_gettime(clock)
    start = time.monotonic()
    return lambda: time.monotonic() - start
