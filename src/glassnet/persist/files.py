"""Atomic file writes: a reader sees the old file or the new one, whole, never a part.

The one primitive every module that writes a file uses (model files,
checkpoints, figures, animations, the CLI's predictions). Standard library
only, so it sits at the bottom of the import chain.

The recipe: a temporary file in the destination folder (a rename is atomic
only within one filesystem), write, flush, fsync, :func:`os.replace` over the
destination, then fsync the folder so the rename itself survives a power
cut. On any failure the temporary file is removed and the old file is left
whole.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

__all__ = ["atomic_path", "atomic_write"]

_PREFIX = ".glassnet-"


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], object]) -> None:
    """Write a file so that readers see either the old file or the new one, whole.

    On Linux the temporary file is anonymous (``O_TMPFILE``) until it is
    complete, so even a writer killed with SIGKILL leaves nothing behind;
    elsewhere it is a ``.glassnet-*.tmp`` file beside ``path``, removed on any
    exception.

    Parameters
    ----------
    path : str or path-like
        Destination. A new file gets mode 0666 less the umask; a replaced
        file keeps its mode.
    write : callable
        Called with a binary file object to write the content to. It must be
        repeatable: if the anonymous route fails after writing, the named
        route calls it again.

    Raises
    ------
    OSError
        If the file cannot be written; any previous file at ``path`` is intact.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if _write_anonymous(path, folder, write):
        _fsync_folder(folder)
        return
    with atomic_path(path, suffix=".tmp") as tmp, open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[str]:
    """Yield a temporary path beside ``path``; when the block ends, move it into place.

    For writers that need a file name rather than a file object (matplotlib's
    ``savefig``, Pillow). When the block completes, the temporary file is
    fsynced, renamed over ``path`` and the folder fsynced; if the block
    raises, the temporary file is removed and any previous file at ``path``
    stays whole.

    Parameters
    ----------
    path : str or path-like
        Destination. A new file gets mode 0666 less the umask; a replaced
        file keeps its mode.
    suffix : str, optional
        Ending of the temporary name; by default ``path``'s extension, so
        writers that pick the format from the name still do.

    Yields
    ------
    str
        The temporary path to write to (it exists, empty).
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    ending = os.path.splitext(path)[1] if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=_PREFIX, suffix=ending, dir=folder)
    os.close(fd)
    try:
        # mkstemp makes the file private (0600); give it a normal file's mode.
        os.chmod(tmp, _new_file_mode(path))
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _write_anonymous(path: str, folder: str, write: Callable[[IO[bytes]], object]) -> bool:
    """``O_TMPFILE`` route; False when the platform or filesystem lacks it."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return False
    mode = _new_file_mode(path)
    try:
        fd = os.open(folder, flag | os.O_WRONLY, mode)
    except OSError:
        return False  # e.g. a filesystem without O_TMPFILE support
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), mode)
        write(f)
        f.flush()
        os.fsync(f.fileno())
        # Give the finished file a name, then rename it into place: link()
        # cannot replace an existing file, rename can.
        tmp = os.path.join(folder, f"{_PREFIX}{os.getpid()}-{os.urandom(6).hex()}.tmp")
        try:
            os.link(f"/proc/self/fd/{f.fileno()}", tmp)
        except OSError:
            return False
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def _new_file_mode(path: str) -> int:
    """Mode for a file written to ``path``: the old file's, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its rename is durable enough
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
