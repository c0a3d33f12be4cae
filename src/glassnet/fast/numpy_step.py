"""The fast NumPy step: the readable step's formulas through reused buffers."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ..core.data import is_sparse
from ..core.losses import SoftmaxCrossEntropy
from ..core.sequential import Sequential
from ..core.targets import as_target_matrix, check_2d_scores, class_indices
from .workspace import Workspace

__all__ = ["FastStep"]

Array = NDArray[np.floating]


class FastStep:
    """The readable training step (:func:`glassnet.training.loop.readable_step`), fast.

    The same formulas in fewer NumPy calls, for a :class:`glassnet.Sequential`
    whose layers offer current fast forms, trained with a
    :class:`glassnet.SoftmaxCrossEntropy` without class weights or smoothing,
    on class indices without sample weights (:func:`glassnet.fast.routes.choose_route`
    checks). It

    * encodes and checks the labels once, not every batch;
    * gathers shuffled batches into reused buffers (``ndarray.take(..., out=)``), and
      uses the data as it is when there is one batch;
    * runs forward, loss and backward through the fast forms
      (``Sequential.forward_into`` / ``backward_into`` and
      ``SoftmaxCrossEntropy.forward_backward_into``), in reused work buffers.

    Everything else (the guard, l2, clipping, callbacks) is the training loop's,
    shared by every route.

    Parameters
    ----------
    model : Sequential
    loss : SoftmaxCrossEntropy
    Xa : ndarray of shape (n_samples, n_features)
        The data, in the model's dtype.
    ya : ndarray of shape (n_samples,)
        Class indices (checked on the first step).
    """

    def __init__(
        self, model: Sequential, loss: SoftmaxCrossEntropy, Xa: Array, ya: NDArray[Any]
    ) -> None:
        self.model = model
        self.loss = loss
        self.Xa = Xa
        self.ya = ya
        self.ws = Workspace(Xa.dtype)
        self.sparse = is_sparse(Xa)  # CSR rows are sliced, not gathered into a buffer
        # Set on the first step, once the logits' width (the number of classes) is known.
        self.labels: NDArray[np.intp] = np.empty(0, dtype=np.intp)
        self.T: Array = np.empty((0, 0), dtype=Xa.dtype)
        self.n_classes = 0
        # The fused loss overwrites the logits with ∂L/∂z. A final Dense layer's
        # output is a work buffer nobody else reads; any other last layer may
        # have cached its output (Tanh and Sigmoid do) for backward, so the
        # logits are then copied into the loss's own buffer first.
        self.copy_logits = not model.layers or not model.layers[-1].frees_output

    def encode_labels(self, n_classes: int, one_hot: bool = True) -> None:
        """Check and one-hot encode every label once (the readable route does it per batch).

        ``one_hot=False`` only checks them (the compiled step reads the indices).

        Parameters
        ----------
        n_classes : int
            The width of the logits.
        one_hot : bool, default=True
            Also build the one-hot matrix ``T``.
        """
        if one_hot:
            T, labels = as_target_matrix(self.ya, self.Xa.shape[0], n_classes, self.Xa.dtype)
            # build() takes this path only for 1-D y, which always comes back as indices.
            self.T, self.labels = T, cast("NDArray[np.intp]", labels)
        else:
            self.labels = class_indices(self.ya, n_classes)
        self.n_classes = n_classes

    def step(self, idx: NDArray[np.intp] | slice) -> tuple[float, int, int]:
        """Forward, loss and backward on one batch; return loss, correct and size.

        Parameters
        ----------
        idx : ndarray of int or slice
            The batch's rows.
        """
        ws = self.ws
        if isinstance(idx, slice) or self.sparse:  # a view, or the batch's sparse rows
            Xb = self.Xa[idx]
        else:
            # mode="clip" skips NumPy's bounds-check buffering; the indices
            # come from a permutation and are always in range. The ndarray.take
            # method is np.take without its Python wrapper (~2 µs a call).
            Xb = ws.get(self, "X", (idx.shape[0], self.Xa.shape[1]))
            self.Xa.take(idx, axis=0, out=Xb, mode="clip")
        z = self.model.forward_into(Xb, ws)
        if z.ndim != 2 or z.shape[1] != self.n_classes:
            self.encode_labels(check_2d_scores(z, "logits").shape[1])
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
        loss_sum, n_correct = self.loss.forward_backward_into(z, lb, Tb, ws)  # z: ∂L/∂z now
        self.model.backward_into(z, ws)
        m = int(z.shape[0])
        return loss_sum / m, n_correct, m
