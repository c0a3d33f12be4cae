"""glassnet.MLPClassifier: defaults, extensions, solvers, bad input and export."""

from __future__ import annotations

import itertools
import json
import pickle
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.model_selection import train_test_split

from glassnet import Callback, MLPClassifier, TrainingDivergedError, TrainState, log_softmax
from helpers import Terminal


def _moons(seed: int, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n, noise=0.2, random_state=seed)
    return X, y


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


# Stops after two epochs without an improvement of 10: a quick, warning-free fit.
QUICK: dict[str, Any] = {"max_iter": 5, "tol": 10.0, "n_iter_no_change": 1}


# --------------------------------------------------------------------------
# defaults and quality
# --------------------------------------------------------------------------


def test_defaults_fit_moons_well() -> None:
    # The quality bar: mean held-out accuracy >= 0.96 over s = 0..4
    # (scikit-learn's defaults: 0.933 with a ConvergenceWarning).
    accuracies = []
    for s in range(5):
        X, y = _moons(s)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=s)
        clf = MLPClassifier(random_state=s).fit(X_tr, y_tr)  # a warning would fail here
        accuracies.append(clf.score(X_te, y_te))
        assert clf.n_iter_ < clf.max_iter  # converged by tol / n_iter_no_change
    assert np.mean(accuracies) >= 0.96, accuracies


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "logistic", "identity"])
def test_weights_and_biases_start_glorot_uniform_as_in_scikit_learn(activation: str) -> None:
    # 2 features -> 64 hidden: Glorot's bound sqrt(6 / 66) ≈ 0.30, He's sqrt(6 / 2) ≈ 1.7.
    X, y = _moons(0, n=100)
    clf = MLPClassifier(
        hidden_layer_sizes=(64,), activation=activation, learning_rate_init=1e-12, max_iter=1
    )
    with pytest.warns(ConvergenceWarning):
        clf.set_params(random_state=0).fit(X, y)
    W0 = clf.coefs_[0]  # one step of 1e-12 leaves the initial draw
    assert np.abs(W0).max() <= np.sqrt(6.0 / (2 + 64))
    assert np.abs(W0).max() > 0.9 * np.sqrt(6.0 / (2 + 64))
    b0 = clf.intercepts_[0]  # biases drawn from the same range, as scikit-learn's
    assert np.abs(b0).max() <= np.sqrt(6.0 / (2 + 64)) and np.ptp(b0) > 0.5 * np.sqrt(6 / 66)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam", "adamw"])
def test_every_solver_fits_moons(solver: str, rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=600)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    kwargs: dict[str, Any] = {"solver": solver, "random_state": 0, "max_iter": 1000}
    if solver == "sgd":
        kwargs.update(learning_rate_init=0.1)
    clf = MLPClassifier(**kwargs).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) > 0.93
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_reproducible_with_random_state(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=300)
    a = MLPClassifier(random_state=3, max_iter=20, tol=0.0).fit
    with pytest.warns(ConvergenceWarning):
        p1 = a(X, y).predict_proba(X)
    with pytest.warns(ConvergenceWarning):
        p2 = MLPClassifier(random_state=3, max_iter=20, tol=0.0).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)


def test_convergence_warning_at_max_iter(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=200)
    with pytest.warns(ConvergenceWarning, match=r"max_iter=3 epochs"):
        clf = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3
    with pytest.warns(ConvergenceWarning, match="lbfgs solver stopped after 2 iterations"):
        MLPClassifier(solver="lbfgs", max_iter=2, random_state=0).fit(X, y)


# --------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------


