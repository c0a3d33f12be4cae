"""Optional compiled kernels (numba): the gateway that decides whether they run.

Two kinds live in :mod:`glassnet._jitted`, which this module imports lazily:

* **optimizer updates**: SGD, Adam and AdamW over the flat parameter vector in
  one compiled pass instead of a dozen NumPy passes, with the very same
  arithmetic, in the same order and precision, as the optimizers'
  ``_step_flat`` (their readable rules are in :mod:`glassnet.optim`). Used from
  ``_step_flat`` for float32/float64 vectors of at least :data:`MIN_SIZE`
  parameters;
* **the training step** (``run_batches``): forward, fused loss, backward and
  update for ``Dense → relu … → Dense`` networks, many batches per call. Which
  runs take it is decided by :class:`glassnet._fastpath._CompiledPath`. On
  several cores it splits each minibatch over numba's threads
  (:func:`parallel_threads`, :func:`sharding`).

Neither changes anything but speed, and both are skipped when numba does not
import or the environment variable ``GLASSNET_NO_NUMBA`` is set to anything but
``""`` or ``"0"``. ``import glassnet`` never imports numba; the first large run
does. Compiled code is cached on disk (``cache=True``), so later processes
only load it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import types
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["MIN_SIZE", "available", "kernels_for"]

#: Smallest flat vector (number of parameters) that is updated by the compiled kernel.
#: Measured (benchmarks/RESULTS.md, "Compiled optimizer kernel"): a fresh process pays
#: ~0.2-0.4 s to import numba and load the cached kernel, which a network of this size
#: wins back within a few hundred steps; the moons network (162) and W2's (20,490) never do
#: in a typical run.
MIN_SIZE = 50_000

# The codes the training-step kernel (glassnet._jitted.run_batches) takes for the hidden
# activations and the optimizer; glassnet._fastpath maps layer and optimizer types to them.
# tanh and logistic are left to NumPy: its SIMD exp and tanh beat the scalar libm
# calls of a compiled loop (W1, 2 → 32 tanh → 2: 355 µs an epoch here against 182).
IDENTITY, RELU, LEAKY_RELU = 0, 1, 2
SGD, SGD_MOMENTUM, SGD_NESTEROV, ADAM, ADAMW = 0, 1, 2, 3, 4

#: Set this environment variable (to anything but "" or "0") to force the NumPy path.
ENV_OFF = "GLASSNET_NO_NUMBA"

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# None: not tried yet; False: numba is missing or unusable; else the compiled kernels.
_loaded: Any = None
# The same for the training step, which also needs numba's threading layer.
_step: Any = None
# True in a child forked from a process that had started numba's threads (by glassnet
# or by anyone) on GNU OpenMP: OpenMP cannot run a parallel loop there, numba ends the
# process. (TBB is safe across fork; the workqueue never gets a split step.)
_forked_after_threads = False


def _after_fork_in_child() -> None:
    global _forked_after_threads
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is None or not getattr(parallel, "_is_initialized", True):
        return
    if getattr(parallel, "_threading_layer", None) != "tbb":
        _forked_after_threads = True


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _off() -> bool:
    return os.environ.get(ENV_OFF, "") not in ("", "0")


def _load() -> Any:
    """The module of compiled kernels (:mod:`glassnet._jitted`), or None without numba.

    Enough for the optimizer updates; the training step asks :func:`_load_step`.
    """
    global _loaded
    if _loaded is None:
        try:
            from . import jitted as _jitted

            _loaded = _jitted
        except ImportError:  # numba missing, or built for another NumPy
            _loaded = False
    return _loaded or None


def _outside_glassnet() -> int:
    """``stacklevel`` for a warning issued here that points at the first caller outside glassnet."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the package
    frame: types.FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame, level = frame.f_back, level + 1
    return level - 1  # counted from the function that called this one


