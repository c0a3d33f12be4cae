"""Peak memory of each peer, each measured in a fresh process that imports only what it needs.

The harness (:mod:`benchmarks.run`) writes a workload's arrays to files, then
starts one child per peer::

    python -m benchmarks.memory PEER WORKLOAD FOLDER EPOCHS [--without torch,jax]

The child imports the peer's library, notes its peak resident memory (the
imports' share), loads the arrays (W2: ``.npy``; W4: ``scipy.sparse.save_npz``
files), trains, and prints one JSON line: the peak (``VmHWM``), the imports'
peak, and whether numba was imported. The plain-install peers' children run
with ``GLASSNET_NO_NUMBA=1`` in their environment, as a plain install never
imports numba (the line says if one did).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import peers, sparse
from .peers import NO_NUMBA, PLAIN, Workload

HERE = Path(__file__).resolve().parent

_GLASSNET = ["glassnet"]
_ESTIMATOR = ["glassnet", "glassnet.estimator"]

#: What each peer imports before it trains: the children import it first and report
#: the peak after the imports (the baseline) apart from the peak of training.
IMPORTS: dict[str, list[str]] = {
    "glassnet.train": _GLASSNET,
    "glassnet.MLPClassifier": _ESTIMATOR,
    "glassnet.train" + PLAIN: _GLASSNET,
    "glassnet.MLPClassifier" + PLAIN: _ESTIMATOR,
    "scikit-learn": ["sklearn.neural_network"],
    "PyTorch eager": ["torch"],
    "PyTorch sparse": ["torch"],
    "JAX jit step": ["jax"],
}

#: Held-out rows scored in a child: predicting all 20,000 of W2's at once would put the
#: peak in prediction, not in training.
TEST_ROWS = 1000


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` from /proc where there is one: Linux carries ``ru_maxrss`` over
    ``execve``, so a child started from a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load(workload: str, folder: Path, epochs: int) -> Workload:
    """The workload from the files the parent wrote (no data generation in the child)."""
    if workload == "W4":
        return sparse.w4_from(folder, epochs)
    return peers.w2_from(folder, epochs)


def child(peer: str, workload: str, folder: Path, epochs: int) -> dict[str, Any]:
    """Import, load, train ``peer`` in this process; its peaks (MB) and whether numba loaded."""
    for module in IMPORTS.get(peer, []):
        peers.optional(module)
    import_mb = peak_rss_mb()
    wl = load(workload, folder, epochs)
    wl.X_test, wl.y_test = wl.X_test[:TEST_ROWS], wl.y_test[:TEST_ROWS]
    runners = {**peers.RUNNERS, **sparse.RUNNERS}
    out = runners[peer](wl)
    return {
        "peer": peer,
        "peak_mb": peak_rss_mb(),
        "import_mb": import_mb,
        "numba": "numba" in sys.modules,
        "skipped": out.get("skipped"),
    }


def missing(peer: str) -> str | None:
    """The reason the peer cannot run here ("not installed"), or None when it can."""
    for module in IMPORTS.get(peer, []):
        top = module.split(".")[0]
        if top in peers.HIDDEN or importlib.util.find_spec(top) is None:
            return "not installed"
    return None


def measure(wl: Workload, names: Sequence[str], without: Sequence[str]) -> dict[str, Any]:
    """Peak RSS of each peer training ``wl`` (W2 or W4), each in a fresh process.

    A peer whose library is missing is reported without starting a process.
    """
    import tempfile

    out: dict[str, Any] = {}
    save = sparse.save_arrays if wl.name == "W4" else peers.save_arrays
    with tempfile.TemporaryDirectory() as folder:
        save(wl, Path(folder))
        for name in names:
            why = missing(name)
            if why:
                out[name] = {"skipped": why}
                continue
            cmd = [sys.executable, "-m", "benchmarks.memory", name, wl.name, folder]
            cmd += [str(wl.epochs)]
            cmd += ["--without", ",".join(without)] if without else []
            env = {**os.environ, NO_NUMBA: "1"} if name.endswith(PLAIN) else None
            proc = subprocess.run(
                cmd, cwd=HERE.parent, capture_output=True, text=True, timeout=900, check=False,
                env=env,
            )  # fmt: skip
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode != 0 or not lines:
                out[name] = {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:300]}
                continue
            rec = json.loads(lines[-1])
            if rec["skipped"]:
                out[name] = {"skipped": rec["skipped"]}
            else:
                out[name] = {k: rec[k] for k in ("peak_mb", "import_mb", "numba")}
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """The child's entry point: train one peer, print its JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("peer")
    parser.add_argument("workload", choices=["W2", "W4"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("epochs", type=int)
    parser.add_argument("--without", default="", help="treat these modules as not installed")
    args = parser.parse_args(argv)
    peers.HIDDEN.update(m for m in args.without.split(",") if m)
    print(json.dumps(child(args.peer, args.workload, args.folder, args.epochs)))


if __name__ == "__main__":
    main()
