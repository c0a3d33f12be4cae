"""The training loop's guards: Ctrl-C held back during updates, and divergence errors."""

from __future__ import annotations

import math
import signal
import threading

from ..exceptions import TrainingDivergedError

__all__ = ["InterruptGuard", "not_finite"]


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
