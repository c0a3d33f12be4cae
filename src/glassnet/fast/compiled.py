"""The compiled step: the fast step's formulas in numba, many batches per call.

The kernels themselves are in :mod:`glassnet.fast.jitted`, reached through the
gateway :mod:`glassnet.fast.kernels` (loaded only when used).
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ..core.activations import LeakyReLU
from ..core.data import is_sparse
from ..core.layers import Dense
from ..core.optim import SGD, Adam
from ..core.targets import class_indices
from . import codes
from . import kernels as _kernels
from .flat import FlatView
from .kernels import kernel_code
from .numpy_step import FastStep

__all__ = ["CompiledStep"]

Array = NDArray[np.floating]


class CompiledStep:
    """The fast step in compiled code (numba), many batches per call.

    For the same runs as :class:`~glassnet.fast.numpy_step.FastStep` when, in
    addition, the model is ``Dense → activation → … → Dense`` whose activations
    and optimizer have formulas the kernels restate (:func:`glassnet.fast.kernels.kernel_code`:
    relu, leaky relu with one slope, tanh, logistic, identity; SGD, Adam, AdamW), the data are
    C-contiguous and numba is installed and not switched off (``GLASSNET_NO_NUMBA``).
    It computes the same step (forward, fused loss, backward, l2, the guard's
    checks, clipping, the update) with the same formulas, so the weights agree
    with the NumPy path to rounding (``tests/fast/test_compiled_path.py``), not bit
    for bit: the kernel's sums run in another order.

    A process pays once to import numba and load the cached machine code (about
    0.3-0.45 s; compiling it, the first time ever, ~11 s per dtype). Under
    ``route="auto"`` a run is sent here when what it would save beats what loading
    still costs the process (:func:`glassnet.fast.routes.compiled_saving`). On several cores
    each minibatch is split into shards of rows, one a thread (:meth:`shards`);
    the shard count follows numba's thread count (and is 0 in a child forked
    after numba's threads started), and another count adds the gradient's parts
    in another order: rounding again.
    """

    def __init__(
        self,
        kernels: Any,
        fast: FastStep,
        flat: FlatView,
        optimizer: SGD | Adam,
        acts: list[int],
        slope: float,
        l2: float,
        max_grad_norm: float | None,
    ) -> None:
        self.k = kernels
        self.fast = fast
        self.flat = flat
        self.optimizer = optimizer
        # Per Dense layer: where its W starts in the flat vector, n_in, n_out (b follows W).
        self.layout = np.array(
            [(start, *shape) for name, start, _, shape in flat.layout if name.endswith(".W")],
            dtype=np.int64,
        )
        self.acts = np.array(acts, dtype=np.int64)
        self.slope = slope
        self.l2 = float(l2)
        self.max_norm = math.inf if max_grad_norm is None else float(max_grad_norm)
        self.slots: tuple[str, ...]  # the optimizer's flat state vectors, as the kernel takes them
        if isinstance(optimizer, SGD) and optimizer.momentum == 0:
            self.code, self.slots = codes.SGD, ()
        elif isinstance(optimizer, SGD):
            nesterov = optimizer.nesterov
            self.code = codes.SGD_NESTEROV if nesterov else codes.SGD_MOMENTUM
            self.slots = ("velocity",)
        else:
            self.code = kernel_code(optimizer)  # ADAM or ADAMW
            self.slots = ("m", "v")
        # Scratch per batch row: the gathered inputs, every layer's output, two ∂L/∂A.
        widths = self.layout[:, 1:]
        self.row_work = fast.Xa.shape[1] + int(widths[:, 1].sum()) + 2 * int(widths[:, 0].max())
        self.no_rows = np.empty(0, dtype=np.intp)
        self.work: Array = np.empty((1, 0), dtype=flat.params.dtype)
        self.part: Array = np.empty((0, flat.params.size), dtype=flat.params.dtype)
        self.split = 0  # the shard count for batches of split_size rows
        self.split_size = 0
        self.eval_work: Array = np.empty(0, dtype=flat.params.dtype)
        self.stats = np.empty((0, 2))
        self.hyper = np.zeros(5)
        self.counter = np.zeros(1, dtype=np.int64)

    @classmethod
    def unavailable(cls, fast: FastStep, optimizer: object) -> str | None:
        """Why this run cannot take the compiled step, or None when it can.

        Parameters
        ----------
        fast : FastStep
            The run's fast step (the compiled step runs the same one).
        optimizer : object
            The run's optimizer.
        """
        if kernel_code(optimizer) < 0:
            return f"the kernels do not restate {type(optimizer).__name__}'s update rule"
        if is_sparse(fast.Xa):
            return "X is sparse (the compiled step gathers dense rows)"
        if fast.Xa.dtype not in (np.float32, np.float64) or not fast.Xa.flags.c_contiguous:
            return "the data are not a C-contiguous float32/float64 array"
        layers = fast.model.layers
        if len(layers) % 2 != 1 or any(type(layer) is not Dense for layer in layers[::2]):
            return "the model is not Dense → activation → … → Dense"
        acts = [kernel_code(layer) for layer in layers[1::2]]
        if -1 in acts:
            names = [type(la).__name__ for la, c in zip(layers[1::2], acts, strict=True) if c < 0]
            return (
                f"the kernels restate relu, leaky relu, tanh, logistic and identity, not {names[0]}"
            )
        slopes = {float(la.negative_slope) for la in layers[1::2] if isinstance(la, LeakyReLU)}
        if len(slopes) > 1:
            return "its LeakyReLU layers do not share one slope"
        if _kernels.switched_off():
            return f"{_kernels.ENV_OFF} is set"
        return None

    @classmethod
    def build(
        cls,
        fast: FastStep,
        flat: FlatView,
        optimizer: object,
        l2: float,
        max_grad_norm: float | None,
    ) -> CompiledStep | None:
        """The compiled step for this run (after :meth:`unavailable` said yes), or None.

        None when numba does not load (not installed, or its threading layer
        cannot start).

        Parameters
        ----------
        fast : FastStep
        flat : FlatView
        optimizer : SGD, Adam or AdamW
        l2 : float
        max_grad_norm : float or None
        """
        kernels = _kernels.load_step()
        if kernels is None:
            return None
        layers = fast.model.layers
        acts = [kernel_code(layer) for layer in layers[1::2]]
        slopes = {float(la.negative_slope) for la in layers[1::2] if isinstance(la, LeakyReLU)}
        opt = cast("SGD | Adam", optimizer)
        return cls(kernels, fast, flat, opt, acts, max(slopes, default=0.0), l2, max_grad_norm)

    #: Fewest rows a shard of a minibatch gets. A batch of at least twice this many
    #: is split over numba's threads, each with a single-threaded BLAS: every core
    #: keeps its rows, activations and gradient in its own cache. W2 (batch 256):
    #: 8 products on two halves at once, 173 µs a step against 235 with OpenBLAS's
    #: two threads on the whole batch.
    MIN_SHARD_ROWS = 64

    #: Fewest rows × parameters a shard gets: below, a shard's work (~100 µs) is too
    #: little for the split's cost and risk (every thread must be running at once; on
    #: a busy machine a split W1 epoch, 500 rows × 162 parameters a shard, took 1-20 ms
    #: against ~0.15 ms unsplit). W2's shards (128 × 20,490) are well above.
    MIN_SHARD_WORK = 2**20

    #: Most memory the shards' gradient parts (shards × parameters) may take.
    MAX_PART_BYTES = 256 * 2**20

    def shards(self, size: int) -> int:
        """How many shards a batch of ``size`` rows is split into (0: not split)."""
        if size < 2 * self.MIN_SHARD_ROWS:
            return 0
        grads = self.flat.grads
        k = min(
            _kernels.parallel_threads(),
            size // self.MIN_SHARD_ROWS,
            size * grads.size // max(self.MIN_SHARD_WORK, 1),
            self.MAX_PART_BYTES // max(grads.nbytes, 1),
        )
        return k if k >= 2 else 0

    #: Rows per block when evaluating validation data (bounds the scratch memory).
    EVAL_ROWS = 1024

    def evaluate(self, X: Array, y: NDArray[Any], weights: object) -> tuple[float, float] | None:
        """Mean loss and accuracy on validation data, or None where NumPy's evaluate must run.

        The compiled forward pass for plain class indices without weights; None for
        target rows, sample weights, or logits that are not finite (NumPy's
        :func:`glassnet.evaluate` then computes, or reports, them).
        """
        if weights is not None or y.ndim != 1 or X.dtype != self.flat.params.dtype:
            return None
        if X.shape[0] == 0 or not X.flags.c_contiguous:
            return None
        labels = class_indices(y, int(self.layout[-1, 2]))
        size = min(self.EVAL_ROWS, X.shape[0])
        need = 2 * size * int(self.layout[:, 2].max())
        if self.eval_work.size < need:
            self.eval_work = np.empty(need, dtype=X.dtype)
        # After split steps, on one BLAS thread too: a threaded BLAS would leave its
        # worker spinning for ~0.1 s, on a core the next epoch's shards need.
        with (
            _kernels.sharding(self.split),
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
        ):
            total, correct, finite = self.k.evaluate_rows(
                X,
                labels,
                self.flat.params,
                self.layout,
                self.acts,
                self.slope,
                self.eval_work,
                size,
            )
        if not finite:
            return None
        return total / X.shape[0], correct / X.shape[0]

    def run(
        self, order: NDArray[np.intp] | None, size: int, first: int, last: int
    ) -> tuple[int, NDArray[np.float64]]:
        """Apply batches ``first … last-1``; return how many were applied and their stats.

        ``stats[i]`` holds batch ``first + i``'s loss and correct count. Fewer
        applied than asked means the next batch had a non-finite loss or gradient
        norm (its stats are filled, its update was not applied).
        """
        X = self.fast.Xa
        if size != self.split_size:  # a run's batches keep their size: decide once
            self.split, self.split_size = self.shards(size), size
        k = self.split
        cap = -(-size // k) if k else size  # rows a shard may hold
        if self.work.shape[0] != max(k, 1) or self.work.shape[1] < cap * self.row_work:
            self.work = np.empty((max(k, 1), cap * self.row_work), dtype=X.dtype)
        if self.part.shape[0] != k:
            self.part = np.empty((k, self.flat.grads.size), dtype=X.dtype)
        if self.stats.shape[0] < last - first:
            self.stats = np.empty((last - first, 2))
        if self.fast.n_classes == 0:
            self.fast.encode_labels(int(self.layout[-1, 2]), one_hot=False)
        opt = self.optimizer
        params = self.flat.params
        # Read every call: a schedule may change lr, a roll-back may replace the state.
        states = [opt.flat_state(key, params, self.flat.layout) for key in self.slots]
        # The kernel reads only the slots its optimizer has: Adam's m and v, SGD's velocity.
        s1 = states[0] if states else params
        s2 = states[-1] if states else params
        h = self.hyper  # item by item: a tuple into h[:] costs a microsecond an epoch (W1)
        h[0], h[4] = opt.lr, opt.weight_decay
        if isinstance(opt, Adam):
            h[1], h[2], h[3] = opt.betas[0], opt.betas[1], opt.eps
        else:
            h[1] = opt.momentum
        self.counter[0] = opt.t
        args = (
            X,
            self.fast.labels,
            self.no_rows if order is None else order,
            size,
            first,
            last,
            params,
            self.flat.grads,
            self.layout,
            self.acts,
            self.slope,
            self.work,
            self.part,
            self.code,
            s1,
            s2,
            h,
            self.counter,
            self.l2,
            self.max_norm,
            self.stats,
        )
        if k:  # the BLAS on one thread under the shards' threads, one such call at a time
            with _kernels.sharding(k):
                done = self.k.run_batches(*args)
        else:  # unsplit: nothing to hold (a context manager is a microsecond a call)
            done = self.k.run_batches(*args)
        opt.t = int(self.counter[0])
        return int(done), self.stats[: last - first]
