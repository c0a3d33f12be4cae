"""The training loop: epochs, minibatches, history, callbacks and a divergence guard.

The loop knows nothing of scikit-learn, plotting or printing: it reports
through callbacks. One step is::

    logits = model.forward(X_batch)
    loss_value = loss.forward(logits, y_batch, w_batch)
    model.backward(loss.backward())          # fills model.gradients()
    check loss and gradient norm are finite  # else raise, update not applied
    optimizer.step(model.parameters(), model.gradients())

That is the readable route. The same step runs faster, to the same numbers, on
two other routes (``History.route`` says which ran): NumPy in reused buffers for
a ``Sequential`` with a plain ``SoftmaxCrossEntropy`` (:mod:`glassnet._fastpath`),
and, for large relu runs when numba is installed, compiled code that takes many
batches per call (:mod:`glassnet._jitted`; agreeing to rounding).
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import check_batch_size, is_int
from ._fastpath import _CompiledPath, _FastPath, _FlatView
from .data import _check_sample_weight, _epoch_order, check_features, minibatches
from .exceptions import TrainingDivergedError
from .init import as_generator
from .optim import Optimizer

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "Loss",
    "Model",
    "TrainState",
    "evaluate",
    "train",
]

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
        for large relu runs when ``glassnet[fast]`` is installed); ``""``
        before any training.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    n_steps: int = 0
    stopped_early: bool = False
    interrupted: bool = False
    route: str = ""

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


class _InterruptGuard:
    """Hold back Ctrl-C while arrays are being updated; raise it at the step's end.

    Only in the main thread and only when Python's default SIGINT handler is
    installed (signals reach no other thread, and a custom handler is the
    application's business).
    """

    def __init__(self) -> None:
        self.pending = False
        self._installed = False

    def _handler(self, signum: int, frame: object) -> None:
        self.pending = True

    def __enter__(self) -> _InterruptGuard:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def check(self) -> None:
        """Raise the held-back KeyboardInterrupt, if one arrived."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self._installed = False
        if exc_type is None:
            # A Ctrl-C that arrived after the last check (during on_train_end,
            # say) is raised now rather than dropped with the handler.
            self.check()


# Batches per call of the compiled path: a Ctrl-C is answered within this many steps.
_CHUNK = 64

# A training run's last good epoch boundary: parameters, optimizer state, epoch
# (of this call), steps so far and the length of each history curve.
_Boundary = tuple[dict[str, Array], dict[str, Any], int, int, list[int]]


def _labels_of(y: ArrayLike) -> NDArray[np.intp]:
    arr = np.asarray(y)
    return np.argmax(arr, axis=1) if arr.ndim == 2 else arr.astype(np.intp)


def _readable_step(
    model: Model,
    loss: Loss,
    Xa: Array,
    ya: NDArray[Any],
    wa: Array | None,
    idx: NDArray[np.intp] | slice,
) -> tuple[float, int, int, float, int]:
    """One forward and backward pass, exactly as the module docstring writes it.

    Returns the batch loss, the number of correct predictions, the batch size,
    the batch's total weight ``B`` (its size when unweighted) and the number
    of classes.
    """
    Xb = Xa[idx]
    yb = ya[idx]
    wb = None if wa is None else wa[idx]
    logits = model.forward(Xb)
    m = int(logits.shape[0])
    B = float(m) if wb is None else float(np.sum(wb))
    value = _loss_of(loss, logits, yb, wb)
    if value is None:  # train()'s guard reports the divergence
        return math.nan, 0, m, B, int(logits.shape[-1])
    model.backward(loss.backward())
    n_correct = int(np.count_nonzero(np.argmax(logits, axis=1) == _labels_of(yb)))
    return value, n_correct, m, B, int(logits.shape[1])


def _loss_of(loss: Any, logits: Array, y: Any, w: Array | None) -> float | None:
    """``loss.forward(logits, y, w)``, or None where the logits are not all finite.

    The losses refuse non-finite logits with a ValueError; a training loop
    (this module's, the estimator's L-BFGS objective) instead reports them as
    a divergence, with its own advice.
    """
    if not np.all(np.isfinite(logits)):
        return None
    return float(loss.forward(logits, y, w))


def _add_l2(
    coef: float, params: dict[str, Array], grads: dict[str, Array], flat: _FlatView | None
) -> float:
    """Add ``coef · W`` to each ``"*.W"`` gradient; return the loss term ``coef/2 · Σ‖W‖²``.

    ``coef`` is ``l2 / B``: the loss gains ``(l2 / 2) · Σ‖W‖² / B``, whose
    gradient is ``(l2 / B) · W``.
    """
    if flat is not None:
        return 0.5 * coef * flat.add_l2(coef)
    total = 0.0
    for k, W in params.items():
        if k.endswith(".W"):
            total += float(np.vdot(W, W))
            grads[k] += coef * W
    return 0.5 * coef * total


def _not_finite(
    epoch: int, batch: int, value: float, lr: float, last_finite: float | None
) -> TrainingDivergedError:
    """The guard's error for a step whose loss or gradient norm is not finite."""
    what = "loss" if not math.isfinite(value) else "gradient norm"
    before = "none yet" if last_finite is None else f"{last_finite:.6g}"
    return TrainingDivergedError(
        f"training diverged at epoch {epoch + 1}, batch {batch + 1}: the {what} "
        f"is not finite (loss={value!r}) with learning rate {lr:g}; last finite loss: "
        f"{before}. The update was not applied: the model holds the last good step. "
        "Lower the learning rate, scale the features (StandardScaler) or set max_grad_norm."
    )


def _grad_sq_norm(model: Model) -> float:
    flat = getattr(model, "flat_grads", None)
    if flat is not None:
        return float(np.dot(flat, flat))
    return float(sum(np.vdot(g, g) for g in model.gradients().values()))


def evaluate(
    model: Model, loss: Loss, X: Array, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> tuple[float, float]:
    """Loss and accuracy of ``model`` on ``(X, y)`` in one forward pass.

    Parameters
    ----------
    model : Model
        Maps X to logits (a :class:`glassnet.Sequential`).
    loss : Loss
        Gives the mean loss of the logits (a :class:`glassnet.SoftmaxCrossEntropy`).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Class indices or target distributions.
    sample_weight : array-like of shape (n_samples,), optional
        Weights of the mean loss (accuracy is unweighted).

    Returns
    -------
    loss_value : float
    accuracy : float
        Fraction of samples whose largest logit is at their (largest) target.

    Raises
    ------
    ValueError
        If the logits are not finite, or ``y`` does not fit them.
    """
    logits = model.forward(X)
    value = loss.forward(logits, y, sample_weight)
    acc = float(np.mean(np.argmax(logits, axis=1) == _labels_of(y)))
    return value, acc


def train(
    model: Model,
    loss: Loss,
    optimizer: Optimizer,
    X: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int,
    batch_size: int | None = None,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
    validation_data: Sequence[Any] | None = None,
    callbacks: Iterable[Callback] = (),
    sample_weight: ArrayLike | None = None,
    max_grad_norm: float | None = None,
    divergence_factor: float | None = 1e3,
    divergence_patience: int = 3,
    l2: float = 0.0,
    history: History | None = None,
) -> History:
    """Train ``model`` by minibatch backpropagation.

    Parameters
    ----------
    model : Sequential
        Maps X to logits; its parameters are updated in place.
    loss : SoftmaxCrossEntropy or compatible
        Takes ``(logits, y, sample_weight)``, returns the mean loss, and
        gives the gradient on the logits from ``backward()``.
    optimizer : Optimizer
        Updates ``model.parameters()`` from ``model.gradients()``.
    X : array-like of shape (n_samples, n_features)
        Cast to the model's dtype once, before the first epoch.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Class indices or target distributions.
    epochs : int
        Passes over the data.
    batch_size : int, optional
        Samples per step; None means full-batch gradient descent.
    shuffle : bool, default=True
        Reshuffle before every epoch (with ``rng``).
    rng : Generator, int or None
        Source of the shuffles. The same seed gives bitwise identical weights.
    validation_data : tuple (X_val, y_val) or (X_val, y_val, w_val), optional
        Evaluated after every epoch into ``val_loss`` and ``val_accuracy``.
    callbacks : iterable of Callback
        Hooks called at train/epoch/batch boundaries; they may stop training.
    sample_weight : array-like of shape (n_samples,), optional
        Per-sample weights passed to the loss: finite and ``>= 0``, checked
        once before the first epoch (``ValueError`` otherwise).
    max_grad_norm : float, optional
        Rescale the gradient whenever its global L2 norm exceeds this.
    divergence_factor : float or None, default=1e3
        The runaway-loss heuristic. An epoch counts as *exploding* when its
        mean training loss exceeds ``divergence_factor × reference``. The
        reference is ``log K`` (the loss of a uniform guess over K classes)
        or the run's first epoch loss, whichever is larger, unless that first
        loss is itself over ``divergence_factor × log K``: then the reference
        is ``log K`` and the first epoch already counts as exploding (a fit
        that starts out exploding, as with unscaled features around 1e150).
        The run's first epoch is ``history.loss[0]`` when a non-empty
        ``history`` is passed (a resumed run keeps its reference). None turns
        the heuristic off.
    divergence_patience : int, default=3
        After this many exploding epochs in a row, or when training ends
        during an explosion, the parameters, the optimizer state and the
        history are restored to the end of the last good epoch (the initial
        state if there is none) and ``TrainingDivergedError`` is raised; its
        ``restored_epoch`` says how many epochs of this call were kept.
    l2 : float, default=0.0
        L2 penalty on the weights (parameters named ``"*.W"``, not biases), as
        scikit-learn's ``alpha``: each batch's loss gains
        ``(l2 / 2) · Σ‖W‖² / B`` and each weight gradient ``l2 · W / B``, where
        ``B`` is the batch's size (its total sample weight when weighted).
    history : History, optional
        Append to this history instead of starting a new one (``partial_fit``
        and resumed training keep one curve this way).

    Returns
    -------
    History

    Raises
    ------
    TrainingDivergedError
        When a step's loss or gradient norm is not finite (the update is not
        applied, so the model and optimizer hold the last good step), or when
        the loss runs away (see ``divergence_factor``; the model and optimizer
        are restored to the last good epoch).
    KeyboardInterrupt
        Re-raised after Ctrl-C with ``history.interrupted = True``. In the main
        thread the interrupt is held back while the optimizer updates the
        arrays, so the model always holds a completed step.
    """
    if not is_int(epochs) or epochs < 0:
        raise ValueError(
            f"epochs must be a non-negative integer; got {epochs!r}. Pass the number of "
            "passes over the data, e.g. epochs=100."
        )
    check_batch_size(batch_size, "samples per step")
    if max_grad_norm is not None and not (max_grad_norm > 0 and math.isfinite(max_grad_norm)):
        raise ValueError(
            f"max_grad_norm must be a positive finite number or None; got {max_grad_norm!r}. "
            "Pass e.g. max_grad_norm=1.0, or None not to clip."
        )
    dtype = getattr(model, "dtype", np.float64)
    Xa = check_features(X, dtype=dtype)
    ya = np.asarray(y)
    if ya.shape[0] != Xa.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {Xa.shape[0]} and {ya.shape[0]}. "
            "Pass one label (or target row) per row of X."
        )
    wa = (
        None
        if sample_weight is None
        else _check_sample_weight(sample_weight, Xa.shape[0], dtype=dtype)
    )
    val = None
    if validation_data is not None:
        if len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be (X_val, y_val) or (X_val, y_val, sample_weight_val); "
                f"got a sequence of length {len(validation_data)}. Pass "
                "validation_data=(X_val, y_val)."
            )
        Xv = check_features(validation_data[0], name="X_val", dtype=dtype)
        yv = np.asarray(validation_data[1])
        wv = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            wv = _check_sample_weight(
                validation_data[2], Xv.shape[0], dtype=dtype, name="sample_weight_val"
            )
        val = (Xv, yv, wv)
    if not (l2 >= 0 and math.isfinite(l2)):
        raise ValueError(
            f"l2 must be a finite number >= 0; got {l2!r}. Pass 0 for no penalty, or a "
            "small value such as 1e-4."
        )
    generator = as_generator(rng)
    params = model.parameters()
    grads = model.gradients()
    callbacks = list(callbacks)
    history = History() if history is None else history
    state = TrainState(model=model, loss=loss, optimizer=optimizer, history=history, rng=generator)
    if divergence_factor is not None and not (
        divergence_factor > 1 and math.isfinite(divergence_factor)
    ):
        raise ValueError(
            f"divergence_factor must be a finite number > 1 or None; got {divergence_factor!r}. "
            "Pass e.g. 1e3, or None to turn the runaway-loss check off."
        )
    if int(divergence_patience) < 1:
        raise ValueError(
            f"divergence_patience must be a positive integer; got {divergence_patience!r}. "
            "Pass e.g. 3."
        )
    n = Xa.shape[0]
    n_classes = 2
    flat = _FlatView.of(model, params, grads)
    fast = _FastPath.build(model, loss, Xa, ya, wa, flat)
    compiled = _CompiledPath.build(
        fast,
        flat,
        optimizer,
        l2,
        max_grad_norm,
        work=float(flat.params.size if flat else 0) * n * epochs,
    )
    history.route = "compiled" if compiled else "fast" if fast else "readable"
    # Callbacks that look at every batch get the compiled path one batch per call.
    per_batch = any(type(cb).on_batch_end is not Callback.on_batch_end for cb in callbacks)
    last_finite: float | None = None
    reference: float | None = None  # loss scale the runaway heuristic compares to
    exploding = 0  # consecutive exploding epochs
    good: _Boundary | None = None
    curves = (history.loss, history.accuracy, history.val_loss, history.val_accuracy)

    def roll_back(
        value: float, epoch: int, good: _Boundary, reference: float
    ) -> TrainingDivergedError:
        """Restore the last good epoch boundary; return the error describing the runaway."""
        saved, opt_state, kept, n_steps, lengths = good
        for k, v in params.items():
            v[...] = saved[k]
        optimizer.load_state_dict(opt_state)
        for curve, length in zip(curves, lengths, strict=True):
            del curve[length:]
        history.n_steps = n_steps
        where = f"the end of epoch {kept}" if kept else "their initial state, before epoch 1"
        err = TrainingDivergedError(
            f"training diverged: the loss ran away to {value:.3g} at epoch {epoch + 1}, over "
            f"{divergence_factor:g} times its reference scale {reference:.3g} for {exploding} "
            f"epoch(s) in a row, with learning rate {optimizer.lr:g}. The model and optimizer "
            f"were rolled back to {where}. Lower the learning rate, scale the features "
            "(StandardScaler) or set max_grad_norm."
        )
        err.restored_epoch = kept
        return err

    guard = _InterruptGuard()
    try:
        with guard:
            for cb in callbacks:
                cb.on_train_begin(state)
            for epoch in range(epochs):
                state.epoch = epoch
                for cb in callbacks:
                    cb.on_epoch_begin(state)
                if divergence_factor is not None and exploding == 0:
                    good = (
                        {k: v.copy() for k, v in params.items()},
                        optimizer.state_dict(),
                        epoch,
                        history.n_steps,
                        [len(c) for c in curves],
                    )
                loss_sum = 0.0
                correct = 0
                seen = 0
                if compiled is not None:
                    order, size = _epoch_order(n, batch_size, shuffle=shuffle, rng=generator)
                    n_batches = -(-n // size) if size > 0 else 0
                    chunk = 1 if per_batch else _CHUNK
                    for b0 in range(0, n_batches, chunk):
                        b1 = min(b0 + chunk, n_batches)
                        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                            done, stats = compiled.run(order, size, b0, b1)
                        n_classes = compiled.fast.n_classes
                        history.n_steps += done
                        for i in range(done):
                            m = min(size, n - (b0 + i) * size)
                            loss_sum += stats[i, 0] * m
                            correct += int(stats[i, 1])
                            seen += m
                        if done:
                            last_finite = float(stats[done - 1, 0])
                        if done < b1 - b0:
                            value = float(stats[done, 0])
                            raise _not_finite(epoch, b0 + done, value, optimizer.lr, last_finite)
                        state.batch = b1 - 1
                        state.logs = {"batch_loss": float(stats[done - 1, 0])}
                        if per_batch:
                            for cb in callbacks:
                                cb.on_batch_end(state)
                        guard.check()  # a Ctrl-C held back during the steps is raised here
                else:
                    for b, idx in enumerate(
                        minibatches(n, batch_size, shuffle=shuffle, rng=generator)
                    ):
                        state.batch = b
                        # Overflow is not warned about here: the guard below turns any
                        # non-finite loss or gradient into TrainingDivergedError.
                        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                            if fast is not None:
                                value, n_correct, m = fast.step(idx)
                                B, n_classes = float(m), fast.n_classes
                            else:
                                value, n_correct, m, B, n_classes = _readable_step(
                                    model, loss, Xa, ya, wa, idx
                                )
                            if l2 and B > 0:
                                value += _add_l2(l2 / B, params, grads, flat)
                            sq = _grad_sq_norm(model)
                        if not (math.isfinite(value) and math.isfinite(sq)):
                            raise _not_finite(epoch, b, value, optimizer.lr, last_finite)
                        last_finite = value
                        if max_grad_norm is not None:
                            norm = math.sqrt(sq)
                            if norm > max_grad_norm:
                                scale = max_grad_norm / norm
                                for g in grads.values():
                                    g *= scale
                        if flat is not None:
                            optimizer._step_flat(params, grads, flat)
                        else:
                            optimizer.step(params, grads)
                        history.n_steps += 1
                        loss_sum += value * m
                        correct += n_correct
                        seen += m
                        state.logs = {"batch_loss": value}
                        for cb in callbacks:
                            cb.on_batch_end(state)
                        guard.check()  # a Ctrl-C held back during the step is raised here
                logs = {"loss": loss_sum / seen, "accuracy": correct / seen}
                if divergence_factor is not None and good is not None:
                    if reference is None:
                        log_k = math.log(max(n_classes, 2))
                        first = history.loss[0] if history.loss else logs["loss"]
                        over = first > divergence_factor * log_k
                        reference = log_k if over else max(first, log_k)
                    if logs["loss"] > divergence_factor * reference:
                        exploding += 1
                        if exploding >= divergence_patience:
                            raise roll_back(logs["loss"], epoch, good, reference)
                    else:
                        exploding = 0
                history.loss.append(logs["loss"])
                history.accuracy.append(logs["accuracy"])
                if val is not None:
                    got = None if compiled is None else compiled.evaluate(*val)
                    vl, va = evaluate(model, loss, val[0], val[1], val[2]) if got is None else got
                    logs["val_loss"] = vl
                    logs["val_accuracy"] = va
                    history.val_loss.append(vl)
                    history.val_accuracy.append(va)
                state.logs = logs
                for cb in callbacks:
                    cb.on_epoch_end(state)
                guard.check()
                if state.stop_training:
                    history.stopped_early = epoch + 1 < epochs
                    break
            if exploding:  # training ended during an explosion: never return its weights
                # An epoch counts as exploding only once good and reference are set.
                raise roll_back(
                    history.loss[-1], state.epoch, cast(_Boundary, good), cast(float, reference)
                )
            for cb in callbacks:
                cb.on_train_end(state)
    except KeyboardInterrupt:
        history.interrupted = True
        raise
    return history
