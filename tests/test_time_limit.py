"""within(): the value or the error of quick work; OutOfTime for slow work, which is stopped."""

from __future__ import annotations

import threading
import time

import pytest

from momentum_viz.time_limit import OutOfTime, within


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
