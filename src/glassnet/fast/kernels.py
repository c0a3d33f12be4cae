"""Optional compiled kernels (numba): the gateway that decides whether they run.

The kernels live in :mod:`glassnet.fast.jitted` (and the ``jitted_*`` modules it
gathers), which this module imports lazily. Each restates one readable formula
of :mod:`glassnet.core`, is named after it and is tested against it
(``tests/fast/test_kernel_agreement.py``). Two uses:

* **optimizer updates** (:func:`compiled_update`): SGD, Adam and AdamW over the
  flat parameter vector in one compiled pass instead of a dozen NumPy passes,
  the very same arithmetic, in the same order and precision, as their
  :meth:`~glassnet.Optimizer.update`. For float32/float64 vectors of at least
  :data:`MIN_SIZE` parameters, and only for an optimizer whose rule is exactly
  the one a kernel restates (:func:`kernel_code`);
* **the training step** (``run_batches``): forward, fused loss, backward and
  update for ``Dense → relu / tanh … → Dense`` networks, many batches per call. Which
  runs take it is decided by :class:`glassnet.fast.compiled.CompiledStep`. On
  several cores it splits each minibatch over numba's threads
  (:func:`parallel_threads`, :func:`sharding`).

Neither changes anything but speed, and both are skipped when numba does not
import or the environment variable ``GLASSNET_NO_NUMBA`` is set to anything but
``""`` or ``"0"``. ``import glassnet`` never imports numba; the first large run
does. Compiled code is cached on disk (``cache=True``), so later processes
only load it. An import interrupted part-way (Ctrl-C) leaves nothing behind:
the next call imports afresh (:func:`load`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
import types
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..core.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from ..core.optim import SGD, Adam, AdamW, FlatLayout, Optimizer, adam_scalars
from . import codes

__all__ = [
    "MIN_SIZE",
    "MIRRORS",
    "STEP_LOAD_SECONDS",
    "available",
    "compiled_update",
    "installed",
    "kernel_code",
    "kernels_for",
    "step_load_seconds",
]

#: Smallest flat vector (parameters) the compiled update takes: loading numba (~0.2-0.4 s)
#: is won back within a few hundred steps from this size (benchmarks/RESULTS.md).
MIN_SIZE = 50_000


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


def switched_off() -> bool:
    """True when ``GLASSNET_NO_NUMBA`` is set to anything but ``""`` or ``"0"``."""
    return os.environ.get(ENV_OFF, "") not in ("", "0")


# Modules an interrupted import of the kernels leaves half-made: numba's, llvmlite's, ours.
_RETRY_FROM_SCRATCH = ("numba", "llvmlite", __name__.rpartition(".")[0] + ".jitted")


def _forget_partial_imports(before: set[str]) -> None:
    """Drop what a failed import added to ``sys.modules`` that a retry could not reuse.

    Python drops the module whose import failed, and with it every package above
    it whose ``__init__`` was still running, but keeps their submodules that had
    finished: a retry would then make a fresh ``numba`` that lacks them as
    attributes (``module 'numba' has no attribute 'core'``). So drop every new
    module whose package is gone, and every new numba, llvmlite and kernel
    module, so that a retry imports all of them afresh.
    """
    for name in [n for n in sys.modules if n not in before]:
        parts = name.split(".")
        orphan = any(".".join(parts[:i]) not in sys.modules for i in range(1, len(parts)))
        if not (orphan or name.startswith(_RETRY_FROM_SCRATCH)):
            continue
        module = sys.modules.pop(name, None)
        parent = sys.modules.get(name.rpartition(".")[0])
        if parent is not None and getattr(parent, parts[-1], None) is module:
            delattr(parent, parts[-1])  # a package that stays must not point at it


def load() -> Any:
    """The module of compiled kernels (:mod:`glassnet.fast.jitted`), or None without numba.

    Enough for the optimizer updates; the training step asks :func:`load_step`.
    Decided once: numba missing (or built for another NumPy) is remembered. An
    import interrupted part-way (a ``KeyboardInterrupt``, or any other
    exception that is not an ``ImportError``) is not: it propagates, leaves no
    half-imported module behind, and the next call tries again from scratch.
    """
    global _loaded
    if _loaded is None:
        before = set(sys.modules)
        try:
            import numba  # noqa: F401  # first: its absence decides, not a cached kernel module

            from . import jitted as _jitted
        except BaseException as exc:
            _forget_partial_imports(before)
            if not isinstance(exc, ImportError):
                raise  # Ctrl-C, say: not a verdict on numba
            _loaded = False
        else:
            _loaded = _jitted
    return _loaded or None


def _outside_glassnet() -> int:
    """``stacklevel`` for a warning issued here that points at the first caller outside glassnet."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the package
    frame: types.FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame, level = frame.f_back, level + 1
    return level - 1  # counted from the function that called this one


#: Seconds a process pays once to import numba and load the step's cached code (0.19-0.45
#: s on 2 cores); the first compile ever (~11 s a dtype) is per installation, not counted.
STEP_LOAD_SECONDS = 0.3


def step_load_seconds() -> float:
    """Seconds loading the step's kernels still costs: 0 once :func:`load_step` has run."""
    return 0.0 if _step is not None else STEP_LOAD_SECONDS


