"""Weight initialisers. Each takes an explicit ``np.random.Generator``.

Glorot (Xavier) keeps the variance of activations and gradients roughly equal
across layers for tanh and sigmoid units: Var(W) = 2 / (fan_in + fan_out).
He keeps it for relu units, which zero half their inputs: Var(W) = 2 / fan_in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .checks import is_int

__all__ = [
    "INITIALIZERS",
    "as_generator",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "uniform_bias",
]


def as_generator(
    rng: np.random.Generator | int | None, *, name: str = "rng"
) -> np.random.Generator:
    """Turn ``rng`` into a ``np.random.Generator``.

    Parameters
    ----------
    rng : Generator, int or None
        A Generator is returned as is; an int seeds a new one; None draws a
        fresh seed from the operating system (never NumPy's global state).
    name : str, default="rng"
        Argument name used in the error message.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or is_int(rng):
        return np.random.default_rng(rng)
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an int seed or None; got "
        f"{type(rng).__name__}. Pass np.random.default_rng(seed)."
    )


def glorot_uniform(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float64
) -> NDArray[np.floating]:
    """Uniform on ±sqrt(6 / (n_in + n_out)) (Glorot & Bengio, 2010)."""
    bound = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-bound, bound, size=(n_in, n_out)).astype(dtype)


def glorot_normal(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float64
) -> NDArray[np.floating]:
    """Normal with standard deviation sqrt(2 / (n_in + n_out))."""
    std = np.sqrt(2.0 / (n_in + n_out))
    return (rng.standard_normal(size=(n_in, n_out)) * std).astype(dtype)


def he_uniform(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float64
) -> NDArray[np.floating]:
    """Uniform on ±sqrt(6 / n_in) (He et al., 2015), for relu layers."""
    bound = np.sqrt(6.0 / n_in)
    return rng.uniform(-bound, bound, size=(n_in, n_out)).astype(dtype)


def he_normal(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float64
) -> NDArray[np.floating]:
    """Normal with standard deviation sqrt(2 / n_in), for relu layers."""
    std = np.sqrt(2.0 / n_in)
    return (rng.standard_normal(size=(n_in, n_out)) * std).astype(dtype)


def uniform_bias(
    rng: np.random.Generator, n_in: int, n_out: int, dtype: DTypeLike = np.float64
) -> NDArray[np.floating]:
    """Biases uniform on ±sqrt(6 / (n_in + n_out)): scikit-learn's MLP scheme.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_in, n_out : int
        The layer's fan-in and fan-out.
    dtype : dtype-like, default=np.float64
    """
    bound = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-bound, bound, size=n_out).astype(dtype)


INITIALIZERS: dict[
    str, Callable[[np.random.Generator, int, int, DTypeLike], NDArray[np.floating]]
] = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}
