"""Absurd flag values: every one is a one-line error and exit status 2, before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassnet.cli import main

HUGE = "1" + "0" * 30
FAST_TRAIN = ["--epochs", "2", "--n-samples", "60", "--no-progress", "--out", ""]

# (command, flag, value): "{tmp}" becomes the test's folder, "{missing}" a folder not there.
TABLE: list[tuple[str, str, str]] = [
    *[("train", "--n-samples", v) for v in ["0", "-5", "100000000000", "nan", "", "1.5"]],
    *[("train", "--noise", v) for v in ["-1", "nan", "inf", "1e308", ""]],
    *[("train", "--seed", v) for v in ["-1", str(2**40), "1.5", ""]],
    *[("train", "--hidden", v) for v in ["0", "-3", "", "x", ",".join(["2"] * 101)]],
    ("train", "--activation", "softmax"),
    ("train", "--dtype", "float16"),
    ("train", "--dataset", ""),
    *[("train", "--test-size", v) for v in ["0", "1", "nan", "-0.1", ""]],
    *[("train", "--lr", v) for v in ["0", "-1", "nan", "inf", "1e300", ""]],
    *[("train", "--momentum", v) for v in ["-0.1", "1", "nan", ""]],
    *[("train", "--alpha", v) for v in ["-1", "nan", "inf", "1e300", ""]],
    *[("train", "--epochs", v) for v in ["0", "-1", HUGE, "nan", ""]],
    *[("train", "--batch-size", v) for v in ["0", "-1", str(10**10), ""]],
    *[("train", "--save", v) for v in ["", " ", "{missing}/m.glassnet", "{tmp}"]],
    *[("train", "--out", v) for v in ["boundary.txt", "{missing}/m.png", "{tmp}"]],
    *[("train", "--curves", v) for v in ["", "c.xyz", "{missing}/c.png", "{tmp}"]],
    *[("train", "--animate", v) for v in ["", "a.txt", "a.png", "{missing}/a.gif", "{tmp}"]],
    *[("train", "--snapshot-every", v) for v in ["0", "-1", str(10**12), "nan"]],
    *[("explain", "--logits", v) for v in ["1e400,1", "nan,1", "1", "", "1e300,-1e300"]],
    *[("explain", "--target", v) for v in ["1e308,1e308", "=-1,2", "nan,1", ""]],
    *[("explain", "--label", v) for v in [HUGE, "-1", "x"]],
    *[("explain", "--sample", v) for v in [HUGE, "-" + HUGE, "x"]],
    *[("explain", "--epochs", v) for v in ["0", HUGE]],
    ("explain", "--n-samples", "100000000000"),
    ("explain", "--hidden", "100000000,100000000"),
    *[("gradcheck", "--samples", v) for v in ["0", "-1", str(10**9), ""]],
    *[("gradcheck", "--eps", v) for v in ["0", "-1", "nan", "inf", "1e300", "1e-300", ""]],
    *[("gradcheck", "--threshold", v) for v in ["0", "nan", "inf", "5", ""]],
    ("gradcheck", "--hidden", "1000,1000"),
    ("gradcheck", "--n-samples", "100000000000"),
    *[("predict", "--model", v) for v in ["", "{missing}/m.glassnet", "{tmp}"]],
    *[("predict", "--input", v) for v in ["", "{missing}/x.csv", "{tmp}"]],
    *[("predict", "--output", v) for v in ["", "{missing}/out.csv", "{tmp}"]],
    *[("predict", "--header", v) for v in ["", "maybe"]],
    *[("predict", "--sep", v) for v in ["", "|", ",,"]],
]


def _args(command: str, flag: str, value: str, tmp: Path) -> list[str]:
    value = value.replace("{tmp}", str(tmp)).replace("{missing}", str(tmp / "missing"))
    given = [f"{flag}{value}"] if value.startswith("=") else [flag, value]
    if command == "train":
        return ["train", *FAST_TRAIN, *given]
    if command == "explain":
        base = (
            []
            if flag in ("--sample", "--epochs", "--n-samples", "--hidden")
            else ["--logits", "1,2"]
        )
        return ["explain", "--epochs", "2", *base, *given]
    if command == "gradcheck":
        return ["gradcheck", "--samples", "4", *given]
    model, data = tmp / "m.glassnet", tmp / "x.csv"
    args = {"--model": str(model), "--input": str(data)}
    return ["predict", *(x for k, v in args.items() if k != flag for x in (k, v)), *given]


def _exit_code(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:  # argparse's own errors
        return int(exc.code or 0)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    import glassnet

    folder = tmp_path_factory.mktemp("model")
    X = np.random.default_rng(0).normal(size=(20, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = glassnet.MLPClassifier((2,), max_iter=2).fit(X, (X[:, 0] > 0).astype(int))
    glassnet.save(net, folder / "m.glassnet")
    return folder / "m.glassnet"


@pytest.mark.parametrize(
    ("command", "flag", "value"), TABLE, ids=[f"{c}{f}={v!r}" for c, f, v in TABLE]
)
def test_absurd_flag_is_one_line_and_exit_2(
    command: str,
    flag: str,
    value: str,
    tmp_path: Path,
    model_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shutil

    shutil.copy(model_file, tmp_path / "m.glassnet")
    (tmp_path / "x.csv").write_text("0.5,1\n")
    monkeypatch.chdir(tmp_path)
    assert _exit_code(_args(command, flag, value, tmp_path)) == 2
    captured = capsys.readouterr()
    err = captured.err.rstrip("\n").splitlines()
    assert err and err[-1].startswith(f"glassnet {command}: error: "), captured.err
    assert "Traceback" not in captured.err
    # argparse prints its usage lines first; every error of our own is the one line.
    assert len(err) == 1 or err[0].startswith("usage:"), captured.err
    assert "accuracy" not in captured.out  # refused before any training
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.glassnet", "x.csv"]
