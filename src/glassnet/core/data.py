"""Data plumbing: input checks, one-hot targets and minibatch indices.

Every random draw comes from an explicit ``np.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .checks import check_batch_size, is_int

__all__ = [
    "check_features",
    "check_sample_weight",
    "epoch_order",
    "is_sparse",
    "minibatches",
    "one_hot",
    "refuse_bad_values",
    "sparse_t_dot",
]


def refuse_bad_values(
    values: NDArray[Any],
    name: str,
    advice: str,
    *,
    negative: bool = False,
) -> None:
    """Raise ``ValueError`` at the first kind of bad value: NaN, inf (then negative).

    The message names ``name``, the count and the first position (an index
    for a 1-D array, a tuple otherwise), then gives ``advice``.

    Parameters
    ----------
    values : ndarray
        The values to check.
    name : str
        Their name in the message.
    advice : str
        The next step, appended to the message.
    negative : bool, default=False
        Also refuse negative values.
    """
    checks = [("NaN", np.isnan(values)), ("inf", np.isinf(values))]
    if negative:
        checks.append(("negative", values < 0))
    for label, mask in checks:
        if mask.any():
            first = tuple(int(i) for i in np.argwhere(mask)[0])
            where = first[0] if values.ndim == 1 else first
            raise ValueError(
                f"{name} contains {int(mask.sum())} {label} value(s), the first at "
                f"position {where}. {advice}"
            )


def is_sparse(X: object) -> bool:
    """Whether ``X`` is a SciPy sparse matrix or array (without importing SciPy).

    Parameters
    ----------
    X : object
    """
    return hasattr(X, "tocsr") and hasattr(X, "nnz") and type(X).__module__.startswith("scipy")


def _check_sparse(X: Any, name: str, dt: np.dtype) -> Any:
    """A sparse ``X`` as CSR in ``dt``, checked like a dense one; its zeros never stored."""
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D of shape (n_samples, n_features); got {X.shape}.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} has shape {X.shape}: at least 1 sample and 1 feature are needed.")
    if np.iscomplexobj(X.data):
        raise ValueError(f"Complex data not supported in {name}; pass real numbers.")
    out = X.tocsr().astype(dt, copy=False)
    if not np.all(np.isfinite(out.data)):
        refuse_bad_values(
            out.data,
            f"{name} (its stored values)",
            "Remove or impute them before training.",
        )
    return out


def check_features(
    X: ArrayLike, *, name: str = "X", dtype: DTypeLike = np.float64
) -> NDArray[np.floating]:
    """Validate a feature matrix and return it as a C-contiguous float array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Numeric features. Ints, bools and float16 are upcast before checking.
    name : str, default="X"
        Argument name for error messages.
    dtype : {np.float64, np.float32}, default=np.float64
        Dtype of the result.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        Or, for a SciPy sparse ``X``, a CSR matrix of ``dtype``: sparse input is
        never densified (the first Dense layer multiplies it as it is).

    Raises
    ------
    ValueError
        If ``dtype`` is not float32 or float64, or ``X`` is not 2-D, is empty,
        is complex or non-numeric, or holds NaN or inf (the message gives the
        count and the first position).
    """
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(
            f"dtype must be float32 or float64; got {dt}. glassnet computes in float32 or "
            "float64 only: pass dtype=np.float32 or np.float64."
        )
    if is_sparse(X):
        return _check_sparse(X, name, dt)
    arr = np.asarray(X)
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported in {name}; pass real numbers.")
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be numeric; got dtype {arr.dtype}. Encode text or "
                "categorical columns as numbers first."
            ) from None
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features); got {arr.ndim}-D "
            f"shape {arr.shape}. Reshape your data: {name}.reshape(-1, 1) for a single "
            f"feature or {name}.reshape(1, -1) for a single sample."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} has shape {arr.shape}: at least 1 sample and 1 feature are needed."
        )
    out = np.ascontiguousarray(arr, dtype=dtype)
    # One pass and no temporary: any NaN or inf makes the sum non-finite. A
    # non-finite sum of finite values (overflow) falls through to the exact test.
    with np.errstate(over="ignore", invalid="ignore"):
        finite = bool(np.isfinite(np.sum(out)))
    if not finite and not np.all(np.isfinite(out)):
        refuse_bad_values(
            out,
            name,
            "Remove or impute them (for example with sklearn.impute.SimpleImputer) before "
            "training.",
        )
        raise ValueError(
            f"{name} overflows {np.dtype(dtype)}: values beyond its range became inf. "
            "Scale your features (sklearn.preprocessing.StandardScaler)."
        )
    return out


def check_sample_weight(
    sample_weight: ArrayLike, n_samples: int, *, dtype: DTypeLike, name: str = "sample_weight"
) -> NDArray[np.floating]:
    """Validate per-sample weights: shape ``(n_samples,)``, finite, ``>= 0``.

    Returns the weights as a ``dtype`` array; raises ``ValueError`` naming
    ``name``, what was expected, what came, and what to do.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,)
    n_samples : int
        The number of samples they must match.
    dtype : dtype-like
        The dtype of the returned weights.
    name : str, default="sample_weight"
        Their name in messages.
    """
    try:
        w = np.asarray(sample_weight, dtype=dtype)
    except (TypeError, ValueError):
        got = np.asarray(sample_weight).dtype
        raise ValueError(
            f"{name} must hold real numbers, one weight per sample; got dtype {got}. "
            "Pass a 1-D float array."
        ) from None
    if w.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape ({n_samples},), one weight per sample; got shape "
            f"{w.shape}. Pass a 1-D array with one weight per row of the data."
        )
    refuse_bad_values(
        w,
        name,
        "Weights must be finite and >= 0: give a sample weight 0 to leave it out.",
        negative=True,
    )
    return w


def one_hot(y: ArrayLike, n_classes: int, dtype: DTypeLike = np.float64) -> NDArray[np.floating]:
    """One-hot encode integer class indices.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer labels in ``[0, n_classes)``.
    n_classes : int
        Number of classes, at least 1.
    dtype : dtype, default=np.float64

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    if not is_int(n_classes) or n_classes < 1:
        raise ValueError(
            f"n_classes must be a positive integer; got {n_classes!r}. Pass the number of "
            "classes, e.g. int(y.max()) + 1."
        )
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"y must be 1-D integer class indices; got dtype {labels.dtype} and shape "
            f"{labels.shape}. Encode labels with sklearn.preprocessing.LabelEncoder."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"y must hold indices in [0, {n_classes}); got values from {labels.min()} "
            f"to {labels.max()}. Check n_classes, or encode labels with LabelEncoder."
        )
    out = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def minibatches(
    n_samples: int,
    batch_size: int | None,
    *,
    shuffle: bool = True,
    rng: np.random.Generator | None = None,
) -> Iterator[NDArray[np.intp] | slice]:
    """Yield index sets that cover ``range(n_samples)`` once.

    Parameters
    ----------
    n_samples : int
    batch_size : int or None
        Samples per batch, at least 1 (the last batch may be smaller); None
        means one full batch.
    shuffle : bool, default=True
        Draw a fresh permutation from ``rng``; otherwise contiguous slices.
    rng : numpy.random.Generator, optional
        Required when ``shuffle`` is True and there is more than one batch.

    Yields
    ------
    ndarray of int or slice
        Indices of one batch. Without shuffling these are slices, so
        ``X[batch]`` is a view and costs no copy.

    Raises
    ------
    ValueError
        If ``batch_size`` is not a positive integer or None, or ``shuffle``
        needs an ``rng`` that was not given.
    """
    order, size = epoch_order(n_samples, batch_size, shuffle=shuffle, rng=rng)
    if size <= 0:  # no samples: no batches
        return
    for start in range(0, n_samples, size):
        if order is None:  # contiguous rows: views, no copies
            yield slice(start, min(start + size, n_samples))
        else:
            yield order[start : start + size]


