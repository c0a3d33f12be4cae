"""Pictures: the decision boundary, training curves and the training animation.

matplotlib is imported only when drawing. Plotting needs only something with
``predict_proba`` (a fitted ``glassnet.MLPClassifier``, any scikit-learn
classifier, or a model wrapper), curves from a :class:`glassnet.History` or an
estimator's ``loss_curve_``, and for the animation the frames recorded by
:class:`glassnet.BoundarySnapshots`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..core.checks import is_int
from ..persist import files as _files
from .grid import boundary_grid, check_2d_points

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "boundary_grid",
    "plot_decision_boundary",
    "plot_history",
    "save_animation",
    "save_figure",
]


def _draw_regions(
    ax: Axes, gx: np.ndarray, gy: np.ndarray, proba: np.ndarray, *, colorbar_label: str | None
) -> Any:
    """Fill the class regions from grid probabilities; return the points' colormap.

    ``proba`` has shape (gx.size, n_classes). Two classes: P(class 1) from blue
    to red with the 0.5 contour. More: each region in its predicted class's
    colour.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    k = proba.shape[1]
    if k == 2:
        palette = plt.get_cmap("coolwarm")
        p1 = proba[:, 1].reshape(gx.shape)
        cs = ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 21), cmap="coolwarm", alpha=0.75)
        ax.contour(gx, gy, p1, levels=[0.5], colors="k", linewidths=2)
        if colorbar_label is not None:
            ax.figure.colorbar(cs, ax=ax, label=colorbar_label)
        return ListedColormap([palette(0.0), palette(1.0)])
    palette = plt.get_cmap("tab10")
    pred = np.argmax(proba, axis=1).reshape(gx.shape)
    colors = ListedColormap([palette(i % 10) for i in range(k)])
    ax.contourf(gx, gy, pred, levels=np.arange(k + 1) - 0.5, cmap=colors, alpha=0.35)
    ax.contour(gx, gy, pred, levels=np.arange(k) + 0.5, colors="k", linewidths=1.5)
    return colors


def _draw_points(
    ax: Axes,
    X: np.ndarray,
    labels: np.ndarray,
    colors: Any,
    k: int,
    *,
    size: float,
    label: str | None = None,
    marker: str = "o",
    edgecolor: str = "k",
    linewidth: float = 0.5,
) -> None:
    """Scatter points coloured by class index on the same colour map as the regions."""
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=labels,
        cmap=colors,
        vmin=0,
        vmax=k - 1,
        marker=marker,
        edgecolors=edgecolor,
        linewidths=linewidth,
        s=size,
        label=label,
    )


def _frame_axes(ax: Axes, gx: np.ndarray, gy: np.ndarray) -> None:
    """Fit the axes to the grid and name the two features."""
    ax.set_xlim(gx.min(), gx.max())
    ax.set_ylim(gy.min(), gy.max())
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")


