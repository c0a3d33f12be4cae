"""The training loop's fast path: the same step as the readable one, in fewer NumPy calls.

:mod:`glassnet.train` writes one step as the maths reads (forward, loss,
backward, update); this module holds the machinery that makes the common case
fast:

* :class:`_FlatView` sees a ``Sequential``'s parameters as one flat vector, so
  the optimizer and the l2 penalty update every array in a few NumPy calls;
* :class:`_FastPath` runs forward, the fused loss and backward through reused
  work buffers, for a plain ``SoftmaxCrossEntropy`` on class indices;
* :class:`_CompiledPath` hands large runs of relu networks to the compiled
  step (``glassnet._jitted.run_batches``, numba, optional), many batches a call.

``tests/test_fast_path.py`` checks that the readable and fast routes give the same
weights (the first two change no number); ``tests/test_compiled_path.py`` checks
the compiled route against the NumPy one, to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import numpy as np
from numpy.typing import NDArray

from ..core.layers import Dense, Identity, LeakyReLU, ReLU, Sequential, _Workspace
from ..core.losses import SoftmaxCrossEntropy, _check_2d_scores, _class_indices, as_target_matrix
from ..core.optim import SGD, Adam, AdamW
from . import kernels as _kernels

Array = NDArray[np.floating]


@dataclass
class _FlatView:
    """A model's parameters seen as one flat vector (a ``Sequential``'s packing).

    Present only when the live parameter arrays really tile ``flat_params`` in
    order, so that updating the flat vector updates every named array.
    """

    params: Array
    grads: Array
    layout: list[tuple[str, int, int, tuple[int, ...]]]
    weight_mask: Array | None = None  # 1 on "*.W" entries, 0 on biases (for l2)
    _masked: Array | None = None  # add_l2's work vector

    @classmethod
    def of(
        cls, model: object, params: dict[str, Array], grads: dict[str, Array]
    ) -> _FlatView | None:
        """The flat view of ``model``'s parameters, or None if they do not tile a flat vector."""
        fp = getattr(model, "flat_params", None)
        fg = getattr(model, "flat_grads", None)
        if not (isinstance(fp, np.ndarray) and isinstance(fg, np.ndarray)) or not params:
            return None
        layout = []
        offset = 0
        for name, p in params.items():
            g = grads[name]
            for arr, base in ((p, fp), (g, fg)):
                start = arr.__array_interface__["data"][0] - base.__array_interface__["data"][0]
                if (
                    arr.dtype != base.dtype
                    or not arr.flags.c_contiguous
                    or start != offset * base.itemsize
                ):
                    return None
            layout.append((name, offset, offset + p.size, p.shape))
            offset += p.size
        if offset != fp.size or fg.size != fp.size:
            return None
        return cls(fp, fg, layout)

    def add_l2(self, coef: float) -> float:
        """Add ``coef · W`` to every weight gradient; return ``Σ‖W‖²``."""
        if self.weight_mask is None or self._masked is None:
            self.weight_mask = np.zeros_like(self.params)
            for name, start, stop, _ in self.layout:
                if name.endswith(".W"):
                    self.weight_mask[start:stop] = 1.0
            self._masked = np.empty_like(self.params)
        w = np.multiply(self.params, self.weight_mask, out=self._masked)
        total = float(np.dot(w, w))
        w *= coef
        self.grads += w
        return total