def epoch_order(
    n_samples: int,
    batch_size: int | None,
    *,
    shuffle: bool,
    rng: np.random.Generator | None,
) -> tuple[NDArray[np.intp] | None, int]:
    """One epoch's row order and batch size, as :func:`minibatches` draws them.

    Returns ``(order, size)``: batch ``b`` is ``order[b·size : (b+1)·size]``, or
    the contiguous rows ``b·size …`` when ``order`` is None (no shuffle, or one
    full batch, whose gradient does not depend on the order). A permutation is
    drawn from ``rng`` only when there is more than one batch to shuffle.

    Parameters
    ----------
    n_samples : int
    batch_size : int or None
        None: one full batch.
    shuffle : bool
    rng : numpy.random.Generator or None
        Needed when shuffling.
    """
    check_batch_size(batch_size)
    size = n_samples if batch_size is None else min(int(batch_size), n_samples)
    if size <= 0 or size >= n_samples or not shuffle:
        return None, size
    if rng is None:
        raise ValueError("minibatches(shuffle=True) needs rng, a numpy Generator.")
    return rng.permutation(n_samples), size


def sparse_t_dot(X: Any, G: NDArray[np.floating], dW: NDArray[np.floating]) -> None:
    """``dW ← Xᵀ G`` for SciPy sparse ``X``, with no dense temporary the size of ``W``.

    Only the rows of the features present in the batch are non-zero; those
    are computed (columns renumbered) and written, the rest zeroed.

    Parameters
    ----------
    X : scipy.sparse matrix or array of shape (n_samples, n_in)
    G : ndarray of shape (n_samples, n_out)
    dW : ndarray of shape (n_in, n_out)
        Overwritten with ``Xᵀ G``.
    """
    Xr = X.tocsr()  # a no-op for the CSR rows the training loop slices
    present = np.zeros(Xr.shape[1], dtype=bool)
    present[Xr.indices] = True
    cols = np.flatnonzero(present)
    renumber = np.cumsum(present, dtype=np.intp) - 1  # old column -> its rank among cols
    compact = type(Xr)((Xr.data, renumber[Xr.indices], Xr.indptr), shape=(Xr.shape[0], cols.size))
    dW.fill(0)
    dW[cols] = compact.T @ G
