"""One training run's epochs over the chosen route: steps, guards, callbacks, validation."""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ..core.data import epoch_order, minibatches
from ..fast.compiled import CompiledStep
from ..fast.routes import Route
from .guard import InterruptGuard, Runaway, not_finite
from .inputs import RunData
from .state import Callback, TrainState
from .step import count_correct, evaluate, loss_and_gradient

__all__ = ["Run"]

Array = NDArray[np.floating]

# Batches per call of the compiled step: a Ctrl-C is answered within this many steps.
_CHUNK = 64


class Run:
    """One call of :func:`glassnet.train`: the epochs, over the chosen route's steps.

    Parameters
    ----------
    state : TrainState
        What callbacks see; holds the model, loss, optimizer, history and rng.
    data : RunData
        The checked inputs.
    route : Route
        The chosen route (:func:`glassnet.fast.routes.choose_route`).
    callbacks : list of Callback
    batch_size : int or None
    shuffle : bool
    l2 : float
    max_grad_norm : float or None
    """

    def __init__(
        self,
        state: TrainState,
        data: RunData,
        route: Route,
        callbacks: list[Callback],
        batch_size: int | None,
        shuffle: bool,
        l2: float,
        max_grad_norm: float | None,
    ) -> None:
        self.state = state
        self.data = data
        self.route = route
        self.callbacks = callbacks
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.l2 = l2
        self.max_grad_norm = max_grad_norm
        self.params = state.model.parameters()
        self.grads = state.model.gradients()
        self.guard = InterruptGuard()
        self.last_finite: float | None = None
        self.n_classes = 2
        # Callbacks that look at every batch get the compiled step one batch per call.
        self.per_batch = any(type(cb).on_batch_end is not Callback.on_batch_end for cb in callbacks)

    def epochs(self, epochs: int, runaway: Runaway) -> None:
        """Run the epochs, with callbacks, guards and validation.

        Parameters
        ----------
        epochs : int
            Passes over the data.
        runaway : Runaway
            The runaway-loss guard, told of every epoch boundary.
        """
        state, history = self.state, self.state.history
        with self.guard:
            for cb in self.callbacks:
                cb.on_train_begin(state)
            for epoch in range(epochs):
                state.epoch = epoch
                for cb in self.callbacks:
                    cb.on_epoch_begin(state)
                runaway.begin_epoch(epoch)
                if self.route.compiled is not None:
                    loss_sum, correct, seen = self._compiled_epoch(epoch)
                else:
                    loss_sum, correct, seen = self._epoch(epoch)
                logs = {"loss": loss_sum / seen, "accuracy": correct / seen}
                runaway.end_epoch(logs["loss"], epoch, self.n_classes)
                history.loss.append(logs["loss"])
                history.accuracy.append(logs["accuracy"])
                if self.data.val is not None:
                    logs["val_loss"], logs["val_accuracy"] = self._validate(self.data.val)
                    history.val_loss.append(logs["val_loss"])
                    history.val_accuracy.append(logs["val_accuracy"])
                state.logs = logs
                for cb in self.callbacks:
                    cb.on_epoch_end(state)
                self.guard.check()
                if state.stop_training:
                    history.stopped_early = epoch + 1 < epochs
                    break
            runaway.finish(state.epoch)
            for cb in self.callbacks:
                cb.on_train_end(state)

    def _validate(self, val: tuple[Array, NDArray[Any], Array | None]) -> tuple[float, float]:
        got = None if self.route.compiled is None else self.route.compiled.evaluate(*val)
        if got is None:
            got = evaluate(self.state.model, self.state.loss, val[0], val[1], val[2])
        return got

    def _epoch(self, epoch: int) -> tuple[float, int, int]:
        """One epoch of single steps (readable or fast route)."""
        state, data = self.state, self.data
        n = data.X.shape[0]
        loss_sum, correct, seen = 0.0, 0, 0
        for b, idx in enumerate(
            minibatches(n, self.batch_size, shuffle=self.shuffle, rng=state.rng)
        ):
            state.batch = b
            value, n_correct, m = self._step(epoch, b, idx)
            state.history.n_steps += 1
            loss_sum += value * m
            correct += n_correct
            seen += m
            state.logs = {"batch_loss": value}
            for cb in self.callbacks:
                cb.on_batch_end(state)
            self.guard.check()  # a Ctrl-C held back during the step is raised here
        return loss_sum, correct, seen

    def _step(
        self, epoch: int, batch: int, idx: NDArray[np.intp] | slice
    ) -> tuple[float, int, int]:
        """Forward, backward, l2, the guard, clipping and the update of one batch."""
        route, data, state = self.route, self.data, self.state
        # Overflow is not warned about here: the guard below turns any non-finite
        # loss or gradient into TrainingDivergedError.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if route.fast is not None and route.flat is not None:
                value, n_correct, m = route.fast.step(idx)
                self.n_classes = route.fast.n_classes
                if self.l2 and m > 0:
                    value += route.flat.add_l2(self.l2 / m)
                sq = float(np.dot(route.flat.grads, route.flat.grads))
            else:
                yb = data.y[idx]
                wb = None if data.w is None else data.w[idx]
                done = loss_and_gradient(state.model, state.loss, data.X[idx], yb, wb, self.l2)
                m = len(yb)
                if done is None:
                    value, n_correct = math.nan, 0
                else:
                    value, logits = done
                    n_correct = count_correct(state.loss, logits, yb)
                    self.n_classes = int(logits.shape[1])
                sq = float(sum(np.vdot(g, g) for g in self.grads.values()))
        if not (math.isfinite(value) and math.isfinite(sq)):
            raise not_finite(epoch, batch, value, state.optimizer.lr, self.last_finite)
        self.last_finite = value
        if self.max_grad_norm is not None and math.sqrt(sq) > self.max_grad_norm:
            scale = self.max_grad_norm / math.sqrt(sq)
            for g in self.grads.values():
                g *= scale
        if route.flat is not None:
            route.flat.step(state.optimizer)
        else:
            state.optimizer.step(self.params, self.grads)
        return value, n_correct, m

    def _compiled_epoch(self, epoch: int) -> tuple[float, int, int]:
        """One epoch on the compiled step, many batches a call."""
        state, compiled = self.state, cast("CompiledStep", self.route.compiled)
        n = self.data.X.shape[0]
        order, size = epoch_order(n, self.batch_size, shuffle=self.shuffle, rng=state.rng)
        n_batches = -(-n // size) if size > 0 else 0
        chunk = 1 if self.per_batch else _CHUNK
        loss_sum, correct, seen = 0.0, 0, 0
        for b0 in range(0, n_batches, chunk):
            b1 = min(b0 + chunk, n_batches)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                done, stats = compiled.run(order, size, b0, b1)
            self.n_classes = compiled.fast.n_classes
            state.history.n_steps += done
            for i in range(done):
                m = min(size, n - (b0 + i) * size)
                loss_sum += stats[i, 0] * m
                correct += int(stats[i, 1])
                seen += m
            if done:
                self.last_finite = float(stats[done - 1, 0])
            if done < b1 - b0:
                value = float(stats[done, 0])
                raise not_finite(epoch, b0 + done, value, state.optimizer.lr, self.last_finite)
            state.batch = b1 - 1
            state.logs = {"batch_loss": float(stats[done - 1, 0])}
            if self.per_batch:
                for cb in self.callbacks:
                    cb.on_batch_end(state)
            self.guard.check()  # a Ctrl-C held back during the steps is raised here
        return loss_sum, correct, seen
