"""SIGTERM and SIGHUP turned into the training loop's Ctrl-C path."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._common import StoppedBySignal

__all__ = ["StopSignals"]


class StopSignals:
    """SIGTERM and SIGHUP stop training the way Ctrl-C does, so ``--save`` still saves.

    The handler passes the signal to the current SIGINT handler: inside the
    training loop that is its guard, which holds the stop back until the step
    ends (the estimator keeps the last completed step); elsewhere it raises
    KeyboardInterrupt at once. A signal the caller ignores (``nohup``) stays
    ignored. Only the main thread can install handlers.
    """

    NAMES = ("SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def name(self) -> str:
        """The stopping signal's name, such as ``SIGTERM``; empty when none came."""
        return "" if self.signum is None else signal.Signals(self.signum).name

    def _handler(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            return  # already stopping: let the save finish
        self.signum = signum
        on_int = signal.getsignal(signal.SIGINT)
        if callable(on_int) and on_int is not signal.default_int_handler:
            on_int(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Install the handlers for the block; a stop by signal leaves as StoppedBySignal."""
        old: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for name in self.NAMES:
                signum = getattr(signal, name, None)
                if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:
                    old[signum] = signal.signal(signum, self._handler)
        try:
            yield
        except KeyboardInterrupt:
            if self.signum is None:
                raise
            raise StoppedBySignal(self.signum) from None
        finally:
            for signum, handler in old.items():
                signal.signal(signum, handler)
