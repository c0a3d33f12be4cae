"""How every compiled kernel is compiled: the numba decorators the ``jitted_*`` modules share.

Imported only through :func:`glassnet.fast.kernels.load` (it imports numba).
"""

from __future__ import annotations

from typing import Any

import numba

__all__ = ["OPTIONS", "jit", "jit_parallel"]

#: error_model="numpy": IEEE division like NumPy's (no zero-divisor check in the loop,
#: which is also what lets LLVM vectorise sqrt and division). No fastmath: no FMA
#: contraction or reassociation, so every operation rounds as NumPy's does.
OPTIONS: dict[str, Any] = {"nogil": True, "error_model": "numpy"}

# Machine code is cached on disk next to each module (cache=True), so a later process
# only loads it. A read-only install has no cache folder: find out now, compile in memory.
try:
    jit = numba.njit(cache=True, **OPTIONS)
    jit(lambda: None)
    jit_parallel = numba.njit(cache=True, parallel=True, **OPTIONS)
except RuntimeError:  # pragma: no cover - depends on the install's file permissions
    jit = numba.njit(**OPTIONS)
    jit_parallel = numba.njit(parallel=True, **OPTIONS)
