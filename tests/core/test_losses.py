"""Losses: the fused ŷ - y, the Jacobian route, weights, smoothing and extreme logits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassnet as gn


def test_fused_gradient_is_y_hat_minus_y_over_n(rng: np.random.Generator) -> None:
    z = rng.normal(size=(5, 3))
    y = np.array([0, 2, 1, 1, 0])
    loss = gn.SoftmaxCrossEntropy()
    value = loss.forward(z, y)
    expected_grad = (gn.softmax(z) - gn.one_hot(y, 3)) / 5
    np.testing.assert_allclose(loss.backward(), expected_grad, rtol=0, atol=1e-16)
    assert value == pytest.approx(-np.mean(gn.log_softmax(z)[np.arange(5), y]), rel=1e-15)


def test_fused_gradient_equals_the_jacobian_routes(rng: np.random.Generator) -> None:
    z = rng.normal(size=(6, 4)) * 3
    y = rng.integers(0, 4, size=6)
    fused = gn.SoftmaxCrossEntropy()
    fused.forward(z, y)
    g_fused = fused.backward()

    # Route 1: Softmax layer + CrossEntropy on probabilities.
    sm, ce = gn.Softmax(), gn.CrossEntropy()
    ce.forward(sm.forward(z), y)
    g_layers = sm.backward(ce.backward())

    # Route 2: the explicit Jacobian applied to dL/dŷ = -y/ŷ / N.
    p = gn.softmax(z)
    dL_dp = -gn.one_hot(y, 4) / p / 6
    g_matrix = np.einsum("no,noi->ni", dL_dp, gn.softmax_jacobian(z))

    np.testing.assert_allclose(g_layers, g_fused, rtol=0, atol=1e-12)
    np.testing.assert_allclose(g_matrix, g_fused, rtol=0, atol=1e-12)


def test_targets_not_summing_to_one_give_the_general_result(rng: np.random.Generator) -> None:
    z = rng.normal(size=(4, 3))
    T = rng.uniform(0, 2, size=(4, 3))  # rows sum to anything
    loss = gn.SoftmaxCrossEntropy()
    value = loss.forward(z, T)
    p = gn.softmax(z)
    expected = (p * T.sum(axis=1, keepdims=True) - T) / 4
    np.testing.assert_allclose(loss.backward(), expected, rtol=0, atol=1e-15)
    assert value == pytest.approx(-np.sum(T * gn.log_softmax(z)) / 4, rel=1e-14)
    # ... and the unfused route agrees with it too.
    sm, ce = gn.Softmax(), gn.CrossEntropy()
    ce.forward(sm.forward(z), T)
    np.testing.assert_allclose(sm.backward(ce.backward()), expected, atol=1e-12)


@pytest.mark.parametrize(
    ("z", "label", "expected"),
    [
        ([1000.0, 999.0, 0.0], 1, 1.0 + np.log1p(np.exp(-1.0) + np.exp(-1000.0))),
        ([-1000.0, -1001.0, -1002.0], 2, 2.0 + np.log1p(np.exp(-1.0) + np.exp(-2.0))),
        ([1e308, 0.0, 0.0], 1, 1e308),
        ([1e308, 0.0, 0.0], 0, 0.0),
    ],
    ids=["large", "very-negative", "1e308-wrong-class", "1e308-right-class"],
)
def test_loss_is_finite_and_exact_for_extreme_logits(
    z: list[float], label: int, expected: float
) -> None:
    loss = gn.SoftmaxCrossEntropy()
    value = loss.forward(np.array([z]), np.array([label]))
    assert np.isfinite(value)
    assert value == pytest.approx(expected, rel=1e-15, abs=1e-300)
    grad = loss.backward()
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad.sum(), 0.0, atol=1e-15)


def test_weighted_mean_is_normalised_by_the_total_weight(rng: np.random.Generator) -> None:
    z = rng.normal(size=(4, 2))
    y = np.array([0, 1, 1, 0])
    w = np.array([1.0, 2.0, 0.0, 3.0])
    loss = gn.SoftmaxCrossEntropy()
    value = loss.forward(z, y, w)
    per = -gn.log_softmax(z)[np.arange(4), y]
    assert value == pytest.approx(np.dot(w, per) / w.sum())
    g = loss.backward()
    np.testing.assert_allclose(
        g, w[:, None] * (gn.softmax(z) - gn.one_hot(y, 2)) / w.sum(), atol=1e-16
    )
    # Scaling all weights changes nothing.
    assert loss.forward(z, y, 10 * w) == pytest.approx(value)


def test_all_zero_weights_give_zero_loss_and_gradient(rng: np.random.Generator) -> None:
    loss = gn.SoftmaxCrossEntropy()
    assert loss.forward(rng.normal(size=(3, 2)), np.array([0, 1, 0]), np.zeros(3)) == 0.0
    np.testing.assert_array_equal(loss.backward(), 0.0)


def test_class_weight_equals_matching_sample_weight(rng: np.random.Generator) -> None:
    z = rng.normal(size=(6, 3))
    y = np.array([0, 1, 2, 2, 1, 0])
    cw = np.array([1.0, 3.0, 0.5])
    a = gn.SoftmaxCrossEntropy(class_weight=cw)
    b = gn.SoftmaxCrossEntropy()
    assert a.forward(z, y) == pytest.approx(b.forward(z, y, cw[y]))
    np.testing.assert_allclose(a.backward(), b.backward(), atol=1e-16)
    # soft one-hot targets take the same path as indices
    a2 = gn.SoftmaxCrossEntropy(class_weight=cw)
    assert a2.forward(z, gn.one_hot(y, 3)) == pytest.approx(b.forward(z, y, cw[y]))


def test_label_smoothing_mixes_in_the_uniform_distribution(rng: np.random.Generator) -> None:
    z = rng.normal(size=(5, 4))
    y = rng.integers(0, 4, size=5)
    eps = 0.2
    smooth = gn.SoftmaxCrossEntropy(label_smoothing=eps)
    plain = gn.SoftmaxCrossEntropy()
    T = (1 - eps) * gn.one_hot(y, 4) + eps / 4
    assert smooth.forward(z, y) == pytest.approx(plain.forward(z, T))
    np.testing.assert_allclose(smooth.backward(), (gn.softmax(z) - T) / 5, atol=1e-16)


def test_loss_passes_the_gradient_check_with_weights_and_smoothing(
    rng: np.random.Generator,
) -> None:
    model = gn.Sequential([gn.Dense(3, 3, rng=rng)])
    X = rng.normal(size=(6, 3))
    y = rng.integers(0, 3, size=6)
    loss = gn.SoftmaxCrossEntropy(class_weight=[1.0, 2.0, 0.5], label_smoothing=0.1)
    w = rng.uniform(0.1, 2.0, size=6)
    assert gn.check_gradients(model, loss, X, y, sample_weight=w).max_error() < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_keeps_the_logits_dtype(dtype: type, rng: np.random.Generator) -> None:
    loss = gn.SoftmaxCrossEntropy()
    loss.forward(rng.normal(size=(3, 2)).astype(dtype), np.array([0, 1, 1]))
    assert loss.backward().dtype == dtype


def test_loss_errors_name_the_argument() -> None:
    loss = gn.SoftmaxCrossEntropy()
    with pytest.raises(ValueError, match="logits must be 2-D"):
        loss.forward(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match="y holds class index 3, outside"):
        loss.forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"sample_weight contains 1 negative value\(s\).*weight 0"):
        loss.forward(np.zeros((2, 3)), np.array([0, 1]), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"sample_weight contains 1 NaN value\(s\).*position 1"):
        loss.forward(np.zeros((2, 3)), np.array([0, 1]), np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        gn.SoftmaxCrossEntropy(label_smoothing=1.0)
    with pytest.raises(ValueError, match="class_weight has 2 entries"):
        gn.SoftmaxCrossEntropy(class_weight=[1, 1]).forward(np.zeros((1, 3)), np.array([0]))
    with pytest.raises(RuntimeError, match="before forward"):
        gn.SoftmaxCrossEntropy().backward()


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan], ids=["inf", "-inf", "nan"])
def test_non_finite_logits_raise_a_clear_error(bad: float) -> None:
    logits = np.zeros((4, 3))
    logits[2, 1] = bad
    for loss in (gn.SoftmaxCrossEntropy(), gn.SoftmaxCrossEntropy(label_smoothing=0.1)):
        with pytest.raises(
            ValueError, match=r"logits contain 1 non-finite value\(s\), the first in row 2.*Scale"
        ):
            loss.forward(logits, np.array([0, 1, 2, 0]))
    model = gn.Sequential([gn.Dense(2, 3, rng=0)])
    model.parameters()["0.b"][0] = np.inf  # every sample's first logit is inf
    with pytest.raises(
        ValueError, match=r"logits contain 2 non-finite value\(s\), the first in row 0"
    ):
        gn.evaluate(model, gn.SoftmaxCrossEntropy(), np.ones((2, 2)), [0, 1])


@pytest.mark.parametrize(
    ("logits", "y", "match"),
    [
        (
            np.zeros((2, 0)),
            [0, 1],
            r"logits must have at least one class column; got shape "
            r"\(2, 0\)\. .*output unit",
        ),
        (
            np.zeros((2, 3)),
            np.zeros((2, 2)),
            r"y given as target distributions must have shape "
            r"\(2, 3\).*got \(2, 2\)\. .*one column per class",
        ),
        (
            np.zeros((2, 3)),
            [[0, 1, 0], [np.nan, 0, 1]],
            r"y contains 1 NaN value\(s\), the "
            r"first at position \(1, 0\)\. .*finite",
        ),
        (
            np.zeros((2, 3)),
            [[0, 1, 0], [0, -1, 1]],
            r"y contains 1 negative value\(s\), the "
            r"first at position \(1, 1\)\. .*non-negative",
        ),
        (
            np.zeros((2, 3)),
            np.zeros((2, 3, 1)),
            r"y must be 1-D class indices or 2-D target "
            r"distributions; got 3-D .*shape \(2, 3, 1\)\. .*LabelEncoder",
        ),
        (
            np.zeros((2, 3)),
            [0.5, 1],
            r"y given as a 1-D array must hold integer class indices; "
            r"got dtype float64",
        ),
    ],
    ids=["no-columns", "targets-shape", "targets-nan", "targets-negative", "y-3d", "y-float"],
)
def test_target_errors_name_expected_received_and_a_fix(logits: Any, y: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        gn.SoftmaxCrossEntropy().forward(logits, y)
