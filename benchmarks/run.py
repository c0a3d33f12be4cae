"""Side-by-side benchmark of glassnet against scikit-learn, PyTorch and JAX.

Run from the repository root::

    python -m benchmarks.run                 # the workloads of WORKLOADS.md (a few minutes)
    python -m benchmarks.run --w3-epochs 1   # a shorter W3, stated in RESULTS.md
    python -m benchmarks.run --quick         # tiny sizes: checks that everything runs

It writes ``RESULTS.md``, ``results.json`` and two plots into ``--out``
(default: ``benchmarks/``). Peers that are not installed are reported as such.

Method: every peer trains the same workload; the peers alternate within each
round (the order rotates), and the report gives the median over rounds and each
peer's time divided by glassnet's (above 1: glassnet is faster). Only ratios
from one run mean anything on a shared, noisy machine. Peak memory is measured
per peer in a fresh process (``ru_maxrss``), imports included.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn

from . import peers
from .peers import RUNNERS, Workload

HERE = Path(__file__).resolve().parent

W1_PEERS = [
    "glassnet.train",
    "glassnet.MLPClassifier",
    "scikit-learn",
    "PyTorch eager",
    "JAX jit step",
    "JAX jit whole loop",
]
MINIBATCH_PEERS = [
    "glassnet.train",
    "glassnet.MLPClassifier",
    "scikit-learn",
    "PyTorch eager",
    "PyTorch fused Adam",
    "JAX jit step",
]


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------


def workloads(args: argparse.Namespace) -> dict[str, Callable[[], Workload]]:
    """The workloads to run, by name, built lazily (W3's data is 188 MB)."""
    if args.quick:
        return {
            "W1 float64": lambda: peers.w1(np.float64, n=200, epochs=20),
            "W1 float32": lambda: peers.w1(np.float32, n=200, epochs=20),
            "W2": lambda: peers.w2(n=2000, epochs=1),
            "W3": lambda: peers.w3(n=600, epochs=1, width=32, n_features=50),
        }
    return {
        "W1 float64": lambda: peers.w1(np.float64),
        "W1 float32": lambda: peers.w1(np.float32),
        "W2": lambda: peers.w2(),
        "W3": lambda: peers.w3(n=args.w3_samples, epochs=args.w3_epochs),
    }


def peers_for(name: str) -> list[str]:
    return W1_PEERS if name.startswith("W1") else MINIBATCH_PEERS


# ---------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------


def gemm_peak(quick: bool) -> dict[str, float]:
    """NumPy float32 GEMM GFLOP/s in this run: 2048³ and a W3 minibatch shape."""
    out = {}
    rng = np.random.default_rng(0)
    for label, (m, k, n) in {"2048^3": (2048, 2048, 2048), "512x784x512": (512, 784, 512)}.items():
        if quick:
            m, k, n = m // 8, k // 8, n // 8
        A = rng.random((m, k), dtype=np.float32)
        B = rng.random((k, n), dtype=np.float32)
        C = np.empty((m, n), dtype=np.float32)
        np.matmul(A, B, out=C)
        reps = max(3, int(2e9 / (2 * m * k * n)))
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(reps):
                np.matmul(A, B, out=C)
            times.append((time.perf_counter() - t0) / reps)
        out[label] = 2 * m * k * n / statistics.median(times) / 1e9
    return out


def matmul_seconds(wl: Workload, max_reps: int = 30) -> tuple[float, float]:
    """Time glassnet's matrix products for one training run, timed on their own.

    The products of each step, with the shapes glassnet's fast path uses: the
    forward ``X @ W`` of each layer, ``Xᵀ G`` and ``ones @ G`` of each layer,
    ``G Wᵀ`` of every layer but the first. Up to ``max_reps`` steps of each
    batch shape are replayed and scaled to the run's step count. Called right
    after each glassnet.train run so that both see the same machine load.
    Returns (seconds, FLOPs) for the whole run.
    """
    model = wl.initial_model()
    dense = [layer for layer in model.layers if isinstance(layer, gn.Dense)]
    sizes = [len(b) for b in wl.batches()[0]]
    rng = np.random.default_rng(0)
    total_s, total_flops = 0.0, 0.0
    for m in sorted(set(sizes)):
        count = sizes.count(m) * wl.epochs
        ops: list[Callable[[], object]] = []
        flops = 0.0
        for i, d in enumerate(dense):
            X: np.ndarray = rng.random((m, d.n_in)).astype(wl.dtype)
            G: np.ndarray = rng.random((m, d.n_out)).astype(wl.dtype)
            out: np.ndarray = np.empty((m, d.n_out), wl.dtype)
            ops += [
                partial(np.matmul, X, d.W, out=out),  # forward X @ W
                partial(np.matmul, X.T, G, out=np.empty_like(d.W)),  # ∂L/∂W = Xᵀ G
                partial(np.matmul, np.ones(m, wl.dtype), G, out=np.empty_like(d.b)),  # ∂L/∂b
            ]
            flops += 2 * 2 * m * d.n_in * d.n_out + 2 * m * d.n_out
            if i > 0:  # ∂L/∂X = G Wᵀ, not needed for the first layer
                ops.append(partial(np.matmul, G, d.W.T, out=np.empty((m, d.n_in), wl.dtype)))
                flops += 2 * m * d.n_in * d.n_out
        for op in ops:  # warm-up: first touch of the output buffers
            op()
        reps = max(1, min(max_reps, count))
        t0 = time.perf_counter()
        for _ in range(reps):
            for op in ops:
                op()
        total_s += (time.perf_counter() - t0) / reps * count
        total_flops += flops * count
    return total_s, total_flops


#: Pause before each timed run. A BLAS's idle worker threads keep spinning for ~0.1 s of
#: CPU after a call (measured here for both OpenBLAS copies, NumPy's and SciPy's), and so
#: do other pools; on 2 cores that spinning would slow whichever peer runs next.
SETTLE_S = 0.25


def run_rounds(
    wl: Workload, names: Sequence[str], rounds: int, share: bool = False
) -> dict[str, dict[str, Any]]:
    """Alternate the peers within each round (rotating the order); keep every time.

    With ``share``, each glassnet.train run is followed by a replay of its matrix
    products (:func:`matmul_seconds`), giving its share of time in matmul.
    """
    results: dict[str, dict[str, Any]] = {n: {"times": []} for n in names}
    for r in range(rounds):
        order = list(names[r % len(names) :]) + list(names[: r % len(names)])
        for name in order:
            rec = results[name]
            if "skipped" in rec or "error" in rec:
                continue
            time.sleep(SETTLE_S)
            try:
                out = RUNNERS[name](wl)
            except Exception as exc:  # a peer failing is reported, not fatal
                rec["error"] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            if "skipped" in out:
                rec["skipped"] = out["skipped"]
                continue
            rec["times"].append(out["seconds"])
            rec["accuracy"] = out["accuracy"]
            if name == "glassnet.train" and share:
                mm_s, flops = matmul_seconds(wl)
                rec.setdefault("matmul_shares", []).append(mm_s / out["seconds"])
                rec["flops"] = flops
            if "compile_s" in out:
                rec["compile_s"] = out["compile_s"]
    for rec in results.values():
        if rec["times"]:
            rec["median_s"] = statistics.median(rec["times"])
    return results


ACCURACY_PEERS = ["glassnet.train", "glassnet.MLPClassifier", "scikit-learn"]


def accuracy_over_seeds(wl: Workload, names: Sequence[str], seeds: int) -> dict[str, Any]:
    """Test accuracy of each peer for seeds 0 … seeds-1 (initial weights and shuffles).

    One seed's accuracy differs by a point or so between seeds, more than the
    ±0.5-point parity target: parity is judged on the mean.
    """
    out: dict[str, Any] = {}
    for name in names:
        accs = []
        for seed in range(seeds):
            res = RUNNERS[name](dataclasses.replace(wl, seed=seed))
            if "accuracy" not in res:
                break
            accs.append(res["accuracy"])
        if accs:
            out[name] = {
                "accuracies": accs,
                "mean": statistics.mean(accs),
                "sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
            }
    return out


#: What each peer imports before it trains: the memory children import it first and
#: report the peak after the imports (the baseline) apart from the peak of training.
MEMORY_IMPORTS: dict[str, list[str]] = {
    "glassnet.train": ["glassnet"],
    "glassnet.MLPClassifier": ["glassnet", "glassnet.estimator"],
    "scikit-learn": ["sklearn.neural_network"],
    "PyTorch eager": ["torch"],
    "JAX jit step": ["jax"],
}
MEMORY_PEERS = list(MEMORY_IMPORTS)


MEMORY_TEST_ROWS = 1000


def memory_child(peer: str, data: Path) -> None:
    """Run one peer on W2 in this (fresh) process and print its peak RSS in MB.

    The data come from .npy files written by the parent, so the peak is that of
    importing the peer and training, not of generating the data set. The peak
    after the imports alone is printed too (``import_mb``).
    """
    for module in MEMORY_IMPORTS.get(peer, []):
        if module.split(".")[0] not in peers.HIDDEN:
            peers.optional(module)
    import_mb = peak_rss_mb()
    wl = peers.w2_from(data, epochs=1)
    # Score on a few held-out rows only: predicting 20,000 rows at once would
    # put the peak in prediction, not in training.
    wl.X_test, wl.y_test = wl.X_test[:MEMORY_TEST_ROWS], wl.y_test[:MEMORY_TEST_ROWS]
    out = RUNNERS[peer](wl)
    rec = {"peer": peer, "peak_mb": peak_rss_mb(), "import_mb": import_mb}
    print(json.dumps({**rec, "skipped": out.get("skipped")}))


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` from /proc where there is one: Linux carries ``ru_maxrss`` over
    ``execve``, so a child started from a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure_memory(names: Sequence[str], quick: bool, without: Sequence[str]) -> dict[str, Any]:
    """Peak RSS of each peer training W2 for one epoch, each in a fresh process."""
    out: dict[str, Any] = {}
    wl = peers.w2(n=2000, epochs=1) if quick else peers.w2(epochs=1)
    with tempfile.TemporaryDirectory() as folder:
        peers.save_arrays(wl, Path(folder))
        del wl
        for name in names:
            cmd = [sys.executable, "-m", "benchmarks.run", "--memory-child", name]
            cmd += ["--memory-data", folder]
            cmd += ["--without", ",".join(without)] if without else []
            proc = subprocess.run(
                cmd, cwd=HERE.parent, capture_output=True, text=True, timeout=900, check=False
            )
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode != 0 or not lines:
                out[name] = {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:300]}
                continue
            rec = json.loads(lines[-1])
            if rec["skipped"]:
                out[name] = {"skipped": rec["skipped"]}
            else:
                out[name] = {"peak_mb": rec["peak_mb"], "import_mb": rec["import_mb"]}
    return out


def scaling(quick: bool, names: Sequence[str]) -> dict[str, Any]:
    """Seconds per epoch against n_samples (W2's network) and against the hidden width."""
    ns = [200, 1000, 5000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    widths = [8, 16, 32] if quick else [32, 128, 512, 1024]
    out: dict[str, Any] = {"n_samples": {}, "width": {}}
    for n in ns:
        epochs = 1 if n >= 100_000 else max(1, 10_000 // max(n, 1))
        wl = peers.w2(n=int(n / 0.8), epochs=epochs)
        res = run_rounds(wl, names, 1)
        out["n_samples"][n] = {k: v["median_s"] / epochs for k, v in res.items() if "median_s" in v}
    base = peers.w2(n=2_500 if quick else 25_000, epochs=1)
    for w in widths:  # the same data for every width
        res = run_rounds(dataclasses.replace(base, hidden=(w, w)), names, 1)
        out["width"][w] = {k: v["median_s"] for k, v in res.items() if "median_s" in v}
    return out


def machine_info() -> dict[str, Any]:
    import sklearn

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        info["cpu"] = names[0] if names else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    for mod in ("torch", "jax", "glassnet"):
        m = peers.optional(mod)
        info[mod] = getattr(m, "__version__", "?") if m is not None else "not installed"
    from glassnet.fast import kernels as _kernels
    from glassnet.fast.compiled import CompiledStep

    if _kernels.available():
        import numba

        threads = _kernels.parallel_threads()
        split = (
            f"batches of >= {2 * CompiledStep.MIN_SHARD_ROWS} rows split over {threads} "
            f"threads ({numba.threading_layer()} threading layer)"
            if threads > 1
            else f"batches not split ({numba.threading_layer()} threading layer)"
        )
        info["glassnet compiled kernels"] = (
            f"numba {numba.__version__}: the training step for runs of >= "
            f"{CompiledStep.MIN_WORK:.0e} parameters × samples × epochs (W2, W3), {split}; "
            f"the optimizer update for >= {_kernels.MIN_SIZE:,} parameters; loaded before "
            "the rounds (see 'one-time costs')"
        )
    else:
        info["glassnet compiled kernels"] = "none (numba not installed or GLASSNET_NO_NUMBA set)"
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            f"{d.get('internal_api')} {d.get('version')} ({d.get('num_threads')} threads, "
            f"{d.get('architecture', '')})"
            for d in threadpool_info()
        ]
    except ImportError:
        info["blas"] = ["threadpoolctl not installed"]
    return info


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def _fmt_rate(name: str, wl: Workload, seconds: float) -> str:
    if name.startswith("W1"):
        return f"{seconds / wl.epochs * 1e6:,.0f} µs/epoch"
    return f"{wl.samples / seconds:,.0f} samples/s"


def write_report(out: Path, report: dict[str, Any], plots: list[str]) -> None:
    lines = [
        "# glassnet benchmark results",
        "",
        "Written by `python -m benchmarks.run` "
        f"(arguments: `{' '.join(report['argv']) or '(defaults)'}`) on {report['date']}.",
        "All peers ran in one process, alternating within each round; times are medians "
        f"over {report['rounds']} rounds. **ratio** = peer's time / glassnet.train's time "
        "(above 1: glassnet is faster). The machine is shared and noisy: only the ratios "
        "of one run are comparable.",
        "",
        "## Machine",
        "",
    ]
    for k, v in report["machine"].items():
        lines.append(f"- **{k}**: {', '.join(v) if isinstance(v, list) else v}")
    peak = report["gemm_gflops"]
    lines += [
        "- **NumPy float32 GEMM in this run**: "
        + ", ".join(f"{k}: {v:.1f} GFLOP/s" for k, v in peak.items()),
    ]
    load = report.get("glassnet_load_s")
    if load is not None:
        lines.append(
            f"- **one-time costs**: glassnet's compiled step, {load:.2f} s in this process "
            "(importing numba and loading its cached machine code for float32 and float64, "
            "before the rounds; compiling it the first time ever takes ~11 s a dtype); JAX's "
            "compile times are in its notes below"
        )
    lines.append("")
    for name, w in report["workloads"].items():
        lines += [f"## {name}", "", w["description"], ""]
        lines += ["| peer | median time (s) | speed | ratio | test accuracy | note |"]
        lines += ["| --- | ---: | ---: | ---: | ---: | --- |"]
        for peer, rec in w["peers"].items():
            note = peers.NOTES.get(peer, "")
            if "median_s" in rec:
                extra = f"; compile {rec['compile_s']:.2f} s" if "compile_s" in rec else ""
                lines.append(
                    f"| {peer} | {rec['median_s']:.3f} | {rec['rate']} | "
                    f"{rec.get('ratio', float('nan')):.2f} | {rec['accuracy']:.4f} | "
                    f"{note}{extra} |"
                )
            else:
                why = rec.get("skipped") or rec.get("error", "?")
                lines.append(f"| {peer} | — | — | — | — | {why} |")
        seeds = w.get("accuracy_seeds")
        if seeds:
            n_seeds = max(len(r["accuracies"]) for r in seeds.values())
            lines += [
                "",
                f"Test accuracy over seeds 0–{n_seeds - 1} (initial weights and shuffles; "
                "mean ± standard deviation): "
                + "; ".join(f"{p} {r['mean']:.4f} ± {r['sd']:.4f}" for p, r in seeds.items())
                + ".",
            ]
        mm = w.get("matmul")
        if mm:
            lines += [
                "",
                f"glassnet.train spends **{mm['share']:.0%}** of its time in matrix "
                "multiplication (median over rounds of the products of a run replayed on "
                "their own right after it, divided by its training time; "
                f"{mm['seconds']:.3f} s of {mm['train_s']:.3f} s); it achieves "
                f"{mm['gflops']:.1f} GFLOP/s, {mm['gflops'] / peak['2048^3']:.0%} of the "
                "2048³ GEMM peak.",
            ]
        lines.append("")
    mem = report.get("memory")
    if mem:
        lines += [
            "## Peak memory on W2 (1 epoch, fresh process each)",
            "",
            "Each peer runs in its own process, which loads W2 from .npy files written "
            "beforehand (generating the data is not measured). **imports** is the peak "
            "after importing the peer's library, before the data are loaded; **training** "
            f"is peak − imports. Test accuracy is taken on {MEMORY_TEST_ROWS:,} rows only, "
            "so that prediction does not set the peak.",
            "",
            "| peer | peak RSS (MB) | imports (MB) | training (MB) | peak / scikit-learn's |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        sk = mem.get("scikit-learn", {}).get("peak_mb")
        for peer, rec in mem.items():
            if "peak_mb" in rec:
                ratio = f"{rec['peak_mb'] / sk:.2f}" if sk else "—"
                base = rec.get("import_mb")
                extra = f"{base:.0f} | {rec['peak_mb'] - base:.0f}" if base is not None else "— | —"
                lines.append(f"| {peer} | {rec['peak_mb']:.0f} | {extra} | {ratio} |")
            else:
                lines.append(f"| {peer} | {rec.get('skipped') or rec.get('error')} | — | — | — |")
        lines.append("")
    if plots:
        from glassnet.fast.compiled import CompiledStep

        lines += [
            "## Scaling",
            "",
            "Seconds per epoch with W2's network and settings (averaged over several epochs "
            "below 100,000 samples); the width plot trains 25,000 samples for one epoch at "
            "each width of both hidden layers. glassnet runs of at least "
            f"{CompiledStep.MIN_WORK:.0e} parameters × samples × epochs take the compiled "
            "step where numba is installed, the others the NumPy path.",
            "",
        ]
        lines += [f"![{p}]({p})" for p in plots]
        lines.append("")
    lines += report.get("verdict", [])
    lines += NOTES_MD
    (out / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


NOTES_MD = [
    "## Decisions and caveats",
    "",
    "- **Compiled training step (optional: `pip install 'glassnet[fast]'`, numba).** "
    "`glassnet.train`, and so `MLPClassifier.fit`, hands runs of `Dense → relu / leaky "
    "relu / identity → … → Dense` networks with a plain softmax cross-entropy and SGD, "
    "Adam or AdamW to one compiled function that runs up to 64 batches a call: the batch "
    "gather, the matrix products through the BLAS (`np.dot`, as NumPy does), bias and "
    "activation, the fused loss and ŷ − y, bias gradients summed inside the backward "
    "passes, l2, the guard's finiteness checks, clipping and the update. The formulas "
    "are the NumPy path's; the sums run in another order, so the numbers agree to "
    "rounding, not bit for bit (`tests/test_compiled_path.py`). Why: after the NumPy fast "
    "path, W2's step still made ~40 NumPy calls of a few µs each around its 8 matrix "
    "products; compiled, one W2 epoch went from ~0.17 s to ~0.095 s (same process, "
    "alternating) and W3's did not change (GEMM-bound). Which runs: those of at least "
    "5e9 parameters × samples × epochs (W2 and W3 as defined; not W1), decided from the "
    "call's own sizes and never from what ran before in the process, so a seeded run "
    "gives the same numbers in every process (on one machine: the shard count below "
    "follows the core count). The price: importing numba and loading the cached machine "
    "code costs ~0.3–0.45 s once per process (compiling it the first time ever ~11 s "
    "per dtype), paid here before the rounds (see 'one-time costs'), and numba's import "
    "adds ~63 MB to the process. tanh and logistic networks stay on "
    "NumPy, whose SIMD tanh and exp beat a compiled loop's scalar libm calls (W1: 355 "
    "against 182 µs an epoch). Without numba, or with `GLASSNET_NO_NUMBA=1`, every run "
    "takes the NumPy path, which the whole test suite covers.",
    "- **Minibatches split over the cores.** With 2+ threads in numba (one per core) and "
    "batches of 128+ rows, the compiled step cuts each minibatch into contiguous shards "
    "of rows, one a thread. Each thread gathers its rows and runs its shard's forward, "
    "loss and backward with a single-threaded BLAS, writing its part of the gradient "
    "(every row's term is already divided by the whole batch's size). The parts are "
    "then added in shard order, and the update runs in parallel on runs of the flat "
    "vector. Why: with OpenBLAS's two threads on the whole batch, each product's output "
    "lies half in the other core's cache, and the elementwise work, Adam above all, paid "
    "for fetching it. Measured per W2 step: Adam took 22 µs there against 6 µs with the "
    "products on one thread, and the 8 products took 173 µs on two half batches at "
    "once against 235 µs with OpenBLAS's threads. A whole W2 step fell from ~305 to "
    "~225 µs. It needs a numba threading layer whose idle threads spin (GNU OpenMP here, "
    "or TBB); on the workqueue layer, and in a child forked from a process that started "
    "OpenMP's threads (OpenMP cannot run there), batches are not split.",
    "- **Compiled optimizer update** (same extra; `python -m benchmarks.kernels` "
    "measures it): on the NumPy path, SGD/Adam/AdamW update flat vectors of ≥ 50,000 "
    "parameters in one compiled pass with the very same arithmetic (bit-identical in "
    "our runs): the Adam update on W3's network 3.4× faster (872 → 257 µs).",
    "- **W1's stretch goal** (JAX's whole loop compiled) is not met, and not chased: a "
    "compiled W1 step would need a vectorised tanh (numba has none without Intel's SVML), "
    "and W1's whole run (~0.36 s) is shorter than loading numba in a fresh process "
    "(~0.45 s), as it is shorter than JAX's own compilation (~0.5 s, left out of JAX's "
    "figure). glassnet.train is within 1.1× of JAX's jitted step there.",
    "- **W2 against scikit-learn.** scikit-learn's MLPClassifier does W2 in 1.41–1.53 s "
    "on this machine, 2.5× faster than the 111k samples/s of WORKLOADS.md's reference, so "
    "3× means ≤ 0.47–0.51 s. With OpenBLAS's two threads on whole batches the network's "
    "products alone took ~0.37 s of that (1,565 steps of 8 products, ~235 µs a step), and "
    "glassnet landed at 2.8–3.0× over seven full runs. Splitting the batches over the "
    "cores (above) brought a step to ~225 µs in all, 0.35–0.38 s for W2. Two smaller "
    "gains before it: the bias gradients summed in their own pass (10 → 4.4 µs a layer; "
    "fused into the masking loop, neither loop was vectorised) and the loss's row "
    "log-sums taken as the log of a float64 product (one log per ~200 rows instead of "
    "one a row). Tried and left out: prefetching the next batch's rows (no gain) and a "
    "hand-written vectorised exp for the loss (at most ~2.5% of a step; it needs "
    "bit-level tricks per dtype).",
    "- **Two BLAS copies.** The compiled step reaches the BLAS through SciPy's OpenBLAS "
    "(numba's binding); NumPy calls its own copy. Each keeps an idle worker thread "
    "spinning for ~0.1 s of CPU after a call (measured), so on 2 cores one copy's spinning "
    "worker slows the other's products. glassnet therefore also scores validation data "
    "(early stopping) inside the compiled code, and the harness pauses 0.25 s before "
    "each timed run so that no peer pays for the previous one's threads. While a split "
    "step runs, glassnet holds every BLAS at one thread (threadpoolctl, for that call "
    "only).",
    "- **matmul share** is the time of the run's products replayed on their own with "
    "NumPy, over the run's time. On W2 the replay pays NumPy's per-call overhead on 12,520 "
    "small products, which the compiled step does not, so it can exceed 100%: read it as "
    "'the products are nearly all the time'. On W3 (large products) it is a fair measure.",
    "- **Noise.** This machine has 2 cores shared with other workloads: a run's GEMM "
    "peak above shows how loaded it was (about 200 GFLOP/s when idle in our runs; "
    "WORKLOADS.md quotes 138). OpenBLAS with 2 threads slows down sharply when another "
    "process holds a core, which hits scikit-learn's small GEMMs (W2, W3), and "
    "glassnet's where batches are not split, hardest: the same whole-batch W2 run took "
    "0.50 s and 0.85–1.0 s within minutes, while the split step took 0.38 s and "
    "0.41–0.47 s in the same minutes. Only the "
    "ratios of one run are comparable; re-run with `--rounds 5` on a quiet machine "
    "before quoting them.",
    "- **W2 accuracy** is compared on the mean over seeds (one seed's accuracy moves by "
    "up to a point). The peers that take initial weights (glassnet.train, PyTorch, JAX) "
    "all start from the same Glorot-uniform weights with zero biases, scikit-learn's rule "
    "and glassnet.MLPClassifier's. (Started from He-uniform weights, as `glassnet.mlp` "
    "does for relu by default, glassnet.train was ~0.8 points below scikit-learn after "
    "5 epochs: the gap was the initialisation, not the training step.)",
    "- **Memory** is measured from .npy files written beforehand, so generating the data "
    "set is not counted; `import glassnet` does not import scikit-learn (the estimator "
    "loads on first use), so glassnet.train's baseline is NumPy's. "
    "glassnet.MLPClassifier's peak is scikit-learn's import: it is a scikit-learn "
    "estimator (BaseEstimator, ClassifierMixin, scikit-learn's input validation), and "
    "importing any part of scikit-learn here loads ~178 MB (scipy.stats, and pandas and "
    "pyarrow because they are installed). Its training memory (peak − imports) is below "
    "scikit-learn's. Meeting 0.7× for the estimator would take an estimator that never "
    "imports scikit-learn (duck-typed, with its own validation); we keep the contract "
    "instead. The memory runs train one epoch, below the compiled step's threshold; a "
    "run that takes the compiled step also pays numba's ~63 MB.",
    "- `--w3-epochs` / `--w3-samples` shorten W3 (default: the workload as defined, "
    "60,000 × 2 epochs); the arguments used are printed at the top.",
    "- Time per epoch is the training loop only: data generation, imports, JAX "
    "compilation and numba's loading (both shown separately) are excluded; the "
    "estimator's time includes its input validation.",
    "",
]


