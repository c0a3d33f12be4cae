"""The defaults protocol: does each classifier's default setting fit, and never collapse?

Run from the repository root::

    python -m benchmarks.defaults                  # 10 datasets x 10 seeds (several minutes)
    python -m benchmarks.defaults --seeds 2 --quick

For each dataset and seed: a 30 % held-out split (stratified), features scaled
with ``StandardScaler`` (as scikit-learn's gallery examples do), and each peer's
``MLPClassifier`` with its defaults (``random_state=seed``; ConvergenceWarning
recorded, not shown). A fit *collapses* when it predicts one class for every
held-out sample. It writes ``DEFAULTS.md`` beside itself (or in ``--out``):
mean held-out accuracy and the number of collapsed fits per dataset and peer.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import datasets as skd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import glassnet
from glassnet.teach.datasets import make_spiral, make_xor

Data = tuple[np.ndarray, np.ndarray]


def _linear(seed: int) -> Data:
    X, y = skd.make_classification(
        300, n_features=2, n_redundant=0, n_informative=2, n_clusters_per_class=1,
        class_sep=1.0, random_state=seed,
    )  # fmt: skip
    return X, y


DATASETS: dict[str, Callable[[int], Data]] = {
    "moons": lambda s: skd.make_moons(1000, noise=0.2, random_state=s),
    "circles": lambda s: skd.make_circles(300, noise=0.2, factor=0.5, random_state=s),
    "linear": _linear,
    "xor": lambda s: make_xor(400, noise=0.2, random_state=s),
    "spiral": lambda s: make_spiral(600, noise=0.1, random_state=s),
    "blobs": lambda s: skd.make_blobs(300, centers=4, cluster_std=1.5, random_state=s),
    "iris": lambda s: skd.load_iris(return_X_y=True),
    "wine": lambda s: skd.load_wine(return_X_y=True),
    "breast_cancer": lambda s: skd.load_breast_cancer(return_X_y=True),
    "digits": lambda s: skd.load_digits(return_X_y=True),
}

# Each library's defaults, and the setting of scikit-learn's gallery example
# plot_classifier_comparison (alpha=1, max_iter=1000), where zero biases collapsed.
PEERS: dict[str, Callable[[int], Any]] = {
    "glassnet": lambda s: glassnet.MLPClassifier(random_state=s),
    "scikit-learn": lambda s: SkMLP(random_state=s),
    "glassnet alpha=1": lambda s: glassnet.MLPClassifier(alpha=1, max_iter=1000, random_state=s),
    "scikit-learn alpha=1": lambda s: SkMLP(alpha=1, max_iter=1000, random_state=s),
}


def run_one(name: str, peer: str, seed: int) -> dict[str, Any]:
    """Fit one peer on one dataset and seed; its held-out accuracy and whether it collapsed."""
    X, y = DATASETS[name](seed)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    clf = make_pipeline(StandardScaler(), PEERS[peer](seed))
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(X_tr, y_tr)
    seconds = time.perf_counter() - t0
    pred = clf.predict(X_te)
    return {
        "accuracy": float(np.mean(pred == y_te)),
        "collapsed": bool(len(np.unique(pred)) == 1 and len(np.unique(y_te)) > 1),
        "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> None:
    """Run the protocol and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="2-D datasets only")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    names = list(DATASETS)[:6] if args.quick else list(DATASETS)
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in names:
        results[name] = {
            peer: [run_one(name, peer, s) for s in range(args.seeds)] for peer in PEERS
        }
        row = "  ".join(
            f"{p}: {statistics.mean(r['accuracy'] for r in rs):.3f} "
            f"({sum(r['collapsed'] for r in rs)} collapsed)"
            for p, rs in results[name].items()
        )
        print(f"{name:14s} {row}", flush=True)
    lines = [
        "# Defaults protocol",
        "",
        f"`python -m benchmarks.defaults --seeds {args.seeds}`: each peer's `MLPClassifier()` "
        "with its defaults (`random_state=seed`) behind `StandardScaler`, a stratified 30 % "
        f"held-out split per seed, seeds 0-{args.seeds - 1}. Mean held-out accuracy; in brackets "
        "the fits that collapsed (one class predicted for every held-out sample) and those "
        "that stopped at `max_iter` with a ConvergenceWarning.",
        "",
        "| dataset | " + " | ".join(PEERS) + " | glassnet − scikit-learn (defaults, alpha=1) |",
        "| --- | " + " | ".join("---" for _ in PEERS) + " | --- |",
    ]
    for name, per in results.items():
        means = {p: statistics.mean(r["accuracy"] for r in rs) for p, rs in per.items()}
        cells = [
            f"{means[p]:.3f} ({sum(r['collapsed'] for r in rs)} collapsed, "
            f"{sum(r['warned'] for r in rs)} warned)"
            for p, rs in per.items()
        ]
        diff = means["glassnet"] - means["scikit-learn"]
        diff1 = means["glassnet alpha=1"] - means["scikit-learn alpha=1"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {diff:+.3f}, {diff1:+.3f} |")
    total = {p: sum(r["collapsed"] for per in results.values() for r in per[p]) for p in PEERS}
    lines += ["", "Collapsed fits in all: " + ", ".join(f"{p} {n}" for p, n in total.items()), ""]
    (args.out / "DEFAULTS.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
