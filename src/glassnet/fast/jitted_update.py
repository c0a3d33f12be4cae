"""The optimizers' update rules restated as compiled kernels (numba), one pass over a vector.

Each kernel here restates one readable rule of :mod:`glassnet.core.optim` and is
named after it; ``tests/fast/test_kernel_agreement.py`` runs both on the same
float64 inputs and checks they agree to 1e-12. Imported only through
:func:`glassnet.fast.kernels.load`.

The scalars come in the arrays' dtype (``float32`` arithmetic stays ``float32``,
as in NumPy); the operations are NumPy's, in NumPy's order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .codes import ADAM, SGD_NESTEROV
from .jitted_options import jit

__all__ = ["adam_scalars", "adam_update", "optimizer_update", "sgd_update"]

#: Digest of the sibling modules this one compiles in (tests/fast/test_kernels.py computes
#: it). numba's disk cache checks only a function's own file: a change to those
#: must change this file too, or their old machine code would be loaded.
BUILT_FROM = "2b95f8f323f081ae"


@jit
def adam_scalars(lr: Any, b1: Any, b2: Any, eps: Any, t: Any) -> tuple[float, float]:
    """Mirrors :func:`glassnet.core.optim.adam_scalars`: Adam's folded bias corrections.

    For the training step, which takes many steps in one call and so needs the
    two numbers per step inside compiled code (everything else passes those
    of :func:`glassnet.core.optim.adam_scalars`). The same formula::

        step_size = lr · sqrt(1 - β2ᵗ) / (1 - β1ᵗ),   eps_hat = eps · sqrt(1 - β2ᵗ)

    ``t`` is taken as a float, as Python's ``float ** int`` takes it (numba would
    otherwise raise to an integer power by repeated multiplication).
    """
    tf = float(t)
    root_c2 = np.sqrt(1.0 - b2**tf)
    return lr * root_c2 / (1.0 - b1**tf), eps * root_c2


@jit
def sgd_update(
    p: Any, g: Any, vel: Any, lr: Any, mu: Any, l2: Any, nesterov: bool
) -> None:  # pragma: no cover - compiled
    """Mirrors :meth:`glassnet.SGD.update`: plain, momentum or Nesterov SGD in one pass.

    Per element, with ``gi = g + l2 · p`` (``l2``: the optimizer's
    ``weight_decay``) and ``step = gi · lr``::

        p   = p - step                      (mu = 0: vel is not touched)
        vel = vel · mu - step
        p   = p + vel                       (classical momentum)
        p   = (p - step) + vel · mu         (nesterov)
    """
    if mu == 0:
        for i in range(p.shape[0]):
            pi = p[i]
            gi = g[i]
            if l2 != 0:
                gi = gi + l2 * pi
            p[i] = pi - gi * lr
        return
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


@jit
def adam_update(
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
) -> None:  # pragma: no cover - compiled
    """Mirrors :meth:`glassnet.Adam.update` (and AdamW's ``_decay``) in one pass.

    ``step_size`` and ``eps_hat`` are :func:`glassnet.core.optim.adam_scalars`'s
    for this step. Per element::

        gi = g + l2 · p                          (Adam's weight_decay; l2 = 0 otherwise)
        p  = p · shrink                          (AdamW: shrink = 1 - lr · weight_decay)
        m  = m · β1 + gi · (1 - β1)
        v  = v · β2 + (gi · gi) · (1 - β2)
        p  = p - (m / (sqrt(v) + eps_hat)) · step_size
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


@jit
def optimizer_update(
    code: int, p: Any, g: Any, s1: Any, s2: Any, sc: Any
) -> None:  # pragma: no cover - compiled
    """The update of optimizer ``code`` (:mod:`glassnet.fast.codes`): :func:`adam_update`
    or :func:`sgd_update`, with the state vectors ``s1``, ``s2`` and the scalars ``sc``.

    ``sc``: Adam's eight arguments after ``v`` in order; SGD's ``lr, momentum,
    weight_decay``. SGD reads ``s1`` (its velocity) only with momentum.
    """
    if code >= ADAM:
        adam_update(p, g, s1, s2, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7])
    else:
        sgd_update(p, g, s1, sc[0], sc[1], sc[2], code == SGD_NESTEROV)
