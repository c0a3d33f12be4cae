"""The benchmark harness runs end to end on tiny sizes and writes outputs that parse.

No time is asserted here: speed is measured only by the harness, as ratios.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (ROOT / "benchmarks" / "run.py").exists():
        pytest.skip("needs the source checkout")
    out = tmp_path_factory.mktemp("bench")
    cmd = [
        sys.executable, "-m", "benchmarks.run", "--quick", "--rounds", "1",
        "--only", "W1 float32,W2", "--without", "torch,jax", "--out", str(out),
        "--accuracy-seeds", "2",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_results_json_has_every_peer_and_a_ratio(smoke: Path) -> None:
    report = json.loads((smoke / "results.json").read_text())
    assert set(report["workloads"]) == {"W1 float32", "W2"}
    for w in report["workloads"].values():
        base = w["peers"]["glassnet.train"]
        assert base["ratio"] == pytest.approx(1.0)
        # Every timed peer's ratio is its median time over glassnet.train's.
        timed = {name: rec for name, rec in w["peers"].items() if "median_s" in rec}
        assert "scikit-learn" in timed
        for rec in timed.values():
            assert rec["ratio"] == pytest.approx(rec["median_s"] / base["median_s"])
        assert 0.0 <= base["accuracy"] <= 1.0
        assert w["peers"]["scikit-learn"]["median_s"] > 0
        assert w["matmul"]["share"] > 0
    assert report["gemm_gflops"]["2048^3"] > 0
    assert report["memory"]["glassnet.train"]["peak_mb"] > 0
    seeds = report["workloads"]["W2"]["accuracy_seeds"]
    assert set(seeds) == {"glassnet.train", "glassnet.MLPClassifier", "scikit-learn"}
    assert all(len(r["accuracies"]) == 2 and 0 <= r["mean"] <= 1 for r in seeds.values())
    mem = report["memory"]["glassnet.train"]
    assert 0 < mem["import_mb"] <= mem["peak_mb"]


def test_missing_peers_are_reported_not_crashed(smoke: Path) -> None:
    report = json.loads((smoke / "results.json").read_text())
    w2 = report["workloads"]["W2"]["peers"]
    for peer in ("PyTorch eager", "PyTorch fused Adam", "JAX jit step"):
        assert w2[peer]["skipped"] == "not installed"
    assert report["memory"]["PyTorch eager"]["skipped"] == "not installed"
    assert report["machine"]["torch"] == "not installed"


def test_markdown_report_and_plots_are_written(smoke: Path) -> None:
    text = (smoke / "RESULTS.md").read_text()
    assert "| glassnet.train |" in text
    assert "## Targets of issue 5" in text
    for name in ("scaling_samples.png", "scaling_width.png"):
        assert (smoke / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in text


def test_the_sparse_workload_runs_and_reports_every_peer(tmp_path: Path) -> None:
    if not (ROOT / "benchmarks" / "sparse.py").exists():
        pytest.skip("needs the source checkout")
    cmd = [sys.executable, "-m", "benchmarks.sparse", "--quick", "--rounds", "1", "--out",
           str(tmp_path)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [ln for ln in (tmp_path / "SPARSE.md").read_text().splitlines() if ln.startswith("| ")]
    peers = {row.split("|")[1].strip(): row.split("|") for row in rows[2:]}
    assert set(peers) == {"glassnet.MLPClassifier", "glassnet.MLPClassifier (no numba)",
                          "scikit-learn"}  # fmt: skip
    assert float(peers["glassnet.MLPClassifier"][3]) == 1.0  # the ratios' base
    assert all(float(p[3]) > 0 and float(p[5]) > 0 for p in peers.values())  # ratio, memory
    assert "route: fast" in peers["glassnet.MLPClassifier"][6]
