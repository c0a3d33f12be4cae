"""The workloads of WORKLOADS.md and one runner per peer, all doing the same work.

A *workload* fixes the data, the network, the optimizer, the epochs and the
batch boundaries. A *runner* trains one peer on it from the same initial weights
(where the peer allows it) and returns the wall time of the training loop alone
(data preparation, imports and JAX's compilation excluded) and the test accuracy.

Where a peer cannot do exactly the same work, its ``note`` says so and the
report prints it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn

#: Optional peers treated as missing (``--without``), to exercise that path.
HIDDEN: set[str] = set()


def optional(module: str) -> Any | None:
    """Import an optional peer's module, or return None when it is not installed."""
    if module in HIDDEN:
        return None
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


@dataclass
class Workload:
    """One benchmark problem: data, network, optimizer and schedule."""

    name: str
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    hidden: tuple[int, ...]
    activation: str
    solver: str  # "sgd" or "adam"
    lr: float
    batch_size: int | None  # None: full batch
    epochs: int
    dtype: type
    seed: int = 0
    note: str = ""
    n_classes: int = field(init=False)

    def __post_init__(self) -> None:
        self.X = np.ascontiguousarray(self.X, dtype=self.dtype)
        self.X_test = np.ascontiguousarray(self.X_test, dtype=self.dtype)
        self.n_classes = int(self.y.max()) + 1

    @property
    def sizes(self) -> list[int]:
        return [self.X.shape[1], *self.hidden, self.n_classes]

    def initial_model(self) -> gn.Sequential:
        """The shared starting point: Glorot-uniform weights, zero biases, from ``seed``.

        scikit-learn's rule (and glassnet.MLPClassifier's) for every activation, so the
        peers that share these weights start where scikit-learn's kind of start would.
        """
        return gn.mlp(
            self.sizes, self.activation, rng=self.seed, dtype=self.dtype, init="glorot_uniform"
        )

    def batches(self) -> list[list[np.ndarray]]:
        """Every epoch's batch indices, drawn exactly as ``glassnet.train`` draws them."""
        rng = np.random.default_rng(self.seed)
        n = self.X.shape[0]
        size = n if self.batch_size is None else min(self.batch_size, n)
        out = []
        for _ in range(self.epochs):
            if size >= n:
                out.append([np.arange(n)])
            else:
                order = rng.permutation(n)
                out.append([order[i : i + size] for i in range(0, n, size)])
        return out

    @property
    def samples(self) -> int:
        return self.X.shape[0] * self.epochs