def test_probabilities_logits_and_decision_function(rng: np.random.Generator) -> None:
    X = rng.normal(size=(120, 3))
    y = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    clf = MLPClassifier(random_state=0, max_iter=50, tol=1e-2).fit(X, y)
    z = clf.logits(X)
    assert z.shape == (120, 3)
    assert clf.activation == "relu"  # the default, written out from the fitted arrays
    a = X
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1], strict=True):
        a = np.maximum(a @ W + b, 0.0)
    np.testing.assert_allclose(z, a @ clf.coefs_[-1] + clf.intercepts_[-1], rtol=1e-12)
    np.testing.assert_array_equal(clf.decision_function(X), z)
    np.testing.assert_allclose(clf.predict_log_proba(X), log_softmax(z, axis=1))
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(z, axis=1)])

    yb = (X[:, 0] > 0).astype(int)
    binary = MLPClassifier(random_state=0, max_iter=50, tol=1e-2).fit(X, yb)
    zb = binary.logits(X)
    assert zb.shape == (120, 2)
    np.testing.assert_allclose(binary.decision_function(X), zb[:, 1] - zb[:, 0])
    proba = binary.predict_proba(X)
    # The decision function is the log-odds of classes_[1].
    np.testing.assert_allclose(
        binary.decision_function(X), np.log(proba[:, 1]) - np.log(proba[:, 0]), rtol=1e-6
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_probabilities_never_underflow_to_zero(dtype: type) -> None:
    # Far from the data relu logits grow linearly: the losing class's softmax
    # underflows to 0, its log-softmax does not. Both are floored at the
    # smallest normal number, so that np.log(predict_proba) == predict_log_proba
    # (scikit-learn's check_classifiers_train compares them).
    X, y = _moons(0, n=400)
    clf = MLPClassifier(random_state=0, activation="relu", dtype=dtype).fit(X, y)
    far = np.array([[3000.0, -3000.0], [0.5, 0.25]])
    z = clf.logits(far)
    assert np.ptp(z[0]) > 800  # the exact log-probability is below the floor
    proba = clf.predict_proba(far)
    log_proba = clf.predict_log_proba(far)
    tiny = np.finfo(dtype).tiny
    assert proba.dtype == log_proba.dtype == dtype
    assert proba.min() == pytest.approx(tiny, rel=1e-4)
    np.testing.assert_allclose(np.log(proba), log_proba, rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # Above the floor the log-probabilities are the exact log-softmax.
    np.testing.assert_allclose(log_proba[1], log_softmax(z[1]), rtol=1e-6)


def test_huge_x_at_predict_is_finite_or_raises() -> None:
    X, y = _moons(0, n=400)
    clf = MLPClassifier(random_state=0).fit(X, y)
    proba = clf.predict_proba(np.array([[1e150, -1e150], [-1e300, 1e300]]))
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    relu = MLPClassifier(random_state=0, activation="relu").fit(X, y)
    assert np.all(np.isfinite(relu.predict_proba(np.array([[1e300, -1e300]]))))
    with pytest.raises(ValueError, match=r"logits of 1 sample\(s\) are not finite.*row 1"):
        relu.predict(np.array([[0.0, 0.0], [1e308, -1e308]]))


# --------------------------------------------------------------------------
# glassnet extensions
# --------------------------------------------------------------------------


def test_class_weight_shifts_predictions_and_combines_with_sample_weight(
    rng: np.random.Generator,
) -> None:
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] + 0.8 * rng.normal(size=400) > 0.9).astype(int)  # ~20% positives, overlapping
    # alpha=0: the L2 term is divided by the batch's sample-weight sum, which
    # class weights do not enter, so only without it are the fits equal.
    base: dict[str, Any] = {
        "hidden_layer_sizes": (8,),
        "random_state": 0,
        "max_iter": 200,
        "tol": 1e-3,
        "alpha": 0.0,
    }
    plain = MLPClassifier(**base).fit(X, y)
    balanced = MLPClassifier(class_weight="balanced", **base).fit(X, y)
    heavy = MLPClassifier(class_weight={1: 5.0}, **base).fit(X, y)
    positives = [np.mean(m.predict(X) == 1) for m in (plain, balanced, heavy)]
    assert positives[1] > positives[0] + 0.1
    assert positives[2] > positives[0] + 0.1
    # A dict weight of k on a class equals a sample weight of k on its samples.
    by_sample = MLPClassifier(**base).fit(X, y, sample_weight=np.where(y == 1, 5.0, 1.0))
    np.testing.assert_allclose(by_sample.predict_proba(X), heavy.predict_proba(X), atol=1e-10)
    # "balanced" counts sample weights: doubling every weight changes nothing.
    twice = MLPClassifier(class_weight="balanced", **base).fit(X, y, sample_weight=np.full(400, 2))
    np.testing.assert_allclose(twice.predict_proba(X), balanced.predict_proba(X), atol=1e-10)
    with pytest.raises(ValueError, match=r"class_weight has the label 7.*not a class"):
        MLPClassifier(class_weight={7: 1.0}).fit(X, y)


