"""The estimator's input checks, in scikit-learn's terms and the user's names.

Text columns, target shape and values, sample and class weights, hidden
sizes, the computing dtype, the scale of X, and labels turned into class
indices. Each check raises ``ValueError`` naming the argument, what was
expected, what came, and what to do.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.multiclass import unique_labels

from ..core.data import check_sample_weight, is_sparse, refuse_bad_values

__all__ = [
    "HUGE_X",
    "TINY_X",
    "as_python",
    "check_no_text",
    "check_scale",
    "check_targets",
    "check_weights",
    "class_weight_vector",
    "encode_targets",
    "hidden_sizes",
    "make_rng",
    "resolve_dtype",
]

Array = NDArray[np.floating]

#: Above this max ``|x|``, fit warns that the features need scaling.
HUGE_X = 1e6
#: Below this max ``|x|`` (with some spread), fit warns likewise: the first
#: layer's inputs are too small for its starting weights to tell samples apart.
TINY_X = 1e-4

_SCALE = (
    "Put sklearn.preprocessing.StandardScaler in front (make_pipeline(StandardScaler(), "
    "MLPClassifier()))."
)


def make_rng(random_state: Any) -> np.random.Generator:
    """Turn scikit-learn's ``random_state`` (or a Generator) into a Generator.

    None draws fresh OS entropy rather than touching NumPy's global state.

    Parameters
    ----------
    random_state : int, RandomState, Generator or None
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(np.iinfo(np.int32).max)))
    return np.random.default_rng(int(random_state))


def as_python(values: Any) -> Any:
    """Labels as plain Python values, so messages read ``[0, 1]``, not ``[np.int64(0), ...]``.

    Parameters
    ----------
    values : ndarray, NumPy scalar or object
    """
    if isinstance(values, np.ndarray):
        return [as_python(v) for v in values.tolist()]
    return values.item() if isinstance(values, np.generic) else values


def check_weights(
    sample_weight: ArrayLike | None, n_samples: int, name: str = "sample_weight"
) -> Array | None:
    """Validate ``sample_weight``: one finite, non-negative weight per sample, not all zero.

    A single number weighs every sample alike (scikit-learn's rule).

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), number or None
    n_samples : int
    name : str, default="sample_weight"
        The argument's name in messages.

    Returns
    -------
    ndarray of shape (n_samples,) or None
    """
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.ndim == 0:
        w = np.full(n_samples, w)
    w = check_sample_weight(w, n_samples, dtype=np.float64, name=name)
    if not np.any(w > 0):
        raise ValueError(
            f"{name} is zero for every sample: at least one weight must be "
            "positive for the loss to be defined. Check how the weights were built."
        )
    return w


