"""``glassnet predict``: header detection, separators, and failures writing the output."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import glassnet
from glassnet import MLPClassifier
from glassnet.cli import main


def _fit(rng: np.random.Generator, X: Any = None) -> MLPClassifier:
    if X is None:
        X = rng.normal(size=(60, 2))
    Xa = np.asarray(X)
    y = (Xa[:, 0] + Xa[:, 1] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((3,), max_iter=20, random_state=0).fit(X, y)


@pytest.fixture
def net(rng: np.random.Generator) -> MLPClassifier:
    return _fit(rng)


@pytest.fixture
def model_path(net: MLPClassifier, tmp_path: Path) -> Path:
    path = tmp_path / "model.glassnet"
    glassnet.save(net, path)
    return path


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _proba(text: str) -> np.ndarray:
    return np.array([r[1:] for r in _rows(text)[1:]], dtype=float)


X2 = np.array([[0.5, -1.0], [2.0, 0.25]])


def test_pandas_default_header_is_not_a_sample(
    net: MLPClassifier, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd = pytest.importorskip("pandas")
    data = tmp_path / "x.csv"
    pd.DataFrame(X2).to_csv(data, index=False)
    assert data.read_text().splitlines()[0] == "0,1"
    assert main(["predict", "--model", str(model_path), "--input", str(data)]) == 0
    np.testing.assert_array_equal(_proba(capsys.readouterr().out), net.predict_proba(X2))


def test_numeric_feature_names_header_is_a_header(
    rng: np.random.Generator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd = pytest.importorskip("pandas")
    named = _fit(rng, pd.DataFrame(rng.normal(size=(60, 2)), columns=["5", "7"]))
    model = tmp_path / "named.glassnet"
    glassnet.save(named, model)
    data = tmp_path / "x.csv"
    data.write_text("5,7\n0.5,-1\n2,0.25\n")
    assert main(["predict", "--model", str(model), "--input", str(data)]) == 0
    expected = named.predict_proba(pd.DataFrame(X2, columns=["5", "7"]))
    np.testing.assert_array_equal(_proba(capsys.readouterr().out), expected)


@pytest.mark.parametrize(
    ("content", "flags", "n_rows"),
    [
        ("0,1\n0.5,-1\n2,0.25\n", ["--header", "no"], 3),  # 0,1 is a sample when told so
        ("0.5,-1\n2,0.25\n", ["--header", "yes"], 1),  # the first row is skipped as a header
        ("a,b\n0.5,-1\n", ["--header", "auto"], 1),
        ("0.5,-1\n2,0.25\n", [], 2),  # auto: numbers that are not 0,1 are data
    ],
    ids=["no", "yes", "auto-text", "auto-numbers"],
)
def test_header_flag(
    content: str,
    flags: list[str],
    n_rows: int,
    model_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "x.csv"
    data.write_text(content)
    assert main(["predict", "--model", str(model_path), "--input", str(data), *flags]) == 0
    assert len(_rows(capsys.readouterr().out)) == n_rows + 1


@pytest.mark.parametrize(
    ("raw", "flags"),
    [
        (b"\xef\xbb\xbfx,y\n0.5,-1\n2,0.25\n", []),
        (b"\xef\xbb\xbf0.5,-1\n2,0.25\n", []),
        (b"x;y\n0.5;-1\n2;0.25\n", []),
        (b"\xef\xbb\xbf0;1\r\n0.5;-1\r\n2;0.25\r\n", []),
        (b"x\ty\n0.5\t-1\n2\t0.25\n", []),
        (b"0.5;-1\n2;0.25\n", ["--sep", ";"]),
        (b"0.5\t-1\n2\t0.25\n", ["--sep", "tab"]),
    ],
    ids=["bom", "bom-no-header", "semicolon", "bom-semicolon-crlf", "tab", "sep-;", "sep-tab"],
)
def test_bom_and_separators(
    raw: bytes,
    flags: list[str],
    net: MLPClassifier,
    model_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "x.csv"
    data.write_bytes(raw)
    assert main(["predict", "--model", str(model_path), "--input", str(data), *flags]) == 0
    np.testing.assert_array_equal(_proba(capsys.readouterr().out), net.predict_proba(X2))


def test_a_forced_separator_that_does_not_split_says_so(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "x.csv"
    data.write_text("0.5;-1\n")
    assert main(["predict", "--model", str(model_path), "--input", str(data), "--sep", ","]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1 column(s)" in err and "--sep" in err


@pytest.mark.parametrize("target", ["input", "model"])
def test_output_over_the_input_or_the_model_is_refused(
    target: str, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "x.csv"
    data.write_text("0.5,-1\n")
    before = {p: p.read_bytes() for p in (data, model_path)}
    same = str(data if target == "input" else model_path)
    args = ["predict", "--model", str(model_path), "--input", str(data), "--output", same]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"--output is the --{target} file" in err and err.count("\n") == 1
    assert {p: p.read_bytes() for p in before} == before


def test_output_through_another_name_of_the_input_is_refused(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "x.csv"
    data.write_text("0.5,-1\n")
    (tmp_path / "link.csv").symlink_to(data)
    args = ["predict", "--model", str(model_path), "--input", str(data)]
    assert main([*args, "--output", str(tmp_path / "link.csv")]) == 2
    assert "--output is the --input file" in capsys.readouterr().err
    assert data.read_text() == "0.5,-1\n"


# --- writing to standard output ---------------------------------------------------------


def _run_shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _many_rows(tmp_path: Path, n: int) -> Path:
    data = tmp_path / "x.csv"
    data.write_text("".join(f"{i / n},{-i / n}\n" for i in range(n)))
    return data


CLI = f"'{sys.executable}' -m glassnet predict"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("n", [2, 20_000], ids=["small", "large"])
def test_stdout_on_a_full_disk_is_a_one_line_error(
    n: int, model_path: Path, tmp_path: Path
) -> None:
    _many_rows(tmp_path, n)
    proc = _run_shell(f"{CLI} --model {model_path} --input x.csv > /dev/full", tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "cannot write the predictions to standard output" in proc.stderr
    assert "No space left on device" in proc.stderr


def test_closed_stdout_is_a_one_line_error(model_path: Path, tmp_path: Path) -> None:
    _many_rows(tmp_path, 3)
    proc = _run_shell(f"{CLI} --model {model_path} --input x.csv >&-", tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "standard output is closed" in proc.stderr


def test_a_reader_that_stops_early_is_a_one_line_error(model_path: Path, tmp_path: Path) -> None:
    _many_rows(tmp_path, 50_000)
    # sh reports the pipeline's status (head's), so ask the command itself in a subshell.
    script = f"({CLI} --model {model_path} --input x.csv; echo rc=$? >&2) | head -n 1 >/dev/null"
    proc = _run_shell(script, tmp_path)
    lines = proc.stderr.splitlines()
    assert lines[-1] == "rc=2", proc.stderr
    assert len(lines) == 2 and "Broken pipe" in lines[0] and "Traceback" not in proc.stderr


def test_stdout_is_written_whole_in_chunks(
    net: MLPClassifier, model_path: Path, tmp_path: Path
) -> None:
    data = _many_rows(tmp_path, 25_000)
    proc = _run_shell(f"{CLI} --model {model_path} --input x.csv > out.csv", tmp_path)
    assert proc.returncode == 0, proc.stderr
    X = np.loadtxt(data, delimiter=",")
    np.testing.assert_array_equal(_proba((tmp_path / "out.csv").read_text()), net.predict_proba(X))
