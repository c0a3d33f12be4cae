"""The codes the compiled kernels take for what they mirror: activations and optimizers.

:func:`glassnet.fast.kernels.kernel_code` maps a layer or an optimizer to its code
only when its formula is exactly the one a kernel restates. Kept apart from the
kernels so that the gateway can name them without importing numba.

tanh and logistic were long left to NumPy: numba turns ``np.tanh``/``np.exp``
into scalar calls of the C library, which lost to NumPy's SIMD ones (W1, 2 → 32
tanh → 2, full batch: 355 µs an epoch against 182). The kernels now compute
them in plain arithmetic that vectorises (:mod:`glassnet.fast.jitted_math`,
within 2 ulp of NumPy's). W1 through ``glassnet.train``, 2000 epochs: ~160 µs
an epoch in float64 and ~115 in float32 on the compiled route, against ~250 and
~200 on the fast NumPy route and ~190 and ~130 for JAX with the whole loop
compiled (``lax.fori_loop``); one process, alternating rounds, medians, on a
2-core machine shared with other work (so all slower than benchmarks/RESULTS.md's
quiet runs). Of the compiled epoch, ~11 µs is the training loop's Python and
~5 µs the compiled step's call.
"""

from __future__ import annotations

__all__ = [
    "ADAM",
    "ADAMW",
    "IDENTITY",
    "LEAKY_RELU",
    "LOGISTIC",
    "RELU",
    "SGD",
    "SGD_MOMENTUM",
    "SGD_NESTEROV",
    "TANH",
]

IDENTITY, RELU, LEAKY_RELU, TANH, LOGISTIC = 0, 1, 2, 3, 4
SGD, SGD_MOMENTUM, SGD_NESTEROV, ADAM, ADAMW = 0, 1, 2, 3, 4
