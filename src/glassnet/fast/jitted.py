"""The compiled kernels themselves (numba). Imported only through :mod:`glassnet._kernels`.

Importing this module imports numba and creates the dispatchers; code is
compiled on a kernel's first call for each dtype and cached on disk. Every
function here has a NumPy twin that is the reference (named in its docstring);
the tests run both and compare.

Two kinds of kernel:

* **optimizer updates** (``adam``, ``sgd_momentum``, ``sgd``): one pass over the
  flat parameter vector, the same arithmetic as the optimizers' ``_step_flat``;
* **training steps** (``run_batches``): a run of minibatch steps of a
  ``Dense → activation → … → Dense`` network with a softmax cross-entropy on
  class indices (forward, loss, backward, l2, guard, clipping and the
  optimizer update), the same step as ``glassnet.train``'s fast path. The
  matrix products call the BLAS (``np.dot``), as NumPy's do; everything else
  (bias and activation, the loss and its gradient ŷ − y, bias gradients,
  batch gathers, the update) is fused into a few loops, without NumPy's
  per-call overhead between them. On several cores a minibatch is split into
  shards of rows, one a thread (``_sharded``), each with a single-threaded
  BLAS; their gradients are added in shard order before the update.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from .kernels import ADAM, ADAMW, IDENTITY, LEAKY_RELU, RELU, SGD, SGD_NESTEROV

# error_model="numpy": IEEE division like NumPy's (no zero-divisor check in the loop,
# which is also what lets LLVM vectorise sqrt and division). No fastmath: no FMA
# contraction or reassociation, so every operation rounds as NumPy's does.
_OPTIONS: dict[str, Any] = {"nogil": True, "error_model": "numpy"}
try:
    _jit = numba.njit(cache=True, **_OPTIONS)
    _jit(lambda: None)  # a read-only install has no cache folder: find out now
    _jit_parallel = numba.njit(cache=True, parallel=True, **_OPTIONS)
except RuntimeError:  # pragma: no cover - depends on the install's file permissions
    _jit = numba.njit(**_OPTIONS)
    _jit_parallel = numba.njit(parallel=True, **_OPTIONS)


# ---------------------------------------------------------------------------
# optimizer updates over the flat vector
# ---------------------------------------------------------------------------


@_jit
def adam(
    p: Any,
    g: Any,
    m: Any,
    v: Any,
    b1: Any,
    one_minus_b1: Any,
    b2: Any,
    one_minus_b2: Any,
    l2: Any,
    shrink: Any,
    eps_hat: Any,
    step_size: Any,
) -> None:  # pragma: no cover - compiled (its NumPy twin is Adam._step_flat)
    """Adam/AdamW in one pass; the formula is :meth:`glassnet.optim.Adam._step_flat`'s.

    Per element, with the scalars already in the arrays' dtype::

        gi = g + l2 · p                          (Adam's L2 weight_decay; l2 = 0 otherwise)
        p  = p · shrink                          (AdamW's decoupled decay; shrink = 1 otherwise)
        m  = m · β1 + gi · (1 - β1)
        v  = v · β2 + (gi · gi) · (1 - β2)
        p  = p - (m / (sqrt(v) + eps · sqrt(c2))) · (lr · sqrt(c2) / c1)
    """
    for i in range(p.shape[0]):
        pi = p[i]
        gi = g[i]
        if l2 != 0:
            gi = gi + l2 * pi
        if shrink != 1:
            pi = pi * shrink
        mi = m[i] * b1 + gi * one_minus_b1
        vi = v[i] * b2 + (gi * gi) * one_minus_b2
        m[i] = mi
        v[i] = vi
        p[i] = pi - (mi / (np.sqrt(vi) + eps_hat)) * step_size


@_jit
def sgd_momentum(
    p: Any, g: Any, vel: Any, lr: Any, mu: Any, l2: Any, nesterov: bool
) -> None:  # pragma: no cover - compiled (its NumPy twin is SGD._step_flat)
    """SGD with momentum in one pass; the formula is :meth:`glassnet.optim.SGD._step_flat`'s.

    Per element::

        step = (g + l2 · p) · lr
        vel  = vel · μ - step
        p    = p - step + vel · μ      (nesterov)
        p    = p + vel                 (classical)
    """
    for i in range(p.shape[0]):
        pi = p[i]
        gi = g[i]
        if l2 != 0:
            gi = gi + l2 * pi
        step = gi * lr
        vi = vel[i] * mu - step
        vel[i] = vi
        if nesterov:
            p[i] = (pi - step) + vi * mu
        else:
            p[i] = pi + vi


@_jit
def sgd(p: Any, g: Any, lr: Any, l2: Any) -> None:  # pragma: no cover - compiled
    """Plain SGD in one pass: ``p = p - (g + l2 · p) · lr`` (see ``SGD._step_flat``)."""
    for i in range(p.shape[0]):
        pi = p[i]
        gi = g[i]
        if l2 != 0:
            gi = gi + l2 * pi
        p[i] = pi - gi * lr


# ---------------------------------------------------------------------------
# the training step
# ---------------------------------------------------------------------------


@_jit
def _bias_activation(A: Any, b: Any, code: int, slope: Any) -> None:  # pragma: no cover
    """``A ← act(A + b)`` in place (Dense's ``+ b``, then the layer's ``_forward_fast``)."""
    n, w = A.shape
    for r in range(n):
        row = A[r]
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


@_jit
def _times_derivative(
    D: Any, A: Any, code: int, slope: Any, bias_grad: Any
) -> None:  # pragma: no cover - compiled
    """``D ← D · act'(·)``, read from the activation's output ``A``; ``bias_grad ← Σ_rows D``.

    The derivatives are the layers' ``_backward_fast``: relu ``1[a > 0]``, leaky
    relu ``1 or slope`` (identity: 1). The sum is the layer below's ``∂L/∂b``,
    taken over rows in order, as a separate pass: fused into the masking loop,
    it kept LLVM from vectorising either (10 against 4.4 µs on 256 × 128).
    """
    n, w = D.shape
    if n == 0:
        bias_grad[:] = 0
        return
    zero = D.dtype.type(0)  # in D's dtype: `slope * 0` would be a float64
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
    # The row sum in a fresh vector: LLVM vectorises it only when the sum cannot
    # alias D (bias_grad is a view of the flat gradient).
    acc = D[0].copy()
    for r in range(1, n):
        d = D[r]
        for j in range(w):
            acc[j] += d[j]
    bias_grad[:] = acc


@_jit
def _softmax_xent(
    Z: Any, labels: Any, rows: Any, start: int, one: Any, batch: int, bias_grad: Any
) -> tuple[float, int]:  # pragma: no cover - compiled (twin: SoftmaxCrossEntropy._fused_fast)
    """Fused softmax cross-entropy on the logits ``Z``, overwritten by ``(ŷ − y) / N``.

    ``N`` is ``batch``, the rows of the whole minibatch: ``Z`` may hold a shard of it.

    ``L_i = log Σ_k exp(z_ik − m_i) − (z_iy − m_i)`` with ``m_i = max_k z_ik``
    (log-sum-exp: every exponent is ≤ 0). Returns ``Σ_i L_i`` and the count of
    rows whose first largest logit is at the label (``argmax``'s tie rule), and
    fills ``bias_grad`` with ``Σ_rows`` of the gradient (the last layer's ``∂L/∂b``).

    ``Σ_i log s_i`` (``s_i = Σ_k exp(z_ik − m_i)``, so ``1 ≤ s_i ≤ k``) is taken
    as the log of their float64 product, one log per many rows: a scalar log a
    row was a quarter of this function's time. The product is more exact than
    the sum of float32 logs, and stays far from overflow (it is logged at 1e200).
    """
    n, k = Z.shape
    count = one * Z.dtype.type(batch)  # in Z's dtype: one * batch would be a float64
    total = 0.0
    correct = 0
    product = 1.0
    bias_grad[:] = 0
    for r in range(n):
        z = Z[r]
        y = labels[rows[start + r]] if rows.shape[0] else labels[start + r]
        best = 0
        for j in range(1, k):
            if z[j] > z[best]:
                best = j
        correct += best == y
        top = z[best]
        picked = z[y] - top
        s = one - one  # z[0] * 0 would be NaN where z[0] is infinite
        for j in range(k):
            e = np.exp(z[j] - top)
            z[j] = e
            s += e
        product *= float(s)  # NaN or inf stay so: the guard sees them
        if product > 1e200:
            total += np.log(product)
            product = 1.0
        total -= float(picked)
        for j in range(k):
            z[j] = z[j] / s  # ŷ
        z[y] -= one
        for j in range(k):
            z[j] = z[j] / count  # (ŷ - y) / N
            bias_grad[j] += z[j]
    return total + np.log(product), correct


@_jit
def _forward_backward(
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
    one: Any,
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
        np.dot(A, W, out)
        _bias_activation(out, bias, acts[i] if i < n_layers - 1 else IDENTITY, leak)
        A = out
        at += cap * n_out
    # --- loss and its gradient (ŷ − y) / batch, in place of the logits
    w_at, n_in, n_out = layout[-1, 0], layout[-1, 1], layout[-1, 2]
    last_b = grads[w_at + n_in * n_out : w_at + n_in * n_out + n_out]
    value, correct = _softmax_xent(A, labels, rows, start, one, batch, last_b)
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
        gW = grads[w_at : w_at + n_in * n_out].reshape((n_in, n_out))
        np.dot(below.T, D, gW)  # ∂L/∂W = Aᵀ G (∂L/∂b is already in place)
        if i > 0:  # ∂L/∂A = G Wᵀ, times the activation's derivative
            W = params[w_at : w_at + n_in * n_out].reshape((n_in, n_out))
            lo = back_at + flip * cap * widest
            G = work[lo : lo + m * n_in].reshape((m, n_in))
            np.dot(D, W.T, G)
            under = layout[i - 1, 0] + layout[i - 1, 1] * n_in  # the layer below's b
            _times_derivative(G, below, acts[i - 1], leak, grads[under : under + n_in])
            D = G
            flip = 1 - flip
    return value, correct


@_jit_parallel
def _sharded(
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
    one: Any,
    work: Any,
    cap: int,
    losses: Any,
    rights: Any,
) -> None:  # pragma: no cover - compiled
    """One minibatch of ``m`` rows split into ``k`` shards, one a thread.

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
        value, right = _forward_backward(
            X,
            labels,
            rows,
            start + lo,
            count,
            m,
            params,
            part[s],
            layout,
            acts,
            leak,
            one,
            work[s],
            cap,
        )
        losses[s] = value
        rights[s] = right


@_jit
def _update(opt: int, p: Any, g: Any, s1: Any, s2: Any, sc: Any) -> None:  # pragma: no cover
    """The optimizer ``opt``'s update of ``p`` from ``g`` (state ``s1``, ``s2``; scalars ``sc``)."""
    if opt >= ADAM:
        adam(p, g, s1, s2, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7])
    elif opt == SGD:
        sgd(p, g, sc[0], sc[1])
    else:
        sgd_momentum(p, g, s1, sc[0], sc[1], sc[2], opt == SGD_NESTEROV)


@numba.njit(inline="always")
def _span(n: int, parts: int, i: Any) -> tuple[int, int]:  # pragma: no cover - compiled
    """Part ``i`` of ``range(n)`` cut into ``parts`` runs of a multiple of 16 elements.

    Whole 64-byte cache lines in float32 (two a run in float64) where the vector
    starts on a line, so that no two threads write the same line.
    """
    step = ((n + parts - 1) // parts + 15) // 16 * 16
    lo = min(n, np.int64(i) * step)
    return lo, min(n, lo + step)


@_jit_parallel
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


@_jit_parallel
def _update_parts(
    parts: int, opt: int, p: Any, g: Any, s1: Any, s2: Any, sc: Any
) -> None:  # pragma: no cover - compiled
    """:func:`_update` on ``parts`` runs of the vectors at once: each thread keeps its run
    of the parameters and the optimizer state in its own core's cache."""
    n = p.shape[0]
    for i in numba.prange(parts):
        lo, hi = _span(n, parts, i)
        # SGD has no state: s1 and s2 are p itself there, and are not touched.
        _update(opt, p[lo:hi], g[lo:hi], s1[lo:hi], s2[lo:hi], sc)


@_jit
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
) -> int:  # pragma: no cover - compiled (its NumPy twin is train()'s fast path)
    """Train on batches ``first … last-1`` of an epoch; return how many were applied.

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
        (:func:`_sharded`), ``part[s]`` holding shard ``s``'s gradient; the
        gradient is their sum. ``k = 0``: one thread, gradients straight into
        ``grads``.
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
    sc[0] = 1
    sc[1] = slope
    one, leak = sc[0], sc[1]
    shards = part.shape[0]
    losses = np.zeros(max(shards, 1))
    rights = np.zeros(max(shards, 1), np.int64)
    cap = (size + shards - 1) // shards if shards else size  # rows a shard may hold
    for b in range(first, last):
        start = b * size
        m = min(size, n - start)
        if shards == 0:
            value, correct = _forward_backward(
                X, labels, rows, start, m, m, params, grads, layout, acts, leak, one, work[0], size
            )
        else:
            k = min(shards, m)
            _sharded(
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
                one,
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
        # --- l2 (scikit-learn's alpha), the guard, clipping
        if l2 != 0:
            coef = l2 / m
            sc[2] = coef
            c = sc[2]
            sq_w = 0.0
            for i in range(n_layers):
                w_at, n_in, n_out = layout[i, 0], layout[i, 1], layout[i, 2]
                W1 = params[w_at : w_at + n_in * n_out]
                sq_w += float(np.dot(W1, W1))  # BLAS, in the arrays' dtype, as the twin
                gW1 = grads[w_at : w_at + n_in * n_out]
                for j in range(W1.shape[0]):
                    gW1[j] += W1[j] * c
            value += 0.5 * coef * sq_w
        # ‖∇‖² by the BLAS in the arrays' dtype, as the twin's np.dot: it overflows
        # in float32 exactly when NumPy's does.
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
        # --- the update (the optimizers' _step_flat, as the kernels above)
        counter[0] += 1
        lr, h1, h2, eps, wd = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
        if opt >= ADAM:
            t = float(counter[0])
            c1 = 1.0 - h1**t
            root_c2 = np.sqrt(1.0 - h2**t)
            sc[0], sc[1], sc[2], sc[3] = h1, 1.0 - h1, h2, 1.0 - h2
            sc[4] = wd if opt == ADAM else 0.0
            sc[5] = 1.0 - lr * wd if opt == ADAMW else 1.0
            sc[6], sc[7] = eps * root_c2, lr * root_c2 / c1
        elif opt == SGD:
            sc[0], sc[1] = lr, wd
        else:
            sc[0], sc[1], sc[2] = lr, h1, wd
        if shards:
            _update_parts(shards, opt, params, grads, s1, s2, sc)
        else:
            _update(opt, params, grads, s1, s2, sc)
    return last - first


@_jit
def evaluate_rows(
    X: Any,
    labels: Any,
    params: Any,
    layout: Any,
    acts: Any,
    slope: float,
    work: Any,
    size: int,
) -> tuple[float, int, bool]:  # pragma: no cover - compiled (its twin: glassnet.train.evaluate)
    """Summed loss and correct count of the network on ``(X, labels)``, ``size`` rows at a time.

    The forward pass and loss of :func:`run_batches` without the backward pass
    (``work`` holds ``2 · size · max n_out`` elements). Returns ``(Σ_i L_i,
    correct, finite)``; ``finite`` is False, and the sums incomplete, as soon as
    a logit is not finite (the caller then lets NumPy's evaluate report it).
    Computing this here, with the BLAS the training step uses, keeps NumPy's
    own BLAS threads from waking between epochs and spinning beside it.
    """
    n = X.shape[0]
    n_layers = layout.shape[0]
    widest = 0
    for i in range(n_layers):
        widest = max(widest, layout[i, 2])
    sc = np.empty(2, params.dtype)
    sc[0] = 1
    sc[1] = slope
    one, leak = sc[0], sc[1]
    scratch = np.empty(layout[n_layers - 1, 2], params.dtype)
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
            np.dot(A, W, out)
            _bias_activation(out, bias, acts[i] if i < n_layers - 1 else IDENTITY, leak)
            A = out
        for r in range(m):
            for j in range(A.shape[1]):
                if not np.isfinite(A[r, j]):
                    return total, correct, False
        value, right = _softmax_xent(A, labels[start : start + m], in_order, 0, one, m, scratch)
        total += value
        correct += right
    return total, correct, True
