"""``glassnet train``: outputs and sizes checked first; SIGTERM and SIGHUP save like Ctrl-C."""

from __future__ import annotations

import errno
import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import glassnet
from glassnet.cli import _checks, main

FAST = ["train", "--epochs", "2", "--n-samples", "60", "--no-progress"]


def test_save_over_the_picture_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = str(tmp_path / "m.png")
    assert main([*FAST, "--out", same, "--save", same]) == 2
    captured = capsys.readouterr()
    assert "--out is the --save file" in captured.err and captured.err.count("\n") == 1
    assert "accuracy" not in captured.out and not list(tmp_path.iterdir())


def test_a_network_too_big_for_memory_is_refused_with_the_figure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_checks, "available_memory", lambda: 2**30)
    assert main([*FAST, "--out", "", "--hidden", "20000,20000"]) == 2
    err = capsys.readouterr().err
    # (2+1)·20000 + 20001·20000 + 20001·3 = 400,140,003 parameters, 5 float64 copies: 14.9 GiB
    assert "400,140,003 parameters" in err and "2 -> 20000 -> 20000 -> 3" in err
    assert "parameters 14.9 GiB" in err and "but 1 GiB is available" in err


def test_float32_halves_the_estimate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_checks, "available_memory", lambda: 2**30)
    assert main([*FAST, "--out", "", "--hidden", "20000,20000", "--dtype", "float32"]) == 2
    assert "parameters 7.45 GiB" in capsys.readouterr().err


def test_batch_larger_than_the_training_set_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*FAST, "--out", "", "--batch-size", "43"]) == 2
    err = capsys.readouterr().err
    assert "--batch-size 43 is more than the 42 training samples" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--snapshot-every", "3"], r"--snapshot-every 3 is more than --epochs 2"),
        (["--epochs", "5000", "--snapshot-every", "1"], r"makes 5002 frames, more than 1000"),
    ],
    ids=["beyond-epochs", "too-many-frames"],
)
def test_animation_frames_are_bounded(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*FAST, "--out", "", "--animate", str(tmp_path / "a.gif"), *flags]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_supported_picture_formats_pass_the_check(tmp_path: Path) -> None:
    for name in ["m.png", "m.PNG", "m.svg", "m.pdf", "m", "m.jpg"]:
        _checks.check_output(str(tmp_path / name), "--out", kind="picture")
    for name in ["a.gif", "a.GIF", "a"]:
        _checks.check_output(str(tmp_path / name), "--animate", kind="animation")


# --- SIGTERM and SIGHUP -----------------------------------------------------------------

# Runs the CLI with a marker file touched once five epochs are done, so the signal
# surely lands mid-training (the progress bar is a callback even when not shown).
_WRAPPER = """
import sys
from pathlib import Path
from glassnet.cli import main
from glassnet.training.progress import ProgressBar

marker, original = Path(sys.argv[1]), ProgressBar.on_epoch_end

def on_epoch_end(self, state):
    original(self, state)
    if state.epoch >= 5:
        marker.touch()

ProgressBar.on_epoch_end = on_epoch_end
sys.exit(main(sys.argv[2:]))
"""


def test_sigterm_mid_training_saves_the_model_and_exits_143(tmp_path: Path) -> None:
    signum = signal.SIGTERM
    model, marker = tmp_path / "m.glassnet", tmp_path / "started"
    args = ["train", "--epochs", "200000", "--n-samples", "200", "--hidden", "4"]
    args += ["--out", "", "--save", str(model)]
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, str(marker), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "training never reached epoch 5"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, err
    assert f"stopped by {signum.name} after " in err and f"saved to {model}" in err
    assert err.rstrip().endswith(f"glassnet train: stopped by {signum.name}")
    assert "Traceback" not in err and "accuracy" not in out  # never a success report
    clf = glassnet.load(model)
    assert 5 <= clf.n_iter_ < 200000
    assert clf.predict([[0.0, 0.0]]).shape == (1,)


def test_sighup_mid_training_saves_the_model_and_exits_129(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In this process (the main thread, so the CLI can install its handler): the bar's
    # epoch-end hook sends the signal, which lands while the training loop runs.
    import os

    from glassnet.training.progress import ProgressBar

    original = ProgressBar.on_epoch_end

    def on_epoch_end(self: ProgressBar, state: object) -> None:
        original(self, state)  # type: ignore[arg-type]
        if getattr(state, "epoch", 0) == 5:
            os.kill(os.getpid(), signal.SIGHUP)

    monkeypatch.setattr(ProgressBar, "on_epoch_end", on_epoch_end)
    before = signal.getsignal(signal.SIGHUP)
    model = tmp_path / "m.glassnet"
    args = ["train", "--epochs", "200000", "--n-samples", "200", "--hidden", "4"]
    assert main([*args, "--out", "", "--save", str(model)]) == 128 + signal.SIGHUP
    captured = capsys.readouterr()
    assert "stopped by SIGHUP after 6 of 200000 epochs" in captured.err
    assert captured.err.rstrip().endswith("glassnet train: stopped by SIGHUP")
    assert "accuracy" not in captured.out
    assert glassnet.load(model).n_iter_ == 6
    assert signal.getsignal(signal.SIGHUP) == before  # the handler is put back


class _FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_train_with_a_failing_stdout_saves_then_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    model = tmp_path / "m.glassnet"
    assert main([*FAST, "--out", "", "--save", str(model)]) == 2
    err = capsys.readouterr().err
    assert (
        err == "glassnet train: error: cannot write to standard output: No space left on device\n"
    )
    assert glassnet.load(model).n_iter_ == 2  # the report was lost, the model was not


def test_gradcheck_with_a_closed_stdout_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["gradcheck", "--hidden", "3", "--samples", "4"]) == 2
    assert capsys.readouterr().err == (
        "glassnet gradcheck: error: cannot write to standard output: it is closed\n"
    )
    assert sys.stdout is None  # put back as it was