def load_step() -> Any:
    """The compiled kernels for the training step, or None where it cannot run.

    The step's kernels have parallel loops, so it starts numba's threading layer
    (and with it, on GNU OpenMP, the rule that a forked child cannot run
    parallel loops; the optimizer updates alone never start it). None, with a
    warning once, when the layer cannot start: ``NUMBA_THREADING_LAYER`` names
    one that is not installed, say.
    """
    global _step
    if _step is None:
        kernels = load()
        if kernels is None:
            _step = False
            return None
        import numba

        # numba's np.dot calls SciPy's BLAS, loaded on first use: load it now, so
        # that sharding()'s BLAS controller, made later, sees it. An interrupted
        # import is undone as in load(), for the next call to retry.
        before = set(sys.modules)
        try:
            import scipy.linalg.cython_blas  # noqa: F401
        except BaseException:
            _forget_partial_imports(before)
            raise

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


def installed() -> bool:
    """True when numba can be found here (looked up, not imported: cheap)."""
    if _loaded is False:  # tried, and it did not import
        return False
    try:
        return importlib.util.find_spec("numba") is not None
    except ValueError:  # a module object without a spec: let load() find out
        return True


def available() -> bool:
    """True when numba imports here (it is imported to find out) and is not switched off."""
    return not switched_off() and load() is not None


def kernels_for(*arrays: np.ndarray) -> Any:
    """The compiled kernels if they should update these flat vectors, else None.

    Cheap below :data:`MIN_SIZE` (one comparison): numba is not imported then.
    """
    first = arrays[0]
    if first.size < MIN_SIZE or switched_off():
        return None
    dtype = first.dtype
    if dtype not in _FLOATS:
        return None
    for a in arrays:
        if a.dtype != dtype or a.ndim != 1 or a.shape != first.shape or not a.flags.c_contiguous:
            return None
    return load()


#: What each kernel code restates: the class and the methods holding its formula; a class
#: gets the code only when all of them are that class's own (tests/fast/test_kernel_agreement.py).
MIRRORS: tuple[tuple[type, tuple[str, ...], int], ...] = (
    (ReLU, ("forward", "backward", "forward_into", "backward_into", "_f", "_slope"), codes.RELU),
    (LeakyReLU, ("forward", "backward", "forward_into", "backward_into", "_f", "_slope"),
     codes.LEAKY_RELU),
    (Tanh, ("forward", "backward", "forward_into", "backward_into", "_f", "_slope"), codes.TANH),
    (Sigmoid, ("forward", "backward", "forward_into", "backward_into", "_f", "_slope"),
     codes.LOGISTIC),
    (Identity, ("forward", "backward", "forward_into", "backward_into"), codes.IDENTITY),
    (AdamW, ("update", "_decay"), codes.ADAMW),
    (Adam, ("update", "_decay"), codes.ADAM),
    (SGD, ("update",), codes.SGD),
)  # fmt: skip


def kernel_code(obj: object) -> int:
    """The kernel code for a layer or an optimizer whose formula a kernel restates, else -1.

    Parameters
    ----------
    obj : object
        A hidden activation layer or an optimizer.

    Returns
    -------
    int
        One of :mod:`glassnet.fast.codes` (SGD's momentum variants are told
        apart by the caller), or -1.
    """
    cls = type(obj)
    for mirrored, methods, code in MIRRORS:
        if isinstance(obj, mirrored) and all(
            getattr(cls, m) is getattr(mirrored, m) for m in methods
        ):
            return code
    return -1


def compiled_update(opt: Optimizer, p: np.ndarray, g: np.ndarray, layout: FlatLayout) -> bool:
    """One optimizer step by the compiled kernel that restates its rule, if it should run.

    For flat vectors of at least :data:`MIN_SIZE` parameters, when numba is
    installed and the optimizer's rule is one a kernel restates (:func:`kernel_code`).

    Parameters
    ----------
    opt : Optimizer
        Its ``t`` advances by one when the step is taken here.
    p, g : ndarray of shape (n_parameters,)
        The flat parameter and gradient vectors.
    layout : sequence of (name, start, stop, shape)
        As in :meth:`glassnet.Optimizer.step_flat`.

    Returns
    -------
    bool
        Whether the step was taken (False: the caller takes it in NumPy).
    """
    if p.size < MIN_SIZE:  # checked first: this runs every step of every fast run
        return False
    code = kernel_code(opt)
    if code < 0:
        return False
    fused = kernels_for(p, g)
    if fused is None:
        return False
    opt.t += 1
    dt = p.dtype.type
    if isinstance(opt, Adam):
        # The NumPy rule and the kernel take the same two numbers (Adam.update).
        step_size, eps_hat = adam_scalars(opt.lr, opt.betas, opt.eps, opt.t)
        b1, b2 = opt.betas
        decoupled = code == codes.ADAMW  # AdamW shrinks p instead of adding to g
        wd = opt.weight_decay
        fused.adam_update(
            p,
            g,
            opt.flat_state("m", p, layout),
            opt.flat_state("v", p, layout),
            dt(b1),
            dt(1.0 - b1),
            dt(b2),
            dt(1.0 - b2),
            dt(0.0 if decoupled else wd),
            dt(1.0 - opt.lr * wd if decoupled else 1.0),
            dt(eps_hat),
            dt(step_size),
        )
    elif isinstance(opt, SGD):
        # Plain SGD keeps no velocity: the kernel never reads it, so p stands in.
        vel = opt.flat_state("velocity", p, layout) if opt.momentum else p
        fused.sgd_update(
            p, g, vel, dt(opt.lr), dt(opt.momentum), dt(opt.weight_decay), opt.nesterov
        )
    return True
