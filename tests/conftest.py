"""Shared fixtures: one seeded Generator per test, a headless matplotlib."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(params=["readable", "fast", "compiled"])
def route(request: pytest.FixtureRequest) -> str:
    """Each training route in turn; the compiled one where numba is installed.

    Tests that take it train on that route (``train(..., route=route)``); the
    compiled kernels restate relu-like networks, so such tests build relu models
    for it (:func:`helpers.activation_for`).
    """
    if request.param == "compiled":
        from glassnet.fast import kernels

        if kernels.switched_off() or kernels.load_step() is None:
            pytest.skip("numba is not installed (pip install 'glassnet[fast]'): no compiled route")
    return str(request.param)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A Generator seeded from the test's name, so every test draws its own stream."""
    # Seeded by the file's name and the test's, not its folder: each test keeps the
    # data it was written against when test files move between folders.
    where = "tests/" + request.node.nodeid.rsplit("/", 1)[-1]
    seed = sum(map(ord, where)) % (2**32)
    return np.random.default_rng(seed)
