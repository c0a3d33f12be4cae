"""The ZIP's own bookkeeping, checked before zipfile trusts it: counts, tiling, headers."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet.persist.container as gio
from glassnet import ModelFileError


def _declared(meta: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    return {e["name"]: (tuple(e["shape"]), e["dtype"]) for e in meta["arrays"]}


def _read(path: Path) -> Any:
    return gio.read_container(path, "model", _declared)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=(1, 0), allow_pickle=False)
    return buf.getvalue()


def _local(name: bytes, data: bytes, extra: bytes = b"", size: int | None = None) -> bytes:
    size = len(data) if size is None else size
    crc = zlib.crc32(data)
    head = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 33, crc, size, size,
                       len(name), len(extra))  # fmt: skip
    return head + name + extra


def _central(name: bytes, data_crc: int, size: int, offset: int) -> bytes:
    return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 33, data_crc, size, size,
                       len(name), 0, 0, 0, 0, 0o644 << 16, offset) + name  # fmt: skip


def _end(count: int, cd_size: int, cd_offset: int) -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, 0)


def _overlapping(path: Path) -> None:
    """A file whose member 'a' holds member 'b' (local header and data) inside its data."""
    b_npy = _npy(np.ones(4))
    for pad in range(64):
        extra = b"\0" * pad
        inner = _local(b"b.npy", b_npy, extra) + b_npy  # b's local header and data
        if len(inner) % 8 == 0:
            a_values = np.frombuffer(inner, dtype="<f8")
            if np.all(np.isfinite(a_values)):
                break
    else:
        raise AssertionError("no padding gives finite floats")
    a_npy = _npy(a_values.copy())
    meta = {"magic": gio.MAGIC, "format_version": gio.FORMAT_VERSION, "kind": "model",
            "arrays": [{"name": n, "shape": [len(v)], "dtype": "float64",
                        "sha256": hashlib.sha256(v.tobytes()).hexdigest()}
                       for n, v in (("a", a_values), ("b", np.ones(4)))]}  # fmt: skip
    meta_bytes = json.dumps(meta).encode()
    out = _local(b"meta.json", meta_bytes) + meta_bytes
    a_offset = len(out)
    out += _local(b"a.npy", a_npy) + a_npy
    b_offset = a_offset + 30 + 5 + len(a_npy) - len(inner)  # inside a's data
    cd = _central(b"meta.json", zlib.crc32(meta_bytes), len(meta_bytes), 0)
    cd += _central(b"a.npy", zlib.crc32(a_npy), len(a_npy), a_offset)
    cd += _central(b"b.npy", zlib.crc32(b_npy), len(b_npy), b_offset)
    path.write_bytes(out + cd + _end(3, len(cd), len(out)))


def test_overlapping_members_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "overlap.glassnet"
    _overlapping(path)
    with zipfile.ZipFile(path) as zf:  # a valid ZIP to zipfile
        assert zf.read("b.npy") == _npy(np.ones(4))
    with pytest.raises(ModelFileError, match=r"member 'b\.npy'.*overlap"):
        _read(path)


def _saved(tmp_path: Path) -> Path:
    path = tmp_path / "m.glassnet"
    gio.write_container(path, "model", {}, {"w": np.ones(3), "v": np.zeros(2)})
    return path


def test_a_gap_between_members_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    second = infos[1].header_offset
    # Insert 8 hidden bytes before the second member and shift every offset after it.
    hidden = data[:second] + b"\0" * 8 + data[second:]
    with zipfile.ZipFile(io.BytesIO(hidden), "a"):
        pass
    fixed = bytearray(hidden)
    end = fixed.rindex(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<2L", fixed, end + 12)
    struct.pack_into("<L", fixed, end + 16, cd_offset + 8)
    pos = cd_offset + 8
    while pos < cd_offset + 8 + cd_size:
        (offset,) = struct.unpack_from("<L", fixed, pos + 42)
        if offset >= second:
            struct.pack_into("<L", fixed, pos + 42, offset + 8)
        n, x, c = struct.unpack_from("<3H", fixed, pos + 28)
        pos += 46 + n + x + c
    path.write_bytes(bytes(fixed))
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    with pytest.raises(ModelFileError, match=r"8 unaccounted bytes before member 'w\.npy'"):
        _read(path)


def test_a_local_header_that_disagrees_with_the_directory_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        offset = zf.infolist()[2].header_offset
    (size,) = struct.unpack_from("<L", data, offset + 18)
    struct.pack_into("<2L", data, offset + 18, size + 1000, size + 1000)  # zipfile ignores these
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    with pytest.raises(ModelFileError, match=r"member 'v\.npy'.*local header.*disagree"):
        _read(path)


def _peak(fn: Any) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_an_absurd_member_count_is_refused_before_zipfile_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "many.glassnet"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("meta.json", b"{}")
        for i in range(20_000):
            zf.writestr(f"a{i}.npy", b"")

    def attempt() -> None:
        with pytest.raises(ModelFileError, match=r"20001 entries, over the limit of 4097"):
            _read(path)

    assert _peak(attempt) < 500_000


def test_a_forged_end_record_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<L", data, end + 12, 2**31)  # a central directory of 2 GiB
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"central directory.*does not fit"):
        _read(path)


def test_zip64_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<2H", data, end + 8, 0xFFFF, 0xFFFF)
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"ZIP64"):
        _read(path)


def test_trailing_bytes_after_the_archive_are_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes() + b"extra")
    with pytest.raises(ModelFileError, match=r"not a valid ZIP archive"):
        _read(path)
