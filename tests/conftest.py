"""Shared fixtures: one seeded Generator per test, a headless matplotlib."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A Generator seeded from the test's name, so every test draws its own stream."""
    # Seeded by the file's name and the test's, not its folder: each test keeps the
    # data it was written against when test files move between folders.
    where = "tests/" + request.node.nodeid.rsplit("/", 1)[-1]
    seed = sum(map(ord, where)) % (2**32)
    return np.random.default_rng(seed)
