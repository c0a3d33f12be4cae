"""Routes and newer subcommands on the command line: --route, --multilabel, export, playground."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.cli import main
from helpers import needs_numba


def _rows(text: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split()
        for line in text.splitlines()
        if line.split() and line.split()[-1] in ("ok", "FAIL")
    }


def test_gradcheck_on_the_fast_route_checks_the_fast_forms(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["gradcheck", "--hidden", "6", "--samples", "8"]
    assert main([*args, "--route", "fast"]) == 0
    fast = capsys.readouterr().out
    assert "on the fast route" in fast
    assert main([*args, "--route", "readable"]) == 0
    readable = capsys.readouterr().out
    assert {k: v[2] for k, v in _rows(fast).items()} == {
        k: v[2] for k, v in _rows(readable).items()
    }

    # A wrong fast form is caught on the fast route only.
    from glassnet.core.activations import Tanh

    original = Tanh.backward_into

    def wrong(self: Tanh, grad: np.ndarray, ws: object, inplace: bool, need: bool) -> np.ndarray:
        return original(self, grad, ws, inplace, need) * 1.1  # type: ignore[arg-type]

    monkeypatch.setattr(Tanh, "backward_into", wrong)
    assert main([*args, "--route", "fast"]) == 1
    assert _rows(capsys.readouterr().out)["0.W"][-1] == "FAIL"
    assert main([*args, "--route", "readable"]) == 0


def test_gradcheck_refuses_an_unknown_route(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["gradcheck", "--route", "compiled"])
    assert stop.value.code == 2
    assert "invalid choice: 'compiled'" in capsys.readouterr().err


def test_explain_multilabel_shows_y_hat_minus_y(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--multilabel", "--logits", "2,-1,0.5", "--target", "1,0,1"]) == 0
    text = capsys.readouterr().out
    assert "independent sigmoids" in text and "∂ŷ_k/∂z_i = 0 for i ≠ k" in text
    assert "they agree to machine precision" in text
    sig = 1 / (1 + np.exp(-np.array([2.0, -1.0, 0.5])))
    assert f"{sig[2] - 1:.6f}".replace("-", "−") in text  # ŷ_2 − y_2 printed


def test_explain_multilabel_refuses_labels_outside_0_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--multilabel", "--target", "1,2,0"]) == 2
    assert "targets must lie in [0, 1]" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["export", "playground"])
def test_every_subcommand_is_registered(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    assert f"usage: glassnet {command}" in capsys.readouterr().out


def test_train_readable_and_fast_routes_print_the_same_numbers_to_six_digits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs = {}
    for route in ("readable", "fast"):
        assert main(["train", "--route", route, "--out", "", "--no-progress"]) == 0
        outputs[route] = capsys.readouterr().out
    lines = {
        r: [ln for ln in text.splitlines() if ln.startswith(("train ", "test "))]
        for r, text in outputs.items()
    }
    assert lines["readable"] == lines["fast"] and len(lines["fast"]) == 2
    assert "loss 0.0" in lines["fast"][0]  # six decimals printed: 0.0xxxxx
    assert "route  readable: asked for (route='readable')" in outputs["readable"]
    assert "route  fast: asked for (route='fast')" in outputs["fast"]


def test_train_refuses_a_compiled_route_without_numba_before_training(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from glassnet.fast import kernels

    monkeypatch.setattr(kernels, "available", lambda: False)
    match = "--route compiled needs numba"
    assert main(["train", "--route", "compiled", "--out", "", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


@needs_numba
def test_train_on_the_compiled_route_runs_the_default_tanh_network(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs = {}
    for route in ("fast", "compiled"):
        assert (
            main(["train", "--route", route, "--epochs", "300", "--out", "", "--no-progress"]) == 0
        )
        outputs[route] = capsys.readouterr().out
    assert "route  compiled: asked for (route='compiled')" in outputs["compiled"]
    lines = {
        r: [ln for ln in text.splitlines() if ln.startswith(("train ", "test "))]
        for r, text in outputs.items()
    }
    # The kernels' tanh is within 2 ulp of NumPy's and their sums run in another
    # order: the same accuracy, the losses to rounding (printed to six decimals).
    assert len(lines["fast"]) == len(lines["compiled"]) == 2
    for fast, compiled in zip(lines["fast"], lines["compiled"], strict=True):
        assert fast.split("accuracy")[1] == compiled.split("accuracy")[1]
        loss_fast = float(fast.split("loss")[1].split()[0])
        loss_compiled = float(compiled.split("loss")[1].split()[0])
        assert loss_fast == pytest.approx(loss_compiled, abs=2e-6)
