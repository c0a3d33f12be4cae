"""Multilabel outputs: independent sigmoids with binary cross-entropy, on logits.

Each of K labels is its own yes/no question: ``ŷ_k = σ(z_k)`` and the loss is
``L = -Σ_k [y_k log ŷ_k + (1 - y_k) log(1 - ŷ_k)]`` per sample, averaged over the
samples (scikit-learn's multilabel ``MLPClassifier`` minimises the same sum).

The gradient on the logits, next to the softmax case
------------------------------------------------------
With ``log σ(z) = -softplus(-z)``, ``log(1 - σ(z)) = -softplus(z)`` and
``softplus(-z) = softplus(z) - z``, each term is ``softplus(z_k) - y_k z_k``, and
since ``d softplus(z)/dz = σ(z)``::

    ∂L/∂z_k = σ(z_k) - y_k = ŷ_k - y_k

the same ``ŷ - y`` as softmax with cross-entropy (:class:`glassnet.SoftmaxCrossEntropy`),
where the softmax Jacobian's two cases collapse to it. Here there is no Jacobian to
collapse: each sigmoid depends on its own logit only (the Jacobian is diagonal,
``σ(z)(1 - σ(z))``, and ``∂L/∂ŷ_k = -y_k/ŷ_k + (1 - y_k)/(1 - ŷ_k)``; their product is
``ŷ_k - y_k``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import functional as F
from .targets import check_2d_scores, check_finite_logits, sample_weights, weighted_mean

__all__ = ["SigmoidCrossEntropy", "predict_labels"]

Array = NDArray[np.floating]


class SigmoidCrossEntropy:
    """Binary cross-entropy of independent sigmoids, taking **logits** (multilabel).

    ``forward(logits, Y)`` returns the (weighted) mean over samples of
    ``L_i = Σ_k [softplus(z_ik) - y_ik z_ik]`` (the log of a sigmoid is never
    taken, so huge logits give exact, finite losses); ``backward()`` returns
    ``w_i (σ(z_i) - y_i) / Σ_j w_j``: ``(ŷ - y) / N`` with unit weights.

    Do not put a :class:`glassnet.Sigmoid` layer in front of it: it applies
    the sigmoid itself.

    Notes
    -----
    ``Y`` is an indicator matrix of shape (n_samples, n_labels) with entries in
    [0, 1] (soft targets are allowed).
    """

    def __init__(self) -> None:
        self._cache: tuple[Array, Array, Array | None, float] | None = None

    def forward(
        self, logits: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Mean binary cross-entropy of ``sigmoid(logits)`` against ``y``.

        Parameters
        ----------
        logits : array-like of shape (n_samples, n_labels)
        y : array-like of shape (n_samples, n_labels)
            Targets in [0, 1], one column per label.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
            ``Σ_i w_i L_i / Σ_i w_i`` (0.0 if every weight is zero).
        """
        z = check_2d_scores(logits, "logits")
        check_finite_logits(z)
        T = np.asarray(y, dtype=z.dtype)
        if T.shape != z.shape:
            raise ValueError(
                f"y must be an indicator matrix of shape {z.shape}, one column per label; "
                f"got shape {T.shape}. Encode the labels with "
                "sklearn.preprocessing.MultiLabelBinarizer."
            )
        if not np.all((T >= 0) & (T <= 1)):
            raise ValueError(
                "y must hold targets in [0, 1] (1: the label applies); got values outside it. "
                "Encode the labels with sklearn.preprocessing.MultiLabelBinarizer."
            )
        n = z.shape[0]
        w = sample_weights(sample_weight, n, z.dtype)
        per_sample = np.sum(F.softplus(z) - T * z, axis=1)  # Σ_k -log of the right guess
        loss, total = weighted_mean(per_sample, w)
        self._cache = (z, T, w, total)
        return loss

    def backward(self) -> Array:
        """Gradient of the last ``forward`` loss on the logits: ``w_i (ŷ_i - y_i) / Σ w``.

        Returns
        -------
        ndarray of shape (n_samples, n_labels)
        """
        if self._cache is None:
            raise RuntimeError(
                "SigmoidCrossEntropy.backward was called before forward: call "
                "forward(logits, y) first."
            )
        z, T, w, total = self._cache
        if total <= 0 or z.shape[0] == 0:
            return np.zeros_like(z)
        grad = F.sigmoid(z) - T  # ŷ - y
        if w is not None:
            grad *= w[:, None]
        grad /= total
        return grad

    @staticmethod
    def n_correct(logits: Array, y: ArrayLike) -> int:
        """Samples whose every label is right (``z > 0`` exactly where ``y > 0.5``).

        Parameters
        ----------
        logits : ndarray of shape (n_samples, n_labels)
        y : array-like of shape (n_samples, n_labels)
        """
        right = (np.asarray(logits) > 0) == (np.asarray(y) > 0.5)
        return int(np.count_nonzero(right.all(axis=1)))

    def __repr__(self) -> str:
        return "SigmoidCrossEntropy()"


def predict_labels(proba: Any) -> NDArray[np.int_]:
    """Multilabel predictions from per-label probabilities: 1 where ``ŷ > 0.5``.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_labels)
    """
    return (np.asarray(proba) > 0.5).astype(int)