class _FastPath:
    """The same training step as ``glassnet.train._readable_step``, in fewer NumPy calls.

    Used automatically for a :class:`glassnet.Sequential` trained with a plain
    :class:`glassnet.SoftmaxCrossEntropy` (no class weights, no smoothing) on
    class indices without sample weights. It

    * encodes and checks the labels once, not every batch;
    * gathers shuffled batches into reused buffers (``ndarray.take(..., out=)``), and
      uses the data as it is when there is one batch;
    * runs forward, loss and backward through reused work buffers
      (``Sequential._forward_fast`` / ``_backward_fast`` and
      ``SoftmaxCrossEntropy._fused_fast``).

    Everything else (the guard, l2, clipping, callbacks) is shared with the
    readable path.
    """

    def __init__(
        self, model: Sequential, loss: SoftmaxCrossEntropy, Xa: Array, ya: NDArray[Any]
    ) -> None:
        self.model = model
        self.loss = loss
        self.Xa = Xa
        self.ya = ya
        self.ws = _Workspace(Xa.dtype)
        # Set on the first step, once the logits' width (the number of classes) is known.
        self.labels: NDArray[np.intp] = np.empty(0, dtype=np.intp)
        self.T: Array = np.empty((0, 0), dtype=Xa.dtype)
        self.n_classes = 0
        # The fused loss overwrites the logits with ∂L/∂z. A final Dense layer's
        # output is a work buffer nobody else reads; any other last layer may
        # have cached its output (Tanh, Sigmoid, Softmax do) for backward, so
        # the logits are then copied into the loss's own buffer first.
        self.copy_logits = not model.layers or type(model.layers[-1]) is not Dense

    @classmethod
    def build(
        cls,
        model: object,
        loss: object,
        Xa: Array,
        ya: NDArray[Any],
        wa: Array | None,
        flat: _FlatView | None,
    ) -> _FastPath | None:
        """The fast path for this training run, or None where only the readable one fits."""
        if (
            flat is None
            or not isinstance(model, Sequential)
            or type(loss) is not SoftmaxCrossEntropy
            or loss.class_weight is not None
            or loss.label_smoothing != 0.0
            or wa is not None
            or ya.ndim != 1
            or flat.params.dtype != Xa.dtype
        ):
            return None
        return cls(model, loss, Xa, ya)

    def _encode_labels(self, n_classes: int, one_hot: bool = True) -> None:
        """Check and one-hot encode every label once (the readable path does it per batch).

        ``one_hot=False`` only checks them (the compiled step reads the indices).
        """
        if one_hot:
            T, labels = as_target_matrix(self.ya, self.Xa.shape[0], n_classes, self.Xa.dtype)
            # build() takes this path only for 1-D y, which always comes back as indices.
            self.T, self.labels = T, cast("NDArray[np.intp]", labels)
        else:
            self.labels = _class_indices(self.ya, n_classes)
        self.n_classes = n_classes

    def step(self, idx: NDArray[np.intp] | slice) -> tuple[float, int, int]:
        """Forward, loss and backward on one batch; return loss, correct and size."""
        ws = self.ws
        if isinstance(idx, slice):  # contiguous rows: a view, no copy
            Xb = self.Xa[idx]
        else:
            # mode="clip" skips NumPy's bounds-check buffering; the indices
            # come from a permutation and are always in range. The ndarray.take
            # method is np.take without its Python wrapper (~2 µs a call).
            Xb = ws.get(self, "X", (idx.shape[0], self.Xa.shape[1]))
            self.Xa.take(idx, axis=0, out=Xb, mode="clip")
        z = self.model._forward_fast(Xb, ws)
        if z.ndim != 2 or z.shape[1] != self.n_classes:
            self._encode_labels(_check_2d_scores(z, "logits").shape[1])
        if isinstance(idx, slice):
            lb, Tb = self.labels[idx], self.T[idx]
        else:
            lb = ws.get(self, "labels", idx.shape, dtype=np.intp)
            Tb = ws.get(self, "T", (idx.shape[0], self.n_classes))
            self.labels.take(idx, out=lb, mode="clip")
            self.T.take(idx, axis=0, out=Tb, mode="clip")
        if self.copy_logits:
            logits = ws.get(self, "logits", z.shape)
            np.copyto(logits, z)
            z = logits
        loss_sum, n_correct = self.loss._fused_fast(z, lb, Tb, ws)  # z now holds ∂L/∂z
        self.model._backward_fast(z, ws)
        m = int(z.shape[0])
        return loss_sum / m, n_correct, m


