"""Safe model files: a data-only container, atomic writes, checked loads.

A glassnet file is a ZIP archive whose members are all *stored* (never
compressed, so there is nothing to inflate): ``meta.json`` first, then one
``.npy`` file per array, written with ``allow_pickle=False``. ``meta.json``
holds a magic string, an integer ``format_version``, the library version,
the estimator's own description (architecture, classes with a type tag,
hyperparameters, curves) and, for each array, its name, shape, dtype and
SHA-256. Nothing in the file is ever unpickled: the estimator is rebuilt
from the JSON and its arrays are filled from checked bytes.

:func:`load` checks, stopping at the first failure:

1. the file's size against a cap;
2. that it is a valid ZIP archive, read by :mod:`.zipcheck` before
   :mod:`zipfile` sees it: at most ``MAX_ARRAYS + 1`` entries, no ZIP64, and
   members that tile the file without overlap or gap, each local header
   agreeing with the central directory;
3. ``meta.json`` first, stored, at most 1 MiB, parsing as JSON;
4. the magic string and a supported ``format_version`` (a newer one raises
   :class:`~glassnet.UnsupportedFormatError`, whatever else changed);
5. the members: no path separators, all stored, no duplicates, ``.npy``;
6. the schema: types, positive sizes, bounded layer and class counts, and
   the member names exactly the declared arrays; the estimator state's
   ``export_version`` a positive integer this glassnet reads (a newer one
   raises :class:`~glassnet.UnsupportedFormatError` too);
7. the array shapes implied by the architecture equal the declared ones;
8. for each array, *before its data is read*, its ``.npy`` header: dtype in
   an allow-list, shape, and byte length;
9. then its data, SHA-256 and finiteness;
10. finally a smoke prediction on the rebuilt estimator.

Every failure is a :class:`~glassnet.ModelFileError` naming the path, the
member and the reason, chained to the original exception.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import zipfile
from collections.abc import Callable, Mapping
from typing import IO, Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from .._version import __version__
from ..exceptions import UnsupportedFormatError
from . import files as _files
from .members import (
    DTYPES,
    MAX_ARRAYS,
    MAX_WIDTH,
    META,
    NAME,
    Reader,
    check_int,
    declared_arrays,
    read_array,
    short,
)
from .zipcheck import LayoutError, check_layout

__all__ = [
    "DTYPES",
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_ARRAYS",
    "MAX_WIDTH",
    "META",
    "Reader",
    "check_int",
    "read_container",
    "short",
    "write_container",
]

MAGIC = "glassnet model file"
# 2: curves are float64 arrays, not JSON lists (version 1 files still load).
FORMAT_VERSION = 2

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB: far above any MLP glassnet trains
MAX_META_BYTES = 1 << 20
MAX_LAYERS = 256  # weight layers
MAX_CLASSES = 1 << 20
# Under ZIP64's thresholds (zipfile switches a member to ZIP64 above 2 GiB / 1.05),
# which load refuses: save refuses the same up front.
MAX_FILE_BYTES = 2_000_000_000


_ZIP_START = b"PK\x03\x04"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # identical bytes for identical models

# --------------------------------------------------------------------------- writing


def _array_bytes(name: str, value: Any) -> tuple[NDArray[np.floating], bytes]:
    arr = np.asarray(value)
    dtype = DTYPES.get(arr.dtype.name)
    if dtype is None:
        raise ValueError(
            f"array {name!r} has dtype {arr.dtype}; a glassnet file holds float32 or float64 "
            "arrays only."
        )
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not 1 <= arr.ndim <= 2 or not all(1 <= n <= MAX_WIDTH for n in arr.shape):
        raise ValueError(
            f"array {name!r} has shape {arr.shape}; a glassnet file holds arrays of 1 or 2 "
            f"dimensions, each 1 to {MAX_WIDTH} long."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"array {name!r} holds {int(np.count_nonzero(~np.isfinite(arr)))} non-finite "
            "value(s); refusing to save a model that cannot predict. Refit it first."
        )
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=(1, 0), allow_pickle=False)
    return arr, buf.getvalue()


def write_container(
    path: str | os.PathLike[str], kind: str, body: Mapping[str, Any], arrays: Mapping[str, Any]
) -> None:
    """Write a glassnet container atomically.

    Parameters
    ----------
    path : str or path-like
        Destination; a crash mid-write leaves any previous file there whole.
    kind : str
        What the file holds ("model" or "checkpoint"); :func:`read_container`
        refuses a file of another kind.
    body : mapping
        JSON-serialisable description, stored under ``meta.json``'s keys.
    arrays : mapping of str to array
        Float32 or float64 arrays, finite, by name (letters, digits, ``_`` and ``.``).

    Raises
    ------
    ValueError
        If a name, a dtype or a value cannot be stored, or ``body`` is not JSON.
    OSError
        If the file cannot be written; any previous file at ``path`` is intact.
    """
    entries = []
    members = []
    for name, value in arrays.items():
        if not NAME.fullmatch(name):
            raise ValueError(
                f"array name {name!r} is not allowed: use letters, digits, '_' and '.', "
                "starting with a letter or digit."
            )
        arr, npy = _array_bytes(name, value)
        entries.append(
            {
                "name": name,
                "shape": list(arr.shape),
                "dtype": arr.dtype.name,
                "sha256": hashlib.sha256(arr.data).hexdigest(),  # C-contiguous: no copy
            }
        )
        members.append((f"{name}.npy", npy))
    meta = {
        "magic": MAGIC,
        "format_version": FORMAT_VERSION,
        "glassnet_version": __version__,
        "kind": kind,
        **body,
        "arrays": entries,
    }
    try:
        text = json.dumps(meta, allow_nan=False, ensure_ascii=False, indent=1).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"cannot write {os.fspath(path)!r}: the description is not plain JSON ({exc})."
        ) from exc
    if len(text) > MAX_META_BYTES:
        field, size = _largest_field(meta)
        raise ValueError(
            f"cannot write {os.fspath(path)!r}: its largest description field, {field} "
            f"({size} bytes of JSON), makes meta.json {len(text)} bytes, over the "
            f"{MAX_META_BYTES}-byte limit. Shorten it (fewer or shorter class labels, feature "
            "names or configuration values)."
        )
    total = len(text) + sum(len(npy) + 200 for _, npy in members)
    if total > MAX_FILE_BYTES:
        raise ValueError(
            f"cannot write {os.fspath(path)!r}: the file would be about {total} bytes, over "
            f"the {MAX_FILE_BYTES}-byte limit of a glassnet file. Use a smaller network."
        )

    def write(f: IO[bytes]) -> None:
        # Into a pipe zipfile would write data descriptors instead of sizes in
        # the local headers, which load refuses: build those files in memory.
        buffer = None if f.seekable() else io.BytesIO()
        with zipfile.ZipFile(
            f if buffer is None else buffer, "w", compression=zipfile.ZIP_STORED
        ) as zf:
            for member, data in [(META, text), *members]:
                info = zipfile.ZipInfo(member, date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_STORED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
        if buffer is not None:
            f.write(buffer.getvalue())

    _files.atomic_write(path, write)


def _largest_field(meta: Mapping[str, Any]) -> tuple[str, int]:
    """The description's largest field (one level into objects) and its JSON size."""
    sizes = []
    for key, value in meta.items():
        inner = value.items() if isinstance(value, dict) and value else [(None, value)]
        for sub, item in inner:
            size = len(json.dumps(item, ensure_ascii=False).encode("utf-8"))
            sizes.append((size, key if sub is None else f"{key}.{sub}"))
    size, field = max(sizes)
    return field, size


