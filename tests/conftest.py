"""Shared fixtures: one seeded Generator per test, a headless matplotlib."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _route_choice_as_in_a_fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """``route="auto"`` decides as a fresh process would, whatever ran before.

    Once numba's kernels are loaded, "auto" sends every run they restate to
    them (:func:`glassnet.fast.routes.choose_route`): without this, which route a
    test's fit took would depend on the tests that ran before it.
    """
    from glassnet.fast import kernels

    monkeypatch.setattr(kernels, "step_load_seconds", lambda: kernels.STEP_LOAD_SECONDS)


@pytest.fixture(params=["readable", "fast", "compiled"])
def route(request: pytest.FixtureRequest) -> str:
    """Each training route in turn; the compiled one where numba is installed.

    Tests that take it train on that route (``train(..., route=route)``); the
    compiled kernels restate every activation the estimator offers.
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


@pytest.fixture
def moons() -> tuple[np.ndarray, np.ndarray]:
    """``make_moons(200, noise=0.2, random_state=0)``: the small teaching problem."""
    from sklearn.datasets import make_moons

    X, y = make_moons(200, noise=0.2, random_state=0)
    return X, y


@pytest.fixture
def fitted(rng: np.random.Generator) -> Any:
    """A small fitted MLPClassifier (:func:`helpers.fit_small`), fresh for each test."""
    from helpers import fit_small

    return fit_small(rng)


@pytest.fixture
def saved_model(fitted: Any, tmp_path: Path) -> Path:
    """``fitted`` saved with :func:`glassnet.save` to ``tmp_path / "model.glassnet"``."""
    import glassnet

    path = tmp_path / "model.glassnet"
    glassnet.save(fitted, path)
    return path
