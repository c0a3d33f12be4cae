"""One member at a time: the array table's schema and each ``.npy``'s header and data.

The checks :func:`glassnet.persist.container.read_container` makes on the
declared arrays (names, shapes, dtypes, SHA-256) and on each array member
(its ``.npy`` header parsed and compared *before* any data is read, then the
data, its checksum and finiteness), and the error type they all raise.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
import zipfile
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from ..exceptions import ModelFileError

__all__ = [
    "DTYPES",
    "MAX_ARRAYS",
    "MAX_WIDTH",
    "META",
    "NAME",
    "Reader",
    "check_int",
    "declared_arrays",
    "read_array",
    "short",
]

MAX_WIDTH = 1 << 24  # longest side of any array
MAX_ARRAYS = 4096
# Array dtypes a file may hold: little-endian floats, by the name meta.json uses.
DTYPES: dict[str, np.dtype] = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8")}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]{0,127}")  # an array's name
_SHA256 = re.compile(r"[0-9a-f]{64}")
META = "meta.json"  # the description member


class Reader:
    """Raises :class:`~glassnet.ModelFileError` naming the path and the member.

    Parameters
    ----------
    path : str
        The file being read, as the user named it.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, member: str | None, reason: str, cause: BaseException | None = None) -> NoReturn:
        where = f" (member {member!r})" if member else ""
        exc = ModelFileError(f"cannot load {self.path!r}{where}: {reason}")
        raise exc from cause


def check_int(value: Any, low: int, high: int) -> bool:
    """Whether a JSON value is an integer (not a bool) in ``[low, high]``.

    Parameters
    ----------
    value : object
        A value parsed from ``meta.json``.
    low, high : int
        Inclusive bounds.
    """
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def declared_arrays(r: Reader, meta: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str, str]]:
    """The array table of ``meta.json``, checked: name to ``(shape, dtype name, sha256)``.

    Parameters
    ----------
    r : Reader
        Raises for the file being read.
    meta : dict
        The parsed ``meta.json``.
    """
    table = meta.get("arrays")
    if not isinstance(table, list) or len(table) > MAX_ARRAYS:
        r.fail(META, f"'arrays' must be a list of at most {MAX_ARRAYS} entries")
    out: dict[str, tuple[tuple[int, ...], str, str]] = {}
    for i, entry in enumerate(table):
        if not isinstance(entry, dict) or set(entry) != {"name", "shape", "dtype", "sha256"}:
            r.fail(META, f"arrays[{i}] must have exactly name, shape, dtype and sha256")
        name, shape = entry["name"], entry["shape"]
        if not isinstance(name, str) or not NAME.fullmatch(name) or name in out:
            r.fail(META, f"arrays[{i}] has an invalid or repeated name {name!r}")
        if (
            not isinstance(shape, list)
            or not 1 <= len(shape) <= 2
            or not all(check_int(s, 1, MAX_WIDTH) for s in shape)
        ):
            r.fail(META, f"array {name!r}: shape must be 1 or 2 positive sizes, got {shape!r}")
        if entry["dtype"] not in DTYPES:
            r.fail(
                META, f"array {name!r}: dtype must be one of {sorted(DTYPES)}, "
                f"got {entry['dtype']!r}"
            )  # fmt: skip
        if not isinstance(entry["sha256"], str) or not _SHA256.fullmatch(entry["sha256"]):
            r.fail(META, f"array {name!r}: sha256 must be 64 lowercase hex digits")
        out[name] = (tuple(shape), entry["dtype"], entry["sha256"])
    return out


def read_array(
    r: Reader,
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    shape: tuple[int, ...],
    dtype: np.dtype,
    digest: str,
) -> NDArray[np.floating]:
    """One array member, checked: header, byte length, data, SHA-256, finiteness.

    Parameters
    ----------
    r : Reader
        Raises for the file being read.
    zf : zipfile.ZipFile
        The open archive.
    info : zipfile.ZipInfo
        The member.
    shape, dtype, digest
        What ``meta.json`` declares for it.

    Returns
    -------
    ndarray
        Writable, owning its memory.
    """
    member = info.filename
    nbytes = math.prod(shape) * dtype.itemsize
    try:
        with zf.open(info) as fp:
            # The header is parsed and compared before any data is read, so a
            # forged shape or dtype never reaches an allocation.
            version = np.lib.format.read_magic(fp)
            if version != (1, 0):
                raise ValueError(f".npy format version {version}, expected (1, 0)")
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a header needing repairs is refused
                hshape, fortran, hdtype = np.lib.format.read_array_header_1_0(fp)
            if hdtype.hasobject or hdtype != dtype:
                raise ValueError(f".npy dtype {hdtype!s}, expected {dtype.str}")
            if fortran:
                raise ValueError(".npy data in Fortran order, expected C order")
            if tuple(hshape) != shape:
                raise ValueError(f".npy shape {hshape}, expected {shape}")
            left = info.file_size - fp.tell()
            if left != nbytes:
                raise ValueError(f"{left} data bytes, expected {nbytes} for {dtype} {shape}")
            data = fp.read(nbytes)
            if len(data) != nbytes or fp.read(1):  # the read to the end checks the CRC
                raise ValueError("the data ended early")
    except Exception as exc:
        r.fail(member, f"bad array ({exc})", exc)
    if hashlib.sha256(data).hexdigest() != digest:
        r.fail(member, "SHA-256 mismatch: the data was damaged or altered")
    arr = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    if not np.all(np.isfinite(arr)):
        r.fail(member, "the array holds NaN or inf values")
    return arr


def short(value: Any) -> str:
    """``repr(value)``, cut to 80 characters for an error message.

    Parameters
    ----------
    value : object
        Anything read from a file, possibly huge or hostile.
    """
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
