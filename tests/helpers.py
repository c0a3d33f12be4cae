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
import warnings
from typing import Any

import numpy as np
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


def fit_small(rng: Any, X: Any = None, *, max_iter: int = 20, dtype: Any = None) -> Any:
    """A small fitted MLPClassifier (2 → 3 → 2, string labels "no"/"yes"): a ~4 KB file.

    ``X`` defaults to 60 standard normal points; the label is whether x0 + x1 > 0.
    """
    from sklearn.exceptions import ConvergenceWarning

    from glassnet import MLPClassifier

    if X is None:
        X = rng.normal(size=(60, 2))
    Xa = np.asarray(X)
    y = np.array(["no", "yes"])[(Xa[:, 0] + Xa[:, 1] > 0).astype(int)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((3,), max_iter=max_iter, random_state=0, dtype=dtype).fit(X, y)
