"""W4, sparse text-like input: glassnet against scikit-learn on the same CSR matrix.

Run from the repository root::

    python -m benchmarks.sparse              # 50,000 x 20,000 at 0.1 % (a minute or two)
    python -m benchmarks.sparse --quick      # tiny sizes: checks that it runs

The data (WORKLOADS.md, W4): a CSR matrix of non-negative values with L2-normalised
rows, 5 classes from a planted linear rule, 80 % for training; the network
20,000 → 64 relu → 5, Adam at 1e-3, batches of 256, 3 epochs, float32. The peers
alternate within each round; medians are reported, with each peer's time over
``glassnet.MLPClassifier``'s. Peak memory is measured per peer in a fresh process
that loads the saved matrix (``VmHWM``, imports included). No peer densifies X.
It writes ``SPARSE.md`` beside itself (or in ``--out``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


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


def _estimator(peer: str, epochs: int) -> Any:
    settings: dict[str, Any] = {
        "hidden_layer_sizes": (64,),
        "activation": "relu",
        "solver": "adam",
        "learning_rate_init": 1e-3,
        "batch_size": 256,
        "max_iter": epochs,
        "tol": 0.0,
        "n_iter_no_change": 10**6,
        "alpha": 0.0,
        "random_state": 0,
    }
    if peer.startswith("glassnet.MLPClassifier"):
        import glassnet

        return glassnet.MLPClassifier(dtype="float32", **settings)
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(**settings)


PEERS = ["glassnet.MLPClassifier", "glassnet.MLPClassifier (no numba)", "scikit-learn"]
NO_NUMBA = "glassnet.MLPClassifier (no numba)"  # as a plain install runs it


def fit_once(peer: str, X: Any, y: np.ndarray, X_te: Any, y_te: np.ndarray, epochs: int) -> dict:
    """Fit one peer; its time, held-out accuracy and (glassnet) route."""
    clf = _estimator(peer, epochs)
    saved = os.environ.get("GLASSNET_NO_NUMBA")
    if peer == NO_NUMBA:  # read at every step: the compiled optimizer update stays off
        os.environ["GLASSNET_NO_NUMBA"] = "1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached, on purpose: a fixed schedule
        t0 = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - t0
    if peer == NO_NUMBA:
        if saved is None:
            del os.environ["GLASSNET_NO_NUMBA"]
        else:
            os.environ["GLASSNET_NO_NUMBA"] = saved
    return {
        "seconds": seconds,
        "accuracy": float(np.mean(clf.predict(X_te) == y_te)),
        "route": getattr(clf, "route_", ""),
    }


def peak_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` belongs to the address space, which ``exec`` replaces; ``ru_maxrss``
    is kept across ``fork`` and ``exec`` on Linux, so a child would report its
    parent's peak (the whole generated matrix).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(peer: str, data: Path, epochs: int) -> None:
    """In a fresh process: load the saved matrix, fit, print the peak memory in MB."""
    import scipy.sparse as sp

    X = sp.load_npz(data / "X.npz")
    y = np.load(data / "y.npy")
    fit_once(peer, X, y, X[:1], y[:1], epochs)
    print(peak_mb())


def main(argv: list[str] | None = None) -> None:
    """Run W4 and write SPARSE.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, args.data, args.epochs)
        return
    import scipy.sparse as sp

    n, d = (2000, 500) if args.quick else (50_000, 20_000)
    density = 0.01 if args.quick else 0.001
    X, y = make_data(n, d, density)
    split = int(0.8 * n)
    X_tr, X_te, y_tr, y_te = X[:split], X[split:], y[:split], y[split:]
    runs: dict[str, list[dict]] = {p: [] for p in PEERS}
    for r in range(args.rounds):
        for peer in PEERS[r % len(PEERS) :] + PEERS[: r % len(PEERS)]:
            runs[peer].append(fit_once(peer, X_tr, y_tr, X_te, y_te, args.epochs))
    memory: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sp.save_npz(Path(tmp) / "X.npz", X_tr)
        np.save(Path(tmp) / "y.npy", y_tr)
        for peer in PEERS:
            env = os.environ | ({"GLASSNET_NO_NUMBA": "1"} if peer == NO_NUMBA else {})
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.sparse", "--memory-child", peer, "--data",
                 tmp, "--epochs", str(args.epochs)],
                capture_output=True, text=True, check=True, cwd=HERE.parent, env=env,
            )  # fmt: skip
            memory[peer] = float(done.stdout.strip().splitlines()[-1])
    med: Callable[[str], float] = lambda p: statistics.median(x["seconds"] for x in runs[p])  # noqa: E731
    base = med("glassnet.MLPClassifier")
    lines = [
        "# W4: sparse text-like input",
        "",
        f"`python -m benchmarks.sparse{' --quick' if args.quick else ''}`: a {n:,} × {d:,} CSR "
        f"matrix at {density:.1%} density (non-negative, rows L2-normalised), 5 classes from a "
        f"planted linear rule, {split:,} rows to train on; {d:,} → 64 relu → 5, Adam 1e-3, "
        f"batches of 256, {args.epochs} epochs. Medians over {args.rounds} rounds, the peers "
        "alternating; **ratio** = peer's time / glassnet's. Peak memory: a fresh process per "
        "peer that loads the saved matrix and fits (imports included). Neither densifies X.",
        "",
        "| peer | median fit (s) | ratio | held-out accuracy | peak memory (MB) | note |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for peer in PEERS:
        note = f"route: {runs[peer][0]['route']}" if runs[peer][0]["route"] else "CSR input"
        lines.append(
            f"| {peer} | {med(peer):.2f} | {med(peer) / base:.2f} | "
            f"{runs[peer][-1]['accuracy']:.4f} | {memory[peer]:.0f} | {note} |"
        )
    lines += [
        "",
        "With numba installed (`glassnet[fast]`, and the test extra) the optimizer's update of "
        "the 1.28M first-layer weights runs compiled; numba's import is most of the memory "
        "above the plain install's. PyTorch with `torch.sparse` first-layer products is not "
        "measured yet.",
        "",
    ]
    (args.out / "SPARSE.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
