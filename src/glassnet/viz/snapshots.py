"""Boundary snapshots: a training callback that records the boundary as it forms.

Frames come from the model being trained, through the :class:`glassnet.TrainState`
the training loop hands its callbacks; :func:`glassnet.save_animation` draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.checks import is_int
from ..core.functional import softmax
from ..training.state import Callback, TrainState
from .grid import boundary_grid

__all__ = ["BoundarySnapshots", "Snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """One recorded frame of :class:`BoundarySnapshots`.

    Attributes
    ----------
    epoch : int
        Epochs completed when it was taken (0: the initial weights).
    loss, accuracy : float or None
        That epoch's training metrics (None for the initial weights).
    proba : ndarray of shape (resolution * resolution, n_classes)
        Softmax probabilities on the grid, row-major over ``grid``.
    """

    epoch: int
    loss: float | None
    accuracy: float | None
    proba: NDArray[np.floating]


class BoundarySnapshots(Callback):
    """Record the model's class probabilities on a grid every ``every`` epochs.

    Frames come from the model being trained, through the training loop's
    callbacks (``softmax(state.model.forward(grid))`` at the end of an
    epoch), never from training again. Give the recorder to
    :func:`glassnet.save_animation` to write the GIF.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        Points whose bounding box (plus ``margin``) the grid covers.
    every : int, default=10
        Epochs between snapshots.
    resolution : int, default=80
        Grid points per axis.
    margin : float, default=0.5
        Added around the points' bounding box, in data units.
    include_initial : bool, default=True
        Also record the untrained model when training begins (epoch 0).

    Attributes
    ----------
    grid : tuple of ndarray
        ``(gx, gy)``, each of shape (resolution, resolution).
    frames : list of Snapshot
        One per snapshot: the initial weights (if asked), the end of epochs
        ``every``, ``2·every``, ..., and the last epoch.

    Notes
    -----
    Calling ``forward`` at the end of an epoch is safe: the epoch's backward
    passes are done, and the next step runs its own forward first. The
    probabilities use the model's dtype, as training does.
    """

    def __init__(
        self,
        X: ArrayLike,
        every: int = 10,
        *,
        resolution: int = 80,
        margin: float = 0.5,
        include_initial: bool = True,
    ) -> None:
        if not is_int(every) or every < 1:
            raise ValueError(
                f"every must be a positive number of epochs between snapshots; got {every!r}."
            )
        self.every = int(every)
        self.include_initial = include_initial
        self.grid = boundary_grid(X, resolution, margin)
        self._points = np.c_[self.grid[0].ravel(), self.grid[1].ravel()]
        self.frames: list[Snapshot] = []

    def _record(self, state: TrainState, epoch: int, logs: dict[str, float] | None) -> None:
        dtype = getattr(state.model, "dtype", np.float64)
        proba = softmax(state.model.forward(self._points.astype(dtype, copy=False)))
        self.frames.append(
            Snapshot(
                epoch=epoch,
                loss=None if logs is None else float(logs["loss"]),
                accuracy=None if logs is None else float(logs.get("accuracy", math.nan)),
                proba=proba,  # softmax returns a fresh array: nothing else holds it
            )
        )

    def on_train_begin(self, state: TrainState) -> None:
        """Start a fresh recording; snapshot the initial weights if asked."""
        self.frames = []
        if self.include_initial:
            self._record(state, 0, None)

    def on_epoch_end(self, state: TrainState) -> None:
        """Snapshot after every ``every``-th epoch."""
        done = state.epoch + 1
        if done % self.every == 0:
            self._record(state, done, state.logs)

    def on_train_end(self, state: TrainState) -> None:
        """Snapshot the last epoch too, when it fell between snapshots."""
        done = state.epoch + 1 if state.logs and "loss" in state.logs else 0
        if done and (not self.frames or self.frames[-1].epoch != done):
            self._record(state, done, state.logs)