def _load_step() -> Any:
    """The compiled kernels for the training step, or None where it cannot run.

    The step's kernels have parallel loops, so it starts numba's threading layer
    (and with it, on GNU OpenMP, the rule that a forked child cannot run
    parallel loops; the optimizer updates alone never start it). None, with a
    warning once, when the layer cannot start: ``NUMBA_THREADING_LAYER`` names
    one that is not installed, say.
    """
    global _step
    if _step is None:
        kernels = _load()
        if kernels is None:
            _step = False
            return None
        import numba

        # numba's np.dot calls SciPy's BLAS, loaded on first use: load it now, so
        # that sharding()'s BLAS controller, made later, sees it.
        import scipy.linalg.cython_blas  # noqa: F401

        try:
            numba.get_num_threads()  # starts the threading layer
        except (ValueError, RuntimeError) as exc:
            warnings.warn(
                f"numba's threading layer could not start ({str(exc).splitlines()[0]}); "
                "glassnet trains on the NumPy path. Unset NUMBA_THREADING_LAYER, or "
                "install the layer it names, to use the compiled step.",
                RuntimeWarning,
                stacklevel=_outside_glassnet() + 1,
            )
            _step = False
            return None
        _step = kernels
    return _step or None


_lock = threading.Lock()
_blas: Any = None  # threadpoolctl's controller of the BLAS libraries, made on first use

#: numba threading layers whose idle threads wait spinning, so that a parallel loop a
#: training step starts within microseconds. The workqueue's sleep: a sharded W2 step
#: ran slower on it than one thread.
_SPINNING_LAYERS = ("omp", "tbb")


def parallel_threads() -> int:
    """Threads the sharded training step may use here; 1 where it must not run.

    1 when numba's threading layer is the workqueue (slower than one thread
    for this), and in a child forked from a process that had started numba's
    threads on GNU OpenMP, which cannot run a parallel loop there (numba ends
    such a process). Not caught: a child that imports glassnet for the first
    time after such a fork. Never more than the CPUs this process may run on.
    """
    if _forked_after_threads:
        return 1
    import numba

    n = int(numba.get_num_threads())  # starts the threading layer if need be
    if numba.threading_layer() not in _SPINNING_LAYERS:
        return 1
    if hasattr(os, "sched_getaffinity"):
        n = min(n, len(os.sched_getaffinity(0)))
    return n


@contextlib.contextmanager
def sharding(threads: int) -> Iterator[None]:
    """Hold while the sharded training step runs: one at a time, the BLAS on one thread.

    Each shard's thread multiplies its own rows; a threaded BLAS under them would
    run more threads than cores. The limit (threadpoolctl) is process-wide while
    it holds, for NumPy's BLAS too, and is undone at the end of each call; the lock
    keeps two glassnet trainings in other Python threads from overlapping their
    limits (and their parallel loops). numba's loops use ``threads`` threads
    meanwhile (no idle ones woken beyond the shards). ``threads=0``: an unsplit
    run, nothing to hold.
    """
    if not threads:
        yield
        return
    import numba

    global _blas
    with _lock:
        if _blas is None:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController()
        before = numba.get_num_threads()
        most = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # set at import
        numba.set_num_threads(max(1, min(threads, most)))
        try:
            with _blas.limit(limits=1, user_api="blas"):
                yield
        finally:
            numba.set_num_threads(before)


def available() -> bool:
    """True when numba imports here (it is imported to find out) and is not switched off."""
    return not _off() and _load() is not None


def kernels_for(*arrays: np.ndarray) -> Any:
    """The compiled kernels if they should update these flat vectors, else None.

    Cheap below :data:`MIN_SIZE` (one comparison): numba is not imported then.
    """
    first = arrays[0]
    if first.size < MIN_SIZE or _off():
        return None
    dtype = first.dtype
    if dtype not in _FLOATS:
        return None
    for a in arrays:
        if a.dtype != dtype or a.ndim != 1 or a.shape != first.shape or not a.flags.c_contiguous:
            return None
    return _load()
