"""Sparse X: fit, partial_fit, predict and score on SciPy CSR/CSC input, never densified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from glassnet import MLPClassifier

# Short fits on small data: not converging is expected, every other warning is an error.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array]


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(90, 12))
    X[X < 0.6] = 0.0  # about 70% zeros
    y = (X[:, 0] + X[:, 1] > X[:, 2]).astype(int) + (X[:, 3] > 1.0)
    return X, y


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_fit_predicts_as_dense(fmt: type, solver: str) -> None:
    X, y = _data()
    kw: dict[str, Any] = {
        "solver": solver,
        "random_state": 0,
        "max_iter": 20,
        "hidden_layer_sizes": (8,),
    }
    dense = MLPClassifier(route="readable", **kw).fit(X, y)
    sparse = MLPClassifier(**kw).fit(fmt(X), y)
    # The fast step slices sparse rows (lbfgs always runs the readable step): same numbers.
    assert sparse.route_ == ("readable" if solver == "lbfgs" else "fast")
    for a, b in zip(dense.coefs_, sparse.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    Xs = fmt(X)
    np.testing.assert_allclose(dense.predict_proba(X), sparse.predict_proba(Xs), atol=1e-10)
    np.testing.assert_allclose(dense.decision_function(X), sparse.decision_function(Xs), atol=1e-10)
    np.testing.assert_array_equal(dense.predict(X), sparse.predict(Xs))
    assert sparse.score(Xs, y) == dense.score(X, y)
    assert sparse.n_features_in_ == 12


def test_sparse_partial_fit_and_float32() -> None:
    X, y = _data(1)
    kw: dict[str, Any] = {"random_state": 0, "hidden_layer_sizes": (8,)}
    dense = MLPClassifier(**kw).partial_fit(X, y, classes=[0, 1, 2])
    sparse = MLPClassifier(**kw).partial_fit(sp.csr_matrix(X), y, classes=[0, 1, 2])
    dense.partial_fit(X, y)
    sparse.partial_fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.predict_proba(X), sparse.predict_proba(X), atol=1e-10)
    f32 = MLPClassifier(max_iter=5, tol=1.0, **kw).fit(sp.csr_matrix(X, dtype=np.float32), y)
    assert f32.coefs_[0].dtype == np.float32
    assert f32.predict_proba(sp.csr_matrix(X)).dtype == np.float32


def test_sparse_is_not_densified(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data(2)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole sparse X was densified")

    Xs = sp.csr_matrix(X)
    monkeypatch.setattr(type(Xs), "toarray", refuse)
    monkeypatch.setattr(type(Xs), "todense", refuse)
    clf = MLPClassifier(random_state=0, max_iter=5, tol=1.0).fit(Xs, y)
    assert clf.predict(Xs).shape == (90,)


def test_sparse_nan_is_refused_naming_it() -> None:
    X, y = _data(3)
    X[4, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MLPClassifier().fit(sp.csr_matrix(X), y)
    X[4, 2] = 0.0
    clf = MLPClassifier(random_state=0, max_iter=5, tol=1.0).fit(sp.csr_matrix(X), y)
    X[7, 1] = np.inf
    with pytest.raises(ValueError, match="inf"):
        clf.predict(sp.csr_matrix(X))


def test_sparse_early_stopping_and_checkpoint(tmp_path: Path) -> None:
    X, y = _data(4)
    Xs = sp.csr_matrix(X)
    clf = MLPClassifier(random_state=0, early_stopping=True, validation_fraction=0.2, max_iter=8)
    clf.fit(Xs, y, validation_data=(Xs[:20], y[:20]))
    assert clf.validation_scores_ is not None
    assert len(clf.validation_scores_) == clf.n_iter_
    path = str(tmp_path / "ck.npz")
    a = MLPClassifier(random_state=0, max_iter=4, tol=0.0, checkpoint_path=path)
    a.fit(Xs, y)
    b = MLPClassifier(random_state=0, max_iter=6, tol=0.0, checkpoint_path=path, warm_start=True)
    b.fit(Xs, y)  # resumes: the sparse data hashes alike
    assert b.n_iter_ == 6


def test_pipeline_tfidf_text() -> None:
    good = ["good film", "great acting", "loved it", "wonderful story", "great fun"]
    bad = ["bad film", "awful acting", "hated it", "boring story", "dull and bad"]
    texts = good * 4 + bad * 4
    y = np.array([1] * 20 + [0] * 20)
    pipe = Pipeline([("tfidf", TfidfVectorizer()), ("mlp", MLPClassifier(random_state=0))])
    pipe.fit(texts, y)
    assert pipe.score(texts, y) == 1.0
    assert list(pipe.predict(["great story", "awful film"])) == [1, 0]
