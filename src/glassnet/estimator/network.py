"""The estimator's network: built from ``coefs_``/``intercepts_``, published back, optimized.

The fitted state stays plain arrays (``coefs_``, ``intercepts_``), so
pickling, cloning and export never have to preserve the views of
``Sequential``'s flat vector; a network is built from them when needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core import optim
from ..core.layers import Dense
from ..core.optim import Optimizer
from ..core.sequential import Sequential, mlp
from ..exceptions import TrainingDivergedError
from .base import MLPBase
from .outcome import DIVERGED

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "dense_layers",
    "initialise",
    "make_optimizer",
    "publish",
    "refuse_a_frozen_first_layer",
    "share_weights",
    "to_model",
]

Array = NDArray[np.floating]


class _LearningRateName:
    """scikit-learn's name for the step size: its optimizers' ``learning_rate`` is ``lr``.

    Code written against scikit-learn's private ``_optimizer.learning_rate``
    (its own tests among it) reads and sets the same number.
    """

    lr: float

    @property
    def learning_rate(self) -> float:
        """The step size, ``lr``."""
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.lr = value


# Same names as the core's, so checkpoints (which record the class name) stay interchangeable.
class SGD(_LearningRateName, optim.SGD):
    """:class:`glassnet.SGD` with scikit-learn's ``learning_rate`` name for ``lr``."""


class Adam(_LearningRateName, optim.Adam):
    """:class:`glassnet.Adam` with scikit-learn's ``learning_rate`` name for ``lr``."""


class AdamW(_LearningRateName, optim.AdamW):
    """:class:`glassnet.AdamW` with scikit-learn's ``learning_rate`` name for ``lr``."""


def dense_layers(model: Sequential) -> list[Dense]:
    """The model's Dense layers, in order.

    Parameters
    ----------
    model : Sequential
    """
    return [layer for layer in model.layers if isinstance(layer, Dense)]


def to_model(coefs: list[Array], intercepts: list[Array], activation: str) -> Sequential:
    """Build the network from ``coefs_`` / ``intercepts_`` (the source of truth).

    Parameters
    ----------
    coefs : list of ndarray
        ``coefs_``: the weight matrix of each layer, shape (n_inputs, n_units).
    intercepts : list of ndarray
        ``intercepts_``: the bias vector of each layer, shape (n_units,).
    activation : str
        The hidden layers' activation.
    """
    sizes = [coefs[0].shape[0], *(c.shape[1] for c in coefs)]
    # The initial draw is overwritten at once: a fixed seed keeps it from
    # consuming the estimator's generator.
    model = mlp(sizes, activation, rng=0, dtype=coefs[0].dtype)
    for layer, W, b in zip(dense_layers(model), coefs, intercepts, strict=True):
        layer.W[...] = W
        layer.b[...] = b
    return model


def share_weights(est: MLPBase, model: Sequential) -> None:
    """Point ``coefs_`` and ``intercepts_`` at the model's live weights (no copy).

    For a first fit, between initialisation and :func:`publish`: a large first
    layer is then held once, not twice, at the fit's peak memory.

    Parameters
    ----------
    est : MLPClassifier
    model : Sequential
    """
    dense = dense_layers(model)
    est.coefs_ = [layer.W for layer in dense]
    est.intercepts_ = [layer.b for layer in dense]


def publish(est: MLPBase, model: Sequential) -> None:
    """Copy the model's weights into ``coefs_`` and ``intercepts_``.

    Parameters
    ----------
    est : MLPClassifier
    model : Sequential
    """
    dense = dense_layers(model)
    est.coefs_ = [layer.W.copy() for layer in dense]
    est.intercepts_ = [layer.b.copy() for layer in dense]


