"""Small argument checks shared by every layer of the package (NumPy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_batch_size", "check_number", "is_int"]


def is_int(value: Any) -> bool:
    """True for a Python or NumPy integer; False for bool, which Python counts as an int.

    Parameters
    ----------
    value : object
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_batch_size(batch_size: Any, what: str = "samples per batch") -> None:
    """Refuse a batch size that is not a positive integer or None (one full batch).

    Parameters
    ----------
    batch_size : Any
        The value to check.
    what : str, default="samples per batch"
        What one batch holds, for the message's next step.

    Raises
    ------
    ValueError
        Naming ``batch_size``, what is allowed and what came.
    """
    if batch_size is not None and (not is_int(batch_size) or batch_size < 1):
        raise ValueError(
            f"batch_size must be a positive integer or None (one full batch); got "
            f"{batch_size!r}. Pass the number of {what}, e.g. 32."
        )


def check_number(
    name: str,
    value: float,
    *,
    low: float,
    high: float | None = None,
    low_inclusive: bool = False,
    hint: str = "",
) -> float:
    """``value`` as a float in the range ``(low, high)``; else ``TypeError``/``ValueError``.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : float
        What came.
    low, high : float
        The bounds (``high`` None: no upper bound; ``high`` is exclusive).
    low_inclusive : bool, default=False
        Whether ``low`` itself is allowed.
    hint : str, default=""
        A next step, appended to the message.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a real number; got {type(value).__name__} {value!r}."
        ) from None
    ok = np.isfinite(v) and (v >= low if low_inclusive else v > low)
    if high is not None:
        ok = ok and v < high
    if not ok:
        lo = "[" if low_inclusive else "("
        hi = f"{high})" if high is not None else "inf)"
        raise ValueError(f"{name} must be in {lo}{low}, {hi}; got {value!r}. {hint}".rstrip())
    return v
