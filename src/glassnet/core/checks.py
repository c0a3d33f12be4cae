"""Small argument checks shared by every layer of the package (NumPy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_batch_size", "is_int"]


def is_int(value: Any) -> bool:
    """True for a Python or NumPy integer; False for bool, which Python counts as an int."""
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
