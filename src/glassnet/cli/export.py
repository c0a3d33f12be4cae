"""``glassnet export``: a saved model as an ONNX file, for onnxruntime and other runtimes.

The model comes from a file written by ``glassnet.save`` (or ``glassnet train
--save``), read with every check of :func:`glassnet.load`; nothing is
unpickled. The ONNX file is written atomically: a reader sees the old file or
the new one, never a part. Needs the ``onnx`` package (``pip install
'glassnet[onnx]'``).
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any

from ._checks import check_distinct, check_output
from ._common import UserError, file_name, positive_int, reporting_write_errors

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``export`` on the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "export",
        help="export a saved model as an ONNX file (for onnxruntime)",
        description="Load a model saved by 'glassnet train --save' or glassnet.save (never "
        "unpickled) and write it as an ONNX model with the outputs 'label' and "
        "'probabilities' (input 'X', shape (n_samples, n_features)), as glassnet.to_onnx.",
    )
    p.add_argument(
        "--model", required=True, type=file_name, help="model file written by glassnet.save"
    )
    p.add_argument(
        "--onnx",
        required=True,
        type=file_name,
        metavar="OUT",
        help="where to write the ONNX model (replaced atomically); never the --model file",
    )
    p.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="element type of the input, weights and probabilities (default: float32)",
    )
    p.add_argument(
        "--zipmap",
        action="store_true",
        help="give the probabilities as skl2onnx's default does: 'output_probability', one "
        "{class: probability} map per row, with 'output_label' (default: a plain tensor)",
    )
    p.add_argument(
        "--opset",
        type=positive_int,
        default=None,
        help="ONNX opset of the default domain (default: 15, which every onnxruntime since "
        "1.10 runs)",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Load the model, build its ONNX graph, write it; return the exit status."""
    from ..estimator.modelfile import load
    from ..exceptions import ModelFileError
    from ..export.onnx import import_onnx, to_onnx
    from ..persist.files import atomic_write

    check_output(args.onnx, "--onnx")
    check_distinct([(args.model, "--model"), (args.onnx, "--onnx")])
    try:
        import_onnx()
    except ImportError as exc:
        raise UserError(str(exc)) from exc
    try:
        model = load(args.model)
    except ModelFileError as exc:
        raise UserError(str(exc)) from exc
    try:
        onnx_model = to_onnx(model, dtype=args.dtype, zipmap=args.zipmap, target_opset=args.opset)
    except ValueError as exc:
        raise UserError(f"cannot export {args.model!r} to ONNX: {exc}") from exc
    data = onnx_model.SerializeToString()

    def write(f: IO[bytes]) -> None:
        f.write(data)

    with reporting_write_errors(args.onnx, "ONNX model"):
        atomic_write(args.onnx, write)
    outputs = ", ".join(o.name for o in onnx_model.graph.output)
    print(
        f"wrote the ONNX model ({len(data):,} bytes; input X of {model.n_features_in_} "
        f"feature(s) as {args.dtype}; outputs {outputs}) to {args.onnx}",
        file=sys.stderr,
    )
    return 0
