"""The command line, run as a user would."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli import main
from helpers import Terminal, agreements


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
        (["train", "--optimizer", "sgd", "--momentum", "2"], "expected a number in [0, 1)"),
        (["train", "--alpha", "-1"], "expected a number >= 0"),
    ],
    ids=["hidden", "lr", "epochs", "test-size", "dataset", "momentum", "alpha"],
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


# --- see-through tools: explain, gradcheck, curves, animation, progress ---------------------


def test_explain_given_logits_prints_both_cases_and_the_agreement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["explain", "--logits", "2.0,1.0,-1.0", "--label", "0", "--target", "0.5,0.3,0.4"])
    text = capsys.readouterr().out
    assert code == 0
    assert text.count("case i = o (diagonal):      ∂ŷ_o/∂z_i = ŷ_o (1 − ŷ_o)") == 2
    assert text.count("case i ≠ o (off-diagonal):  ∂ŷ_o/∂z_i = −ŷ_o ŷ_i") == 2
    z = np.array([2.0, 1.0, -1.0])
    p = np.exp(z) / np.exp(z).sum()
    assert f"{p[0]:.6f}" in text and f"{p[2]:.6f}" in text
    diffs = agreements(text)
    assert len(diffs) == 2 and max(diffs) < 1e-12
    case2 = text.split("Case 2")[1]
    assert "a target that does not sum to one, so ∂L/∂z = ŷ·Σy − y" in case2
    assert "Σy = 1.200000" in case2
    expected = p * 1.2 - np.array([0.5, 0.3, 0.4])
    row0 = next(line for line in case2.splitlines() if line.split()[:1] == ["0"] and
                len(line.split()) == 6)  # fmt: skip
    assert [float(v.replace("−", "-")) for v in row0.split()[3:]] == pytest.approx(
        [expected[0]] * 3, abs=1e-6
    )


def test_explain_defaults_to_a_sample_of_the_moons_network(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", "--epochs", "30"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Sample 0 of moons (n=1000, noise=0.2, seed=0)")
    assert "2 -> 32 -> 32 -> 2 (tanh) after 30 epochs" in text
    assert "Case 1: a class label" in text and "Case 2: a target" in text
    diffs = agreements(text)
    assert len(diffs) == 2 and max(diffs) < 1e-12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--logits", "1,2", "--label", "5"], r"label must be a class index in \[0, 2\)"),
        (["--logits", "1,2", "--target", "1,2,3"], r"target must have one entry per logit"),
        (["--sample", "5000"], r"--sample must index one of the 1000 points"),
    ],
    ids=["label", "target", "sample"],
)
def test_explain_bad_numbers_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", *args]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and "Traceback" not in err


def test_explain_falls_back_to_ascii_on_a_terminal_without_unicode(tmp_path: Path) -> None:
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", "explain", "--logits", "1,0"],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode("ascii")  # raises if anything is not ASCII
    assert "dy^_o/dz_i = y^_o (1 - y^_o)" in text and "-y^_o y^_i" in text


def _gradcheck_rows(text: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split()
        for line in text.splitlines()
        if line.split() and line.split()[-1] in ("ok", "FAIL")
    }


def test_gradcheck_passes_on_a_correct_network(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "--hidden", "8,8", "--samples", "10"]) == 0
    text = capsys.readouterr().out
    rows = _gradcheck_rows(text)
    assert list(rows) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b", "X"]
    for name, row in rows.items():
        analytic, numeric, error = float(row[2]), float(row[3]), float(row[4])
        assert analytic == pytest.approx(numeric, rel=1e-6), name
        assert error <= 1e-7 and row[5] == "ok"
    assert rows["X"][1] == "10×2"
    assert "gradients OK" in text


def test_gradcheck_fails_when_a_backward_is_sabotaged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from glassnet.core.activations import Tanh

    original = Tanh.backward

    def wrong(self: Tanh, grad: np.ndarray) -> np.ndarray:
        return original(self, grad) * 1.1  # a 10% error in the derivative

    monkeypatch.setattr(Tanh, "backward", wrong)
    assert main(["gradcheck", "--hidden", "8", "--samples", "10"]) == 1
    text = capsys.readouterr().out
    rows = _gradcheck_rows(text)
    assert rows["0.W"][-1] == rows["X"][-1] == "FAIL"
    assert rows["2.W"][-1] == "ok"  # the output layer's gradient is before the tanh
    assert float(rows["0.W"][4]) > 0.01
    assert "gradient check FAILED" in text


def test_gradcheck_threshold_and_dataset_flags(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["gradcheck", "--dataset", "blobs", "--hidden", "4", "--samples", "6"]
    assert main([*args, "--threshold", "1e-30"]) == 1
    assert "2 -> 4 -> 3 (tanh, softmax)" in capsys.readouterr().out
    assert main([*args, "--threshold", "1e-5"]) == 0
    assert main(["gradcheck", "--samples", "50", "--n-samples", "20"]) == 2
    assert "--samples (50) must not exceed --n-samples (20)" in capsys.readouterr().err


def test_train_writes_curves_and_animation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image, ImageChops

    curves, gif = tmp_path / "curves.png", tmp_path / "moons.gif"
    args = ["train", "--epochs", "30", "--n-samples", "300", "--out", ""]
    args += ["--curves", str(curves), "--animate", str(gif), "--snapshot-every", "10"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"wrote {gif} (4 frames, one every 10 epochs)" in out  # epochs 0, 10, 20, 30
    with Image.open(curves) as img:
        assert img.size == (770, 495)  # 7 × 4.5 inches at 110 dpi
        assert np.asarray(img.convert("RGB"), dtype=float).std() > 10
    with Image.open(gif) as anim:
        assert anim.n_frames == 4
        frames = []
        for i in range(anim.n_frames):
            anim.seek(i)
            frames.append(anim.convert("RGB"))
    assert all(ImageChops.difference(a, b).getbbox() for a, b in itertools.pairwise(frames))
    assert not list(tmp_path.glob(".glassnet-*"))


def test_train_progress_bar_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--epochs", "5", "--n-samples", "100", "--out", ""]) == 0
    assert "\r" not in capsys.readouterr().err  # captured stderr is not a terminal

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["train", "--epochs", "5", "--n-samples", "100", "--out", ""]) == 0
    line = term.getvalue().rstrip("\n").rsplit("\r", 1)[1]
    assert line.startswith("epoch 5/5 [") and " val_acc " in line
    term2 = Terminal()
    monkeypatch.setattr(sys, "stderr", term2)
    args = ["train", "--epochs", "5", "--n-samples", "100", "--out", "", "--no-progress"]
    assert main(args) == 0
    assert term2.getvalue() == ""


def test_train_refuses_an_unwritable_animation_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--animate", str(tmp_path / "missing" / "m.gif"), "--out", ""])
    captured = capsys.readouterr()
    assert code == 2
    assert "cannot write --animate" in captured.err and "does not exist" in captured.err
    assert "accuracy" not in captured.out  # failed before training
