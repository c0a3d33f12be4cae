"""glassnet.MLPClassifier against scikit-learn's contract and its own MLPClassifier."""

from __future__ import annotations

import pickle
import unittest
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from glassnet import MLPClassifier

# Checks that raise SkipTest on their own, with the reason. Any other self-skip
# fails the test below, so a new skip cannot go unnoticed.
SELF_SKIPPING = {
    "check_array_api_input": (
        "scikit-learn runs array-API checks only when SCIPY_ARRAY_API=1 is set before "
        "scipy is imported; glassnet computes with NumPy, which the other checks cover"
    ),
}

# Instances cover each solver. Not here, by design: early_stopping=True (its
# stratified split refuses the 20-sample, 3-class data of check_fit2d_predict1d,
# and holding data out breaks the sample-weight equivalence) and dtype="float32"
# (the equivalence check compares at rtol=1e-7, finer than float32). Both are
# tested in test_estimator.py.
INSTANCES = [
    MLPClassifier(max_iter=100),
    MLPClassifier(solver="lbfgs", max_iter=100),
    MLPClassifier(solver="sgd", learning_rate="adaptive", max_iter=100),
    MLPClassifier(solver="adamw", activation="relu", max_iter=100),
]


def _check_name(check: Any) -> str:
    return str(getattr(check, "func", check).__name__)


# Non-converged fits on the checks' tiny random data are expected; every other
# warning is still an error.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(INSTANCES)
def test_sklearn_estimator_checks(estimator: MLPClassifier, check: Any) -> None:
    try:
        check(estimator)
    except unittest.SkipTest as skip:
        name = _check_name(check)
        if name not in SELF_SKIPPING:
            pytest.fail(f"{name} skipped itself without a documented reason: {skip}")
        pytest.skip(f"{name}: {SELF_SKIPPING[name]}")


def _moons(seed: int, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n, noise=0.2, random_state=seed)
    return X, y


def test_pipeline_gridsearch_cross_val_score_and_clone() -> None:
    X, y = _moons(0)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(random_state=0))])
    search = GridSearchCV(pipe, {"mlp__alpha": [1e-4, 1e-2]}, cv=3)
    search.fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (2,)
    assert search.best_score_ > 0.85
    scores = cross_val_score(MLPClassifier(random_state=0), X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(scores > 0.85)

    fitted = MLPClassifier(random_state=1, alpha=1e-3).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "coefs_")
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))


def test_dataframe_and_string_labels() -> None:
    X, y = _moons(1)
    frame = pd.DataFrame(X, columns=["width", "height"])
    labels = np.where(y == 1, "upper", "lower")
    clf = MLPClassifier(random_state=0).fit(frame, pd.Series(labels))
    np.testing.assert_array_equal(clf.feature_names_in_, ["width", "height"])
    assert list(clf.classes_) == ["lower", "upper"]
    predicted = clf.predict(frame)
    assert predicted.dtype.kind in "UO"
    assert set(predicted) <= {"lower", "upper"}
    assert clf.score(frame, labels) > 0.9
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame.rename(columns={"width": "w"}))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitted_attributes_match_sklearn() -> None:
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(4)])
    kwargs: dict[str, Any] = {"hidden_layer_sizes": (8, 5), "max_iter": 20, "random_state": 0}
    ours = MLPClassifier(**kwargs).fit(frame, y)
    theirs = SkMLP(**kwargs).fit(frame, y)
    documented = [
        "classes_",
        "loss_",
        "best_loss_",
        "loss_curve_",
        "validation_scores_",
        "best_validation_score_",
        "t_",
        "coefs_",
        "intercepts_",
        "n_features_in_",
        "feature_names_in_",
        "n_iter_",
        "n_layers_",
        "n_outputs_",
        "out_activation_",
    ]
    for name in documented:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert type(a) is type(b) or (
            isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating))
        ), name
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.feature_names_in_, theirs.feature_names_in_)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert ours.n_layers_ == theirs.n_layers_ == 4
    assert ours.n_outputs_ == theirs.n_outputs_ == 3
    assert ours.out_activation_ == theirs.out_activation_ == "softmax"
    assert ours.n_iter_ == theirs.n_iter_ == 20
    assert ours.t_ == theirs.t_ == 20 * len(y)
    assert len(ours.loss_curve_) == len(theirs.loss_curve_) == 20
    assert ours.loss_ == ours.loss_curve_[-1]
    assert ours.best_loss_ == min(ours.loss_curve_)
    assert ours.validation_scores_ is theirs.validation_scores_ is None
    assert ours.best_validation_score_ is theirs.best_validation_score_ is None

    # Binary: the documented difference is the two-unit softmax output.
    yb = (y == 0).astype(int)
    ours_b = MLPClassifier(**kwargs).fit(X, yb)
    theirs_b = SkMLP(**kwargs).fit(X, yb)
    assert theirs_b.coefs_[-1].shape == (5, 1)
    assert ours_b.coefs_[-1].shape == (5, 2)
    assert (ours_b.n_outputs_, theirs_b.n_outputs_) == (2, 1)
    assert ours_b.out_activation_ == "softmax"
    assert ours_b.predict_proba(X).shape == theirs_b.predict_proba(X).shape == (len(y), 2)
    # scikit-learn's binary contract: a 1-D decision function, positive for classes_[1].
    assert ours_b.decision_function(X).shape == (len(y),)

    # Early stopping: validation curves exist for both, with the same meaning.
    es: dict[str, Any] = {**kwargs, "early_stopping": True, "n_iter_no_change": 100}
    ours_es = MLPClassifier(**es).fit(X, y)
    theirs_es = SkMLP(**es).fit(X, y)
    assert len(ours_es.validation_scores_) == len(theirs_es.validation_scores_) == 20
    assert ours_es.best_loss_ is theirs_es.best_loss_ is None
    assert 0.0 <= ours_es.best_validation_score_ <= 1.0
    assert ours_es.best_validation_score_ in ours_es.validation_scores_


@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer, load_digits])
def test_accuracy_within_one_point_of_sklearn(load: Any) -> None:
    # glassnet's defaults against scikit-learn's at the same width, as a mean
    # over seeds: on wine's 54 held-out samples one sample is 1.9 points, so a
    # single seed measures rounding, not the estimator (benchmarks/DEFAULTS.md
    # runs ten seeds and scikit-learn's own defaults).
    X, y = load(return_X_y=True)
    ours_acc, theirs_acc = [], []
    for seed in (0, 1, 2):
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
        with warnings.catch_warnings():
            # Both may stop at max_iter before the loss settles (scikit-learn on
            # every set here, glassnet on 2 iris splits of 10): accuracy is the point.
            warnings.simplefilter("ignore", ConvergenceWarning)
            ours = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed))
            ours.fit(X_tr, y_tr)
            width = ours[-1].hidden_layer_sizes
            theirs = make_pipeline(
                StandardScaler(), SkMLP(hidden_layer_sizes=width, random_state=seed)
            ).fit(X_tr, y_tr)
        ours_acc.append(ours.score(X_te, y_te))
        theirs_acc.append(theirs.score(X_te, y_te))
    assert np.mean(ours_acc) >= np.mean(theirs_acc) - 0.01, (load.__name__, ours_acc, theirs_acc)
