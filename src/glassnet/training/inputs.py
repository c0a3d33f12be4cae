"""The checks a training run makes before its first step: settings, then data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.checks import check_batch_size, is_int
from ..core.data import check_features, check_sample_weight
from ..fast.routes import check_route
from .state import Model

__all__ = ["RunData", "check_inputs", "check_settings"]

Array = NDArray[np.floating]


@dataclass
class RunData:
    """A training run's checked inputs, in the model's dtype.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray
        Class indices or target rows.
    w : ndarray of shape (n_samples,) or None
        Sample weights.
    val : tuple (X_val, y_val, w_val) or None
        Validation data.
    """

    X: Array
    y: NDArray[Any]
    w: Array | None
    val: tuple[Array, NDArray[Any], Array | None] | None


def check_inputs(
    model: Model,
    X: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None,
    validation_data: Sequence[Any] | None,
) -> RunData:
    """Check the data of a training run and cast it to the model's dtype.

    Parameters
    ----------
    model : Model
        Its ``dtype`` (float64 when it has none) is the data's.
    X, y, sample_weight, validation_data
        As :func:`glassnet.train` takes them.
    """
    dtype = getattr(model, "dtype", np.float64)
    Xa = check_features(X, dtype=dtype)
    ya = np.asarray(y)
    if ya.shape[0] != Xa.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {Xa.shape[0]} and {ya.shape[0]}. "
            "Pass one label (or target row) per row of X."
        )
    wa = None
    if sample_weight is not None:
        wa = check_sample_weight(sample_weight, Xa.shape[0], dtype=dtype)
    val = None
    if validation_data is not None:
        if len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be (X_val, y_val) or (X_val, y_val, sample_weight_val); "
                f"got a sequence of length {len(validation_data)}. Pass "
                "validation_data=(X_val, y_val)."
            )
        Xv = check_features(validation_data[0], name="X_val", dtype=dtype)
        wv = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            wv = check_sample_weight(
                validation_data[2], Xv.shape[0], dtype=dtype, name="sample_weight_val"
            )
        val = (Xv, np.asarray(validation_data[1]), wv)
    return RunData(Xa, ya, wa, val)


def check_settings(
    epochs: int,
    batch_size: int | None,
    max_grad_norm: float | None,
    l2: float,
    divergence_factor: float | None,
    divergence_patience: int,
    route: str,
) -> None:
    """Check :func:`glassnet.train`'s settings; ``ValueError`` naming the first bad one.

    Parameters
    ----------
    epochs, batch_size, max_grad_norm, l2, divergence_factor, divergence_patience, route
        As :func:`glassnet.train` takes them.
    """
    if not is_int(epochs) or epochs < 0:
        raise ValueError(
            f"epochs must be a non-negative integer; got {epochs!r}. Pass the number of "
            "passes over the data, e.g. epochs=100."
        )
    check_batch_size(batch_size, "samples per step")
    if max_grad_norm is not None and not (max_grad_norm > 0 and math.isfinite(max_grad_norm)):
        raise ValueError(
            f"max_grad_norm must be a positive finite number or None; got {max_grad_norm!r}. "
            "Pass e.g. max_grad_norm=1.0, or None not to clip."
        )
    if not (l2 >= 0 and math.isfinite(l2)):
        raise ValueError(
            f"l2 must be a finite number >= 0; got {l2!r}. Pass 0 for no penalty, or a "
            "small value such as 1e-4."
        )
    if divergence_factor is not None and not (
        divergence_factor > 1 and math.isfinite(divergence_factor)
    ):
        raise ValueError(
            f"divergence_factor must be a finite number > 1 or None; got {divergence_factor!r}. "
            "Pass e.g. 1e3, or None to turn the runaway-loss check off."
        )
    if int(divergence_patience) < 1:
        raise ValueError(
            f"divergence_patience must be a positive integer; got {divergence_patience!r}. "
            "Pass e.g. 3."
        )
    check_route(route)
