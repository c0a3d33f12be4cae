"""``glassnet predict``: labels and class probabilities for the rows of a CSV file.

The model comes from a file written by ``glassnet.save`` (or ``glassnet train
--save``) and is read with every check of :func:`glassnet.load`; nothing is
unpickled. The CSV may start with a header row (the first row is a header
when none of its fields is a number); with one, its names must match the
features the model was trained on.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
import warnings
from typing import Any

import numpy as np

from ._common import UserError, reporting_write_errors

__all__ = ["add_parser", "run"]

# Spellings of a missing value, compared case-insensitively after stripping.
_MISSING = {"", "na", "nan", "n/a", "null", "none", "?"}


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``predict`` on the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "predict",
        help="predict labels and class probabilities for the rows of a CSV file",
        description="Load a model saved by 'glassnet train --save' or glassnet.save (never "
        "unpickled), predict every row of a CSV file of features (with or without a header "
        "row), and write a CSV with the label and one probability column per class.",
    )
    p.add_argument("--model", required=True, help="model file written by glassnet.save")
    p.add_argument("--input", required=True, help="CSV file of features, one sample per row")
    p.add_argument(
        "--output",
        default=None,
        help="where to write the predictions CSV (default: standard output)",
    )
    p.set_defaults(func=run)
    return p


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_features(path: str, n_features: int, feature_names: list[str] | None) -> np.ndarray:
    """Parse a numeric CSV into an array, with line and column in every error.

    Parameters
    ----------
    path : str
        The CSV file.
    n_features : int
        Columns every row must have.
    feature_names : list of str or None
        The model's feature names; a header row must match them.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)

    Raises
    ------
    UserError
        For an unreadable file, a wrong column count, a missing value, text
        in a numeric column, or a header that names other features.
    """
    try:
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise UserError(f"cannot read the input {path!r}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path!r} is not a UTF-8 text CSV file (byte {exc.start} cannot be decoded)"
        ) from exc
    reader = csv.reader(io.StringIO(text), strict=True)
    header: list[str] | None = None
    rows: list[list[float]] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not fields:
                continue  # blank line
            cells = [c.strip() for c in fields]
            if header is None and not rows and not any(_is_number(c) for c in cells):
                header = cells
                _check_header(path, line, header, n_features, feature_names)
                continue
            if len(cells) != n_features:
                raise UserError(
                    f"{path}, line {line}: {len(cells)} column(s), but the model expects "
                    f"{n_features} feature(s) per row"
                )
            rows.append([_number(path, line, i, c, header) for i, c in enumerate(cells)])
    except csv.Error as exc:
        raise UserError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from exc
    if not rows:
        raise UserError(f"{path} has no data rows; expected one sample per line")
    return np.array(rows, dtype=np.float64)


def _check_header(
    path: str, line: int, header: list[str], n_features: int, names: list[str] | None
) -> None:
    if len(header) != n_features:
        raise UserError(
            f"{path}, line {line}: the header has {len(header)} column(s), but the model "
            f"expects {n_features} feature(s)"
        )
    if names is not None and header != names:
        raise UserError(
            f"{path}, line {line}: the header names the columns {header}, but the model was "
            f"trained on {names} (in that order); rename or reorder the columns"
        )


def _number(path: str, line: int, i: int, cell: str, header: list[str] | None) -> float:
    column = f"column {i + 1}" + (f" ({header[i]!r})" if header else "")
    if cell.lower() in _MISSING:
        raise UserError(
            f"{path}, line {line}, {column}: missing value {cell!r}; fill or drop the row "
            "before predicting"
        )
    try:
        value = float(cell)
    except ValueError:
        raise UserError(f"{path}, line {line}, {column}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise UserError(f"{path}, line {line}, {column}: {cell!r} is not a finite number")
    return value


def format_predictions(classes: np.ndarray, proba: np.ndarray) -> str:
    """CSV text: a ``label`` column, then ``proba_<class>`` for each class."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["label", *(f"proba_{c}" for c in classes.tolist())])
    for k, row in zip(np.argmax(proba, axis=1), proba, strict=True):
        label = classes[k]
        label = label.item() if isinstance(label, np.generic) else label
        writer.writerow([label, *(repr(float(p)) for p in row)])
    return out.getvalue()


def run(args: argparse.Namespace) -> int:
    """Load the model, predict the CSV, write the predictions; return the exit status."""
    from ..estimator.modelfile import load
    from ..exceptions import ModelFileError
    from ..persist.files import atomic_write

    try:
        model = load(args.model)
    except ModelFileError as exc:
        raise UserError(str(exc)) from exc
    names = getattr(model, "feature_names_in_", None)
    X = read_features(
        args.input,
        int(model.n_features_in_),
        None if names is None else [str(n) for n in names],
    )
    try:
        with warnings.catch_warnings():
            # The header was matched against the names above; the array has none.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            proba = np.asarray(model.predict_proba(X))
    except ValueError as exc:
        raise UserError(f"cannot predict {args.input!r}: {exc}") from exc
    text = format_predictions(np.asarray(model.classes_), proba)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    with reporting_write_errors(args.output):
        atomic_write(args.output, lambda f: f.write(text.encode("utf-8")))
    print(f"wrote {len(X)} prediction(s) to {args.output}", file=sys.stderr)
    return 0
