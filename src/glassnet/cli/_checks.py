"""Up-front checks of the commands' outputs and sizes, so a bad flag fails before any work.

Every check raises :class:`UserError` (one line, exit status 2) naming the flag,
what is allowed and what came.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence

from ._common import MAX_HIDDEN_LAYERS, MAX_N_SAMPLES, UserError

__all__ = [
    "MAX_EPOCHS",
    "MAX_FRAMES",
    "MAX_HIDDEN_LAYERS",
    "MAX_N_SAMPLES",
    "available_memory",
    "check_distinct",
    "check_memory",
    "check_output",
    "network_parameters",
    "picture_formats",
    "same_file",
]

# A million epochs of the smallest dataset already takes minutes; more is a typo.
MAX_EPOCHS = 1_000_000
# Frames the animation may hold: each is an 80 × 80 grid of probabilities kept in
# memory until the GIF is written (1000 frames at 8 per second is two minutes).
MAX_FRAMES = 1000


def picture_formats() -> list[str]:
    """The file extensions matplotlib can save a figure as, without drawing anything."""
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


def check_output(path: str, flag: str, *, kind: str = "file", what: str | None = None) -> None:
    """Refuse an output path that cannot be written, before any work is done.

    Parameters
    ----------
    path : str
        The path the flag gave.
    flag : str
        The flag, for the message (``--save``).
    kind : {"file", "picture", "animation"}
        What is written there: a picture must have an extension matplotlib can
        save, an animation must be a GIF (``.gif`` or no extension).
    what : str, optional
        What the file is (``picture``), named before the flag in the message.

    Raises
    ------
    UserError
        For an empty path, an unsupported format, a folder that does not exist or
        cannot be written, or a path that is a folder.
    """
    target = f"the {what} {flag}" if what else flag
    if not path.strip():
        raise UserError(f"{flag} needs a file name; got an empty string {path!r}.")
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if kind == "picture" and ext:
        formats = picture_formats()
        if ext not in formats:
            raise UserError(
                f"{flag} {path!r}: matplotlib cannot save a picture as {ext!r}; "
                f"use one of {', '.join(formats)}."
            )
    if kind == "animation" and ext not in ("", "gif"):
        raise UserError(
            f"{flag} {path!r}: the animation is written as a GIF, not {ext!r}; "
            "give a name ending in .gif."
        )
    if os.path.isdir(path):
        raise UserError(f"{flag} {path!r} is a folder; give a file name inside it.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"cannot write {target} {path!r}: the folder {folder!r} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(
            f"cannot write {target} {path!r}: no permission to write in the folder {folder!r}."
        )


def same_file(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name one file (by inode when both exist, else by path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_distinct(paths: Iterable[tuple[str | None, str]]) -> None:
    """Refuse two flags that name the same file: the second write would destroy the first.

    Parameters
    ----------
    paths : iterable of (path or None, flag)
        Outputs and inputs; None and empty paths are skipped.
    """
    given = [(path, flag) for path, flag in paths if path]
    for i, (a, flag_a) in enumerate(given):
        for b, flag_b in given[i + 1 :]:
            if same_file(a, b):
                raise UserError(
                    f"{flag_b} is the {flag_a} file ({b!r}); writing it would destroy the "
                    f"other. Give {flag_b} another name."
                )


def network_parameters(widths: Sequence[int]) -> int:
    """Weights and biases of a dense network with these layer widths (inputs first)."""
    return sum((a + 1) * b for a, b in itertools.pairwise(widths))


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux's MemAvailable); None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def check_memory(
    n_rows: int, widths: Sequence[int], itemsize: int, *, frames: int = 0, what: str = "training"
) -> None:
    """Refuse a run whose estimated memory exceeds what the machine has available.

    The estimate counts the data (features and labels, a few copies: generated,
    split, converted), the parameters (weights, gradients, two Adam moments and
    the last good step kept by the divergence guard) and one full-batch forward
    and backward pass (pre-activations, activations and their gradients for
    every row), plus the animation's frames. It is a lower bound: a run it
    refuses cannot fit.

    Parameters
    ----------
    n_rows : int
        Rows of the dataset (every one goes through the network at once).
    widths : sequence of int
        Layer widths, inputs first, outputs last.
    itemsize : int
        Bytes per float of the network (8 for float64, 4 for float32).
    frames : int, default=0
        Animation frames to hold (each an 80 × 80 grid per class).
    what : str, default="training"
        What the memory is for, in the message.
    """
    params = network_parameters(widths)
    parts = {
        "data": n_rows * (2 * 8 + 8) * 3,
        "parameters": params * itemsize * 5,
        "activations": n_rows * sum(widths) * itemsize * 4,
        "animation": frames * 80 * 80 * widths[-1] * 8,
    }
    need = sum(parts.values())
    have = available_memory()
    if have is None or need <= have:
        return
    detail = ", ".join(f"{k} {_gib(v)}" for k, v in parts.items() if v)
    raise UserError(
        f"{what} would need at least {_gib(need)} of memory ({detail}; {params:,} parameters "
        f"in the network {' -> '.join(map(str, widths))}) but {_gib(have)} is available. "
        "Use fewer --n-samples, narrower or fewer --hidden layers, or --dtype float32."
    )