def test_class_weight_acts_within_a_batch_as_documented(rng: np.random.Generator) -> None:
    # The loss of a batch is its weighted mean (divided by the batch's total
    # weight): a batch of one sample loses its weight entirely.
    X = rng.normal(size=(120, 2))
    y = (X[:, 0] + 0.8 * rng.normal(size=120) > 0.9).astype(int)  # overlapping, ~20% positives
    base: dict[str, Any] = {
        "hidden_layer_sizes": (4,),
        "random_state": 0,
        "alpha": 0.0,
        "n_iter_no_change": np.inf,
    }
    one = {**base, "solver": "sgd", "batch_size": 1, "max_iter": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = MLPClassifier(**one).fit(X, y)
        heavy = MLPClassifier(class_weight={1: 10.0}, **one).fit(X, y)
    np.testing.assert_allclose(heavy.predict_proba(X), plain.predict_proba(X), rtol=1e-9)
    # One full batch: the weight shifts the boundary towards more positives.
    full = {**base, "batch_size": len(X), "max_iter": 100, "learning_rate_init": 0.05}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = MLPClassifier(**full).fit(X, y)
        heavy = MLPClassifier(class_weight={1: 10.0}, **full).fit(X, y)
    assert np.mean(heavy.predict(X) == 1) > np.mean(plain.predict(X) == 1) + 0.1


def test_label_smoothing_tempers_confidence(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=400)
    base: dict[str, Any] = {"random_state": 0, "max_iter": 300}
    sharp = MLPClassifier(**base).fit(X, y).predict_proba(X).max(axis=1)
    smooth = MLPClassifier(label_smoothing=0.2, **base).fit(X, y).predict_proba(X).max(axis=1)
    # Smoothed targets put the optimum at 1 - 0.2 + 0.2/2 = 0.9 for each point.
    assert np.median(smooth) < 0.92 < np.median(sharp)
    assert smooth.max() < 0.99 < sharp.max()


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_end_to_end(solver: str, rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=400)
    clf = MLPClassifier(dtype="float32", solver=solver, random_state=0, max_iter=500)
    with warnings.catch_warnings():
        # L-BFGS on moons runs on towards zero loss; whether 500 iterations meet its
        # tolerance in float32 is a matter of rounding (1 data seed in 3 does not).
        # This test is about dtypes: the ConvergenceWarning is not its business.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)  # float64 data, float32 model
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    for method in ("predict_proba", "predict_log_proba", "logits", "decision_function"):
        assert getattr(clf, method)(X).dtype == np.float32, method
    assert clf.score(X, y) > 0.93
    # dtype=None follows X, as scikit-learn does.
    follow = MLPClassifier(random_state=0, **QUICK).fit(X.astype(np.float32), y)
    assert follow.coefs_[0].dtype == np.float32
    assert MLPClassifier(**QUICK).fit(X, y).coefs_[0].dtype == np.float64


def test_early_stopping_on_validation_loss_restores_best_weights(
    rng: np.random.Generator,
) -> None:
    X, y = _moons(_seed(rng) % 1000, n=300)
    X = X + rng.normal(scale=0.3, size=X.shape)  # noisy: a wide net over-fits
    clf = MLPClassifier(
        hidden_layer_sizes=(128, 128),
        early_stopping=True,
        validation_fraction=0.3,
        n_iter_no_change=15,
        random_state=0,
        max_iter=400,
    ).fit(X, y)
    curve = clf.validation_loss_curve_
    assert curve is not None and clf.validation_scores_ is not None
    assert len(curve) == len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    best = int(np.argmin(curve))
    assert clf.best_validation_loss_ == curve[best]
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    assert clf.n_iter_ < 400
    assert clf.n_iter_ - 1 - best >= 15  # stopped after the patience ran out
    assert clf.best_loss_ is None
    # The kept weights are those of the best epoch, not of the last one.
    assert clf.validation_loss_curve_[-1] > clf.best_validation_loss_


def test_validation_data_records_curves_and_drives_early_stopping(
    rng: np.random.Generator,
) -> None:
    X, y = _moons(_seed(rng) % 1000, n=600)
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    clf = MLPClassifier(random_state=0, max_iter=30, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_tr, y_tr, validation_data=(X_val, y_val))
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == 30
    assert clf.validation_scores_[-1] == pytest.approx(clf.score(X_val, y_val))
    assert clf.best_validation_score_ is None  # no early stopping asked
    # Explicit data replaces the validation_fraction split: all of X_tr trains.
    es = MLPClassifier(random_state=0, early_stopping=True, n_iter_no_change=5)
    es.fit(X_tr, y_tr, validation_data=(X_val, y_val))
    assert es.t_ == es.n_iter_ * len(X_tr)
    losses = es.validation_loss_curve_
    assert es.best_validation_loss_ == min(losses)
    with pytest.raises(ValueError, match=r"y_val holds labels \[5\]"):
        clf.fit(X_tr, y_tr, validation_data=(X_val, np.full(len(y_val), 5)))
    with pytest.raises(ValueError, match="X_val has 3 features"):
        clf.fit(X_tr, y_tr, validation_data=(np.ones((4, 3)), y_val[:4]))


def test_max_grad_norm_clips_every_step(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=200)
    norms: list[float] = []

    class Record(Callback):
        def on_batch_end(self, state: TrainState) -> None:
            norms.append(float(np.linalg.norm(state.model.flat_grads)))

    with pytest.warns(ConvergenceWarning):
        MLPClassifier(
            solver="sgd", learning_rate_init=0.5, max_grad_norm=0.05, random_state=0, max_iter=5
        ).fit(X, y, callbacks=[Record()])
    assert len(norms) == 5
    assert max(norms) <= 0.05 * (1 + 1e-9)
    with pytest.raises(ValueError, match=r"'max_grad_norm' parameter.*range \(0.0, inf\).*-1"):
        MLPClassifier(max_grad_norm=-1).fit(X, y)


def test_verbose_reports_each_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _moons(0, n=400)
    clf = MLPClassifier(verbose=True, random_state=0, early_stopping=True).fit(X, y)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("Iteration")]
    assert len(lines) == clf.n_iter_
    first = re.match(r"Iteration 1, loss = ([0-9.]+), validation loss = ([0-9.]+)", lines[0])
    assert first is not None
    assert float(first.group(1)) == pytest.approx(clf.loss_curve_[0], abs=1e-8)
    assert "Stopping." in out
    MLPClassifier(verbose=False, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


def test_verbose_draws_a_progress_bar_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    X, y = _moons(0, n=300)
    clf = MLPClassifier(verbose=True, random_state=0).fit(X, y)
    last = term.getvalue().split("\r")[-1]
    assert re.search(rf"epoch\s+{clf.n_iter_}/300 .*loss {clf.loss_:.4f}", last), last
    assert "Iteration" not in capsys.readouterr().out  # the bar replaces the lines


def test_callbacks_see_every_epoch_and_may_stop(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=300)
    seen: list[float] = []

    class StopAtThree(Callback):
        def on_epoch_end(self, state: TrainState) -> None:
            seen.append(state.logs["loss"])
            if len(seen) == 3:
                state.stop_training = True

    for solver in ("adam", "lbfgs"):
        seen.clear()
        clf = MLPClassifier(solver=solver, random_state=0).fit(X, y, callbacks=[StopAtThree()])
        assert len(seen) == 3
        assert clf.loss_curve_[:3] == seen


def test_sgd_learning_rate_schedules(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=400)
    lrs: list[float] = []

    class Rate(Callback):
        def on_epoch_end(self, state: TrainState) -> None:
            lrs.append(state.optimizer.lr)

    sgd: dict[str, Any] = {"solver": "sgd", "random_state": 0, "learning_rate_init": 0.2}
    with pytest.warns(ConvergenceWarning):
        MLPClassifier(learning_rate="invscaling", max_iter=3, **sgd).fit(X, y, callbacks=[Rate()])
    # Set after each epoch from the samples seen, t: lr_init / (t + 1) ** power_t.
    np.testing.assert_allclose(lrs, [0.2 / (400 * k + 1) ** 0.5 for k in (1, 2, 3)])
    lrs.clear()
    adaptive = MLPClassifier(learning_rate="adaptive", tol=0.5, n_iter_no_change=2, **sgd)
    adaptive.fit(X, y, callbacks=[Rate()])
    divided = [b for a, b in itertools.pairwise(lrs) if b < a]
    assert divided
    for k, rate in enumerate(divided, start=1):
        assert rate == pytest.approx(0.2 / 5**k)


# --------------------------------------------------------------------------
# warm start, partial_fit, interrupts, pickle
# --------------------------------------------------------------------------


def test_warm_start_continues_the_curve(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=300)
    clf = MLPClassifier(warm_start=True, max_iter=5, tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    first = [c.copy() for c in clf.coefs_]
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 10
    assert clf.n_iter_ == 5
    assert clf.t_ == 10 * len(y)
    assert not np.array_equal(first[0], clf.coefs_[0])
    with pytest.raises(ValueError, match=r"same classes as in the previous call.*warm_start=False"):
        clf.fit(X, np.where(y == 1, 2, y) + (np.arange(len(y)) % 3 == 0))


def test_warm_start_after_early_stopping_continues_on_the_training_loss(
    rng: np.random.Generator,
) -> None:
    # An early-stopped fit leaves best_loss_ None; the next fit, watching the
    # training loss, starts its own best from there.
    X, y = _moons(_seed(rng) % 1000, n=200)
    clf = MLPClassifier(warm_start=True, early_stopping=True, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.best_loss_ is None
    with pytest.warns(ConvergenceWarning):
        clf.set_params(early_stopping=False, tol=0.0).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 6
    assert clf.best_loss_ == min(clf.loss_curve_[3:])


def test_partial_fit_follows_sklearn(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=600)
    labels = np.array(["left", "right"])[y]
    clf = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, labels)
    for epoch in range(30):
        for block in np.array_split(np.arange(600), 3):
            clf.partial_fit(
                X[block], labels[block], classes=["left", "right"] if not epoch else None
            )
    assert clf.n_iter_ == 1
    assert clf.t_ == 30 * 600
    assert len(clf.loss_curve_) == 90
    assert clf.score(X, labels) > 0.9
    # One class in a block is fine once classes are known; a new label is not.
    clf.partial_fit(X[labels == "left"][:20], labels[labels == "left"][:20])
    with pytest.raises(ValueError, match=r"labels \['up'\].*not among the classes"):
        clf.partial_fit(X[:3], ["up", "left", "left"])
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")


def test_keyboard_interrupt_keeps_last_completed_epoch(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=300)

    class Interrupt(Callback):
        def on_epoch_end(self, state: TrainState) -> None:
            if state.epoch == 3:
                raise KeyboardInterrupt

    clf = MLPClassifier(random_state=0, max_iter=50)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y, callbacks=[Interrupt()])
    assert clf.interrupted_ is True
    assert clf.n_iter_ == 4
    assert len(clf.loss_curve_) == 4
    assert clf.predict(X).shape == (300,)


def test_pickle_round_trip_keeps_training_possible(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=300)
    clf = MLPClassifier(random_state=0, max_iter=500).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    copy.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(copy.coefs_[0], clf.coefs_[0])


# --------------------------------------------------------------------------
# bad input (RELIABILITY.md)
# --------------------------------------------------------------------------


@pytest.fixture
def small(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int)


def test_nan_and_inf_in_x_and_y(small: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = small
    bad = X.copy()
    bad[5, 2] = np.nan
    bad[7, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"X contains 2 NaN value\(s\), the first at position \(5, 2\)"
    ):
        MLPClassifier().fit(bad, y)
    bad = X.copy()
    bad[3, 1] = -np.inf
    with pytest.raises(ValueError, match=r"X contains 1 inf value\(s\).*\(3, 1\)"):
        MLPClassifier().fit(bad, y)
    clf = MLPClassifier(**QUICK).fit(X, y)
    with pytest.raises(ValueError, match=r"X contains 1 inf"):
        clf.predict(bad)
    yf = y.astype(float)
    yf[[4, 9]] = np.nan
    with pytest.raises(
        ValueError, match=r"y contains 2 NaN value\(s\), the first at position 4\. Drop"
    ):
        MLPClassifier().fit(X, yf)


def test_bad_labels(small: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = small
    continuous = np.linspace(0, 1, 40)
    with pytest.raises(ValueError, match="Unknown label type") as info:
        MLPClassifier().fit(X, continuous)
    assert "continuous" in str(info.value)
    assert len(str(info.value)) < 300  # names the kind of target, does not dump y
    mixed = np.array(["a", 1] * 20, dtype=object)
    with pytest.raises(ValueError, match="Mix of label input types"):
        MLPClassifier().fit(X, mixed)
    with pytest.raises(ValueError, match=r"1-D.*indicator matrix of 0/1; got shape \(40, 2\)"):
        MLPClassifier().fit(X, np.c_[y, 2 * y])  # multi-output: labels 0 and 2 in a column
    with pytest.warns(DataConversionWarning):
        column = MLPClassifier(**QUICK).fit(X, y[:, None])
    assert column.predict(X).shape == (40,)
    signs = MLPClassifier(**QUICK).fit(X, np.where(y == 1, 1, -1))
    assert list(signs.classes_) == [-1, 1]


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.bool_])
def test_small_or_integer_x_is_upcast(dtype: Any, small: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = small
    Xc = (X > 0) if dtype is np.bool_ else (X * 10).astype(dtype)
    clf = MLPClassifier(**QUICK).fit(Xc, y)
    assert clf.coefs_[0].dtype == np.float64  # never computes in float16 or ints
    assert clf.predict_proba(Xc).dtype == np.float64


def test_complex_text_and_frames(small: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = small
    with pytest.raises(ValueError, match="Complex data not supported"):
        MLPClassifier().fit(X + 1j, y)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["colour"] = ["red", "blue"] * 20
    with pytest.raises(
        ValueError, match=r"X column 'colour' has dtype .*not numeric.*OneHotEncoder"
    ):
        MLPClassifier().fit(frame, y)
    frame["colour"] = frame["colour"].astype("category")
    with pytest.raises(ValueError, match="X column 'colour'"):
        MLPClassifier().fit(frame, y)


def test_shapes_and_fitted_state(small: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = small
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    clf = MLPClassifier(**QUICK).fit(X, y)
    with pytest.raises(
        ValueError, match="X has 2 features, but MLPClassifier is expecting 3 features as input"
    ):
        clf.predict(X[:, :2])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MLPClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Reshape your data"):
        clf.predict(X[0])


def test_sample_weight_validation(small: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = small
    with pytest.raises(
        ValueError, match=r"sample_weight must have shape \(40,\).*got shape \(39,\)"
    ):
        MLPClassifier().fit(X, y, sample_weight=np.ones(39))
    with pytest.raises(ValueError, match="sample_weight is zero for every sample"):
        MLPClassifier().fit(X, y, sample_weight=np.zeros(40))
    w = np.ones(40)
    w[6] = -1.0
    with pytest.raises(
        ValueError, match=r"sample_weight contains 1 negative value\(s\), the first at position 6"
    ):
        MLPClassifier().fit(X, y, sample_weight=w)
    w[6] = np.nan
    with pytest.raises(ValueError, match=r"sample_weight contains 1 NaN"):
        MLPClassifier().fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match=r"zero for every sample but those of class 1"):
        MLPClassifier().fit(X, y, sample_weight=y.astype(float))


def test_zero_weight_minibatch_trains(small: tuple[np.ndarray, np.ndarray]) -> None:
    # Without shuffling the first batch of 10 has weight 0: no crash, no NaN.
    X, y = small
    w = np.ones(40)
    w[:10] = 0.0
    clf = MLPClassifier(batch_size=10, shuffle=False, **QUICK).fit(X, y, sample_weight=w)
    assert np.all(np.isfinite(clf.loss_curve_))
    assert all(np.all(np.isfinite(c)) for c in clf.coefs_)


@pytest.mark.parametrize(
    ("params", "pattern"),
    [
        (
            {"learning_rate_init": 0.0},
            r"'learning_rate_init' parameter .* range \(0.0, inf\)\. Got 0.0",
        ),
        ({"alpha": float("nan")}, r"'alpha' parameter .* range \[0.0, inf\)\. Got nan"),
        (
            {"hidden_layer_sizes": (8, 0)},
            r"hidden_layer_sizes must hold positive integers.*entry 1 is 0",
        ),
        (
            {"solver": "newton"},
            r"'solver' parameter .* must be a str among .*'adamw'.*Got 'newton'",
        ),
        ({"activation": "swish"}, r"'activation' parameter"),
        ({"label_smoothing": 1.0}, r"'label_smoothing' parameter .* range \[0.0, 1.0\)"),
        (
            {"dtype": "float16"},
            r"'dtype' parameter .* must be None, a str among .*'float32'.*Got 'float16'",
        ),
        ({"class_weight": "even"}, r"'class_weight' parameter"),
        ({"momentum": 1.5}, r"'momentum' parameter .* range \[0.0, 1.0\)"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_invalid_hyperparameters_raise_at_fit(
    params: dict[str, Any], pattern: str, small: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = small
    clf = MLPClassifier(**params)  # __init__ only stores
    assert clf.get_params()[next(iter(params))] is next(iter(params.values()))
    with pytest.raises(ValueError, match=pattern):
        clf.fit(X, y)


def test_early_stopping_too_few_samples_per_class(rng: np.random.Generator) -> None:
    X = rng.normal(size=(30, 2))
    y = np.array([0] * 15 + [1] * 14 + [2])
    with pytest.raises(ValueError, match=r"class 2 has only 1 sample.*validation_fraction"):
        MLPClassifier(early_stopping=True, validation_fraction=0.2).fit(X, y)
    with pytest.raises(ValueError, match=r"validation_fraction=0.05 of 30 samples, that is 2"):
        MLPClassifier(early_stopping=True, validation_fraction=0.05).fit(X, np.arange(30) % 3)


def test_huge_x_warns_to_scale(small: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = small
    X = X.copy()
    X[0, 0] = 2e6  # one outlier: the other samples still reach the first layer
    with pytest.warns(UserWarning, match=r"as large as 2e\+06.*StandardScaler"):
        clf = MLPClassifier(**QUICK).fit(X, y)
    assert clf.n_iter_ > 0
    assert all(np.all(np.isfinite(c)) for c in clf.coefs_)
    assert np.all(np.isfinite(clf.loss_curve_))


# --------------------------------------------------------------------------
# pickle-free export
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog", "émeu"]),
        np.array([-1, 3, 7], dtype=np.int32),
        np.array([1.0, 2.0, 3.0]),
        np.array(["x", "yy", "z"], dtype=object),
        np.array([False, True]),
    ],
    ids=["str", "int32", "float", "object-str", "bool"],
)
def test_export_import_round_trip(labels: np.ndarray, rng: np.random.Generator) -> None:
    X = rng.normal(size=(90, 3))
    y = labels[np.arange(90) % len(labels)]
    frame = pd.DataFrame(X, columns=["p", "q", "r"])
    clf = MLPClassifier(
        (32, 32), random_state=0, **QUICK, class_weight={labels.tolist()[0]: 2.0}, dtype="float32"
    ).fit(frame, y)
    meta, arrays = clf._export_state()
    meta = json.loads(json.dumps(meta))  # proves it is JSON-serialisable
    assert sorted(arrays) == [
        "coefs_0",
        "coefs_1",
        "coefs_2",
        "intercepts_0",
        "intercepts_1",
        "intercepts_2",
    ]
    restored = MLPClassifier._import_state(meta, {k: v.copy() for k, v in arrays.items()})
    assert restored.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(restored.classes_, clf.classes_)
    assert [type(c) for c in restored.classes_] == [type(c) for c in clf.classes_]
    np.testing.assert_array_equal(restored.feature_names_in_, ["p", "q", "r"])
    np.testing.assert_array_equal(restored.predict(frame), clf.predict(frame))
    np.testing.assert_array_equal(restored.predict_proba(frame), clf.predict_proba(frame))
    assert restored.get_params() == clf.get_params()
    for name in ("n_iter_", "t_", "loss_", "best_loss_", "loss_curve_", "n_layers_", "n_outputs_"):
        assert getattr(restored, name) == getattr(clf, name), name
    bad = dict(arrays)
    bad["coefs_1"] = bad["coefs_1"][:, :3]
    with pytest.raises(ValueError, match=r"array 'coefs_1' must have shape \(32, 32\)"):
        MLPClassifier._import_state(meta, bad)


def test_export_with_validation_curves_and_no_feature_names(rng: np.random.Generator) -> None:
    X, y = _moons(_seed(rng) % 1000, n=300)
    clf = MLPClassifier(early_stopping=True, random_state=0, n_iter_no_change=np.inf, max_iter=8)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    meta, arrays = clf._export_state()
    meta = json.loads(json.dumps(meta))
    restored = MLPClassifier._import_state(meta, arrays)
    assert not hasattr(restored, "feature_names_in_")
    assert restored.validation_loss_curve_ == clf.validation_loss_curve_
    assert restored.best_validation_score_ == clf.best_validation_score_
    assert restored.n_iter_no_change == np.inf
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


@pytest.mark.filterwarnings("ignore:X holds values as large as")
def test_lbfgs_on_logits_that_overflow_reports_a_divergence() -> None:
    # Huge features overflow the logits: L-BFGS reports a TrainingDivergedError (the
    # estimator then keeps the last good weights), not the loss's ValueError.
    X, y = make_moons(200, noise=0.2, random_state=0)
    est = MLPClassifier(
        (32, 32), solver="lbfgs", activation="relu", max_iter=50, random_state=0
    )  # two layers: the second's products overflow
    with pytest.raises(TrainingDivergedError, match="L-BFGS met a non-finite loss"):
        est.fit(X * 1e154, y)
