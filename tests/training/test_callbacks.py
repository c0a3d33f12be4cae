"""Progress bar and boundary snapshots, driven by the real training loop."""

from __future__ import annotations

import io

import numpy as np
import pytest
from sklearn.datasets import make_moons

import glassnet as gn
from helpers import Terminal


def _moons(rng: np.random.Generator, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    seed = int(rng.integers(2**31))
    return make_moons(n, noise=0.2, random_state=seed)


def _fit(
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    callbacks: list[gn.Callback],
    *,
    seed: int = 0,
    dtype: type = np.float64,
) -> tuple[gn.Sequential, gn.History]:
    model = gn.mlp([2, 8, 2], "tanh", rng=seed, dtype=dtype)
    history = gn.train(
        model, gn.SoftmaxCrossEntropy(), gn.Adam(0.05), X, y, epochs=epochs, callbacks=callbacks
    )
    return model, history


def _proba(model: gn.Sequential, points: np.ndarray) -> np.ndarray:
    return gn.softmax(model.forward(points.astype(model.dtype)))


def test_snapshots_are_the_model_at_each_recorded_epoch(rng: np.random.Generator) -> None:
    X, y = _moons(rng)
    snaps = gn.BoundarySnapshots(X, every=5, resolution=12)
    model, history = _fit(X, y, 22, [snaps])
    assert [f.epoch for f in snaps.frames] == [0, 5, 10, 15, 20, 22]
    gx, gy = snaps.grid
    assert gx.shape == gy.shape == (12, 12)
    assert gx.min() == pytest.approx(X[:, 0].min() - 0.5)
    assert gy.max() == pytest.approx(X[:, 1].max() + 0.5)
    points = np.c_[gx.ravel(), gy.ravel()]
    # Initial frame: the untrained model. Frame at epoch 10: a fresh model
    # trained for exactly 10 epochs (full batch, so deterministic). Last: the end.
    np.testing.assert_allclose(snaps.frames[0].proba, _proba(gn.mlp([2, 8, 2], rng=0), points))
    ten, _ = _fit(X, y, 10, [])
    np.testing.assert_allclose(snaps.frames[2].proba, _proba(ten, points), rtol=1e-12)
    np.testing.assert_allclose(snaps.frames[-1].proba, _proba(model, points), rtol=1e-12)
    assert snaps.frames[0].loss is None
    for frame in snaps.frames[1:]:
        assert frame.loss == history.loss[frame.epoch - 1]
        assert frame.accuracy == history.accuracy[frame.epoch - 1]
        assert frame.proba.shape == (144, 2)
        np.testing.assert_allclose(frame.proba.sum(axis=1), 1.0)
    assert not np.allclose(snaps.frames[0].proba, snaps.frames[-1].proba, atol=1e-3)


def test_snapshots_do_not_change_training(rng: np.random.Generator) -> None:
    X, y = _moons(rng)
    plain, h1 = _fit(X, y, 15, [])
    watched, h2 = _fit(X, y, 15, [gn.BoundarySnapshots(X, every=1, resolution=9)])
    assert h1.loss == h2.loss
    for name, value in plain.parameters().items():
        np.testing.assert_array_equal(value, watched.parameters()[name])


def test_snapshots_keep_the_model_dtype_and_skip_the_initial_frame_when_asked(
    rng: np.random.Generator,
) -> None:
    X, y = _moons(rng)
    snaps = gn.BoundarySnapshots(X, every=4, resolution=6, include_initial=False)
    _fit(X, y, 8, [snaps], dtype=np.float32)
    assert [f.epoch for f in snaps.frames] == [4, 8]
    assert all(f.proba.dtype == np.float32 for f in snaps.frames)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every": 0}, r"every must be a positive number of epochs .* got 0"),
        ({"every": 2.5}, r"every must be a positive number of epochs .* got 2.5"),
        ({"resolution": 1}, r"resolution must be an integer >= 2 .* got 1"),
    ],
    ids=["every-0", "every-float", "resolution"],
)
def test_snapshot_settings_are_checked(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gn.BoundarySnapshots(np.zeros((3, 2)), **kwargs)  # type: ignore[arg-type]


def test_snapshot_points_must_be_2d() -> None:
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\).*got \(4, 3\)"):
        gn.BoundarySnapshots(np.zeros((4, 3)))


