"""Targets of the losses: class indices or target rows, checked against the scores.

Targets ``y`` are either integer class indices of shape (n_samples,) or target
distributions of shape (n_samples, n_classes); the scores are logits or
probabilities of shape (n_samples, n_classes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .data import check_sample_weight, refuse_bad_values

__all__ = [
    "as_target_matrix",
    "check_2d_scores",
    "check_finite_logits",
    "class_indices",
    "sample_weights",
    "weighted_mean",
]

Array = NDArray[np.floating]


def check_2d_scores(values: ArrayLike, name: str) -> Array:
    """``values`` as a 2-D float array of shape (n_samples, n_classes), or ``ValueError``.

    Parameters
    ----------
    values : array-like
        Logits or probabilities.
    name : str
        Their name in the message.
    """
    arr = np.asarray(values)
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_classes); got shape "
            f"{arr.shape}. Reshape a single sample with {name}[None, :]."
        )
    if arr.shape[1] < 1:
        raise ValueError(
            f"{name} must have at least one class column; got shape {arr.shape}. The "
            "model's last layer needs one output unit per class."
        )
    return arr


def check_finite_logits(z: Array) -> None:
    """Raise ``ValueError`` if any logit is NaN or ±inf (their softmax is undefined).

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)
    """
    bad = ~np.isfinite(z)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise ValueError(
            f"logits contain {int(bad.sum())} non-finite value(s), the first in row {row}: "
            f"expected finite scores, got {np.array2string(z[row], threshold=6)}. The "
            "softmax of such a row is undefined. Scale the features (StandardScaler) or "
            "lower the learning rate."
        )


def class_indices(y: NDArray[Any], n_classes: int) -> NDArray[np.intp]:
    """1-D ``y`` as ``intp`` class indices, checked to be integers in ``[0, n_classes)``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels encoded as integers (or integral floats).
    n_classes : int
        The number of classes (the logits' width).
    """
    if y.dtype.kind not in "iub":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.intp)
        else:
            raise ValueError(
                "y given as a 1-D array must hold integer class indices; got dtype "
                f"{y.dtype}. Encode labels with sklearn.preprocessing.LabelEncoder."
            )
    labels = y.astype(np.intp, copy=False)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise ValueError(
            f"y holds class index {bad}, outside [0, {n_classes}) for "
            f"{n_classes} classes; check the number of output units."
        )
    return labels


def as_target_matrix(
    y: ArrayLike, n_samples: int, n_classes: int, dtype: Any
) -> tuple[Array, NDArray[np.intp] | None]:
    """Turn class indices or distributions into a target matrix.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Integer class indices in ``[0, n_classes)``, or non-negative target rows.
    n_samples, n_classes : int
        Expected sizes.
    dtype : dtype
        Dtype of the returned matrix.

    Returns
    -------
    T : ndarray of shape (n_samples, n_classes)
        One-hot rows for indices, the rows themselves for distributions.
    labels : ndarray of shape (n_samples,) or None
        The indices when ``y`` was 1-D, else None.
    """
    y_arr = np.asarray(y)
    if y_arr.ndim == 1:
        if y_arr.shape[0] != n_samples:
            raise ValueError(
                f"y has {y_arr.shape[0]} labels but the scores have {n_samples} rows; "
                "pass one label per sample."
            )
        labels = class_indices(y_arr, n_classes)
        T = np.zeros((n_samples, n_classes), dtype=dtype)
        T[np.arange(n_samples), labels] = 1.0
        return T, labels
    if y_arr.ndim == 2:
        if y_arr.shape != (n_samples, n_classes):
            raise ValueError(
                f"y given as target distributions must have shape ({n_samples}, "
                f"{n_classes}) to match the scores; got {y_arr.shape}. Give one row per "
                "sample and one column per class, or pass 1-D class indices."
            )
        T = np.asarray(y_arr, dtype=dtype)
        refuse_bad_values(
            T,
            "y",
            "Target distributions must be finite and non-negative: fix or drop those rows.",
            negative=True,
        )
        return T, None
    raise ValueError(
        "y must be 1-D class indices or 2-D target distributions; got "
        f"{y_arr.ndim}-D array of shape {y_arr.shape}. Pass labels encoded with "
        "sklearn.preprocessing.LabelEncoder, or rows of class probabilities."
    )


def sample_weights(sample_weight: ArrayLike | None, n_samples: int, dtype: Any) -> Array | None:
    """Checked sample weights in ``dtype``, or None.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
    n_samples : int
    dtype : dtype
    """
    if sample_weight is None:
        return None
    return check_sample_weight(sample_weight, n_samples, dtype=dtype)


def weighted_mean(per_sample: Array, w: Array | None) -> tuple[float, float]:
    """The losses' mean: ``Σ_i w_i L_i / Σ_i w_i``, and the total weight ``Σ_i w_i``.

    Unweighted (``w`` None) it is the plain mean and the total is N; a batch whose
    weights are all zero (or an empty one) has loss 0.

    Parameters
    ----------
    per_sample : ndarray of shape (n_samples,)
        Each sample's loss ``L_i``.
    w : ndarray of shape (n_samples,) or None
        Sample weights.
    """
    if w is None:
        total = float(per_sample.shape[0])
        return (float(np.sum(per_sample) / total) if total else 0.0), total
    total = float(np.sum(w))
    return (float(np.dot(w, per_sample) / total) if total > 0 else 0.0), total
