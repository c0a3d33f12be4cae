"""Data plumbing: the helpers refuse settings they cannot honour."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.core.data import check_features


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


@pytest.mark.parametrize(
    ("y", "n_classes", "match"),
    [
        (
            [0.0, 1.0],
            2,
            r"y must be 1-D integer class indices; got dtype float64 and shape "
            r"\(2,\)\. .*LabelEncoder",
        ),
        ([0, 3], 3, r"y must hold indices in \[0, 3\); got values from 0 to 3\. .*n_classes"),
        ([0, 1], 0, r"n_classes must be a positive integer; got 0\."),
    ],
    ids=["float-labels", "out-of-range", "no-classes"],
)
def test_one_hot_errors_name_expected_received_and_a_fix(
    y: Any, n_classes: int, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        gn.one_hot(np.asarray(y), n_classes)
