"""``glassnet gradcheck``: check a network's backpropagation against finite differences."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ._common import (
    UserError,
    add_network_arguments,
    architecture,
    load_dataset,
    positive_float,
    positive_int,
)

__all__ = ["add_parser", "run"]


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
        type=positive_int,
        default=16,
        help="points of the dataset the loss is taken over (default: 16)",
    )
    check.add_argument(
        "--eps",
        type=positive_float,
        default=1e-6,
        help="step of the central difference (default: 1e-6)",
    )
    check.add_argument(
        "--threshold",
        type=positive_float,
        default=1e-7,
        help="largest relative error accepted (default: 1e-7)",
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
    X_all, y_all = load_dataset(args)
    k = int(y_all.max()) + 1  # classes of the whole dataset, as train builds the network
    X, y = X_all[: args.samples], y_all[: args.samples]
    dtype = np.dtype(args.dtype)
    model = mlp([2, *args.hidden, k], args.activation, rng=args.seed, dtype=dtype)
    result = check_gradients(model, SoftmaxCrossEntropy(), X, y, eps=args.eps)
    arch = architecture(args.hidden, k)
    print(
        f"glassnet gradcheck: network {arch} ({args.activation}, softmax), {dtype} weights "
        f"checked in float64, on {len(X)} samples of {args.dataset}; loss {result.loss:.6f}, "
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
