"""Work buffers reused from step to step: the fast route allocates nothing per step."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["Workspace"]

Array = NDArray[np.floating]


class Workspace:
    """Work buffers reused from step to step by the training loop's fast route.

    The fast forms of the layers and the loss (``forward_into``,
    ``backward_into``, ``forward_backward_into``) write into these instead of
    allocating fresh arrays every step; it implements
    :class:`glassnet.core.layers.Buffers`. A buffer is keyed by its
    owner, a name and its shape, so the smaller last batch of an epoch gets
    its own set.

    Parameters
    ----------
    dtype : dtype-like
        The dtype of buffers asked for without one.
    """

    def __init__(self, dtype: DTypeLike) -> None:
        self.dtype = np.dtype(dtype)
        self._bufs: dict[tuple[int, str, tuple[int, ...]], NDArray] = {}

    def get(
        self, owner: object, name: str, shape: tuple[int, ...], dtype: DTypeLike | None = None
    ) -> NDArray:
        """An uninitialised buffer, the same one for the same owner, name and shape."""
        key = (id(owner), name, shape)
        buf = self._bufs.get(key)
        if buf is None:
            buf = np.empty(shape, dtype=self.dtype if dtype is None else dtype)
            self._bufs[key] = buf
        return buf

    def zeros(self, shape: tuple[int, ...]) -> Array:
        """An array of zeros of ``shape`` (read only: never write into it)."""
        key = (0, "zeros", shape)
        buf = self._bufs.get(key)
        if buf is None:
            buf = self._bufs[key] = np.zeros(shape, dtype=self.dtype)
        return buf

    def row_starts(self, n: int, k: int) -> NDArray[np.intp]:
        """``[0, k, 2k, ...]``: where each row of a C-contiguous ``(n, k)`` array starts."""
        key = (0, "row_starts", (n, k))
        buf = self._bufs.get(key)
        if buf is None:
            buf = self._bufs[key] = np.arange(0, n * k, k, dtype=np.intp)
        return buf

    def ones(self, n: int) -> Array:
        """A vector of ``n`` ones: ``ones @ G`` sums the rows of G."""
        key = (0, "ones", (n,))
        buf = self._bufs.get(key)
        if buf is None:
            buf = self._bufs[key] = np.ones(n, dtype=self.dtype)
        return buf