class _CompiledPath:
    """The fast path's step in compiled code (numba), many batches per call.

    Used for the same runs as :class:`_FastPath` when, in addition, the model is
    ``Dense → activation → … → Dense`` with glassnet's own activations (one
    LeakyReLU slope), the optimizer is exactly SGD, Adam or AdamW, the data are
    C-contiguous and numba is installed and not switched off (``GLASSNET_NO_NUMBA``).
    It computes the same step (forward, fused loss, backward, l2, the guard's
    checks, clipping, the update) with the same formulas, so the weights agree
    with the NumPy path to rounding (``tests/test_compiled_path.py``), not bit
    for bit: the kernel's sums run in another order.

    A process pays once to import numba and load the cached machine code (about
    0.45 s; compiling it, the first time ever, ~11 s per dtype). A run is sent
    here only when it is large enough to win that back (:attr:`MIN_WORK`). The
    choice depends on the call's own sizes only, never on what ran before in the
    process, so a seeded run gives the same numbers every time. On several cores
    each minibatch is split into shards of rows, one a thread (:meth:`shards`);
    the shard count follows numba's thread count (and is 0 in a child forked
    after numba's threads started), and another count adds the gradient's parts
    in another order: rounding again.
    """

    #: Parameters × samples × epochs from which a run takes the compiled path.
    #: Measured on W2 (benchmarks/RESULTS.md): the compiled step (split over two cores)
    #: saves ~0.06 ns per parameter and sample, so loading numba (~0.45 s) is won back
    #: around 8e9; W2 itself (5 epochs, 8.2e9) about breaks even in a fresh process.
    MIN_WORK = 5e9

    #: Hidden activations the kernel knows, by exact type (a subclass may change the maths).
    ACTIVATIONS: ClassVar[dict[type, int]] = {
        Identity: _kernels.IDENTITY,
        ReLU: _kernels.RELU,
        LeakyReLU: _kernels.LEAKY_RELU,
    }

    def __init__(
        self,
        kernels: Any,
        fast: _FastPath,
        flat: _FlatView,
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
            self.code, self.slots = _kernels.SGD, ()
        elif isinstance(optimizer, SGD):
            nesterov = optimizer.nesterov
            self.code = _kernels.SGD_NESTEROV if nesterov else _kernels.SGD_MOMENTUM
            self.slots = ("velocity",)
        else:
            self.code = _kernels.ADAMW if type(optimizer) is AdamW else _kernels.ADAM
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
    def build(
        cls,
        fast: _FastPath | None,
        flat: _FlatView | None,
        optimizer: object,
        l2: float,
        max_grad_norm: float | None,
        work: float,
    ) -> _CompiledPath | None:
        """The compiled path for this run, or None where the NumPy fast path should run.

        ``work`` is the run's size in multiply-adds (parameters × samples × epochs).
        """
        if fast is None or flat is None or type(optimizer) not in (SGD, Adam, AdamW):
            return None
        if flat.params.dtype not in _kernels._FLOATS or not fast.Xa.flags.c_contiguous:
            return None
        layers = fast.model.layers
        if len(layers) % 2 != 1 or any(type(layer) is not Dense for layer in layers[::2]):
            return None
        acts = [cls.ACTIVATIONS.get(type(layer), -1) for layer in layers[1::2]]
        slopes = {
            float(layer.negative_slope) for layer in layers[1::2] if isinstance(layer, LeakyReLU)
        }
        if -1 in acts or len(slopes) > 1:  # ReLU has none; LeakyReLUs must share theirs
            return None
        if work < cls.MIN_WORK or _kernels._off():
            return None
        kernels = _kernels._load_step()
        if kernels is None:
            return None
        opt = cast("SGD | Adam", optimizer)
        return cls(kernels, fast, flat, opt, acts, max(slopes, default=0.0), l2, max_grad_norm)

    #: Fewest rows a shard of a minibatch gets. A batch of at least twice this many
    #: is split over numba's threads, each with a single-threaded BLAS: every core
    #: keeps its rows, activations and gradient in its own cache. W2 (batch 256):
    #: 8 products on two halves at once, 173 µs a step against 235 with OpenBLAS's
    #: two threads on the whole batch.
    MIN_SHARD_ROWS = 64

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
            self.MAX_PART_BYTES // max(grads.nbytes, 1),
        )
        return k if k >= 2 else 0

    #: Rows per block when evaluating validation data (bounds the scratch memory).
    EVAL_ROWS = 1024

    def evaluate(self, X: Array, y: NDArray[Any], weights: object) -> tuple[float, float] | None:
        """Mean loss and accuracy on validation data, or None where NumPy's evaluate must run.

        The compiled forward pass for plain class indices without weights; None for
        target rows, sample weights, or logits that are not finite (NumPy's
        :func:`glassnet.train.evaluate` then computes, or reports, them).
        """
        if weights is not None or y.ndim != 1 or X.dtype != self.flat.params.dtype:
            return None
        if X.shape[0] == 0 or not X.flags.c_contiguous:
            return None
        labels = _class_indices(y, int(self.layout[-1, 2]))
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
            self.fast._encode_labels(int(self.layout[-1, 2]), one_hot=False)
        opt = self.optimizer
        params = self.flat.params
        # Read every call: a schedule may change lr, a roll-back may replace the state.
        states = [opt._flat_slot(key, params, self.flat.layout) for key in self.slots]
        # The kernel reads only the slots its optimizer has: Adam's m and v, SGD's velocity.
        s1 = states[0] if states else params
        s2 = states[-1] if states else params
        h = self.hyper
        if isinstance(opt, Adam):
            h[:] = (opt.lr, opt.betas[0], opt.betas[1], opt.eps, opt.weight_decay)
        else:
            h[:] = (opt.lr, opt.momentum, 0.0, 0.0, opt.weight_decay)
        self.counter[0] = opt.t
        # Sharded: the BLAS on one thread under the shards' threads, one such call at a time.
        with _kernels.sharding(k):
            done = self.k.run_batches(
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
        opt.t = int(self.counter[0])
        return int(done), self.stats[: last - first]
