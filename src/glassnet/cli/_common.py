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
    "MAX_HIDDEN_LAYERS",
    "MAX_N_SAMPLES",
    "StoppedBySignal",
    "UserError",
    "add_network_arguments",
    "architecture",
    "bounded_float",
    "bounded_int",
    "file_name",
    "fraction",
    "hidden_sizes",
    "load_dataset",
    "non_negative_float",
    "positive_float",
    "positive_int",
    "reporting_write_errors",
    "seed",
    "unit_interval",
]

# A 2-D toy dataset of ten million points is 160 MB of features before any copy, and
# full-batch training keeps every layer's activations for all of them: far past what
# a teaching run needs, and the size where a mistyped zero starts to exhaust memory.
MAX_N_SAMPLES = 10_000_000
MAX_HIDDEN_LAYERS = 100
# make_moons and friends take a NumPy seed: an integer in [0, 2**32).
_MAX_SEED = 2**32 - 1
# The datasets' coordinates are of size about 1: a noise of 100 already buries any of
# them, and much larger values overflow to inf.
_MAX_NOISE = 100.0


class UserError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


class StoppedBySignal(Exception):
    """A run stopped by SIGTERM or SIGHUP, after saving what it had: exit 128 + signum.

    Parameters
    ----------
    signum : int
        The signal that stopped the run.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


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


def bounded_int(low: int, high: int, why: str = "") -> Callable[[str], int]:
    """argparse type factory: an integer in [low, high]; ``why`` explains the upper bound."""

    def parse(text: str) -> int:
        span = "a positive integer" if low == 1 else f"an integer from {low:,}"
        expected = f"{span} up to {high:,}" + (f" ({why})" if why else "")
        return int(_number(text, int, lambda v: low <= v <= high, expected))

    return parse


def bounded_float(low: float, high: float, why: str = "") -> Callable[[str], float]:
    """argparse type factory: a finite number in [low, high]; ``why`` explains the bounds."""

    def parse(text: str) -> float:
        span = "a number >= 0" if low == 0 else f"a number from {low:g}"
        expected = f"{span} up to {high:g}" + (f" ({why})" if why else "")
        return float(_number(text, float, lambda v: low <= v <= high, expected))

    return parse


def seed(text: str) -> int:
    """argparse type: a NumPy seed, an integer in [0, 2**32 - 1]."""
    return int(
        _number(text, int, lambda v: 0 <= v <= _MAX_SEED, f"an integer from 0 to {_MAX_SEED}")
    )


def file_name(text: str) -> str:
    """argparse type: a path that is not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a file name, got {text!r}")
    return text


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
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(sizes)}"
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
        "--n-samples",
        type=bounded_int(1, MAX_N_SAMPLES, "a larger toy dataset is a typo"),
        default=1000,
        help=f"number of points, at most {MAX_N_SAMPLES:,} (default: 1000)",
    )
    data.add_argument(
        "--noise",
        type=bounded_float(0.0, _MAX_NOISE, "the data are of size 1"),
        default=0.2,
        help="noise level, 0 to 100 (default: 0.2)",
    )
    data.add_argument(
        "--seed",
        type=seed,
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
        X, y = make_dataset(args.dataset, args.n_samples, args.noise, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if not np.all(np.isfinite(X)):
        raise UserError(
            f"--noise {args.noise:g} made {args.dataset} points that are not finite; "
            "use a smaller noise."
        )
    return X, y


def architecture(hidden: Iterable[int], n_classes: int) -> str:
    """The layer widths from the 2 inputs to the ``n_classes`` outputs: ``2 -> 32 -> 2``."""
    return " -> ".join(str(s) for s in [2, *hidden, n_classes])
