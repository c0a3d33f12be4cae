"""Side-by-side benchmark of glassnet against scikit-learn, PyTorch and JAX.

Run from the repository root::

    python -m benchmarks.run                 # the workloads of WORKLOADS.md (~6 minutes)
    python -m benchmarks.run --w3-epochs 1   # a shorter W3, stated in RESULTS.md
    python -m benchmarks.run --only W4       # one workload (or several: --only W1,W2)
    python -m benchmarks.run --only W4 --w4-rows 10000   # a smaller W4
    python -m benchmarks.run --quick         # tiny sizes: checks that everything runs

It writes ``RESULTS.md``, ``results.json`` and two plots into ``--out``
(default: ``benchmarks/``). Peers that are not installed are reported as such.

Method: every peer trains the same workload; the peers alternate within each
round (the order rotates), and the report gives the median over rounds and each
peer's time divided by glassnet's (above 1: glassnet is faster). Only ratios
from one run mean anything on a shared, noisy machine. Peak memory is measured
per peer in a fresh process (``VmHWM``), imports included.

glassnet runs twice on each workload: as ``pip install 'glassnet[fast]'`` runs it
(numba, where installed) and as a plain install runs it (the "(plain install)"
peers: ``GLASSNET_NO_NUMBA=1`` around the call, and in their memory children,
which then never import numba). W1 and W2 also run as short fits ("short": 300
epochs, 2 epochs), where one-time costs weigh more.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn

from . import memory, peers, sparse
from .peers import PLAIN, Workload
from .report import make_plots, verdict, write_report

HERE = Path(__file__).resolve().parent

#: Every peer's runner, by name: the dense workloads' and W4's.
RUNNERS = {**peers.RUNNERS, **sparse.RUNNERS}

GLASSNET = ["glassnet.train", "glassnet.MLPClassifier"]
GLASSNET_BOTH = [*GLASSNET, *(g + PLAIN for g in GLASSNET)]
W1_PEERS = [
    *GLASSNET_BOTH,
    "scikit-learn",
    "PyTorch eager",
    "JAX jit step",
    "JAX jit whole loop",
]
MINIBATCH_PEERS = [
    *GLASSNET_BOTH,
    "scikit-learn",
    "PyTorch eager",
    "PyTorch fused Adam",
    "JAX jit step",
]
#: W3's runs are the longest: the plain install's estimator, which adds nothing the
#: plain training loop does not show there (GEMM-bound), is left out.
W3_PEERS = [p for p in MINIBATCH_PEERS if p != "glassnet.MLPClassifier" + PLAIN]
W4_PEERS = [*GLASSNET_BOTH, "scikit-learn", "PyTorch sparse", "PyTorch sparse, fused Adam"]
#: W4's memory: one PyTorch run stands for both (the optimizer's state is the same).
W4_MEMORY_PEERS = W4_PEERS[:-1]

#: The short fits beside the long ones: epochs (the quick run's in brackets).
SHORT_W1_EPOCHS, SHORT_W2_EPOCHS = 300, 2


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------


def workloads(args: argparse.Namespace) -> dict[str, Callable[[], Workload]]:
    """The workloads to run, by name, built lazily (W3's data is 188 MB)."""
    if args.quick:
        return {
            "W1 float64": lambda: peers.w1(np.float64, n=200, epochs=20),
            "W1 float64 short": lambda: peers.w1(np.float64, n=200, epochs=5),
            "W1 float32": lambda: peers.w1(np.float32, n=200, epochs=20),
            "W1 float32 short": lambda: peers.w1(np.float32, n=200, epochs=5),
            "W2": lambda: peers.w2(n=2000, epochs=1),
            "W2 short": lambda: peers.w2(n=1000, epochs=1),
            "W3": lambda: peers.w3(n=600, epochs=1, width=32, n_features=50),
            "W4": lambda: sparse.w4(n=2000, d=500, density=0.01, epochs=1),
        }
    return {
        "W1 float64": lambda: peers.w1(np.float64),
        "W1 float64 short": lambda: peers.w1(np.float64, epochs=SHORT_W1_EPOCHS),
        "W1 float32": lambda: peers.w1(np.float32),
        "W1 float32 short": lambda: peers.w1(np.float32, epochs=SHORT_W1_EPOCHS),
        "W2": lambda: peers.w2(),
        "W2 short": lambda: peers.w2(epochs=SHORT_W2_EPOCHS),
        "W3": lambda: peers.w3(n=args.w3_samples, epochs=args.w3_epochs),
        "W4": lambda: sparse.w4(n=args.w4_rows, d=args.w4_features),
    }


def peers_for(name: str) -> list[str]:
    """The peers that run workload ``name``."""
    if name.startswith("W1"):
        return W1_PEERS
    return {"W3": W3_PEERS, "W4": W4_PEERS}.get(name, MINIBATCH_PEERS)


def selected(name: str, only: Sequence[str]) -> bool:
    """Whether ``--only`` picks workload ``name``: "W1" picks all four W1 runs, "W2" both W2."""
    return not only or any(name == o or name.startswith(o + " ") for o in only)


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
            if out.get("route"):
                rec["route"] = out["route"]
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


#: The peers whose peak memory is measured on W2 (one epoch, a fresh process each).
MEMORY_PEERS = [*GLASSNET_BOTH, "scikit-learn", "PyTorch eager", "JAX jit step"]


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
            f"batches of >= {2 * CompiledStep.MIN_SHARD_ROWS} rows and "
            f">= {CompiledStep.MIN_SHARD_WORK:,} rows × parameters a shard split over {threads} "
            f"threads ({numba.threading_layer()} threading layer)"
            if threads > 1
            else f"batches not split ({numba.threading_layer()} threading layer)"
        )
        info["glassnet compiled kernels"] = (
            f"numba {numba.__version__}: the training step for every run its kernels "
            f"restate (loaded before the rounds, so route='auto' takes it), {split}; "
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


def _fmt_rate(name: str, wl: Workload, seconds: float) -> str:
    if name.startswith("W1"):
        return f"{seconds / wl.epochs * 1e6:,.0f} µs/epoch"
    return f"{wl.samples / seconds:,.0f} samples/s"


def describe(wl: Workload) -> str:
    """One sentence: the workload's sizes and settings."""
    return (
        f"{wl.X.shape[0]:,} training samples, network {' → '.join(map(str, wl.sizes))} "
        f"({wl.activation}), {wl.solver} lr {wl.lr}, batch "
        f"{'full' if wl.batch_size is None else wl.batch_size}, {wl.epochs} epochs, "
        f"{np.dtype(wl.dtype).name}. {wl.note}"
    ).strip()


def run_workload(name: str, wl: Workload, rounds: int, args: argparse.Namespace) -> dict:
    """Time every peer on one workload; ratios, matmul share, W2's seeds, W4's memory."""
    n_rounds = rounds if not name.startswith("W3") else max(1, min(rounds, 3))
    print(
        f"[bench] {name}: {wl.X.shape[0]} samples × {wl.epochs} epochs, {n_rounds} rounds",
        flush=True,
    )
    res = run_rounds(wl, peers_for(name), n_rounds, share=name != "W4")
    base = res["glassnet.train"].get("median_s")
    plain = res.get("glassnet.train" + PLAIN, {}).get("median_s")
    for rec in res.values():
        if "median_s" in rec:
            rec["rate"] = _fmt_rate(name, wl, rec["median_s"])
            if base:
                rec["ratio"] = rec["median_s"] / base
            if plain:
                rec["vs_plain"] = rec["median_s"] / plain
    entry: dict[str, Any] = {"description": describe(wl), "epochs": wl.epochs, "peers": res}
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
    if name == "W4" and not args.no_memory:
        print("[bench] W4 peak memory, one fresh process per peer", flush=True)
        entry["memory"] = memory.measure(wl, W4_MEMORY_PEERS, args.without_list)
    return entry


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the selected workloads and write RESULTS.md and results.json."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per workload")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for RESULTS.md and plots")
    parser.add_argument(
        "--only", default="", help="comma-separated workloads, e.g. W1,W2 (W1: all four W1 runs)"
    )
    parser.add_argument("--w3-epochs", type=int, default=2)
    parser.add_argument("--w3-samples", type=int, default=60_000)
    parser.add_argument("--w4-rows", type=int, default=50_000, help="W4's rows (80%% to train)")
    parser.add_argument("--w4-features", type=int, default=20_000, help="W4's columns")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--accuracy-seeds", type=int, default=5, help="seeds for W2's mean test accuracy"
    )
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--without", default="", help="treat these modules as not installed")
    args = parser.parse_args(argv)
    args.without_list = [m for m in args.without.split(",") if m]
    peers.HIDDEN.update(args.without_list)
    rounds = args.rounds or (2 if args.quick else 3)
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "argv": list(sys.argv[1:] if argv is None else argv),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "rounds": rounds,
        "machine": machine_info(),
        "gemm_gflops": gemm_peak(args.quick),
        "glassnet_load_s": load_compiled(),
        "memory_test_rows": memory.TEST_ROWS,
        "workloads": {},
    }
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    for name, build in workloads(args).items():
        if selected(name, only):
            report["workloads"][name] = run_workload(name, build(), rounds, args)
    # W2's memory and the scaling plots use W2's network: run with W2.
    with_w2 = selected("W2", only)
    if with_w2 and not args.no_memory:
        print("[bench] W2 peak memory, one fresh process per peer", flush=True)
        wl = peers.w2(n=2000, epochs=1) if args.quick else peers.w2(epochs=1)
        report["memory"] = memory.measure(wl, MEMORY_PEERS, args.without_list)
    plots: list[str] = []
    if with_w2 and not args.no_scaling:
        print("[bench] scaling", flush=True)
        scale = scaling(args.quick, ["glassnet.train", "scikit-learn"])
        report["scaling"] = scale
        plots = make_plots(args.out, scale)
    report["verdict"] = verdict(report)
    write_report(args.out, report, plots)
    (args.out / "results.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    print("\n".join(report["verdict"]), flush=True)
    print(f"[bench] wrote {args.out / 'RESULTS.md'}", flush=True)
    return report


if __name__ == "__main__":
    main()
