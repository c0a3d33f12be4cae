"""Pictures: the decision boundary. matplotlib is imported only when drawing.

Plotting needs only something with ``predict_proba``: a fitted
``glassnet.MLPClassifier``, any scikit-learn classifier, or a model wrapper.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary", "save_figure"]


def _grid(X: np.ndarray, resolution: int, margin: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    lo = X.min(axis=0) - margin
    hi = X.max(axis=0) + margin
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    return np.meshgrid(xs, ys)


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
    predicted class's colour, paler where the winning probability is lower.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2 or Xa.shape[1] != 2:
        raise ValueError(
            f"X must have shape (n_samples, 2) to draw a 2-D boundary; got {Xa.shape}. "
            "Project the data to two features first."
        )
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(f"estimator must have predict_proba; got {type(estimator).__name__}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    points = Xa if X_test is None else np.vstack([Xa, np.asarray(X_test, dtype=np.float64)])
    gx, gy = _grid(points, int(resolution))
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

    palette = plt.get_cmap("tab10" if k > 2 else "coolwarm")
    if k == 2:
        p1 = proba[:, 1].reshape(gx.shape)
        cs = ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 21), cmap="coolwarm", alpha=0.75)
        ax.contour(gx, gy, p1, levels=[0.5], colors="k", linewidths=2)
        ax.figure.colorbar(cs, ax=ax, label=f"P(class {classes[1]})")
        colors = ListedColormap([palette(0.0), palette(1.0)])
    else:
        pred = np.argmax(proba, axis=1).reshape(gx.shape)
        colors = ListedColormap([palette(i) for i in range(k)])
        ax.contourf(gx, gy, pred, levels=np.arange(k + 1) - 0.5, cmap=colors, alpha=0.35)
        ax.contour(gx, gy, pred, levels=np.arange(k) + 0.5, colors="k", linewidths=1.5)
    yi = to_index(y)
    ax.scatter(
        Xa[:, 0],
        Xa[:, 1],
        c=yi,
        cmap=colors,
        vmin=0,
        vmax=k - 1,
        edgecolors="k",
        linewidths=0.5,
        s=18,
        label="train",
    )
    if X_test is not None and y_test is not None:
        Xt = np.asarray(X_test, dtype=np.float64)
        ax.scatter(
            Xt[:, 0],
            Xt[:, 1],
            c=to_index(y_test),
            cmap=colors,
            vmin=0,
            vmax=k - 1,
            marker="^",
            edgecolors="w",
            linewidths=0.8,
            s=28,
            label="test",
        )
    ax.set_xlim(gx.min(), gx.max())
    ax.set_ylim(gy.min(), gy.max())
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def _new_file_mode(path: str) -> int:
    """Mode for a file written to ``path``: the old file's, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix=".glassnet-", suffix=suffix, dir=folder)
    try:
        # mkstemp makes the file private (0600); give it a normal file's mode.
        os.chmod(tmp, _new_file_mode(path))
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=suffix.lstrip(".") or "png", **kwargs)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
