"""Saving onto links, FIFOs, devices and folders; each save writes its bytes once."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import glassnet
from glassnet import MLPClassifier
from glassnet.persist import files as _files

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
needs_tmpfile = pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="O_TMPFILE is Linux-only")


@pytest.fixture
def net(rng: np.random.Generator) -> MLPClassifier:
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((3,), max_iter=3, random_state=0).fit(X, y)


def test_saving_through_a_symlink_writes_its_target(net: MLPClassifier, tmp_path: Path) -> None:
    real = tmp_path / "models" / "real.glassnet"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "current.glassnet"
    link.symlink_to(Path("models") / "real.glassnet")  # relative, as users make them
    glassnet.save(net, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("models", "real.glassnet")
    assert real.read_bytes()[:4] == b"PK\x03\x04"
    assert glassnet.load(link).n_iter_ == net.n_iter_
    assert sorted(os.listdir(tmp_path)) == ["current.glassnet", "models"]
    assert os.listdir(real.parent) == ["real.glassnet"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "out.bin"
    link.symlink_to(tmp_path / "target.bin")
    _files.atomic_write(link, lambda f: f.write(b"data"))
    assert link.is_symlink()
    assert (tmp_path / "target.bin").read_bytes() == b"data"


def test_atomic_path_writes_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.png").write_bytes(b"old")
    link = tmp_path / "pic.png"
    link.symlink_to("real.png")
    with _files.atomic_path(link) as tmp:
        Path(tmp).write_bytes(b"new")
    assert link.is_symlink() and (tmp_path / "real.png").read_bytes() == b"new"


def _read_fifo(path: Path, out: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with open(path, "rb") as f:
            out.append(f.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


@needs_fifo
def test_saving_to_a_fifo_streams_into_it(net: MLPClassifier, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    glassnet.save(net, fifo)
    thread.join(timeout=30)
    assert got and got[0][:4] == b"PK\x03\x04"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]
    copy = tmp_path / "copy.glassnet"
    copy.write_bytes(got[0])
    assert glassnet.load(copy).n_iter_ == net.n_iter_


@needs_fifo
def test_atomic_path_hands_a_fifo_to_the_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    with _files.atomic_path(fifo) as name:
        assert name == str(fifo)
        Path(name).write_bytes(b"bytes")
    thread.join(timeout=30)
    assert got == [b"bytes"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_saving_to_a_character_device_keeps_the_device(net: MLPClassifier, tmp_path: Path) -> None:
    if os.geteuid() != 0 or not os.path.exists("/dev/null"):
        pytest.skip("needs root and /dev/null: as another user the rename would fail anyway")
    # First a private node of the same device, so that a writer which still
    # replaces devices fails here without ever touching the system's /dev/null.
    private = tmp_path / "null"
    try:
        os.mknod(private, 0o666 | stat.S_IFCHR, os.stat("/dev/null").st_rdev)
    except OSError as exc:
        pytest.skip(f"cannot make a device node here ({exc})")
    glassnet.save(net, private)
    assert stat.S_ISCHR(os.lstat(private).st_mode), "the device node was replaced"
    assert os.listdir(tmp_path) == ["null"]
    before = os.stat("/dev/null")
    glassnet.save(net, "/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino and after.st_mode == before.st_mode
    assert not [n for n in os.listdir("/dev") if n.startswith(".glassnet-")]


def test_a_folder_target_is_refused(net: MLPClassifier, tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match=r"is a folder.*file name inside it"):
        glassnet.save(net, tmp_path)
    with pytest.raises(IsADirectoryError, match=r"is a folder"):
        _files.atomic_write(tmp_path, lambda f: f.write(b"x"))
    with pytest.raises(IsADirectoryError, match=r"is a folder"), _files.atomic_path(tmp_path):
        pass
    assert os.listdir(tmp_path) == []


@needs_tmpfile
def test_a_save_writes_its_bytes_once_and_names_no_temp_file(
    net: MLPClassifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "m.glassnet"
    target.write_bytes(b"old")  # replacing an existing file: the link-then-rename path
    calls: list[int] = []
    original = _files._write_anonymous

    def counting(path: str, folder: str, write: Any) -> bool:
        def counted(f: Any) -> object:
            calls.append(1)
            return write(f)

        return original(path, folder, counted)

    def no_named_temp(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the named temporary route was taken")

    monkeypatch.setattr(_files, "_write_anonymous", counting)
    monkeypatch.setattr(tempfile, "mkstemp", no_named_temp)
    glassnet.save(net, target)
    assert calls == [1]
    assert glassnet.load(target).n_iter_ == net.n_iter_
    glassnet.save(net, tmp_path / "new.glassnet")  # a new file: linked straight into place
    assert calls == [1, 1]
    assert sorted(os.listdir(tmp_path)) == ["m.glassnet", "new.glassnet"]


@needs_tmpfile
def test_a_save_killed_after_writing_leaves_no_temp_file(tmp_path: Path) -> None:
    # The writer runs once; should a second pass ever start (a named temporary
    # file), it blocks there and is killed: that pass's file must not exist.
    target = tmp_path / "model.glassnet"
    target.write_bytes(b"old")
    script = textwrap.dedent(
        f"""
        import time
        from glassnet.persist import files

        passes = 0

        def write(f):
            global passes
            passes += 1
            f.write(b"x" * 100_000)
            if passes > 1:
                f.flush()
                print("second pass", flush=True)
                time.sleep(60)

        files.atomic_write({str(target)!r}, write)
        print("done", flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line == "second pass":
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert os.listdir(tmp_path) == ["model.glassnet"]
    assert line == "done"
    assert target.read_bytes() == b"x" * 100_000
