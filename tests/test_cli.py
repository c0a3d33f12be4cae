"""The command line, run as a user would."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli import main


def _accuracy(text: str, split: str) -> float:
    match = re.search(rf"^{split}\s+accuracy (\d\.\d+)\s+loss (\d+\.\d+)", text, re.M)
    assert match, text
    return float(match.group(1))


def test_train_defaults_reach_the_target_accuracy_and_draw_the_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "moons.png"
    assert main(["train", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert _accuracy(text, "test") >= 0.96
    assert _accuracy(text, "train") >= 0.96
    import matplotlib.image as mpimg

    img = mpimg.imread(out)
    assert img.shape[0] > 300 and img.shape[1] > 400
    assert np.std(img[..., :3]) > 0.05  # not blank
    assert not list(tmp_path.glob(".glassnet-*"))  # no temporary file left


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_train_flags(dtype: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "train",
        "--hidden",
        "8",
        "--activation",
        "relu",
        "--optimizer",
        "sgd",
        "--lr",
        "0.3",
        "--momentum",
        "0.9",
        "--epochs",
        "50",
        "--batch-size",
        "64",
        "--seed",
        "3",
        "--n-samples",
        "300",
        "--noise",
        "0.1",
        "--dtype",
        dtype,
        "--out",
        "",
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert f"2 -> 8 -> 2 (relu, softmax), sgd lr=0.3, 50 epochs, {dtype}" in text
    assert _accuracy(text, "test") > 0.8
    assert "wrote" not in text


@pytest.mark.parametrize("dataset", ["circles", "blobs", "spiral", "xor"])
def test_other_datasets(dataset: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--dataset", dataset, "--epochs", "300", "--out", ""]) == 0
    assert _accuracy(capsys.readouterr().out, "test") > 0.8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--hidden", "0"], "expected comma-separated positive widths"),
        (["train", "--lr", "-1"], "expected a positive number"),
        (["train", "--epochs", "x"], "expected a positive integer"),
        (["train", "--test-size", "1.5"], "expected a number in (0, 1)"),
        (["train", "--dataset", "mnist"], "invalid choice"),
    ],
    ids=["hidden", "lr", "epochs", "test-size", "dataset"],
)
def test_bad_flags_exit_2_with_a_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unwritable_picture_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--epochs", "5", "--out", str(tmp_path / "missing" / "m.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot write the picture" in err and "Traceback" not in err


def test_python_dash_m_runs_the_same_cli(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", "train", "--epochs", "20", "--out", "m.png"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "test   accuracy" in proc.stdout
    assert (tmp_path / "m.png").stat().st_size > 10_000
