"""Atomic file writes: a reader sees the old file or the new one, whole, never a part.

The one primitive every module that writes a file uses (model files,
checkpoints, figures, animations, the CLI's predictions). Standard library
only, so it sits at the bottom of the import chain.

The recipe: a temporary file in the destination folder (a rename is atomic
only within one filesystem), write, flush, fsync, :func:`os.replace` over the
destination, then fsync the folder so the rename itself survives a power
cut. On any failure the temporary file is removed and the old file is left
whole.

Only regular files are replaced. A symbolic link is followed and its final
target written (atomically, in the target's folder; a dangling link creates
the file it names), so the link stays a link. A FIFO, a device or a socket is
written straight into, never replaced (saving to ``/dev/null`` as root keeps
``/dev/null``); a folder is refused with :class:`IsADirectoryError`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

__all__ = ["atomic_path", "atomic_write"]

_PREFIX = ".glassnet-"


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], object]) -> None:
    """Write a file so that readers see either the old file or the new one, whole.

    On Linux the temporary file is anonymous (``O_TMPFILE``) until it is
    complete, then linked into the folder: straight to ``path`` when nothing is
    there, else under a ``.glassnet-*.tmp`` name renamed over ``path`` at once.
    A writer killed with SIGKILL while writing leaves nothing behind (only a
    kill in the instant between that link and the rename can leave the named
    file). Elsewhere the temporary file is a ``.glassnet-*.tmp`` file beside
    ``path`` from the start, removed on any exception.

    Parameters
    ----------
    path : str or path-like
        Destination. A new file gets mode 0666 less the umask; a replaced
        file keeps its mode. A symbolic link is followed (its target is
        written, the link kept); a FIFO or a device is written straight
        into, never replaced.
    write : callable
        Called with a binary file object to write the content to; called once,
        except if the anonymous file cannot be given a name (no ``/proc``),
        when the named route calls it again.

    Raises
    ------
    IsADirectoryError
        If ``path`` is a folder.
    OSError
        If the file cannot be written; any previous file at ``path`` is intact.
    """
    path, special = _destination(path)
    if special:
        _write_in_place(path, write)
        return
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
        file keeps its mode. A symbolic link is followed (its target is
        written, the link kept). For a FIFO or a device the block gets that
        path itself (no temporary file, nothing renamed).
    suffix : str, optional
        Ending of the temporary name; by default ``path``'s extension, so
        writers that pick the format from the name still do.

    Yields
    ------
    str
        The temporary path to write to (it exists, empty).

    Raises
    ------
    IsADirectoryError
        If ``path`` is a folder.
    """
    path, special = _destination(path)
    if special:
        yield path
        return
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


def _destination(path: str | os.PathLike[str]) -> tuple[str, bool]:
    """The path to write and whether it is a special file (written in place).

    A symbolic link resolves to its final target, so the new file is made in
    the target's folder and the link is kept. Raises IsADirectoryError for a
    folder.
    """
    path = os.fspath(path)
    if os.path.islink(path):
        path = os.path.realpath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path, False
    except OSError:
        return path, False  # e.g. a link loop: the write itself reports it
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(
            errno.EISDIR,
            f"cannot write to {path!r}: it is a folder. Give a file name inside it "
            f"(for example {os.path.join(path, 'model.glassnet')!r})",
            path,
        )
    return path, not stat.S_ISREG(mode)


def _write_in_place(path: str, write: Callable[[IO[bytes]], object]) -> None:
    """Write into a FIFO or a device as it is: no temporary file, no rename."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "wb") as f:
        write(f)
        f.flush()
        with contextlib.suppress(OSError):
            os.fsync(f.fileno())  # a pipe or a terminal cannot be fsynced


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
    dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
            return _link_into_place(f"/proc/self/fd/{f.fileno()}", path, folder, dir_fd)
    finally:
        os.close(dir_fd)


def _link_into_place(source: str, path: str, folder: str, dir_fd: int) -> bool:
    """Name the finished anonymous file ``path``; False if it cannot be named.

    Python's ``os.link`` calls plain ``link()`` (which does not follow the
    ``/proc/self/fd`` magic link, so it fails with EXDEV) unless a folder
    descriptor is given: then it calls ``linkat(..., AT_SYMLINK_FOLLOW)``,
    which works for any user (unlike ``AT_EMPTY_PATH``, which needs
    CAP_DAC_READ_SEARCH on older kernels).
    """
    name = os.path.basename(path)
    try:
        os.link(source, name, dst_dir_fd=dir_fd, follow_symlinks=True)
        return True  # nothing was there: the file is in place, no rename needed
    except FileExistsError:
        pass
    except OSError:
        return False
    # link() cannot replace a file, rename can: link under a temporary name first.
    tmp = f"{_PREFIX}{os.getpid()}-{os.urandom(6).hex()}.tmp"
    try:
        os.link(source, tmp, dst_dir_fd=dir_fd, follow_symlinks=True)
    except OSError:
        return False
    try:
        os.replace(os.path.join(folder, tmp), path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, tmp))
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
