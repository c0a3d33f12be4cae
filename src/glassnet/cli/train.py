"""``glassnet train``: train on a 2-D dataset, report accuracy, draw the boundary."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

import numpy as np

from .._version import __version__
from ._checks import MAX_EPOCHS, MAX_FRAMES, check_distinct, check_memory, check_output
from ._common import (
    MAX_N_SAMPLES,
    UserError,
    add_network_arguments,
    architecture,
    bounded_float,
    bounded_int,
    file_name,
    fraction,
    load_dataset,
    reporting_write_errors,
    unit_interval,
)
from ._signals import StopSignals

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
        type=_learning_rate,
        default=None,
        help="learning rate, at most 1000 (default: 0.01 for adam/adamw, 0.5 for sgd)",
    )
    opt.add_argument(
        "--momentum",
        type=unit_interval,
        default=0.0,
        help="SGD momentum in [0, 1) (default: 0; used by --optimizer sgd only)",
    )
    opt.add_argument(
        "--alpha",
        type=bounded_float(0.0, 1000.0, "a larger penalty pins every weight to zero"),
        default=0.0,
        help="L2 penalty on the weights, 0 to 1000 (default: 0)",
    )
    opt.add_argument(
        "--epochs",
        type=bounded_int(1, MAX_EPOCHS, "more is a typo"),
        default=500,
        help=f"passes over the training data, at most {MAX_EPOCHS:,} (default: 500)",
    )
    opt.add_argument(
        "--batch-size",
        type=bounded_int(1, MAX_N_SAMPLES, "the most --n-samples allows"),
        default=None,
        help="samples per step, at most the training set (default: the whole training set)",
    )
    t.add_argument(
        "--save",
        default=None,
        type=file_name,
        metavar="MODEL",
        help="save the trained model to this file (safe format, no pickle; read it with "
        "'glassnet predict' or glassnet.load); also saved when Ctrl-C, SIGTERM or SIGHUP "
        "stops training",
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
        type=file_name,
        metavar="PNG",
        help="also write the loss and accuracy curves (train and held-out) to this picture",
    )
    pics.add_argument(
        "--animate",
        default=None,
        type=file_name,
        metavar="GIF",
        help="also write the decision boundary forming during training as an animated GIF",
    )
    pics.add_argument(
        "--snapshot-every",
        type=bounded_int(1, MAX_EPOCHS, "the most --epochs allows"),
        default=None,
        metavar="K",
        help=f"epochs between animation frames, at most --epochs and so that the GIF has at "
        f"most {MAX_FRAMES} frames (default: epochs/40, at least 1)",
    )
    opt.add_argument(
        "--route",
        choices=("auto", "readable", "fast", "compiled"),
        default="auto",
        help="how each step is computed: each layer's own forward/backward (readable), the "
        "same formulas in reused buffers (fast), or in numba (compiled, relu-like networks, "
        "pip install 'glassnet[fast]'); auto picks the fastest that can run (default: auto)",
    )
    pics.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is shown only when stderr is a terminal anyway)",
    )
    t.set_defaults(func=run)
    return t


def _learning_rate(text: str) -> float:
    """argparse type for ``--lr``: a number in (0, 1000]."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1000.0:  # NaN fails too
        raise argparse.ArgumentTypeError(
            "expected a positive number up to 1000 (a larger step overflows any of the "
            f"optimizers), got {text!r}"
        )
    return value


def _frame_every(args: argparse.Namespace) -> int:
    """Epochs between animation frames, refused when the GIF would be absurd."""
    every = args.snapshot_every or max(1, args.epochs // 40)
    if every > args.epochs:
        raise UserError(
            f"--snapshot-every {every} is more than --epochs {args.epochs}: the animation "
            "would show the first and last epochs only; use at most --epochs."
        )
    frames = args.epochs // every + 2  # the initial weights and a last partial interval
    if args.animate and frames > MAX_FRAMES:
        raise UserError(
            f"--snapshot-every {every} over {args.epochs} epochs makes {frames} frames, more "
            f"than {MAX_FRAMES}; use --snapshot-every {-(-args.epochs // (MAX_FRAMES - 2))} "
            "or more."
        )
    return every


def _check_compiled_route(args: argparse.Namespace) -> None:
    """``--route compiled`` needs numba (its kernels restate every --activation)."""
    from ..fast import kernels

    if not kernels.available():
        raise UserError(
            "--route compiled needs numba, which did not load here: pip install "
            "'glassnet[fast]', or use --route fast."
        )


def _check_arguments(args: argparse.Namespace) -> int:
    """Every check that needs no data, before any is made; return the frame interval.

    Raises
    ------
    UserError
        For an output that cannot be written or clashes with another, or a run
        that cannot fit in memory.
    """
    if args.route == "compiled":
        _check_compiled_route(args)
    if args.out:  # '' skips the picture
        check_output(args.out, "--out", kind="picture", what="picture")
    for path, flag, kind in (
        (args.curves, "--curves", "picture"),
        (args.animate, "--animate", "animation"),
        (args.save, "--save", "file"),
    ):
        if path is not None:
            check_output(path, flag, kind=kind)
    outputs = [(args.save, "--save"), (args.out, "--out"), (args.curves, "--curves")]
    check_distinct([*outputs, (args.animate, "--animate")])
    every = _frame_every(args)
    frames = args.epochs // every + 2 if args.animate else 0
    itemsize = 4 if args.dtype == "float32" else 8
    # Three outputs bounds every dataset's class count (blobs has three).
    check_memory(args.n_samples, [2, *args.hidden, 3], itemsize, frames=frames)
    return every


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
    every = _check_arguments(args)
    stops = StopSignals()
    with stops.installed():
        return _run(args, every, stops)


def _run(args: argparse.Namespace, every: int, stops: StopSignals) -> int:
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
    if args.batch_size is not None and args.batch_size > len(X_train):
        raise UserError(
            f"--batch-size {args.batch_size} is more than the {len(X_train)} training samples "
            f"(--n-samples {args.n_samples} less --test-size {args.test_size:g}); use at most "
            f"{len(X_train)}, or leave it out for the whole training set."
        )
    lr = args.lr if args.lr is not None else (0.5 if args.optimizer == "sgd" else 0.01)
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
        route=args.route,
    )
    callbacks: list[Any] = []
    bar = None if args.no_progress else ProgressBar(total=args.epochs)
    if bar is not None:
        callbacks.append(bar)
    snapshots = None
    if args.animate:
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
        how = f"stopped by {stops.name}" if stops.signum is not None else "interrupted"
        print(
            f"{how} after {epochs_done} of {args.epochs} epochs "
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
        f"{clf.n_iter_} epochs, {args.dtype}, {clf.route_} route"
    )
    print(f"route  {clf.route_}: {clf.route_reason_}")
    print(f"train  accuracy {train_acc:.4f}  loss {train_loss:.6f}  (n={len(y_train)})")
    print(f"test   accuracy {test_acc:.4f}  loss {test_loss:.6f}  (n={len(y_test)})")
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
