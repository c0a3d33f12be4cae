"""glassnet: a see-through neural-network classifier.

Softmax output, cross-entropy loss, and backpropagation with the hand-derived
gradient ∂L/∂z = ŷ − y, readable in the code and checkable by numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .callbacks import BoundarySnapshots, ProgressBar, Snapshot
from .checkpoint import Checkpoint, ResumedState, resume
from .data import minibatches, one_hot
from .exceptions import ModelFileError, TrainingDivergedError, UnsupportedFormatError
from .explain import Derivation, derive
from .functional import (
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from .gradcheck import GradientCheck, check_gradients
from .io import load, save
from .layers import (
    Dense,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    mlp,
)
from .losses import CrossEntropy, SoftmaxCrossEntropy
from .optim import SGD, Adam, AdamW, Optimizer
from .plotting import plot_decision_boundary, plot_history, save_animation
from .train import Callback, EarlyStopping, History, TrainState, evaluate, train

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "BoundarySnapshots",
    "Callback",
    "Checkpoint",
    "CrossEntropy",
    "Dense",
    "Derivation",
    "EarlyStopping",
    "GradientCheck",
    "History",
    "Identity",
    "Layer",
    "LeakyReLU",
    "MLPClassifier",
    "ModelFileError",
    "Optimizer",
    "ProgressBar",
    "ReLU",
    "ResumedState",
    "Sequential",
    "Sigmoid",
    "Snapshot",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Tanh",
    "TrainState",
    "TrainingDivergedError",
    "UnsupportedFormatError",
    "__version__",
    "check_gradients",
    "derive",
    "evaluate",
    "load",
    "log_softmax",
    "logsumexp",
    "minibatches",
    "mlp",
    "one_hot",
    "plot_decision_boundary",
    "plot_history",
    "resume",
    "save",
    "save_animation",
    "softmax",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_vjp",
    "train",
]

if TYPE_CHECKING:
    from .estimator import MLPClassifier


def __getattr__(name: str) -> Any:
    # The estimator is imported on first use: it brings in scikit-learn (and
    # SciPy), which roughly sextuples the memory of ``import glassnet`` for
    # users of the layers and the training loop alone.
    if name == "MLPClassifier":
        from .estimator import MLPClassifier

        globals()["MLPClassifier"] = MLPClassifier
        return MLPClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
