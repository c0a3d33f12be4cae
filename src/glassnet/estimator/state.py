"""The fitted state as JSON-safe metadata plus named arrays, and back (no pickle).

:func:`export_state` and :func:`import_state` are what ``MLPClassifier``'s
``_export_state`` / ``_import_state`` hooks run for :func:`glassnet.save` and
:func:`glassnet.load`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
from numpy.typing import NDArray
from sklearn.utils.validation import check_is_fitted

from .base import MLPBase

__all__ = [
    "EXPORT_VERSION",
    "StateHooks",
    "curve",
    "decode_labels",
    "encode_labels",
    "export_state",
    "finite",
    "import_state",
    "json_safe",
]

Estimator = TypeVar("Estimator", bound=MLPBase)

#: The newest layout of the exported state (glassnet.load refuses a newer one).
EXPORT_VERSION = 1


def json_safe(value: Any) -> Any:
    """Hyperparameter values as JSON types (tuples to lists, NumPy scalars to Python).

    Parameters
    ----------
    value : object
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "inf" (n_iter_no_change): JSON has no infinity
    return value


def finite(value: Any) -> Any:
    """Undo :func:`json_safe` for a number: "inf" back to a float.

    Parameters
    ----------
    value : object
    """
    return float(value) if isinstance(value, str) else value


def curve(values: Sequence[float] | None) -> list[float] | None:
    """A curve as a list of plain floats (JSON), or None for a curve not kept.

    Parameters
    ----------
    values : sequence of float or None
    """
    return None if values is None else [float(v) for v in values]


def encode_labels(values: NDArray[Any]) -> dict[str, Any]:
    """JSON-safe description of a label array that :func:`decode_labels` reverses exactly.

    Parameters
    ----------
    values : ndarray of shape (n_classes,)
    """
    kind = values.dtype.kind
    items = [v.item() if isinstance(v, np.generic) else v for v in values.tolist()]
    if kind == "O":
        kinds = {type(v) for v in items}
        if kinds <= {str}:
            tag = "str"
        elif kinds <= {bool}:
            tag = "bool"
        elif kinds <= {int}:
            tag = "int"
        elif kinds <= {float}:
            tag = "float"
        else:
            raise ValueError(
                f"classes_ mixes label types {sorted(k.__name__ for k in kinds)}; "
                "only str, int, float or bool labels can be exported."
            )
    else:
        found = {"U": "str", "S": "str", "b": "bool", "i": "int", "u": "int", "f": "float"}.get(
            kind
        )
        if found is None:
            raise ValueError(f"classes_ has dtype {values.dtype}, which cannot be exported.")
        tag = found
        if kind == "S":
            items = [v.decode("utf-8") for v in items]
    return {"type": tag, "dtype": values.dtype.str, "values": items}


def decode_labels(spec: Mapping[str, Any]) -> NDArray[Any]:
    """The label array :func:`encode_labels` described.

    Parameters
    ----------
    spec : mapping
        With "type", "dtype" and "values".
    """
    tag = spec["type"]
    python_type = {"str": str, "int": int, "float": float, "bool": bool}[tag]
    values = [python_type(v) for v in spec["values"]]
    dtype = np.dtype(spec["dtype"])
    if dtype.kind == "O":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    if dtype.kind == "S":
        return np.array([v.encode("utf-8") for v in values], dtype=dtype)
    return np.array(values, dtype=dtype)


def export_state(est: MLPBase) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """The fitted state as JSON-safe metadata plus named arrays.

    Parameters
    ----------
    est : MLPClassifier
        Fitted.

    Returns
    -------
    meta : dict
        Hyperparameters, classes with a type tag, feature names, counters,
        curves and architecture, all JSON-serialisable.
    arrays : dict of str to ndarray
        ``"coefs_0"``, ``"intercepts_0"``, ... in the model's dtype.
    """
    check_is_fitted(est)
    hyper: dict[str, Any] = {}
    for name, value in est.get_params().items():
        if name == "random_state" and not (value is None or isinstance(value, numbers.Integral)):
            value = None  # a generator object has no JSON form; the fit is done anyway
        elif name == "dtype" and value is not None:
            value = np.dtype(value).name
        elif name == "class_weight" and isinstance(value, Mapping):
            value = [[json_safe(k), float(v)] for k, v in value.items()]
        elif name == "checkpoint_path":
            value = None  # a model file never chooses where its user's process writes
        hyper[name] = json_safe(value)

    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    meta: dict[str, Any] = {
        "export_version": EXPORT_VERSION,
        "estimator": type(est).__name__,
        "hyperparameters": hyper,
        "classes": encode_labels(np.asarray(est.classes_)),
        "feature_names_in": (
            [str(c) for c in est.feature_names_in_] if hasattr(est, "feature_names_in_") else None
        ),
        "n_features_in": int(est.n_features_in_),
        "n_iter": int(est.n_iter_),
        "t": int(est.t_),
        "loss": number(getattr(est, "loss_", None)),
        "best_loss": json_safe(number(est.best_loss_)),
        "best_validation_score": number(est.best_validation_score_),
        "best_validation_loss": json_safe(number(est.best_validation_loss_)),
        "loss_curve": curve(est.loss_curve_),
        "validation_scores": curve(est.validation_scores_),
        "validation_loss_curve": curve(est.validation_loss_curve_),
        "stopped_by": str(getattr(est, "stopped_by_", "")),
        "route": str(getattr(est, "route_", "")),
        "route_reason": str(getattr(est, "route_reason_", "")),
        "architecture": {
            "layer_sizes": [int(est.coefs_[0].shape[0])] + [int(c.shape[1]) for c in est.coefs_],
            "activation": est.activation,
            "out_activation": est.out_activation_,
            "dtype": est.coefs_[0].dtype.name,
        },
    }
    arrays: dict[str, NDArray[Any]] = {}
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        arrays[f"coefs_{i}"] = np.ascontiguousarray(W)
        arrays[f"intercepts_{i}"] = np.ascontiguousarray(b)
    return meta, arrays


