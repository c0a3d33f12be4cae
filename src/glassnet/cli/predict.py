"""``glassnet predict``: labels and class probabilities for the rows of a CSV file.

The model comes from a file written by ``glassnet.save`` (or ``glassnet train
--save``) and is read with every check of :func:`glassnet.load`; nothing is
unpickled. The CSV (UTF-8, a byte-order mark allowed; fields split at ``,``
``;`` or tab) may start with a header row, told by ``--header`` or found
automatically; with one, its names must match the features the model was
trained on.
"""

from __future__ import annotations

import argparse
import csv
import errno
import io
import math
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import IO, Any

import numpy as np

from ._checks import check_distinct, check_output
from ._common import UserError, file_name, reporting_write_errors
from ._stdout import GuardedStdout, StdoutError

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
    p.add_argument(
        "--model", required=True, type=file_name, help="model file written by glassnet.save"
    )
    p.add_argument(
        "--input", required=True, type=file_name, help="CSV file of features, one sample per row"
    )
    p.add_argument(
        "--output",
        default=None,
        type=file_name,
        help="where to write the predictions CSV (default: standard output); never the "
        "--input or --model file",
    )
    p.add_argument(
        "--header",
        choices=["auto", "yes", "no"],
        default="auto",
        help="whether the first row is a header (default: auto: it is when it holds no "
        "number, or equals the model's feature names or pandas' default names 0,1,...)",
    )
    p.add_argument(
        "--sep",
        type=_separator,
        default="auto",
        metavar="{auto,',',';',tab}",
        help="field separator (default: auto: whichever of , ; tab splits the first line)",
    )
    p.set_defaults(func=run)
    return p


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\t": "\t"}
_SEP_NAMES = {",": "','", ";": "';'", "\t": "tab"}


def _separator(text: str) -> str:
    """argparse type for ``--sep``: auto, ``,``, ``;`` or tab."""
    if text == "auto" or text in _SEPARATORS:
        return text
    raise argparse.ArgumentTypeError(f"expected auto, ',', ';' or tab, got {text!r}")


def _detect_separator(first_line: str, n_features: int) -> str:
    """The separator of ``,`` ``;`` tab that splits the first line into the most fields.

    A split into exactly ``n_features`` fields wins outright (so ``0,5;1,5``
    with decimal commas reads as two fields); ties go to the comma.
    """
    counts = {}
    for sep in (",", ";", "\t"):
        try:
            counts[sep] = len(next(csv.reader([first_line], delimiter=sep), []))
        except csv.Error:
            counts[sep] = 0
    exact = [sep for sep, n in counts.items() if n == n_features]
    if exact:
        return exact[0]
    return max(counts, key=lambda sep: counts[sep])  # max keeps the first of equals


def _is_header(cells: list[str], how: str, feature_names: list[str] | None) -> bool:
    """Whether the first row is a header under ``--header how``.

    Under auto: a row with no number in it, a row equal to the model's feature
    names, or pandas' default column names (``0,1,...`` as written by
    ``DataFrame.to_csv(index=False)`` for an unnamed frame).
    """
    if how != "auto":
        return how == "yes"
    return (
        not any(_is_number(c) for c in cells)
        or cells == feature_names
        or cells == [str(i) for i in range(len(cells))]
    )


