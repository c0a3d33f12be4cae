"""The codes the compiled kernels take for what they mirror: activations and optimizers.

:func:`glassnet.fast.kernels.kernel_code` maps a layer or an optimizer to its code
only when its formula is exactly the one a kernel restates. Kept apart from the
kernels so that the gateway can name them without importing numba. tanh and
logistic are left to NumPy: its SIMD exp and tanh beat the scalar libm calls of a
compiled loop (W1, 2 → 32 tanh → 2: 355 µs an epoch here against 182).
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