def import_state(
    cls: Callable[..., Estimator], meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]
) -> Estimator:
    """Rebuild a fitted estimator from what :func:`export_state` returned.

    Parameters
    ----------
    cls : type
        The estimator's class (MLPClassifier), called with the hyperparameters.
    meta : mapping
        The metadata dict.
    arrays : mapping of str to ndarray
        The named weight arrays.

    Returns
    -------
    MLPClassifier
        Fitted and ready to predict.

    Raises
    ------
    ValueError
        When an array is missing, extra, or its shape or dtype disagrees
        with the architecture.
    """
    hyper = dict(meta["hyperparameters"])
    hyper["checkpoint_path"] = None  # never taken from a file (it would choose a path to write)
    hyper["hidden_layer_sizes"] = tuple(hyper["hidden_layer_sizes"])
    hyper["n_iter_no_change"] = finite(hyper["n_iter_no_change"])
    if isinstance(hyper.get("class_weight"), list):
        hyper["class_weight"] = {k: float(v) for k, v in hyper["class_weight"]}
    est = cls(**hyper)
    est._validate_params()  # types and ranges, as fit would check them
    arch = meta["architecture"]
    sizes = [int(s) for s in arch["layer_sizes"]]
    dtype = np.dtype(arch["dtype"])
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"architecture dtype must be float32 or float64; got {dtype}.")
    n_layers = len(sizes) - 1
    expected: dict[str, tuple[int, ...]] = {
        f"coefs_{i}": (sizes[i], sizes[i + 1]) for i in range(n_layers)
    }
    expected |= {f"intercepts_{i}": (sizes[i + 1],) for i in range(n_layers)}
    if set(arrays) != set(expected):
        raise ValueError(
            f"arrays must be exactly {sorted(expected)} for layer sizes {sizes}; "
            f"got {sorted(arrays)}."
        )
    for name, shape in expected.items():
        arr = arrays[name]
        if arr.shape != shape or arr.dtype != dtype:
            raise ValueError(
                f"array {name!r} must have shape {shape} and dtype {dtype} for layer "
                f"sizes {sizes}; got shape {arr.shape} and dtype {arr.dtype}."
            )
    classes = decode_labels(meta["classes"])
    if len(classes) != sizes[-1] or sizes[0] != int(meta["n_features_in"]):
        raise ValueError(
            f"the architecture {sizes} does not match {len(classes)} classes and "
            f"{meta['n_features_in']} features."
        )
    est.coefs_ = [np.array(arrays[f"coefs_{i}"]) for i in range(n_layers)]
    est.intercepts_ = [np.array(arrays[f"intercepts_{i}"]) for i in range(n_layers)]
    est.classes_ = classes
    est.n_features_in_ = int(meta["n_features_in"])
    if meta.get("feature_names_in") is not None:
        est.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
    est.n_layers_ = len(sizes)
    est.n_outputs_ = sizes[-1]
    est.out_activation_ = str(arch["out_activation"])
    est.n_iter_ = int(meta["n_iter"])
    est.t_ = int(meta["t"])
    if meta.get("loss") is not None:
        est.loss_ = float(meta["loss"])
    est.best_loss_ = finite(meta["best_loss"])
    est.loss_curve_ = list(meta["loss_curve"] or [])
    est.validation_scores_ = meta["validation_scores"]
    est.validation_loss_curve_ = meta["validation_loss_curve"]
    est.best_validation_score_ = meta["best_validation_score"]
    est.best_validation_loss_ = finite(meta["best_validation_loss"])
    est.interrupted_ = False
    # Added after export version 1 began: absent from older files.
    est.stopped_by_, est.route_, est.route_reason_ = (
        _text(meta, "stopped_by"),
        _text(meta, "route"),
        _text(meta, "route_reason"),
    )
    est._no_improvement_count = 0
    return est


def _text(meta: Mapping[str, Any], key: str) -> str:
    """A short descriptive string of the metadata ("" when absent)."""
    value = meta.get(key, "")
    if not isinstance(value, str) or len(value) > 2000:
        raise ValueError(f"{key} must be a string of at most 2000 characters; got {value!r:.80}.")
    return value


class StateHooks(MLPBase):
    """The safe persistence hooks :func:`glassnet.save` and :func:`glassnet.load` call.

    Mixed into :class:`glassnet.MLPClassifier`: ``_export_state`` runs
    :func:`export_state`, ``_import_state`` runs :func:`import_state`, and
    ``_export_version`` is the newest layout they write and read
    (``glassnet.load`` refuses a newer one, asking for an upgrade). No pickle.
    """

    _export_version: ClassVar[int] = EXPORT_VERSION

    def _export_state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """The fitted state as JSON-safe metadata plus named arrays."""
        return export_state(self)

    @classmethod
    def _import_state(
        cls: type[Estimator], meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]
    ) -> Estimator:
        """Rebuild a fitted estimator from what ``_export_state`` returned."""
        return import_state(cls, meta, arrays)
