"""The public gradient check itself."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def test_reports_every_parameter_and_the_input(rng: np.random.Generator) -> None:
    model = gn.mlp([3, 4, 2], "sigmoid", rng=rng)
    report = gn.check_gradients(
        model, gn.SoftmaxCrossEntropy(), rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    )
    assert list(report) == ["0.W", "0.b", "2.W", "2.b", "X"]
    assert all(0 <= e < 1e-7 for e in report.values())
    assert report.analytic_norm["0.W"] == pytest.approx(report.numeric_norm["0.W"], rel=1e-6)
    assert report.analytic_norm["2.b"] > 0


def test_float32_models_are_checked_in_float64_and_left_alone(rng: np.random.Generator) -> None:
    model = gn.mlp([2, 3, 2], rng=rng, dtype=np.float32)
    before = model.flat_params.copy()
    report = gn.check_gradients(
        model, gn.SoftmaxCrossEntropy(), rng.normal(size=(4, 2)), np.array([0, 1, 0, 1])
    )
    assert report.max_error() < 1e-7
    np.testing.assert_array_equal(model.flat_params, before)
    assert model.dtype == np.float32


def test_a_wrong_sign_in_the_loss_gradient_is_caught(rng: np.random.Generator) -> None:
    class Flipped(gn.SoftmaxCrossEntropy):
        def backward(self) -> np.ndarray:
            return -super().backward()

    model = gn.mlp([2, 3, 2], rng=rng)
    report = gn.check_gradients(model, Flipped(), rng.normal(size=(4, 2)), np.array([0, 1, 0, 1]))
    assert report.max_error() > 1.0


def test_rejects_bad_eps(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="eps must be a small positive number"):
        gn.check_gradients(
            gn.mlp([2, 2], rng=rng),
            gn.SoftmaxCrossEntropy(),
            np.ones((1, 2)),
            np.array([0]),
            eps=0.0,
        )
