"""The training loop's fast path: the same step as the readable one, in fewer NumPy calls.

:mod:`glassnet.train` writes one step as the maths reads (forward, loss,
backward, update); this module holds the machinery that makes the common case
fast without changing a single number:

* :class:`_FlatView` sees a ``Sequential``'s parameters as one flat vector, so
  the optimizer and the l2 penalty update every array in a few NumPy calls;
* :class:`_FastPath` runs forward, the fused loss and backward through reused
  work buffers, for a plain ``SoftmaxCrossEntropy`` on class indices.

``tests/test_fast_path.py`` checks that both routes give the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from .layers import Dense, Sequential, _Workspace
from .losses import SoftmaxCrossEntropy, _check_2d_scores, as_target_matrix

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
        if self.weight_mask is None:
            self.weight_mask = np.zeros_like(self.params)
            for name, start, stop, _ in self.layout:
                if name.endswith(".W"):
                    self.weight_mask[start:stop] = 1.0
        w = self.params * self.weight_mask
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

    def _encode_labels(self, n_classes: int) -> None:
        """Check and one-hot encode every label once (the readable path does it per batch)."""
        T, labels = as_target_matrix(self.ya, self.Xa.shape[0], n_classes, self.Xa.dtype)
        # build() takes this path only for 1-D y, which always comes back as indices.
        self.T, self.labels = T, cast("NDArray[np.intp]", labels)
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
