"""The compiled training step (numba): the fast step's formulas, many batches per call.

A run of minibatch steps of a ``Dense → activation → … → Dense`` network with a
softmax cross-entropy on class indices: forward, loss, backward, l2, the
guard's checks, clipping and the optimizer update, the same step as the
training loop's fast route. It holds no formula of its own: it calls the
kernels of :mod:`glassnet.fast.jitted_layers` and :mod:`glassnet.fast.jitted_update`,
each named after the readable formula it restates. What is here is the
plumbing: batch gathers, scratch buffers, and on several cores the split of a
minibatch into shards of rows, one a thread (:func:`sharded_forward_backward`),
each with a single-threaded BLAS; their gradients are added in shard order
before the update. Imported only through :func:`glassnet.fast.kernels.load_step`.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from .codes import ADAM, ADAMW, IDENTITY
from .jitted_layers import (
    activation_grad,
    dense_bias_activation,
    dense_grads,
    l2_penalty,
    softmax_xent_forward_backward,
)
from .jitted_options import jit, jit_parallel
from .jitted_update import adam_scalars, optimizer_update

__all__ = ["evaluate_rows", "forward_backward", "run_batches", "sharded_forward_backward"]

#: Digest of the sibling modules this one compiles in (tests/fast/test_kernels.py computes
#: it). numba's disk cache checks only a function's own file: a change to those
#: must change this file too, or their old machine code would be loaded.
BUILT_FROM = "e339b44c45d8cc48"


@jit
def forward_backward(
    X: Any,
    labels: Any,
    rows: Any,
    start: int,
    m: int,
    batch: int,
    params: Any,
    grads: Any,
    layout: Any,
    acts: Any,
    leak: Any,
    work: Any,
    cap: int,
) -> tuple[float, int]:  # pragma: no cover - compiled
    """Forward, fused loss and backward on ``m`` rows of a ``batch``-row minibatch.

    The rows are ``rows[start : start + m]`` of ``X`` (``X[start : start + m]``
    when ``rows`` is empty). Writes the gradient of the minibatch's mean loss
    restricted to these rows, ``Σ_{i in rows} ∂L_i/∂θ / batch``, into ``grads``
    (so the gradients of a batch's shards add up to the batch's), and returns
    their summed loss and correct count. ``work`` holds ``cap`` rows of scratch.
    """
    d = X.shape[1]
    n_layers = layout.shape[0]
    # Scratch: the gathered rows, every layer's output, two ∂L/∂(layer input) buffers.
    widest = 0
    for i in range(n_layers):
        widest = max(widest, layout[i, 1])
    outs_at = cap * d
    back_at = outs_at
    for i in range(n_layers):
        back_at += cap * layout[i, 2]
    # --- the rows
    if rows.shape[0]:
        Xb = work[: m * d].reshape((m, d))
        for r in range(m):
            src = X[rows[start + r]]
            dst = Xb[r]
            for c in range(d):  # an explicit loop: row slice assignment costs ~5x more
                dst[c] = src[c]
    else:
        Xb = X[start : start + m]
    # --- forward: every layer's output kept for backward
    A = Xb
    at = outs_at
    for i in range(n_layers):
        w_at, n_in, n_out = layout[i, 0], layout[i, 1], layout[i, 2]
        W = params[w_at : w_at + n_in * n_out].reshape((n_in, n_out))
        bias = params[w_at + n_in * n_out : w_at + n_in * n_out + n_out]
        out = work[at : at + m * n_out].reshape((m, n_out))
        dense_bias_activation(A, W, bias, acts[i] if i < n_layers - 1 else IDENTITY, leak, out)
        A = out
        at += cap * n_out
    # --- loss and its gradient (ŷ − y) / batch, in place of the logits
    value, correct = softmax_xent_forward_backward(A, labels, rows, start, batch)
    # --- backward
    D = A
    flip = 0
    for i in range(n_layers - 1, -1, -1):
        w_at, n_in, n_out = layout[i, 0], layout[i, 1], layout[i, 2]
        at -= cap * n_out
        if i > 0:
            below = work[at - cap * n_in : at - cap * n_in + m * n_in].reshape((m, n_in))
        else:
            below = Xb
        W = params[w_at : w_at + n_in * n_out].reshape((n_in, n_out))
        gW = grads[w_at : w_at + n_in * n_out].reshape((n_in, n_out))
        gb = grads[w_at + n_in * n_out : w_at + n_in * n_out + n_out]
        lo = back_at + flip * cap * widest
        G = work[lo : lo + m * n_in].reshape((m, n_in))  # ∂L/∂(this layer's input)
        dense_grads(below, W, D, gW, gb, G, i > 0)
        if i > 0:
            activation_grad(G, below, acts[i - 1], leak)
            D = G
            flip = 1 - flip
    return value, correct


@jit_parallel
def sharded_forward_backward(
    X: Any,
    labels: Any,
    rows: Any,
    start: int,
    m: int,
    k: int,
    params: Any,
    part: Any,
    layout: Any,
    acts: Any,
    leak: Any,
    work: Any,
    cap: int,
    losses: Any,
    rights: Any,
) -> None:  # pragma: no cover - compiled
    """:func:`forward_backward` on a minibatch of ``m`` rows split into ``k`` shards, a thread each.

    Shard ``s`` takes a contiguous run of the batch's rows and writes its part
    of the gradient into ``part[s]``, its loss sum and correct count into
    ``losses[s]`` and ``rights[s]``; the caller adds them up in shard order.
    Each thread keeps its own rows, activations and gradient in its own core's
    cache, and calls the BLAS single-threaded (the caller limits it).
    """
    base = m // k
    extra = m - base * k
    for shard in numba.prange(k):
        s = np.int64(shard)  # prange's index may be unsigned: keep the sums below signed
        lo = s * base + min(s, extra)
        count = base + (1 if s < extra else 0)
        value, right = forward_backward(
            X, labels, rows, start + lo, count, m, params, part[s], layout, acts, leak, work[s], cap
        )
        losses[s] = value
        rights[s] = right


@numba.njit(inline="always")
def _span(n: int, parts: int, i: Any) -> tuple[int, int]:  # pragma: no cover - compiled
    """Part ``i`` of ``range(n)`` cut into ``parts`` runs of a multiple of 16 elements.

    Whole 64-byte cache lines in float32 (two a run in float64) where the vector
    starts on a line, so that no two threads write the same line.
    """
    step = ((n + parts - 1) // parts + 15) // 16 * 16
    lo = min(n, np.int64(i) * step)
    return lo, min(n, lo + step)


@jit_parallel
def _sum_parts(part: Any, k: int, grads: Any) -> None:  # pragma: no cover - compiled
    """``grads ← part[0] + … + part[k-1]``, added in shard order, each thread a run of it."""
    n = grads.shape[0]
    for i in numba.prange(part.shape[0]):
        lo, hi = _span(n, part.shape[0], i)
        g = grads[lo:hi]
        g[:] = part[0, lo:hi]
        for s in range(1, k):
            ps = part[s, lo:hi]
            for j in range(hi - lo):
                g[j] += ps[j]


@jit_parallel
def _update_parts(
    parts: int, code: int, p: Any, g: Any, s1: Any, s2: Any, sc: Any
) -> None:  # pragma: no cover - compiled
    """:func:`~glassnet.fast.jitted_update.optimizer_update` on ``parts`` runs of the
    vectors at once: each thread keeps its run of the parameters and the optimizer
    state in its own core's cache."""
    n = p.shape[0]
    for i in numba.prange(parts):
        lo, hi = _span(n, parts, i)
        # Plain SGD has no state: s1 and s2 are p itself there, and are not touched.
        optimizer_update(code, p[lo:hi], g[lo:hi], s1[lo:hi], s2[lo:hi], sc)


