"""The validation set: given to ``fit`` as ``validation_data``, or held out for early stopping."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import validate_data

from ..core.data import check_features, is_sparse
from .base import MLPBase
from .inputs import as_python, check_no_text, check_targets, check_weights, encode_targets
from .multilabel import indicator, is_indicator

__all__ = ["ValidationSet", "hold_out", "validation_set"]

Array = NDArray[np.floating]
#: Features, class indices and sample weights (or None) of a validation set.
ValidationSet = tuple[Array, NDArray[Any], Array | None]


def validation_set(
    est: MLPBase,
    validation_data: Sequence[Any],
    labels: NDArray[Any],
    dtype: np.dtype,
    multilabel: bool = False,
) -> ValidationSet:
    """Check ``validation_data`` against the training data's features and classes.

    Parameters
    ----------
    est : MLPClassifier
        The estimator being fitted (its ``n_features_in_`` and feature names).
    validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val)
    labels : ndarray of shape (n_classes,)
    dtype : np.dtype
        The computing dtype.
    multilabel : bool, default=False
        Whether ``y`` is an indicator matrix: ``y_val`` must be one of as many columns.
    """
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
            f"sample_weight_val); got {type(validation_data).__name__}."
        )
    X_val, y_val = validation_data[0], validation_data[1]
    check_no_text(X_val, "X_val")
    check_targets(y_val, "y_val", multilabel=multilabel)
    shape = np.shape(X_val)
    if len(shape) == 2 and shape[1] != est.n_features_in_:
        raise ValueError(
            f"X_val has {shape[1]} features, but MLPClassifier is expecting "
            f"{est.n_features_in_} features as input (those of X). Pass validation_data "
            "with the same columns as X."
        )
    try:
        Xv = validate_data(
            est, X_val, reset=False, accept_sparse=["csr", "csc"], ensure_all_finite=False
        )
    except ValueError as exc:
        raise ValueError(f"validation_data: X_val does not fit X. {exc}") from exc
    Xv = check_features(Xv, name="X_val", dtype=dtype)
    if multilabel:
        return (
            Xv,
            _indicator_val(y_val, Xv.shape[0], len(labels), dtype),
            _weights_val(validation_data, Xv.shape[0]),
        )
    yv = np.asarray(y_val)
    if yv.ndim == 2 and yv.shape[1] == 1:
        yv = yv.ravel()
    if yv.shape != (Xv.shape[0],):
        raise ValueError(
            f"validation_data: y_val must have shape ({Xv.shape[0]},), one label per "
            f"row of X_val; got {yv.shape}."
        )
    yv_idx = encode_targets(yv, labels, "y_val")
    return Xv, yv_idx, _weights_val(validation_data, Xv.shape[0])


def _weights_val(validation_data: Sequence[Any], n: int) -> Array | None:
    """``sample_weight_val``, checked, or None."""
    if len(validation_data) == 3 and validation_data[2] is not None:
        return check_weights(validation_data[2], n, name="sample_weight_val")
    return None


def _indicator_val(y_val: Any, n: int, n_labels: int, dtype: np.dtype) -> Array:
    """``y_val`` of a multilabel fit: an indicator matrix of shape (n, n_labels)."""
    shape = y_val.shape if is_sparse(y_val) else np.asarray(y_val).shape
    if tuple(shape) != (n, n_labels) or not is_indicator(y_val):
        raise ValueError(
            f"validation_data: y_val must be a multilabel indicator matrix of 0/1 of shape "
            f"({n}, {n_labels}), like y; got shape {tuple(shape)}"
            + ("." if tuple(shape) != (n, n_labels) else " holding other values.")
        )
    return indicator(y_val, dtype)


def hold_out(
    est: MLPBase, X: Array, y_idx: NDArray[np.intp], sw: Array | None, labels: NDArray[Any]
) -> tuple[Array, NDArray[np.intp], Array | None, ValidationSet]:
    """Stratified hold-out for early stopping, with errors in the user's terms.

    Parameters
    ----------
    est : MLPClassifier
        Its ``validation_fraction`` and generator (which draws the split's seed).
    X : ndarray of shape (n_samples, n_features)
    y_idx : ndarray of shape (n_samples,)
    sw : ndarray of shape (n_samples,) or None
    labels : ndarray of shape (n_classes,)

    Returns
    -------
    X_train, y_train, sw_train, (X_val, y_val, sw_val)
    """
    fraction = est.validation_fraction
    n = X.shape[0]
    n_val = math.ceil(fraction * n)
    counts = np.bincount(y_idx, minlength=len(labels))
    fix = (
        "Raise validation_fraction, pass validation_data=(X_val, y_val) to fit, "
        "or set early_stopping=False."
    )
    if n_val < max(2, len(labels)):
        raise ValueError(
            f"early_stopping=True holds out validation_fraction={fraction} "
            f"of {n} samples, that is {n_val}, but the stratified validation set needs at "
            f"least {max(2, len(labels))} (2, and one per class for {len(labels)} "
            f"classes). {fix}"
        )
    if n - n_val < len(labels):
        raise ValueError(
            f"early_stopping=True with validation_fraction={fraction} "
            f"leaves {n - n_val} of {n} samples for training, fewer than the "
            f"{len(labels)} classes. Lower validation_fraction or set early_stopping=False."
        )
    rare = int(np.argmin(counts))
    if counts[rare] < 2:
        raise ValueError(
            f"early_stopping=True splits off a stratified validation set "
            f"(validation_fraction={fraction}), but class "
            f"{as_python(labels[rare])!r} has only {counts[rare]} sample: each class needs at "
            f"least 2 so it can appear on both sides. {fix}"
        )
    seed = int(est._rng.integers(np.iinfo(np.int32).max))
    arrays: list[Any] = [X, y_idx] if sw is None else [X, y_idx, sw]
    parts = train_test_split(
        *arrays, test_size=n_val, stratify=y_idx, random_state=seed, shuffle=True
    )
    X_tr, X_val, y_tr, y_val = parts[0], parts[1], parts[2], parts[3]
    sw_tr = parts[4] if sw is not None else None
    sw_val = parts[5] if sw is not None else None
    return X_tr, y_tr, sw_tr, (X_val, y_val, sw_val)
