"""Optional compiled optimizer updates: one fused pass over the flat vector (numba).

The readable update rules live in :mod:`glassnet.optim` (the docstrings of
:class:`~glassnet.optim.SGD`, :class:`~glassnet.optim.Adam` and
:class:`~glassnet.optim.AdamW`, and their ``_step_flat`` methods, which are the
pure-NumPy path). The kernels here compute the very same arithmetic, in the same
order and in the arrays' own precision, element by element in one loop instead
of a dozen NumPy passes over the whole vector. They change nothing but speed.

When they are used: only from ``_step_flat`` (the training loop's flat update),
only for float32/float64 vectors of at least :data:`MIN_SIZE` parameters (below
that, importing numba and loading the compiled code costs more than a whole
training run saves), only when numba imports, and never when the environment
variable ``GLASSNET_NO_NUMBA`` is set to anything but ``""`` or ``"0"``.
``import glassnet`` never imports numba; the first large update does. Compiled
code is cached on disk (``cache=True``), so later processes skip the compile.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MIN_SIZE", "available", "kernels_for"]

#: Smallest flat vector (number of parameters) that is updated by the compiled kernel.
#: Measured (benchmarks/RESULTS.md, "Compiled optimizer kernel"): a fresh process pays
#: ~0.2-0.4 s to import numba and load the cached kernel, which a network of this size
#: wins back within a few hundred steps; the moons network (162) and W2's (20,490) never do
#: in a typical run.
MIN_SIZE = 50_000

#: Set this environment variable (to anything but "" or "0") to force the NumPy path.
ENV_OFF = "GLASSNET_NO_NUMBA"

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# None: not tried yet; False: numba is missing or unusable; else the compiled kernels.
_loaded: Any = None


def _off() -> bool:
    return os.environ.get(ENV_OFF, "") not in ("", "0")


def _jit(fn: Callable[..., None]) -> Any:
    import numba

    # error_model="numpy": IEEE division like NumPy's (no zero-divisor check in the loop,
    # which is also what lets LLVM vectorise sqrt and division). No fastmath: no FMA
    # contraction or reassociation, so every operation rounds as NumPy's does.
    try:
        return numba.njit(fn, cache=True, nogil=True, error_model="numpy")
    except RuntimeError:  # no writable cache location: compile in every process instead
        return numba.njit(fn, nogil=True, error_model="numpy")


def _adam(
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


def _sgd_momentum(
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


def _sgd(p: Any, g: Any, lr: Any, l2: Any) -> None:  # pragma: no cover - compiled
    """Plain SGD in one pass: ``p = p - (g + l2 · p) · lr`` (see ``SGD._step_flat``)."""
    for i in range(p.shape[0]):
        pi = p[i]
        gi = g[i]
        if l2 != 0:
            gi = gi + l2 * pi
        p[i] = pi - gi * lr


class _Kernels:
    """The compiled functions (each compiles once per dtype, on first call)."""

    def __init__(self) -> None:
        self.adam = _jit(_adam)
        self.sgd_momentum = _jit(_sgd_momentum)
        self.sgd = _jit(_sgd)


def _load() -> _Kernels | None:
    global _loaded
    if _loaded is None:
        try:
            _loaded = _Kernels()
        except ImportError:  # numba missing, or built for another NumPy
            _loaded = False
    return _loaded or None


def available() -> bool:
    """True when numba imports here (it is imported to find out) and is not switched off."""
    return not _off() and _load() is not None


def kernels_for(*arrays: np.ndarray) -> _Kernels | None:
    """The compiled kernels if they should update these flat vectors, else None.

    Cheap below :data:`MIN_SIZE` (one comparison): numba is not imported then.
    """
    first = arrays[0]
    if first.size < MIN_SIZE or _off():
        return None
    dtype = first.dtype
    if dtype not in _FLOATS:
        return None
    for a in arrays:
        if a.dtype != dtype or a.ndim != 1 or a.shape != first.shape or not a.flags.c_contiguous:
            return None
    return _load()