def _standardise(X: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = X.mean(axis=0), X.std(axis=0)
    sd[sd == 0] = 1.0
    return (X - mu) / sd, (X_test - mu) / sd


def w1(dtype: type, n: int = 1000, epochs: int = 2000) -> Workload:
    """W1, the seed's: moons, 2 → 32 tanh → 2, full-batch GD, lr 0.5."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n, noise=0.2, random_state=0)
    Xt, yt = make_moons(1000, noise=0.2, random_state=1)
    name = f"W1 {np.dtype(dtype).name}"
    return Workload(name, X, y, Xt, yt, (32,), "tanh", "sgd", 0.5, None, epochs, dtype)


def w2(n: int = 100_000, epochs: int = 5, hidden: tuple[int, ...] = (128, 128)) -> Workload:
    """W2, tabular: 20 features, 10 classes, 20 → 128 relu → 128 relu → 10, Adam, batch 256."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n, n_features=20, n_informative=15, n_classes=10, random_state=0)
    cut = int(0.8 * n)
    Xtr, Xte = _standardise(X[:cut], X[cut:])
    return _w2(Xtr, y[:cut], Xte, y[cut:], epochs, hidden)


def _w2(
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    epochs: int,
    hidden: tuple[int, ...] = (128, 128),
) -> Workload:
    """W2's settings (relu, Adam lr 1e-3, batch 256, float32) around the given arrays."""
    return Workload(
        "W2", X, y, X_test, y_test, hidden, "relu", "adam", 1e-3, 256, epochs, np.float32
    )


def save_arrays(wl: Workload, folder: Path) -> None:
    """Write a workload's four arrays as .npy files (for the memory children)."""
    for key in ("X", "y", "X_test", "y_test"):
        np.save(folder / f"{key}.npy", getattr(wl, key))


def w2_from(folder: Path, epochs: int = 1) -> Workload:
    """W2 with its arrays loaded from :func:`save_arrays`'s files (no data generation)."""
    X, y, X_test, y_test = (
        np.load(folder / f"{key}.npy") for key in ("X", "y", "X_test", "y_test")
    )
    return _w2(X, y, X_test, y_test, epochs)


def w3(n: int = 60_000, epochs: int = 2, width: int = 512, n_features: int = 784) -> Workload:
    """W3, GEMM-bound: random 784 features, 10 labels, 784 → 512 relu → 512 relu → 10."""
    rng = np.random.default_rng(0)
    X = rng.random((n, n_features), dtype=np.float32)
    y: np.ndarray = rng.integers(0, 10, size=n)
    y[:10] = np.arange(10)  # every class present even in tiny smoke configurations
    Xt = rng.random((min(n, 2000), n_features), dtype=np.float32)
    yt = np.asarray(rng.integers(0, 10, size=(Xt.shape[0],)))
    return Workload(
        "W3",
        X,
        y,
        Xt,
        yt,
        (width, width),
        "relu",
        "adam",
        1e-3,
        512,
        epochs,
        np.float32,
        note="random labels: accuracy is chance level by design",
    )


# ---------------------------------------------------------------------------
# runners: each returns {"seconds": training time, "accuracy": test accuracy}
# ---------------------------------------------------------------------------

Result = dict[str, Any]


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """The share of predictions equal to the labels."""
    return float(np.mean(np.asarray(pred) == y))


def run_glassnet_train(wl: Workload) -> Result:
    """glassnet's low-level loop: ``glassnet.train`` on ``glassnet.mlp``."""
    model = wl.initial_model()
    opt = gn.SGD(wl.lr) if wl.solver == "sgd" else gn.Adam(wl.lr)
    t0 = time.perf_counter()
    history = gn.train(
        model,
        gn.SoftmaxCrossEntropy(),
        opt,
        wl.X,
        wl.y,
        epochs=wl.epochs,
        batch_size=wl.batch_size,
        rng=wl.seed,
    )
    seconds = time.perf_counter() - t0
    pred = np.argmax(model.forward(wl.X_test), axis=1)
    return {"seconds": seconds, "accuracy": accuracy(pred, wl.y_test), "route": history.route}


def _glassnet_estimator(wl: Workload) -> gn.MLPClassifier:
    return gn.MLPClassifier(
        hidden_layer_sizes=wl.hidden,
        activation=wl.activation,
        solver=wl.solver,
        learning_rate_init=wl.lr,
        batch_size="auto" if wl.batch_size is None else wl.batch_size,
        max_iter=wl.epochs,
        alpha=0.0,
        tol=0.0,
        n_iter_no_change=10**9,
        shuffle=True,
        random_state=wl.seed,
        dtype=wl.dtype,
    )


def run_glassnet_estimator(wl: Workload) -> Result:
    """``glassnet.MLPClassifier``: validation, label encoding and training, all in ``fit``."""
    est = _glassnet_estimator(wl)
    if wl.batch_size is None:
        est.set_params(batch_size=wl.X.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        est.fit(wl.X, wl.y)
        seconds = time.perf_counter() - t0
    acc = accuracy(est.predict(wl.X_test), wl.y_test)
    return {"seconds": seconds, "accuracy": acc, "route": getattr(est, "route_", "")}


def run_sklearn(wl: Workload) -> Result:
    """scikit-learn's MLPClassifier with the same sizes, solver, lr, batches and epochs."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    est = MLPClassifier(
        hidden_layer_sizes=wl.hidden,
        activation=wl.activation,
        solver=wl.solver,
        learning_rate_init=wl.lr,
        batch_size=wl.X.shape[0] if wl.batch_size is None else wl.batch_size,
        max_iter=wl.epochs,
        alpha=0.0,
        tol=0.0,
        n_iter_no_change=10**9,
        momentum=0.0,
        nesterovs_momentum=False,
        shuffle=True,
        random_state=wl.seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(wl.X, wl.y)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "accuracy": accuracy(est.predict(wl.X_test), wl.y_test)}


def run_torch(wl: Workload, fused: bool = False) -> Result:
    """PyTorch eager, same initial weights and batch boundaries (``fused``: fused Adam)."""
    torch = optional("torch")
    if torch is None:
        return {"skipped": "not installed"}
    torch.set_num_threads(2)
    tdt = torch.float64 if wl.dtype == np.float64 else torch.float32
    layers: list[Any] = []
    init = wl.initial_model()
    dense = [layer for layer in init.layers if isinstance(layer, gn.Dense)]
    act = torch.nn.Tanh if wl.activation == "tanh" else torch.nn.ReLU
    for i, d in enumerate(dense):
        lin = torch.nn.Linear(d.n_in, d.n_out, dtype=tdt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(d.W.T)))
            lin.bias.copy_(torch.from_numpy(d.b.copy()))
        layers.append(lin)
        if i < len(dense) - 1:
            layers.append(act())
    net = torch.nn.Sequential(*layers)
    if wl.solver == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=wl.lr)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=wl.lr, fused=fused or None)
    X = torch.from_numpy(wl.X)
    y = torch.from_numpy(wl.y.astype(np.int64))
    plan = [[torch.from_numpy(idx) for idx in epoch] for epoch in wl.batches()]
    full = wl.batch_size is None
    lossf = torch.nn.functional.cross_entropy
    t0 = time.perf_counter()
    for epoch in plan:
        for idx in epoch:
            xb, yb = (X, y) if full else (X[idx], y[idx])
            opt.zero_grad(set_to_none=True)
            loss = lossf(net(xb), yb)
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        pred = net(torch.from_numpy(wl.X_test)).argmax(dim=1).numpy()
    return {"seconds": seconds, "accuracy": accuracy(pred, wl.y_test)}


def run_torch_fused(wl: Workload) -> Result:
    """PyTorch eager with ``Adam(fused=True)``."""
    if wl.solver != "adam":
        return {"skipped": "fused Adam only (SGD workload)"}
    return run_torch(wl, fused=True)


def _jax_setup(
    wl: Workload,
) -> tuple[Any, Any, list[Any], Callable[..., Any], Callable[..., Any]] | None:
    """JAX, jax.numpy, the shared initial weights, the loss and the forward pass (logits)."""
    jax = optional("jax")
    if jax is None:
        return None
    if wl.dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    init = wl.initial_model()
    params = [(jnp.asarray(d.W), jnp.asarray(d.b)) for d in init.layers if isinstance(d, gn.Dense)]
    act = jnp.tanh if wl.activation == "tanh" else jax.nn.relu

    def logits(params: list[Any], x: Any) -> Any:
        h = x
        for W, b in params[:-1]:
            h = act(h @ W + b)
        W, b = params[-1]
        return h @ W + b

    def loss_fn(params: list[Any], xb: Any, yb: Any) -> Any:
        logp = jax.nn.log_softmax(logits(params, xb))
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))

    return jax, jnp, params, loss_fn, logits


def _jax_adam(jax: Any, jnp: Any, lr: float) -> tuple[Callable[..., Any], Callable[..., Any]]:
    b1, b2, eps = 0.9, 0.999, 1e-8

    def init(params: Any) -> Any:
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        # The step count in the parameters' dtype keeps β^t from promoting float32.
        return (zeros, zeros, jnp.zeros((), dtype=params[0][0].dtype))

    def update(params: Any, grads: Any, state: Any) -> tuple[Any, Any]:
        m, v, t = state
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        c1, c2 = 1 - b1**t, 1 - b2**t
        params = jax.tree_util.tree_map(
            lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v
        )
        return params, (m, v, t)

    return init, update


def run_jax(wl: Workload, whole_loop: bool = False) -> Result:
    """JAX jit: one compiled step per batch (``whole_loop``: every epoch in one compiled loop)."""
    setup = _jax_setup(wl)
    if setup is None:
        return {"skipped": "not installed"}
    jax, jnp, params, loss_fn, logits = setup
    X = jnp.asarray(wl.X)
    y = jnp.asarray(wl.y.astype(np.int32))
    grad_fn = jax.grad(loss_fn)
    if wl.solver == "sgd":

        @jax.jit
        def step(params: Any, state: Any, idx: Any) -> Any:
            grads = grad_fn(params, X if idx is None else X[idx], y if idx is None else y[idx])
            return jax.tree_util.tree_map(lambda p, g: p - wl.lr * g, params, grads), state

        state: Any = 0
    else:
        adam_init, adam_update = _jax_adam(jax, jnp, wl.lr)

        @jax.jit
        def step(params: Any, state: Any, idx: Any) -> Any:
            grads = grad_fn(params, X[idx], y[idx])
            return adam_update(params, grads, state)

        state = adam_init(params)

    plan = wl.batches()
    full = wl.batch_size is None
    t_compile = time.perf_counter()
    if whole_loop:
        if not full:
            return {"skipped": "whole-loop compile only for the full-batch workload"}

        @jax.jit
        def train_all(params: Any) -> Any:
            return jax.lax.fori_loop(0, wl.epochs, lambda i, p: step(p, 0, None)[0], params)

        jax.block_until_ready(train_all(params))  # compile
        compile_s = time.perf_counter() - t_compile
        t0 = time.perf_counter()
        params = jax.block_until_ready(train_all(params))
        seconds = time.perf_counter() - t0
    else:
        idx_plan = [[None if full else jnp.asarray(i.astype(np.int32)) for i in e] for e in plan]
        for idx in {None if i is None else i.shape[0]: i for i in idx_plan[0]}.values():
            jax.block_until_ready(step(params, state, idx))  # compile each batch shape
        compile_s = time.perf_counter() - t_compile
        t0 = time.perf_counter()
        for epoch in idx_plan:
            for idx in epoch:
                params, state = step(params, state, idx)
        jax.block_until_ready(params)
        seconds = time.perf_counter() - t0
    pred = np.asarray(jnp.argmax(logits(params, jnp.asarray(wl.X_test)), axis=1))
    return {"seconds": seconds, "accuracy": accuracy(pred, wl.y_test), "compile_s": compile_s}


def run_jax_whole_loop(wl: Workload) -> Result:
    """JAX with the whole training loop compiled (``lax.fori_loop``), full batch only."""
    return run_jax(wl, whole_loop=True)


#: The environment variable that switches glassnet's compiled kernels off (read at every
#: call, ``glassnet.fast.kernels.switched_off``): set, glassnet runs as a plain install.
NO_NUMBA = "GLASSNET_NO_NUMBA"

#: Suffix of the peers that run glassnet as a plain ``pip install glassnet`` runs it.
PLAIN = " (plain install)"


@contextlib.contextmanager
def numba_off() -> Iterator[None]:
    """Run the body with glassnet's compiled kernels switched off; restore the variable after.

    In this process numba may be loaded already (the [fast] peers load it): that
    costs nothing while switched off, and a plain install's import is measured
    apart, in the memory children, which never import numba.
    """
    saved = os.environ.get(NO_NUMBA)
    os.environ[NO_NUMBA] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ[NO_NUMBA]
        else:
            os.environ[NO_NUMBA] = saved


def plain(runner: Callable[[Any], Result]) -> Callable[[Any], Result]:
    """The same runner with numba switched off: glassnet as a plain install runs it."""

    def run(wl: Any) -> Result:
        with numba_off():
            return runner(wl)

    run.__doc__ = f"{runner.__doc__} As a plain install (numba switched off)."
    return run


RUNNERS: dict[str, Callable[[Workload], Result]] = {
    "glassnet.train": run_glassnet_train,
    "glassnet.MLPClassifier": run_glassnet_estimator,
    "glassnet.train" + PLAIN: plain(run_glassnet_train),
    "glassnet.MLPClassifier" + PLAIN: plain(run_glassnet_estimator),
    "scikit-learn": run_sklearn,
    "PyTorch eager": run_torch,
    "PyTorch fused Adam": run_torch_fused,
    "JAX jit step": run_jax,
    "JAX jit whole loop": run_jax_whole_loop,
}

#: What each peer does differently from glassnet on the same workload.
NOTES: dict[str, str] = {
    "glassnet.MLPClassifier": "its own initialisation from random_state (alpha=0, tol=0)",
    "glassnet.train" + PLAIN: f"the NumPy path only ({NO_NUMBA}=1 around the call)",
    "glassnet.MLPClassifier" + PLAIN: f"as glassnet.MLPClassifier, {NO_NUMBA}=1 around the fit",
    "scikit-learn": (
        "its own initialisation (cannot be given weights before fit); for two classes "
        "a single logistic output unit instead of a 2-way softmax; alpha=0, tol=0, "
        "momentum=0, same batch size and epochs but its own shuffles"
    ),
    "PyTorch eager": "same initial weights and batch boundaries; Adam(foreach) default",
    "PyTorch fused Adam": "same as PyTorch eager with Adam(fused=True)",
    "JAX jit step": "same initial weights and batches; one jitted step per batch; "
    "compile time excluded (reported separately)",
    "JAX jit whole loop": "every epoch in one compiled lax.fori_loop (full batch only)",
}
