"""Faults during fit lose nothing, and bad settings are refused before any work.

A callback or checkpoint that fails mid-fit keeps the last completed epoch; one
that fails before any epoch keeps the previous model. Settings that cannot work
(an unwritable checkpoint path, all-zero class weights, a network too large for
memory) are refused before training, in the user's terms.
"""

from __future__ import annotations

import os
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from glassnet import Callback, MLPClassifier, TrainState


@pytest.fixture
def Xy() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(120, noise=0.2, random_state=0)
    return X, y


class _FailAt(Callback):
    """Raise ``RuntimeError`` at the end of epoch ``epoch`` (1-based), or at the start."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_begin(self, state: TrainState) -> None:
        if self.epoch == 0:
            raise RuntimeError("callback broke at the start")

    def on_epoch_end(self, state: TrainState) -> None:
        if state.epoch + 1 == self.epoch:
            raise RuntimeError(f"callback broke after epoch {self.epoch}")


def _quiet_fit(est: MLPClassifier, X: np.ndarray, y: np.ndarray) -> MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


# --------------------------------------------------------------------------- failed refits


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_error_keeps_the_last_completed_epoch(
    solver: str, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    params: dict[str, Any] = {"hidden_layer_sizes": (8,), "solver": solver, "random_state": 0}
    est = _quiet_fit(MLPClassifier(**params, max_iter=10), X, y)  # a previous model
    with pytest.raises(RuntimeError, match="callback broke after epoch 3"):
        est.set_params(max_iter=50).fit(X, y, callbacks=[_FailAt(3)])
    # The three completed epochs are kept: the same weights as a fit of three epochs.
    three = _quiet_fit(MLPClassifier(**params, max_iter=3), X, y)
    assert est.n_iter_ == 3 == len(est.loss_curve_)
    for a, b in zip(est.coefs_, three.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert est.loss_curve_ == pytest.approx(three.loss_curve_)
    assert est.interrupted_ is True
    assert est.stopped_by_.startswith("error: RuntimeError: callback broke after epoch 3")
    assert three.stopped_by_ == "max_iter" and not three.interrupted_
    assert est.predict(X).shape == (len(X),)


class _FailAtEnd(Callback):
    def on_train_end(self, state: TrainState) -> None:
        raise RuntimeError("callback broke at the end")


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_error_at_the_end_keeps_the_whole_fit(
    solver: str, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    params: dict[str, Any] = {"hidden_layer_sizes": (8,), "solver": solver, "max_iter": 4}
    est = MLPClassifier(**params, random_state=0)
    with pytest.raises(RuntimeError, match="broke at the end"):
        est.fit(X, y, callbacks=[_FailAtEnd()])
    whole = _quiet_fit(MLPClassifier(**params, random_state=0), X, y)
    assert est.n_iter_ == whole.n_iter_ == 4
    for a, b in zip(est.coefs_, whole.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert est.interrupted_ and est.stopped_by_.startswith("error: RuntimeError")


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_error_before_any_epoch_keeps_the_previous_model(
    solver: str, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    est = _quiet_fit(MLPClassifier((8,), solver=solver, max_iter=10, random_state=0), X, y)
    before = [c.copy() for c in est.coefs_]
    n_iter, curve, stopped = est.n_iter_, list(est.loss_curve_), est.stopped_by_
    with pytest.raises(RuntimeError, match="broke at the start"):
        est.set_params(random_state=1).fit(X, y, callbacks=[_FailAt(0)])
    for a, b in zip(est.coefs_, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (est.n_iter_, est.loss_curve_, est.stopped_by_) == (n_iter, curve, stopped)
    # A first fit that fails before any epoch leaves the estimator unfitted.
    fresh = MLPClassifier((8,), solver=solver, random_state=0)
    with pytest.raises(RuntimeError, match="broke at the start"):
        fresh.fit(X, y, callbacks=[_FailAt(0)])
    assert not hasattr(fresh, "coefs_")


def test_a_checkpoint_that_fails_mid_fit_keeps_the_last_epoch(
    Xy: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    X, y = Xy
    folder = tmp_path / "runs"
    folder.mkdir()

    class RemoveFolder(Callback):
        def on_epoch_end(self, state: TrainState) -> None:
            if state.epoch + 1 == 3:
                (folder / "fit.ckpt").unlink()
                folder.rmdir()

    est = MLPClassifier(
        (8,), max_iter=50, random_state=0, checkpoint_path=folder / "fit.ckpt", checkpoint_every=2
    )
    # The write at epoch 4 finds no folder: the error names the user's path, no temp file.
    with pytest.raises(
        FileNotFoundError, match=r"checkpoint_path=.*fit\.ckpt.* after epoch 4"
    ) as info:
        est.fit(X, y, callbacks=[RemoveFolder()])
    assert ".tmp" not in str(info.value)
    assert est.n_iter_ == 4 == len(est.loss_curve_)
    assert est.interrupted_ is True and est.stopped_by_.startswith("error: ")
    assert est.predict(X).shape == (len(X),)


class _Count(Callback):
    def __init__(self) -> None:
        self.epochs = 0

    def on_epoch_end(self, state: TrainState) -> None:
        self.epochs += 1


def test_an_unwritable_checkpoint_path_is_refused_before_training(
    Xy: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    X, y = Xy
    count = _Count()
    missing = tmp_path / "no such folder" / "fit.ckpt"
    with pytest.raises(
        ValueError, match=r"checkpoint_path=.*no such folder.*does not exist.*Create"
    ):
        MLPClassifier(checkpoint_path=missing).fit(X, y, callbacks=[count])
    a_file = tmp_path / "a file"
    a_file.write_text("")
    with pytest.raises(ValueError, match=r"checkpoint_path=.*a file.*not a folder"):
        MLPClassifier(checkpoint_path=a_file / "fit.ckpt").fit(X, y, callbacks=[count])
    with pytest.raises(ValueError, match=r"checkpoint_path=.* is a folder"):
        MLPClassifier(checkpoint_path=tmp_path).fit(X, y, callbacks=[count])
    assert count.epochs == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file"]  # no stray file


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes to read-only folders"
)
def test_a_read_only_checkpoint_folder_is_refused_before_training(
    Xy: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    X, y = Xy
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ValueError, match=r"checkpoint_path=.*locked.*cannot be written"):
            MLPClassifier(checkpoint_path=folder / "fit.ckpt").fit(X, y)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


# --------------------------------------------------------------------------- weights


def test_class_weights_that_are_all_zero_are_refused(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    with pytest.raises(ValueError, match=r"class_weight.*zero for every class"):
        MLPClassifier(class_weight={0: 0, 1: 0}).fit(X, y)
    with pytest.raises(
        ValueError, match=r"class_weight.*zero for every sample but those of class 1"
    ):
        MLPClassifier(class_weight={0: 0.0}).fit(X, y)
    # Combined with sample_weight, valid alone: class 0 weighs nothing, so only class 1 is left.
    with pytest.raises(ValueError, match=r"sample_weight and class_weight together are zero"):
        MLPClassifier(class_weight={0: 0.0}).fit(X, y, sample_weight=np.where(y == 0, 1.0, 0.5))
    with pytest.raises(ValueError, match=r"class_weight.*zero for every class"):
        MLPClassifier(class_weight={0: 0, 1: 0}).partial_fit(X, y, classes=[0, 1])


# --------------------------------------------------------------------------- memory


@pytest.mark.parametrize("hidden", [(10**9,), (10**5, 10**5)], ids=["1e9-wide", "1e10-weights"])
def test_a_network_too_large_for_memory_is_refused_before_allocating(
    hidden: tuple[int, ...], Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(
            ValueError,
            match=r"hidden_layer_sizes=.*needs about [0-9.]+ GiB.*only about [0-9.]+ GiB is avail",
        ):
            MLPClassifier(hidden).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2.0
    assert peak < 50 * 2**20


# --------------------------------------------------------------------------- messages


def test_validation_data_problems_name_the_validation_arguments(
    Xy: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = Xy
    est = MLPClassifier(max_iter=2)
    with pytest.raises(ValueError, match=r"X_val has 3 features.*expecting 2"):
        est.fit(X, y, validation_data=(np.ones((5, 3)), y[:5]))
    with pytest.raises(ValueError, match=r"y_val contains 1 NaN"):
        est.fit(X, y, validation_data=(X[:5], np.array([0, 1, np.nan, 1, 0])))
    with pytest.raises(ValueError, match=r"y_val must be 1-D"):
        est.fit(X, y, validation_data=(X[:5], np.ones((5, 2))))
    frame = pd.DataFrame({"a": ["x"] * 5, "b": np.ones(5)})
    with pytest.raises(ValueError, match=r"X_val column 'a'"):
        est.fit(X, y, validation_data=(frame, y[:5]))
    with pytest.raises(ValueError, match=r"sample_weight_val must have shape \(5,\)"):
        est.fit(X, y, validation_data=(X[:5], y[:5], np.ones(4)))
    with pytest.raises(ValueError, match=r"validation_data must be a tuple"):
        est.fit(X, y, validation_data=X)


def test_nan_at_predict_is_described_for_prediction(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    est = _quiet_fit(MLPClassifier((4,), max_iter=3, random_state=0), X, y)
    bad = X[:4].copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 NaN.*before predicting") as info:
        est.predict(bad)
    assert "training" not in str(info.value)


@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.float32, "float32"], ids=repr)
def test_dtype_accepts_a_numpy_dtype_instance(
    dtype: Any, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    est = _quiet_fit(MLPClassifier((4,), max_iter=3, dtype=dtype, random_state=0), X, y)
    assert est.coefs_[0].dtype == np.float32
    assert est.predict_proba(X).dtype == np.float32


@pytest.mark.parametrize("scale", [1e-6, 1e-9])
def test_tiny_x_warns_to_scale(scale: float, Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    with pytest.warns(UserWarning, match=r"as small as .*StandardScaler"):
        _quiet_fit(MLPClassifier((4,), max_iter=3, random_state=0), X * scale, y)
    # Ordinary X is silent (warnings are errors here).
    _quiet_fit(MLPClassifier((4,), max_iter=3, random_state=0), X, y)


# --------------------------------------------------------------------------- normal ends


class _StopAt(Callback):
    def on_epoch_end(self, state: TrainState) -> None:
        if state.epoch + 1 == 2:
            state.stop_training = True


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_stopped_by_says_why_each_fit_ended(solver: str, Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    quick = MLPClassifier((8,), solver=solver, tol=10.0, n_iter_no_change=1, random_state=0)
    assert quick.fit(X, y).stopped_by_ == "converged" and not quick.interrupted_
    capped = _quiet_fit(MLPClassifier((8,), solver=solver, max_iter=2, random_state=0), X, y)
    assert capped.stopped_by_ == "max_iter"
    stopped = MLPClassifier((8,), solver=solver, random_state=0).fit(X, y, callbacks=[_StopAt()])
    assert stopped.stopped_by_ == "callback" and stopped.n_iter_ == 2
    if solver == "adam":
        partial = MLPClassifier((8,), random_state=0).partial_fit(X, y, classes=[0, 1])
        assert partial.stopped_by_ == "partial_fit"
