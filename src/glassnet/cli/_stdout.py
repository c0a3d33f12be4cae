"""Standard output that records a failed write instead of raising mid-command.

A full disk (``> /dev/full``), a reader that stopped (``| head``) or a closed
descriptor (``>&-``) must not cost a finished training run its saved files, nor
show a traceback: :func:`glassnet.cli.main` puts a :class:`GuardedStdout` in
``sys.stdout``, lets the command finish, then reports the first failure in one
line with exit status 2. ``predict``, whose output is the product, checks after
every chunk and stops at once.
"""

from __future__ import annotations

import errno
import os
from typing import Any, TextIO

__all__ = ["GuardedStdout", "StdoutError", "silence_stdout"]


class StdoutError(OSError):
    """Writing to standard output failed; ``strerror`` says why."""


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so Python's exit-time flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


class GuardedStdout:
    """A text stream around ``sys.stdout`` (None when closed) that keeps its first failure.

    Parameters
    ----------
    stream : text stream or None
        The real standard output; None when the descriptor was closed at start-up.

    Attributes
    ----------
    error : StdoutError or None
        The first failure; later writes are dropped.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.error: StdoutError | None = None

    def _fail(self, exc: Exception | None) -> None:
        if exc is None or isinstance(exc, ValueError):  # ValueError: a closed file object
            self.error = StdoutError(errno.EBADF, "it is closed")
        else:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.error = StdoutError(getattr(exc, "errno", None) or errno.EIO, reason)
        silence_stdout()

    def write(self, text: str) -> int:
        """Write ``text``, or record why it could not be; always report it as written."""
        if self.error is None:
            if self.stream is None:
                self._fail(None)
            else:
                try:
                    self.stream.write(text)
                except (OSError, ValueError) as exc:
                    self._fail(exc)
        return len(text)

    def flush(self) -> None:
        """Flush the stream, or record why it could not be."""
        if self.error is None and self.stream is not None:
            try:
                self.stream.flush()
            except (OSError, ValueError) as exc:
                self._fail(exc)

    def raise_if_failed(self) -> None:
        """Raise the recorded :class:`StdoutError`, if a write or flush failed."""
        if self.error is not None:
            raise self.error

    def isatty(self) -> bool:
        """Whether the real stream is a terminal (False when closed or failed)."""
        try:
            return bool(self.stream is not None and self.error is None and self.stream.isatty())
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        # encoding, errors, buffer, fileno, ...: the real stream's.
        if self.stream is None:
            raise AttributeError(name)
        return getattr(self.stream, name)
