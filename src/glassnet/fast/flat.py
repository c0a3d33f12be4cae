"""A model's parameters seen as one flat vector: the fast route's l2 and optimizer step.

A ``Sequential`` packs every parameter and gradient into one contiguous vector
(``flat_params``, ``flat_grads``) whose slices are the named arrays. Seen that
way, the l2 penalty and the optimizer's rule run once over the whole vector
instead of once per array: the same formulas (:func:`glassnet.core.losses.l2_penalty`,
:meth:`glassnet.Optimizer.update`) in a handful of NumPy calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.losses import l2_penalty
from ..core.optim import FLAT_BLOCK, Optimizer
from .kernels import compiled_update

__all__ = ["FlatView"]

Array = NDArray[np.floating]


@dataclass
class FlatView:
    """A model's parameters and gradients as two flat vectors, with their layout.

    Present only when the live parameter arrays really tile ``flat_params`` in
    order, so that updating the flat vector updates every named array.

    Attributes
    ----------
    params, grads : ndarray of shape (n_parameters,)
        The flat vectors.
    layout : list of (name, start, stop, shape)
        Where each named parameter lies in them.
    """

    params: Array
    grads: Array
    layout: list[tuple[str, int, int, tuple[int, ...]]]
    _mask: Array | None = None  # 1 on "*.W" entries, 0 on biases (for l2)
    _masked: Array | None = None  # add_l2's work vector (a block, for a large model)

    @classmethod
    def of(cls, model: object) -> FlatView | None:
        """The flat view of ``model``'s parameters, or None if they do not tile a flat vector.

        Parameters
        ----------
        model : object
            A model; a :class:`glassnet.Sequential` has one.
        """
        fp = getattr(model, "flat_params", None)
        fg = getattr(model, "flat_grads", None)
        if not (isinstance(fp, np.ndarray) and isinstance(fg, np.ndarray)):
            return None
        params = model.parameters()  # type: ignore[attr-defined]
        grads = model.gradients()  # type: ignore[attr-defined]
        if not params:
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
        """Add ``coef · W`` to every weight gradient; return ``(coef/2) · Σ‖W‖²``.

        Parameters
        ----------
        coef : float
            ``l2 / B``, as in :func:`glassnet.core.losses.l2_penalty`.
        """
        if self.params.size > 2 * FLAT_BLOCK:
            # A large model: each weight array block by block, so that the work
            # vector is a block long, not two more copies of every parameter.
            if self._masked is None:
                self._masked = np.empty(FLAT_BLOCK, dtype=self.params.dtype)
            total = 0.0
            for name, start, stop, _ in self.layout:
                if name.endswith(".W"):
                    for a in range(start, stop, FLAT_BLOCK):
                        b = min(a + FLAT_BLOCK, stop)
                        work = self._masked[: b - a]
                        total += l2_penalty(self.params[a:b], self.grads[a:b], coef, out=work)
            return total
        if self._mask is None or self._masked is None:
            self._mask = np.zeros_like(self.params)
            for name, start, stop, _ in self.layout:
                if name.endswith(".W"):
                    self._mask[start:stop] = 1.0
            self._masked = np.empty_like(self.params)
        W = np.multiply(self.params, self._mask, out=self._masked)  # biases zeroed
        return l2_penalty(W, self.grads, coef, out=W)

    def step(self, optimizer: Optimizer) -> None:
        """One optimizer step over the flat vectors.

        The optimizer's own rule (:meth:`glassnet.Optimizer.step_flat`), or for
        large models, when numba is installed, the compiled kernel that
        restates it (:func:`glassnet.fast.compiled.compiled_update`).

        Parameters
        ----------
        optimizer : Optimizer
            Its ``t`` advances by one; its state stays keyed by parameter name.
        """
        if not compiled_update(optimizer, self.params, self.grads, self.layout):
            optimizer.step_flat(self.params, self.grads, self.layout)
