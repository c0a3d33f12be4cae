"""Helpers shared by several test modules.

Importable as ``helpers``: tests/ is not a package, so pytest's default import mode
puts this folder (where conftest.py lives) on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys

import pytest

from glassnet.fast import kernels as _kernels

needs_numba = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None or _kernels.switched_off(),
    reason="numba is not installed (pip install 'glassnet[fast]') or GLASSNET_NO_NUMBA is set: "
    "the compiled path is untested",
)


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def agreements(text: str) -> list[float]:
    """The differences between the two gradient routes that an explain rendering prints."""
    return [float(m) for m in re.findall(r"between the routes = ([0-9.e+-]+) <", text)]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this environment plus ``env``); fail on a bad exit."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def activation_for(route: str, activation: str = "tanh") -> str:
    """``activation``, or relu on the compiled route (its kernels restate relu-like layers)."""
    return (
        "relu"
        if route == "compiled" and activation in ("tanh", "logistic", "sigmoid")
        else activation
    )
