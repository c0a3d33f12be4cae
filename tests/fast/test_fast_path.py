"""The fast route computes what the readable route computes.

``route="fast"`` runs the same formulas through the layers' and the loss's fast
forms (reused buffers) and the optimizer's rule once over the flat vector;
``route="readable"`` runs each layer's own forward and backward. Capability, not
exact type, decides what ``"auto"`` may take.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification

import glassnet as gn


def _problem(rng: np.random.Generator, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    seed = int(rng.integers(1_000_000))
    X, y = make_classification(
        150, n_features=5, n_informative=5, n_redundant=0, n_classes=n_classes, random_state=seed
    )
    return X, y


def _optimizers() -> dict[str, object]:
    return {
        "sgd": lambda: gn.SGD(0.3),
        "momentum": lambda: gn.SGD(0.1, momentum=0.9),
        "nesterov": lambda: gn.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
        "adam": lambda: gn.Adam(0.01),
        "adamw": lambda: gn.AdamW(0.01),
    }


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("batch_size", [None, 32], ids=["full-batch", "minibatch"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("opt", sorted(_optimizers()))
def test_fast_and_readable_paths_agree(
    opt: str, activation: str, batch_size: int | None, dtype: type, rng: np.random.Generator
) -> None:
    n_classes = 2 if activation == "tanh" else 8 if activation == "relu" else 3
    X, y = _problem(rng, n_classes)
    runs = []
    for route in ("fast", "readable"):
        model = gn.mlp([5, 12, 9, n_classes], activation, rng=1, dtype=dtype)
        make = _optimizers()[opt]
        history = gn.train(
            model,
            gn.SoftmaxCrossEntropy(),
            make(),  # type: ignore[operator]
            X,
            y,
            epochs=4,
            batch_size=batch_size,
            rng=2,
            l2=1e-3,
            route=route,
        )
        runs.append((model.flat_params.copy(), history))
    (p_fast, h_fast), (p_read, h_read) = runs
    tol = 1e-10 if dtype == np.float64 else 2e-4
    assert p_fast.dtype == dtype
    np.testing.assert_allclose(p_fast, p_read, rtol=tol, atol=tol)
    np.testing.assert_allclose(h_fast.loss, h_read.loss, rtol=tol)
    assert h_fast.accuracy == h_read.accuracy
    assert h_fast.n_steps == h_read.n_steps
    assert (h_fast.route, h_read.route) == ("fast", "readable")


# Stacks that end in an activation (whose cached output is the logits array) or
# chain activations (the second must not overwrite the first one's cached output).
_STACKS = {
    "ends-tanh": lambda: [gn.Dense(5, 6, rng=1), gn.Tanh(), gn.Dense(6, 3, rng=2), gn.Tanh()],
    "ends-relu": lambda: [gn.Dense(5, 6, rng=1), gn.ReLU(), gn.Dense(6, 3, rng=2), gn.ReLU()],
    "ends-sigmoid": lambda: [
        gn.Dense(5, 6, rng=1),
        gn.Sigmoid(),
        gn.Dense(6, 3, rng=2),
        gn.Sigmoid(),
    ],
    "ends-leaky-relu": lambda: [gn.Dense(5, 3, rng=1), gn.LeakyReLU(0.1)],
    "ends-identity": lambda: [gn.Dense(5, 3, rng=1), gn.Identity()],
    "tanh-tanh": lambda: [gn.Dense(5, 6, rng=1), gn.Tanh(), gn.Tanh(), gn.Dense(6, 3, rng=2)],
    "relu-tanh": lambda: [gn.Dense(5, 6, rng=1), gn.ReLU(), gn.Tanh(), gn.Dense(6, 3, rng=2)],
    "tanh-relu": lambda: [gn.Dense(5, 6, rng=1), gn.Tanh(), gn.ReLU(), gn.Dense(6, 3, rng=2)],
    "sigmoid-tanh": lambda: [
        gn.Dense(5, 6, rng=1),
        gn.Sigmoid(),
        gn.Tanh(),
        gn.Dense(6, 3, rng=2),
    ],
    "identity-first": lambda: [gn.Identity(), gn.Tanh(), gn.Dense(5, 3, rng=1), gn.Tanh()],
}


@pytest.mark.parametrize("batch_size", [None, 32], ids=["full-batch", "minibatch"])
@pytest.mark.parametrize("stack", sorted(_STACKS))
def test_fast_and_readable_paths_agree_for_any_layer_stack(
    stack: str, batch_size: int | None, rng: np.random.Generator
) -> None:
    X, y = _problem(rng, 3)
    X_copy = X.copy()
    runs = []
    routes = []
    for route in ("auto", "readable"):
        model = gn.Sequential(_STACKS[stack]())
        loss = gn.SoftmaxCrossEntropy()
        history = gn.train(
            model, loss, gn.SGD(0.5), X, y, epochs=3, batch_size=batch_size, rng=2, route=route
        )
        runs.append(model.flat_params.copy())
        routes.append(history.route)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-10, atol=1e-12)
    assert tuple(routes) == ("fast", "readable")
    np.testing.assert_array_equal(X, X_copy)


def test_fast_path_leaves_the_callers_data_alone(rng: np.random.Generator) -> None:
    X, y = _problem(rng, 3)
    X_copy = X.copy()
    model = gn.Sequential([gn.Tanh(), gn.Dense(5, 3, rng=0)])  # an activation first: no in-place
    gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, epochs=2)
    np.testing.assert_array_equal(X, X_copy)


def test_fast_path_reports_bad_labels_like_the_loss(rng: np.random.Generator) -> None:
    X, _ = _problem(rng, 2)
    y = np.full(X.shape[0], 5)
    model = gn.mlp([5, 4, 2], rng=0)
    with pytest.raises(ValueError, match=r"class index 5, outside \[0, 2\)"):
        gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, epochs=1)


@pytest.mark.parametrize("make", [lambda: gn.SGD(0.1, momentum=0.9), lambda: gn.Adam(0.01)])
def test_flat_optimizer_state_is_keyed_by_name_and_checkpointable(
    make: object, rng: np.random.Generator
) -> None:
    X, y = _problem(rng, 3)
    model = gn.mlp([5, 8, 3], "relu", rng=0)
    opt = make()  # type: ignore[operator]
    gn.train(model, gn.SoftmaxCrossEntropy(), opt, X, y, epochs=2, batch_size=50, rng=0)
    assert set(opt.state) == set(model.parameters())
    for name, slots in opt.state.items():
        for arr in slots.values():
            assert arr.shape == model.parameters()[name].shape
    # Resume from a checkpoint (and from a pickle) and continue: same as going on directly.
    saved_params = model.flat_params.copy()
    saved_state = opt.state_dict()
    pickled = pickle.loads(pickle.dumps(opt))
    gn.train(model, gn.SoftmaxCrossEntropy(), opt, X, y, epochs=1, batch_size=50, rng=5)
    direct = model.flat_params.copy()
    for restored in (make(), pickled):  # type: ignore[operator]
        if restored is not pickled:
            restored.load_state_dict(saved_state)
        model.flat_params[...] = saved_params
        gn.train(model, gn.SoftmaxCrossEntropy(), restored, X, y, epochs=1, batch_size=50, rng=5)
        np.testing.assert_array_equal(model.flat_params, direct)


def test_a_subclass_with_its_own_update_rule_is_honoured(rng: np.random.Generator) -> None:
    class Frozen(gn.SGD):
        def update(self, p: np.ndarray, g: np.ndarray, slot: object) -> None:
            pass  # never moves

    X, y = _problem(rng, 2)
    for route in ("fast", "readable"):
        model = gn.mlp([5, 4, 2], rng=0)
        start = model.flat_params.copy()
        gn.train(model, gn.SoftmaxCrossEntropy(), Frozen(0.5), X, y, epochs=2, route=route)
        np.testing.assert_array_equal(model.flat_params, start)


@pytest.mark.parametrize("k", [2, 5, 12, 30])
def test_the_fast_form_of_the_loss_matches_forward_and_backward(
    k: int, rng: np.random.Generator
) -> None:
    from glassnet.fast.workspace import Workspace

    z = rng.standard_normal((40, k)) * 30
    y = rng.integers(0, k, size=40)
    loss = gn.SoftmaxCrossEntropy()
    expected = loss.forward(z, y)
    grad = loss.backward()
    work = z.copy()
    total, correct = loss.forward_backward_into(work, y, gn.one_hot(y, k), Workspace(np.float64))
    assert total / 40 == pytest.approx(expected, rel=1e-13)
    # Entries are ŷ - y with |.| ≤ 1/40: compare to a few ulps of that scale.
    np.testing.assert_allclose(work, grad, rtol=1e-12, atol=1e-16)
    assert correct == int(np.sum(np.argmax(z, axis=1) == y))


@pytest.mark.parametrize("opt", sorted(_optimizers()))
def test_the_flat_step_is_the_per_array_rule(opt: str, rng: np.random.Generator) -> None:
    models = [gn.mlp([3, 6, 2], rng=0) for _ in range(2)]
    opts = [_optimizers()[opt]() for _ in range(2)]  # type: ignore[operator]
    layout = [(name, 0, 0, ()) for name in models[1].parameters()]
    offset = 0
    for i, (name, p) in enumerate(models[1].parameters().items()):
        layout[i] = (name, offset, offset + p.size, p.shape)
        offset += p.size
    for _ in range(5):
        g = rng.standard_normal(models[0].flat_grads.shape)
        for model in models:
            model.flat_grads[...] = g
        opts[0].step(models[0].parameters(), models[0].gradients())
        opts[1].step_flat(models[1].flat_params, models[1].flat_grads, layout)
    # One rule applied to one array or to all at once: the very same numbers.
    np.testing.assert_array_equal(models[1].flat_params, models[0].flat_params)
    assert opts[0].t == opts[1].t == 5
    for name, slots in opts[1].state.items():  # state stays keyed by name
        for key, value in slots.items():
            np.testing.assert_array_equal(value, opts[0].state[name][key])
