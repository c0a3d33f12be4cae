"""A checkpoint's description: its JSON forms and the checks made before resuming.

:mod:`glassnet.persist.checkpoint` writes and resumes checkpoints; this
module holds what both sides share: the generator state as JSON and back
(through NumPy's own validating setter), the curves as arrays (the run's
history, and the float lists among the caller's ``extra`` records, so a run
of any length checkpoints), and the checks of the tables that name each
array, made before anything of the caller's is changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .curves import curves_to_arrays, implied_curves
from .members import MAX_ARRAYS

__all__ = [
    "CURVES",
    "expected_arrays",
    "extra_curve_names",
    "from_jsonable",
    "history_names",
    "jsonable",
    "restore_generator",
    "short_json",
    "split_extra_curves",
]

# Bit generators a checkpoint may name; the state is set through NumPy's own
# validating setter.
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")  # History's curves


def history_names() -> dict[str, str]:
    """History curve to the name of the array that stores it."""
    return {key: f"history_{key}" for key in CURVES}


def split_extra_curves(extra: Any) -> tuple[Any, dict[str, str], dict[str, NDArray[np.float64]]]:
    """Move the non-empty float lists among ``extra``'s top-level values into arrays.

    An estimator keeps its curves there (``loss_curve``...), one value an
    epoch. Only lists of Python floats move, so a list of ints stays JSON
    and comes back as ints.

    Parameters
    ----------
    extra : object
        The caller's records; only a dict has curves to move.

    Returns
    -------
    extra : object
        A copy with each moved list replaced by a reference.
    names : dict of str to str
        The moved keys and their array names (stored as ``extra_curves``).
    arrays : dict of str to ndarray
    """
    if not isinstance(extra, dict):
        return extra, {}, {}
    keys = [
        k
        for k, v in extra.items()
        if isinstance(v, list) and v and all(type(x) is float for x in v)
    ]
    names = {str(k): f"extra_curve_{i}" for i, k in enumerate(keys)}
    out, arrays = curves_to_arrays({str(k): v for k, v in extra.items()}, names)
    return out, names, arrays


def extra_curve_names(meta: Mapping[str, Any]) -> dict[str, str]:
    """The ``extra_curves`` table of a checkpoint read from a file, checked.

    Parameters
    ----------
    meta : mapping
        The parsed ``meta.json``.
    """
    names = meta.get("extra_curves", {})  # absent in format version 1
    if (
        not isinstance(names, dict)
        or len(names) > MAX_ARRAYS
        or not all(isinstance(v, str) for v in names.values())
        or (names and not isinstance(meta.get("extra"), dict))
    ):
        raise ValueError(
            f"extra_curves must map keys of extra to array names, got {short_json(names)}"
        )
    return names


def jsonable(value: Any) -> Any:
    """A generator state as JSON (integer arrays tagged with their dtype).

    Parameters
    ----------
    value : object
        ``bit_generator.state`` or a part of it.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"ndarray": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_jsonable(value: Any) -> Any:
    """Undo :func:`jsonable`; only integer arrays.

    Parameters
    ----------
    value : object
        What :func:`jsonable` wrote, read from a file.
    """
    if isinstance(value, dict):
        if set(value) == {"ndarray", "dtype"}:
            dtype = np.dtype(value["dtype"])
            if dtype.kind not in "iu":
                raise ValueError(f"generator state arrays must be integers, got {dtype}")
            return np.array(value["ndarray"], dtype=dtype)
        return {k: from_jsonable(v) for k, v in value.items()}
    return value


def restore_generator(state: Any) -> np.random.Generator:
    """A Generator in the saved state, set through NumPy's validating setter.

    Parameters
    ----------
    state : object
        The checkpoint's ``rng`` entry.
    """
    if not isinstance(state, dict) or state.get("bit_generator") not in _BIT_GENERATORS:
        raise ValueError(f"rng.bit_generator must be one of {list(_BIT_GENERATORS)}")
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = from_jsonable(state)
    return np.random.Generator(bit_generator)


def short_json(value: Any) -> str:
    """``value`` as JSON, cut to 80 characters for a message.

    Parameters
    ----------
    value : object
        JSON data.
    """
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _table(value: Any, where: str, keys: tuple[str, ...]) -> list[dict[str, str]]:
    """Check that ``value`` (the table at ``where``) lists objects of string ``keys``."""
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list, got {type(value).__name__}")
    if len(value) > MAX_ARRAYS:
        raise ValueError(f"{where} has {len(value)} entries, over the limit of {MAX_ARRAYS}")
    for i, entry in enumerate(value):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in keys):
            raise ValueError(
                f"{where}[{i}] must be an object with string {', '.join(keys)}, got "
                f"{short_json(entry)}"
            )
    return value


def expected_arrays(meta: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    """The arrays a checkpoint's description names, each exactly once; raises ValueError.

    The shapes are the declared ones (a checkpoint has no architecture of its
    own: :func:`~glassnet.resume` compares them with the live model), except
    the curves', which their references imply. ``read_container`` has already
    checked the array table itself (names, shapes, dtypes).

    Parameters
    ----------
    meta : dict
        The parsed ``meta.json``.
    """
    declared = {e["name"]: (tuple(e["shape"]), e["dtype"]) for e in meta["arrays"]}
    if not isinstance(meta.get("parameters"), list) or not isinstance(meta.get("optimizer"), dict):
        raise ValueError("a checkpoint needs 'parameters' and 'optimizer' tables")
    params = _table(meta["parameters"], "parameters", ("name", "array"))
    slots = _table(meta["optimizer"].get("slots"), "optimizer.slots", ("param", "slot", "array"))
    extra = _table(meta.get("extra_arrays", []), "extra_arrays", ("name", "array"))
    names = [p["name"] for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"the parameter table repeats a name: {short_json(names)}")
    history = meta.get("history")
    if not isinstance(history, dict):
        raise ValueError("history must be an object of curves")
    curves = implied_curves(history, history_names(), "history.")
    curves |= implied_curves(meta.get("extra") or {}, extra_curve_names(meta), "extra.")
    used = [e["array"] for e in (*params, *slots, *extra)] + list(curves)
    if sorted(used) != sorted(declared):
        raise ValueError(
            f"the parameter, slot, extra and curve tables name the arrays "
            f"{short_json(sorted(used))}, but the file declares {short_json(sorted(declared))}: "
            "each array must be named exactly once"
        )
    for name, implied in curves.items():
        if declared[name] != implied:
            raise ValueError(f"curve array {name!r} is {declared[name]}, expected {implied}")
    for key in ("epoch", "n_steps"):
        value = meta.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{key} must be a non-negative integer, got {value!r}")
    return declared
