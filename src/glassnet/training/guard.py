"""The training loop's guards: Ctrl-C held back during updates, and divergence errors."""

from __future__ import annotations

import math
import signal
import threading
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ..core.optim import Optimizer
from ..exceptions import TrainingDivergedError
from .state import History

__all__ = ["InterruptGuard", "Runaway", "not_finite"]

Array = NDArray[np.floating]


class InterruptGuard:
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

    def __enter__(self) -> InterruptGuard:
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


def not_finite(
    epoch: int, batch: int, value: float, lr: float, last_finite: float | None
) -> TrainingDivergedError:
    """The guard's error for a step whose loss or gradient norm is not finite.

    Parameters
    ----------
    epoch, batch : int
        Where the step was (0-based; the message counts from 1).
    value : float
        The step's loss (NaN or inf when the loss itself is not finite).
    lr : float
        The optimizer's learning rate.
    last_finite : float or None
        The last finite batch loss of the run, if any.

    Returns
    -------
    TrainingDivergedError
        To be raised by the caller, after it has left the model untouched.
    """
    what = "loss" if not math.isfinite(value) else "gradient norm"
    before = "none yet" if last_finite is None else f"{last_finite:.6g}"
    return TrainingDivergedError(
        f"training diverged at epoch {epoch + 1}, batch {batch + 1}: the {what} "
        f"is not finite (loss={value!r}) with learning rate {lr:g}; last finite loss: "
        f"{before}. The update was not applied: the model holds the last good step. "
        "Lower the learning rate, scale the features (StandardScaler) or set max_grad_norm."
    )


class Runaway:
    """The runaway-loss heuristic: roll a finite explosion back to the last good epoch.

    An epoch counts as *exploding* when its mean training loss exceeds
    ``factor × reference``; the reference is ``log K`` (a uniform guess over K
    classes) or the run's first epoch loss, whichever is larger, unless that
    first loss is itself over ``factor × log K`` (a fit that starts out
    exploding): then ``log K``. After ``patience`` exploding epochs in a row,
    or when training ends during an explosion, the parameters, the optimizer
    state and the history are restored to the end of the last good epoch.

    Parameters
    ----------
    factor : float or None
        None turns the heuristic off.
    patience : int
        Exploding epochs in a row that end the run.
    params : dict of str to ndarray
        The live parameters to snapshot and restore.
    optimizer : Optimizer
        Its state is snapshot and restored too.
    history : History
        Its curves are cut back; ``history.loss[0]``, when present, is the
        first epoch of a resumed run.
    """

    def __init__(
        self,
        factor: float | None,
        patience: int,
        params: dict[str, Array],
        optimizer: Optimizer,
        history: History,
    ) -> None:
        self.factor = factor
        self.patience = patience
        self.params = params
        self.optimizer = optimizer
        self.history = history
        self.exploding = 0  # consecutive exploding epochs
        self.reference: float | None = None
        # The last good epoch boundary: parameters, optimizer state, epoch (of this
        # call), steps so far and the length of each history curve.
        self.good: tuple[dict[str, Array], dict[str, Any], int, int, list[int]] | None = None

    def _curves(self) -> tuple[list[float], ...]:
        h = self.history
        return (h.loss, h.accuracy, h.val_loss, h.val_accuracy)

    def begin_epoch(self, epoch: int) -> None:
        """Remember this epoch boundary while the run is healthy.

        Parameters
        ----------
        epoch : int
            The epoch about to start (0-based, in this call).
        """
        if self.factor is not None and self.exploding == 0:
            self.good = None  # freed first: never two snapshots alive at once
            self.good = (
                {k: v.copy() for k, v in self.params.items()},
                self.optimizer.state_dict(),
                epoch,
                self.history.n_steps,
                [len(c) for c in self._curves()],
            )

    def end_epoch(self, loss: float, epoch: int, n_classes: int) -> None:
        """Count the epoch as exploding or not; roll back and raise after ``patience``.

        Parameters
        ----------
        loss : float
            The epoch's mean training loss (before it is recorded).
        epoch : int
            The epoch that ended (0-based, in this call).
        n_classes : int
            K, for the uniform-guess loss ``log K``.
        """
        if self.factor is None or self.good is None:
            return
        if self.reference is None:
            log_k = math.log(max(n_classes, 2))
            first = self.history.loss[0] if self.history.loss else loss
            over = first > self.factor * log_k
            self.reference = log_k if over else max(first, log_k)
        if loss > self.factor * self.reference:
            self.exploding += 1
            if self.exploding >= self.patience:
                raise self.roll_back(loss, epoch)
        else:
            self.exploding = 0

    def finish(self, epoch: int) -> None:
        """At the end of training: never return the weights of an explosion.

        Parameters
        ----------
        epoch : int
            The last epoch run (0-based, in this call).
        """
        if self.exploding:
            raise self.roll_back(self.history.loss[-1], epoch)

    def roll_back(self, value: float, epoch: int) -> TrainingDivergedError:
        """Restore the last good epoch boundary; return the error describing the runaway.

        Parameters
        ----------
        value : float
            The loss that ran away.
        epoch : int
            Where (0-based, in this call).
        """
        # An epoch counts as exploding only once good and reference are set.
        saved, opt_state, kept, n_steps, lengths = cast(Any, self.good)
        for k, v in self.params.items():
            v[...] = saved[k]
        self.optimizer.load_state_dict(opt_state)
        for curve, length in zip(self._curves(), lengths, strict=True):
            del curve[length:]
        self.history.n_steps = n_steps
        where = f"the end of epoch {kept}" if kept else "their initial state, before epoch 1"
        err = TrainingDivergedError(
            f"training diverged: the loss ran away to {value:.3g} at epoch {epoch + 1}, over "
            f"{self.factor:g} times its reference scale {self.reference:.3g} for "
            f"{self.exploding} epoch(s) in a row, with learning rate {self.optimizer.lr:g}. The "
            f"model and optimizer were rolled back to {where}. Lower the learning rate, scale "
            "the features (StandardScaler) or set max_grad_norm."
        )
        err.restored_epoch = kept
        return err
