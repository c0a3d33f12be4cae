"""The compiled kernels (numba), as :func:`glassnet.fast.kernels.load` hands them out.

Importing this module imports numba and creates the dispatchers; code is
compiled on a kernel's first call for each dtype and cached on disk. Nothing
else imports these modules, so ``import glassnet`` never imports numba.

Every kernel restates one readable formula and is named after it (its
docstring says which); ``tests/fast/test_kernel_agreement.py`` runs each pair
on the same float64 inputs and checks they agree to 1e-12:

================================= ==================================================
kernel                            mirrors
================================= ==================================================
``sgd_update``                    :meth:`glassnet.SGD.update`
``adam_update``                   :meth:`glassnet.Adam.update` (AdamW's ``_decay`` too)
``adam_scalars``                  :func:`glassnet.core.optim.adam_scalars`
``dense_bias_activation``         :func:`~glassnet.core.functional.dense`, then relu,
                                  leaky relu, tanh, logistic or the identity
``activation_grad``               :func:`~glassnet.core.functional.relu_grad`,
                                  :func:`~glassnet.core.functional.leaky_relu_grad`,
                                  :func:`~glassnet.core.functional.tanh_grad`,
                                  :func:`~glassnet.core.functional.sigmoid_grad`
``dense_grads``                   :func:`~glassnet.core.functional.dense_grads`
``softmax_xent_forward_backward`` :meth:`glassnet.SoftmaxCrossEntropy.forward_backward_into`
``l2_penalty``                    :func:`glassnet.core.losses.l2_penalty`
================================= ==================================================

The training step (``run_batches``, ``evaluate_rows``) is made of them
(:mod:`glassnet.fast.jitted_step`). tanh and the logistic function inside them
are plain arithmetic (:mod:`glassnet.fast.jitted_math`), so that their loops
vectorise; ``tests/fast/test_fast_tanh.py`` holds them to a few ulp of NumPy's.
"""

from __future__ import annotations

from .jitted_layers import (
    activation_grad,
    dense_bias_activation,
    dense_grads,
    l2_penalty,
    softmax_xent_forward_backward,
)
from .jitted_math import exp_into, logistic_into, tanh_into
from .jitted_step import evaluate_rows, forward_backward, run_batches
from .jitted_update import adam_scalars, adam_update, optimizer_update, sgd_update

__all__ = [
    "activation_grad",
    "adam_scalars",
    "adam_update",
    "dense_bias_activation",
    "dense_grads",
    "evaluate_rows",
    "exp_into",
    "forward_backward",
    "l2_penalty",
    "logistic_into",
    "optimizer_update",
    "run_batches",
    "sgd_update",
    "softmax_xent_forward_backward",
    "tanh_into",
]
