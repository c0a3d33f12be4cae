"""RELIABILITY.md's bar: interrupts, divergence, bad input, property-based fits."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet import Callback, SoftmaxCrossEntropy, TrainState, mlp, train
from glassnet.optim import Adam


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    """Read a pty until ``needle`` shows up (or the timeout passes)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty and SIGINT")
def test_sigint_to_the_cli_stops_training_and_exits_130(tmp_path: Path) -> None:
    import pty

    # stderr is a terminal so the progress bar draws: once it has, training
    # is under way and Ctrl-C lands inside the loop.
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", "train", "--epochs", "100000", "--out", ""],
        stdout=subprocess.PIPE,
        stderr=slave,
        cwd=tmp_path,
    )
    os.close(slave)
    try:
        started = _read_until(master, b"epoch", timeout=120)
        assert b"epoch" in started, started
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        err = _read_until(master, b"interrupted", timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 130
    assert b"interrupted" in err and b"Traceback" not in err
    assert b"accuracy" not in out  # never reports success


class _StopAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_batch_end(self, state: TrainState) -> None:
        if state.history.n_steps == self.step:
            raise KeyboardInterrupt


def test_keyboard_interrupt_in_train_keeps_the_last_step(rng: np.random.Generator) -> None:
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] > 0).astype(int)
    model = mlp([2, 4, 2], rng=rng)
    history = glassnet.History()
    with pytest.raises(KeyboardInterrupt):
        train(
            model,
            SoftmaxCrossEntropy(),
            Adam(0.01),
            X,
            y,
            epochs=100,
            batch_size=16,
            rng=rng,
            callbacks=[_StopAt(10)],
            history=history,
        )
    assert history.interrupted and history.n_steps == 10
    assert np.all(np.isfinite(model.flat_params))
