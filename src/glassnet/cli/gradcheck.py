"""``glassnet gradcheck``: check a network's backpropagation against finite differences."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ._checks import check_memory, network_parameters
from ._common import (
    UserError,
    add_network_arguments,
    architecture,
    bounded_float,
    bounded_int,
    load_dataset,
)

# Each parameter costs two forward passes over --samples rows: 20,000 parameters
# (a 2 -> 140 -> 140 -> 2 network) on 1,000 samples is already minutes of work.
_MAX_PARAMETERS = 20_000
_MAX_SAMPLES = 1000

__all__ = ["add_parser", "run"]


def _threshold(text: str) -> float:
    """argparse type for ``--threshold``: a number in (0, 1), where relative errors live."""
    value = bounded_float(0.0, 1.0, "a relative error of 1 is no agreement at all")(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``gradcheck`` on the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "gradcheck",
        help="compare backpropagated gradients with central differences",
        description="Build a network as 'glassnet train' does, run glassnet.check_gradients "
        "on a few samples, print the analytic and numeric gradient norms and the largest "
        "relative error for every parameter (and the input X), and exit with status 1 when "
        "any error is above --threshold.",
    )
    add_network_arguments(p)
    check = p.add_argument_group("check")
    check.add_argument(
        "--samples",
        type=bounded_int(1, _MAX_SAMPLES, "each is in every one of the forward passes"),
        default=16,
        help=f"points of the dataset the loss is taken over, at most {_MAX_SAMPLES} (default: 16)",
    )
    check.add_argument(
        "--eps",
        type=bounded_float(1e-10, 0.1, "rounding swamps smaller steps, curvature larger ones"),
        default=1e-6,
        help="step of the central difference, 1e-10 to 0.1 (default: 1e-6)",
    )
    check.add_argument(
        "--route",
        choices=("readable", "fast"),
        default="readable",
        help="which backward pass to check: each layer's own backward (readable), or the "
        "fast forms the fast training route runs, in reused buffers (default: readable)",
    )
    check.add_argument(
        "--threshold",
        type=_threshold,
        default=1e-7,
        help="largest relative error accepted, in (0, 1) (default: 1e-7)",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Print the per-parameter table; return 0 when every error is within the threshold."""
    from ..core.losses import SoftmaxCrossEntropy
    from ..core.sequential import mlp
    from ..teach.explain import table
    from ..teach.gradcheck import check_gradients

    if args.samples > args.n_samples:
        raise UserError(
            f"--samples ({args.samples}) must not exceed --n-samples ({args.n_samples}); "
            "check fewer points or make more."
        )
    params = network_parameters([2, *args.hidden, 3])
    if params > _MAX_PARAMETERS:
        raise UserError(
            f"--hidden {','.join(map(str, args.hidden))} has about {params:,} parameters; the "
            f"check takes two forward passes for each, so it allows at most {_MAX_PARAMETERS:,}. "
            "Check a narrower network: the backward pass is the same code at any width."
        )
    check_memory(args.n_samples, [2], 8, what="the dataset")
    X_all, y_all = load_dataset(args)
    k = int(y_all.max()) + 1  # classes of the whole dataset, as train builds the network
    X, y = X_all[: args.samples], y_all[: args.samples]
    dtype = np.dtype(args.dtype)
    model = mlp([2, *args.hidden, k], args.activation, rng=args.seed, dtype=dtype)
    result = check_gradients(model, SoftmaxCrossEntropy(), X, y, eps=args.eps, route=args.route)
    arch = architecture(args.hidden, k)
    print(
        f"glassnet gradcheck: network {arch} ({args.activation}, softmax), {dtype} weights "
        f"checked in float64 on the {args.route} route, on {len(X)} samples of {args.dataset}; "
        f"loss {result.loss:.6f}, "
        f"central differences with eps={args.eps:g}"
    )
    print()
    shapes = {name: np.shape(value) for name, value in model.parameters().items()}
    shapes["X"] = X.shape
    rows = []
    for name, error in result.items():
        rows.append(
            [
                name,
                "×".join(str(n) for n in shapes.get(name, ())),
                f"{result.analytic_norm[name]:.6e}",
                f"{result.numeric_norm[name]:.6e}",
                f"{error:.2e}",
                "ok" if error <= args.threshold else "FAIL",
            ]
        )
    print(
        table(
            ["parameter", "shape", "analytic ‖g‖", "numeric ‖g‖", "max rel. error", "result"],
            rows,
            indent="",
        )
    )
    print()
    worst_name = max(result, key=lambda name: result[name])
    worst = result[worst_name]
    if worst <= args.threshold:
        print(
            f"gradients OK: largest relative error {worst:.2e} ({worst_name}) "
            f"<= threshold {args.threshold:g}"
        )
        return 0
    bad = [name for name, error in result.items() if error > args.threshold]
    print(
        f"gradient check FAILED: {len(bad)} of {len(result)} arrays above the threshold "
        f"{args.threshold:g} ({', '.join(bad)}); worst {worst:.2e} at {worst_name}. "
        "A backward pass does not match its forward pass."
    )
    return 1
