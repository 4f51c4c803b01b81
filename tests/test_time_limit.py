"""within(): the value or the error of quick work; OutOfTime for slow work, which is stopped."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

from momentum_viz.time_limit import OutOfTime, _Stop, quiet_stops, within


def test_quick_work_returns_its_value():
    assert within(1.0, 5.0, lambda: sum(range(1000))) == 499500


def test_an_error_in_the_work_reaches_the_caller():
    with pytest.raises(ZeroDivisionError):
        within(1.0, 5.0, lambda: 1 / 0)


def _spin(stopped: threading.Event) -> None:
    try:
        while True:
            pass
    finally:
        stopped.set()


def test_busy_work_is_stopped_after_its_cpu_time():
    stopped = threading.Event()
    start = time.monotonic()
    with pytest.raises(OutOfTime):
        within(0.2, 30.0, lambda: _spin(stopped))
    assert time.monotonic() - start < 5.0
    assert stopped.wait(2.0), "the worker must not keep spinning"


def test_waiting_does_not_count_as_cpu_time_but_the_wall_limit_ends_it():
    assert within(0.05, 5.0, lambda: time.sleep(0.3) or "slept") == "slept"
    start = time.monotonic()
    with pytest.raises(OutOfTime):
        within(10.0, 0.3, lambda: time.sleep(2.0))
    assert time.monotonic() - start < 1.5


def test_a_stop_dropped_in_a_finalizer_is_not_reported_and_anything_else_is():
    reported = []
    dropped = SimpleNamespace(exc_value=_Stop(), exc_type=_Stop)
    other = SimpleNamespace(exc_value=ValueError("x"), exc_type=ValueError)
    quiet_stops(dropped, then=reported.append)
    quiet_stops(other, then=reported.append)
    assert reported == [other]


def test_importing_the_module_sets_the_hook():
    code = ("import sys, momentum_viz.time_limit as t; "
            "print(sys.unraisablehook is t.quiet_stops)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert shown.stdout.strip() == "True"
