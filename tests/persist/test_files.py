"""The one atomic writer: old file or new file, whole; temp removed; folder fsynced."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest

from glassnet.persist import files as _files
from glassnet.viz.plotting import save_figure

ROUTES = pytest.mark.parametrize("anonymous", [True, False], ids=["O_TMPFILE", "named-temp"])


def _route(anonymous: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if anonymous and not hasattr(os, "O_TMPFILE"):
        pytest.skip("O_TMPFILE is Linux-only")
    if not anonymous:
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders fsynced by _files, in order."""
    folders: list[str] = []
    original = _files._fsync_folder

    def record(folder: str) -> None:
        folders.append(folder)
        original(folder)

    monkeypatch.setattr(_files, "_fsync_folder", record)
    return folders


@ROUTES
def test_atomic_write_replaces_the_file_and_fsyncs_its_folder(
    anonymous: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synced: list[str]
) -> None:
    _route(anonymous, monkeypatch)
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    _files.atomic_write(target, lambda f: f.write(b"new content"))
    assert target.read_bytes() == b"new content"
    assert target.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its mode
    assert synced == [str(tmp_path)]
    assert os.listdir(tmp_path) == ["out.bin"]


@ROUTES
def test_a_new_file_gets_the_usual_mode(
    anonymous: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _route(anonymous, monkeypatch)
    umask = os.umask(0o027)
    try:
        _files.atomic_write(tmp_path / "new.bin", lambda f: f.write(b"x"))
    finally:
        os.umask(umask)
    assert (tmp_path / "new.bin").stat().st_mode & 0o777 == 0o640


@ROUTES
def test_a_failing_writer_keeps_the_old_file_and_leaves_no_temp(
    anonymous: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synced: list[str]
) -> None:
    _route(anonymous, monkeypatch)
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def broken(f: Any) -> None:
        f.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        _files.atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]
    assert synced == []


def test_atomic_path_keeps_the_extension_and_cleans_up_on_failure(
    tmp_path: Path, synced: list[str]
) -> None:
    target = tmp_path / "picture.png"
    with _files.atomic_path(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path) and tmp.endswith(".png")
        Path(tmp).write_bytes(b"png bytes")
    assert target.read_bytes() == b"png bytes"
    assert synced == [str(tmp_path)]

    def interrupted() -> None:
        with _files.atomic_path(target) as tmp:
            Path(tmp).write_bytes(b"half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert target.read_bytes() == b"png bytes"
    assert os.listdir(tmp_path) == ["picture.png"]


def test_save_figure_writes_through_the_shared_writer(tmp_path: Path, synced: list[str]) -> None:
    fig, _ = plt.subplots(figsize=(2, 2), dpi=20)
    try:
        save_figure(fig, tmp_path / "fig.png")
    finally:
        plt.close(fig)
    assert (tmp_path / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert synced == [str(tmp_path)]  # the folder is fsynced after the rename
    assert os.listdir(tmp_path) == ["fig.png"]