def verdict(report: dict[str, Any]) -> list[str]:
    """The issue's targets, each marked met or not from this run's numbers."""
    wls = report["workloads"]

    def ratio(w: str, peer: str) -> float | None:
        rec = wls.get(w, {}).get("peers", {}).get(peer, {})
        return rec.get("ratio")

    def est_ratio(w: str, peer: str) -> float | None:
        recs = wls.get(w, {}).get("peers", {})
        est, other = recs.get("glassnet.MLPClassifier", {}), recs.get(peer, {})
        if "median_s" in est and "median_s" in other:
            return float(other["median_s"] / est["median_s"])
        return None

    def mark(value: float | None, target: float) -> str:
        if value is None:
            return "not measured"
        return f"{value:.2f}× — {'met' if value >= target else 'NOT met'}"

    lines = ["## Targets of issue 5 (from this run)", ""]
    checks: list[tuple[str, float | None, float]] = []
    for w in ("W1 float64", "W1 float32"):
        for peer in ("scikit-learn", "PyTorch eager"):
            checks.append((f"{w}: glassnet.train vs {peer} ≥ 2×", ratio(w, peer), 2.0))
        checks.append(
            (f"{w} (stretch): vs JAX whole loop ≥ 1×", ratio(w, "JAX jit whole loop"), 1.0)
        )
    checks += [
        ("W2: MLPClassifier vs scikit-learn ≥ 3×", est_ratio("W2", "scikit-learn"), 3.0),
        ("W2: MLPClassifier vs JAX jit step ≥ 1.3×", est_ratio("W2", "JAX jit step"), 1.3),
        ("W2 (train loop): vs scikit-learn ≥ 3×", ratio("W2", "scikit-learn"), 3.0),
        ("W2 (train loop): vs JAX jit step ≥ 1.3×", ratio("W2", "JAX jit step"), 1.3),
    ]  # fmt: skip
    lines += [f"- {text}: {mark(value, target)}" for text, value, target in checks]
    w2 = wls.get("W2", {}).get("peers", {})
    seeds = wls.get("W2", {}).get("accuracy_seeds", {})
    sk = seeds.get("scikit-learn")
    for peer in ("glassnet.MLPClassifier", "glassnet.train"):
        if sk and peer in seeds:
            gap = 100 * (seeds[peer]["mean"] - sk["mean"])
            ok = "met" if abs(gap) <= 0.5 else "NOT met"
            lines.append(
                f"- W2 accuracy, {peer} − scikit-learn (mean over {len(sk['accuracies'])} "
                f"seeds) within ±0.5 points: {gap:+.2f} points — {ok}"
            )
        elif "accuracy" in w2.get(peer, {}) and "accuracy" in w2.get("scikit-learn", {}):
            gap = 100 * (w2[peer]["accuracy"] - w2["scikit-learn"]["accuracy"])
            lines.append(f"- W2 accuracy, {peer} − scikit-learn (seed 0): {gap:+.2f} points")
    mm = wls.get("W3", {}).get("matmul")
    if mm:
        ok = "met" if mm["share"] >= 0.85 else "NOT met"
        lines.append(f"- W3: share of time in matmul ≥ 85%: {mm['share']:.0%} — {ok}")
    lines.append(
        f"- W3: vs PyTorch fused Adam ≥ 1×: {mark(ratio('W3', 'PyTorch fused Adam'), 1.0)}"
    )
    mem = report.get("memory", {})
    s = mem.get("scikit-learn", {}).get("peak_mb")
    for peer in ("glassnet.train", "glassnet.MLPClassifier"):
        g = mem.get(peer, {}).get("peak_mb")
        if g and s:
            ok = "met" if g / s <= 0.7 else "NOT met"
            lines.append(f"- W2 peak memory, {peer} ≤ 0.7× scikit-learn: {g / s:.2f}× — {ok}")
    return [*lines, ""]