@jit
def run_batches(
    X: Any,
    labels: Any,
    rows: Any,
    size: int,
    first: int,
    last: int,
    params: Any,
    grads: Any,
    layout: Any,
    acts: Any,
    slope: float,
    work: Any,
    part: Any,
    opt: int,
    s1: Any,
    s2: Any,
    hyper: Any,
    counter: Any,
    l2: float,
    max_norm: float,
    stats: Any,
) -> int:  # pragma: no cover - compiled
    """Train on batches ``first … last-1`` of an epoch; return how many were applied.

    The fast route's step (:class:`glassnet.fast.numpy_step.FastStep`, the flat
    l2 and the optimizer's rule) made of the kernels that restate its formulas.

    Parameters
    ----------
    X : (n, d) array; labels : (n,) int array
        The training data and class indices.
    rows : (n,) int array or empty
        The epoch's order (batch ``b`` is ``rows[b·size : (b+1)·size]``);
        empty for contiguous batches (no shuffle, or one full batch).
    params, grads : 1-D arrays
        The model's flat vectors (``Sequential.flat_params`` / ``flat_grads``).
    layout : (L, 3) int array
        Per Dense layer: offset of W in the flat vector, n_in, n_out (b follows W).
    acts : (L - 1,) int array; slope : float
        Activation code after each hidden Dense layer; LeakyReLU's slope.
    work : (max(k, 1), w) array
        Scratch per shard, ``w = c · (d + Σ n_out + 2 · max n_in)`` elements for
        ``c = ceil(size / k)`` rows (``c = size`` without shards).
    part : (k, P) array
        With ``k ≥ 2``, each batch is split into ``k`` shards trained in parallel
        (:func:`sharded_forward_backward`), ``part[s]`` holding shard ``s``'s
        gradient; the gradient is their sum. ``k = 0``: one thread, gradients
        straight into ``grads``.
    opt, s1, s2, hyper, counter
        Optimizer code; its state vectors (Adam's m and v, SGD's velocity);
        ``[lr, β1 or momentum, β2, eps, weight_decay]``; ``[t]``, updated.
    l2 : float
        scikit-learn's alpha: adds ``l2/(2N) · Σ‖W‖²`` to the loss (0: none).
    max_norm : float
        Clip the gradient to this norm (inf: never).
    stats : (last - first, 2) float array
        Filled per batch with the loss and the correct count.

    Returns
    -------
    int
        The number of batches applied. Fewer than ``last - first`` means batch
        ``first + returned`` had a non-finite loss or gradient norm: its stats
        are filled, and neither the model nor the optimizer was changed by it.
    """
    n = X.shape[0]
    n_layers = layout.shape[0]
    # Scalars in the arrays' dtype (float32 arithmetic stays float32, as in NumPy).
    sc = np.empty(8, params.dtype)
    sc[0] = slope
    leak = sc[0]
    shards = part.shape[0]
    losses = np.zeros(max(shards, 1))
    rights = np.zeros(max(shards, 1), np.int64)
    cap = (size + shards - 1) // shards if shards else size  # rows a shard may hold
    for b in range(first, last):
        start = b * size
        m = min(size, n - start)
        if shards == 0:
            value, correct = forward_backward(
                X, labels, rows, start, m, m, params, grads, layout, acts, leak, work[0], size
            )
        else:
            k = min(shards, m)
            sharded_forward_backward(
                X,
                labels,
                rows,
                start,
                m,
                k,
                params,
                part,
                layout,
                acts,
                leak,
                work,
                cap,
                losses,
                rights,
            )
            value = 0.0
            correct = 0
            for s in range(k):  # in shard order: the same sums on every run
                value += losses[s]
                correct += rights[s]
            _sum_parts(part, k, grads)
        value /= m
        # --- l2 (scikit-learn's alpha) on every weight matrix, the guard, clipping
        if l2 != 0:
            coef = l2 / m
            for i in range(n_layers):
                w_at, n_in, n_out = layout[i, 0], layout[i, 1], layout[i, 2]
                end = w_at + n_in * n_out
                value += l2_penalty(params[w_at:end], grads[w_at:end], coef)
        # ‖∇‖² by the BLAS in the arrays' dtype, as NumPy's: it overflows in float32
        # exactly when NumPy's does.
        sq = float(np.dot(grads, grads))
        sc[3] = sq
        k = b - first
        stats[k, 0] = value
        stats[k, 1] = correct
        if not (np.isfinite(value) and np.isfinite(sc[3])):
            return k
        if np.sqrt(sq) > max_norm:
            sc[4] = max_norm / np.sqrt(sq)
            shrink = sc[4]
            for j in range(grads.shape[0]):
                grads[j] *= shrink
        # --- the update: the optimizer's rule (optimizer_update), with its scalars
        counter[0] += 1
        lr, h1, h2, eps, wd = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
        if opt >= ADAM:
            step_size, eps_hat = adam_scalars(lr, h1, h2, eps, counter[0])
            sc[0], sc[1], sc[2], sc[3] = h1, 1.0 - h1, h2, 1.0 - h2
            sc[4] = wd if opt == ADAM else 0.0
            sc[5] = 1.0 - lr * wd if opt == ADAMW else 1.0
            sc[6], sc[7] = eps_hat, step_size
        else:  # SGD: momentum 0 is the plain rule
            sc[0], sc[1], sc[2] = lr, h1, wd
        if shards:
            _update_parts(shards, opt, params, grads, s1, s2, sc)
        else:
            optimizer_update(opt, params, grads, s1, s2, sc)
    return last - first


