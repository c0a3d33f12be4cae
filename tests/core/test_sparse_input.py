"""Sparse X is never densified: the first layer's products run sparse, to the dense numbers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import glassnet as gn
from glassnet.core.data import check_features, is_sparse

sp = pytest.importorskip("scipy.sparse")


def _sparse(rng: np.random.Generator, fmt: str = "csr") -> tuple[object, np.ndarray]:
    X = sp.random(120, 40, density=0.08, random_state=int(rng.integers(1000)), format=fmt)
    y = np.asarray(X.sum(axis=1)).ravel() > np.median(np.asarray(X.sum(axis=1)))
    return X, y.astype(int)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_training_on_sparse_equals_training_on_dense(fmt: str, rng: np.random.Generator) -> None:
    X, y = _sparse(rng, fmt)
    models = [gn.mlp([40, 8, 2], "relu", rng=0) for _ in range(2)]
    h = gn.train(models[0], gn.SoftmaxCrossEntropy(), gn.Adam(0.01), X, y, epochs=4,
                 batch_size=16, rng=1)  # fmt: skip
    gn.train(models[1], gn.SoftmaxCrossEntropy(), gn.Adam(0.01), X.toarray(), y, epochs=4,
             batch_size=16, rng=1, route="readable")  # fmt: skip
    np.testing.assert_allclose(models[0].flat_params, models[1].flat_params, rtol=1e-10, atol=1e-12)
    assert h.route == "fast"  # the fast step slices the batch's sparse rows
    np.testing.assert_allclose(models[0].forward(X), models[0].forward(X.toarray()), rtol=1e-12)


def test_check_features_keeps_sparse_input_sparse(rng: np.random.Generator) -> None:
    X, _ = _sparse(rng, "csc")
    out = check_features(X, dtype=np.float32)
    assert is_sparse(out) and out.format == "csr" and out.dtype == np.float32
    assert out.nnz == X.nnz
    assert not is_sparse(X.toarray())


def test_nan_stored_in_a_sparse_matrix_is_refused(rng: np.random.Generator) -> None:
    X, _ = _sparse(rng)
    X.data[3] = np.nan
    with pytest.raises(ValueError, match=r"X \(its stored values\) contains 1 NaN"):
        check_features(X)


def test_routes_that_cannot_take_sparse_input_say_why(rng: np.random.Generator) -> None:
    X, y = _sparse(rng)
    tanh_first = gn.Sequential([gn.Tanh(), gn.Dense(40, 2, rng=0)])
    with pytest.raises(ValueError, match="X is sparse and the first layer is not Dense"):
        gn.train(tanh_first, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, epochs=1, route="fast")
    with pytest.raises(ValueError, match=r"X is sparse \(the compiled step gathers dense rows\)"):
        gn.train(gn.mlp([40, 4, 2], "relu", rng=0), gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y,
                 epochs=1, route="compiled")  # fmt: skip


def test_the_fast_route_on_sparse_input_gives_the_readable_numbers(
    rng: np.random.Generator,
) -> None:
    X, y = _sparse(rng)
    models = [gn.mlp([40, 8, 2], "relu", rng=0) for _ in range(2)]
    for model, route in zip(models, ("fast", "readable"), strict=True):
        gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(0.01), X, y, epochs=3, batch_size=16,
                 rng=1, route=route, l2=1e-3)  # fmt: skip
    np.testing.assert_allclose(models[0].flat_params, models[1].flat_params, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_t_dot_is_xt_g_and_overwrites_every_row(fmt: str, rng: np.random.Generator) -> None:
    from glassnet.core.data import sparse_t_dot

    X = sp.random(30, 500, density=0.01, random_state=int(rng.integers(1000)), format=fmt)
    G = rng.normal(size=(30, 4))
    dW = np.full((500, 4), np.nan)  # stale values in rows of absent features must go
    sparse_t_dot(X, G, dW)
    np.testing.assert_allclose(dW, X.toarray().T @ G, rtol=1e-12, atol=1e-15)
    empty = sp.csr_matrix((0, 500))
    sparse_t_dot(empty, np.zeros((0, 4)), dW)
    assert not dW.any()


def test_a_sparse_fit_holds_few_copies_of_a_wide_first_layer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 4,000-feature first layer: the fit must not make a dense temporary of
    # Xᵀ G per batch, nor keep the initial weights apart from the live ones.
    # Counted in copies of the parameter vector at the fit's peak (tracemalloc
    # sees NumPy's allocations): parameters, gradients, Adam's two moments, the
    # divergence guard's snapshot (3) and the estimator's epoch boundary (1), plus
    # block-long work vectors; any extra param-sized array breaks the bound.
    import tracemalloc

    X = sp.random(600, 4000, density=0.005, random_state=0, format="csr", dtype=np.float32)
    y = np.arange(600) % 3
    clf = gn.MLPClassifier((64,), max_iter=2, batch_size=64, random_state=0, dtype="float32")
    param_bytes = (4000 * 64 + 64 + 64 * 3 + 3) * 4
    monkeypatch.setenv("GLASSNET_NO_NUMBA", "1")  # numba's import is not the fit's copies
    with pytest.warns(ConvergenceWarning):  # first, every module the fit imports (code is memory)
        gn.MLPClassifier((2,), max_iter=1).fit(X[:50, :30], y[:50])
    tracemalloc.start()
    try:
        with pytest.warns(ConvergenceWarning):  # max_iter=2 does not converge
            clf.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 9.5 * param_bytes, peak / param_bytes
