"""Command line: ``glassnet train`` (and ``python -m glassnet train``).

User errors (bad flags, unwritable paths) print one line to stderr and exit
with status 2; they never show a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._version import __version__

__all__ = ["main"]


class UserError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _hidden(text: str) -> tuple[int, ...]:
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
    from .datasets import DATASETS

    data = p.add_argument_group("data")
    data.add_argument(
        "--dataset", choices=sorted(DATASETS), default="moons", help="2-D dataset (default: moons)"
    )
    data.add_argument(
        "--n-samples", type=_positive_int, default=1000, help="number of points (default: 1000)"
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
        type=_hidden,
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


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="A see-through neural-network classifier: softmax + cross-entropy, "
        "trained by backpropagation with dL/dz = y_hat - y.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser(
        "train",
        help="train on a 2-D dataset (make_moons by default) and draw the decision boundary",
        description="Train a network on a 2-D dataset, print train and test "
        "accuracy and loss, and write the decision-boundary picture.",
    )
    add_network_arguments(t)
    t.add_argument(
        "--test-size",
        type=_fraction,
        default=0.3,
        help="fraction held out for testing (default: 0.3)",
    )
    opt = t.add_argument_group("training")
    opt.add_argument(
        "--optimizer",
        choices=["adam", "adamw", "sgd"],
        default="adam",
        help="optimizer (default: adam)",
    )
    opt.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help="learning rate (default: 0.01 for adam/adamw, 0.5 for sgd)",
    )
    opt.add_argument("--momentum", type=float, default=0.0, help="SGD momentum (default: 0)")
    opt.add_argument(
        "--epochs",
        type=_positive_int,
        default=500,
        help="passes over the training data (default: 500)",
    )
    opt.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        help="samples per step (default: the whole training set)",
    )
    t.add_argument(
        "--out",
        default="moons.png",
        help="where to write the decision-boundary picture (default: moons.png); '' to skip",
    )
    t.set_defaults(func=_cmd_train)
    return parser


class _ModelProba:
    """Gives a trained Sequential the ``predict_proba`` plotting needs."""

    def __init__(self, model: Any, dtype: Any) -> None:
        self.model = model
        self.dtype = dtype

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        from .functional import softmax

        return softmax(self.model.forward(np.asarray(X, dtype=self.dtype)))


def _cmd_train(args: argparse.Namespace) -> int:
    from sklearn.model_selection import train_test_split

    from .datasets import make_dataset
    from .layers import mlp
    from .losses import SoftmaxCrossEntropy
    from .optim import SGD, Adam, AdamW
    from .train import evaluate, train

    dtype = np.dtype(args.dtype)
    try:
        X, y = make_dataset(args.dataset, args.n_samples, args.noise, args.seed)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=args.test_size, random_state=args.seed, stratify=y
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    n_classes = int(y.max()) + 1
    rng = np.random.default_rng(args.seed)
    model = mlp([2, *args.hidden, n_classes], args.activation, rng=rng, dtype=dtype)
    lr = args.lr if args.lr is not None else (0.5 if args.optimizer == "sgd" else 0.01)
    if args.optimizer == "sgd":
        optimizer: Any = SGD(lr, momentum=args.momentum)
    elif args.optimizer == "adamw":
        optimizer = AdamW(lr)
    else:
        optimizer = Adam(lr)
    loss = SoftmaxCrossEntropy()
    train(
        model,
        loss,
        optimizer,
        X_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        rng=rng,
    )
    Xtr = X_train.astype(dtype)
    Xte = X_test.astype(dtype)
    train_loss, train_acc = evaluate(model, loss, Xtr, y_train)
    test_loss, test_acc = evaluate(model, loss, Xte, y_test)
    arch = " -> ".join(str(s) for s in [2, *args.hidden, n_classes])
    print(
        f"glassnet {__version__}: {args.dataset} (n={args.n_samples}, noise={args.noise}), "
        f"network {arch} ({args.activation}, softmax), {args.optimizer} lr={lr:g}, "
        f"{args.epochs} epochs, {dtype}"
    )
    print(f"train  accuracy {train_acc:.4f}  loss {train_loss:.4f}  (n={len(y_train)})")
    print(f"test   accuracy {test_acc:.4f}  loss {test_loss:.4f}  (n={len(y_test)})")
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_decision_boundary, save_figure

        fig, ax = plt.subplots(figsize=(7, 5.5))
        plot_decision_boundary(
            _ModelProba(model, dtype),
            X_train,
            y_train,
            ax=ax,
            X_test=X_test,
            y_test=y_test,
            title=f"glassnet on {args.dataset}: test accuracy {test_acc:.3f}",
        )
        fig.tight_layout()
        try:
            save_figure(fig, args.out, dpi=110)
        except OSError as exc:
            raise UserError(
                f"cannot write the picture to {args.out!r}: {exc.strerror or exc}"
            ) from exc
        finally:
            plt.close(fig)
        print(f"wrote {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``glassnet`` command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success, 2 on a usage or input error, 1 when training diverged,
        130 when interrupted.
    """
    from .exceptions import TrainingDivergedError

    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"glassnet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except TrainingDivergedError as exc:
        print(f"glassnet {args.command}: training diverged: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted", file=sys.stderr)
        return 130
