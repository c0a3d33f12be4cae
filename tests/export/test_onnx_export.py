"""glassnet.to_onnx: onnxruntime gives glassnet's probabilities and labels, or a clear error."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import NotFittedError

from glassnet.export.onnx import DEFAULT_OPSET, to_onnx
from helpers import run_python

pytest.importorskip("onnx", reason="ONNX export needs onnx: pip install 'glassnet[onnx]'")
pytest.importorskip("onnxruntime", reason="the export tests run models in onnxruntime")

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu"]


def _data(task: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
    """Binary (moons) or three-class data, with int or str labels of the given kind."""
    if task == "binary":
        X, y = make_moons(80, noise=0.2, random_state=0)
    else:
        X, y = make_classification(
            90, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
        )
    names = np.array([5, -2, 9]) if labels == "int" else np.array(["cat", "dog", "émeu"])
    return X, names[y]


@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnxruntime_matches_predict_proba_and_predict(
    activation: str, task: str, labels: str, fitted: Any, onnx_outputs: Callable[..., Any]
) -> None:
    X, y = _data(task, labels)
    clf = fitted(X, y, activation=activation)
    label, proba = onnx_outputs(to_onnx(clf), X.astype(np.float32))
    assert proba.dtype == np.float32
    assert proba.shape == (len(X), len(clf.classes_))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-6)
    expected = clf.predict(X)
    assert label.dtype == (np.int64 if labels == "int" else object)
    np.testing.assert_array_equal(label, expected)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_float64_graph_matches_to_rounding(
    activation: str, fitted: Any, onnx_outputs: Callable[..., Any]
) -> None:
    X, y = _data("multiclass", "int")
    clf = fitted(X, y, activation=activation)
    label, proba = onnx_outputs(to_onnx(clf, dtype="float64"), X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(label, clf.predict(X))


def test_float32_model_exports(fitted: Any, onnx_outputs: Callable[..., Any]) -> None:
    X, y = _data("binary", "int")
    clf = fitted(X, y, dtype="float32")
    assert clf.coefs_[0].dtype == np.float32
    label, proba = onnx_outputs(to_onnx(clf), X.astype(np.float32))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, clf.predict(X))


def test_boolean_labels_come_out_as_int64(fitted: Any, onnx_outputs: Callable[..., Any]) -> None:
    X, y = _data("binary", "int")
    clf = fitted(X, y > 0)
    label, _ = onnx_outputs(to_onnx(clf), X.astype(np.float32))
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, clf.predict(X).astype(np.int64))


def test_zipmap_gives_one_dict_per_row(fitted: Any, onnx_outputs: Callable[..., Any]) -> None:
    X, y = _data("multiclass", "str")
    clf = fitted(X, y)
    model = to_onnx(clf, zipmap=True, dtype="float64")
    assert [o.name for o in model.graph.output] == ["output_label", "output_probability"]
    label, maps = onnx_outputs(model, X)
    np.testing.assert_array_equal(label, clf.predict(X))
    table = np.array([[row[c] for c in clf.classes_] for row in maps])
    np.testing.assert_allclose(table, clf.predict_proba(X), rtol=0, atol=1e-6)


def test_default_graph_outputs_and_opset(fitted: Any) -> None:
    X, y = _data("binary", "int")
    model = to_onnx(fitted(X, y))
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    assert [(o.domain, o.version) for o in model.opset_import] == [("", DEFAULT_OPSET)]
    assert model.producer_name == "glassnet"
    # No ZipMap, no ai.onnx.ml: plain operators any runtime has.
    assert {n.domain for n in model.graph.node} == {""}


def test_input_name_and_opset_are_honoured(fitted: Any, onnx_outputs: Callable[..., Any]) -> None:
    X, y = _data("binary", "int")
    clf = fitted(X, y)
    model = to_onnx(clf, input_name="features", target_opset=11)
    assert model.opset_import[0].version == 11
    _, proba = onnx_outputs(model, X.astype(np.float32), input_name="features")
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-6)


def _multilabel_by_hand(clf: Any, k: int) -> Any:
    """A fitted k-class estimator turned into a k-label one: independent sigmoid outputs."""
    clf.out_activation_ = "logistic"
    clf.classes_ = np.arange(k)
    return clf


def _logits(clf: Any, X: np.ndarray) -> np.ndarray:
    """The forward pass written out with NumPy from coefs_ and intercepts_ (tanh hidden)."""
    a = X
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_, strict=True)):
        a = a @ W + b
        if i < len(clf.coefs_) - 1:
            a = np.tanh(a)
    return a


def test_multilabel_output_is_independent_sigmoids(
    fitted: Any, onnx_outputs: Callable[..., Any]
) -> None:
    X, y = _data("multiclass", "int")
    clf = fitted(X, y, activation="tanh")
    k = clf.coefs_[-1].shape[1]
    # Multilabel fitting is not in the estimator yet: set its fitted attributes.
    clf = _multilabel_by_hand(clf, k)
    label, proba = onnx_outputs(to_onnx(clf), X.astype(np.float32))
    expected = 1.0 / (1.0 + np.exp(-_logits(clf, X)))
    assert proba.shape == (len(X), k)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-6)
    assert not np.allclose(proba.sum(axis=1), 1.0)  # not a softmax
    assert label.dtype == np.int64
    assert label.shape == (len(X), k)
    np.testing.assert_array_equal(label, (proba > 0.5).astype(np.int64))
    assert 0 < label.sum() < label.size  # both decisions occur


def test_multilabel_fit_exports(fitted: Any, onnx_outputs: Callable[..., Any]) -> None:
    X, _ = _data("multiclass", "int")
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0]).astype(int)
    try:
        clf = fitted(X, Y)
    except ValueError as exc:
        if "y must be 1-D" not in str(exc):
            raise
        pytest.skip("MLPClassifier does not fit multilabel targets yet (tested by hand above)")
    assert clf.out_activation_ == "logistic"
    label, proba = onnx_outputs(to_onnx(clf), X.astype(np.float32))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, clf.predict(X))


def test_unfitted_estimator_is_refused() -> None:
    from glassnet import MLPClassifier

    with pytest.raises(NotFittedError, match=r"not fitted yet: call fit\(X, y\)"):
        to_onnx(MLPClassifier())


def test_other_objects_are_refused_with_the_pipeline_route() -> None:
    from sklearn.neural_network import MLPClassifier as SkMLP

    with pytest.raises(TypeError, match=r"glassnet.MLPClassifier, got MLPClassifier.*skl2onnx"):
        to_onnx(SkMLP())
    with pytest.raises(TypeError, match="got dict"):
        to_onnx({"coefs_": []})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dtype": "float16"}, "dtype must be 'float32' or 'float64'.*'float16'"),
        ({"dtype": "banana"}, "dtype must be 'float32' or 'float64'.*'banana'"),
        ({"dtype": None}, "dtype must be 'float32' or 'float64'.*None"),
        ({"dtype": np.int64}, "dtype must be 'float32' or 'float64'"),
        ({"target_opset": 3}, "target_opset must be an integer from 11 .* got 3"),
        ({"target_opset": 10_000}, "target_opset must be an integer .* got 10000"),
        ({"input_name": ""}, "input_name must be a non-empty string"),
    ],
)
def test_bad_arguments_name_themselves(fitted: Any, kwargs: dict[str, Any], match: str) -> None:
    X, y = _data("binary", "int")
    with pytest.raises(ValueError, match=match):
        to_onnx(fitted(X, y), **kwargs)


def test_fractional_float_classes_are_refused(fitted: Any) -> None:
    X, y = _data("binary", "int")
    clf = fitted(X, y)
    clf.classes_ = np.array([-2.5, 5.5])  # scikit-learn's checks refuse such y in fit
    with pytest.raises(ValueError, match=r"classes_ holds non-integer numbers \[-2.5, 5.5\]"):
        to_onnx(clf)


def test_integral_float_classes_become_int64(fitted: Any, onnx_outputs: Any) -> None:
    X, y = _data("binary", "int")
    clf = fitted(X, y.astype(float))
    label, _ = onnx_outputs(to_onnx(clf), X.astype(np.float32))
    np.testing.assert_array_equal(label, clf.predict(X).astype(np.int64))


def test_weights_that_overflow_float32_are_refused(fitted: Any) -> None:
    X, y = _data("binary", "int")
    clf = fitted(X, y)
    clf.coefs_[0][0, 0] = 1e300
    with pytest.raises(ValueError, match=r"weights are not all finite.*dtype='float64'"):
        to_onnx(clf)
    assert np.isfinite(to_onnx(clf, dtype="float64").graph.initializer[0].double_data).all()


def test_missing_onnx_says_how_to_install(fitted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data("binary", "int")
    clf = fitted(X, y)
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes ``import onnx`` fail
    with pytest.raises(
        ImportError, match=r"needs the onnx package: pip install 'glassnet\[onnx\]'"
    ):
        to_onnx(clf)


def test_importing_the_export_package_imports_no_onnx() -> None:
    code = (
        "import sys, glassnet.export\n"
        "loaded = {'onnx', 'onnxruntime', 'skl2onnx', 'sklearn'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    run_python(code)
