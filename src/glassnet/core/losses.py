"""Losses: the fused softmax + cross-entropy on logits, and the unfused teaching route.

Targets ``y`` are either integer class indices of shape (n_samples,) or target
distributions of shape (n_samples, n_classes). Both losses return a *weighted
mean*: with per-sample weights ``w_i`` the loss is ``Σ_i w_i L_i / Σ_i w_i``
(``w_i = 1`` gives the plain mean over the batch), and ``backward`` returns the
gradient of exactly that number.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import functional as F
from .targets import (
    as_target_matrix,
    check_2d_scores,
    check_finite_logits,
    sample_weights,
    weighted_mean,
)

__all__ = ["CrossEntropy", "SoftmaxCrossEntropy", "l2_penalty"]

Array = NDArray[np.floating]


def l2_penalty(W: Array, dW: Array, coef: float, out: Array | None = None) -> float:
    """The L2 penalty ``(coef/2) · ‖W‖²``: add its gradient ``coef · W`` to ``dW``.

    Every training route adds it through this function: the readable one per
    weight array, the fast one once on the masked flat vector (biases zeroed),
    and L-BFGS's objective. With ``coef = l2 / B`` (``B`` the batch's size or
    total sample weight) it is scikit-learn's ``alpha`` penalty.

    Parameters
    ----------
    W : ndarray
        Weights (never biases).
    dW : ndarray
        Their gradient, updated in place.
    coef : float
        The penalty's coefficient.
    out : ndarray, optional
        Work array for ``coef · W`` (may be ``W`` itself when it is a copy).

    Returns
    -------
    float
        ``(coef/2) · ‖W‖²``, the term the loss gains.
    """
    sq = float(np.vdot(W, W))
    dW += np.multiply(W, coef, out=out)
    return 0.5 * coef * sq


class SoftmaxCrossEntropy:
    """Softmax and cross-entropy fused, taking **logits**.

    Its fast form (:meth:`forward_backward_into`, the training loop's fast
    route) runs the same formulas in place; ``FAST_PAIRS`` names them.

    ``forward(logits, y)`` returns the (weighted) mean of
    ``L_i = -Σ_k t_ik log softmax(z_i)_k``; ``backward()`` returns its gradient
    on the logits:

    * one-hot targets: ``(ŷ - y) / N``;
    * any targets (rows not summing to one included): ``(ŷ · Σ_k y_k - y) / N``,
      the general result of the softmax-Jacobian derivation;
    * with weights ``w_i``: row ``i`` is multiplied by ``w_i`` and ``N`` becomes
      ``Σ_i w_i``.

    Do **not** put a :class:`glassnet.Softmax` layer in front of this loss: it
    applies the softmax itself. The log-probabilities come from
    :func:`glassnet.log_softmax` (log-sum-exp), never from the log of clipped
    probabilities, so huge logits give exact, finite losses.

    Parameters
    ----------
    class_weight : array-like of shape (n_classes,), optional
        Weight per class. Sample ``i`` gets weight ``Σ_k class_weight_k t_ik``
        (``class_weight[y_i]`` for hard labels), multiplied by its sample weight.
    label_smoothing : float in [0, 1), default=0.0
        Replace targets ``t`` by ``(1 - ε) t + ε Σ_k t_k / K``: each row keeps
        its mass but spreads ``ε`` of it evenly over the K classes.

    Notes
    -----
    The weighted mean is normalised by the total weight ``Σ_i w_i``, so scaling
    every weight by a constant changes nothing, and a batch whose weights are all
    zero has loss 0 and gradient 0.
    """

    #: The (readable, fast) method pairs the fast form mirrors (see ``fast_form_gap``).
    FAST_PAIRS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("forward", "forward_backward_into"),
        ("backward", "forward_backward_into"),
    )

    def __init__(self, class_weight: ArrayLike | None = None, label_smoothing: float = 0.0) -> None:
        if class_weight is not None:
            cw = np.asarray(class_weight, dtype=np.float64)
            if cw.ndim != 1 or not np.all(np.isfinite(cw)) or np.any(cw < 0):
                raise ValueError(
                    "class_weight must be a 1-D array of finite, non-negative weights, "
                    f"one per class; got {class_weight!r}."
                )
            self.class_weight: Array | None = cw
        else:
            self.class_weight = None
        if not (0.0 <= float(label_smoothing) < 1.0):
            raise ValueError(
                f"label_smoothing must be in [0, 1); got {label_smoothing!r}. "
                "0.1 is a common choice."
            )
        self.label_smoothing = float(label_smoothing)
        self._cache: (
            tuple[Array, Array | None, NDArray[np.intp] | None, Array | None, float] | None
        ) = None

    def forward(
        self, logits: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Mean cross-entropy of ``softmax(logits)`` against ``y``.

        Parameters
        ----------
        logits : array-like of shape (n_samples, n_classes)
            Unnormalised scores ``z``.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class indices or target distributions.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight per sample.

        Returns
        -------
        float
            ``Σ_i w_i L_i / Σ_i w_i`` (0.0 if every weight is zero).

        Raises
        ------
        ValueError
            If a logit is NaN or ±inf (the message gives the count and the
            first row), or ``y`` / ``sample_weight`` do not fit the logits.
        """
        z = check_2d_scores(logits, "logits")
        check_finite_logits(z)
        n, k = z.shape
        if self.class_weight is not None and self.class_weight.shape[0] != k:
            raise ValueError(
                f"class_weight has {self.class_weight.shape[0]} entries but the logits "
                f"have {k} classes; give one weight per class."
            )
        logp = F.log_softmax(z, axis=1)
        w = sample_weights(sample_weight, n, z.dtype)
        y_arr = np.asarray(y)
        fast = y_arr.ndim == 1 and self.label_smoothing == 0.0
        if fast:
            T: Array | None = None
            # 1-D y always comes back as indices (the second item is never None).
            labels: NDArray[np.intp] | None = cast(
                "NDArray[np.intp]", as_target_matrix(y_arr, n, k, z.dtype)[1]
            )
            per_sample = -logp[np.arange(n), labels]
            if self.class_weight is not None:
                cwi = self.class_weight.astype(z.dtype)[labels]
                w = cwi if w is None else w * cwi
        else:
            T, labels = as_target_matrix(y_arr, n, k, z.dtype)
            if self.class_weight is not None:
                cwi = (T @ self.class_weight.astype(z.dtype)).astype(z.dtype)
                w = cwi if w is None else w * cwi
            if self.label_smoothing:
                eps = self.label_smoothing
                T = (1.0 - eps) * T + (eps / k) * T.sum(axis=1, keepdims=True)
            per_sample = -np.sum(T * logp, axis=1)
        loss, total = weighted_mean(per_sample, w)
        self._cache = (logp, T, labels, w, total)
        return loss

    def backward(self) -> Array:
        """Gradient of the last ``forward`` loss with respect to the logits.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``w_i (ŷ_i Σ_k t_ik - t_i) / Σ_j w_j`` per row: ``(ŷ - y)/N`` for
            one-hot targets and unit weights.
        """
        if self._cache is None:
            raise RuntimeError(
                "SoftmaxCrossEntropy.backward was called before forward: call "
                "forward(logits, y) first."
            )
        logp, T, labels, w, total = self._cache
        grad = np.exp(logp)  # ŷ
        n = grad.shape[0]
        if total <= 0 or n == 0:
            return np.zeros_like(grad)
        if T is None:  # forward kept the hard labels instead of a target matrix
            grad[np.arange(n), cast("NDArray[np.intp]", labels)] -= 1.0  # ŷ - y for one-hot y
        else:
            grad *= T.sum(axis=1, keepdims=True)  # ŷ · Σ_k y_k
            grad -= T
        if w is not None:
            grad *= w[:, None]
        grad /= total
        return grad

    def forward_backward_into(
        self, z: Array, labels: NDArray[np.intp], T: Array, ws: Any
    ) -> tuple[float, int]:
        """The fast form: :meth:`forward` then :meth:`backward` in place, for one-hot targets.

        The same formulas on the training loop's fast route, for hard labels,
        unit weights, no class weights and no smoothing: the log-probabilities
        are :func:`glassnet.log_softmax` written over ``z``, the loss is
        ``-Σ_i log ŷ_i[y_i]``, and the gradient ``(exp(log ŷ) - y) / N``
        overwrites them.

        Parameters
        ----------
        z : ndarray of shape (n_samples, n_classes)
            Logits in a work buffer; **overwritten** by the gradient ``(ŷ - y) / N``.
        labels : ndarray of shape (n_samples,)
            Valid class indices.
        T : ndarray of shape (n_samples, n_classes)
            The same labels one-hot encoded.
        ws : Buffers
            Work buffers (:class:`glassnet.core.layers.Buffers`).

        Returns
        -------
        loss_sum : float
            ``Σ_i L_i`` (divide by N for the mean loss).
        n_correct : int
            Samples whose largest logit is at their label (ties go to the first
            class, as ``argmax``).
        """
        n = z.shape[0]
        pred = ws.get(self, "pred", (n,), dtype=np.intp)
        z.argmax(axis=1, out=pred)  # the method: np.argmax without its Python wrapper
        n_correct = int(np.count_nonzero(pred == labels))
        logp = F.log_softmax(z, axis=1, out=z)  # as forward
        loss_sum = -float(np.vdot(logp, T))  # Σ_i -Σ_k t_ik log ŷ_ik, t one-hot
        grad = np.exp(logp, out=z)  # ŷ, as backward
        grad -= T  # ŷ - y
        grad /= n
        return loss_sum, n_correct

    def __repr__(self) -> str:
        return (
            f"SoftmaxCrossEntropy(class_weight={self.class_weight!r}, "
            f"label_smoothing={self.label_smoothing})"
        )