def plot_decision_boundary(
    estimator: Any,
    X: ArrayLike,
    y: ArrayLike,
    ax: Axes | None = None,
    *,
    X_test: ArrayLike | None = None,
    y_test: ArrayLike | None = None,
    resolution: int = 200,
    title: str | None = None,
) -> Axes:
    """Draw class probabilities, the decision boundary and the points.

    Parameters
    ----------
    estimator : object with ``predict_proba``
        A fitted classifier on two features.
    X : array-like of shape (n_samples, 2)
        Points to draw (the training points, say) and the extent of the grid.
    y : array-like of shape (n_samples,)
        Their labels, as the estimator's ``classes_`` or as indices 0..k-1.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    X_test, y_test : array-like, optional
        Held-out points, drawn with hollow markers.
    resolution : int, default=200
        Grid points per axis.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    For two classes the fill is P(class 1) from blue (0) to red (1) and the
    boundary is the 0.5 contour. For more classes each region takes its
    predicted class's colour and black lines mark where the prediction changes.
    """
    import matplotlib.pyplot as plt

    Xa = check_2d_points(X, "X")
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"estimator must have predict_proba; got {type(estimator).__name__}. "
            "Fit a classifier first, or wrap a model in an object with predict_proba."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    Xt = None if X_test is None else check_2d_points(X_test, "X_test")
    points = Xa if Xt is None else np.vstack([Xa, Xt])
    gx, gy = boundary_grid(points, int(resolution))
    proba = np.asarray(estimator.predict_proba(np.c_[gx.ravel(), gy.ravel()]))
    k = proba.shape[1]
    classes = np.asarray(getattr(estimator, "classes_", np.arange(k)))

    def to_index(labels: ArrayLike) -> np.ndarray:
        lab = np.asarray(labels)
        idx = np.searchsorted(classes, lab)
        idx = np.clip(idx, 0, k - 1)
        if np.all(classes[idx] == lab):
            return idx
        return lab.astype(int)

    colors = _draw_regions(
        ax, gx, gy, proba, colorbar_label=f"P(class {classes[1]})" if k == 2 else None
    )
    _draw_points(ax, Xa, to_index(y), colors, k, size=18, label="train")
    if Xt is not None and y_test is not None:
        _draw_points(
            ax,
            Xt,
            to_index(y_test),
            colors,
            k,
            size=28,
            label="test",
            marker="^",
            edgecolor="w",
            linewidth=0.8,
        )
    _frame_axes(ax, gx, gy)
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def save_figure(fig: Figure, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Save ``fig`` atomically: write a temporary file beside ``path``, then rename.

    A crash mid-write leaves any previous file at ``path`` whole.

    Parameters
    ----------
    fig : matplotlib Figure
    path : str or path-like
        Destination; the format follows its extension.
    **kwargs
        Passed to ``Figure.savefig``.
    """
    suffix = os.path.splitext(os.fspath(path))[1]
    with _files.atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix.lstrip(".") or "png", **kwargs)


def _curve(obj: Any, name: str) -> list[float]:
    """``obj.name`` as a list of floats; [] when missing or None."""
    value = getattr(obj, name, None) if name else None
    return [] if value is None else [float(v) for v in value]


def plot_history(history_or_estimator: Any, ax: Axes | None = None) -> Axes:
    """Draw training and validation loss and accuracy per epoch.

    Parameters
    ----------
    history_or_estimator : History or fitted estimator
        A :class:`glassnet.History` (``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy``), or any object with scikit-learn's ``loss_curve_``
        and optionally ``validation_scores_`` (validation accuracy) and
        ``validation_loss_curve_``, such as a fitted ``glassnet.MLPClassifier``
        or ``sklearn.neural_network.MLPClassifier``.
    ax : matplotlib Axes, optional
        Where to draw the losses; a new figure is made when None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the loss curves (left scale). Accuracy curves, when
        there are any, share its x-axis on a twin axes with the scale on the
        right, in [0, 1].

    Notes
    -----
    Solid lines are training, dashed lines validation; loss is drawn in blue,
    accuracy in orange. Epochs are counted from 1.
    """
    import matplotlib.pyplot as plt

    obj = history_or_estimator
    # An estimator's ``loss`` is its loss *name* (scikit-learn's "log_loss"):
    # read the fitted ``*_`` attributes whenever they are there.
    if hasattr(obj, "loss_curve_"):
        names = ("loss_curve_", "validation_loss_curve_", "", "validation_scores_")
    elif isinstance(getattr(obj, "loss", None), (list, tuple, np.ndarray)):
        names = ("loss", "val_loss", "accuracy", "val_accuracy")
    else:
        raise TypeError(
            "history_or_estimator must be a glassnet History or a fitted estimator with "
            f"loss_curve_; got {type(obj).__name__}. Pass the History returned by "
            "glassnet.train, or an MLPClassifier fitted with a stochastic solver."
        )
    loss = _curve(obj, names[0])
    if not loss:
        raise ValueError(
            f"history_or_estimator has no epochs to draw: its loss curve is empty "
            f"({type(obj).__name__}). Train or fit it first."
        )
    curves = {
        "train loss": loss,
        "validation loss": _curve(obj, names[1]),
        "train accuracy": _curve(obj, names[2]),
        "validation accuracy": _curve(obj, names[3]),
    }
    for label, values in curves.items():
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"the {label} curve holds NaN or inf; plot_history draws finite curves only. "
                "Check the run for divergence."
            )
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.5))
    blue, orange = "tab:blue", "tab:orange"
    handles = []
    for label, style in (("train loss", "-"), ("validation loss", "--")):
        values = curves[label]
        if values:
            epochs = np.arange(1, len(values) + 1)
            handles += ax.plot(epochs, values, style, color=blue, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss", color=blue)
    if curves["train accuracy"] or curves["validation accuracy"]:
        acc_ax = ax.twinx()
        for label, style in (("train accuracy", "-"), ("validation accuracy", "--")):
            values = curves[label]
            if values:
                epochs = np.arange(1, len(values) + 1)
                handles += acc_ax.plot(epochs, values, style, color=orange, label=label)
        acc_ax.set_ylabel("accuracy", color=orange)
        acc_ax.set_ylim(0.0, 1.02)
    ax.legend(handles=handles, loc="center right")
    ax.grid(alpha=0.3)
    return ax


def save_animation(
    snapshots: Any,
    path: str | os.PathLike[str],
    X: ArrayLike,
    y: ArrayLike,
    *,
    fps: int = 8,
    dpi: float = 80.0,
    title: str = "glassnet",
) -> int:
    """Write the recorded decision-boundary snapshots as an animated GIF.

    Each frame shows the boundary, the points and the epoch, loss and
    accuracy of its snapshot. Written with matplotlib's ``PillowWriter`` to a
    temporary file beside ``path``, then renamed: a failure leaves any
    previous file whole.

    Parameters
    ----------
    snapshots : BoundarySnapshots
        A callback that recorded frames during training: ``grid`` (gx, gy)
        and ``frames``, each with ``epoch``, ``loss``, ``accuracy`` and
        ``proba`` of shape (gx.size, n_classes).
    path : str or path-like
        Destination, normally ending in ``.gif`` (a name without an extension
        also gets a GIF).
    X : array-like of shape (n_samples, 2)
        Points drawn in every frame.
    y : array-like of shape (n_samples,)
        Their labels as indices 0..n_classes-1.
    fps : int, default=8
        Frames per second.
    dpi : float, default=80.0
        Resolution; the frame is 6.4 × 5 inches.
    title : str, default="glassnet"
        Start of every frame's title.

    Returns
    -------
    int
        Number of frames written (one per snapshot).
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.animation import PillowWriter

    frames: Sequence[Any] = list(getattr(snapshots, "frames", []))
    if not frames:
        raise ValueError(
            "snapshots holds no frames: pass the BoundarySnapshots callback to training "
            "first (train(..., callbacks=[snapshots]))."
        )
    if not is_int(fps) or fps < 1:
        raise ValueError(f"fps must be a positive integer (frames per second); got {fps!r}.")
    Xa = check_2d_points(X, "X")
    yi = np.asarray(y).astype(int)
    gx, gy = snapshots.grid
    fig, ax = plt.subplots(figsize=(6.4, 5.0), dpi=dpi)
    fig.subplots_adjust(left=0.11, right=0.97, top=0.92, bottom=0.1)
    writer = PillowWriter(fps=fps)
    try:
        # Not writer.saving(): it calls finish() even after an error, which would
        # write a partial GIF or hide the error behind one of its own.
        # Pillow picks the format from the name: a path without an extension gets a GIF.
        suffix = None if os.path.splitext(os.fspath(path))[1] else ".gif"
        with (
            _files.atomic_path(path, suffix=suffix) as tmp,
            matplotlib.rc_context({"savefig.bbox": None}),
        ):
            writer.setup(fig, tmp, dpi)
            for frame in frames:
                ax.clear()
                k = frame.proba.shape[1]
                colors = _draw_regions(ax, gx, gy, frame.proba, colorbar_label=None)
                _draw_points(ax, Xa, yi, colors, k, size=14)
                _frame_axes(ax, gx, gy)
                text = f"{title}: epoch {frame.epoch}"
                if frame.loss is not None:
                    text += f", loss {frame.loss:.4f}, accuracy {frame.accuracy:.3f}"
                else:
                    text += " (initial weights)"
                ax.set_title(text)
                writer.grab_frame()
            writer.finish()
    finally:
        plt.close(fig)
    return len(frames)
