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


@pytest.mark.parametrize("activation", ["tanh", "relu", "leaky_relu", "sigmoid", "identity"])
def test_the_fast_forms_pass_the_check_as_the_readable_ones(
    activation: str, rng: np.random.Generator
) -> None:
    # Inputs far from zero in every unit would be needed to avoid relu's kink by luck:
    # a tiny model on a few points, with the readable route's error as the reference.
    model = gn.mlp([3, 5, 3], activation, rng=rng)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)
    readable = gn.check_gradients(model, gn.SoftmaxCrossEntropy(), X, y)
    fast = gn.check_gradients(model, gn.SoftmaxCrossEntropy(), X, y, route="fast")
    assert list(fast) == list(readable)
    for name in readable:
        assert fast[name] == pytest.approx(readable[name], rel=1e-6, abs=1e-12)
        assert fast.analytic_norm[name] == pytest.approx(readable.analytic_norm[name], rel=1e-12)


def test_a_wrong_fast_form_is_caught_only_on_the_fast_route(rng: np.random.Generator) -> None:
    class StaleFastTanh(gn.Tanh):
        """A fast form whose derivative has the wrong sign; the readable pair is right."""

        def forward(self, X: np.ndarray) -> np.ndarray:
            return super().forward(X)

        def backward(self, grad: np.ndarray) -> np.ndarray:
            return super().backward(grad)

        def forward_into(self, X: np.ndarray, ws: object, inplace: bool) -> np.ndarray:
            return super().forward_into(X, ws, inplace)  # type: ignore[arg-type]

        def backward_into(
            self, grad: np.ndarray, ws: object, inplace: bool, need_dx: bool
        ) -> np.ndarray:
            return -super().backward_into(grad, ws, inplace, need_dx)  # type: ignore[arg-type]

    model = gn.Sequential([gn.Dense(2, 3, rng=rng), StaleFastTanh(), gn.Dense(3, 2, rng=rng)])
    X, y = rng.normal(size=(4, 2)), np.array([0, 1, 0, 1])
    assert gn.check_gradients(model, gn.SoftmaxCrossEntropy(), X, y).max_error() < 1e-7
    report = gn.check_gradients(model, gn.SoftmaxCrossEntropy(), X, y, route="fast")
    assert report["0.W"] > 0.5


@pytest.mark.parametrize(
    ("route", "match"),
    [("compiled", "route must be 'readable' or 'fast'"), ("fast", "Softmax has no fast form")],
)
def test_a_route_the_check_cannot_take_is_refused(
    route: str, match: str, rng: np.random.Generator
) -> None:
    model = gn.Sequential([gn.Dense(2, 2, rng=rng), gn.Softmax()])
    with pytest.raises(ValueError, match=match):
        gn.check_gradients(model, gn.CrossEntropy(), np.ones((2, 2)), [0, 1], route=route)