@jit
def evaluate_rows(
    X: Any,
    labels: Any,
    params: Any,
    layout: Any,
    acts: Any,
    slope: float,
    work: Any,
    size: int,
) -> tuple[float, int, bool]:  # pragma: no cover - compiled
    """Summed loss and correct count of the network on ``(X, labels)``, ``size`` rows at a time.

    The forward pass and loss of :func:`run_batches` without the backward pass
    (``work`` holds ``2 · size · max n_out`` elements); the NumPy twin is
    :func:`glassnet.evaluate`. Returns ``(Σ_i L_i, correct, finite)``;
    ``finite`` is False, and the sums incomplete, as soon as a logit is not
    finite (the caller then lets NumPy's evaluate report it). Computing this
    here, with the BLAS the training step uses, keeps NumPy's own BLAS threads
    from waking between epochs and spinning beside it.
    """
    n = X.shape[0]
    n_layers = layout.shape[0]
    widest = 0
    for i in range(n_layers):
        widest = max(widest, layout[i, 2])
    sc = np.empty(1, params.dtype)
    sc[0] = slope
    leak = sc[0]
    in_order = np.empty(0, np.intp)
    total = 0.0
    correct = 0
    for start in range(0, n, size):
        m = min(size, n - start)
        A = X[start : start + m]
        for i in range(n_layers):
            w_at, n_in, n_out = layout[i, 0], layout[i, 1], layout[i, 2]
            W = params[w_at : w_at + n_in * n_out].reshape((n_in, n_out))
            bias = params[w_at + n_in * n_out : w_at + n_in * n_out + n_out]
            lo = (i % 2) * size * widest
            out = work[lo : lo + m * n_out].reshape((m, n_out))
            dense_bias_activation(A, W, bias, acts[i] if i < n_layers - 1 else IDENTITY, leak, out)
            A = out
        for r in range(m):
            for j in range(A.shape[1]):
                if not np.isfinite(A[r, j]):
                    return total, correct, False
        value, right = softmax_xent_forward_backward(A, labels[start : start + m], in_order, 0, m)
        total += value
        correct += right
    return total, correct, True
