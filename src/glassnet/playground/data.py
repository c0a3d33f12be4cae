"""The playground's data: generated sets, CSV upload and download, the train/test split.

Everything here is plain NumPy and safe to call from any thread.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..teach.datasets import make_dataset

__all__ = [
    "DATASETS",
    "MAX_CLASSES",
    "MAX_SAMPLES",
    "MAX_UPLOAD_BYTES",
    "Data",
    "DataError",
    "generate",
    "parse_csv",
    "split",
    "to_csv",
]

#: Generated datasets, in the order the page lists them.
DATASETS = ("moons", "circles", "spiral", "xor", "blobs", "linear")
MAX_SAMPLES = 2000
MAX_CLASSES = 10
MAX_UPLOAD_BYTES = 512 * 1024

Pair = tuple[NDArray[np.float64], NDArray[np.intp]]
Index = NDArray[np.intp]


class DataError(ValueError):
    """A problem with the user's data, worded for the page (never a traceback)."""


@dataclass
class Data:
    """Points, labels as class indices, and the classes' original names.

    Attributes
    ----------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
        Class indices ``0 .. len(classes) - 1``.
    classes : list
        The label of each class index (ints for generated data, the CSV's
        text or numbers for uploads).
    source : str
        ``"generated"``, ``"uploaded"`` or ``"edited"`` (points were added).
    """

    X: NDArray[np.float64]
    y: NDArray[np.intp]
    classes: list[Any] = field(default_factory=list)
    source: str = "generated"

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def _linear(
    n: int, noise: float, seed: int, k: int
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """``k`` bands along a random direction; separable by straight lines when noise is small."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    angle = rng.uniform(0, np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    along = np.array([-normal[1], normal[0]])
    offset = (y - (k - 1) / 2) * 1.5 + rng.uniform(-0.55, 0.55, n) + rng.normal(0, noise, n)
    X = offset[:, None] * normal + rng.uniform(-2, 2, n)[:, None] * along
    return X.astype(np.float64), y.astype(np.intp)


def _blobs(n: int, noise: float, seed: int, k: int) -> Pair:
    """``k`` Gaussian blobs with centres on a circle (spread grows with noise)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    turn = rng.uniform(0, 2 * np.pi)
    angles = turn + 2 * np.pi * np.arange(k) / k
    centres = 2.0 * np.c_[np.cos(angles), np.sin(angles)]
    X = centres[y] + rng.normal(0, 0.25 + 1.5 * noise, (n, 2))
    return X.astype(np.float64), y.astype(np.intp)


def generate(name: str, n_samples: int, noise: float, seed: int, n_classes: int = 3) -> Data:
    """Make a generated dataset (``blobs`` and ``linear`` take ``n_classes``)."""
    if name == "linear":
        X, y = _linear(n_samples, noise, seed, n_classes)
    elif name == "blobs":
        X, y = _blobs(n_samples, noise, seed, n_classes)
    else:
        X, y = make_dataset(name, n_samples=n_samples, noise=noise, random_state=seed)
    k = int(y.max()) + 1
    return Data(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.intp), list(range(k)))


def split(
    n_samples: int, test_fraction: float, seed: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Train and test indices: a seeded permutation, the first ``round(n·f)`` held out.

    Written out in NumPy so the exported snippet can restate it in two lines.
    """
    perm = np.random.default_rng(seed).permutation(n_samples)
    n_test = round(n_samples * test_fraction)
    n_test = min(max(n_test, 0), n_samples - 1)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def _label(text: str) -> Any:
    """A label as a number when it reads as an integer, else as text."""
    try:
        return int(text)
    except ValueError:
        return text


def parse_csv(raw: bytes | str) -> Data:
    """Read an uploaded CSV: two numeric feature columns and a label column.

    A first row whose features are not numbers is a header. Labels may be any
    text or integers; at least 2 and at most :data:`MAX_CLASSES` classes.

    Raises
    ------
    DataError
        Naming the line and column, what was expected and what came.
    """
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8"))
    if size > MAX_UPLOAD_BYTES:
        raise DataError(
            f"the file is {size / 1024:.0f} KiB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1024} KiB. Upload at most {MAX_SAMPLES} rows."
        )
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError("the file is not UTF-8 text; save it as a plain CSV file.") from None
    else:
        text = raw
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise DataError(f"the file is not valid CSV: {exc}.") from None
    if not rows:
        raise DataError("the file is empty; expected rows of x1,x2,label.")
    first_line = 1
    if not _numeric(rows[0][:2]):
        rows, first_line = rows[1:], 2  # a header
    if len(rows) < 2:
        raise DataError("the file has fewer than 2 data rows; expected rows of x1,x2,label.")
    if len(rows) > MAX_SAMPLES:
        raise DataError(f"the file has {len(rows)} rows; the limit is {MAX_SAMPLES}.")
    X = np.empty((len(rows), 2))
    labels: list[Any] = []
    for i, row in enumerate(rows):
        line = i + first_line
        if len(row) != 3:
            raise DataError(
                f"line {line} has {len(row)} columns; expected 3 (x1,x2,label): {','.join(row)!r}."
            )
        for c in range(2):
            try:
                v = float(row[c])
            except ValueError:
                raise DataError(
                    f"line {line}, column {c + 1}: expected a number, got {row[c].strip()!r}."
                ) from None
            if not math.isfinite(v):
                raise DataError(f"line {line}, column {c + 1}: {row[c].strip()!r} is not finite.")
            X[i, c] = v
        label = row[2].strip()
        if not label:
            raise DataError(f"line {line}, column 3: the label is empty.")
        labels.append(_label(label))
    kinds = {type(v) for v in labels}
    if len(kinds) > 1:
        labels = [str(v) for v in labels]
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise DataError(f"the labels hold one class ({classes[0]!r}); at least 2 are needed.")
    if len(classes) > MAX_CLASSES:
        raise DataError(f"the labels hold {len(classes)} classes; the limit is {MAX_CLASSES}.")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in labels], dtype=np.intp)
    return Data(X, y, classes, "uploaded")


def _numeric(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells]
    except ValueError:
        return False
    return True


def to_csv(data: Data) -> str:
    """The data as ``x1,x2,label`` CSV text, which :func:`parse_csv` reads back."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["x1", "x2", "label"])
    for (a, b), k in zip(data.X, data.y, strict=True):
        w.writerow([repr(float(a)), repr(float(b)), data.classes[int(k)]])
    return out.getvalue()
