"""``glassnet export --model MODEL --onnx OUT``: an ONNX file onnxruntime loads, or one line."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet
import glassnet.cli
from glassnet.cli import main
from helpers import fit_small

pytest.importorskip("onnx", reason="ONNX export needs onnx: pip install 'glassnet[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="the export tests run models in onnxruntime")


@pytest.fixture(autouse=True)
def export_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """``glassnet export`` registered, as cli/__init__.py will list it (a no-op once it does)."""
    if "export" not in glassnet.cli.COMMANDS:
        monkeypatch.setattr(glassnet.cli, "COMMANDS", [*glassnet.cli.COMMANDS, "export"])


@pytest.fixture
def saved(rng: np.random.Generator, tmp_path: Path) -> tuple[Any, Path, np.ndarray]:
    """A small fitted classifier, its model file, and rows to predict."""
    X = rng.normal(size=(60, 2))
    clf = fit_small(rng, X)
    path = tmp_path / "model.glassnet"
    glassnet.save(clf, path)
    return clf, path, X


def test_export_writes_a_model_onnxruntime_runs(
    saved: tuple[Any, Path, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clf, model, X = saved
    out = tmp_path / "model.onnx"
    assert main(["export", "--model", str(model), "--onnx", str(out)]) == 0
    assert f"outputs label, probabilities) to {out}" in capsys.readouterr().err
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].type == "tensor(float)"
    label, proba = session.run(None, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, clf.predict(X))


def test_export_float64_and_zipmap(saved: tuple[Any, Path, np.ndarray], tmp_path: Path) -> None:
    clf, model, X = saved
    out = tmp_path / "model.onnx"
    args = ["export", "--model", str(model), "--onnx", str(out), "--dtype", "float64", "--zipmap"]
    assert main(args) == 0
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].type == "tensor(double)"
    label, maps = session.run(None, {"X": X})
    np.testing.assert_array_equal(label, clf.predict(X))
    assert set(maps[0]) == set(clf.classes_)


def test_export_replaces_a_file_whole_and_leaves_no_temporary(
    saved: tuple[Any, Path, np.ndarray], tmp_path: Path
) -> None:
    _, model, _ = saved
    out = tmp_path / "model.onnx"
    out.write_bytes(b"an older export")
    assert main(["export", "--model", str(model), "--onnx", str(out)]) == 0
    assert out.read_bytes()[:20] != b"an older export"[:20]
    assert sorted(os.listdir(tmp_path)) == ["model.glassnet", "model.onnx"]


def test_failed_export_leaves_the_old_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "model.glassnet"
    bad.write_bytes(b"not a model file")
    out = tmp_path / "model.onnx"
    out.write_bytes(b"an older export")
    assert main(["export", "--model", str(bad), "--onnx", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet export: error: ") and err.count("\n") == 1
    assert out.read_bytes() == b"an older export"


# Flags after --model, built from (model file, its folder), and what the error says.
BAD_FLAGS: dict[str, tuple[Callable[[Path, Path], list[str]], str]] = {
    "onnx-is-model": (lambda m, d: ["--onnx", str(m)], "--onnx is the --model file"),
    "onnx-is-folder": (lambda m, d: ["--onnx", str(d)], "--onnx '.*' is a folder"),
    "no-such-folder": (
        lambda m, d: ["--onnx", str(d / "missing" / "m.onnx")],
        "the folder '.*missing' does not exist",
    ),
    "old-opset": (
        lambda m, d: ["--onnx", str(d / "m.onnx"), "--opset", "9"],
        "target_opset must be an integer from 11",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FLAGS))
def test_bad_flags_are_one_line(
    saved: tuple[Any, Path, np.ndarray], capsys: pytest.CaptureFixture[str], case: str
) -> None:
    _, model, _ = saved
    flags, match = BAD_FLAGS[case]
    assert main(["export", "--model", str(model), *flags(model, model.parent)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet export: error: ") and err.count("\n") == 1
    assert re.search(match, err), err
    assert not (model.parent / "m.onnx").exists()


def test_missing_onnx_is_one_line_with_the_install_command(
    saved: tuple[Any, Path, np.ndarray],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, model, _ = saved
    monkeypatch.setitem(sys.modules, "onnx", None)
    out = tmp_path / "model.onnx"
    assert main(["export", "--model", str(model), "--onnx", str(out)]) == 2
    assert "pip install 'glassnet[onnx]'" in capsys.readouterr().err
    assert not out.exists()
