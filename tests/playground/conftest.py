"""Playground fixtures: one live server and one headless Chromium per test module."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the playground needs pip install 'glassnet[playground]'")
pytest.importorskip("uvicorn", reason="the playground needs pip install 'glassnet[playground]'")

from playground_support import CHROMIUM_ARGS, INSTALL, Served, chromium_path, start_server


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One playground server for the test module."""
    yield from start_server()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium context (fresh profile) for the module; pages are new tabs."""
    in_ci = os.environ.get("CI") == "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci:
            pytest.fail(f"Playwright is not installed: {INSTALL}")
        pytest.skip(f"Playwright is not installed: {INSTALL}")
    path = chromium_path()
    if path is None:
        if in_ci:
            pytest.fail(f"no Chromium found: {INSTALL}")
        pytest.skip(f"no Chromium found: {INSTALL}")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=path, headless=True, args=CHROMIUM_ARGS,
            accept_downloads=True, viewport={"width": 1500, "height": 1000},
        )  # fmt: skip
        try:
            yield context
        finally:
            context.close()
