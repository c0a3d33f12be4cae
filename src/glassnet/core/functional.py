"""Pure maths: softmax, its Jacobian, and the activations with their derivatives.

Every function here takes arrays and returns arrays; nothing holds state. Each
forward formula sits directly above its derivative so the pair can be checked by
eye.

The headline result
-------------------
For logits ``z``, probabilities ``ŷ = softmax(z)`` and the cross-entropy
``L = -Σ_o y_o log ŷ_o``:

* for ``i = o``: ``∂ŷ_o/∂z_i = ŷ_o (1 - ŷ_o)``
* for ``i ≠ o``: ``∂ŷ_o/∂z_i = -ŷ_o ŷ_i``
* ``∂L/∂ŷ_o = -y_o / ŷ_o``

so by the chain rule ``∂L/∂z_i = Σ_o (-y_o/ŷ_o) ∂ŷ_o/∂z_i
= -y_i (1 - ŷ_i) + Σ_{o≠i} y_o ŷ_i = ŷ_i Σ_o y_o - y_i``, which is ``ŷ_i - y_i``
when ``y`` is one-hot. :func:`softmax_jacobian` builds the matrix of the two
cases; :func:`softmax_jvp` applies it without forming it; the fused loss in
:mod:`glassnet.core.losses` uses the collapsed result directly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .data import sparse_t_dot

__all__ = [
    "dense",
    "dense_grads",
    "identity",
    "identity_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "log_softmax",
    "logsumexp",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_vjp",
    "softplus",
    "tanh",
    "tanh_grad",
]

Array = NDArray[np.floating]


def _as_float(z: ArrayLike) -> Array:
    """Return ``z`` as a floating array, upcasting ints, bools and float16."""
    arr = np.asarray(z)
    if arr.dtype in (np.float32, np.float64):
        return arr
    return arr.astype(np.float64)


# --------------------------------------------------------------------------
# softmax family
# --------------------------------------------------------------------------


def logsumexp(z: ArrayLike, axis: int = -1, keepdims: bool = False) -> Array:
    """Compute ``log Σ exp(z)`` along ``axis`` without overflow.

    Parameters
    ----------
    z : array-like
        Input values.
    axis : int, default=-1
        Axis to reduce.
    keepdims : bool, default=False
        Keep the reduced axis with length one.

    Returns
    -------
    ndarray
        ``max(z) + log Σ exp(z - max(z))``.
    """
    z = _as_float(z)
    m = np.max(z, axis=axis, keepdims=True)
    # A row of -inf has max -inf; shifting by it would give nan.
    m = np.where(np.isfinite(m), m, 0.0).astype(z.dtype, copy=False)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: ArrayLike, axis: int = -1, out: Array | None = None) -> Array:
    """Log of the softmax, computed as ``(z - max) - log Σ exp(z - max)``.

    Subtracting the maximum first makes every exponent ≤ 0, so ``exp`` cannot
    overflow, and the largest term is exactly ``exp(0) = 1``, so the sum is at
    least 1 and its log cannot be ``-inf``. The result is exact for logits such
    as ``[1000, 999, 0]`` or ``[1e308, 0, 0]``.

    Parameters
    ----------
    z : array-like of shape (n_samples, n_classes) or (n_classes,)
        Logits.
    axis : int, default=-1
        The class axis.
    out : ndarray, optional
        Where to write the result (may be ``z`` itself: the training loop's
        fast route computes it in place).

    Returns
    -------
    ndarray of the same shape as ``z``
        ``log softmax(z)``; every entry is ≤ 0.

    Notes
    -----
    A ``-inf`` logit among finite ones is a probability of exactly 0: its
    log-probability is ``-inf``, as is one so far below the maximum that the
    difference exceeds the float range. A row holding NaN or ``+inf``, or only
    ``-inf``, has no defined softmax: its entries are NaN, without a warning.
    Callers that need an answer (the losses, the estimator's predictions)
    check their logits and raise ``ValueError`` instead.
    """
    z = _as_float(z)
    rows = z.ndim == 2 and axis in (-1, 1)
    # inf - inf (rows of all -inf, or holding +inf) gives NaN: the undefined rows.
    # A finite difference beyond the float range (1e308 - (-1e308)) rounds to
    # -inf: a log-probability too small to represent, exp of which is exactly 0.
    with np.errstate(invalid="ignore", over="ignore"):
        m = _row_max(z) if rows else z.max(axis=axis, keepdims=True)
        shifted = np.subtract(z, m, out=out)  # z - max
    e = np.exp(shifted)
    total = _row_sum(e) if rows else e.sum(axis=axis, keepdims=True)  # Σ exp(z - max)
    shifted -= np.log(total, out=total)  # (z - max) - log Σ exp(z - max)
    return shifted


# NumPy reduces along a short last axis slowly (a row max or sum of a (1000, 2)
# array costs ~10x a pass over it): the same numbers, computed column by column.
def _row_max(z: Array) -> Array:
    """``max`` of each row of a 2-D array, shape (n, 1): exact, as ``z.max(axis=1)``."""
    if z.shape[1] > 16 or z.shape[1] == 0:
        return z.max(axis=1, keepdims=True)
    m = z[:, :1].copy()
    for j in range(1, z.shape[1]):
        np.maximum(m, z[:, j : j + 1], out=m)
    return m


def _row_sum(e: Array) -> Array:
    """``Σ`` of each row of a 2-D array, shape (n, 1), as a matrix-vector product."""
    return (e @ np.ones(e.shape[1], dtype=e.dtype))[:, None]


def softmax(z: ArrayLike, axis: int = -1) -> Array:
    """Softmax ``ŷ_i = exp(z_i) / Σ_j exp(z_j)``, computed as ``exp(log_softmax)``.

    Parameters
    ----------
    z : array-like of shape (n_samples, n_classes) or (n_classes,)
        Logits.
    axis : int, default=-1
        The class axis.

    Returns
    -------
    ndarray of the same shape as ``z``
        Probabilities in [0, 1] summing to one along ``axis``.
    """
    return np.exp(log_softmax(z, axis=axis))


def softmax_jacobian(z: ArrayLike) -> Array:
    """The softmax Jacobian ``J[n, o, i] = ∂ŷ_o/∂z_i`` for each row of ``z``.

    ``J = diag(ŷ) - ŷ ŷᵀ``: the diagonal (case ``i = o``) is ``ŷ_o (1 - ŷ_o)``
    and the off-diagonal (case ``i ≠ o``) is ``-ŷ_o ŷ_i``. The matrix is
    symmetric and every row sums to zero (the probabilities always sum to one).

    Parameters
    ----------
    z : array-like of shape (n_samples, n_classes)
        Logits (a 1-D vector is treated as one sample).

    Returns
    -------
    ndarray of shape (n_samples, n_classes, n_classes)
        One Jacobian per sample. Costs O(n k²) memory; for training use
        :func:`softmax_jvp`, which never forms it.
    """
    p = softmax(np.atleast_2d(_as_float(z)))
    jac = -p[:, :, None] * p[:, None, :]  # case i ≠ o: -ŷ_o ŷ_i
    k = p.shape[1]
    diag = np.arange(k)
    jac[:, diag, diag] = p * (1.0 - p)  # case i = o: ŷ_o (1 - ŷ_o)
    return jac


def softmax_jvp(p: ArrayLike, v: ArrayLike) -> Array:
    """Apply the softmax Jacobian to ``v`` without forming it: ``J v``.

    ``(J v)_o = Σ_i (δ_oi ŷ_o - ŷ_o ŷ_i) v_i = ŷ_o (v_o - Σ_i ŷ_i v_i)``.

    Parameters
    ----------
    p : array-like of shape (n_samples, n_classes)
        Softmax probabilities ``ŷ`` (not logits).
    v : array-like of shape (n_samples, n_classes)
        One vector per sample.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        ``J v`` per row, in O(n k) time and memory.
    """
    p = _as_float(p)
    v = np.asarray(v, dtype=p.dtype)
    return p * (v - np.sum(p * v, axis=-1, keepdims=True))


def softmax_vjp(p: ArrayLike, g: ArrayLike) -> Array:
    """Vector-Jacobian product ``gᵀ J``, the backward pass of softmax.

    The softmax Jacobian is symmetric, so this equals :func:`softmax_jvp`;
    it is a separate name because backpropagation is a vector-Jacobian product
    and a reader should see which one the code means.

    Parameters
    ----------
    p : array-like of shape (n_samples, n_classes)
        Softmax probabilities ``ŷ``.
    g : array-like of shape (n_samples, n_classes)
        Upstream gradient ``∂L/∂ŷ``.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        ``∂L/∂z``.
    """
    return softmax_jvp(p, g)


# --------------------------------------------------------------------------
# activations: each forward above its derivative
# --------------------------------------------------------------------------
# Derivatives take the forward *output* ``a`` when it determines the slope
# (tanh, sigmoid) because the layer already holds it, and the input ``x``
# otherwise (relu family).


def tanh(x: Array, out: Array | None = None) -> Array:
    """Hyperbolic tangent, ``a = tanh(x)`` (into ``out`` when given)."""
    return np.tanh(x, out=out)


def tanh_grad(a: Array, out: Array | None = None) -> Array:
    """Derivative of tanh from its output: ``da/dx = 1 - a²`` (into ``out`` when given)."""
    out = np.multiply(a, a, out=out)
    return np.subtract(1.0, out, out=out)


def relu(x: Array, out: Array | None = None, zeros: Array | None = None) -> Array:
    """Rectified linear unit, ``a = max(x, 0)`` (into ``out`` when given).

    ``zeros``, an array of zeros shaped like ``x``, gives the same numbers
    faster: NumPy's float32 ``maximum`` against a scalar is ~4x slower.
    """
    return np.maximum(x, x.dtype.type(0) if zeros is None else zeros, out=out)


def relu_grad(x: Array, out: Array | None = None) -> Array:
    """Derivative of relu: 1 where ``x > 0``, else 0 (its output ``a`` gives the same mask)."""
    return np.greater(x, 0.0, out=np.empty_like(x) if out is None else out)


def leaky_relu(x: Array, negative_slope: float = 0.01, out: Array | None = None) -> Array:
    """Leaky relu, ``a = x`` for ``x > 0`` and ``negative_slope · x`` otherwise.

    Computed as ``max(x, 0) + negative_slope · min(x, 0)``: one of the two
    terms is exactly zero, so this is the piecewise formula to the bit.
    """
    out = np.maximum(x, 0.0, out=out)
    out += x.dtype.type(negative_slope) * np.minimum(x, 0.0)
    return out


def leaky_relu_grad(x: Array, negative_slope: float = 0.01, out: Array | None = None) -> Array:
    """Derivative of leaky relu from its input: 1 where ``x > 0``, else ``negative_slope``."""
    out = relu_grad(x, out)  # 1 where x > 0, 0 elsewhere
    out *= 1.0 - negative_slope
    out += negative_slope
    return out


def sigmoid(x: Array, out: Array | None = None) -> Array:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, overflow-safe.

    Computed from ``e = exp(-|x|)``, which lies in (0, 1] and cannot overflow:

    * for ``x ≥ 0``: ``σ(x) = 1 / (1 + e)``, the formula itself;
    * for ``x < 0``: ``σ(x) = e / (1 + e)``, the formula with top and bottom
      multiplied by ``exp(x)`` (here ``e = exp(x)``).

    So ``exp`` only ever sees ``-|x|``, for any finite input.
    """
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    pos = 1.0 / (1.0 + e)  # σ(|x|)
    a = np.where(x >= 0, pos, e * pos).astype(x.dtype, copy=False)
    if out is None:
        return a
    np.copyto(out, a)
    return out


def softplus(x: Array) -> Array:
    """``log(1 + exp(x))``, overflow-safe: ``max(x, 0) + log1p(exp(-|x|))``.

    It is ``-log σ(-x)``: the binary cross-entropy on logits is built from it.
    """
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid_grad(a: Array, out: Array | None = None) -> Array:
    """Derivative of the sigmoid from its output: ``da/dx = a (1 - a)``."""
    out = np.subtract(1.0, a, out=out)
    out *= a
    return out


def identity(x: Array) -> Array:
    """Identity activation, ``a = x``."""
    return x


def identity_grad(x: Array, out: Array | None = None) -> Array:
    """Derivative of the identity: 1 everywhere."""
    if out is None:
        return np.ones_like(x)
    out.fill(1.0)
    return out


# --------------------------------------------------------------------------
# the affine map of a Dense layer: forward above its three gradients
# --------------------------------------------------------------------------


def dense(X: Array, W: Array, b: Array, out: Array | None = None) -> Array:
    """Affine map ``X @ W + b`` of shape (n_samples, n_out) (into ``out`` when given).

    ``X`` may be a SciPy sparse matrix: ``X @ W`` is then its sparse product.
    """
    if not isinstance(X, np.ndarray):  # sparse X: its sparse product, a dense result
        return np.asarray(X @ W) + b
    out = np.matmul(X, W, out=out)
    out += b
    return out


def dense_grads(
    X: Array,
    W: Array,
    G: Array,
    dW: Array,
    db: Array,
    dX: Array | None = None,
    *,
    need_dx: bool = True,
    ones: Array | None = None,
) -> Array | None:
    """Gradients of ``X @ W + b`` for the upstream gradient ``G = ∂L/∂out``.

    Writes ``∂L/∂W = Xᵀ G`` into ``dW`` and ``∂L/∂b = Σ_rows G`` into ``db``;
    returns ``∂L/∂X = G Wᵀ`` (into ``dX`` when given), or None when
    ``need_dx`` is False (a first layer's input gradient is never used).

    ``Σ_rows G`` is taken as ``1ᵀ G`` (``ones``: a vector of n_samples ones,
    made here when not given): in NumPy a sum over the rows of a (1000, 32)
    array costs ~5x a matrix-vector product. ``X`` may be SciPy sparse.
    """
    if isinstance(X, np.ndarray):
        np.matmul(X.T, G, out=dW)
    else:
        sparse_t_dot(X, G, dW)
    np.matmul(np.ones(G.shape[0], dtype=G.dtype) if ones is None else ones, G, out=db)
    return np.matmul(G, W.T, out=dX) if need_dx else None
