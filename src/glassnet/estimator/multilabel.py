"""Multilabel targets: an indicator matrix y of 0/1, one independent sigmoid per column.

scikit-learn's ``MLPClassifier`` takes such a ``y`` (``type_of_target`` says
"multilabel-indicator"), sets ``classes_ = arange(n_labels)`` and
``out_activation_ = "logistic"``, and trains every output unit as its own
yes/no question. Here the loss is :class:`glassnet.SigmoidCrossEntropy` on
the logits (gradient ``ŷ - y``). These helpers tell such a ``y`` apart,
check it against the fit it continues, and hold out a validation set.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import type_of_target, unique_labels

from ..core.data import is_sparse
from .base import MLPBase
from .inputs import as_python

__all__ = [
    "LOGISTIC",
    "check_multilabel_settings",
    "hold_out_rows",
    "indicator",
    "is_indicator",
    "is_multilabel",
    "multilabel_labels",
]

Array = NDArray[np.floating]

#: ``out_activation_`` of a multilabel fit.
LOGISTIC = "logistic"


def is_indicator(y: Any) -> bool:
    """Whether ``y`` is a multilabel indicator matrix: 2-D, over one column, of 0/1 only.

    Parameters
    ----------
    y : array-like, sparse matrix or None
    """
    if y is None:
        return False
    shape = y.shape if is_sparse(y) else np.asarray(y).shape
    if len(shape) != 2 or shape[1] < 2:
        return False
    try:
        return bool(type_of_target(y) == "multilabel-indicator")
    except ValueError:  # mixed or unreadable labels: the usual checks name them
        return False


def is_multilabel(est: MLPBase) -> bool:
    """Whether ``est`` was fitted on a multilabel indicator ``y``.

    Parameters
    ----------
    est : MLPClassifier
    """
    return getattr(est, "out_activation_", None) == LOGISTIC


def indicator(y: Any, dtype: np.dtype) -> Array:
    """``y`` (an indicator matrix, dense or sparse) as a dense float array of ``dtype``.

    Parameters
    ----------
    y : array-like or sparse matrix of shape (n_samples, n_labels)
    dtype : np.dtype
    """
    arr = y.toarray() if is_sparse(y) else np.asarray(y)
    return np.ascontiguousarray(arr, dtype=dtype)


def multilabel_labels(
    est: MLPBase, n_labels: int, first: bool, incremental: bool, classes: ArrayLike | None
) -> NDArray[np.intp]:
    """``classes_`` of a multilabel fit, ``arange(n_labels)``, checked against a previous fit.

    Parameters
    ----------
    est : MLPClassifier
    n_labels : int
        Columns of ``y``.
    first : bool
        Whether this fit starts afresh.
    incremental : bool
        ``partial_fit``.
    classes : array-like or None
        As given to ``partial_fit``: None, or the column indices.
    """
    labels = np.arange(n_labels)
    call = "partial_fit" if incremental else "fit with warm_start=True"
    if not first and not is_multilabel(est):
        raise ValueError(
            f"y is a multilabel indicator matrix with {n_labels} columns, but the estimator "
            f"was fitted on one label per sample (classes_={as_python(est.classes_)!r}); "
            f"{call} keeps the kind of target. Set warm_start=False (or start a new "
            "estimator) to fit multilabel y."
        )
    if not first and len(est.classes_) != n_labels:
        raise ValueError(
            f"y has {n_labels} label columns, but the previous fit had {len(est.classes_)}; "
            f"{call} keeps the labels. Pass y with {len(est.classes_)} columns, or set "
            "warm_start=False to start over."
        )
    if classes is not None and not np.array_equal(unique_labels(classes), labels):
        raise ValueError(
            f"classes={as_python(unique_labels(classes))!r} must be the column indices "
            f"{as_python(labels)!r} of y, a multilabel indicator matrix with {n_labels} "
            "columns (or None)."
        )
    return labels


def check_multilabel_settings(est: MLPBase) -> None:
    """Refuse the single-label extensions that have no multilabel meaning.

    Parameters
    ----------
    est : MLPClassifier
    """
    if est.class_weight is not None:
        raise ValueError(
            f"class_weight={est.class_weight!r} is for one label per sample; y is a "
            "multilabel indicator matrix, whose labels are independent yes/no questions. "
            "Set class_weight=None, and weigh samples with sample_weight."
        )
    if est.label_smoothing:
        raise ValueError(
            f"label_smoothing={est.label_smoothing} is for one label per sample (softmax "
            "outputs); y is a multilabel indicator matrix. Set label_smoothing=0.0."
        )


def hold_out_rows(
    est: MLPBase, X: Any, Y: Array, sw: Array | None
) -> tuple[Any, Array, Array | None, tuple[Any, Array, Array | None]]:
    """Early stopping's hold-out for multilabel y: random rows, not stratified.

    As scikit-learn: label combinations are too many to stratify on.

    Parameters
    ----------
    est : MLPClassifier
        Its ``validation_fraction`` and generator (which draws the split's seed).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_labels)
    sw : ndarray of shape (n_samples,) or None

    Returns
    -------
    X_train, Y_train, sw_train, (X_val, Y_val, sw_val)
    """
    fraction = est.validation_fraction
    n = X.shape[0]
    n_val = math.ceil(fraction * n)
    if n_val < 1 or n - n_val < 1:
        raise ValueError(
            f"early_stopping=True holds out validation_fraction={fraction} of {n} samples, "
            f"that is {n_val}, leaving {n - n_val} to train on: both need at least 1. "
            "Change validation_fraction, pass validation_data, or set early_stopping=False."
        )
    seed = int(est._rng.integers(np.iinfo(np.int32).max))
    arrays: list[Any] = [X, Y] if sw is None else [X, Y, sw]
    parts = train_test_split(*arrays, test_size=n_val, random_state=seed, shuffle=True)
    sw_tr = parts[4] if sw is not None else None
    sw_val = parts[5] if sw is not None else None
    return parts[0], parts[2], sw_tr, (parts[1], parts[3], sw_val)
