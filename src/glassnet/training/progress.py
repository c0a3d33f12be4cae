"""A training callback for people watching: the progress bar.

It works through the :class:`glassnet.TrainState` that every training loop
hands its callbacks (``state.model``, ``state.epoch``, ``state.logs``), so
it serves :func:`glassnet.train` and the estimator alike. The training loop
itself never prints or draws; callbacks such as this one do it for it.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

import numpy as np

from ..core.checks import is_int
from .state import Callback, TrainState

__all__ = ["ProgressBar"]


class ProgressBar(Callback):
    """A one-line terminal progress bar: epoch, loss and validation score.

    Quiet when ``stream`` is not a terminal (a pipe, a file, a CI log), so
    logs stay clean; redrawn at most every ``min_interval`` seconds, so a
    fast loop (thousands of epochs a second) is not slowed by printing.

    Parameters
    ----------
    total : int, optional
        Number of epochs planned; the bar shows a fraction when given, and a
        running count otherwise.
    stream : text stream, optional
        Where to draw; ``sys.stderr`` when None (read when training starts).
    enabled : bool, optional
        Force the bar on (True) or off (False); by default it is on exactly
        when ``stream.isatty()`` is true.
    width : int, default=24
        Characters in the bar itself.
    min_interval : float, default=0.1
        Seconds between redraws; the last epoch is always drawn.

    Examples
    --------
    >>> import glassnet as gn
    >>> bar = gn.ProgressBar(total=500)
    >>> # gn.train(model, loss, opt, X, y, epochs=500, callbacks=[bar])
    """

    def __init__(
        self,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 24,
        min_interval: float = 0.1,
    ) -> None:
        if total is not None and (not is_int(total) or total < 0):
            raise ValueError(
                f"total must be a non-negative number of epochs or None; got {total!r}."
            )
        if not isinstance(width, (int, np.integer)) or width < 1:
            raise ValueError(f"width must be a positive number of characters; got {width!r}.")
        if not (min_interval >= 0 and math.isfinite(min_interval)):
            raise ValueError(f"min_interval must be a finite number >= 0; got {min_interval!r}.")
        self.total = None if total is None else int(total)
        self.stream = stream
        self.enabled = enabled
        self.width = int(width)
        self.min_interval = float(min_interval)
        self._out: TextIO | None = None
        self._start = 0.0
        self._last_draw = -math.inf
        self._last_len = 0
        self._drawn_epoch = -1
        self._pending: TrainState | None = None

    def is_active(self) -> bool:
        """Whether the bar would draw if training started now (a terminal, or forced on)."""
        return self._active_stream() is not None

    def _active_stream(self) -> TextIO | None:
        stream = self.stream if self.stream is not None else sys.stderr
        if self.enabled is None:
            isatty = getattr(stream, "isatty", None)
            on = bool(isatty()) if callable(isatty) else False
        else:
            on = bool(self.enabled)
        return stream if on else None

    def on_train_begin(self, state: TrainState) -> None:
        """Decide whether to draw, and start the clock."""
        self._out = self._active_stream()
        self._start = time.monotonic()
        self._last_draw = -math.inf
        self._last_len = 0
        self._drawn_epoch = -1
        self._pending = None

    def render(self, state: TrainState) -> str:
        """The bar's text for the epoch that just ended (no carriage return).

        Parameters
        ----------
        state : TrainState
            With ``epoch`` and the epoch's ``logs``.

        Returns
        -------
        str
            Such as ``epoch  120/500 [#####-----]  24% loss 0.2143 val_acc 0.9533 1.2s``.
        """
        done = state.epoch + 1
        if self.total:
            frac = min(done / self.total, 1.0)
            filled = round(frac * self.width)
            digits = len(str(self.total))
            head = (
                f"epoch {done:>{digits}}/{self.total} "
                f"[{'#' * filled}{'-' * (self.width - filled)}] {frac:4.0%}"
            )
        else:
            head = f"epoch {done}"
        parts = [head]
        for key, label in (
            ("loss", "loss"),
            ("val_loss", "val_loss"),
            ("val_accuracy", "val_acc"),
        ):
            if key in state.logs:
                parts.append(f"{label} {state.logs[key]:.4f}")
        parts.append(f"{time.monotonic() - self._start:.1f}s")
        return " ".join(parts)

    def _draw(self, state: TrainState) -> None:
        if self._out is None:
            return
        text = self.render(state)
        pad = " " * max(self._last_len - len(text), 0)  # wipe a longer previous line
        self._out.write("\r" + text + pad)
        self._out.flush()
        self._last_len = len(text)
        self._last_draw = time.monotonic()
        self._drawn_epoch = state.epoch
        self._pending = None

    def on_epoch_end(self, state: TrainState) -> None:
        """Redraw, unless the last redraw was under ``min_interval`` ago."""
        if self._out is None:
            return
        last = self.total is not None and state.epoch + 1 >= self.total
        if last or time.monotonic() - self._last_draw >= self.min_interval:
            self._draw(state)
        else:
            self._pending = state  # drawn at the end if nothing newer comes

    def on_train_end(self, state: TrainState) -> None:
        """Draw the final state and end the line."""
        self.close(state)

    def close(self, state: TrainState | None = None) -> None:
        """End the bar's line; call after an interrupted run so messages start clean.

        Parameters
        ----------
        state : TrainState, optional
            Draw this state first when the bar has not shown it yet.
        """
        if self._out is None:
            return
        if state is not None and "loss" in state.logs:
            if state.epoch != self._drawn_epoch:
                self._draw(state)
        elif self._pending is not None:
            self._draw(self._pending)
        if self._last_len:
            self._out.write("\n")
            self._out.flush()
        self._out = None
