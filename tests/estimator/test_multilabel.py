"""Multilabel y: an indicator matrix trains independent sigmoids, as scikit-learn's does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import accuracy_score
from sklearn.neural_network import MLPClassifier as SkMLP

import glassnet
from glassnet import MLPClassifier, SigmoidCrossEntropy

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    X, Y = make_multilabel_classification(n_samples=n, n_classes=4, random_state=0)
    return X / X.max(), Y


@pytest.mark.parametrize("solver", ["adam", "lbfgs", "sgd"])
def test_indicator_y_trains_sigmoids(solver: str) -> None:
    X, Y = _data()
    clf = MLPClassifier(solver=solver, random_state=0, max_iter=60).fit(X, Y)
    sk = SkMLP(solver=solver, random_state=0, max_iter=60).fit(X, Y)
    assert clf.out_activation_ == sk.out_activation_ == "logistic"
    np.testing.assert_array_equal(clf.classes_, sk.classes_)
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    assert clf.n_outputs_ == 4 and clf.coefs_[-1].shape[1] == 4
    z = clf.decision_function(X)
    np.testing.assert_allclose(z, clf.logits(X))
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 4)
    np.testing.assert_allclose(proba, 1 / (1 + np.exp(-z)), rtol=1e-12)
    assert not np.allclose(proba.sum(axis=1), 1.0)
    pred = clf.predict(X)
    assert pred.shape == (60, 4) and pred.dtype.kind == "i"
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert clf.score(X, Y) == accuracy_score(Y, pred)  # subset accuracy
    assert clf.score(X, Y) > 0.3  # chance (every label right by coin flips) is 1/16
    assert clf.route_ == "readable"


def test_log_proba_is_stable() -> None:
    X, Y = _data()
    clf = MLPClassifier(random_state=0, max_iter=20).fit(X, Y)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))
    clf.intercepts_[-1][:] = [-800.0, 800.0, 0.0, 0.0]  # sigmoid underflows to 0 in column 0
    log_p = clf.predict_log_proba(X)
    assert np.all(np.isfinite(log_p))
    assert log_p[:, 0].max() < -700 and abs(log_p[:, 1]).max() < 1e-300


def test_loss_matches_scikit_learns_on_the_same_weights() -> None:
    X, Y = _data()
    clf = MLPClassifier(random_state=0, max_iter=1, alpha=0.0, batch_size=60, shuffle=False)
    clf.fit(X, Y)
    sk = SkMLP(max_iter=1).fit(X, Y)
    sk.coefs_ = [c.copy() for c in clf.coefs_]
    sk.intercepts_ = [b.copy() for b in clf.intercepts_]
    sk.activation, sk.n_layers_ = clf.activation, clf.n_layers_
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), rtol=1e-12)


def test_partial_fit_and_early_stopping_and_validation_data() -> None:
    X, Y = _data()
    clf = MLPClassifier(random_state=0)
    for _ in range(3):
        clf.partial_fit(X, Y, classes=[0, 1, 2, 3])
    clf.partial_fit(X, Y)
    assert clf.t_ == 4 * 60 and clf.predict(X).shape == (60, 4)
    es = MLPClassifier(random_state=0, early_stopping=True, max_iter=30).fit(X, Y)
    assert es.validation_scores_ is not None and len(es.validation_scores_) == es.n_iter_
    v = MLPClassifier(random_state=0, max_iter=5).fit(X, Y, validation_data=(X[:10], Y[:10]))
    assert v.validation_loss_curve_ is not None and len(v.validation_loss_curve_) == 5
    dense = MLPClassifier(random_state=0, max_iter=5).fit(X, Y)
    sparse = MLPClassifier(random_state=0, max_iter=5).fit(sp.csr_matrix(X), sp.csr_matrix(Y))
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), atol=1e-10)


def test_refusals_name_the_problem() -> None:
    X, Y = _data()
    y1 = Y[:, 0]
    with pytest.raises(ValueError, match=r"got shape \(60, 2\)"):
        MLPClassifier().fit(X, np.c_[y1, 3 * y1])  # not 0/1: multi-output
    with pytest.raises(ValueError, match=r"classes=.*column indices"):
        MLPClassifier().partial_fit(X, Y, classes=[1, 2, 3, 4])
    with pytest.raises(ValueError, match="class_weight="):
        MLPClassifier(class_weight="balanced").fit(X, Y)
    with pytest.raises(ValueError, match="label_smoothing="):
        MLPClassifier(label_smoothing=0.1).fit(X, Y)
    clf = MLPClassifier(max_iter=2, warm_start=True).fit(X, Y)
    with pytest.raises(ValueError, match="y has 3 label columns, but the previous fit had 4"):
        clf.fit(X, Y[:, :3])
    with pytest.raises(ValueError, match="one label per sample, but the estimator was fitted"):
        clf.fit(X, y1)
    single = MLPClassifier(max_iter=2, warm_start=True).fit(X, y1)
    with pytest.raises(ValueError, match="fitted on one label per sample"):
        single.fit(X, Y)
    with pytest.raises(ValueError, match=r"y_val must be a multilabel indicator .* \(5, 4\)"):
        MLPClassifier(max_iter=2).fit(X, Y, validation_data=(X[:5], y1[:5]))


def test_saved_and_loaded(tmp_path: Path) -> None:
    X, Y = _data()
    clf = MLPClassifier(random_state=0, max_iter=5).fit(X, Y)
    path = tmp_path / "ml.glassnet"
    glassnet.save(clf, path)
    back: Any = glassnet.load(path)
    assert back.out_activation_ == "logistic"
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X))


def test_gradients_of_the_multilabel_network() -> None:
    X, Y = _data(12)
    clf = MLPClassifier(random_state=0, max_iter=3, hidden_layer_sizes=(5, 4)).fit(X, Y)
    report = glassnet.check_gradients(clf._to_model(), SigmoidCrossEntropy(), X, Y)
    assert report.max_error() < 1e-6
