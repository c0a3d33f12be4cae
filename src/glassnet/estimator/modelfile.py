"""Model files: a fitted estimator in the safe container, and back.

:func:`save` writes the estimator's exported state (architecture, classes,
hyperparameters, curves and weight arrays) through
:func:`glassnet.persist.container.write_container`; :func:`load` reads it back
through :func:`~glassnet.persist.container.read_container`, which makes every
check of the container, then checks the model's own description here (shapes
implied by the architecture, class labels, counters, curves: every field by
type and range) and ends with a smoke prediction.

The curves (one value an epoch) are float64 array members, not JSON: the
estimator's exported state holds them as lists, which :func:`save` moves into
arrays and :func:`load` puts back before the estimator imports its state.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

from .._version import __version__
from ..exceptions import UnsupportedFormatError
from ..persist.container import (
    DEFAULT_MAX_BYTES,
    DTYPES,
    MAX_CLASSES,
    MAX_LAYERS,
    MAX_WIDTH,
    META,
    Reader,
    check_int,
    read_container,
    short,
    write_container,
)
from ..persist.curves import curves_from_arrays, curves_to_arrays, implied_curves
from .classifier import MLPClassifier

__all__ = ["load", "save"]

# Estimator classes load() may rebuild, by the name save() writes.
ESTIMATORS: dict[str, Any] = {"MLPClassifier": MLPClassifier}
# The state's curves, by the names of the arrays that store them.
_CURVES = {k: k for k in ("loss_curve", "validation_scores", "validation_loss_curve")}
# Most bytes the class labels may take once their dtype is applied.
MAX_LABEL_BYTES = 1 << 30


def _model_arrays(meta: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    """The arrays a model's description implies; raises ValueError with the reason."""
    if meta.get("estimator") not in ESTIMATORS:
        raise ValueError(
            f"estimator must be one of {sorted(ESTIMATORS)}, got {short(meta.get('estimator'))}"
        )
    state = meta.get("state")
    if not isinstance(state, dict):
        raise ValueError("'state' must be a JSON object")
    version: Any = state.get("export_version")
    if not check_int(version, 1, 2**31):
        raise ValueError(f"state.export_version must be a positive integer, got {short(version)}")
    supported = int(getattr(ESTIMATORS[meta["estimator"]], "_export_version", 1))
    if version > supported:
        raise UnsupportedFormatError(
            f"its {meta['estimator']} state is in export version {version}, written by glassnet "
            f"{str(meta.get('glassnet_version', '?'))[:40]}, and this glassnet ({__version__}) "
            f"reads up to version {supported}. Upgrade glassnet (pip install --upgrade "
            "glassnet) to load it."
        )
    arch = state.get("architecture")
    if not isinstance(arch, dict):
        raise ValueError("state.architecture must be a JSON object")
    sizes = arch.get("layer_sizes")
    if (
        not isinstance(sizes, list)
        or not 2 <= len(sizes) <= MAX_LAYERS + 1
        or not all(check_int(s, 1, MAX_WIDTH) for s in sizes)
    ):
        raise ValueError(
            f"state.architecture.layer_sizes must be 2 to {MAX_LAYERS + 1} positive widths "
            f"up to {MAX_WIDTH}, got {short(sizes)}"
        )
    hyper = state.get("hyperparameters")
    if not isinstance(hyper, dict) or not all(isinstance(k, str) for k in hyper):
        raise ValueError("state.hyperparameters must be a JSON object")
    if hyper.get("activation") != arch.get("activation"):
        raise ValueError(
            f"hyperparameters.activation {short(hyper.get('activation'))} differs from "
            f"architecture.activation {short(arch.get('activation'))}"
        )
    dtype = arch.get("dtype")
    if dtype not in DTYPES:
        raise ValueError(
            f"state.architecture.dtype must be one of {sorted(DTYPES)}, got {short(dtype)}"
        )
    n_features = state.get("n_features_in")
    if n_features != sizes[0]:
        raise ValueError(f"n_features_in {short(n_features)} != input width {sizes[0]}")
    names = state.get("feature_names_in")
    if names is not None and (
        not isinstance(names, list)
        or len(names) != n_features
        or not all(isinstance(n, str) for n in names)
    ):
        raise ValueError(f"feature_names_in must be null or {n_features} strings")
    classes = _check_classes(state.get("classes"))
    if sizes[-1] != len(classes):
        raise ValueError(f"{len(classes)} classes but an output width of {sizes[-1]}")
    _check_fields(meta["estimator"], state, arch, hyper, sizes)
    out: dict[str, tuple[tuple[int, ...], str]] = {}
    for i in range(len(sizes) - 1):
        out[f"coefs_{i}"] = ((sizes[i], sizes[i + 1]), dtype)
        out[f"intercepts_{i}"] = ((sizes[i + 1],), dtype)
    return out | implied_curves(state, _CURVES, "state.")