def check_no_text(X: Any, name: str = "X") -> None:
    """Name the first non-numeric column of a DataFrame, or the first text cell of an array.

    scikit-learn's own message names neither.

    Parameters
    ----------
    X : DataFrame, ndarray or other array-like
    name : str, default="X"
        The argument's name in messages.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        _check_no_text_cells(X, name)
        return
    for column, dt in dtypes.items():
        if getattr(dt, "kind", "O") not in "biuf":
            raise ValueError(
                f"{name} column {column!r} has dtype {dt}, which is not numeric. MLPClassifier "
                "needs numbers: encode text or categorical columns first (for example "
                "with sklearn.preprocessing.OneHotEncoder in a ColumnTransformer)."
            )


def _check_no_text_cells(X: Any, name: str) -> None:
    """Name the column and row of the first text cell of an object or string array."""
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "OUS" or X.ndim != 2:
        return
    for j in range(X.shape[1]):
        for i, value in enumerate(X[:, j]):
            if not isinstance(value, (str, bytes)):
                continue  # other objects get scikit-learn's own error
            try:
                float(value)
            except ValueError:
                raise ValueError(
                    f"{name} column {j} holds text: {value!r} at row {i} cannot be read as a "
                    "number. MLPClassifier needs numbers: encode text or categorical columns "
                    "first (for example with sklearn.preprocessing.OneHotEncoder)."
                ) from None


def check_targets(y: Any, name: str = "y", multilabel: bool = False) -> None:
    """Reject 2-D targets (but indicator matrices when allowed), mixed types, non-finite labels.

    Parameters
    ----------
    y : array-like or None
    name : str, default="y"
        The argument's name in messages.
    multilabel : bool, default=False
        Whether ``y`` may be a multilabel indicator matrix (checked by the caller).
    """
    if y is None or (multilabel and is_sparse(y)):
        return  # validate_data explains that y is required; sparse y is an indicator
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] > 1:
        if multilabel:
            return
        indicator = ", or a multilabel indicator matrix of 0/1" if name == "y" else ""
        raise ValueError(
            f"{name} must be 1-D, one label per sample{indicator}; got shape {arr.shape}. "
            "Multi-output targets (several labels per column) are not supported: train "
            "one classifier per column (sklearn.multioutput.MultiOutputClassifier)."
        )
    if arr.dtype.kind == "O":
        kinds = {"str" if isinstance(v, (str, np.str_)) else "number" for v in arr.ravel()}
        if len(kinds) > 1:
            first_str = next(i for i, v in enumerate(arr.ravel()) if isinstance(v, str))
            first_num = next(i for i, v in enumerate(arr.ravel()) if not isinstance(v, str))
            raise ValueError(
                f"Mix of label input types (string and number) in {name}: position "
                f"{first_str} holds {arr.ravel()[first_str]!r}, position {first_num} holds "
                f"{arr.ravel()[first_num]!r}. Convert every label to one type, e.g. "
                f"{name}.astype(str)."
            )
    if arr.dtype.kind == "f":
        refuse_bad_values(arr, name, "Drop those samples or fill in their labels before fitting.")


def hidden_sizes(value: Any) -> list[int]:
    """The hidden widths as a list of positive ints, or a ValueError naming the bad entry.

    Parameters
    ----------
    value : int or iterable of int
        ``hidden_layer_sizes``.
    """
    sizes = [value] if isinstance(value, numbers.Integral) else list(value)
    for i, s in enumerate(sizes):
        if not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 1:
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers (the width of each hidden "
                f"layer); got {value!r}, whose entry {i} is {s!r}. For example (32, 32)."
            )
    return [int(s) for s in sizes]


def resolve_dtype(dtype: Any, X_dtype: np.dtype) -> np.dtype:
    """The computing dtype: ``dtype`` if given, else float32 for float32 X, else float64.

    Parameters
    ----------
    dtype : None, str, type or np.dtype
        The estimator's ``dtype``.
    X_dtype : np.dtype
        The validated X's dtype.
    """
    if dtype is None:
        return np.dtype(np.float32) if X_dtype == np.float32 else np.dtype(np.float64)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(
            f"dtype must be None, 'float32' or 'float64'; got {dtype!r}. glassnet never "
            "computes in float16 or integer types."
        )
    return dt


def check_scale(X: Array, stacklevel: int) -> float:
    """Warn when the features are far too large or too small for the network; return max ``|x|``.

    Tiny features (max ``|x|`` under :data:`TINY_X`, not all equal) barely
    move the first layer's pre-activations away from its biases, so every
    sample looks alike and the fit settles on a near-constant model.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    stacklevel : int
        Of the warning, counted from this function's caller.
    """
    if is_sparse(X):  # its stored values, and the zeros it does not store
        Xs: Any = X
        zeros = [0.0] if Xs.nnz < Xs.shape[0] * Xs.shape[1] else []
        values = np.concatenate([Xs.data, zeros])
    else:
        values = X
    top, bottom = float(np.max(values)), float(np.min(values))
    big = max(top, -bottom)  # max |x|, without a copy
    if big < TINY_X and top > bottom:
        warnings.warn(
            f"X holds values no larger than {big:.3g} in magnitude: inputs as small as that "
            "barely reach the first layer, and the network learns a near-constant model. "
            f"{_SCALE}",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
    if big > HUGE_X:
        warnings.warn(
            f"X holds values as large as {big:.3g} in magnitude; the network trains "
            f"poorly (or diverges) on unscaled features. {_SCALE}",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
    return big


def encode_targets(
    y: NDArray[Any], labels: NDArray[Any], name: str, known: bool = False
) -> NDArray[np.intp]:
    """Map labels to indices into ``labels``; unknown labels raise, naming them.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    labels : ndarray of shape (n_classes,)
        Sorted.
    name : str
        The argument's name in messages.
    known : bool, default=False
        Skip the search for unknown labels (``labels`` came from ``y`` itself).
    """
    unknown = np.empty(0) if known else np.setdiff1d(unique_labels(y), labels)
    if unknown.size:
        raise ValueError(
            f"{name} holds labels {as_python(unknown)!r} that are not among the classes "
            f"{as_python(labels)!r}. For partial_fit, list every label in `classes` on "
            "the first call."
        )
    k = len(labels)
    ints = labels.dtype.kind in "iu" and y.dtype.kind in "iu"
    if ints and k and labels[0] == 0 and labels[-1] == k - 1:
        # Sorted unique integers from 0 to k-1 are 0, 1, …, k-1: each label is its index.
        return y.astype(np.intp)
    return np.searchsorted(labels, y).astype(np.intp)


def class_weight_vector(
    class_weight: Mapping[Any, float] | str | None,
    labels: NDArray[Any],
    y_idx: NDArray[np.intp],
    sw: Array | None,
) -> Array | None:
    """One weight per class from ``class_weight`` (a dict, "balanced" or None).

    Parameters
    ----------
    class_weight : dict, "balanced" or None
    labels : ndarray of shape (n_classes,)
    y_idx : ndarray of shape (n_samples,)
        Class indices.
    sw : ndarray of shape (n_samples,) or None
        Sample weights ("balanced" counts them).
    """
    cw = class_weight
    if cw is None:
        return None
    k = len(labels)
    if isinstance(cw, str):  # "balanced": total / (K · total_k), totals over the weights
        totals = np.bincount(y_idx, weights=sw, minlength=k).astype(np.float64)
        out = np.zeros(k)
        present = totals > 0
        out[present] = totals.sum() / (np.count_nonzero(present) * totals[present])
        return out
    out = np.ones(k)
    index = {label: i for i, label in enumerate(labels.tolist())}
    for key, value in cw.items():
        key_item = key.item() if isinstance(key, np.generic) else key
        if key_item not in index:
            raise ValueError(
                f"class_weight has the label {key!r}, which is not a class of y "
                f"{as_python(labels)!r}. Use the labels as they appear in y."
            )
        w = float(value)
        if not (math.isfinite(w) and w >= 0):
            raise ValueError(f"class_weight[{key!r}] must be a finite number >= 0; got {value!r}.")
        out[index[key_item]] = w
    return out
