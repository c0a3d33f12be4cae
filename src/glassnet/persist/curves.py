"""Training curves stored as float64 arrays, not JSON lists, and read back.

A curve grows by one value per epoch (or per ``partial_fit`` call): as JSON
it took about 25 bytes a value, so ``meta.json``'s 1 MiB cap stopped saves
after some 42,000 epochs. Each non-empty curve is now a float64 array member
(declared, checksummed and checked for finiteness like the weights), and the
description holds a reference in its place::

    "loss_curve": {"array": "loss_curve", "length": 200000}

An empty curve stays ``[]`` and a missing one ``null``; files of format
version 1 hold their curves as JSON lists, which still load (checked here:
finite numbers only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .members import MAX_WIDTH, check_int, short

__all__ = ["curves_from_arrays", "curves_to_arrays", "implied_curves"]


def curves_to_arrays(
    record: Mapping[str, Any], names: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, NDArray[np.float64]]]:
    """Move each non-empty curve of ``record`` into an array.

    Parameters
    ----------
    record : mapping
        A JSON-ready description holding curves (lists of numbers or None).
    names : mapping of str to str
        Key in ``record`` to the name of the array that stores it.

    Returns
    -------
    record : dict
        A copy with each non-empty curve replaced by ``{"array": name, "length": n}``.
    arrays : dict of str to ndarray
        The curves, float64.
    """
    out = dict(record)
    arrays: dict[str, NDArray[np.float64]] = {}
    for key, name in names.items():
        value = out.get(key)
        if value is not None and len(value) > 0:
            arrays[name] = np.asarray(value, dtype=np.float64)
            out[key] = {"array": name, "length": len(value)}
    return out, arrays


def implied_curves(
    record: Mapping[str, Any], names: Mapping[str, str], where: str = ""
) -> dict[str, tuple[tuple[int, ...], str]]:
    """Check the curves of a description read from a file; return the arrays they name.

    Parameters
    ----------
    record : mapping
        The description holding the curves.
    names : mapping of str to str
        Key in ``record`` to the only array name its reference may give.
    where : str
        Prefix for the key in messages (``"history."``).

    Returns
    -------
    dict of str to (shape, dtype name)
        The arrays the references imply.

    Raises
    ------
    ValueError
        If a curve is missing, is not null, a list of finite numbers or a
        reference to its own array, or its length is out of range.
    """
    implied: dict[str, tuple[tuple[int, ...], str]] = {}
    for key, name in names.items():
        value = record.get(key, ...)
        if value is None:
            continue
        if isinstance(value, list):
            for v in value:
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                    raise ValueError(
                        f"{where}{key} must be a list of finite numbers; it holds {short(v)}"
                    )
            continue
        if (
            isinstance(value, dict)
            and set(value) == {"array", "length"}
            and value["array"] == name
            and check_int(value["length"], 1, MAX_WIDTH)
        ):
            implied[name] = ((value["length"],), "float64")
            continue
        raise ValueError(
            f"{where}{key} must be null, a list of finite numbers or "
            f'{{"array": "{name}", "length": 1 to {MAX_WIDTH}}}; got '
            f"{'nothing' if value is ... else short(value)}"
        )
    return implied


def curves_from_arrays(
    record: Mapping[str, Any], names: Mapping[str, str], arrays: Mapping[str, NDArray[Any]]
) -> dict[str, Any]:
    """Put the curves back: each reference replaced by its array as a list of floats.

    Parameters
    ----------
    record : mapping
        A description checked by :func:`implied_curves`.
    names : mapping of str to str
        As given to :func:`implied_curves`.
    arrays : mapping of str to ndarray
        The checked arrays.

    Returns
    -------
    dict
        A copy of ``record`` with plain lists of floats for curves.
    """
    out = dict(record)
    for key, name in names.items():
        if isinstance(out.get(key), dict):
            out[key] = arrays[name].tolist()
    return out