def make_plots(out: Path, scale: dict[str, Any]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    for key, xlabel, fname in (
        ("n_samples", "training samples (W2 network, per epoch)", "scaling_samples.png"),
        ("width", "hidden width (W2 data, 2 hidden layers, 1 epoch)", "scaling_width.png"),
    ):
        data = scale[key]
        fig, ax = plt.subplots(figsize=(6, 4))
        xs = sorted(data, key=float)
        for peer in sorted({p for v in data.values() for p in v}):
            pts = [(float(x), data[x][peer]) for x in xs if peer in data[x]]
            ax.plot(*zip(*pts, strict=True), marker="o", label=peer)
        ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="seconds")
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(out / fname, dpi=100)
        plt.close(fig)
        files.append(fname)
    return files


def load_compiled() -> float | None:
    """Import numba, load glassnet's compiled step for both dtypes, start its threads.

    Returns the seconds: the one-time cost of a process that trains a large
    enough model (it compiles, ~11 s per dtype, the first time ever; later
    processes load the cached code). It is paid here, before the rounds, as
    JAX's compilation is paid outside them. 256 rows in one batch: enough to be
    split over the threads (so numba's threading layer and the BLAS controller
    start here too).
    """
    from glassnet.fast import kernels as _kernels

    if not _kernels.available():
        return None
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        X = rng.standard_normal((256, 3))
        model = gn.mlp([3, 4, 2], "relu", rng=0, dtype=dtype)
        gn.train(
            model, gn.SoftmaxCrossEntropy(), gn.Adam(), X, X[:, 0] > 0, epochs=1, route="compiled"
        )
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per workload")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for RESULTS.md and plots")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W2")
    parser.add_argument("--w3-epochs", type=int, default=2)
    parser.add_argument("--w3-samples", type=int, default=60_000)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--accuracy-seeds", type=int, default=5, help="seeds for W2's mean test accuracy"
    )
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--without", default="", help="treat these modules as not installed")
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--memory-data", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    without = [m for m in args.without.split(",") if m]
    peers.HIDDEN.update(without)
    if args.memory_child:
        memory_child(args.memory_child, args.memory_data)
        return {}
    rounds = args.rounds or (2 if args.quick else 3)
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "argv": list(sys.argv[1:] if argv is None else argv),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "rounds": rounds,
        "machine": machine_info(),
        "gemm_gflops": gemm_peak(args.quick),
        "glassnet_load_s": load_compiled(),
        "workloads": {},
    }
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    for name, build in workloads(args).items():
        if only and not any(name.startswith(o) for o in only):
            continue
        wl = build()
        n_rounds = rounds if not name.startswith("W3") else max(1, min(rounds, 3))
        print(
            f"[bench] {name}: {wl.X.shape[0]} samples × {wl.epochs} epochs, {n_rounds} rounds",
            flush=True,
        )
        res = run_rounds(wl, peers_for(name), n_rounds, share=True)
        base = res["glassnet.train"].get("median_s")
        for rec in res.values():
            if "median_s" in rec:
                rec["rate"] = _fmt_rate(name, wl, rec["median_s"])
                if base:
                    rec["ratio"] = rec["median_s"] / base
        entry: dict[str, Any] = {
            "description": (
                f"{wl.X.shape[0]:,} training samples, network {' → '.join(map(str, wl.sizes))} "
                f"({wl.activation}), {wl.solver} lr {wl.lr}, batch "
                f"{'full' if wl.batch_size is None else wl.batch_size}, {wl.epochs} epochs, "
                f"{np.dtype(wl.dtype).name}. {wl.note}"
            ).strip(),
            "peers": res,
        }
        shares = res["glassnet.train"].get("matmul_shares")
        if base and shares:
            share = statistics.median(shares)
            entry["matmul"] = {
                "seconds": share * base,
                "train_s": base,
                "share": share,
                "gflops": res["glassnet.train"]["flops"] / base / 1e9,
            }
        if name == "W2" and args.accuracy_seeds > 1:
            print(f"[bench] W2 accuracy over {args.accuracy_seeds} seeds", flush=True)
            entry["accuracy_seeds"] = accuracy_over_seeds(wl, ACCURACY_PEERS, args.accuracy_seeds)
        report["workloads"][name] = entry
        del wl
    if not args.no_memory:
        print("[bench] peak memory, one fresh process per peer", flush=True)
        report["memory"] = measure_memory(MEMORY_PEERS, args.quick, without)
    plots: list[str] = []
    if not args.no_scaling:
        print("[bench] scaling", flush=True)
        scale = scaling(args.quick, ["glassnet.train", "scikit-learn"])
        report["scaling"] = scale
        plots = make_plots(args.out, scale)
    report["verdict"] = verdict(report)
    write_report(args.out, report, plots)
    (args.out / "results.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    print(f"[bench] wrote {args.out / 'RESULTS.md'}", flush=True)
    return report


if __name__ == "__main__":
    main()
