"""Layers: forward/backward pairs checked by central differences, and Sequential."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

ACTIVATION_LAYERS = {
    "tanh": gn.Tanh,
    "relu": gn.ReLU,
    "leaky_relu": lambda: gn.LeakyReLU(0.1),
    "sigmoid": gn.Sigmoid,
    "identity": gn.Identity,
}


@pytest.mark.parametrize("name", sorted(ACTIVATION_LAYERS))
def test_every_activation_passes_the_gradient_check(name: str, rng: np.random.Generator) -> None:
    model = gn.Sequential(
        [gn.Dense(3, 5, rng=rng), ACTIVATION_LAYERS[name](), gn.Dense(5, 3, rng=rng)]
    )
    X = rng.normal(size=(8, 3))
    y = rng.integers(0, 3, size=8)
    errors = gn.check_gradients(model, gn.SoftmaxCrossEntropy(), X, y)
    assert set(errors) == {"0.W", "0.b", "2.W", "2.b", "X"}
    assert errors.max_error() < 1e-7, errors


@pytest.mark.parametrize("init", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal"])
def test_dense_passes_the_gradient_check(init: str, rng: np.random.Generator) -> None:
    model = gn.Sequential([gn.Dense(4, 3, rng=rng, init=init)])
    X = rng.normal(size=(6, 4))
    y = rng.integers(0, 3, size=6)
    assert gn.check_gradients(model, gn.SoftmaxCrossEntropy(), X, y).max_error() < 1e-7


def test_softmax_layer_with_cross_entropy_passes_the_gradient_check(
    rng: np.random.Generator,
) -> None:
    model = gn.Sequential(
        [gn.Dense(3, 4, rng=rng), gn.Tanh(), gn.Dense(4, 3, rng=rng), gn.Softmax()]
    )
    X = rng.normal(size=(7, 3))
    y = rng.integers(0, 3, size=7)
    assert gn.check_gradients(model, gn.CrossEntropy(), X, y).max_error() < 1e-7


def test_a_broken_backward_fails_the_gradient_check(rng: np.random.Generator) -> None:
    class BrokenTanh(gn.Tanh):
        def backward(self, grad: np.ndarray) -> np.ndarray:
            return grad * (1.0 + self._cache**2)  # wrong sign inside the derivative (a = tanh)

    model = gn.Sequential([gn.Dense(2, 4, rng=rng), BrokenTanh(), gn.Dense(4, 2, rng=rng)])
    X = rng.normal(size=(5, 2))
    y = rng.integers(0, 2, size=5)
    errors = gn.check_gradients(model, gn.SoftmaxCrossEntropy(), X, y)
    assert errors["0.W"] > 1e-2
    assert errors["2.W"] < 1e-7  # the layer after the bug is still right


def test_sequential_names_and_live_views(rng: np.random.Generator) -> None:
    model = gn.mlp([2, 4, 3], "tanh", rng=rng)
    params = model.parameters()
    assert list(params) == ["0.W", "0.b", "2.W", "2.b"]
    assert params["0.W"].shape == (2, 4) and params["2.b"].shape == (3,)
    assert list(model.gradients()) == list(params)
    params["0.W"][0, 0] = 42.0
    assert model.layers[0].W[0, 0] == 42.0
    assert model.flat_params[0] == 42.0
    assert model.flat_params.size == 2 * 4 + 4 + 4 * 3 + 3


def test_backward_fills_the_live_gradient_arrays(rng: np.random.Generator) -> None:
    model = gn.mlp([2, 3, 2], rng=rng)
    grads = model.gradients()
    before = {k: v.copy() for k, v in grads.items()}
    loss = gn.SoftmaxCrossEntropy()
    loss.forward(model.forward(rng.normal(size=(4, 2))), np.array([0, 1, 1, 0]))
    model.backward(loss.backward())
    assert all(not np.array_equal(before[k], grads[k]) for k in grads)
    np.testing.assert_array_equal(
        np.concatenate([g.ravel() for g in grads.values()]), model.flat_grads
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_keep_their_dtype(dtype: type, rng: np.random.Generator) -> None:
    model = gn.mlp([2, 8, 8, 3], "relu", rng=rng, dtype=dtype)
    X = rng.normal(size=(5, 2)).astype(dtype)
    out = model.forward(X)
    assert out.dtype == dtype
    loss = gn.SoftmaxCrossEntropy()
    loss.forward(out, np.array([0, 1, 2, 0, 1]))
    dX = model.backward(loss.backward())
    assert dX.dtype == dtype
    assert all(g.dtype == dtype for g in model.gradients().values())


@pytest.mark.parametrize("given", [np.float64, np.int64, np.float32], ids=["f64", "int", "f32"])
def test_a_float32_model_computes_in_float32_whatever_the_input(
    given: type, rng: np.random.Generator
) -> None:
    model = gn.mlp([2, 8, 3], "tanh", rng=rng, dtype=np.float32)
    X = (rng.normal(size=(5, 2)) * 3).astype(given)
    out = model.forward(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, model.forward(X.astype(np.float32)), rtol=1e-6)
    dX = model.backward(np.ones_like(out))
    assert dX.dtype == np.float32

    seen: list[np.dtype] = []

    class Spy(gn.SoftmaxCrossEntropy):
        def forward(self, logits, y, sample_weight=None):  # type: ignore[no-untyped-def]
            seen.append(np.asarray(logits).dtype)
            return super().forward(logits, y, sample_weight)

    gn.evaluate(model, Spy(), X, np.array([0, 1, 2, 0, 1]))
    assert seen == [np.dtype(np.float32)]


def test_same_seed_same_weights() -> None:
    a = gn.mlp([2, 16, 2], rng=np.random.default_rng(7))
    b = gn.mlp([2, 16, 2], rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.flat_params, b.flat_params)


@pytest.mark.parametrize(
    ("activation", "init", "expected"),
    [
        ("relu", None, "he_uniform"),
        ("leaky_relu", None, "he_uniform"),
        ("tanh", None, "glorot_uniform"),
        ("relu", "glorot_uniform", "glorot_uniform"),
        ("tanh", "he_normal", "he_normal"),
    ],
)
def test_mlp_init_chooses_the_weight_rule(activation: str, init: str | None, expected: str) -> None:
    model = gn.mlp([3, 5, 2], activation, rng=7, init=init)
    generator = np.random.default_rng(7)
    want = [
        gn.Dense(3, 5, rng=generator, init=expected).W,
        gn.Dense(5, 2, rng=generator, init=expected).W,
    ]
    np.testing.assert_array_equal(model.parameters()["0.W"], want[0])
    np.testing.assert_array_equal(model.parameters()["2.W"], want[1])
    assert not model.parameters()["0.b"].any()
    with pytest.raises(ValueError, match=r"init must be one of .*or None; got 'orthogonal'"):
        gn.mlp([3, 2], init="orthogonal")


def test_dense_rejects_bad_sizes_and_dtypes() -> None:
    with pytest.raises(ValueError, match="n_out must be a positive integer; got 0"):
        gn.Dense(2, 0)
    with pytest.raises(ValueError, match="dtype must be float32 or float64; got float16"):
        gn.Dense(2, 2, dtype=np.float16)
    with pytest.raises(ValueError, match="init must be one of"):
        gn.Dense(2, 2, init="orthogonal")
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        gn.Dense(2, 2, rng="seed")  # type: ignore[arg-type]


def test_sequential_rejects_mixed_dtypes(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="share one dtype"):
        gn.Sequential([gn.Dense(2, 2, rng=rng), gn.Dense(2, 2, rng=rng, dtype=np.float32)])


def test_a_nested_sequential_is_refused_with_a_way_out(rng: np.random.Generator) -> None:
    inner = gn.Sequential([gn.Dense(2, 3, rng=rng), gn.Tanh()])
    # Nested, its parameters would be invisible to parameters() and never trained.
    with pytest.raises(TypeError, match=r"layers\[0\] is a Sequential.*Sequential\(\[\*inner"):
        gn.Sequential([inner, gn.Dense(3, 2, rng=rng)])
    flat = gn.Sequential([*inner, gn.Dense(3, 2, rng=rng)])  # the advised way out
    assert list(flat.parameters()) == ["0.W", "0.b", "2.W", "2.b"]


def test_backward_before_forward_explains(rng: np.random.Generator) -> None:
    with pytest.raises(RuntimeError, match="called before forward"):
        gn.Tanh().backward(np.ones((1, 1)))
    with pytest.raises(RuntimeError, match="called before forward"):
        gn.Dense(1, 1, rng=rng).backward(np.ones((1, 1)))


def test_astype_copies_and_converts(rng: np.random.Generator) -> None:
    model = gn.mlp([2, 3, 2], rng=rng)
    m32 = model.astype(np.float32)
    assert m32.dtype == np.float32 and model.dtype == np.float64
    m32.parameters()["0.W"][...] = 0
    assert np.any(model.parameters()["0.W"] != 0)
    np.testing.assert_allclose(
        m32.astype(np.float64).flat_params[6:], model.flat_params[6:], rtol=1e-6
    )


def test_uniform_biases_are_drawn_as_scikit_learn_draws_them() -> None:
    layer = gn.Dense(3, 500, rng=0, bias_init="uniform")
    bound = np.sqrt(6.0 / 503)
    assert np.all(np.abs(layer.b) <= bound) and np.ptp(layer.b) > 1.8 * bound
    assert np.all(gn.Dense(3, 5, rng=0).b == 0)  # the default stays zero
    model = gn.mlp([2, 4, 2], rng=1, bias_init="uniform")
    assert all(np.any(b != 0) for name, b in model.parameters().items() if name.endswith(".b"))
    with pytest.raises(ValueError, match="bias_init must be 'zeros' or 'uniform'; got 'ones'"):
        gn.Dense(2, 2, bias_init="ones")