def test_progress_bar_draws_epoch_loss_and_validation_on_a_terminal(
    rng: np.random.Generator,
) -> None:
    X, y = _moons(rng)
    stream = Terminal()
    bar = gn.ProgressBar(total=12, stream=stream, min_interval=0.0)
    model = gn.mlp([2, 8, 2], rng=0)
    history = gn.train(
        model,
        gn.SoftmaxCrossEntropy(),
        gn.Adam(0.05),
        X[:80],
        y[:80],
        epochs=12,
        validation_data=(X[80:], y[80:]),
        callbacks=[bar],
    )
    text = stream.getvalue()
    assert text.count("\r") == 12  # one redraw per epoch with min_interval=0
    assert text.endswith("\n")
    last = text.rstrip("\n").rsplit("\r", 1)[1]
    assert last.startswith(f"epoch 12/12 [{'#' * 24}] 100%")
    assert f"loss {history.loss[-1]:.4f}" in last
    assert f"val_loss {history.val_loss[-1]:.4f}" in last
    assert f"val_acc {history.val_accuracy[-1]:.4f}" in last
    assert "epoch  1/12 [##" in text


def test_progress_bar_is_quiet_when_not_a_terminal(rng: np.random.Generator) -> None:
    X, y = _moons(rng, 40)
    stream = io.StringIO()  # isatty() is False: a pipe or a log file
    bar = gn.ProgressBar(total=5, stream=stream)
    assert not bar.is_active()
    _fit(X, y, 5, [bar])
    assert stream.getvalue() == ""
    forced = gn.ProgressBar(total=5, stream=io.StringIO(), enabled=True)
    assert forced.is_active()
    assert not gn.ProgressBar(stream=Terminal(), enabled=False).is_active()


def test_progress_bar_throttles_but_always_shows_the_last_epoch(
    rng: np.random.Generator,
) -> None:
    X, y = _moons(rng, 40)
    stream = Terminal()
    _fit(X, y, 30, [gn.ProgressBar(total=30, stream=stream, min_interval=1e9)])
    draws = stream.getvalue().rstrip("\n").split("\r")[1:]
    assert [d.split("/")[0] for d in draws] == ["epoch  1", "epoch 30"]


def test_progress_bar_without_total_counts_and_close_ends_an_interrupted_line(
    rng: np.random.Generator,
) -> None:
    X, y = _moons(rng, 40)

    class Interrupt(gn.Callback):
        def on_epoch_end(self, state: gn.TrainState) -> None:
            if state.epoch == 3:
                raise KeyboardInterrupt

    stream = Terminal()
    bar = gn.ProgressBar(stream=stream, min_interval=1e9)
    with pytest.raises(KeyboardInterrupt):
        _fit(X, y, 50, [bar, Interrupt()])
    assert not stream.getvalue().endswith("\n")
    bar.close()
    text = stream.getvalue()
    assert text.endswith("\n")
    assert text.rstrip("\n").rsplit("\r", 1)[1].startswith("epoch 4 loss ")
    bar.close()  # a second close writes nothing more
    assert stream.getvalue() == text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": -1}, r"total must be a non-negative number of epochs or None; got -1"),
        ({"width": 0}, r"width must be a positive number of characters; got 0"),
        ({"min_interval": float("nan")}, r"min_interval must be a finite number >= 0"),
    ],
    ids=["total", "width", "interval"],
)
def test_progress_bar_settings_are_checked(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gn.ProgressBar(**kwargs)  # type: ignore[arg-type]


def test_callbacks_do_not_import_the_plotting_edge_module() -> None:
    # The training loop's callbacks sit before the edges in the data flow:
    # BoundarySnapshots takes its grid from the shared helper, not from plotting.
    import ast
    import inspect

    import glassnet.viz.plotting
    import glassnet.viz.snapshots

    tree = ast.parse(inspect.getsource(glassnet.viz.snapshots))
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not any("plotting" in m or "matplotlib" in m for m in imported), imported
    snaps = gn.BoundarySnapshots(np.array([[0.0, 1.0], [2.0, 3.0]]), resolution=5, margin=0.0)
    gx, gy = glassnet.viz.plotting.boundary_grid(np.array([[0.0, 1.0], [2.0, 3.0]]), 5, 0.0)
    np.testing.assert_array_equal(snaps.grid[0], gx)
    np.testing.assert_array_equal(snaps.grid[1], gy)
