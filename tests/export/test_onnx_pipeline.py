"""register_skl2onnx: skl2onnx converts a Pipeline holding a glassnet classifier."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from glassnet.export.onnx import to_onnx
from glassnet.export.skl2onnx_converter import register_skl2onnx

pytest.importorskip("onnx", reason="ONNX export needs onnx: pip install 'glassnet[onnx]'")
skl2onnx = pytest.importorskip("skl2onnx", reason="the Pipeline route needs skl2onnx")
pytest.importorskip("onnxruntime", reason="the export tests run models in onnxruntime")


@pytest.fixture
def pipeline() -> tuple[Pipeline, np.ndarray]:
    """StandardScaler → MLPClassifier, on features far from zero mean and unit scale."""
    from sklearn.exceptions import ConvergenceWarning

    from glassnet import MLPClassifier

    X, y = make_classification(90, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=1)
    X = X * [10.0, 0.1, 3.0, 50.0] + [100.0, -5.0, 0.0, 7.0]
    labels = np.array(["low", "mid", "high"])[y]
    mlp = MLPClassifier((5, 4), activation="relu", max_iter=15, random_state=0)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, labels)
    register_skl2onnx()
    return pipe, X


def test_pipeline_through_skl2onnx_matches(
    pipeline: tuple[Pipeline, np.ndarray], onnx_outputs: Callable[..., Any]
) -> None:
    pipe, X = pipeline
    X32 = X.astype(np.float32)
    model = skl2onnx.to_onnx(pipe, X32[:1], options={id(pipe[-1]): {"zipmap": False}})
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    label, proba = onnx_outputs(model, X32)
    np.testing.assert_allclose(proba, pipe.predict_proba(X32), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, pipe.predict(X32))


def test_pipeline_in_float64(
    pipeline: tuple[Pipeline, np.ndarray], onnx_outputs: Callable[..., Any]
) -> None:
    pipe, X = pipeline
    model = skl2onnx.to_onnx(pipe, X[:1], options={id(pipe[-1]): {"zipmap": False}})
    label, proba = onnx_outputs(model, X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_skl2onnx_default_zipmap(
    pipeline: tuple[Pipeline, np.ndarray], onnx_outputs: Callable[..., Any]
) -> None:
    pipe, X = pipeline
    X32 = X.astype(np.float32)
    label, maps = onnx_outputs(skl2onnx.to_onnx(pipe, X32[:1]), X32)
    np.testing.assert_array_equal(label, pipe.predict(X32))
    classes = pipe[-1].classes_
    table = np.array([[row[c] for c in classes] for row in maps])
    np.testing.assert_allclose(table, pipe.predict_proba(X32), rtol=0, atol=1e-6)


def test_nocl_labels_are_class_indices(
    pipeline: tuple[Pipeline, np.ndarray], onnx_outputs: Callable[..., Any]
) -> None:
    pipe, X = pipeline
    X32 = X.astype(np.float32)
    options = {id(pipe[-1]): {"zipmap": False, "nocl": True}}
    label, _ = onnx_outputs(skl2onnx.to_onnx(pipe, X32[:1], options=options), X32)
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, np.argmax(pipe.predict_proba(X32), axis=1))


def test_same_graph_as_to_onnx(fitted: Any, onnx_outputs: Callable[..., Any]) -> None:
    X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=2)
    clf = fitted(X, y, activation="leaky_relu")
    register_skl2onnx()
    register_skl2onnx()  # a second call does no harm
    X32 = X.astype(np.float32)
    via_skl2onnx = skl2onnx.to_onnx(clf, X32[:1], options={id(clf): {"zipmap": False}})
    ours = to_onnx(clf)
    ops = sorted(n.op_type for n in ours.graph.node)  # skl2onnx orders the nodes its own way
    assert sorted(n.op_type for n in via_skl2onnx.graph.node) == ops
    assert ops.count("MatMul") == len(clf.coefs_) and "Max" in ops
    np.testing.assert_array_equal(onnx_outputs(via_skl2onnx, X32)[1], onnx_outputs(ours, X32)[1])


def test_integer_input_is_cast_to_float32(
    rng: np.random.Generator, fitted: Any, onnx_outputs: Callable[..., Any]
) -> None:
    from skl2onnx.common.data_types import Int64TensorType

    X = rng.integers(-3, 4, size=(50, 3))
    clf = fitted(X.astype(float), (X.sum(axis=1) > 0).astype(int))
    register_skl2onnx()
    types = [("X", Int64TensorType([None, 3]))]
    model = skl2onnx.to_onnx(clf, initial_types=types, options={id(clf): {"zipmap": False}})
    label, proba = onnx_outputs(model, X.astype(np.int64))
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, clf.predict_proba(X.astype(float)), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, clf.predict(X.astype(float)))


def test_unfitted_step_is_refused_by_name() -> None:
    from sklearn.exceptions import NotFittedError

    from glassnet import MLPClassifier

    register_skl2onnx()
    X = np.zeros((3, 2), dtype=np.float32)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        skl2onnx.to_onnx(MLPClassifier(), X, options={"zipmap": False})


def test_missing_skl2onnx_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"needs skl2onnx: pip install 'glassnet\[onnx\]'"):
        register_skl2onnx()
