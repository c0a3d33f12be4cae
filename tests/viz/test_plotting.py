"""Pictures: the boundary's colours, the curves, the animation, and atomic writes."""

from __future__ import annotations

import itertools
import types
import warnings
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image, ImageChops
from sklearn.datasets import make_blobs, make_moons

import glassnet as gn
from glassnet.viz.plotting import save_figure


class _Net:
    """A trained Sequential with the predict_proba and predict of a classifier."""

    def __init__(self, model: gn.Sequential) -> None:
        self.model = model

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return gn.softmax(self.model.forward(np.asarray(X, dtype=np.float64)))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.argmax(self.predict_proba(X), axis=1)


def _trained(X: np.ndarray, y: np.ndarray, k: int, epochs: int = 150) -> _Net:
    model = gn.mlp([2, 16, k], "tanh", rng=0)
    gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(0.05), X, y, epochs=epochs)
    return _Net(model)


def _pixels_and_predictions(
    estimator: _Net, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Draw the boundary, then read the picture's colour at a grid of data points.

    Points are kept only where the prediction is the same a little way off in
    every direction (so the boundary line is not under them) and no marker or
    legend covers them. Returns their RGB colours in [0, 1], their predicted
    classes, and how many points there were before filtering.
    """
    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    try:
        gn.plot_decision_boundary(estimator, X, y, ax=ax)
        fig.canvas.draw()
        image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float) / 255
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        gx, gy = np.meshgrid(np.linspace(x0, x1, 32)[1:-1], np.linspace(y0, y1, 32)[1:-1])
        points = np.c_[gx.ravel(), gy.ravel()]
        pred = estimator.predict(points)
        dx, dy = 0.03 * (x1 - x0), 0.03 * (y1 - y0)
        steady = np.ones(len(points), dtype=bool)
        for ox, oy in [(dx, 0), (-dx, 0), (0, dy), (0, -dy), (dx, dy), (-dx, -dy)]:
            steady &= estimator.predict(points + np.array([ox, oy])) == pred
        disp = ax.transData.transform(points)
        markers = ax.transData.transform(X)
        far = np.min(np.linalg.norm(disp[:, None, :] - markers[None], axis=2), axis=1) > 8
        legend = ax.get_legend().get_window_extent()
        outside = ~(
            (disp[:, 0] > legend.x0 - 4)
            & (disp[:, 0] < legend.x1 + 4)
            & (disp[:, 1] > legend.y0 - 4)
            & (disp[:, 1] < legend.y1 + 4)
        )
        keep = steady & far & outside
        height = image.shape[0]
        cols = np.floor(disp[keep, 0]).astype(int)
        rows = np.floor(height - disp[keep, 1]).astype(int)
        return image[rows, cols], pred[keep], len(points)
    finally:
        plt.close(fig)


def test_two_class_boundary_colours_agree_with_predict(rng: np.random.Generator) -> None:
    X, y = make_moons(200, noise=0.15, random_state=int(rng.integers(1000)))
    est = _trained(X, y, 2)
    colours, pred, total = _pixels_and_predictions(est, X, y)
    assert len(pred) > total // 4 and set(pred) == {0, 1}
    # Blue (low P(class 1)) for class 0, red for class 1.
    shown = (colours[:, 0] > colours[:, 2]).astype(int)
    np.testing.assert_array_equal(shown, pred)


def test_three_class_boundary_colours_agree_with_predict(rng: np.random.Generator) -> None:
    X, y = make_blobs(150, centers=3, cluster_std=1.5, random_state=int(rng.integers(1000)))
    est = _trained(X, y, 3, epochs=100)
    colours, pred, total = _pixels_and_predictions(est, X, y)
    assert len(pred) > total // 4 and set(pred) == {0, 1, 2}
    # Each region is its class's tab10 colour at alpha 0.35 over the white axes.
    tab10 = plt.get_cmap("tab10")
    expected = np.array([0.35 * np.array(tab10(i)[:3]) + 0.65 for i in range(3)])
    nearest = np.argmin(np.linalg.norm(colours[:, None, :] - expected[None], axis=2), axis=1)
    np.testing.assert_array_equal(nearest, pred)


def test_boundary_input_errors() -> None:
    est = _Net(gn.mlp([2, 2], rng=0))
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\).*got \(5, 3\)"):
        gn.plot_decision_boundary(est, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        gn.plot_decision_boundary(est, np.full((5, 2), np.nan), np.zeros(5))
    with pytest.raises(TypeError, match="estimator must have predict_proba; got object"):
        gn.plot_decision_boundary(object(), np.zeros((5, 2)), np.zeros(5))


def _history() -> gn.History:
    return gn.History(
        loss=[0.9, 0.5, 0.3, 0.2],
        accuracy=[0.5, 0.7, 0.85, 0.9],
        val_loss=[1.0, 0.6, 0.4, 0.35],
        val_accuracy=[0.45, 0.65, 0.8, 0.86],
    )


def _lines(ax: Any) -> dict[str, list[float]]:
    axes = [a for a in ax.figure.axes if a.bbox.bounds == ax.bbox.bounds]
    return {line.get_label(): list(line.get_ydata()) for a in axes for line in a.get_lines()}


def test_plot_history_draws_all_four_curves_from_a_history() -> None:
    h = _history()
    ax = gn.plot_history(h)
    try:
        lines = _lines(ax)
        assert lines == {
            "train loss": h.loss,
            "validation loss": h.val_loss,
            "train accuracy": h.accuracy,
            "validation accuracy": h.val_accuracy,
        }
        assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3, 4]  # epochs from 1
        assert ax.get_xlabel() == "epoch"
    finally:
        plt.close(ax.figure)


def test_plot_history_reads_estimator_attributes_and_skips_missing_curves() -> None:
    est = types.SimpleNamespace(
        loss_curve_=[0.8, 0.4, 0.3],
        validation_loss_curve_=[0.9, 0.5, 0.45],
        validation_scores_=[0.6, 0.8, 0.82],
    )
    fig, ax = plt.subplots()
    try:
        assert gn.plot_history(est, ax=ax) is ax
        assert _lines(ax) == {
            "train loss": est.loss_curve_,
            "validation loss": est.validation_loss_curve_,
            "validation accuracy": est.validation_scores_,
        }
        ax.clear()
        # scikit-learn leaves validation_scores_ None without early stopping.
        bare = types.SimpleNamespace(loss_curve_=[0.7, 0.6], validation_scores_=None)
        gn.plot_history(bare, ax=ax)
        assert [line.get_label() for line in ax.get_lines()] == ["train loss"]
    finally:
        plt.close(fig)


def test_plot_history_works_with_scikit_learns_mlp(rng: np.random.Generator) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = make_moons(200, noise=0.2, random_state=int(rng.integers(1000)))
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=12, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    ax = gn.plot_history(clf)
    try:
        lines = _lines(ax)
        assert lines["train loss"] == pytest.approx(clf.loss_curve_)
        assert lines["validation accuracy"] == pytest.approx(clf.validation_scores_)
    finally:
        plt.close(ax.figure)


def test_plot_history_errors() -> None:
    with pytest.raises(TypeError, match=r"glassnet History or a fitted estimator with loss_curve_"):
        gn.plot_history(object())
    with pytest.raises(ValueError, match="no epochs to draw: its loss curve is empty"):
        gn.plot_history(gn.History())
    with pytest.raises(ValueError, match="the validation loss curve holds NaN or inf"):
        gn.plot_history(gn.History(loss=[1.0, 0.5], val_loss=[1.0, np.nan]))


def test_curves_png_has_the_expected_size_and_is_not_blank(tmp_path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
    gn.plot_history(_history(), ax=ax)
    path = tmp_path / "curves.png"
    try:
        save_figure(fig, path)
    finally:
        plt.close(fig)
    with Image.open(path) as img:
        assert img.size == (500, 300)
        pixels = np.asarray(img.convert("RGB"), dtype=float)
    assert pixels.std() > 10  # not one flat colour
    assert not list(tmp_path.glob(".glassnet-*"))


def _snapshots(rng: np.random.Generator, epochs: int, every: int) -> tuple[Any, np.ndarray, Any]:
    X, y = make_moons(100, noise=0.2, random_state=int(rng.integers(1000)))
    snaps = gn.BoundarySnapshots(X, every=every, resolution=20)
    model = gn.mlp([2, 8, 2], rng=0)
    gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(0.05), X, y, epochs=epochs, callbacks=[snaps])
    return snaps, X, y


def test_animation_has_one_frame_per_snapshot_and_the_frames_differ(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    snaps, X, y = _snapshots(rng, epochs=12, every=3)
    path = tmp_path / "moons.gif"
    n = gn.save_animation(snaps, path, X, y, dpi=50)
    assert n == len(snaps.frames) == 5  # epochs 0, 3, 6, 9, 12
    frames = []
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == n
        assert gif.size == (320, 250)  # 6.4 × 5 inches at 50 dpi
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(gif.convert("RGB"))
    for a, b in itertools.pairwise(frames):
        assert ImageChops.difference(a, b).getbbox() is not None
    first, last = (np.asarray(f, dtype=float) for f in (frames[0], frames[-1]))
    assert np.mean(np.any(first != last, axis=2)) > 0.05  # the boundary moved, not just the title
    assert not list(tmp_path.glob(".glassnet-*"))


def test_animation_to_a_name_without_extension_is_a_gif(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    snaps, X, y = _snapshots(rng, epochs=2, every=1)
    path = tmp_path / "moons"
    assert gn.save_animation(snaps, path, X, y, dpi=30) == 3
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 3
    assert not list(tmp_path.glob(".glassnet-*"))


def test_animation_failure_leaves_the_old_file_whole(
    rng: np.random.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.animation import PillowWriter

    snaps, X, y = _snapshots(rng, epochs=4, every=2)
    path = tmp_path / "moons.gif"
    path.write_bytes(b"old animation")
    calls = []

    def broken(self: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")

    monkeypatch.setattr(PillowWriter, "grab_frame", broken)
    with pytest.raises(OSError, match="disk full"):
        gn.save_animation(snaps, path, X, y, dpi=30)
    assert path.read_bytes() == b"old animation"
    assert [p.name for p in tmp_path.iterdir()] == ["moons.gif"]


def test_animation_errors(rng: np.random.Generator, tmp_path: Path) -> None:
    empty = gn.BoundarySnapshots(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]))
    with pytest.raises(ValueError, match=r"snapshots holds no frames: pass the BoundarySnapshots"):
        gn.save_animation(empty, tmp_path / "a.gif", np.zeros((3, 2)), np.zeros(3))
    snaps, X, y = _snapshots(rng, epochs=2, every=1)
    with pytest.raises(ValueError, match=r"fps must be a positive integer .* got 0"):
        gn.save_animation(snaps, tmp_path / "a.gif", X, y, fps=0)
    assert not list(tmp_path.iterdir())
