"""The benchmark harness runs end to end on tiny sizes and writes outputs that parse.

No time is asserted here: speed is measured only by the harness, as ratios. One
smoke run (W1 float32, W2 and W4, each with its short fit where it has one)
serves the tests that read its outputs; PyTorch and JAX are hidden, so the run
needs neither and shows how missing peers are reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLAIN = " (plain install)"

pytestmark = pytest.mark.skipif(
    not (ROOT / "benchmarks" / "run.py").exists(), reason="needs the source checkout"
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    cmd = [
        sys.executable, "-m", "benchmarks.run", "--quick", "--rounds", "1",
        "--only", "W1 float32,W2,W4", "--without", "torch,jax", "--out", str(out),
        "--accuracy-seeds", "2",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def report(smoke: Path) -> dict[str, Any]:
    return dict(json.loads((smoke / "results.json").read_text()))


def test_results_json_has_every_peer_and_a_ratio(report: dict[str, Any]) -> None:
    assert set(report["workloads"]) == {"W1 float32", "W1 float32 short", "W2", "W2 short", "W4"}
    for w in report["workloads"].values():
        base = w["peers"]["glassnet.train"]
        plain = w["peers"]["glassnet.train" + PLAIN]
        assert base["ratio"] == pytest.approx(1.0)
        assert plain["vs_plain"] == pytest.approx(1.0)
        # Every timed peer's ratios are its median time over glassnet.train's, plain or not.
        timed = {name: rec for name, rec in w["peers"].items() if "median_s" in rec}
        assert {"scikit-learn", "glassnet.MLPClassifier" + PLAIN} <= set(timed)
        for rec in timed.values():
            assert rec["ratio"] == pytest.approx(rec["median_s"] / base["median_s"])
            assert rec["vs_plain"] == pytest.approx(rec["median_s"] / plain["median_s"])
        assert 0.0 <= base["accuracy"] <= 1.0
    assert report["workloads"]["W1 float32 short"]["epochs"] == 5  # the quick short fit
    assert report["workloads"]["W2"]["matmul"]["share"] > 0
    assert report["gemm_gflops"]["2048^3"] > 0
    seeds = report["workloads"]["W2"]["accuracy_seeds"]
    assert set(seeds) == {"glassnet.train", "glassnet.MLPClassifier", "scikit-learn"}
    assert all(len(r["accuracies"]) == 2 and 0 <= r["mean"] <= 1 for r in seeds.values())


def test_sparse_workload_keeps_x_sparse_on_glassnets_fast_route(report: dict[str, Any]) -> None:
    w4 = report["workloads"]["W4"]
    assert "CSR input" in w4["description"]
    for peer in ("glassnet.train", "glassnet.MLPClassifier", "glassnet.train" + PLAIN):
        assert w4["peers"][peer]["route"] == "fast"
    assert "matmul" not in w4  # the dense replay means nothing for CSR products


@pytest.mark.parametrize("where", ["W2", "W4"])
def test_memory_children_report_peaks_and_plain_ones_never_load_numba(
    report: dict[str, Any], where: str
) -> None:
    mem = report["memory"] if where == "W2" else report["workloads"]["W4"]["memory"]
    for peer in ("glassnet.train", "glassnet.MLPClassifier", "scikit-learn"):
        for name in (peer, peer + PLAIN) if peer.startswith("glassnet") else (peer,):
            rec = mem[name]
            assert 0 < rec["import_mb"] <= rec["peak_mb"], name
    assert mem["glassnet.train" + PLAIN]["numba"] is False
    assert mem["glassnet.MLPClassifier" + PLAIN]["numba"] is False


def test_missing_peers_are_reported_not_crashed(report: dict[str, Any]) -> None:
    w2 = report["workloads"]["W2"]["peers"]
    for peer in ("PyTorch eager", "PyTorch fused Adam", "JAX jit step"):
        assert w2[peer]["skipped"] == "not installed"
    assert report["workloads"]["W4"]["peers"]["PyTorch sparse"]["skipped"] == "not installed"
    assert report["memory"]["PyTorch eager"]["skipped"] == "not installed"
    assert report["workloads"]["W4"]["memory"]["PyTorch sparse"]["skipped"] == "not installed"
    assert report["machine"]["torch"] == "not installed"


def test_markdown_report_has_the_summary_targets_and_plots(smoke: Path) -> None:
    text = (smoke / "RESULTS.md").read_text()
    assert text.index("## Summary") < text.index("## Machine")  # near the top
    for w in ("W1 float32 short", "W2 short", "W4"):
        assert f"| {w} | " in text
    assert "| W4 | glassnet.MLPClassifier plain | " in text
    assert "| W2 | glassnet.MLPClassifier [fast] | " in text
    assert "## Targets of issue 15" in text and "## Targets of issue 5" in text
    assert "- W2 short (1 epoch): glassnet.MLPClassifier vs scikit-learn ≥ 3×: plain" in text
    assert "- W4: glassnet.MLPClassifier peak memory / scikit-learn's < 1× (lighter): " in text
    assert "| glassnet.train (plain install) |" in text
    for name in ("scaling_samples.png", "scaling_width.png"):
        assert (smoke / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in text


# --- the pieces, without a harness run ---------------------------------------------------


def test_verdict_marks_each_install_on_its_own_numbers() -> None:
    from benchmarks.report import verdict

    est = "glassnet.MLPClassifier"
    report = {
        "workloads": {
            "W2 short": {"peers": {
                est: {"median_s": 1.0}, est + PLAIN: {"median_s": 0.5},
                "scikit-learn": {"median_s": 2.0},
            }, "epochs": 2},
            "W4": {"peers": {
                est: {"median_s": 1.0}, est + PLAIN: {"median_s": 2.0},
                "scikit-learn": {"median_s": 3.0},
            }, "memory": {
                est: {"peak_mb": 300.0}, est + PLAIN: {"peak_mb": 200.0},
                "scikit-learn": {"peak_mb": 250.0},
            }},
        },
    }  # fmt: skip
    lines = verdict(report)
    assert (
        "- W2 short (2 epochs): glassnet.MLPClassifier vs scikit-learn ≥ 3×: "
        "plain install 4.00× — met; [fast] 2.00× — NOT met"
    ) in lines
    assert (
        "- W4: glassnet.MLPClassifier peak memory / scikit-learn's < 1× (lighter): "
        "plain install 0.80× — met; [fast] 1.20× — NOT met"
    ) in lines
    assert (
        "- W4: glassnet.MLPClassifier vs scikit-learn ≥ 1× (faster): "
        "plain install 1.50× — met; [fast] 3.00× — met"
    ) in lines
    assert not any(ln.startswith("- W3 (") for ln in lines)  # not run: no line


def test_only_picks_a_workload_with_its_short_fit_and_nothing_else() -> None:
    from benchmarks.run import selected

    assert selected("W2 short", ["W2"]) and selected("W2", ["W2"])
    assert selected("W1 float64 short", ["W1"]) and not selected("W1 float64", ["W1 float32"])
    assert not selected("W4", ["W1", "W2"]) and selected("W3", [])


def test_numba_off_sets_the_switch_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.peers import NO_NUMBA, numba_off

    monkeypatch.setenv(NO_NUMBA, "0")
    with numba_off():
        assert os.environ[NO_NUMBA] == "1"
    assert os.environ[NO_NUMBA] == "0"
    monkeypatch.delenv(NO_NUMBA)
    with pytest.raises(RuntimeError, match="inside"), numba_off():
        raise RuntimeError("inside")
    assert NO_NUMBA not in os.environ


def test_sparse_module_runs_the_harness_on_w4(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import run, sparse

    seen: list[list[str]] = []
    monkeypatch.setattr(run, "main", lambda argv: seen.append(list(argv)))
    sparse.main(["--quick"])
    assert seen == [["--only", "W4", "--quick"]]
