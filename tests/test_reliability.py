"""RELIABILITY.md's bar: interrupts, divergence, bad input, property-based fits."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError

import glassnet
from glassnet import (
    Callback,
    MLPClassifier,
    SoftmaxCrossEntropy,
    TrainingDivergedError,
    TrainState,
    mlp,
    train,
)
from glassnet.core.optim import Adam


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    """Read a pty until ``needle`` shows up (or the timeout passes)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty and SIGINT")
def test_sigint_to_the_cli_stops_training_and_exits_130(tmp_path: Path) -> None:
    import pty

    # stderr is a terminal so the progress bar draws: once it has, training
    # is under way and Ctrl-C lands inside the loop.
    master, slave = pty.openpty()
    args = ["train", "--epochs", "100000", "--out", "", "--save", "m.glassnet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        cwd=tmp_path,
    )
    os.close(slave)
    try:
        started = _read_until(master, b"epoch", timeout=120)
        assert b"epoch" in started, started
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        err = _read_until(master, b"glassnet train: interrupted", timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 130
    assert b"Traceback" not in err
    stopped = re.search(rb"interrupted after (\d+) of 100000 epochs", err)
    assert stopped, err
    assert b"saved to m.glassnet" in err
    assert b"accuracy" not in out  # never reports success
    # The model kept at the interrupt is whole and usable.
    model = glassnet.load(tmp_path / "m.glassnet")
    assert model.n_iter_ == int(stopped.group(1)) >= 1
    proba = model.predict_proba(np.zeros((3, 2)))
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)


def test_train_save_then_predict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from glassnet.cli import main

    model = tmp_path / "m.glassnet"
    args = ["train", "--epochs", "30", "--hidden", "4", "--out", "", "--save", str(model)]
    assert main(args) == 0
    assert f"wrote {model}" in capsys.readouterr().out
    data = tmp_path / "x.csv"
    points = np.array([[0.0, 0.5], [1.0, -0.5], [-1.0, 0.2]])
    data.write_text("\n".join(",".join(map(repr, map(float, row))) for row in points))
    assert main(["predict", "--model", str(model), "--input", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    est = glassnet.load(model)
    assert lines[0] == "label,proba_0,proba_1"
    assert [int(line.split(",")[0]) for line in lines[1:]] == est.predict(points).tolist()
    bad = ["train", "--epochs", "5", "--out", "", "--save", str(tmp_path / "no" / "m.glassnet")]
    assert main(bad) == 2
    assert "cannot write --save" in capsys.readouterr().err


class _StopAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_batch_end(self, state: TrainState) -> None:
        if state.history.n_steps == self.step:
            raise KeyboardInterrupt


def test_keyboard_interrupt_in_train_keeps_the_last_step(rng: np.random.Generator) -> None:
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] > 0).astype(int)
    model = mlp([2, 4, 2], rng=rng)
    history = glassnet.History()
    with pytest.raises(KeyboardInterrupt):
        train(
            model,
            SoftmaxCrossEntropy(),
            Adam(0.01),
            X,
            y,
            epochs=100,
            batch_size=16,
            rng=rng,
            callbacks=[_StopAt(10)],
            history=history,
        )
    assert history.interrupted and history.n_steps == 10
    assert np.all(np.isfinite(model.flat_params))


# --------------------------------------------------------------------------- the estimator


def _est(**kwargs: Any) -> MLPClassifier:
    kwargs.setdefault("max_iter", 5)
    return MLPClassifier((4,), random_state=0, **kwargs)


@pytest.fixture
def Xy(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int)


def _with(X: np.ndarray, index: tuple[int, int], value: Any) -> np.ndarray:
    out = X.astype(object) if isinstance(value, str) else X.copy()
    out[index] = value
    return out


def _frame(X: np.ndarray, column: Any) -> Any:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["b"] = column
    return df


