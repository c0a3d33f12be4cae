"""glassnet: a see-through neural-network classifier.

Softmax output, cross-entropy loss, and backpropagation with the hand-derived
gradient ∂L/∂z = ŷ − y, readable in the code and checkable by numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .core.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .core.data import minibatches, one_hot
from .core.functional import (
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from .core.layers import Dense, Layer
from .core.losses import CrossEntropy, SoftmaxCrossEntropy
from .core.multilabel import SigmoidCrossEntropy
from .core.optim import SGD, Adam, AdamW, Optimizer
from .core.sequential import Sequential, mlp
from .exceptions import ModelFileError, TrainingDivergedError, UnsupportedFormatError
from .persist.checkpoint import Checkpoint, ResumedState, resume
from .teach.explain import Derivation, derive
from .teach.gradcheck import GradientCheck, check_gradients
from .training.loop import train
from .training.progress import ProgressBar
from .training.state import Callback, EarlyStopping, History, TrainState
from .training.step import evaluate
from .viz.plotting import plot_decision_boundary, plot_history, save_animation
from .viz.snapshots import BoundarySnapshots, Snapshot

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
    "SigmoidCrossEntropy",
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
    "to_onnx",
    "train",
]

if TYPE_CHECKING:
    from .estimator.classifier import MLPClassifier
    from .estimator.modelfile import load, save
    from .export.onnx import to_onnx

# Imported on first use: the estimator brings in scikit-learn (and SciPy), which
# roughly sextuples the memory of ``import glassnet`` for users of the layers and
# the training loop alone. Model files rebuild the estimator, so they wait too.
_LAZY = {
    "MLPClassifier": ".estimator.classifier",
    "load": ".estimator.modelfile",
    "save": ".estimator.modelfile",
    "to_onnx": ".export.onnx",
}


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value
