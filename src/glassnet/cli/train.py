"""``glassnet train``: train on a 2-D dataset, report accuracy, draw the boundary."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .._version import __version__
from ._common import UserError, add_network_arguments, fraction, positive_float, positive_int

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``train`` on the subcommand parsers ``sub``."""
    t = sub.add_parser(
        "train",
        help="train on a 2-D dataset (make_moons by default) and draw the decision boundary",
        description="Train a network on a 2-D dataset, print train and test "
        "accuracy and loss, and write the decision-boundary picture.",
    )
    add_network_arguments(t)
    t.add_argument(
        "--test-size",
        type=fraction,
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
        type=positive_float,
        default=None,
        help="learning rate (default: 0.01 for adam/adamw, 0.5 for sgd)",
    )
    opt.add_argument("--momentum", type=float, default=0.0, help="SGD momentum (default: 0)")
    opt.add_argument(
        "--epochs",
        type=positive_int,
        default=500,
        help="passes over the training data (default: 500)",
    )
    opt.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="samples per step (default: the whole training set)",
    )
    pics = t.add_argument_group("pictures and progress")
    pics.add_argument(
        "--out",
        default="moons.png",
        help="where to write the decision-boundary picture (default: moons.png); '' to skip",
    )
    pics.add_argument(
        "--curves",
        default=None,
        metavar="PNG",
        help="also write the loss and accuracy curves (train and held-out) to this picture",
    )
    pics.add_argument(
        "--animate",
        default=None,
        metavar="GIF",
        help="also write the decision boundary forming during training as an animated GIF",
    )
    pics.add_argument(
        "--snapshot-every",
        type=positive_int,
        default=None,
        metavar="K",
        help="epochs between animation frames (default: epochs/40, at least 1)",
    )
    pics.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is shown only when stderr is a terminal anyway)",
    )
    t.set_defaults(func=run)
    return t


class _ModelProba:
    """Gives a trained Sequential the ``predict_proba`` plotting needs."""

    def __init__(self, model: Any, dtype: Any) -> None:
        self.model = model
        self.dtype = dtype

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        from ..functional import softmax

        return softmax(self.model.forward(np.asarray(X, dtype=self.dtype)))


def _check_writable(path: str, flag: str) -> None:
    """Fail before training, not after, when a picture cannot be written."""
    import os

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"cannot write {flag} {path!r}: the folder {folder!r} does not exist.")


def _save(fig: Any, path: str, what: str) -> None:
    import matplotlib.pyplot as plt

    from ..plotting import save_figure

    try:
        save_figure(fig, path, dpi=110)
    except OSError as exc:
        raise UserError(f"cannot write the {what} to {path!r}: {exc.strerror or exc}") from exc
    finally:
        plt.close(fig)
    print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    """Train, print the metrics and write the picture; return the exit status."""
    from sklearn.model_selection import train_test_split

    from ..callbacks import BoundarySnapshots, ProgressBar
    from ..datasets import make_dataset
    from ..layers import mlp
    from ..losses import SoftmaxCrossEntropy
    from ..optim import SGD, Adam, AdamW
    from ..train import evaluate, train

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
    for path, flag in ((args.curves, "--curves"), (args.animate, "--animate")):
        if path:
            _check_writable(path, flag)
    callbacks: list[Any] = []
    bar = None if args.no_progress else ProgressBar(total=args.epochs)
    if bar is not None:
        callbacks.append(bar)
    snapshots = None
    if args.animate:
        every = args.snapshot_every or max(1, args.epochs // 40)
        snapshots = BoundarySnapshots(X, every=every, resolution=80)
        callbacks.append(snapshots)
    # The held-out split doubles as validation data when its curve is wanted
    # or a bar shows it; it never steers training (no early stopping here).
    show_val = bool(args.curves) or (bar is not None and bar.is_active())
    try:
        history = train(
            model,
            loss,
            optimizer,
            X_train,
            y_train,
            epochs=args.epochs,
            batch_size=args.batch_size,
            rng=rng,
            validation_data=(X_test, y_test) if show_val else None,
            callbacks=callbacks,
        )
    finally:
        if bar is not None:
            bar.close()
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
    if not (args.out or args.curves or args.animate):
        return 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_decision_boundary, plot_history, save_animation

    if args.out:
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
        _save(fig, args.out, "picture")
    if args.curves:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        plot_history(history, ax=ax)
        ax.set_title(f"glassnet on {args.dataset}: validation = the held-out {args.test_size:.0%}")
        fig.tight_layout()
        _save(fig, args.curves, "curves")
    if args.animate and snapshots is not None:
        try:
            n = save_animation(
                snapshots, args.animate, X_train, y_train, title=f"glassnet on {args.dataset}"
            )
        except OSError as exc:
            raise UserError(
                f"cannot write the animation to {args.animate!r}: {exc.strerror or exc}"
            ) from exc
        print(f"wrote {args.animate} ({n} frames, one every {snapshots.every} epochs)")
    return 0