class CrossEntropy:
    """Cross-entropy on **probabilities**: ``L_i = -Σ_k y_ik log p_ik``.

    The teaching route: compose ``Softmax()`` + ``CrossEntropy()`` and compare
    its gradient on the logits with :class:`SoftmaxCrossEntropy`'s ``ŷ - y``.
    ``backward`` returns ``∂L/∂p = -w_i y_i / (p_i Σ_j w_j)``, which the softmax
    layer's Jacobian turns back into ``ŷ - y``.

    The log of a probability that underflowed to zero is ``-inf``, so this loss
    can be infinite where the fused one is exact: train with
    :class:`SoftmaxCrossEntropy`.
    """

    def __init__(self) -> None:
        self._cache: tuple[Array, Array, Array | None, float] | None = None

    def forward(
        self, probs: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Weighted mean of ``-Σ_k y_k log p_k``.

        Parameters
        ----------
        probs : array-like of shape (n_samples, n_classes)
            Probabilities, e.g. the output of a Softmax layer.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class indices or target distributions.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
        """
        p = check_2d_scores(probs, "probs")
        n, k = p.shape
        T, _ = as_target_matrix(y, n, k, p.dtype)
        w = sample_weights(sample_weight, n, p.dtype)
        with np.errstate(divide="ignore"):
            logp = np.log(p, where=T != 0, out=np.zeros_like(p))
        per_sample = -np.sum(T * logp, axis=1)
        loss, total = weighted_mean(per_sample, w)
        self._cache = (p, T, w, total)
        return loss

    def backward(self) -> Array:
        """``∂L/∂p = -w_i y_i / (p_i Σ_j w_j)`` (zero where ``y`` is zero)."""
        if self._cache is None:
            raise RuntimeError(
                "CrossEntropy.backward was called before forward: call forward(probs, y) first."
            )
        p, T, w, total = self._cache
        grad = np.zeros_like(p)
        if total <= 0:
            return grad
        with np.errstate(divide="ignore"):
            np.divide(-T, p, out=grad, where=T != 0)
        if w is not None:
            grad *= w[:, None]
        grad /= total
        return grad

    def __repr__(self) -> str:
        return "CrossEntropy()"
