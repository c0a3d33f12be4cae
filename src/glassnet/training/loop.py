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
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.checks import check_batch_size, is_int
from ..core.data import _check_sample_weight, _epoch_order, check_features, minibatches
from ..core.init import as_generator
from ..core.optim import Optimizer
from ..exceptions import TrainingDivergedError
from ..fast.paths import _CompiledPath, _FastPath, _FlatView
from .guard import InterruptGuard, not_finite
from .state import Callback, History, Loss, Model, TrainState

__all__ = ["evaluate", "train"]

Array = NDArray[np.floating]


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

    guard = InterruptGuard()
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
                            raise not_finite(epoch, b0 + done, value, optimizer.lr, last_finite)
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
                            raise not_finite(epoch, b, value, optimizer.lr, last_finite)
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
