"""The pure maths: softmax family, its Jacobian, activations and derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.core import functional as F

EXTREME = [
    [1000.0, 999.0, 0.0],
    [-1000.0, -1001.0, -1002.0],
    [1e308, 0.0, 0.0],
]


@pytest.mark.parametrize("z", EXTREME, ids=["large", "very-negative", "1e308"])
def test_log_softmax_is_finite_and_exact_for_extreme_logits(z: list[float]) -> None:
    logp = gn.log_softmax(np.array([z]))[0]
    assert np.all(np.isfinite(logp))
    shifted = np.array(z) - max(z)
    # Exact reference: with the max removed the sum is 1 + tiny terms.
    expected = shifted - np.log1p(np.sum(np.exp(shifted[1:])))
    if z[0] == 1e308:
        # softmax is exactly one-hot; the log-probabilities of the rest are -1e308.
        np.testing.assert_array_equal(logp, [0.0, -1e308, -1e308])
    else:
        np.testing.assert_allclose(logp, expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.exp(logp).sum(), 1.0, atol=1e-15)


def test_log_softmax_of_undefined_rows_is_nan_without_a_warning() -> None:
    inf = np.inf
    z = np.array([[-inf, -inf, -inf], [0.0, -inf, 1.0], [inf, 0.0, 0.0], [np.nan, 0.0, 0.0]])
    out = gn.log_softmax(z)  # warnings are errors: this must not warn
    # A row of all -inf, or one holding +inf or NaN, has no softmax: NaN marks it.
    assert np.all(np.isnan(out[[0, 2, 3]]))
    # -inf among finite logits is a probability of exactly 0: log-probability -inf.
    np.testing.assert_allclose(out[1], [-np.log1p(np.e), -inf, 1 - np.log1p(np.e)])
    np.testing.assert_allclose(gn.softmax(z)[1], np.exp(out[1]))
    # Finite logits whose gap overflows: the far one's log-probability is -inf.
    np.testing.assert_array_equal(gn.log_softmax([[9e307, -1.3e308]]), [[0.0, -np.inf]])


def test_log_softmax_matches_naive_formula_on_moderate_logits(rng: np.random.Generator) -> None:
    z = rng.normal(size=(50, 4))
    naive = np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(gn.log_softmax(z), naive, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(gn.logsumexp(z, axis=1), np.log(np.exp(z).sum(axis=1)), rtol=1e-14)


def test_log_softmax_respects_axis(rng: np.random.Generator) -> None:
    z = rng.normal(size=(3, 5))
    np.testing.assert_allclose(gn.log_softmax(z, axis=0), gn.log_softmax(z.T).T, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_keeps_dtype_and_sums_to_one(dtype: type, rng: np.random.Generator) -> None:
    z = rng.normal(size=(10, 3)).astype(dtype) * 50
    p = gn.softmax(z)
    assert p.dtype == dtype
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


def test_softmax_jacobian_has_the_two_cases_of_the_derivation(rng: np.random.Generator) -> None:
    z = rng.normal(size=(4, 3))
    p = gn.softmax(z)
    J = gn.softmax_jacobian(z)
    assert J.shape == (4, 3, 3)
    for n in range(4):
        for o in range(3):
            for i in range(3):
                if i == o:
                    expected = p[n, o] * (1 - p[n, o])  # case i = o
                else:
                    expected = -p[n, o] * p[n, i]  # case i != o
                assert J[n, o, i] == pytest.approx(expected, abs=1e-15)
    np.testing.assert_allclose(J.sum(axis=2), 0.0, atol=1e-15)


def test_softmax_jacobian_matches_finite_differences(rng: np.random.Generator) -> None:
    z = rng.normal(size=(1, 4))
    J = gn.softmax_jacobian(z)[0]
    eps = 1e-6
    for i in range(4):
        dz = np.zeros(4)
        dz[i] = eps
        col = (gn.softmax(z[0] + dz) - gn.softmax(z[0] - dz)) / (2 * eps)
        np.testing.assert_allclose(J[:, i], col, atol=1e-9)


def test_jvp_and_vjp_equal_the_matrix_products(rng: np.random.Generator) -> None:
    z = rng.normal(size=(6, 5))
    v = rng.normal(size=(6, 5))
    J = gn.softmax_jacobian(z)
    p = gn.softmax(z)
    np.testing.assert_allclose(gn.softmax_jvp(p, v), np.einsum("noi,ni->no", J, v), atol=1e-15)
    np.testing.assert_allclose(gn.softmax_vjp(p, v), np.einsum("no,noi->ni", v, J), atol=1e-15)


@pytest.mark.parametrize("x", [-1000.0, -745.0, -50.0, 0.0, 50.0, 1000.0, 1e300])
def test_sigmoid_is_overflow_safe(x: float) -> None:
    a = F.sigmoid(np.array([x]))
    assert np.all(np.isfinite(a))
    expected = 0.5 if x == 0 else (1.0 if x > 40 else np.exp(x) / (1 + np.exp(x)))
    np.testing.assert_allclose(a, expected, rtol=1e-12, atol=1e-300)


ACTIVATIONS = {
    "tanh": (F.tanh, F.tanh_grad, "output"),
    "relu": (F.relu, F.relu_grad, "input"),
    "leaky_relu": (F.leaky_relu, F.leaky_relu_grad, "input"),
    "sigmoid": (F.sigmoid, F.sigmoid_grad, "output"),
    "identity": (F.identity, F.identity_grad, "input"),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative_matches_central_difference(
    name: str, rng: np.random.Generator
) -> None:
    f, df, takes = ACTIVATIONS[name]
    x = rng.normal(size=200)
    x = x[np.abs(x) > 1e-3]  # stay off the kink of the relu family
    eps = 1e-6
    numeric = (f(x + eps) - f(x - eps)) / (2 * eps)
    analytic = df(f(x) if takes == "output" else x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_keep_float32(name: str) -> None:
    f, df, takes = ACTIVATIONS[name]
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    assert f(x).dtype == np.float32
    assert df(f(x) if takes == "output" else x).dtype == np.float32
