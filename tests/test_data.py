"""Data plumbing: the helpers refuse settings they cannot honour."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import check_features


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: list(gn.minibatches(10, 0)), r"batch_size must be a positive integer or None"),
        (lambda: list(gn.minibatches(10, -3)), r"got -3"),
        (
            lambda: check_features(np.ones((2, 2)), dtype=np.float16),
            r"dtype must be float32 or float64; got float16",
        ),
        (
            lambda: check_features(np.ones((2, 2)), dtype=np.int64),
            r"dtype must be float32 or float64; got int64",
        ),
    ],
    ids=["minibatches-zero", "minibatches-negative", "features-float16", "features-int"],
)
def test_data_helpers_refuse_bad_settings(call: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