def read_features(
    path: str,
    n_features: int,
    feature_names: list[str] | None,
    *,
    header: str = "auto",
    sep: str = "auto",
) -> np.ndarray:
    """Parse a numeric CSV into an array, with line and column in every error.

    Parameters
    ----------
    path : str
        The CSV file, UTF-8 (a byte-order mark is skipped).
    n_features : int
        Columns every row must have.
    feature_names : list of str or None
        The model's feature names; a header row must match them.
    header : {"auto", "yes", "no"}, default="auto"
        Whether the first row is a header; see :func:`_is_header` for auto.
    sep : {"auto", ",", ";", "tab"}, default="auto"
        The field separator; auto picks one of the three from the first line.

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
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as exc:
        raise UserError(f"cannot read the input {path!r}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path!r} is not a UTF-8 text CSV file (byte {exc.start} cannot be decoded)"
        ) from exc
    if sep == "auto":
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = _detect_separator(first, n_features)
    else:
        delimiter = _SEPARATORS[sep]
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    names: list[str] | None = None
    seen_first = False
    rows: list[list[float]] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not fields:
                continue  # blank line
            cells = [c.strip() for c in fields]
            if not seen_first:
                seen_first = True
                if _is_header(cells, header, feature_names):
                    names = cells
                    _check_header(path, line, names, n_features, feature_names, delimiter)
                    _note_numeric_header(path, names, header)
                    continue
            if len(cells) != n_features:
                raise UserError(
                    f"{path}, line {line}: {len(cells)} column(s), but the model expects "
                    f"{n_features} feature(s) per row (fields split at "
                    f"{_SEP_NAMES[delimiter]}; set --sep if the file uses another separator)"
                )
            rows.append([_number(path, line, i, c, names, header) for i, c in enumerate(cells)])
    except csv.Error as exc:
        raise UserError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from exc
    if not rows:
        raise UserError(f"{path} has no data rows; expected one sample per line")
    return np.array(rows, dtype=np.float64)


def _note_numeric_header(path: str, names: list[str], header: str) -> None:
    """Say so when auto took a row of numbers for a header: it could have been a sample."""
    if header == "auto" and all(_is_number(c) for c in names):
        print(
            f"glassnet predict: note: {path}, line 1 ({','.join(names)}) read as a header "
            "(the model's or pandas' default column names); pass --header no if it is a sample",
            file=sys.stderr,
        )


def _check_header(
    path: str,
    line: int,
    header: list[str],
    n_features: int,
    names: list[str] | None,
    delimiter: str,
) -> None:
    if len(header) != n_features:
        raise UserError(
            f"{path}, line {line}: the header has {len(header)} column(s), but the model "
            f"expects {n_features} feature(s) (fields split at {_SEP_NAMES[delimiter]}; "
            "set --sep if the file uses another separator)"
        )
    if names is not None and header != names:
        raise UserError(
            f"{path}, line {line}: the header names the columns {header}, but the model was "
            f"trained on {names} (in that order); rename or reorder the columns"
        )


def _number(path: str, line: int, i: int, cell: str, names: list[str] | None, header: str) -> float:
    column = f"column {i + 1}" + (f" ({names[i]!r})" if names else "")
    if cell.lower() in _MISSING:
        raise UserError(
            f"{path}, line {line}, {column}: missing value {cell!r}; fill or drop the row "
            "before predicting"
        )
    try:
        value = float(cell)
    except ValueError:
        hint = "; pass --header yes if it is a header" if header == "no" and line == 1 else ""
        raise UserError(f"{path}, line {line}, {column}: {cell!r} is not a number{hint}") from None
    if not math.isfinite(value):
        raise UserError(f"{path}, line {line}, {column}: {cell!r} is not a finite number")
    return value


# Rows formatted and written at a time: a bounded string however long the input,
# and a write error (full disk, closed pipe) is seen within one chunk of it.
_CHUNK_ROWS = 2000


def format_predictions(classes: np.ndarray, proba: np.ndarray) -> Iterator[str]:
    """CSV text in chunks: a ``label`` column, then ``proba_<class>`` for each class."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["label", *(f"proba_{c}" for c in classes.tolist())])
    labels = np.argmax(proba, axis=1)
    for start in range(0, len(proba), _CHUNK_ROWS):
        for k, row in zip(
            labels[start : start + _CHUNK_ROWS], proba[start : start + _CHUNK_ROWS], strict=True
        ):
            label = classes[k]
            label = label.item() if isinstance(label, np.generic) else label
            writer.writerow([label, *(repr(float(p)) for p in row)])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def write_stdout(chunks: Iterable[str]) -> None:
    """Write ``chunks`` to standard output, flushing each; a failure is a :class:`UserError`.

    Raises
    ------
    UserError
        When standard output is closed, or a write or flush fails (a full disk,
        a reader that stopped early).
    """
    out = sys.stdout if isinstance(sys.stdout, GuardedStdout) else GuardedStdout(sys.stdout)
    try:
        for chunk in chunks:
            out.write(chunk)
            out.flush()
            out.raise_if_failed()
    except StdoutError as exc:
        if out.stream is None or exc.errno == errno.EBADF:
            raise UserError(
                "cannot write the predictions: standard output is closed; pass --output FILE"
            ) from exc
        raise UserError(
            f"cannot write the predictions to standard output: {exc.strerror}; the output is "
            "incomplete"
        ) from exc


def run(args: argparse.Namespace) -> int:
    """Load the model, predict the CSV, write the predictions; return the exit status."""
    from ..estimator.modelfile import load
    from ..exceptions import ModelFileError
    from ..persist.files import atomic_write

    if args.output is not None:
        check_output(args.output, "--output")
        check_distinct(
            [(args.input, "--input"), (args.model, "--model"), (args.output, "--output")]
        )
    try:
        model = load(args.model)
    except ModelFileError as exc:
        raise UserError(str(exc)) from exc
    names = getattr(model, "feature_names_in_", None)
    X = read_features(
        args.input,
        int(model.n_features_in_),
        None if names is None else [str(n) for n in names],
        header=args.header,
        sep=args.sep,
    )
    try:
        with warnings.catch_warnings():
            # The header was matched against the names above; the array has none.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            proba = np.asarray(model.predict_proba(X))
    except ValueError as exc:
        raise UserError(f"cannot predict {args.input!r}: {exc}") from exc
    chunks = format_predictions(np.asarray(model.classes_), proba)
    if args.output is None:
        write_stdout(chunks)
        return 0

    def write(f: IO[bytes]) -> None:
        for chunk in chunks:
            f.write(chunk.encode("utf-8"))

    with reporting_write_errors(args.output):
        atomic_write(args.output, write)
    print(f"wrote {len(X)} prediction(s) to {args.output}", file=sys.stderr)
    return 0
