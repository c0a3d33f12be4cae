"""Will the network fit in memory? Estimated before a single weight is allocated.

A hidden layer of 10⁹ units on 2 features is 5·10⁹ parameters: NumPy would
start allocating tens of GiB for the weights alone, then hundreds for the
activations, and the operating system would kill the process (no exception,
nothing saved). :func:`check_memory` adds up what training holds at once and
refuses, with the figures, a network that needs more than the memory
available.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

__all__ = ["available_bytes", "check_memory", "training_bytes"]

_GIB = float(2**30)


def _parameter_copies(solver: str, momentum: float, early_stopping: bool) -> float:
    """Parameter-sized arrays training holds at once, and L-BFGS's float64 history."""
    # The network's parameters and gradients, the published coefs_/intercepts_,
    # and the copy of the last completed epoch that a failed fit keeps.
    copies = 4.0
    if early_stopping:
        copies += 1  # the best weights
    if solver in ("adam", "adamw"):
        copies += 2  # first and second moments
    elif solver == "sgd" and momentum > 0:
        copies += 1  # the velocity
    return copies


def training_bytes(
    sizes: Sequence[int],
    itemsize: int,
    rows: int,
    *,
    solver: str,
    momentum: float = 0.0,
    early_stopping: bool = False,
) -> tuple[int, int, int]:
    """Bytes training needs at once: ``(total, parameters and their copies, activations)``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input and output included.
    itemsize : int
        Bytes per number of the computing dtype (4 or 8).
    rows : int
        Most samples one forward pass takes: the batch, the validation set,
        or every sample for "lbfgs" (full batch).
    solver : str
    momentum : float, default=0.0
        SGD's momentum (a velocity array when positive).
    early_stopping : bool, default=False
        Whether the best weights are kept.

    Returns
    -------
    total, params, activations : int
        An estimate, within a small factor: the exact figure depends on the
        route and the activation.
    """
    n_params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    params = _parameter_copies(solver, momentum, early_stopping) * n_params * itemsize
    if solver == "lbfgs":
        # SciPy's L-BFGS-B keeps 10 correction pairs and a few work vectors, in float64.
        params += (2 * 10 + 6) * n_params * 8
    # Each unit of each layer holds its pre-activation, activation and their
    # gradients for every row of the pass.
    activations = 4 * rows * sum(sizes[1:]) * itemsize
    return int(params + activations), int(params), int(activations)


def _cgroup_room() -> int | None:
    """Bytes left under this process's cgroup memory limit (containers), or None."""
    for limit_path, usage_path in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_path, encoding="ascii") as f:
                limit = f.read().strip()
            with open(usage_path, encoding="ascii") as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:  # "max" or a huge number: no limit
            return max(int(limit) - usage, 0)
    return None


def available_bytes() -> int | None:
    """Memory the process can still take, in bytes; None when it cannot be read.

    ``MemAvailable`` from ``/proc/meminfo`` (Linux), else free physical pages
    from ``os.sysconf``; the smaller of that and the room under a cgroup
    limit, when one is set.
    """
    found: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        found = None
    if found is None:
        try:
            found = int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):
            found = None
    room = _cgroup_room()
    if room is not None:
        found = room if found is None else min(found, room)
    return found


def check_memory(
    hidden_layer_sizes: object,
    sizes: Sequence[int],
    itemsize: int,
    rows: int,
    *,
    solver: str,
    momentum: float = 0.0,
    early_stopping: bool = False,
    available: int | None = None,
) -> None:
    """Raise ``ValueError`` when training needs more memory than is available.

    Parameters
    ----------
    hidden_layer_sizes : object
        As the user gave it, for the message.
    sizes, itemsize, rows, solver, momentum, early_stopping
        See :func:`training_bytes`.
    available : int, optional
        Bytes available; read with :func:`available_bytes` by default. When
        that cannot be read, nothing is checked.
    """
    total, params, activations = training_bytes(
        sizes, itemsize, rows, solver=solver, momentum=momentum, early_stopping=early_stopping
    )
    room = available_bytes() if available is None else available
    if room is None or total <= room:
        return
    n_params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    raise ValueError(
        f"hidden_layer_sizes={hidden_layer_sizes!r} needs about {total / _GIB:.1f} GiB of "
        f"memory to train ({n_params:.3g} parameters: {params / _GIB:.1f} GiB for them, "
        f"their gradients and the optimizer's state; {activations / _GIB:.1f} GiB for the "
        f"activations of {rows} rows at a time), but only about {room / _GIB:.1f} GiB is "
        "available. Use smaller hidden layers, a smaller batch_size, or dtype='float32'."
    )
