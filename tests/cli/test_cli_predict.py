"""``glassnet predict``: CSV in, labels and probabilities out, one-line errors."""

from __future__ import annotations

import csv
import io
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet import MLPClassifier
from glassnet.cli import main
from helpers import fit_small

_fit = fit_small  # a small fitted estimator with "no"/"yes" labels (tests/helpers.py)


@pytest.fixture
def net(fitted: MLPClassifier) -> MLPClassifier:
    return fitted


@pytest.fixture
def model_path(saved_model: Path) -> Path:
    return saved_model


def _table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_predicts_a_headerless_csv_to_stdout(
    net: MLPClassifier,
    model_path: Path,
    tmp_path: Path,
    rng: np.random.Generator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    X = rng.normal(size=(6, 2))
    data = tmp_path / "x.csv"
    data.write_text(
        "\n".join(f"{float(a)!r},{float(b)!r}" for a, b in X) + "\n\n"
    )  # a trailing blank line
    assert main(["predict", "--model", str(model_path), "--input", str(data)]) == 0
    rows = _table(capsys.readouterr().out)
    assert rows[0] == ["label", "proba_no", "proba_yes"]
    proba = net.predict_proba(X)
    np.testing.assert_array_equal(np.array([r[1:] for r in rows[1:]], dtype=float), proba)
    assert [r[0] for r in rows[1:]] == net.predict(X).tolist()


def test_header_row_and_output_file(
    net: MLPClassifier, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "x.csv"
    data.write_text("width, height\n0.5,1\n-2,3e-1\n")
    out = tmp_path / "out.csv"
    args = ["predict", "--model", str(model_path), "--input", str(data), "--output", str(out)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "wrote 2 prediction(s)" in captured.err
    rows = _table(out.read_text())
    proba = net.predict_proba(np.array([[0.5, 1.0], [-2.0, 0.3]]))
    np.testing.assert_array_equal(np.array([r[1:] for r in rows[1:]], dtype=float), proba)
    assert sorted(os.listdir(tmp_path)) == ["model.glassnet", "out.csv", "x.csv"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1,2\n3,\n", r"line 2, column 2: missing value ''"),
        ("a,b\n1,2\n3,NA\n", r"line 3, column 2 \('b'\): missing value 'NA'"),
        ("1,2\n3,abc\n", r"line 2, column 2: 'abc' is not a number"),
        ("1,2\n3,inf\n", r"line 2, column 2: 'inf' is not a finite number"),
        ("1,2\n3,4,5\n", r"line 2: 3 column\(s\), but the model expects 2 feature\(s\)"),
        ("a,b,c\n1,2,3\n", r"line 1: the header has 3 column\(s\), but the model expects 2"),
        ("a,b\n", r"no data rows"),
        ("", r"no data rows"),
        ('1,"2\n', r"line 1: not valid CSV"),
    ],
    ids=[
        "empty-cell",
        "NA",
        "text",
        "inf",
        "too-many-columns",
        "header-width",
        "header-only",
        "empty-file",
        "open-quote",
    ],
)
def test_bad_csv_is_a_one_line_error(
    content: str,
    message: str,
    model_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "x.csv"
    data.write_text(content)
    code = main(["predict", "--model", str(model_path), "--input", str(data)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("glassnet predict: error: ") and err.count("\n") == 1
    assert re.search(message, err), err


def test_bad_files_are_one_line_errors(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "x.csv"
    data.write_text("1,2\n")
    cases = {
        "missing model": (tmp_path / "nope.glassnet", data, "cannot open the file"),
        "missing input": (model_path, tmp_path / "nope.csv", "cannot read the input"),
        "binary input": (model_path, tmp_path / "bin.csv", "not a UTF-8 text CSV"),
        "text model": (data, data, "not a glassnet file"),
        "pickle model": (tmp_path / "p.glassnet", data, "looks like a pickle"),
    }
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x01")
    (tmp_path / "p.glassnet").write_bytes(pickle.dumps({"a": 1}))
    for what, (model, inp, message) in cases.items():
        code = main(["predict", "--model", str(model), "--input", str(inp)])
        err = capsys.readouterr().err
        assert code == 2, what
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, what
    out = tmp_path / "missing-dir" / "out.csv"
    args = ["predict", "--model", str(model_path), "--input", str(data), "--output", str(out)]
    assert main(args) == 2
    assert "cannot write" in capsys.readouterr().err


def test_user_errors_never_show_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", "predict", "--model", "m.glassnet", "--input", "x"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "cannot open the file" in proc.stderr and "Traceback" not in proc.stderr


def test_a_header_must_name_the_features_the_model_was_trained_on(
    rng: np.random.Generator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(rng.normal(size=(60, 2)), columns=["width", "height"])
    net = _fit(rng, df)
    model = tmp_path / "named.glassnet"
    glassnet.save(net, model)
    data = tmp_path / "x.csv"
    data.write_text("width,height\n0.5,1\n")
    assert main(["predict", "--model", str(model), "--input", str(data)]) == 0
    rows = _table(capsys.readouterr().out)
    expected = net.predict_proba(pd.DataFrame([[0.5, 1.0]], columns=["width", "height"]))
    np.testing.assert_array_equal(np.array(rows[1][1:], dtype=float), expected[0])
    data.write_text("height,width\n0.5,1\n")
    assert main(["predict", "--model", str(model), "--input", str(data)]) == 2
    err = capsys.readouterr().err
    assert "line 1: the header names the columns ['height', 'width']" in err
    assert "trained on ['width', 'height']" in err
