"""The square grid a decision boundary is drawn on, shared by plotting and callbacks.

NumPy only: :class:`glassnet.BoundarySnapshots` (a training callback) records
the boundary on this grid without importing the plotting module.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["boundary_grid", "check_2d_points"]


def boundary_grid(
    X: ArrayLike, resolution: int = 200, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """The square grid a boundary picture is drawn on.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        Points the grid must cover.
    resolution : int, default=200
        Grid points per axis (at least 2).
    margin : float, default=0.5
        Added around the points' bounding box, in data units.

    Returns
    -------
    gx, gy : ndarray of shape (resolution, resolution)
        Coordinates as from ``np.meshgrid``: ``gx[r, c]`` grows with ``c``,
        ``gy[r, c]`` with ``r``.
    """
    Xa = check_2d_points(X, "X")
    if int(resolution) < 2:
        raise ValueError(
            f"resolution must be an integer >= 2 (grid points per axis); got {resolution!r}."
        )
    lo = Xa.min(axis=0) - margin
    hi = Xa.max(axis=0) + margin
    xs = np.linspace(lo[0], hi[0], int(resolution))
    ys = np.linspace(lo[1], hi[1], int(resolution))
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy


def check_2d_points(X: ArrayLike, name: str) -> np.ndarray:
    """Return ``X`` as a float64 array of 2-D points, refusing anything else.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        Points to draw, at least one, all finite.
    name : str
        Argument name for error messages.

    Returns
    -------
    ndarray of shape (n_samples, 2)

    Raises
    ------
    ValueError
        If ``X`` is not (n_samples, 2) with n_samples >= 1, or holds NaN or inf.
    """
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2 or Xa.shape[1] != 2 or Xa.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (n_samples, 2) with at least one sample to draw a 2-D "
            f"boundary; got {Xa.shape}. Project the data to two features first."
        )
    if not np.all(np.isfinite(Xa)):
        raise ValueError(f"{name} contains NaN or inf; every point to draw must be finite.")
    return Xa
