"""Pieces shared by the subcommands: argument types, the user-error exception."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..teach.datasets import Data

__all__ = [
    "UserError",
    "add_network_arguments",
    "architecture",
    "fraction",
    "hidden_sizes",
    "load_dataset",
    "non_negative_float",
    "positive_float",
    "positive_int",
    "reporting_write_errors",
    "unit_interval",
]


class UserError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


@contextmanager
def reporting_write_errors(path: str, what: str | None = None) -> Iterator[None]:
    """Turn an ``OSError`` raised inside the block into a one-line :class:`UserError`.

    The message is ``cannot write the WHAT to 'PATH': REASON``, or
    ``cannot write 'PATH': REASON`` when ``what`` is None.
    """
    try:
        yield
    except OSError as exc:
        target = f"{path!r}" if what is None else f"the {what} to {path!r}"
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _number(
    text: str, convert: Callable[[str], Any], ok: Callable[[Any], bool], expected: str
) -> Any:
    """Parse ``text`` with ``convert`` and keep it if ``ok``; else an argparse error."""
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    return int(_number(text, int, lambda v: v >= 1, "a positive integer"))


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    return float(_number(text, float, lambda v: v > 0 and np.isfinite(v), "a positive number"))


def non_negative_float(text: str) -> float:
    """argparse type: a finite number ≥ 0."""
    return float(_number(text, float, lambda v: v >= 0 and np.isfinite(v), "a number >= 0"))


def unit_interval(text: str) -> float:
    """argparse type: a number in [0, 1), such as a momentum."""
    return float(_number(text, float, lambda v: 0 <= v < 1, "a number in [0, 1)"))


def fraction(text: str) -> float:
    """argparse type: a number strictly between 0 and 1."""
    return float(_number(text, float, lambda v: 0 < v < 1, "a number in (0, 1)"))


def hidden_sizes(text: str) -> tuple[int, ...]:
    """argparse type: comma-separated positive layer widths, such as ``32,32``."""
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer widths such as 32,32, got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive widths such as 32,32, got {text!r}"
        )
    return sizes


def add_network_arguments(p: argparse.ArgumentParser) -> None:
    """Flags shared by every command that builds a network on a 2-D dataset."""
    from ..teach.datasets import DATASETS

    data = p.add_argument_group("data")
    data.add_argument(
        "--dataset", choices=sorted(DATASETS), default="moons", help="2-D dataset (default: moons)"
    )
    data.add_argument(
        "--n-samples", type=positive_int, default=1000, help="number of points (default: 1000)"
    )
    data.add_argument("--noise", type=float, default=0.2, help="noise level (default: 0.2)")
    data.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed for the data, the split, the weights and the shuffles (default: 0)",
    )
    net = p.add_argument_group("network")
    net.add_argument(
        "--hidden",
        type=hidden_sizes,
        default=(32, 32),
        help="hidden layer widths, comma-separated (default: 32,32)",
    )
    net.add_argument(
        "--activation",
        choices=["tanh", "relu", "leaky_relu", "sigmoid", "identity"],
        default="tanh",
        help="hidden activation (default: tanh)",
    )
    net.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="floating-point type end to end (default: float64)",
    )


def load_dataset(args: argparse.Namespace) -> Data:
    """The dataset the flags of :func:`add_network_arguments` name, as ``(X, y)``.

    A ``ValueError`` from the generator (a bad ``--noise``, say) becomes a
    :class:`UserError` with the same message.
    """
    from ..teach.datasets import make_dataset

    try:
        return make_dataset(args.dataset, args.n_samples, args.noise, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def architecture(hidden: Iterable[int], n_classes: int) -> str:
    """The layer widths from the 2 inputs to the ``n_classes`` outputs: ``2 -> 32 -> 2``."""
    return " -> ".join(str(s) for s in [2, *hidden, n_classes])
