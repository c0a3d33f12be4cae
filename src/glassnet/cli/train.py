"""``glassnet train``: train on a 2-D dataset, report accuracy, draw the boundary."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from .._version import __version__
from ._common import (
    UserError,
    add_network_arguments,
    architecture,
    fraction,
    load_dataset,
    non_negative_float,
    positive_float,
    positive_int,
    reporting_write_errors,
    unit_interval,
)

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
    opt.add_argument(
        "--momentum",
        type=unit_interval,
        default=0.0,
        help="SGD momentum in [0, 1) (default: 0; used by --optimizer sgd only)",
    )
    opt.add_argument(
        "--alpha",
        type=non_negative_float,
        default=0.0,
        help="L2 penalty on the weights (default: 0)",
    )
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
    t.add_argument(
        "--save",
        default=None,
        metavar="MODEL",
        help="save the trained model to this file (safe format, no pickle; read it with "
        "'glassnet predict' or glassnet.load); also saved when Ctrl-C stops training",
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


def _check_writable(path: str, flag: str) -> None:
    """Fail before training, not after, when a picture cannot be written."""
    import os

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"cannot write {flag} {path!r}: the folder {folder!r} does not exist.")


def _save_model(clf: Any, path: str) -> None:
    from ..estimator.modelfile import save

    with reporting_write_errors(path, "model"):
        save(clf, path)


def _save(fig: Any, path: str, what: str) -> None:
    import matplotlib.pyplot as plt

    from ..viz.plotting import save_figure

    try:
        with reporting_write_errors(path, what):
            save_figure(fig, path, dpi=110)
    finally:
        plt.close(fig)
    print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    """Train, print the metrics and write the pictures; return the exit status."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    from ..core.functional import log_softmax
    from ..estimator.classifier import MLPClassifier
    from ..training.progress import ProgressBar
    from ..viz.snapshots import BoundarySnapshots

    X, y = load_dataset(args)
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=args.test_size, random_state=args.seed, stratify=y
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    n_classes = len(np.unique(y))
    lr = args.lr if args.lr is not None else (0.5 if args.optimizer == "sgd" else 0.01)
    for path, flag in (
        (args.curves, "--curves"),
        (args.animate, "--animate"),
        (args.save, "--save"),
    ):
        if path:
            _check_writable(path, flag)
    # The command trains for exactly --epochs epochs: convergence-based stopping
    # is off (n_iter_no_change = epochs), as is the L2 penalty unless asked for.
    clf = MLPClassifier(
        hidden_layer_sizes=args.hidden,
        activation=args.activation,
        solver=args.optimizer,
        alpha=args.alpha,
        batch_size=len(X_train) if args.batch_size is None else args.batch_size,
        learning_rate_init=lr,
        max_iter=args.epochs,
        tol=0.0,
        n_iter_no_change=args.epochs,
        momentum=args.momentum,
        nesterovs_momentum=False,
        random_state=args.seed,
        dtype=args.dtype,
    )
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
        with warnings.catch_warnings():
            # Running every requested epoch is the point here, not a failure to converge.
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(
                X_train,
                y_train,
                validation_data=(X_test, y_test) if show_val else None,
                callbacks=callbacks,
            )
    except KeyboardInterrupt:
        epochs_done = getattr(clf, "n_iter_", 0)
        written = "nothing was written"
        if args.save and hasattr(clf, "coefs_"):
            # The estimator holds its last completed step: keep it.
            _save_model(clf, args.save)
            written = f"the model at that point was saved to {args.save}"
        print(
            f"interrupted after {epochs_done} of {args.epochs} epochs "
            f"({getattr(clf, 't_', 0)} samples seen); {written}",
            file=sys.stderr,
        )
        raise
    finally:
        if bar is not None:
            bar.close()

    def metrics(Xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
        # One forward pass for both: the accuracy of clf.predict (clf.score's)
        # and the loss from predict_log_proba's log_softmax of the same logits.
        z = clf.logits(Xs)
        accuracy = np.mean(clf.classes_[np.argmax(z, axis=1)] == ys)
        log_proba = log_softmax(z, axis=1)  # never log of probabilities
        index = np.searchsorted(clf.classes_, ys)
        return float(accuracy), float(-np.mean(log_proba[np.arange(len(ys)), index]))

    train_acc, train_loss = metrics(X_train, y_train)
    test_acc, test_loss = metrics(X_test, y_test)
    arch = architecture(args.hidden, n_classes)
    print(
        f"glassnet {__version__}: {args.dataset} (n={args.n_samples}, noise={args.noise}), "
        f"network {arch} ({args.activation}, softmax), {args.optimizer} lr={lr:g}, "
        f"{clf.n_iter_} epochs, {args.dtype}"
    )
    print(f"train  accuracy {train_acc:.4f}  loss {train_loss:.4f}  (n={len(y_train)})")
    print(f"test   accuracy {test_acc:.4f}  loss {test_loss:.4f}  (n={len(y_test)})")
    if args.save:
        _save_model(clf, args.save)
        print(f"wrote {args.save}")
    if not (args.out or args.curves or args.animate):
        return 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..viz.plotting import plot_decision_boundary, plot_history, save_animation

    if args.out:
        fig, ax = plt.subplots(figsize=(7, 5.5))
        plot_decision_boundary(
            clf,
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
        plot_history(clf, ax=ax)
        ax.set_title(f"glassnet on {args.dataset}: validation = the held-out {args.test_size:.0%}")
        fig.tight_layout()
        _save(fig, args.curves, "curves")
    if args.animate and snapshots is not None:
        with reporting_write_errors(args.animate, "animation"):
            n = save_animation(
                snapshots, args.animate, X_train, y_train, title=f"glassnet on {args.dataset}"
            )
        print(f"wrote {args.animate} ({n} frames, one every {snapshots.every} epochs)")
    return 0
