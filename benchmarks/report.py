"""RESULTS.md from the harness's report: the summary, the tables, the targets, the plots.

:func:`write_report` writes the file; :func:`verdict` marks each issue's target met
or not from the run's own numbers (the harness prints it too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import peers, sparse
from .notes import NOTES_MD
from .peers import PLAIN

NOTES = {**peers.NOTES, **sparse.NOTES}

#: The glassnet entry point each workload's targets judge: the training loop where the
#: issue compares loops (W1, W3), the estimator where it compares estimators (W2, W4).
JUDGED = {
    "W1": "glassnet.train",
    "W2": "glassnet.MLPClassifier",
    "W3": "glassnet.train",
    "W4": "glassnet.MLPClassifier",
}

#: The summary's peers; on W4 PyTorch runs as "PyTorch sparse".
SUMMARY_PEERS = ("scikit-learn", "PyTorch eager", "JAX jit step", "JAX jit whole loop")

Report = dict[str, Any]


def judged(workload: str) -> str:
    """The glassnet peer the targets of ``workload`` ("W2 short", say) are judged on."""
    return JUDGED.get(workload.split()[0], "glassnet.train")


def speedup(report: Report, workload: str, glassnet: str, peer: str) -> float | None:
    """``peer``'s median time over ``glassnet``'s on ``workload``; None where either is missing."""
    recs = report["workloads"].get(workload, {}).get("peers", {})
    g, other = recs.get(glassnet, {}), recs.get(peer, {})
    if "median_s" in g and "median_s" in other:
        return float(other["median_s"] / g["median_s"])
    return None


def memory_of(report: Report, workload: str) -> dict[str, Any]:
    """The peak-memory records measured for ``workload`` (W2's one-epoch runs, W4's fits)."""
    if workload == "W2":
        return dict(report.get("memory") or {})
    return dict(report["workloads"].get(workload, {}).get("memory") or {})


def lighter(report: Report, workload: str, glassnet: str) -> float | None:
    """``glassnet``'s peak memory over scikit-learn's on ``workload``; None if not measured."""
    mem = memory_of(report, workload)
    g = mem.get(glassnet, {}).get("peak_mb")
    s = mem.get("scikit-learn", {}).get("peak_mb")
    return float(g / s) if g and s else None


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def summary(report: Report) -> list[str]:
    """Per workload: glassnet as a plain install and with [fast] against the other peers."""
    lines = [
        "## Summary",
        "",
        "Speed-up of glassnet over each peer in this run (the peer's median time / "
        "glassnet's; above 1: glassnet is faster), and glassnet's peak memory over "
        "scikit-learn's where it was measured (below 1: lighter). **plain** is "
        "`pip install glassnet` (numba switched off: `GLASSNET_NO_NUMBA=1`), **[fast]** "
        "is `pip install 'glassnet[fast]'` (numba). W1 and W3 compare `glassnet.train` "
        "with the peers' loops, W2 and W4 `glassnet.MLPClassifier` with theirs; on W4 "
        "PyTorch is its `torch.sparse` runner.",
        "",
        "| workload | glassnet | vs scikit-learn | vs PyTorch eager | vs JAX jit step "
        "| vs JAX whole loop | peak memory / scikit-learn |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in report["workloads"]:
        base = judged(name)
        for install, peer in (("plain", base + PLAIN), ("[fast]", base)):
            cells = []
            for other in SUMMARY_PEERS:
                if name.startswith("W4") and other == "PyTorch eager":
                    other = "PyTorch sparse"
                cells.append(_x(speedup(report, name, peer, other)))
            cells.append(_x(lighter(report, name, peer)))
            lines.append(f"| {name} | {base} {install} | {' | '.join(cells)} |")
    return [*lines, ""]


def _peer_table(w: dict[str, Any]) -> list[str]:
    lines = [
        "| peer | median time (s) | speed | ratio | vs plain | test accuracy | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for peer, rec in w["peers"].items():
        note = NOTES.get(peer, "")
        if "median_s" in rec:
            parts = [note] if note else []
            parts += [f"compile {rec['compile_s']:.2f} s"] if "compile_s" in rec else []
            parts += [f"route {rec['route']}"] if rec.get("route") else []
            vs_plain = f"{rec['vs_plain']:.2f}" if "vs_plain" in rec else "—"
            lines.append(
                f"| {peer} | {rec['median_s']:.3f} | {rec['rate']} | "
                f"{rec.get('ratio', float('nan')):.2f} | {vs_plain} | {rec['accuracy']:.4f} | "
                f"{'; '.join(parts)} |"
            )
        else:
            why = rec.get("skipped") or rec.get("error", "?")
            lines.append(f"| {peer} | — | — | — | — | — | {why} |")
    return lines


def memory_table(mem: dict[str, Any]) -> list[str]:
    """Peak RSS per peer, its imports' share and its ratio to scikit-learn's."""
    lines = [
        "| peer | peak RSS (MB) | imports (MB) | training (MB) | peak / scikit-learn's "
        "| numba loaded |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    sk = mem.get("scikit-learn", {}).get("peak_mb")
    for peer, rec in mem.items():
        if "peak_mb" in rec:
            ratio = f"{rec['peak_mb'] / sk:.2f}" if sk else "—"
            base = rec.get("import_mb")
            extra = f"{base:.0f} | {rec['peak_mb'] - base:.0f}" if base is not None else "— | —"
            numba = {True: "yes", False: "no"}.get(rec.get("numba"), "—")
            lines.append(f"| {peer} | {rec['peak_mb']:.0f} | {extra} | {ratio} | {numba} |")
        else:
            why = rec.get("skipped") or rec.get("error")
            lines.append(f"| {peer} | {why} | — | — | — | — |")
    return [*lines, ""]


def write_report(out: Path, report: Report, plots: list[str]) -> None:
    """Write RESULTS.md into ``out``."""
    lines = [
        "# glassnet benchmark results",
        "",
        "Written by `python -m benchmarks.run` "
        f"(arguments: `{' '.join(report['argv']) or '(defaults)'}`) on {report['date']}.",
        "All peers ran in one process, alternating within each round; times are medians "
        f"over {report['rounds']} rounds. **ratio** = peer's time / glassnet.train's time "
        "(above 1: glassnet is faster); **vs plain** = peer's time / the time of "
        "glassnet.train as a plain install (numba switched off). The machine is shared and "
        "noisy: only the ratios of one run are comparable.",
        "",
        *summary(report),
        *report.get("verdict", []),
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
        lines += [f"## {name}", "", w["description"], "", *_peer_table(w)]
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
        if w.get("memory"):
            lines += [
                "",
                f"Peak memory on {name}: each peer in a fresh process that imports its "
                "library, loads the saved CSR matrices (`scipy.sparse.load_npz`) and fits "
                "the whole workload; the plain-install peers run with `GLASSNET_NO_NUMBA=1` "
                "in their environment, so numba is never imported. A dense copy of X would "
                "add ~4 bytes × rows × features.",
                "",
                *memory_table(w["memory"]),
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
            "is peak − imports. Test accuracy is taken on "
            f"{report.get('memory_test_rows', 0):,} rows only, so that prediction does not "
            "set the peak. The plain-install peers run with `GLASSNET_NO_NUMBA=1` in their "
            "environment; **numba loaded** says whether the process imported numba.",
            "",
            *memory_table(mem),
        ]
    if plots:
        lines += [
            "## Scaling",
            "",
            "Seconds per epoch with W2's network and settings (averaged over several epochs "
            "below 100,000 samples); the width plot trains 25,000 samples for one epoch at "
            "each width of both hidden layers. glassnet takes the compiled step where numba "
            "is installed (loaded before the runs, so route='auto' finds nothing left to pay), "
            "the NumPy path otherwise.",
            "",
        ]
        lines += [f"![{p}]({p})" for p in plots]
        lines.append("")
    lines += NOTES_MD
    (out / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _mark(value: float | None, target: float) -> str:
    if value is None:
        return "not measured"
    return f"{value:.2f}× — {'met' if value >= target else 'NOT met'}"


def _epochs(report: Report, workload: str) -> str:
    epochs = report["workloads"].get(workload, {}).get("epochs")
    if not epochs:
        return workload
    return f"{workload} ({epochs:,} epoch{'s' if epochs > 1 else ''})"


def verdict_fast_by_default(report: Report) -> list[str]:
    """Issue 15's targets: each for glassnet as a plain install and with [fast]."""
    wls = report["workloads"]
    lines = [
        "## Targets of issue 15, fast by default (from this run)",
        "",
        "Each target for glassnet as a plain install (numba switched off) and with [fast] (numba).",
        "",
    ]

    def both(w: str, peer: str, target: float, text: str = "") -> None:
        if w not in wls:
            return
        base = judged(w)
        p = speedup(report, w, base + PLAIN, peer)
        f = speedup(report, w, base, peer)
        lines.append(
            f"- {_epochs(report, w)}: {base} vs {peer} ≥ {target:g}×{text}: "
            f"plain install {_mark(p, target)}; [fast] {_mark(f, target)}"
        )

    for w in ("W2 short", "W2"):
        both(w, "scikit-learn", 3.0)
    for w in ("W1 float64 short", "W1 float64", "W1 float32 short", "W1 float32"):
        for peer in ("scikit-learn", "PyTorch eager"):
            both(w, peer, 2.0)
        both(w, "JAX jit whole loop", 1.0)
    both("W3", "JAX jit step", 1.0)
    if "W4" in wls:
        both("W4", "scikit-learn", 1.0, " (faster)")
        base = judged("W4")
        marks = []
        for install, peer in (("plain install", base + PLAIN), ("[fast]", base)):
            r = lighter(report, "W4", peer)
            ok = "not measured" if r is None else f"{r:.2f}× — {'met' if r < 1 else 'NOT met'}"
            marks.append(f"{install} {ok}")
        lines.append(
            f"- W4: {base} peak memory / scikit-learn's < 1× (lighter): {'; '.join(marks)}"
        )
    return [*lines, ""]


def verdict(report: Report) -> list[str]:
    """The issues' targets, each marked met or not from this run's numbers."""
    wls = report["workloads"]

    def ratio(w: str, peer: str) -> float | None:
        return speedup(report, w, "glassnet.train", peer)

    def est_ratio(w: str, peer: str) -> float | None:
        return speedup(report, w, "glassnet.MLPClassifier", peer)

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
    lines += [f"- {text}: {_mark(value, target)}" for text, value, target in checks]
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
        f"- W3: vs PyTorch fused Adam ≥ 1×: {_mark(ratio('W3', 'PyTorch fused Adam'), 1.0)}"
    )
    for peer in ("glassnet.train", "glassnet.MLPClassifier"):
        r = lighter(report, "W2", peer)
        if r is not None:
            ok = "met" if r <= 0.7 else "NOT met"
            lines.append(f"- W2 peak memory, {peer} ≤ 0.7× scikit-learn: {r:.2f}× — {ok}")
    return [*verdict_fast_by_default(report), *lines, ""]


def make_plots(out: Path, scale: dict[str, Any]) -> list[str]:
    """The two scaling plots (per sample count, per width) as PNG files in ``out``."""
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
