"""The layers', the loss's and the penalty's formulas restated as compiled kernels (numba).

Each kernel here restates one readable formula of :mod:`glassnet.core` and is
named after it; ``tests/fast/test_kernel_agreement.py`` runs both on the same
float64 inputs and checks they agree to 1e-12. The training step
(:mod:`glassnet.fast.jitted_step`) is made of these. Imported only through
:func:`glassnet.fast.kernels.load`.

The matrix products call the BLAS (``np.dot``), as NumPy's do; the rest is
written out as loops, in the arrays' dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .codes import LEAKY_RELU, LOGISTIC, RELU, TANH
from .jitted_math import exp, logistic, tanh
from .jitted_options import jit

__all__ = [
    "activation_grad",
    "dense_bias_activation",
    "dense_grads",
    "l2_penalty",
    "softmax_xent_forward_backward",
]

#: Digest of the sibling modules this one compiles in (tests/fast/test_kernels.py computes
#: it). numba's disk cache checks only a function's own file: a change to those
#: must change this file too, or their old machine code would be loaded.
BUILT_FROM = "5df2b21ffaa5a7b9"


@jit
def dense_bias_activation(
    X: Any, W: Any, b: Any, code: int, slope: Any, out: Any
) -> None:  # pragma: no cover - compiled
    """Mirrors :func:`glassnet.core.functional.dense` followed by the activation ``code``.

    ``out ← act(X @ W + b)``: :func:`~glassnet.core.functional.relu` (``max(a, 0)``,
    NaN stays NaN), :func:`~glassnet.core.functional.leaky_relu` (``a`` for
    ``a > 0``, else ``slope · a``), :func:`~glassnet.core.functional.tanh`,
    :func:`~glassnet.core.functional.sigmoid` (both by :mod:`glassnet.fast.jitted_math`,
    within a few ulp of NumPy's) or the identity (:mod:`glassnet.fast.codes`).
    The bias and a cheap activation are one pass over ``out``; ``out`` is
    C-contiguous (tanh and σ run over it as one block).
    """
    np.dot(X, W, out)
    n, w = out.shape
    for r in range(n):
        row = out[r]
        if code == RELU:
            for j in range(w):
                a = row[j] + b[j]
                row[j] = 0 if a < 0 else a  # NaN stays NaN, as np.maximum(a, 0)
        elif code == LEAKY_RELU:
            for j in range(w):
                a = row[j] + b[j]
                row[j] = a if a > 0 else a * slope
        else:
            for j in range(w):
                row[j] = row[j] + b[j]
    # tanh and σ in one loop over the whole block: a loop a row paid its set-up (alias
    # checks, remainder) a row, a quarter of tanh's time on 1000 × 32.
    flat = out.reshape(n * w)
    if code == TANH:
        for i in range(n * w):
            flat[i] = tanh(flat[i])
    elif code == LOGISTIC:
        for i in range(n * w):
            flat[i] = logistic(flat[i])


@jit
def activation_grad(D: Any, A: Any, code: int, slope: Any) -> None:  # pragma: no cover
    """Mirrors the activations' backward ``grad · f'``: ``D ← D · act'(·)`` in place.

    ``act'`` is :func:`glassnet.core.functional.relu_grad`,
    :func:`~glassnet.core.functional.leaky_relu_grad`,
    :func:`~glassnet.core.functional.tanh_grad` or
    :func:`~glassnet.core.functional.sigmoid_grad`, as ``code`` says, read from
    the activation's output ``A`` (relu's and leaky relu's is positive exactly
    where its input is): relu ``1[a > 0]``, leaky relu ``1`` or ``slope``, tanh
    ``1 − a·a``, logistic ``(1 − a)·a`` (each rounded as its formula); the
    identity (any other code) leaves ``D`` as it is.
    """
    n, w = D.shape
    zero = D.dtype.type(0)  # in D's dtype: `slope * 0` would be a float64
    one = D.dtype.type(1)
    if code == RELU:
        for r in range(n):
            d = D[r]
            a = A[r]
            for j in range(w):
                d[j] = d[j] if a[j] > 0 else zero
    elif code == LEAKY_RELU:
        for r in range(n):
            d = D[r]
            a = A[r]
            for j in range(w):
                d[j] = d[j] if a[j] > 0 else d[j] * slope
    elif code == TANH:  # one loop over the whole block, as in dense_bias_activation
        d, a = D.reshape(n * w), A.reshape(n * w)
        for i in range(n * w):
            d[i] = d[i] * (one - a[i] * a[i])
    elif code == LOGISTIC:
        d, a = D.reshape(n * w), A.reshape(n * w)
        for i in range(n * w):
            d[i] = d[i] * ((one - a[i]) * a[i])


@jit
def dense_grads(
    X: Any, W: Any, G: Any, dW: Any, db: Any, dX: Any, need_dx: bool
) -> None:  # pragma: no cover - compiled
    """Mirrors :func:`glassnet.core.functional.dense_grads`: ``Xᵀ G``, ``Σ_rows G``, ``G Wᵀ``.

    Writes ``∂L/∂W = Xᵀ G`` into ``dW``, ``∂L/∂b = Σ_rows G`` into ``db`` and,
    when ``need_dx``, ``∂L/∂X = G Wᵀ`` into ``dX`` (a first layer's is never used).

    The row sum runs over rows in order into a fresh vector, a separate pass:
    LLVM vectorises it only when the sum cannot alias ``G`` (``db`` is a view of
    the flat gradient), and not when fused into the activation's loop (10
    against 4.4 µs on 256 × 128).
    """
    np.dot(X.T, G, dW)
    n, w = G.shape
    if n == 0:
        db[:] = 0
    else:
        acc = G[0].copy()
        for r in range(1, n):
            row = G[r]
            for j in range(w):
                acc[j] += row[j]
        db[:] = acc
    if need_dx:
        np.dot(G, W.T, dX)


@jit
def softmax_xent_forward_backward(
    Z: Any, labels: Any, rows: Any, start: int, batch: int
) -> tuple[float, int]:  # pragma: no cover - compiled
    """Mirrors :meth:`glassnet.SoftmaxCrossEntropy.forward_backward_into`: the fused loss.

    On the logits ``Z`` (``m`` rows), overwritten by ``(ŷ − y) / N`` with
    ``N = batch``, the rows of the whole minibatch (``Z`` may hold a shard of it).
    Row ``r``'s label is ``labels[rows[start + r]]``, or ``labels[start + r]``
    when ``rows`` is empty. Returns ``Σ_r L_r`` and the count of rows whose first
    largest logit is at the label (``argmax``'s tie rule), with

        L_r = log Σ_k exp(z_rk − m_r) − (z_ry − m_r),   m_r = max_k z_rk

    (log-sum-exp, as :func:`glassnet.log_softmax`: every exponent is ≤ 0).

    The rows are copied class by class into a scratch ``T`` (classes × rows),
    so that each step runs down a contiguous column and vectorises over rows (a
    row's few classes would not: twice as fast on 1000 × 2 and 256 × 10), with
    ``exp`` from :mod:`glassnet.fast.jitted_math` (within an ulp of NumPy's).
    Each row's sums still run over its classes in order. ``Σ_r log s_r``
    (``s_r = Σ_k exp(z_rk − m_r)``, so ``1 ≤ s_r ≤ k``) is taken as the log of
    their float64 product, one log per many rows: a scalar log a row was a
    quarter of this function's time. The product is more exact than the sum of
    float32 logs, and stays far from overflow (it is logged at 1e200).
    """
    n, k = Z.shape
    one = Z.dtype.type(1)
    count = Z.dtype.type(batch)  # N in Z's dtype: float32 stays float32
    y = np.empty(n, np.int64)
    for r in range(n):
        y[r] = labels[rows[start + r]] if rows.shape[0] else labels[start + r]
    T = np.empty((k, n), Z.dtype)
    for r in range(n):
        for j in range(k):
            T[j, r] = Z[r, j]
    # The first largest logit of each row (argmax's rule; NaN never wins a comparison).
    top = T[0].copy()
    best = np.zeros(n, np.int64)
    for j in range(1, k):
        t = T[j]
        for r in range(n):
            up = t[r] > top[r]
            top[r] = t[r] if up else top[r]
            best[r] = j if up else best[r]
    picked = np.empty(n, Z.dtype)
    correct = 0
    for r in range(n):
        picked[r] = T[y[r], r] - top[r]
        correct += best[r] == y[r]
    s = np.zeros(n, Z.dtype)  # not z[0] * 0, which is NaN where z[0] is infinite
    for j in range(k):
        t = T[j]
        for r in range(n):
            e = exp(t[r] - top[r])
            t[r] = e
            s[r] += e
    total = 0.0
    product = 1.0
    for r in range(n):
        product *= float(s[r])  # NaN or inf stay so: the guard sees them
        if product > 1e200:
            total += np.log(product)
            product = 1.0
        total -= float(picked[r])
    for j in range(k):
        t = T[j]
        for r in range(n):
            p = t[r] / s[r]  # ŷ
            t[r] = (p - one if y[r] == j else p) / count  # (ŷ - y) / N
    for r in range(n):
        for j in range(k):
            Z[r, j] = T[j, r]
    return total + np.log(product), correct


@jit
def l2_penalty(W: Any, dW: Any, coef: float) -> float:  # pragma: no cover - compiled
    """Mirrors :func:`glassnet.core.losses.l2_penalty`: ``dW += coef · W``; ``(coef/2) ‖W‖²``.

    ``W`` and ``dW`` are 1-D (a Dense layer's weights in the flat vectors).
    ``‖W‖²`` is the BLAS's dot in the arrays' dtype, as NumPy's ``vdot``: it
    overflows in float32 exactly when NumPy's does.
    """
    sq = float(np.dot(W, W))
    c = W.dtype.type(coef)
    for j in range(W.shape[0]):
        dW[j] += W[j] * c
    return 0.5 * coef * sq
