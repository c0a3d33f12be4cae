"""Multilabel outputs: independent sigmoids with binary cross-entropy on logits, gradient ŷ − y."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.core import functional as F


def _problem(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(30, 3))
    Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 0] * X[:, 1] > 0], axis=1)
    return X, Y.astype(float)


def test_the_loss_is_the_binary_cross_entropy_written_out(rng: np.random.Generator) -> None:
    z = rng.normal(size=(7, 4)) * 3
    Y = (rng.random((7, 4)) > 0.5).astype(float)
    p = 1.0 / (1.0 + np.exp(-z))
    by_hand = -np.mean(np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p), axis=1))
    loss = gn.SigmoidCrossEntropy()
    assert loss.forward(z, Y) == pytest.approx(by_hand, rel=1e-12)
    # ∂L/∂z = (σ(z) − y)/N: the same ŷ − y as the softmax case.
    np.testing.assert_allclose(loss.backward(), (p - Y) / 7, rtol=1e-12, atol=1e-15)


def test_huge_logits_give_exact_finite_losses() -> None:
    loss = gn.SigmoidCrossEntropy()
    # Right with total confidence: loss 0; wrong by 1000: loss 1000; unsure (z = 0): log 2.
    value = loss.forward(np.array([[1000.0, -1000.0, 0.0]]), [[1, 1, 0]])
    assert value == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)
    np.testing.assert_array_equal(loss.backward(), [[0.0, -1.0, 0.5]])


def test_a_network_with_it_passes_the_gradient_check(rng: np.random.Generator) -> None:
    X, Y = _problem(rng)
    model = gn.mlp([3, 5, 3], "tanh", rng=rng)
    assert gn.check_gradients(model, gn.SigmoidCrossEntropy(), X[:8], Y[:8]).max_error() < 1e-7


def test_training_learns_every_label_and_counts_exact_matches(rng: np.random.Generator) -> None:
    X, Y = _problem(rng)
    model = gn.mlp([3, 16, 3], "tanh", rng=0)
    h = gn.train(model, gn.SigmoidCrossEntropy(), gn.Adam(0.05), X, Y, epochs=300, rng=0)
    assert h.route == "readable" and "SigmoidCrossEntropy has no fast form" in h.route_reason
    assert h.loss[-1] < 0.2 * h.loss[0]
    exact = np.mean(np.all((model.forward(X) > 0) == (Y > 0.5), axis=1))
    assert h.accuracy[-1] == pytest.approx(exact)
    assert exact > 0.9


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.zeros((4, 2)), r"indicator matrix of shape \(4, 3\)"),
        (np.full((4, 3), 2.0), r"targets in \[0, 1\]"),
    ],
    ids=["wrong-shape", "out-of-range"],
)
def test_bad_targets_are_refused(y: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        gn.SigmoidCrossEntropy().forward(np.zeros((4, 3)), y)


def test_softplus_is_overflow_safe() -> None:
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    small = np.log1p(np.exp(-1.0))
    expected = [0.0, small, np.log(2.0), 1.0 + small, 1000.0]
    np.testing.assert_allclose(F.softplus(x), expected, rtol=1e-15)
