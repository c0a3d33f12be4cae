"""glassnet's warnings filter like scikit-learn's: by category and by the module they come from."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import sklearn.exceptions
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from glassnet import MLPClassifier
from glassnet.estimator import lbfgs, stochastic

X = np.random.default_rng(0).normal(size=(40, 3))
Y = (X[:, 0] > 0).astype(int)
NOT_CONVERGING = [
    {"max_iter": 2, "tol": 0.0},
    {"max_iter": 2, "tol": 0.0, "solver": "lbfgs"},
]


def test_convergence_warning_is_scikit_learns_class() -> None:
    assert stochastic.ConvergenceWarning is sklearn.exceptions.ConvergenceWarning
    assert lbfgs.ConvergenceWarning is sklearn.exceptions.ConvergenceWarning


@pytest.mark.parametrize("params", NOT_CONVERGING)
def test_attributed_to_glassnet_even_inside_a_pipeline(params: dict[str, Any]) -> None:
    for model in (
        MLPClassifier(**params),
        make_pipeline(FunctionTransformer(), MLPClassifier(**params)),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, Y)
        [w] = [w for w in caught if w.category is sklearn.exceptions.ConvergenceWarning]
        assert w.filename.endswith("classifier.py")
        assert "glassnet" in w.filename


@pytest.mark.parametrize("params", NOT_CONVERGING)
def test_module_filter_glassnet_silences_and_sklearn_does_not(params: dict[str, Any]) -> None:
    category = sklearn.exceptions.ConvergenceWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=category, module="glassnet")
        MLPClassifier(**params).fit(X, Y)
    assert caught == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=category, module="sklearn")
        MLPClassifier(**params).fit(X, Y)
    assert [w.category for w in caught] == [category]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scale_warning_is_attributed_to_glassnet_too() -> None:
    with pytest.warns(UserWarning, match="no larger than") as caught:
        MLPClassifier(max_iter=2).fit(X * 1e-6, Y)
    assert caught[0].filename.endswith("classifier.py")
    with warnings.catch_warnings(record=True) as ignored:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=UserWarning, module="glassnet")
        MLPClassifier(max_iter=2).fit(X * 1e-6, Y)
    assert [w for w in ignored if w.category is UserWarning] == []
