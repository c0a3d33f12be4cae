"""The readable step, as the maths reads: forward, loss, backward, the l2 penalty.

:func:`loss_and_gradient` is the readable route's training step and the L-BFGS
solver's objective; :func:`evaluate` scores a model in one forward pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.losses import l2_penalty
from .state import Loss, Model

__all__ = ["count_correct", "evaluate", "labels_of", "loss_and_gradient"]

Array = NDArray[np.floating]


def labels_of(y: ArrayLike) -> NDArray[np.intp]:
    """Class indices of ``y``: itself when 1-D, the largest target of each row when 2-D.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
    """
    arr = np.asarray(y)
    return np.argmax(arr, axis=1) if arr.ndim == 2 else arr.astype(np.intp)


def count_correct(loss: Loss, logits: Array, y: ArrayLike) -> int:
    """How many samples the logits get right, as the loss counts them.

    A loss may say (``loss.n_correct(logits, y)``: a multilabel loss counts rows
    whose every label is right); otherwise the largest logit must be at the
    (largest) target.

    Parameters
    ----------
    loss : Loss
    logits : ndarray of shape (n_samples, n_outputs)
    y : array-like
        Class indices or target rows.
    """
    count = getattr(loss, "n_correct", None)
    if count is not None:
        return int(count(logits, y))
    return int(np.count_nonzero(logits.argmax(axis=1) == labels_of(y)))


def loss_and_gradient(
    model: Model,
    loss: Loss,
    X: Array,
    y: Any,
    sample_weight: Array | None = None,
    l2: float = 0.0,
) -> tuple[float, Array] | None:
    """One forward and backward pass, exactly as the maths reads, with the l2 penalty.

    The readable route's step and the L-BFGS solver's objective are this
    function: the loss of ``model`` on ``(X, y)``, its gradient written into
    ``model.gradients()``, and ``(l2 / 2) · Σ‖W‖² / B`` added to both (``B``
    the number of samples, or their total weight).

    Parameters
    ----------
    model : Model
    loss : Loss
    X : ndarray of shape (n_samples, n_features)
    y : ndarray
        Class indices or target rows.
    sample_weight : ndarray of shape (n_samples,), optional
    l2 : float, default=0.0
        The penalty on parameters named ``"*.W"`` (weights, not biases).

    Returns
    -------
    (loss, logits) or None
        None when the logits are not all finite: the caller reports a divergence
        (the losses themselves refuse such logits with a ``ValueError``).
    """
    logits = model.forward(X)
    if not np.all(np.isfinite(logits)):
        return None
    value = float(loss.forward(logits, y, sample_weight))
    model.backward(loss.backward())
    B = float(logits.shape[0]) if sample_weight is None else float(np.sum(sample_weight))
    if l2 and B > 0:
        grads = model.gradients()
        for name, W in model.parameters().items():
            if name.endswith(".W"):
                value += l2_penalty(W, grads[name], l2 / B)
    return value, logits


def evaluate(
    model: Model, loss: Loss, X: Array, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> tuple[float, float]:
    """Loss and accuracy of ``model`` on ``(X, y)`` in one forward pass.

    Parameters
    ----------
    model : Model
        Maps X to logits (a :class:`glassnet.Sequential`).
    loss : Loss
        Gives the mean loss of the logits (a :class:`glassnet.SoftmaxCrossEntropy`).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Class indices or target distributions.
    sample_weight : array-like of shape (n_samples,), optional
        Weights of the mean loss (accuracy is unweighted).

    Returns
    -------
    loss_value : float
    accuracy : float
        Fraction of samples whose largest logit is at their (largest) target.

    Raises
    ------
    ValueError
        If the logits are not finite, or ``y`` does not fit them.
    """
    logits = model.forward(X)
    value = loss.forward(logits, y, sample_weight)
    acc = count_correct(loss, logits, y) / max(int(logits.shape[0]), 1)
    return value, acc
