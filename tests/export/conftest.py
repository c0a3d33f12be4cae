"""Fixtures for the ONNX export tests: small fitted classifiers and an onnxruntime runner."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

# Each test module skips itself when onnx, onnxruntime or skl2onnx is missing: a skip
# raised here, while pytest loads the conftest, would stop the whole run instead.


def fit(
    X: np.ndarray, y: Any, *, activation: str = "tanh", dtype: Any = None, max_iter: int = 15
) -> Any:
    """A small MLPClassifier fitted for a few epochs (convergence is beside the point)."""
    from sklearn.exceptions import ConvergenceWarning

    from glassnet import MLPClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(
            (5, 4), activation=activation, max_iter=max_iter, random_state=0, dtype=dtype
        ).fit(X, y)


def run_onnx(model: Any, X: np.ndarray, input_name: str = "X") -> list[Any]:
    """Every output of ``model`` (an onnx.ModelProto) on ``X``, from onnxruntime."""
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return list(session.run(None, {input_name: X}))


@pytest.fixture
def onnx_outputs() -> Callable[..., list[Any]]:
    """:func:`run_onnx`, as a fixture."""
    return run_onnx


@pytest.fixture
def fitted() -> Callable[..., Any]:
    """:func:`fit`, as a fixture."""
    return fit