# (case id, call(X, y) that must raise, exception class, regex the message must match)
BAD_INPUT: list[tuple[str, Callable[[np.ndarray, np.ndarray], Any], type, str]] = [
    ("nan-X", lambda X, y: _est().fit(_with(X, (3, 1), np.nan), y), ValueError,
     r"X contains 1 NaN value\(s\), the first at position \(3, 1\)"),
    ("inf-X", lambda X, y: _est().fit(_with(X, (5, 2), -np.inf), y), ValueError,
     r"X contains 1 inf value\(s\), the first at position \(5, 2\)"),
    ("nan-X-predict", lambda X, y: _fitted(X, y).predict(_with(X, (0, 0), np.nan)), ValueError,
     r"X contains 1 NaN"),
    ("nan-y", lambda X, y: _est().fit(X, np.where(y == 1, np.nan, 0.0)), ValueError,
     r"y contains \d+ NaN value"),
    ("continuous-y", lambda X, y: _est().fit(X, X[:, 0]), ValueError,
     r"^Unknown label type: continuous[^\[]{0,200}$"),
    ("mixed-labels", lambda X, y: _est().fit(X, np.array(["a", 1] * 20, dtype=object)),
     ValueError, r"Mix of label input types \(string and number\)"),
    ("early-stopping-too-few", lambda X, y: _est(early_stopping=True).fit(X[:6], y[:6]),
     ValueError, r"validation_fraction=0\.1 of 6 samples.*class"),
    ("0-samples", lambda X, y: _est().fit(X[:0], y[:0]), ValueError,
     r"Found array with 0 sample\(s\)"),
    ("0-features", lambda X, y: _est().fit(X[:, :0], y), ValueError,
     r"Found array with 0 feature\(s\)"),
    ("y-n-by-2-not-indicator", lambda X, y: _est().fit(X, np.stack([y, 2 * y], axis=1)),
     ValueError, r"\(40, 2\)"),
    ("length-mismatch", lambda X, y: _est().fit(X, y[:-1]), ValueError,
     r"inconsistent numbers of samples: \[40, 39\]"),
    ("1-D-X", lambda X, y: _est().fit(X[:, 0], y), ValueError, r"Reshape your data"),
    ("3-D-X", lambda X, y: _est().fit(X[:, :, None], y), ValueError, r"dim 3"),
    ("complex-X", lambda X, y: _est().fit(X + 1j, y), ValueError, r"Complex data not supported"),
    ("text-in-object-X", lambda X, y: _est().fit(_with(X, (2, 1), "abc"), y), ValueError,
     r"X column 1 holds text: 'abc' at row 2"),
    ("text-column", lambda X, y: _est().fit(_frame(X, ["x"] * len(X)), y), ValueError,
     r"X column 'b' has dtype .*not numeric"),
    ("categorical-column",
     lambda X, y: _est().fit(_frame(X, _categorical(len(X))), y), ValueError,
     r"X column 'b' has dtype category"),
    ("renamed-columns",
     lambda X, y: _fitted(_frame(X, X[:, 1]), y).predict(_frame(X, X[:, 1]).rename(
         columns={"a": "z"})), ValueError, r"feature names should match"),
    ("wrong-n-features", lambda X, y: _fitted(X, y).predict(X[:, :2]), ValueError,
     r"^X has 2 features, but MLPClassifier is expecting 3 features as input\.$"),
    ("predict-before-fit", lambda X, y: _est().predict(X), NotFittedError, r"not fitted"),
    ("weights-wrong-length", lambda X, y: _est().fit(X, y, sample_weight=np.ones(3)),
     ValueError, r"sample_weight must have shape \(40,\).*got shape \(3,\)"),
    ("weights-all-zero", lambda X, y: _est().fit(X, y, sample_weight=np.zeros(40)),
     ValueError, r"sample_weight is zero for every sample"),
    ("weights-negative", lambda X, y: _est().fit(X, y, sample_weight=-np.ones(40)),
     ValueError, r"sample_weight contains 40 negative value\(s\)"),
    ("weights-nan", lambda X, y: _est().fit(X, y, sample_weight=np.full(40, np.nan)),
     ValueError, r"sample_weight contains 40 NaN value\(s\)"),
    ("lr-zero", lambda X, y: _est(learning_rate_init=0.0).fit(X, y), ValueError,
     r"'learning_rate_init' parameter.*range \(0\.0, inf\)\. Got 0\.0"),
    ("alpha-nan", lambda X, y: _est(alpha=np.nan).fit(X, y), ValueError,
     r"'alpha' parameter.*Got nan"),
    ("hidden-0", lambda X, y: MLPClassifier((0,)).fit(X, y), ValueError,
     r"hidden_layer_sizes must hold positive integers.*got \(0,\)"),
    ("unknown-solver", lambda X, y: _est(solver="newton").fit(X, y), ValueError,
     r"'solver' parameter.*Got 'newton'"),
]  # fmt: skip


