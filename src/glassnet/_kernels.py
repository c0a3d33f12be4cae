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


def _load() -> Any:
    """The module of compiled kernels (:mod:`glassnet._jitted`), or None without numba."""
    global _loaded
    if _loaded is None:
        try:
            from . import _jitted

            _loaded = _jitted
        except ImportError:  # numba missing, or built for another NumPy
            _loaded = False
    return _loaded or None


def available() -> bool:
    """True when numba imports here (it is imported to find out) and is not switched off."""
    return not _off() and _load() is not None


def kernels_for(*arrays: np.ndarray) -> Any:
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
