"""One class in y trains, as scikit-learn's MLPClassifier does: predict returns that class."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.neural_network import MLPClassifier as SkMLP

from glassnet import MLPClassifier


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_one_class_trains_and_predicts_it(solver: str) -> None:
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.array(["spam"] * 20)
    clf = MLPClassifier(solver=solver, random_state=0).fit(X, y)
    with warnings.catch_warnings():  # scikit-learn's adam does not converge here
        warnings.simplefilter("ignore")
        sk = SkMLP(solver=solver, random_state=0).fit(X, y)
    assert list(clf.classes_) == list(sk.classes_) == ["spam"]
    assert list(clf.predict(X[:4])) == list(sk.predict(X[:4])) == ["spam"] * 4
    np.testing.assert_array_equal(clf.predict_proba(X[:4]), np.ones((4, 1)))
    assert clf.score(X, y) == 1.0
    assert clf.stopped_by_ == "converged"  # nothing to learn: it converges, no warning


def test_preserve_feature_names_with_one_class_and_early_stopping() -> None:
    # scikit-learn's test_preserve_feature_names (gh-24846), for glassnet.
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.full(10, 1), name="colname_y")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf = MLPClassifier(early_stopping=True, validation_fraction=0.2).fit(X, y)
    assert list(clf.feature_names_in_) == ["colname_a", "colname_b"]
    assert list(clf.predict(X)) == [1] * 10