def _check_fields(
    estimator: str, state: dict[str, Any], arch: dict[str, Any], hyper: dict[str, Any], sizes: Any
) -> None:
    """Counters, scores and the rest of what ``_export_state`` writes, by type and range."""
    if state.get("estimator", estimator) != estimator:
        raise ValueError(f"state.estimator {short(state.get('estimator'))} != {estimator!r}")
    if arch.get("out_activation") not in ("softmax", "logistic"):
        raise ValueError(
            "architecture.out_activation must be 'softmax' or 'logistic' (multilabel), got "
            f"{short(arch.get('out_activation'))}"
        )
    hidden = hyper.get("hidden_layer_sizes")
    hidden = [hidden] if check_int(hidden, 1, MAX_WIDTH) else hidden
    if hidden != sizes[1:-1]:
        raise ValueError(
            f"hyperparameters.hidden_layer_sizes {short(hyper.get('hidden_layer_sizes'))} "
            f"disagrees with the hidden widths {sizes[1:-1]} of architecture.layer_sizes"
        )
    for key in ("n_iter", "t"):
        if not check_int(state.get(key), 0, 2**62):
            raise ValueError(f"{key} must be a non-negative integer, got {short(state.get(key))}")
    for key, inf in [
        ("loss", False),
        ("best_validation_score", False),
        ("best_loss", True),
        ("best_validation_loss", True),
    ]:
        value = state.get(key, ...)
        finite = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (value is None or (finite and math.isfinite(value)) or (inf and value == "inf")):
            also = ', or "inf"' if inf else ""
            raise ValueError(
                f"{key} must be null or a finite number{also}; got "
                f"{'nothing' if value is ... else short(value)}"
            )


# Label type tags, the Python types their JSON values must have, and the
# dtype kinds that hold them.
_LABEL_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "USO"),
    "int": ((int,), "iuO"),
    "float": ((float, int), "fO"),
    "bool": ((bool,), "bO"),
}


def _check_classes(spec: Any) -> list[Any]:
    """Check the class labels: tag, dtype, count, values, and the values once cast.

    Forged dtypes must not merge or change labels ("|b1" turns 5 and 7 into
    True twice, "<U1" cuts "ab" and "ac" to "a", "<f2" turns 1e10 into inf):
    the values must survive the cast unchanged, distinct and sorted, as
    ``np.unique`` gives them.
    """
    if not isinstance(spec, dict) or not {"type", "values"} <= set(spec):
        raise ValueError("classes must be an object with a type tag and values")
    tag, values = spec["type"], spec["values"]
    if tag not in _LABEL_TYPES:
        raise ValueError(f"classes type must be one of {sorted(_LABEL_TYPES)}, got {short(tag)}")
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_CLASSES:
        raise ValueError(f"expected 1 to {MAX_CLASSES} classes, got {short(values)}")
    allowed, kinds = _LABEL_TYPES[tag]
    for v in values:
        if not isinstance(v, allowed) or (tag != "bool" and isinstance(v, bool)):
            raise ValueError(f"class label {short(v)} is not of type {tag}")
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"class label {short(v)} is not finite")
    if len(set(values)) != len(values):
        raise ValueError("class labels repeat")
    if values != sorted(values):
        raise ValueError(f"class labels must be sorted (as np.unique gives them): {short(values)}")
    try:
        dt = np.dtype(spec.get("dtype"))
    except Exception as exc:
        raise ValueError(f"classes dtype {short(spec.get('dtype'))} is not a dtype") from exc
    if dt.kind not in kinds:
        raise ValueError(f"classes dtype {dt.str} does not hold {tag} labels")
    if tag == "str" and dt.kind != "O":
        # No giant fixed-width strings to allocate: at most what the longest label needs
        # (or 4 KiB), and at most MAX_LABEL_BYTES in all.
        unit = 4 if dt.kind == "U" else 1
        need = max(len(v) if unit == 4 else len(v.encode("utf-8")) for v in values) * unit
        if dt.itemsize > max(need, 4096) or dt.itemsize * len(values) > MAX_LABEL_BYTES:
            raise ValueError(f"classes dtype {dt} is not allowed for labels {short(values)}")
    if dt.kind != "O":
        try:
            with np.errstate(all="raise"), warnings.catch_warnings():
                warnings.simplefilter("error")
                items = [v.encode("utf-8") for v in values] if dt.kind == "S" else values
                cast = np.array(items, dtype=dt).tolist()
            back = [v.decode("utf-8") for v in cast] if dt.kind == "S" else cast
        except Exception:
            back = None
        if back != values:
            raise ValueError(f"class labels {short(values)} do not survive the dtype {dt}")
    return values


