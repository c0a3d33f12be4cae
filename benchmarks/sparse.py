"""W4, sparse text-like input: its data, and PyTorch's runner with ``torch.sparse``.

The harness runs it beside the other workloads::

    python -m benchmarks.run --only W4                      # 50,000 x 20,000 at 0.1 %
    python -m benchmarks.run --only W4 --w4-rows 10000      # fewer rows, same width
    python -m benchmarks.sparse                             # the same as --only W4

(Like any ``--only`` run, these write RESULTS.md and results.json for W4 alone:
pass ``--out`` to keep a full run's.)

The data (WORKLOADS.md, W4): a CSR matrix of non-negative values with L2-normalised
rows, 5 classes from a planted linear rule, 80 % for training; the network
20,000 → 64 relu → 5, Adam at 1e-3, batches of 256, 3 epochs, float32. glassnet
(``train`` and ``MLPClassifier``, with and without numba) and scikit-learn run the
runners of :mod:`benchmarks.peers` on the CSR matrix as it is; PyTorch multiplies
each batch as a sparse tensor (:func:`run_torch_sparse`). No peer densifies X: a
dense copy of the training rows would take 3.2 GB.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn

from .peers import Result, Workload, accuracy, optional


def make_data(n: int, d: int, density: float, seed: int = 0) -> tuple[Any, np.ndarray]:
    """A TF-IDF-like CSR matrix (non-negative, rows of unit L2 norm) and planted labels."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    nnz = int(n * d * density)
    rows = rng.integers(0, n, nnz)
    cols = rng.integers(0, d, nnz)
    X = sp.csr_matrix((rng.random(nnz).astype(np.float32), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    X = sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ X)
    rule = rng.standard_normal((d, 5)).astype(np.float32)
    return X, np.asarray(X @ rule).argmax(axis=1)


@dataclass
class SparseWorkload(Workload):
    """A workload whose X and X_test are SciPy CSR matrices, kept sparse."""

    def __post_init__(self) -> None:
        # Workload's own conversion (np.ascontiguousarray) would densify X.
        X: Any = self.X
        X_test: Any = self.X_test
        self.X = X.tocsr().astype(self.dtype, copy=False)
        self.X_test = X_test.tocsr().astype(self.dtype, copy=False)
        self.n_classes = int(self.y.max()) + 1


def _w4(X: Any, y: np.ndarray, X_test: Any, y_test: np.ndarray, epochs: int) -> SparseWorkload:
    """W4's network and settings around the given CSR matrices."""
    return SparseWorkload(
        "W4", X, y, X_test, y_test, (64,), "relu", "adam", 1e-3, 256, epochs, np.float32,
        note=f"CSR input at {X.nnz / (X.shape[0] * X.shape[1]):.2%} density, never densified.",
    )  # fmt: skip


def w4(n: int = 50_000, d: int = 20_000, density: float = 0.001, epochs: int = 3) -> SparseWorkload:
    """W4: ``n`` × ``d`` CSR at ``density``, the first 80 % of rows to train on."""
    X, y = make_data(n, d, density)
    cut = int(0.8 * n)
    return _w4(X[:cut], y[:cut], X[cut:], y[cut:], epochs)


def save_arrays(wl: Workload, folder: Path) -> None:
    """Write W4's matrices (``scipy.sparse.save_npz``) and labels, for the memory children."""
    import scipy.sparse as sp

    sp.save_npz(folder / "X.npz", wl.X)
    sp.save_npz(folder / "X_test.npz", wl.X_test)
    np.save(folder / "y.npy", wl.y)
    np.save(folder / "y_test.npy", wl.y_test)


def w4_from(folder: Path, epochs: int) -> SparseWorkload:
    """W4 loaded from :func:`save_arrays`'s files (no data generation in the child)."""
    import scipy.sparse as sp

    return _w4(
        sp.load_npz(folder / "X.npz"),
        np.load(folder / "y.npy"),
        sp.load_npz(folder / "X_test.npz"),
        np.load(folder / "y_test.npy"),
        epochs,
    )


def _torch_batch(torch: Any, rows: Any) -> Any:
    """A CSR slice as a torch COO tensor, sharing its arrays where the dtypes allow.

    COO, not CSR: a CSR batch was no faster here on one thread and ~2× slower
    on two (forward and backward of W4's first layer).
    """
    coo = rows.tocoo()
    index = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    return torch.sparse_coo_tensor(index, torch.from_numpy(coo.data), size=rows.shape)


def run_torch_sparse(wl: Workload, fused: bool = False) -> Result:
    """PyTorch eager with ``torch.sparse.mm`` for the first layer, the rest dense.

    Same initial weights and batch boundaries as glassnet.train; each batch's CSR
    rows are sliced (SciPy) and wrapped as a sparse COO tensor inside the timed
    loop, as glassnet and scikit-learn slice theirs. ``fused``: ``Adam(fused=True)``,
    whose one pass over the 1.28M first-layer weights is much cheaper than the
    default's (foreach) several.
    """
    torch = optional("torch")
    if torch is None:
        return {"skipped": "not installed"}
    torch.set_num_threads(2)
    dense = [layer for layer in wl.initial_model().layers if isinstance(layer, gn.Dense)]
    params = []
    for d in dense:
        W = torch.nn.Parameter(torch.from_numpy(np.array(d.W, dtype=np.float32)))
        b = torch.nn.Parameter(torch.from_numpy(np.array(d.b, dtype=np.float32)))
        params.append((W, b))
    opt = torch.optim.Adam([p for pair in params for p in pair], lr=wl.lr, fused=fused or None)
    y = torch.from_numpy(wl.y.astype(np.int64))

    def forward(xb: Any) -> Any:
        (W, b), rest = params[0], params[1:]
        h = torch.sparse.mm(xb, W) + b
        for W, b in rest:
            h = torch.relu(h) @ W + b
        return h

    plan = wl.batches()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: sparse invariant checks off
        t0 = time.perf_counter()
        for epoch in plan:
            for idx in epoch:
                xb = _torch_batch(torch, wl.X[idx])
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.cross_entropy(forward(xb), y[torch.from_numpy(idx)])
                loss.backward()
                opt.step()
        seconds = time.perf_counter() - t0
        with torch.no_grad():
            pred = forward(_torch_batch(torch, wl.X_test)).argmax(dim=1).numpy()
    return {"seconds": seconds, "accuracy": accuracy(pred, wl.y_test)}


def run_torch_sparse_fused(wl: Workload) -> Result:
    """:func:`run_torch_sparse` with ``Adam(fused=True)``."""
    return run_torch_sparse(wl, fused=True)


RUNNERS: dict[str, Callable[[Workload], Result]] = {
    "PyTorch sparse": run_torch_sparse,
    "PyTorch sparse, fused Adam": run_torch_sparse_fused,
}

NOTES: dict[str, str] = {
    "PyTorch sparse": "same initial weights and batches; each batch a sparse COO tensor, "
    "torch.sparse.mm for the first layer, dense after; Adam(foreach) default",
    "PyTorch sparse, fused Adam": "as PyTorch sparse, with Adam(fused=True)",
}


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.sparse [args]``: the harness's W4 alone (``--only W4``)."""
    from . import run

    run.main(["--only", "W4", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
