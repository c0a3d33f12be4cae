"""``glassnet explain``: the softmax + cross-entropy derivation with real numbers."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

import numpy as np

from ._checks import MAX_EPOCHS, check_memory
from ._common import UserError, add_network_arguments, architecture, bounded_int, load_dataset

# Logits and targets larger than this print as unreadable columns, and their sums
# and products overflow float64 (a target of 1e308 sums to inf).
_MAX_MAGNITUDE = 1e6

__all__ = ["add_parser", "run"]

# Plain-text stand-ins for terminals that cannot show the maths symbols.
_ASCII = {
    "ŷ": "y^",
    "Σ": "sum",
    "∂": "d",
    "−": "-",
    "≠": "!=",
    "≥": ">=",
    "×": "x",
    "·": "*",
    "ᵀ": "^T",
    "─": "-",
}


def _floats(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers such as 2.0,1.0,-1.0, got {text!r}"
        ) from None
    if len(values) < 2 or not np.all(np.abs(values) <= _MAX_MAGNITUDE):
        raise argparse.ArgumentTypeError(
            f"expected at least two comma-separated numbers from -{_MAX_MAGNITUDE:g} to "
            f"{_MAX_MAGNITUDE:g}, got {text!r}"
        )
    return values


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``explain`` on the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "explain",
        help="print the softmax + cross-entropy derivation with real numbers",
        description="Work through dL/dz for one sample: z, y_hat = softmax(z), the softmax "
        "Jacobian (diagonal y_hat_o(1 - y_hat_o), off-diagonal -y_hat_o y_hat_i), "
        "dL/dy_hat = -y/y_hat, the chain rule, and the shortcut y_hat - y, showing they "
        "agree; then the same for a target that does not sum to one (y_hat * sum(y) - y). "
        "By default the sample is one point of the moons network; --logits gives your own.",
    )
    given = p.add_argument_group("given numbers (instead of the network)")
    given.add_argument(
        "--logits",
        type=_floats,
        default=None,
        metavar="Z",
        help="one sample's logits, comma-separated, e.g. 2.0,1.0,-1.0",
    )
    given.add_argument(
        "--label",
        type=int,
        default=None,
        help="the sample's class index (default: the dataset's label, or 0 with --logits)",
    )
    given.add_argument(
        "--target",
        type=_floats,
        default=None,
        metavar="Y",
        help="non-negative target weights for the second case, comma-separated, e.g. "
        "0.5,0.3,0.4 (default: 0.6 for the label and 0.3 for every other class)",
    )
    given.add_argument(
        "--multilabel",
        action="store_true",
        help="the multilabel case instead: independent sigmoids with binary cross-entropy, "
        "where dL/dz = y_hat - y too (uses --logits, default 2,-1,0.5, and --target as the "
        "0/1 labels, default 1,0,0)",
    )
    add_network_arguments(p)
    p.add_argument("--sample", type=int, default=0, help="which point of the dataset (default: 0)")
    p.add_argument(
        "--epochs",
        type=bounded_int(1, MAX_EPOCHS, "more is a typo"),
        default=200,
        help="epochs of Adam (lr 0.01, full batch) to train the network first, at most "
        f"{MAX_EPOCHS:,} (default: 200)",
    )
    p.set_defaults(func=run)
    return p


def _network_logits(args: argparse.Namespace) -> tuple[np.ndarray, int, str]:
    """Train the network on the dataset and return one sample's logits and label."""
    from ..core.losses import SoftmaxCrossEntropy
    from ..core.optim import Adam
    from ..core.sequential import mlp
    from ..training.loop import train

    check_memory(args.n_samples, [2, *args.hidden, 3], np.dtype(args.dtype).itemsize)
    X, y = load_dataset(args)
    if not -len(X) <= args.sample < len(X):
        raise UserError(
            f"--sample must index one of the {len(X)} points (0 to {len(X) - 1}); "
            f"got {args.sample}."
        )
    k = int(y.max()) + 1
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(args.seed)
    model = mlp([2, *args.hidden, k], args.activation, rng=rng, dtype=dtype)
    train(model, SoftmaxCrossEntropy(), Adam(0.01), X, y, epochs=args.epochs, rng=rng)
    x = X[args.sample]
    z = np.asarray(model.forward(x[None, :].astype(dtype))[0], dtype=np.float64)
    arch = architecture(args.hidden, k)
    where = (
        f"Sample {args.sample} of {args.dataset} (n={args.n_samples}, noise={args.noise}, "
        f"seed={args.seed}): x = ({x[0]:.4f}, {x[1]:.4f}), label {int(y[args.sample])}\n"
        f"through the network {arch} ({args.activation}) after {args.epochs} epochs "
        f"of Adam, {dtype}: logits z = ({', '.join(f'{v:.6f}' for v in z)})"
    )
    return z, int(y[args.sample]), where


def _write(text: str) -> None:
    """Print, falling back to plain ASCII where the terminal cannot encode the symbols."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        for symbol, plain in _ASCII.items():
            text = text.replace(symbol, plain)
        text = text.encode("ascii", "replace").decode("ascii")
    sys.stdout.write(text + "\n")


def _run_multilabel(args: argparse.Namespace) -> int:
    """Print the multilabel derivation; return 0 when the routes agree, else 1."""
    from ..teach.explain_multilabel import derive_multilabel, render_multilabel

    z = np.asarray(args.logits if args.logits is not None else [2.0, -1.0, 0.5])
    if args.target is not None:
        y = np.asarray(args.target, dtype=np.float64)
    else:
        y = np.zeros(z.shape[0])
        y[0] = 1.0
    try:
        with np.errstate(all="ignore"):
            d = derive_multilabel(z, y)
    except ValueError as exc:
        raise UserError(f"{exc} (from --logits and --target)") from exc
    _write(f"Given logits z = ({', '.join(f'{v:g}' for v in z)}), labels y = "
           f"({', '.join(f'{v:g}' for v in y)})\n")  # fmt: skip
    _write(render_multilabel(d, title="Multilabel: independent sigmoids, so ∂L/∂z = ŷ − y"))
    return 0 if d.agrees else 1


def run(args: argparse.Namespace) -> int:
    """Print both derivations; return 0 when every route agrees, else 1."""
    from ..teach.explain import derive, render

    if args.multilabel:
        return _run_multilabel(args)
    if args.logits is not None:
        z = np.asarray(args.logits, dtype=np.float64)
        label = 0 if args.label is None else args.label
        where = f"Given logits z = ({', '.join(f'{v:g}' for v in z)})"
    else:
        z, label, where = _network_logits(args)
        if args.label is not None:
            label = args.label
    k = z.shape[0]
    if args.target is not None:
        target = np.asarray(args.target, dtype=np.float64)
    else:
        target = np.full(k, 0.3)
        target[label if 0 <= label < k else 0] = 0.6
    try:
        # An underflowing probability is reported by derive's ValueError below; NumPy's
        # warning on the way there would only be a second, noisier line.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            first = derive(z, label)
            second = derive(z, target)
    except ValueError as exc:
        raise UserError(f"{exc} (from --logits, --label and --target)") from exc
    _write(where + "\n")
    _write(render(first, title="Case 1: a class label, so y is one-hot and ∂L/∂z = ŷ − y"))
    _write("")
    sums_to_one = abs(second.target_sum - 1.0) < 1e-12
    _write(
        render(
            second,
            title="Case 2: a target "
            + ("that sums to one" if sums_to_one else "that does not sum to one")
            + ", so ∂L/∂z = ŷ·Σy − y",
        )
    )
    return 0 if first.agrees and second.agrees else 1
