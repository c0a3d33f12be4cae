"""Every metadata field checked by type and range; what save writes, load reads."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import glassnet
import glassnet.persist.container as gio
from glassnet import MLPClassifier, ModelFileError, UnsupportedFormatError


def _fit(X: Any, y: Any, **params: Any) -> MLPClassifier:
    params = {"hidden_layer_sizes": (3,), "max_iter": 2, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(**params).fit(X, y)


@pytest.fixture
def X(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(24, 2))


@pytest.fixture
def saved(X: np.ndarray, tmp_path: Path) -> Path:
    path = tmp_path / "model.glassnet"
    glassnet.save(_fit(X, np.arange(24) % 2), path)
    return path


def _members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def _edit_meta(path: Path, edit: Any, extra: list[tuple[str, bytes]] = ()) -> None:  # type: ignore[assignment]
    members = _members(path)
    meta = json.loads(members[0][1])
    edit(meta)
    members[0] = ("meta.json", json.dumps(meta).encode())
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in [*members, *extra]:
            zf.writestr(name, data)


def _classes(dtype: str, values: list[Any], tag: str) -> Any:
    return lambda m: m["state"].update(classes={"type": tag, "dtype": dtype, "values": values})


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (_classes("|b1", [5, 7], "int"), r"classes dtype \|b1 does not hold int labels"),
        (_classes("<i1", [5, 300], "int"), r"labels \[5, 300\] do not survive the dtype int8"),
        (_classes("<U1", ["ab", "ac"], "str"), r"do not survive the dtype <U1"),
        (_classes("<f2", [1e10, 2e10], "float"), r"do not survive the dtype float16"),
        (_classes("<i8", [7, 5], "int"), r"class labels must be sorted"),
        (_classes("<f8", [1.5, 1e308 * 10 if False else 2.5], "str"), r"not of type str"),
        (_classes("<i8", [0, 1.5], "int"), r"not of type int"),
        (_classes("<U3", [0, 1], "int"), r"dtype <U3 does not hold int labels"),
        (_classes("<U1", ["a", "b"] * 3, "str"), r"labels repeat"),
        (_classes("<U200000", ["a", "b"], "str"), "not allowed for labels"),
        (lambda m: m["state"]["architecture"].update(out_activation="tanh"), "softmax"),
        (lambda m: m["state"]["hyperparameters"].update(hidden_layer_sizes=[4]), "hidden"),
        (lambda m: m["state"]["hyperparameters"].update(hidden_layer_sizes="3"), "hidden"),
        (lambda m: m["state"].update(n_iter=-1), r"n_iter must be a non-negative integer"),
        (lambda m: m["state"].update(n_iter=2.0), r"n_iter must be a non-negative integer"),
        (lambda m: m["state"].update(t=True), r"t must be a non-negative integer"),
        (lambda m: m["state"].update(loss="0.5"), r"loss must be null or a finite number"),
        (lambda m: m["state"].update(best_loss=[1]), r"best_loss must be"),
        (lambda m: m["state"].update(best_validation_score="x"), r"best_validation_score"),
        (lambda m: m["state"].update(loss_curve=[0.5, "x"]), r"loss_curve must be"),
        (lambda m: m["state"].update(loss_curve={"x": 1}), r"loss_curve must be"),
        (lambda m: m["state"].update(validation_scores=[1e999]), r"not valid JSON|finite"),
        (lambda m: m["state"].update(feature_names_in=["a", 3]), "feature_names_in"),
        (lambda m: m["state"].pop("n_iter"), r"n_iter must be"),
    ],
    ids=[
        "bool-dtype-collapses",
        "int8-overflows",
        "short-str-dtype",
        "float16-overflows",
        "unsorted",
        "float-for-str",
        "fraction-for-int",
        "str-dtype-for-int",
        "repeated",
        "giant-dtype",
        "out-activation",
        "hidden-sizes-disagree",
        "hidden-sizes-type",
        "negative-n-iter",
        "float-n-iter",
        "bool-t",
        "loss-string",
        "best-loss-list",
        "best-score-string",
        "curve-string",
        "curve-object",
        "curve-overflow",
        "feature-name-type",
        "missing-n-iter",
    ],
)
def test_forged_metadata_is_refused(edit: Any, match: str, saved: Path) -> None:
    _edit_meta(saved, edit)
    with pytest.raises(ModelFileError, match=rf"member 'meta\.json'.*{match}"):
        glassnet.load(saved)


def test_a_newer_format_with_a_new_structure_asks_for_an_upgrade(saved: Path) -> None:
    def newer(meta: dict[str, Any]) -> None:
        meta["format_version"] = gio.FORMAT_VERSION + 1
        del meta["kind"], meta["state"]

    _edit_meta(saved, newer, extra=[("tokenizer.json", b"{}"), ("weights.bin", b"x")])
    with pytest.raises(UnsupportedFormatError, match=r"Upgrade glassnet"):
        glassnet.load(saved)


def _round_trip(est: MLPClassifier, X: Any, tmp_path: Path) -> MLPClassifier:
    path = tmp_path / "m.glassnet"
    glassnet.save(est, path)
    back = glassnet.load(path)
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    assert back.classes_.dtype == est.classes_.dtype
    assert back.classes_.tolist() == est.classes_.tolist()
    return back


@pytest.mark.parametrize("sizes", [7, (4, 3), [4, 3], (np.int64(5),), np.array([3, 2])], ids=str)
def test_every_hidden_layer_sizes_form_round_trips(
    sizes: Any, X: np.ndarray, tmp_path: Path
) -> None:
    est = _fit(X, np.arange(24) % 2, hidden_layer_sizes=sizes)
    back = _round_trip(est, X, tmp_path)
    assert np.array_equal(np.atleast_1d(back.hidden_layer_sizes), np.atleast_1d(sizes))


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "lbfgs"])
def test_every_activation_and_solver_round_trips(
    activation: str, solver: str, X: np.ndarray, tmp_path: Path
) -> None:
    est = _fit(X, np.arange(24) % 3, activation=activation, solver=solver)
    back = _round_trip(est, X, tmp_path)
    assert (back.activation, back.solver) == (activation, solver)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, None], ids=str)
def test_every_dtype_round_trips(dtype: Any, X: np.ndarray, tmp_path: Path) -> None:
    _round_trip(_fit(X, np.arange(24) % 2, dtype=dtype), X, tmp_path)


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 9]),
        np.array([-1, 1]),
        np.array([1.0, 2.0]),
        np.array([False, True]),
        np.array(["cat", "dog"]),
        np.array(["short", "x" * 5000]),
        np.array(["b", "a"], dtype="<U10000"),
        np.array(["a", "é"], dtype=object),
        np.array([np.uint8(1), np.uint8(4)]),
    ],
    ids=["int", "-1/1", "float", "bool", "str", "5000-chars", "wide-dtype", "object", "uint8"],
)
def test_every_label_kind_round_trips(labels: np.ndarray, X: np.ndarray, tmp_path: Path) -> None:
    y = labels[np.arange(24) % 2]
    _round_trip(_fit(X, y), X, tmp_path)


def test_dataframe_feature_names_round_trip(X: np.ndarray, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["height", "wéight"])
    est = _fit(frame, np.arange(24) % 2)
    path = tmp_path / "m.glassnet"
    glassnet.save(est, path)
    back = glassnet.load(path)
    assert back.feature_names_in_.tolist() == ["height", "wéight"]
    np.testing.assert_array_equal(back.predict_proba(frame), est.predict_proba(frame))
