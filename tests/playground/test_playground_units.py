"""The playground's Python parts without a server: data, settings, session, exports."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.playground.data import DataError, generate, parse_csv, split, to_csv
from glassnet.playground.export import model_bytes, snippet
from glassnet.playground.session import CASE_TITLE, Session
from glassnet.playground.settings import Settings, SettingsError, parse_settings
from glassnet.teach.explain import render


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "the file is empty"),
        ("x1,x2,label\n1,2,a\n", "fewer than 2 data rows"),
        ("1,2,a\n3,4\n", "line 2 has 2 columns; expected 3"),
        ("1,2,a\n3,inf,b\n", "line 2, column 2: 'inf' is not finite"),
        ("1,2,a\n3,4,a\n", "one class"),
        ("1,2,a\n3,4, \n", "line 2, column 3: the label is empty"),
        ("".join(f"{i},{i},{i}\n" for i in range(11)), "11 classes; the limit is 10"),
    ],
    ids=["empty", "one-row", "columns", "inf", "one-class", "no-label", "classes"],
)
def test_bad_csv_says_where_and_why(text: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        parse_csv(text)


def test_csv_round_trips_with_any_labels() -> None:
    data = parse_csv(b"\xef\xbb\xbfa,b,kind\n0.5,1,dog\n2,3.25,cat\n-1,0,dog\n")
    assert data.classes == ["cat", "dog"] and data.y.tolist() == [1, 0, 1]
    again = parse_csv(to_csv(data))
    assert np.array_equal(again.X, data.X) and again.y.tolist() == data.y.tolist()


@pytest.mark.parametrize("name", ["moons", "circles", "spiral", "xor", "blobs", "linear"])
def test_every_dataset_generates(name: str) -> None:
    d = generate(name, 100, 0.1, 3, n_classes=4)
    assert d.X.shape == (100, 2) and np.all(np.isfinite(d.X))
    assert d.n_classes == (4 if name in ("blobs", "linear") else 2)
    tr, te = split(100, 0.3, 3)
    assert len(te) == 30 and sorted([*tr, *te]) == list(range(100))


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"hidden": [4] * 7}, "at most 6 hidden layers"),
        ({"lr": "fast"}, "lr must be a number"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, adam, adamw"),
        ({"samples": 12.5}, "samples must be a whole number"),
        ({"colour": 1}, "unknown settings"),
    ],
    ids=["layers", "lr", "optimizer", "samples", "unknown"],
)
def test_settings_are_checked(raw: dict[str, object], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        parse_settings(raw)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_download_predicts_as_the_page_and_the_snippet_rebuilds_the_run(
    optimizer: str, tmp_path: Path
) -> None:
    s = Session(Settings(dataset="blobs", classes=4, optimizer=optimizer, l2=1e-3, samples=120))
    s.train_for(10.0, 7)
    path = tmp_path / "m.glassnet"
    path.write_bytes(model_bytes(s))
    clf = gn.load(path)
    X = np.random.default_rng(0).uniform(-4, 4, (500, 2))
    assert np.array_equal(clf.predict_proba(X), s.probabilities(X))
    assert clf.n_iter_ == 7
    code = snippet(s)
    ns: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the estimator part may not converge in 7 epochs
        exec(compile(code, "snippet", "exec"), ns)
    rebuilt = ns["model"].parameters()  # type: ignore[attr-defined]
    for name, p in s.model.parameters().items():
        assert np.array_equal(rebuilt[name], p), name


def test_explain_is_glassnet_derive_at_the_current_weights() -> None:
    s = Session(Settings(smoothing=0.1, optimizer="sgd"))
    s.train_for(10.0, 3)
    m = s.explain(5)
    z = s.model.forward(s.data.X[5:6])[0]
    d = gn.derive(z, int(s.data.y[5]))
    assert m["z"] == z.tolist() and m["text"] == render(d, title=CASE_TITLE)
    assert m["grad_z"] != m["shortcut"]  # smoothing changes the training target
    # SGD with momentum, first use of this point's gradient: step = momentum·v − lr·g
    v = s.optimizer.state[
        next(
            k
            for k in s.model.parameters()
            if k.endswith(".b") and s.model.parameters()[k] is s.dense()[-1].b
        )
    ]["velocity"]
    assert np.allclose(m["step_b"], 0.9 * v - 0.03 * np.array(m["grad_z"]))
    with pytest.raises(DataError, match="point 999 does not exist"):
        s.explain(999)


def test_adding_a_point_of_a_new_class_restarts_with_one_more_output() -> None:
    s = Session()
    s.train_for(10.0, 2)
    s.add_point(0.1, 0.2, 0)
    assert s.epoch == 2 and s.data.source == "edited" and s.train_idx[-1] == 300
    s.add_point(0.3, 0.4, 2)
    assert s.epoch == 0 and s.dense()[-1].W.shape[1] == 3
    with pytest.raises(DataError, match="the class must be 0 to 3"):
        s.add_point(0.0, 0.0, 7)
