"""Shared settings for the engine tests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Building a surface (sympy + lambdify) takes tens of milliseconds the first time: no deadline.
settings.register_profile(
    "engine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("engine")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)
