"""Every compiled kernel computes the readable formula it restates, to 1e-12 in float64.

One maths that runs: where numba cannot call the NumPy code, a kernel restates a
formula, is named after it, and is checked here against it on the same float64
inputs: dense + each activation, each activation's derivative, the dense
gradients, the fused softmax cross-entropy, the l2 penalty, Adam's folded scalars
and every optimizer rule (through ``compiled_update``, the kernels' one caller,
against ``Optimizer.step_flat``). Agreement is relative, 1e-12, with an absolute
floor scaled by the sizes of the terms summed (a sum that cancels to ~0 keeps the
rounding of its terms).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.core import functional as F
from glassnet.core.losses import l2_penalty
from glassnet.core.optim import adam_scalars
from glassnet.fast import kernels as _kernels
from glassnet.fast.workspace import Workspace
from helpers import needs_numba

pytestmark = needs_numba

RTOL = 1e-12


def _agree(got: np.ndarray, ref: np.ndarray, scale: float | np.ndarray) -> None:
    """``|got - ref| ≤ RTOL · (|ref| + scale)`` entry by entry.

    ``scale``: the size of the terms each entry sums (broadcast against ``ref``), so
    that an entry whose terms cancel is held to the rounding of its terms.
    """
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape
    err = np.abs(got - ref)
    tol = RTOL * (np.abs(ref) + scale)
    assert np.all(err <= tol), f"off by up to {np.max(err / np.maximum(tol, 1e-300)):.3g} × tol"


@pytest.fixture(scope="module")
def k() -> Any:
    """The compiled kernels (numba), as the library loads them."""
    kernels = _kernels.load()
    assert kernels is not None
    return kernels


# The activations the kernels restate: the layer (its kernel code and slope), its
# forward formula and its derivative formula from glassnet.core.functional.
ACTIVATIONS: dict[str, tuple[gn.Layer, Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {
    "relu": (gn.ReLU(), F.relu, F.relu_grad),
    "leaky_relu": (
        gn.LeakyReLU(0.1),
        lambda x: F.leaky_relu(x, 0.1),
        lambda x: F.leaky_relu_grad(x, 0.1),
    ),
    "leaky_relu-0": (
        gn.LeakyReLU(0.0),
        lambda x: F.leaky_relu(x, 0.0),
        lambda x: F.leaky_relu_grad(x, 0.0),
    ),
    "identity": (gn.Identity(), F.identity, F.identity_grad),
    # tanh and σ by glassnet.fast.jitted_math: within an ulp or two of NumPy's.
    "tanh": (gn.Tanh(), F.tanh, lambda x: F.tanh_grad(F.tanh(x))),
    "logistic": (gn.Sigmoid(), F.sigmoid, lambda x: F.sigmoid_grad(F.sigmoid(x))),
}


def _slope(layer: gn.Layer) -> float:
    return float(getattr(layer, "negative_slope", 0.0))


def _dense_inputs(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    # 37 × 13 outputs: a vectorised loop's body and its remainder both run.
    X = rng.standard_normal((37, 11))
    X[::5, 3] = 0.0  # exact zeros on the way in
    W = rng.standard_normal((11, 13))
    b = rng.standard_normal(13)
    return X, W, b


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_dense_bias_activation_is_dense_then_the_activation(
    name: str, k: Any, rng: np.random.Generator
) -> None:
    layer, forward, derivative = ACTIVATIONS[name]
    X, W, b = _dense_inputs(rng)
    out = np.full((37, 13), np.nan)
    k.dense_bias_activation(X, W, b, _kernels.kernel_code(layer), _slope(layer), out)
    pre = F.dense(X, W, b)
    ref = forward(pre.copy())
    # The sum's rounding, carried through the activation (× its slope there).
    _agree(out, ref, (np.abs(X) @ np.abs(W) + np.abs(b)) * derivative(pre))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_grad_is_the_derivative_formula(
    name: str, k: Any, rng: np.random.Generator
) -> None:
    layer, forward, derivative = ACTIVATIONS[name]
    x = rng.standard_normal((29, 17))
    x[::3, ::4] = 0.0  # where relu's derivative is taken as 0
    D = rng.standard_normal((29, 17))
    got = D.copy()
    k.activation_grad(got, forward(x), _kernels.kernel_code(layer), _slope(layer))
    ref = D * derivative(x)  # the activations' backward: grad · f'(x)
    _agree(got, ref, 0.0)  # a product, no sum: nothing to cancel


@pytest.mark.parametrize("need_dx", [True, False], ids=["with-dx", "first-layer"])
def test_dense_grads_are_the_dense_gradients(
    need_dx: bool, k: Any, rng: np.random.Generator
) -> None:
    X, W, _ = _dense_inputs(rng)
    G = rng.standard_normal((37, 13))
    dW, db, dX = np.empty_like(W), np.empty(13), np.zeros_like(X)
    k.dense_grads(X, W, G, dW, db, dX, need_dx)
    ref_dW, ref_db = np.empty_like(W), np.empty(13)
    ref_dX = F.dense_grads(X, W, G, ref_dW, ref_db, need_dx=need_dx)
    _agree(dW, ref_dW, np.abs(X).T @ np.abs(G))
    _agree(db, ref_db, np.abs(G).sum(axis=0))
    if need_dx:
        assert ref_dX is not None
        _agree(dX, ref_dX, np.abs(G) @ np.abs(W).T)
    else:
        assert ref_dX is None and not dX.any()  # not written


@pytest.mark.parametrize("logits", ["normal", "wide", "ties"])
def test_the_fused_loss_is_softmax_cross_entropys(
    logits: str, k: Any, rng: np.random.Generator
) -> None:
    n, n_classes = 53, 7
    if logits == "ties":
        z = rng.integers(-2, 3, size=(n, n_classes)).astype(np.float64)
    else:
        z = rng.normal(scale=30.0 if logits == "wide" else 2.0, size=(n, n_classes))
    labels = rng.integers(0, n_classes, n)
    loss = gn.SoftmaxCrossEntropy()
    ref_z = z.copy()
    T = np.eye(n_classes)[labels]
    ref_sum, ref_correct = loss.forward_backward_into(ref_z, labels, T, Workspace(np.float64))
    got_z = z.copy()
    got_sum, got_correct = k.softmax_xent_forward_backward(
        got_z, labels, np.empty(0, np.intp), 0, n
    )
    assert got_sum == pytest.approx(ref_sum, rel=RTOL)
    assert got_correct == ref_correct
    _agree(got_z, ref_z, 1.0 / n)  # every entry of (ŷ - y) / N is at most 1/N
    # ... and so the readable pair, forward then backward.
    assert got_sum / n == pytest.approx(loss.forward(z, labels), rel=RTOL)
    _agree(got_z, loss.backward(), 1.0 / n)


@pytest.mark.parametrize("coef", [0.0, 1e-4, 0.3])
def test_l2_penalty_is_the_penalty(coef: float, k: Any, rng: np.random.Generator) -> None:
    W = rng.standard_normal(300)
    dW = rng.standard_normal(300)
    got_dW, ref_dW = dW.copy(), dW.copy()
    got = k.l2_penalty(W, got_dW, coef)
    ref = l2_penalty(W, ref_dW, coef)
    assert got == pytest.approx(ref, rel=RTOL, abs=0.0)
    _agree(got_dW, ref_dW, np.abs(dW) + coef * np.abs(W))


@pytest.mark.parametrize("t", [1, 2, 3, 10, 1000, 123_456])
@pytest.mark.parametrize(
    "betas", [(0.9, 0.999), (0.5, 0.25), (0.0, 0.99)], ids=["default", "small", "no-momentum"]
)
def test_adam_scalars_are_the_folded_bias_corrections(
    betas: tuple[float, float], t: int, k: Any
) -> None:
    got = k.adam_scalars(3e-3, betas[0], betas[1], 1e-8, t)
    ref = adam_scalars(3e-3, betas, 1e-8, t)
    np.testing.assert_allclose(got, ref, rtol=RTOL, atol=0)


OPTIMIZERS: dict[str, Callable[[], gn.Optimizer]] = {
    "sgd": lambda: gn.SGD(0.1),
    "sgd-wd": lambda: gn.SGD(0.1, weight_decay=1e-2),
    "momentum": lambda: gn.SGD(0.1, momentum=0.9),
    "momentum-wd": lambda: gn.SGD(0.1, momentum=0.9, weight_decay=1e-2),
    "nesterov": lambda: gn.SGD(0.1, momentum=0.9, nesterov=True),
    "nesterov-wd": lambda: gn.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=1e-2),
    "adam": lambda: gn.Adam(0.01),
    "adam-wd": lambda: gn.Adam(0.01, weight_decay=1e-2),
    "adamw": lambda: gn.AdamW(0.01, weight_decay=1e-2),
    "adamw-0": lambda: gn.AdamW(0.01, weight_decay=0.0),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_compiled_update_is_the_optimizers_rule(
    name: str, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_kernels, "MIN_SIZE", 0)
    n = 250
    layout = [("0.W", 0, 200, (20, 10)), ("0.b", 200, n, (50,))]
    p0 = rng.standard_normal(n)
    compiled, readable = OPTIMIZERS[name](), OPTIMIZERS[name]()
    p_c, p_r = p0.copy(), p0.copy()
    for _ in range(4):  # several steps: the state (velocity, moments) enters too
        g = rng.standard_normal(n)
        assert _kernels.compiled_update(compiled, p_c, g, layout), "the kernel did not run"
        readable.step_flat(p_r, g, layout)  # Optimizer.update on the flat vector
        _agree(p_c, p_r, np.abs(p_r) + np.abs(p0))
    assert compiled.t == readable.t == 4
    assert compiled.state.keys() == readable.state.keys()
    for param, slots in readable.state.items():
        assert slots.keys() == compiled.state[param].keys()
        for key, ref in slots.items():
            _agree(compiled.state[param][key], ref, np.abs(ref))


def test_every_formula_a_kernel_restates_is_checked_here() -> None:
    # A class added to the kernels' mirrors needs its agreement case above.
    checked = {type(layer) for layer, _, _ in ACTIVATIONS.values()}
    checked |= {type(make()) for make in OPTIMIZERS.values()}
    mirrored = {cls for cls, _, _ in _kernels.MIRRORS}
    assert mirrored <= checked, sorted(c.__name__ for c in mirrored - checked)