# --------------------------------------------------------------------------- reading


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"non-standard JSON constant {name}")


def read_container(
    path: str | os.PathLike[str],
    kind: str,
    expected: Callable[[dict[str, Any]], dict[str, tuple[tuple[int, ...], str]]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[dict[str, Any], dict[str, NDArray[np.floating]]]:
    """Read and check a glassnet container (steps 1 to 9 of the module's list).

    Parameters
    ----------
    path : str or path-like
        The file to read.
    kind : str
        The kind of file expected ("model" or "checkpoint").
    expected : callable
        Checks the parsed ``meta.json`` (raising ``ValueError`` or ``TypeError``
        with the reason) and returns the arrays it implies: name to
        ``(shape, dtype name)``. The declared arrays must match it exactly.
    max_bytes : int
        Size cap on the whole file.

    Returns
    -------
    meta : dict
        The parsed ``meta.json``.
    arrays : dict of str to ndarray
        Every array, checked, writable and owning its memory.

    Raises
    ------
    ModelFileError
        At the first failed check.
    """
    r = Reader(os.fspath(path))
    if not check_int(max_bytes, 1, 2**62):
        raise ValueError(f"max_bytes must be a positive integer; got {max_bytes!r}.")
    try:
        if not stat.S_ISREG(os.stat(r.path).st_mode):
            # A FIFO or a device would block or never end: only plain files.
            r.fail(None, "not a regular file")
        f = open(r.path, "rb")  # noqa: SIM115 - closed below, after the ZIP
    except OSError as exc:
        r.fail(None, f"cannot open the file: {exc.strerror or exc}", exc)
    with f:
        # 1. size cap
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            r.fail(None, f"the file is {size} bytes, over the {max_bytes}-byte cap", None)
        # 2. a ZIP archive, starting with its first member (no prepended data)
        head = f.read(4)
        f.seek(0)
        if head != _ZIP_START:
            hint = (
                " It looks like a pickle: glassnet.load never unpickles, because a pickle runs "
                "code chosen by whoever wrote it. Load it with pickle only if you trust its "
                "source, then save it with glassnet.save."
                if head[:1] == b"\x80"
                else " Save the model with glassnet.save."
            )
            r.fail(None, f"not a glassnet file (it does not start as a ZIP archive).{hint}")
        try:
            # Before zipfile parses anything: counts, sizes and offsets.
            check_layout(f, size, MAX_ARRAYS + 1)
        except LayoutError as exc:
            r.fail(exc.member, f"not a valid ZIP archive: {exc}", exc)
        except OSError as exc:
            r.fail(None, f"cannot read the file: {exc.strerror or exc}", exc)
        try:
            zf = zipfile.ZipFile(f)
        except Exception as exc:
            r.fail(None, f"not a valid ZIP archive ({exc}); the file is damaged or truncated", exc)
        with zf:
            return _read_members(r, zf, kind, expected)


def _read_members(
    r: Reader,
    zf: zipfile.ZipFile,
    kind: str,
    expected: Callable[[dict[str, Any]], dict[str, tuple[tuple[int, ...], str]]],
) -> tuple[dict[str, Any], dict[str, NDArray[np.floating]]]:
    # 3. meta.json first, bounded, then parsed: the version decides how to read the rest
    infos = zf.infolist()
    if len(infos) > MAX_ARRAYS + 1:
        r.fail(None, f"{len(infos)} members, over the limit of {MAX_ARRAYS + 1}")
    if not infos or infos[0].filename != META:
        first = infos[0].filename if infos else None
        r.fail(first, f"the first member must be {META!r}")
    meta_info = infos[0]
    if meta_info.compress_type != zipfile.ZIP_STORED or meta_info.flag_bits & 0x1:
        r.fail(META, "the member is compressed or encrypted; glassnet stores it as is")
    if meta_info.file_size > MAX_META_BYTES:
        r.fail(META, f"{meta_info.file_size} bytes, over the {MAX_META_BYTES}-byte limit")
    try:
        with zf.open(meta_info) as member:
            raw = member.read(MAX_META_BYTES + 1)
        meta = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except Exception as exc:
        r.fail(META, f"unreadable or not valid JSON ({exc})", exc)
    if not isinstance(meta, dict):
        r.fail(META, f"expected a JSON object, got {type(meta).__name__}")
    # 4. magic and version, before any other structure a newer version may change
    if meta.get("magic") != MAGIC:
        r.fail(META, f"no glassnet magic string (expected {MAGIC!r}); not a glassnet file")
    version: Any = meta.get("format_version")
    if not check_int(version, 1, 2**31):
        r.fail(META, f"format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise UnsupportedFormatError(
            f"cannot load {r.path!r} (member {META!r}): it was written by glassnet "
            f"{str(meta.get('glassnet_version', '?'))[:40]} in format version {version}, and this "
            f"glassnet ({__version__}) reads up to version {FORMAT_VERSION}. Upgrade glassnet "
            "(pip install --upgrade glassnet) to load it."
        )
    # 5. member structure
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if "/" in name or "\\" in name or not NAME.fullmatch(name.removesuffix(".npy")):
            r.fail(name, "member names must be plain file names (no folders or odd characters)")
        if name in seen:
            r.fail(name, "the member appears twice")
        seen.add(name)
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
            r.fail(name, "the member is compressed; glassnet files store every member as is")
        if info.flag_bits & 0x1:
            r.fail(name, "the member is encrypted")
        if name != META and not name.endswith(".npy"):
            r.fail(name, "unexpected member: only meta.json and .npy arrays are allowed")
    if meta.get("kind") != kind:
        r.fail(META, f"the file holds a {short(meta.get('kind'))}, not a {kind!r}")
    # 6. schema of the array table, and members exactly as declared
    declared = declared_arrays(r, meta)
    want = [META] + [f"{name}.npy" for name in declared]
    if [i.filename for i in infos] != want:
        extra = sorted(seen - set(want))
        missing = [m for m in want if m not in seen]
        if extra:
            r.fail(extra[0], "member not declared in meta.json")
        if missing:
            r.fail(missing[0], "member declared in meta.json but missing")
        r.fail(None, "members are not in the declared order")
    # 7. shapes implied by the description
    try:
        implied = expected(meta)
    except UnsupportedFormatError as exc:
        raise UnsupportedFormatError(f"cannot load {r.path!r} (member {META!r}): {exc}") from exc
    except (ValueError, TypeError, KeyError) as exc:
        r.fail(META, f"invalid description: {exc}", exc)
    if set(implied) != set(declared):
        r.fail(
            META,
            f"declares arrays {sorted(declared)} but the description implies {sorted(implied)}",
        )
    for name, (shape, dtype) in implied.items():
        if declared[name][0] != tuple(shape) or declared[name][1] != dtype:
            r.fail(
                META,
                f"array {name!r} is declared as {declared[name][1]} {declared[name][0]} but "
                f"the description implies {dtype} {tuple(shape)}",
            )
    # 8-9. each array: header first, then data, checksum and finiteness
    arrays = {}
    for info, (name, (shape, dtype, digest)) in zip(infos[1:], declared.items(), strict=True):
        arrays[name] = read_array(r, zf, info, shape, DTYPES[dtype], digest)
    return meta, arrays