def test_what_scikit_learn_fits_glassnet_fits(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    # Rows of the bad-input table that are correct answers, not errors (as scikit-learn).
    X, y = Xy
    one = _fitted(X, np.full(len(y), "cat"))
    assert list(one.predict(X[:3])) == ["cat"] * 3  # one class: predicts it
    assert _fitted(X[:1], y[:1]).predict(X[:2]).shape == (2,)  # one sample
    indicator = np.stack([y, 1 - y], axis=1)  # an (n, 2) 0/1 matrix: multilabel
    multi = _fitted(X, indicator)
    assert multi.out_activation_ == "logistic" and multi.predict(X).shape == (40, 2)
    dense, sparse = _fitted(X, y), _fitted(_sparse(X), y)  # sparse: the same model
    np.testing.assert_allclose(sparse.predict_proba(_sparse(X)), dense.predict_proba(X), atol=1e-10)


def _fit_or_error(
    est: MLPClassifier, X: Any, y: Any, sample_weight: Any = None
) -> Exception | None:
    """Fit; return the documented exception it raised, or None (anything else propagates)."""
    try:
        est.fit(X, y, sample_weight=sample_weight)
    except (ValueError, TypeError, TrainingDivergedError) as exc:
        return exc
    return None


def _fitted(X: Any, y: np.ndarray) -> MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _est().fit(X, y)


def _categorical(n: int) -> Any:
    pd = pytest.importorskip("pandas")
    return pd.Categorical(["x", "y"] * (n // 2))


def _sparse(X: np.ndarray) -> Any:
    sparse = pytest.importorskip("scipy.sparse")
    return sparse.csr_matrix(X)


@pytest.mark.parametrize(
    ("call", "error", "match"), [row[1:] for row in BAD_INPUT], ids=[row[0] for row in BAD_INPUT]
)
def test_bad_input_table(
    call: Callable[[np.ndarray, np.ndarray], Any],
    error: type[Exception],
    match: str,
    Xy: tuple[np.ndarray, np.ndarray],
) -> None:
    with pytest.raises(error, match=match):
        call(*Xy)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("scale", [1e150, 1e300])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_huge_features_warn_and_never_leave_a_non_finite_model(
    scale: float, activation: str, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    est = _est(activation=activation, max_iter=20)
    with pytest.warns(UserWarning, match=r"as large as .*StandardScaler"):
        error = _fit_or_error(est, X * scale, y)
    # tanh saturates (its first layer is frozen: refused before any step); relu's
    # logits and loss run away (rolled back). Neither may return a model in silence.
    assert isinstance(error, TrainingDivergedError) and "StandardScaler" in str(error)
    assert ("saturate" in str(error)) == (activation == "tanh")
    assert all(np.all(np.isfinite(c)) for c in (*est.coefs_, *est.intercepts_))
    proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)


@pytest.mark.filterwarnings("ignore:X holds values as large as:UserWarning")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("activation", ["tanh", "logistic"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_saturated_first_layer_is_refused_with_its_starting_weights(
    activation: str, solver: str, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    est = MLPClassifier((6, 4), activation=activation, solver=solver, random_state=0)
    with pytest.raises(
        TrainingDivergedError,
        match=rf"cannot start: X holds values as large as .*e\+150.*first hidden layer "
        rf"\({activation}\).*identically zero.*StandardScaler.*n_iter_=0",
    ):
        est.fit(X * 1e150, y)
    assert est.n_iter_ == 0 and not est.interrupted_
    # The claim holds: at these weights no sample sends any gradient to layer 0.
    model = glassnet.mlp([3, 6, 4, 2], activation, rng=0)
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        model.parameters()[f"{2 * i}.W"][...] = W
        model.parameters()[f"{2 * i}.b"][...] = b
    loss = glassnet.SoftmaxCrossEntropy()
    value = loss.forward(model.forward(X * 1e150), y)
    model.backward(loss.backward())
    grads = model.gradients()
    assert value > 0.1 and not np.any(grads["0.W"]) and not np.any(grads["0.b"])
    assert np.any(grads["2.W"])  # the later layers would still learn
    proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)
    # The same data, scaled, trains.
    est.fit(X, y)
    assert est.n_iter_ > 0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_huge_features_at_predict(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    est = _fitted(X, y)
    proba = est.predict_proba(X * 1e300)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)
    relu = _est(activation="relu").fit(X, y)  # no saturation: huge inputs, huge logits
    # Finite logits a whole float range apart still give probabilities.
    assert np.allclose(relu.predict_proba(np.full((1, 3), 1e308)).sum(axis=1), 1)
    relu.coefs_[-1] = relu.coefs_[-1] * 1e3  # now they overflow
    with pytest.raises(ValueError, match=r"logits of 1 sample\(s\) are not finite.*row 0"):
        relu.predict_proba(np.full((1, 3), 1e308))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["spam", "eggs"]),
        np.array(["spam", "eggs"], dtype=object),
        np.array([-1, 1]),
        np.array([False, True]),
        np.array([3.0, -1.0]),  # integral floats: non-integral ones are "continuous"
    ],
    ids=["str", "object", "minus-one-one", "bool", "float"],
)
def test_label_types_work_sort_and_survive_save_load(
    labels: np.ndarray, Xy: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    X, y = Xy
    est = _est().fit(X, labels[y])
    assert est.classes_.tolist() == sorted(labels.tolist())
    assert set(est.predict(X).tolist()) <= set(labels.tolist())
    path = tmp_path / "m.glassnet"
    glassnet.save(est, path)
    back = glassnet.load(path)
    assert back.classes_.dtype == est.classes_.dtype
    assert back.classes_.tolist() == est.classes_.tolist()
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dataframes_keep_feature_names_through_save_load(
    Xy: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    pd = pytest.importorskip("pandas")
    X, y = Xy
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    est = _est().fit(df, pd.Series(y))
    path = tmp_path / "m.glassnet"
    glassnet.save(est, path)
    back = glassnet.load(path)
    assert back.feature_names_in_.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(back.predict_proba(df), est.predict_proba(df))
    with pytest.raises(ValueError, match="feature names should match"):
        back.predict(df.rename(columns={"a": "z"}))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_small_and_odd_inputs_that_must_work(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    assert _est().fit(X[:3], [0, 1, 0]).predict(X[:3]).shape == (3,)
    with pytest.warns(DataConversionWarning):
        _est().fit(X, y[:, None])
    for Xc in (X.astype(np.float16), (X * 10).astype(int), X > 0):
        est = _est().fit(Xc, y)
        assert est.coefs_[0].dtype == np.float64  # upcast, never computed in float16
    assert _est(dtype=np.float32).fit(X.astype(np.float16), y).coefs_[0].dtype == np.float32


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_minibatch_whose_weights_are_all_zero(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    w = np.ones(len(y))
    w[:20] = 0.0  # the first two batches of 10 carry no weight
    with np.errstate(all="raise"):
        est = _est(batch_size=10, shuffle=False, alpha=1e-3).fit(X, y, sample_weight=w)
    assert np.isfinite(est.loss_)
    assert all(np.all(np.isfinite(c)) for c in est.coefs_)


# --------------------------------------------------------------------------- divergence


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_huge_learning_rate_ends_in_divergence_with_good_weights(
    solver: str, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    est = MLPClassifier((8,), solver=solver, learning_rate_init=1e8, max_iter=50, random_state=0)
    ends: list[np.ndarray] = []

    class Snap(Callback):
        def on_epoch_end(self, state: TrainState) -> None:
            ends.append(state.model.parameters()["0.W"].copy())

    with pytest.raises(
        TrainingDivergedError, match=r"epoch \d+.*learning rate 1e\+08.*holds the weights"
    ) as err:
        est.fit(X, y, callbacks=[Snap()])
    # RELIABILITY.md: the error is a FloatingPointError, so numeric code's
    # `except FloatingPointError` handles a diverged fit too.
    with pytest.raises(FloatingPointError) as caught:
        clone(est).fit(X, y)
    assert caught.type is TrainingDivergedError
    kept = err.value.restored_epoch
    assert kept is not None and kept == est.n_iter_ < len(ends)
    assert f"rolled back to the end of epoch {kept}" in str(err.value)
    assert f"holds the weights from the end of epoch {kept} (n_iter_={kept})" in str(err.value)
    np.testing.assert_array_equal(est.coefs_[0], ends[kept - 1])
    weights = [*est.coefs_, *est.intercepts_]
    assert all(np.all(np.isfinite(w)) for w in weights)
    assert est.n_iter_ == len(est.loss_curve_) and all(np.isfinite(est.loss_curve_))
    assert max(est.loss_curve_) < 1e3 * np.log(2)  # only good epochs are kept
    proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)


@pytest.mark.filterwarnings("ignore:X holds values as large as:UserWarning")
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_features_times_1e150_end_in_divergence_with_finite_weights(
    solver: str, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    # relu, scikit-learn's default activation: the logits are ~1e150 and the
    # loss with them, finite but useless (scikit-learn returns such a model).
    X, y = Xy
    est = MLPClassifier((8,), activation="relu", solver=solver, max_iter=50, random_state=0)
    if solver == "lbfgs":
        # L-BFGS may find its way down to a sane loss; it must never stop far above one.
        error = _fit_or_error(est, X * 1e150, y)
        if error is None:
            assert est.loss_ < 1e3 * np.log(2)
        else:
            assert isinstance(error, TrainingDivergedError) and "StandardScaler" in str(error)
    else:
        with pytest.raises(TrainingDivergedError, match=r"StandardScaler"):
            est.fit(X * 1e150, y)
    assert all(np.all(np.isfinite(w)) for w in (*est.coefs_, *est.intercepts_))
    proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)


# --------------------------------------------------------------------------- interrupts


class _InterruptAt(Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, state: TrainState) -> None:
        if state.epoch + 1 == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_ctrl_c_in_fit_keeps_a_usable_model(solver: str, Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    est = MLPClassifier((8,), solver=solver, max_iter=100, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y, callbacks=[_InterruptAt(3)])
    assert est.interrupted_ is True
    proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)
    assert est.n_iter_ == 3 == len(est.loss_curve_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_params(max_iter=3).fit(X, y)
    assert est.interrupted_ is False


def test_ctrl_c_inside_an_lbfgs_line_search_publishes_the_last_accepted_iterate(
    Xy: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = Xy
    accepted: list[np.ndarray] = []
    trial: list[np.ndarray] = []

    class Record(Callback):
        def on_epoch_end(self, state: TrainState) -> None:
            accepted.append(state.model.flat_params.copy())

    forward = glassnet.Sequential.forward
    calls = [0]

    def interrupting(self: Any, inputs: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        calls[0] += inputs.shape[0] == len(X)  # the objective's pass, not the validation's
        if calls[0] == 12:  # the 12th objective evaluation: a line search's trial point
            trial.append(self.flat_params.copy())
            raise KeyboardInterrupt
        return forward(self, inputs, *args, **kwargs)

    monkeypatch.setattr(glassnet.Sequential, "forward", interrupting)
    est = MLPClassifier((8,), solver="lbfgs", max_iter=100, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y, callbacks=[Record()], validation_data=(X[:20], y[:20]))
    monkeypatch.undo()
    n = len(accepted)
    assert n >= 2 and not np.array_equal(trial[0], accepted[-1])
    assert est.interrupted_ is True
    assert est.n_iter_ == n == len(est.loss_curve_)
    assert est.validation_scores_ is not None and len(est.validation_scores_) == n
    assert est.validation_loss_curve_ is not None and len(est.validation_loss_curve_) == n
    np.testing.assert_array_equal(est._to_model().flat_params, accepted[-1])
    assert est.loss_ == est.loss_curve_[-1]


# --------------------------------------------------------------------------- properties

DOCUMENTED = (ValueError, TypeError, TrainingDivergedError)


@st.composite
def _problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, dict]:
    n = draw(st.integers(2, 24))
    d = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    g = np.random.default_rng(seed)
    x_type = draw(st.sampled_from(["float64", "float32", "float16", "int", "bool"]))
    scale = draw(st.sampled_from([1.0, 1e-3, 1e3]))
    X = g.normal(size=(n, d)) * scale
    if x_type == "int":
        X = np.round(X).astype(np.int64)
    elif x_type == "bool":
        X = X > 0
    else:
        X = X.astype(x_type)
    k = draw(st.integers(1, 4))
    codes = g.permutation(np.arange(n) % k)  # every class present (one class: an error)
    label_type = draw(st.sampled_from(["int", "str", "object", "bool", "signed", "float"]))
    pools = {
        "int": np.array([0, 1, 2, 3]),
        "str": np.array(["a", "bb", "c", "dd"]),
        "object": np.array(["x", "y", "z", "w"], dtype=object),
        "bool": np.array([False, True, True, False]),
        "signed": np.array([-1, 1, 5, 7]),
        "float": np.array([0.0, 1.0, -2.0, 3.0]),
    }
    y = pools[label_type][codes]
    weights = draw(st.sampled_from(["none", "positive", "some-zero"]))
    w = None if weights == "none" else g.uniform(0.1, 3.0, size=n)
    if weights == "some-zero":
        assert w is not None
        w[g.random(n) < 0.3] = 0.0
    params = {
        "solver": draw(st.sampled_from(["adam", "sgd", "lbfgs"])),
        "dtype": draw(st.sampled_from([None, "float32", "float64"])),
        "activation": draw(st.sampled_from(["tanh", "relu", "logistic"])),
    }
    return X, y, w, params


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@settings(max_examples=60, deadline=None, derandomize=True)
@given(problem=_problems())
def test_fit_succeeds_with_probabilities_or_raises_a_documented_error(
    problem: tuple[np.ndarray, np.ndarray, np.ndarray | None, dict],
) -> None:
    X, y, w, params = problem
    est = MLPClassifier((3,), max_iter=5, random_state=0, **params)
    error = _fit_or_error(est, X, y, w)
    if error is not None:
        assert isinstance(error, DOCUMENTED) and str(error)  # a message, not a bare exception
        return
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), len(est.classes_))
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-4)
    assert set(est.predict(X).tolist()) <= set(np.unique(y).tolist())