def initialise(
    est: MLPBase,
    labels: NDArray[Any],
    n_features: int,
    hidden: list[int],
    dtype: np.dtype,
    validating: bool,
    out_activation: str = "softmax",
) -> Sequential:
    """Fresh weights and fitted attributes for a first fit; the network to train.

    Parameters
    ----------
    est : MLPClassifier
    labels : ndarray of shape (n_classes,)
    n_features : int
    hidden : list of int
        The hidden widths.
    dtype : np.dtype
    validating : bool
        Whether the validation curves are kept.
    out_activation : {"softmax", "logistic"}, default="softmax"
        ``out_activation_``: "logistic" for a multilabel indicator ``y``.

    Returns
    -------
    Sequential
        The network at its initial weights, which ``coefs_`` and
        ``intercepts_`` show (no copy) until training publishes its result.
    """
    sizes = [n_features, *hidden, len(labels)]
    # Glorot-uniform weights for every activation and biases drawn from the same range,
    # as scikit-learn (see the class's Notes): zero biases with tanh on symmetric data
    # collapsed to a constant model (circles, alpha=1: 10 seeds of 10; benchmarks/DEFAULTS.md).
    model = mlp(
        sizes, est.activation, rng=est._rng, dtype=dtype, init="glorot_uniform", bias_init="uniform"
    )
    est.classes_ = labels
    est.n_outputs_ = len(labels)
    est.n_layers_ = len(sizes)
    est.out_activation_ = out_activation
    share_weights(est, model)
    est.n_iter_ = 0
    est.t_ = 0
    est.loss_curve_ = []
    est.best_loss_ = np.inf
    est.validation_scores_ = [] if validating else None
    est.validation_loss_curve_ = [] if validating else None
    est.best_validation_score_ = None
    est.best_validation_loss_ = None
    est.interrupted_ = False
    est.stopped_by_ = ""  # set by the solver when training ends
    est.route_, est.route_reason_ = "", "no training has run yet"
    est._no_improvement_count = 0
    if hasattr(est, "_optimizer"):
        del est._optimizer
    return model


def make_optimizer(est: MLPBase) -> Optimizer:
    """The optimizer of ``est.solver`` with the estimator's settings.

    Parameters
    ----------
    est : MLPClassifier
        With a stochastic solver ("sgd", "adam" or "adamw").
    """
    lr = float(est.learning_rate_init)
    if est.solver == "sgd":
        return SGD(
            lr,
            momentum=float(est.momentum),
            nesterov=bool(est.nesterovs_momentum) and est.momentum > 0,
        )
    betas = (float(est.beta_1), float(est.beta_2))
    if est.solver == "adamw":
        return AdamW(lr, betas=betas, eps=float(est.epsilon), weight_decay=float(est.alpha))
    return Adam(lr, betas=betas, eps=float(est.epsilon))


def refuse_a_frozen_first_layer(est: MLPBase, model: Sequential, X: Array, big: float) -> None:
    """Raise when no sample can move the first layer's weights (saturated units).

    Backpropagation multiplies the gradient reaching the first layer by
    the derivative of its activation. When X is so large that this
    derivative is exactly 0 in floating point for every sample and every
    hidden unit (tanh or logistic pushed far into saturation; relu units
    all dead), the gradient of the loss with respect to the first layer's
    weights and biases is identically zero: gradient descent can never
    change them, and the fit would only train the later layers on frozen
    random features. That is a numerical breakdown, reported as
    :class:`~glassnet.TrainingDivergedError` before any step, with the
    estimator fitted at its starting weights (``n_iter_ = 0``).

    Parameters
    ----------
    est : MLPClassifier
    model : Sequential
        At its starting weights.
    X : ndarray of shape (n_samples, n_features)
        The training data.
    big : float
        Max ``|x|``, for the message.
    """
    if len(model.layers) < 2:
        return
    dense, activation = model.layers[0], model.layers[1]
    with np.errstate(over="ignore", invalid="ignore"):
        slope = activation.backward(np.ones_like(activation.forward(dense.forward(X))))
    if np.any(slope):  # NaN counts as non-zero: the divergence guard reports it
        return
    est.n_iter_ = 0
    est.interrupted_ = False
    est.stopped_by_ = DIVERGED
    raise TrainingDivergedError(
        f"training cannot start: X holds values as large as {big:.3g}, which saturate "
        f"every unit of the first hidden layer ({est.activation}) for every sample. The "
        "activation's derivative is exactly 0 in floating point, so the gradient of the "
        "loss with respect to the first layer's weights is identically zero and no step "
        "can change them (the fit would train only the later layers on frozen random "
        "features). Scale the features: make_pipeline(StandardScaler(), MLPClassifier()). "
        "The estimator holds its starting weights (n_iter_=0)."
    )