def save(estimator: Any, path: str | os.PathLike[str]) -> None:
    """Save a fitted estimator to a glassnet model file, atomically and without pickle.

    Parameters
    ----------
    estimator : MLPClassifier
        A fitted glassnet estimator.
    path : str or path-like
        Destination, conventionally ending in ``.glassnet``. A crash mid-save
        leaves any previous file there whole.

    Raises
    ------
    TypeError
        If ``estimator`` is not a glassnet estimator.
    sklearn.exceptions.NotFittedError
        If it is not fitted.
    OSError
        If the file cannot be written.

    See Also
    --------
    load : Read it back, with every check.

    Notes
    -----
    ``pickle.dumps(estimator)`` works too (joblib and ``GridSearchCV`` need
    it), but loading a pickle runs code chosen by whoever wrote the file:
    unpickle only files you trust. A glassnet file holds data only.
    """
    name = type(estimator).__name__
    export = getattr(estimator, "_export_state", None)
    if name not in ESTIMATORS or export is None:
        raise TypeError(
            f"estimator must be a fitted glassnet estimator ({', '.join(sorted(ESTIMATORS))}); "
            f"got {name}. Other objects can be saved with joblib or pickle, for trusted use."
        )
    state, arrays = export()
    hyper = dict(state["hyperparameters"])
    for key, value in hyper.items():
        if isinstance(value, np.ndarray):  # hidden_layer_sizes=np.array([3, 2]) fits too
            hyper[key] = value.tolist()
    # Curves grow an entry an epoch: float64 arrays, not JSON (meta.json is capped).
    state, curves = curves_to_arrays({**state, "hyperparameters": hyper}, _CURVES)
    write_container(path, "model", {"estimator": name, "state": state}, {**arrays, **curves})


def load(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Load a model saved by :func:`save`, checking everything; never unpickles.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`glassnet.save`.
    max_bytes : int, default=1 GiB
        Refuse files larger than this.

    Returns
    -------
    MLPClassifier
        The fitted estimator, predicting exactly as the saved one did.

    Raises
    ------
    ModelFileError
        If the file is missing, damaged, forged, or not a glassnet model file;
        the message names the path, the member and the reason.
    UnsupportedFormatError
        If it was written in a newer format (upgrade glassnet to read it).
    """
    r = Reader(os.fspath(path))
    meta, arrays = read_container(path, "model", _model_arrays, max_bytes=max_bytes)
    # 10. rebuild and smoke-test: the estimator must predict on a zero row.
    try:
        cls = ESTIMATORS[meta["estimator"]]
        state = curves_from_arrays(meta["state"], _CURVES, arrays)
        weights = {k: v for k, v in arrays.items() if k not in _CURVES.values()}
        hidden = state["hyperparameters"]["hidden_layer_sizes"]
        if isinstance(hidden, int):  # as the user gave it: MLPClassifier(hidden_layer_sizes=7)
            state["hyperparameters"] = {**state["hyperparameters"], "hidden_layer_sizes": [hidden]}
        estimator = cls._import_state(state, weights)
        if isinstance(hidden, int):
            estimator.set_params(hidden_layer_sizes=hidden)
        n_features = meta["state"]["n_features_in"]
        dtype = DTYPES[meta["state"]["architecture"]["dtype"]]
        with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
            # The zero row has no column names, which a model fitted on a DataFrame notes.
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            proba = np.asarray(estimator.predict_proba(np.zeros((1, n_features), dtype=dtype)))
        ok = proba.shape == (1, len(meta["state"]["classes"]["values"]))
        ok = ok and bool(np.all(np.isfinite(proba)))
        if meta["state"]["architecture"]["out_activation"] == "logistic":
            ok = ok and bool(np.all((proba >= 0) & (proba <= 1)))  # one probability per label
        else:
            ok = ok and abs(float(proba.sum()) - 1.0) < 1e-4
    except Exception as exc:
        r.fail(META, f"the model cannot be rebuilt from its description ({exc})", exc)
    if not ok:
        r.fail(None, "the rebuilt model's smoke prediction is not a probability row")
    return estimator
