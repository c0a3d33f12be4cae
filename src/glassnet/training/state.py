"""What a training run shares with its callbacks: protocols, history, state, callbacks.

:class:`Model` and :class:`Loss` say what the loop needs of a model and a loss;
:class:`History` is what a run records, :class:`TrainState` what callbacks see,
and :class:`Callback` (with :class:`EarlyStopping`) how they take part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ..core.optim import Optimizer

__all__ = ["Callback", "EarlyStopping", "History", "Loss", "Model", "TrainState"]

Array = NDArray[np.floating]


class Model(Protocol):
    """What :func:`train` and :func:`glassnet.check_gradients` need of a model.

    A typing protocol: any object with these four methods fits, and
    :class:`glassnet.Sequential` does. ``forward`` maps X of shape
    (n_samples, n_features) to logits of shape (n_samples, n_classes) and
    caches what ``backward`` needs; ``backward`` takes ``∂L/∂logits``, fills
    the gradient arrays and returns ``∂L/∂X``; ``parameters`` and
    ``gradients`` return dicts of *live* arrays with the same names and
    shapes, updated in place.
    """

    def forward(self, X: Array) -> Array: ...
    def backward(self, grad: Array) -> Array: ...
    def parameters(self) -> dict[str, Array]: ...
    def gradients(self) -> dict[str, Array]: ...


class Loss(Protocol):
    """What :func:`train` and :func:`glassnet.check_gradients` need of a loss.

    A typing protocol: :class:`glassnet.SoftmaxCrossEntropy` fits.
    ``forward(logits, y, sample_weight)`` returns the (weighted) mean loss as
    a float; ``backward()`` returns its gradient on the logits, of the
    logits' shape.
    """

    def forward(self, logits: Any, y: Any, sample_weight: Any = None) -> float: ...
    def backward(self) -> Array: ...


@dataclass
class History:
    """Per-epoch metrics of one call to :func:`train`.

    Attributes
    ----------
    loss : list of float
        Mean training loss of each epoch, averaged over the epoch's batches
        (each measured before its update, as scikit-learn's ``loss_curve_``).
    accuracy : list of float
        Training accuracy of each epoch, from the same forward passes.
    val_loss, val_accuracy : list of float
        On ``validation_data`` at the end of each epoch (empty without it).
    n_steps : int
        Optimizer steps taken.
    stopped_early : bool
        True when a callback stopped training before ``epochs``.
    interrupted : bool
        True when training ended with KeyboardInterrupt (Ctrl-C). The model
        then holds the last completed step.
    route : str
        How the last call computed its steps: ``"readable"`` (each layer's own
        forward and backward, as the maths reads), ``"fast"`` (the same step
        with NumPy in reused buffers) or ``"compiled"`` (the same step in numba,
        for relu networks when numba is installed); ``""`` before any training.
    route_reason : str
        Why that route ran: asked for by ``route=``, or what ``route="auto"``
        found (for example the layer or loss that has no fast form).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    n_steps: int = 0
    stopped_early: bool = False
    interrupted: bool = False
    route: str = ""
    route_reason: str = ""

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.loss)

    def as_dict(self) -> dict[str, list[float]]:
        """The four curves as a plain dict."""
        return {
            "loss": list(self.loss),
            "accuracy": list(self.accuracy),
            "val_loss": list(self.val_loss),
            "val_accuracy": list(self.val_accuracy),
        }


@dataclass
class TrainState:
    """What callbacks see. Set ``stop_training = True`` to end after this epoch.

    Attributes
    ----------
    model, loss, optimizer
        The objects being trained.
    history : History
        Curves so far.
    epoch : int
        Current epoch, counted from 0.
    batch : int
        Current batch within the epoch, counted from 0.
    logs : dict of str to float
        The current epoch's metrics once it ends (``loss``, ``accuracy`` and,
        with validation data, ``val_loss``, ``val_accuracy``); the last batch's
        ``batch_loss`` after each batch.
    stop_training : bool
    rng : numpy.random.Generator or None
        The generator drawing the shuffles (checkpoints save its state).
    """

    model: Any
    loss: Any
    optimizer: Optimizer
    history: History
    epoch: int = 0
    batch: int = 0
    logs: dict[str, float] = field(default_factory=dict)
    stop_training: bool = False
    rng: np.random.Generator | None = None


class Callback:
    """Base class for training callbacks; override the hooks you need."""

    def on_train_begin(self, state: TrainState) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, state: TrainState) -> None:
        """Called at the start of every epoch."""

    def on_batch_end(self, state: TrainState) -> None:
        """Called after every optimizer step."""

    def on_epoch_end(self, state: TrainState) -> None:
        """Called after every epoch, with ``state.logs`` filled."""

    def on_train_end(self, state: TrainState) -> None:
        """Called once when training ends normally or stops early."""


class EarlyStopping(Callback):
    """Stop when a monitored metric has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default="val_loss"
        Key of ``state.logs`` to watch; lower is better for names containing
        "loss", higher otherwise.
    patience : int, default=10
        Epochs without improvement before stopping.
    min_delta : float, default=0.0
        An improvement must exceed this.
    restore_best : bool, default=True
        Copy the best epoch's parameters back into the model when stopping or
        when training ends.

    Attributes
    ----------
    best : float
        Best value seen.
    best_epoch : int
        Epoch (from 0) of the best value; -1 before any epoch.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        if int(patience) < 1:
            raise ValueError(
                f"patience must be a positive integer; got {patience!r}. Pass the number of "
                "epochs to wait for an improvement, e.g. 10."
            )
        if not (min_delta >= 0):
            raise ValueError(
                f"min_delta must be >= 0; got {min_delta!r}. Pass 0 to count any "
                "improvement, or a small positive margin."
            )
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best = restore_best
        self.best = math.inf
        self.best_epoch = -1
        self._wait = 0
        self._best_params: dict[str, Array] | None = None

    def _sign(self) -> float:
        return 1.0 if "loss" in self.monitor else -1.0

    def on_train_begin(self, state: TrainState) -> None:
        """Reset the record."""
        self.best = math.inf
        self.best_epoch = -1
        self._wait = 0
        self._best_params = None

    def on_epoch_end(self, state: TrainState) -> None:
        """Compare the monitored value with the best so far."""
        if self.monitor not in state.logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r} but the epoch logs hold "
                f"{sorted(state.logs)}; pass validation_data to train for val_* metrics, "
                "or monitor one of the logged names."
            )
        value = self._sign() * state.logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best = value
            self.best_epoch = state.epoch
            self._wait = 0
            if self.restore_best:
                self._best_params = {k: v.copy() for k, v in state.model.parameters().items()}
        else:
            self._wait += 1
            if self._wait >= self.patience:
                state.stop_training = True

    def on_train_end(self, state: TrainState) -> None:
        """Restore the best parameters if asked."""
        if self.restore_best and self._best_params is not None:
            for k, v in state.model.parameters().items():
                v[...] = self._best_params[k]
        self.best = self._sign() * self.best
