"""Small 2-D datasets for learners: moons, circles, blobs, a spiral and XOR.

Each maker takes ``n_samples``, ``noise`` and ``random_state`` and returns
``(X, y)`` with X of shape (n_samples, 2) and integer labels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ..core.init import as_generator

__all__ = ["DATASETS", "make_dataset", "make_spiral", "make_xor"]

Data = tuple[NDArray[np.float64], NDArray[np.intp]]


def make_spiral(
    n_samples: int = 1000, noise: float = 0.2, random_state: int | None = None, n_arms: int = 2
) -> Data:
    """Interleaved spiral arms, one class per arm.

    Parameters
    ----------
    n_samples : int, default=1000
    noise : float, default=0.2
        Standard deviation of Gaussian noise added to each coordinate.
    random_state : int, optional
    n_arms : int, default=2

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    rng = as_generator(random_state, name="random_state")
    y = np.arange(n_samples) % n_arms
    t = rng.uniform(0.25, 1.0, n_samples) * 3 * np.pi
    angle = t + y * (2 * np.pi / n_arms)
    X = np.c_[t * np.cos(angle), t * np.sin(angle)] / np.pi
    X += rng.normal(scale=noise, size=X.shape)
    return X, y.astype(np.intp)


def make_xor(n_samples: int = 1000, noise: float = 0.2, random_state: int | None = None) -> Data:
    """XOR of the signs of two coordinates: class 1 in the 2nd and 4th quadrants.

    Parameters
    ----------
    n_samples : int, default=1000
    noise : float, default=0.2
        Standard deviation of Gaussian noise around the four cluster centres.
    random_state : int, optional

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    rng = as_generator(random_state, name="random_state")
    signs = rng.choice([-1.0, 1.0], size=(n_samples, 2))
    X = signs + rng.normal(scale=noise, size=(n_samples, 2))
    y = (signs[:, 0] != signs[:, 1]).astype(np.intp)
    return X, y


def _moons(n_samples: int, noise: float, random_state: int | None) -> Data:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return X, y.astype(np.intp)


def _circles(n_samples: int, noise: float, random_state: int | None) -> Data:
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=random_state)
    return X, y.astype(np.intp)


def _blobs(n_samples: int, noise: float, random_state: int | None) -> Data:
    from sklearn.datasets import make_blobs

    # noise is read as the spread of each blob relative to the default of 1.
    X, y = make_blobs(
        n_samples=n_samples, centers=3, cluster_std=0.5 + 2.5 * noise, random_state=random_state
    )
    return X, y.astype(np.intp)


DATASETS: dict[str, Callable[[int, float, int | None], Data]] = {
    "moons": _moons,
    "circles": _circles,
    "blobs": _blobs,
    "spiral": make_spiral,
    "xor": make_xor,
}


def make_dataset(
    name: str, n_samples: int = 1000, noise: float = 0.2, random_state: int | None = 0
) -> Data:
    """Make one of the learners' 2-D datasets by name.

    Parameters
    ----------
    name : {"moons", "circles", "blobs", "spiral", "xor"}
    n_samples : int, default=1000
    noise : float, default=0.2
    random_state : int, optional

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}; got {name!r}.")
    if int(n_samples) < 2:
        raise ValueError(f"n_samples must be at least 2; got {n_samples!r}.")
    if not (noise >= 0 and np.isfinite(noise)):
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}.")
    return DATASETS[name](int(n_samples), float(noise), random_state)
