"""The compiled training step (numba) computes what the NumPy fast path computes.

``train`` sends runs of ``Dense → relu/leaky relu/tanh/logistic/identity → … → Dense``
networks with a plain SoftmaxCrossEntropy to ``glassnet.fast.jitted_step.run_batches``.
Here the same small problems are trained both ways (``route="compiled"``, then
``route="fast"``; where ``"auto"`` is under test, numba's load cost is set to nothing
or to more than any run saves) and compared: weights, optimizer state, history, the
guard's errors and the callbacks' view. The kernel's sums run in another order than
NumPy's (and its tanh, σ and exp are within an ulp or two of NumPy's), so the numbers
agree to rounding, not bit for bit.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_moons

import glassnet as gn
from glassnet.fast import compiled as _fastpath
from glassnet.fast import kernels as _kernels
from glassnet.fast.flat import FlatView
from glassnet.fast.numpy_step import FastStep
from glassnet.fast.routes import compiled_saving
from glassnet.training.run import _CHUNK
from helpers import needs_numba, run_python

pytestmark = needs_numba

OPTIMIZERS: dict[str, Any] = {
    "sgd": lambda: gn.SGD(0.2),
    "sgd-wd": lambda: gn.SGD(0.2, weight_decay=1e-2),
    "momentum": lambda: gn.SGD(0.05, momentum=0.9),
    "nesterov": lambda: gn.SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda: gn.Adam(0.01),
    "adam-wd": lambda: gn.Adam(0.01, weight_decay=1e-2),
    "adamw": lambda: gn.AdamW(0.01, weight_decay=1e-2),
}
# The environment a test's fresh interpreter needs for the compiled path.
NUMBA_ON = {_kernels.ENV_OFF: ""}
# float32: rounding differences of the two routes grow a little with every step.
TOL = {np.float64: {"rtol": 1e-9, "atol": 1e-12}, np.float32: {"rtol": 2e-4, "atol": 2e-5}}


class Spy:
    """Counts calls of ``CompiledStep.run`` (so a test knows which route ran)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = _fastpath.CompiledStep.run

        def run(path: Any, *args: Any) -> Any:
            self.calls += 1
            return original(path, *args)

        monkeypatch.setattr(_fastpath.CompiledStep, "run", run)


def _auto_compiles(monkeypatch: pytest.MonkeyPatch, yes: bool) -> None:
    """Make ``route="auto"`` take the compiled step wherever the kernels restate the run
    (as once numba is loaded: nothing left to pay), or never (a load no run wins back)."""
    monkeypatch.setattr(_kernels, "step_load_seconds", lambda: 0.0 if yes else math.inf)


def _problem(seed: int, n: int = 203, n_classes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n, n_features=6, n_informative=5, n_redundant=0, n_classes=n_classes, random_state=seed
    )
    return X, y


def _split_batches(monkeypatch: pytest.MonkeyPatch, shards: int) -> list[int]:
    """Make the compiled step split batches of 8 rows or more over ``shards`` threads.

    Returns a list that gets one entry per sharded kernel call. numba runs the
    shards on however many threads it has (one thread runs them in turn).
    """
    calls: list[int] = []
    monkeypatch.setattr(_fastpath.CompiledStep, "MIN_SHARD_ROWS", 4)
    monkeypatch.setattr(_fastpath.CompiledStep, "MIN_SHARD_WORK", 0)
    monkeypatch.setattr(_kernels, "parallel_threads", lambda: shards)
    sharding = _kernels.sharding

    @contextlib.contextmanager
    def counted(threads: int) -> Iterator[None]:
        if threads:  # an unsplit call holds nothing
            calls.append(threads)
        with sharding(threads):
            yield

    monkeypatch.setattr(_kernels, "sharding", counted)
    return calls


def _train_both(
    monkeypatch: pytest.MonkeyPatch,
    make_model: Any,
    make_opt: Any,
    X: np.ndarray,
    y: np.ndarray,
    shards: int = 0,
    **kwargs: Any,
) -> list[tuple[gn.Sequential, gn.Optimizer, gn.History, int]]:
    """Train fresh copies through the compiled route, then the NumPy one (each asked for).

    ``shards``: the compiled route splits each batch over this many threads.
    """
    runs = []
    sharded: list[int] = []
    for route in ("compiled", "fast"):
        if shards and route == "compiled":
            sharded = _split_batches(monkeypatch, shards)
        spy = Spy(monkeypatch)
        model, opt = make_model(), make_opt()
        history = gn.train(model, gn.SoftmaxCrossEntropy(), opt, X, y, route=route, **kwargs)
        runs.append((model, opt, history, spy.calls))
        monkeypatch.undo()
    assert runs[0][3] > 0, "the compiled route did not run"
    assert len(sharded) == (runs[0][3] if shards else 0), "batches were not split as asked"
    assert runs[1][3] == 0, "the NumPy route ran compiled code"
    assert (runs[0][2].route, runs[1][2].route) == ("compiled", "fast")
    return runs


def _assert_same_run(runs: list[Any], dtype: type) -> None:
    (m1, o1, h1, _), (m2, o2, h2, _) = runs
    tol = TOL[dtype]
    assert m1.flat_params.dtype == dtype
    np.testing.assert_allclose(m1.flat_params, m2.flat_params, **tol)
    np.testing.assert_allclose(
        m1.flat_grads, m2.flat_grads, rtol=1e-3 if dtype is np.float32 else 1e-7, atol=tol["atol"]
    )
    assert o1.t == o2.t and h1.n_steps == h2.n_steps
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=1e-5 if dtype is np.float32 else 1e-10)
    assert h1.accuracy == pytest.approx(h2.accuracy, abs=0.02)  # a tie may tip one sample
    for name, slots in o2.state.items():
        for key, ref in slots.items():
            np.testing.assert_allclose(o1.state[name][key], ref, **tol)


@pytest.mark.parametrize("shards", [0, 3], ids=["one-thread", "3-shards"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize(
    ("batch_size", "shuffle"),
    [(None, True), (32, True), (50, False)],
    ids=["full-batch", "shuffled", "in-order"],
)
def test_compiled_and_numpy_routes_agree(
    opt: str,
    batch_size: int | None,
    shuffle: bool,
    dtype: type,
    shards: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 203 rows: batches of 32 and 50 leave a last batch of 11 and 3 rows, which
    # three shards split unevenly (3 rows: one each).
    X, y = _problem(len(opt))
    runs = _train_both(
        monkeypatch,
        lambda: gn.mlp([6, 16, 12, 4], "relu", rng=3, dtype=dtype),
        OPTIMIZERS[opt],
        X,
        y,
        shards=shards,
        epochs=3,
        batch_size=batch_size,
        shuffle=shuffle,
        rng=5,
    )
    _assert_same_run(runs, dtype)


@pytest.mark.parametrize(
    "layers",
    [
        lambda dt: [gn.Dense(6, 4, rng=0, dtype=dt)],  # logistic regression: no hidden layer
        lambda dt: [
            gn.Dense(6, 9, rng=0, dtype=dt),
            gn.LeakyReLU(0.1),
            gn.Dense(9, 4, rng=1, dtype=dt),
        ],
        lambda dt: [
            gn.Dense(6, 5, rng=0, dtype=dt),
            gn.Identity(),
            gn.Dense(5, 4, rng=1, dtype=dt),
        ],
        lambda dt: [
            gn.Dense(6, 9, rng=0, dtype=dt),
            gn.Tanh(),
            gn.Dense(9, 7, rng=1, dtype=dt),
            gn.Sigmoid(),
            gn.Dense(7, 4, rng=2, dtype=dt),
        ],
        lambda dt: [
            gn.Dense(6, 30, rng=0, dtype=dt),
            gn.ReLU(),
            gn.Dense(30, 3, rng=1, dtype=dt),
            gn.LeakyReLU(0.2),
            gn.Dense(3, 20, rng=2, dtype=dt),
            gn.ReLU(),
            gn.Dense(20, 4, rng=3, dtype=dt),
        ],
    ],
    ids=["dense", "leaky", "identity", "tanh-logistic", "deep-narrow"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shards", [0, 2], ids=["one-thread", "2-shards"])
def test_any_supported_stack_agrees(
    layers: Any, dtype: type, shards: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = _problem(7)
    runs = _train_both(
        monkeypatch,
        lambda: gn.Sequential(layers(dtype)),
        lambda: gn.Adam(0.01),
        X,
        y,
        shards=shards,
        epochs=2,
        batch_size=40,
        rng=0,
    )
    _assert_same_run(runs, dtype)


@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shards", [0, 2], ids=["one-thread", "2-shards"])
def test_the_moons_tanh_network_agrees(
    opt: str, dtype: type, shards: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # W1 (benchmarks/peers.py), shortened: 2 → 32 tanh → 2, full batch, SGD at 0.5.
    X, y = make_moons(300, noise=0.2, random_state=0)
    runs = _train_both(
        monkeypatch,
        lambda: gn.mlp([2, 32, 2], "tanh", rng=0, dtype=dtype),
        (lambda: gn.SGD(0.5)) if opt == "sgd" else (lambda: gn.Adam(0.01)),
        X,
        y,
        shards=shards,
        epochs=60,
    )
    _assert_same_run(runs, dtype)
    assert runs[0][2].loss[-1] < 0.5 * runs[0][2].loss[0]  # it learns


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shards", [0, 2], ids=["one-thread", "2-shards"])
def test_l2_and_clipping_agree(dtype: type, shards: int, monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _problem(11)
    runs = _train_both(
        monkeypatch,
        lambda: gn.mlp([6, 16, 4], "relu", rng=0, dtype=dtype),
        lambda: gn.SGD(0.5, momentum=0.5),
        X * 3.0,
        y,
        shards=shards,
        epochs=3,
        batch_size=64,
        rng=1,
        l2=0.3,
        max_grad_norm=0.05,  # small: every step is clipped
    )
    _assert_same_run(runs, dtype)


def test_unsupported_runs_keep_the_numpy_route(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _problem(2)
    _auto_compiles(monkeypatch, True)
    spy = Spy(monkeypatch)
    sce = gn.SoftmaxCrossEntropy

    def fit(model: Any, loss: Any = None, opt: Any = None, **kw: Any) -> None:
        gn.train(model, loss or sce(), opt or gn.Adam(), X, y, epochs=1, batch_size=50, rng=0, **kw)

    class SteepTanh(gn.Tanh):  # a formula no kernel restates: tanh(2x)
        def _f(self, x: np.ndarray, out: np.ndarray | None, ws: Any) -> np.ndarray:
            return np.tanh(2 * x, out=out)

    fit(gn.Sequential([gn.Dense(6, 8, rng=0), SteepTanh(), gn.Dense(8, 4, rng=0)]))
    fit(gn.mlp([6, 8, 4], "relu", rng=0), loss=sce(class_weight=[2.0, 1.0, 1.0, 1.0]))
    fit(gn.mlp([6, 8, 4], "relu", rng=0), loss=sce(label_smoothing=0.1))
    fit(gn.mlp([6, 8, 4], "relu", rng=0), sample_weight=np.ones(len(y)))
    fit(gn.Sequential([gn.Dense(6, 8, rng=0), gn.ReLU(), gn.ReLU(), gn.Dense(8, 4, rng=0)]))
    mixed = [gn.Dense(6, 8, rng=0), gn.LeakyReLU(0.1), gn.Dense(8, 8, rng=0)]
    fit(gn.Sequential([*mixed, gn.LeakyReLU(0.2), gn.Dense(8, 4, rng=0)]))  # two slopes

    class MyAdam(gn.Adam):  # its own update: the kernel cannot know it is Adam's
        def update(self, p: np.ndarray, g: np.ndarray, slot: Any) -> None:
            super().update(p, g, slot)

    fit(gn.mlp([6, 8, 4], "relu", rng=0), opt=MyAdam())
    monkeypatch.setenv(_kernels.ENV_OFF, "1")
    fit(gn.mlp([6, 8, 4], "relu", rng=0))
    assert spy.calls == 0
    monkeypatch.delenv(_kernels.ENV_OFF)
    fit(gn.mlp([6, 8, 4], "relu", rng=0))
    assert spy.calls > 0


def test_a_subclass_that_changes_no_formula_takes_the_compiled_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The kernels restate formulas, not classes: a subclass that only renames keeps them.
    class MyAdamW(gn.AdamW):
        pass

    class MyReLU(gn.ReLU):
        pass

    _auto_compiles(monkeypatch, True)
    spy = Spy(monkeypatch)
    X, y = _problem(2)
    model = gn.Sequential([gn.Dense(6, 8, rng=0), MyReLU(), gn.Dense(8, 4, rng=1)])
    history = gn.train(model, gn.SoftmaxCrossEntropy(), MyAdamW(0.01), X, y, epochs=1)
    assert history.route == "compiled" and spy.calls > 0


def test_small_runs_keep_the_numpy_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that saves less than loading numba costs (a fresh process's) stays on NumPy."""
    spy = Spy(monkeypatch)
    X, y = _problem(3)
    model = gn.mlp([6, 8, 4], "relu", rng=0)
    gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(), X, y, epochs=2, batch_size=50, rng=0)
    saving = compiled_saving(model.flat_params.size, len(y), epochs=2, batch_size=50)
    assert saving < _kernels.step_load_seconds()
    assert spy.calls == 0


@pytest.mark.parametrize("shards", [0, 2], ids=["one-thread", "2-shards"])
def test_per_batch_callbacks_see_every_step(shards: int, monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _problem(4)
    seen: list[list[tuple[int, int, float, np.ndarray]]] = []

    class Watch(gn.Callback):
        def on_batch_end(self, state: gn.TrainState) -> None:
            log.append(
                (
                    state.batch,
                    state.history.n_steps,
                    state.logs["batch_loss"],
                    state.model.flat_params.copy(),
                )
            )

    for compiled in (True, False):
        _auto_compiles(monkeypatch, compiled)
        sharded = _split_batches(monkeypatch, shards) if shards and compiled else []
        log: list[tuple[int, int, float, np.ndarray]] = []
        model = gn.mlp([6, 8, 4], "relu", rng=0)
        gn.train(
            model,
            gn.SoftmaxCrossEntropy(),
            gn.Adam(0.01),
            X,
            y,
            epochs=2,
            batch_size=64,
            rng=0,
            callbacks=[Watch()],
        )
        seen.append(log)
        assert len(sharded) == (8 if shards and compiled else 0)  # a call a batch
        monkeypatch.undo()
    compiled, numpy_route = seen
    assert (
        [e[:2] for e in compiled]
        == [e[:2] for e in numpy_route]
        == [(b, e * 4 + b + 1) for e in range(2) for b in range(4)]
    )
    for a, b in zip(compiled, numpy_route, strict=True):
        assert a[2] == pytest.approx(b[2], rel=1e-10)
        np.testing.assert_allclose(a[3], b[3], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("shards", [0, 3], ids=["one-thread", "3-shards"])
def test_a_non_finite_step_is_refused_as_on_the_numpy_route(
    shards: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = _problem(5)
    X[130] = 1e200  # in the third batch of the first (unshuffled) epoch: the loss overflows
    results = []
    for compiled in (True, False):
        _auto_compiles(monkeypatch, compiled)
        if shards and compiled:
            assert _split_batches(monkeypatch, shards) is not None
        model = gn.mlp([6, 8, 4], "relu", rng=0)
        opt = gn.Adam(0.01)
        history = gn.History()
        with pytest.raises(gn.TrainingDivergedError, match="epoch 1, batch 3: the ") as err:
            gn.train(
                model,
                gn.SoftmaxCrossEntropy(),
                opt,
                X,
                y,
                epochs=2,
                batch_size=64,
                shuffle=False,
                history=history,
            )
        results.append((str(err.value), model.flat_params.copy(), opt.t, history.n_steps))
        monkeypatch.undo()
    (msg1, p1, t1, n1), (msg2, p2, t2, n2) = results
    assert t1 == t2 == n1 == n2 == 2  # two good steps applied, the third refused
    np.testing.assert_allclose(p1, p2, rtol=1e-10, atol=1e-13)

    # The same message; a split batch adds the gradient norm's terms in another order.
    def rounded(msg: str) -> str:
        head = msg.split("last finite loss")[0]
        return re.sub(r"\d+\.\d+(e[+-]\d+)?", lambda m: f"{float(m.group()):.8g}", head)

    assert rounded(msg1) == rounded(msg2)
    assert "The update was not applied" in msg1


def test_a_gradient_norm_overflow_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    _auto_compiles(monkeypatch, True)
    X, y = _problem(6)
    model = gn.Sequential([gn.Dense(6, 4, rng=0, dtype=np.float32)])
    start = model.flat_params.copy()
    with pytest.raises(gn.TrainingDivergedError, match="epoch 1, batch 1: the gradient norm"):
        gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X * 1e30, y, epochs=1)
    np.testing.assert_array_equal(model.flat_params, start)


def test_a_real_sigint_is_answered_after_the_running_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    _auto_compiles(monkeypatch, True)
    X, y = _problem(8, n=2000)
    history = gn.History()

    class SigintAtStart(gn.Callback):
        def on_epoch_begin(self, state: gn.TrainState) -> None:
            if state.epoch == 1:
                os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        gn.train(
            gn.mlp([6, 8, 4], "relu", rng=0),
            gn.SoftmaxCrossEntropy(),
            gn.Adam(),
            X,
            y,
            epochs=5,
            batch_size=10,
            rng=0,
            history=history,
            callbacks=[SigintAtStart()],
        )
    # Held during the first call of the second epoch (one chunk of steps), then raised.
    assert history.interrupted and history.n_steps == 200 + _CHUNK
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("early_stopping", [False, True], ids=["plain", "early-stopping"])
def test_the_estimator_takes_the_compiled_route(
    early_stopping: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = _problem(9, n=400)
    fits = []
    for compiled in (True, False):
        _auto_compiles(monkeypatch, compiled)
        spy = Spy(monkeypatch)
        clf = gn.MLPClassifier(
            (16,),
            activation="relu",
            max_iter=30,
            random_state=0,
            batch_size=64,
            early_stopping=early_stopping,
            n_iter_no_change=3,
        ).fit(X, y)
        fits.append((clf, spy.calls))
        monkeypatch.undo()
    (a, calls_a), (b, calls_b) = fits
    assert calls_a > 0 and calls_b == 0
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-8)
    if early_stopping:  # validation scored by the compiled forward pass
        np.testing.assert_allclose(a.validation_loss_curve_, b.validation_loss_curve_, rtol=1e-8)
        assert a.validation_scores_ == b.validation_scores_
    for Wa, Wb in zip(a.coefs_, b.coefs_, strict=True):
        np.testing.assert_allclose(Wa, Wb, rtol=1e-7, atol=1e-10)


def test_without_numba_the_numpy_route_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _problem(10)
    _auto_compiles(monkeypatch, True)
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    monkeypatch.delitem(sys.modules, "glassnet.fast.jitted", raising=False)
    monkeypatch.delattr("glassnet.fast.jitted", raising=False)
    monkeypatch.setattr(_kernels, "_loaded", None)
    monkeypatch.setattr(_kernels, "_step", None)
    spy = Spy(monkeypatch)
    model = gn.mlp([6, 8, 4], "relu", rng=0)
    gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(), X, y, epochs=2, batch_size=50, rng=0)
    # "auto" finds numba missing without trying to import it (or tries and fails).
    assert spy.calls == 0 and not _kernels._loaded and not _kernels._step
    assert not _kernels.installed()
    ref = gn.mlp([6, 8, 4], "relu", rng=0)
    _auto_compiles(monkeypatch, False)
    gn.train(ref, gn.SoftmaxCrossEntropy(), gn.Adam(), X, y, epochs=2, batch_size=50, rng=0)
    np.testing.assert_array_equal(model.flat_params, ref.flat_params)


def test_bad_labels_are_refused_as_on_the_numpy_route(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _problem(12)
    for compiled in (True, False):
        _auto_compiles(monkeypatch, compiled)
        bad = y.copy()
        bad[17] = 4  # four output units: indices 0..3
        model = gn.mlp([6, 8, 4], "relu", rng=0)
        start = model.flat_params.copy()
        with pytest.raises(ValueError, match=r"class index 4, outside \[0, 4\)"):
            gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(), X, bad, epochs=1, batch_size=50)
        np.testing.assert_array_equal(model.flat_params, start)
        with pytest.raises(ValueError, match="must hold integer class indices"):
            gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(), X, y + 0.5, epochs=1)


def test_training_in_two_calls_continues_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Optimizer step count and moments carry over between calls, as on the NumPy route."""
    _auto_compiles(monkeypatch, True)
    X, y = _problem(13)
    whole = gn.mlp([6, 8, 4], "relu", rng=0)
    opt_whole = gn.Adam(0.01)
    gen = np.random.default_rng(4)
    gn.train(whole, gn.SoftmaxCrossEntropy(), opt_whole, X, y, epochs=4, batch_size=30, rng=gen)
    parts = gn.mlp([6, 8, 4], "relu", rng=0)
    opt_parts = gn.Adam(0.01)
    gen = np.random.default_rng(4)
    history = gn.History()
    for _ in range(2):
        gn.train(
            parts,
            gn.SoftmaxCrossEntropy(),
            opt_parts,
            X,
            y,
            epochs=2,
            batch_size=30,
            rng=gen,
            history=history,
        )
    assert opt_parts.t == opt_whole.t == 4 * 7 and history.n_steps == 28
    np.testing.assert_array_equal(parts.flat_params, whole.flat_params)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_validation_is_scored_as_on_the_numpy_route(
    dtype: type, activation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = _problem(14, n=3000)
    Xv, yv = _problem(15, n=2500)  # over two blocks of EVAL_ROWS
    runs = _train_both(
        monkeypatch,
        lambda: gn.mlp([6, 16, 4], activation, rng=0, dtype=dtype),
        lambda: gn.Adam(0.01),
        X,
        y,
        epochs=3,
        batch_size=100,
        rng=0,
        validation_data=(Xv, yv),
    )
    (_, _, h1, _), (_, _, h2, _) = runs
    assert len(h1.val_loss) == len(h2.val_loss) == 3
    np.testing.assert_allclose(h1.val_loss, h2.val_loss, rtol=1e-4 if dtype is np.float32 else 1e-9)
    assert h1.val_accuracy == pytest.approx(h2.val_accuracy, abs=2 / len(yv))


def test_validation_that_the_compiled_scorer_leaves_to_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _auto_compiles(monkeypatch, True)
    X, y = _problem(16)
    Xv, yv = _problem(17, n=50)
    fit = {"epochs": 1, "batch_size": 50, "rng": 0}
    sce = gn.SoftmaxCrossEntropy
    for val in ((Xv, yv, np.linspace(0.5, 2.0, 50)), (Xv, np.eye(4)[yv])):  # weights, target rows
        model = gn.mlp([6, 8, 4], "relu", rng=0)
        h = gn.train(model, sce(), gn.Adam(), X, y, validation_data=val, **fit)
        expected = gn.evaluate(model, sce(), *val)
        assert h.val_loss[0] == expected[0] and h.val_accuracy[0] == expected[1]
    with pytest.raises(ValueError, match="class index"):
        gn.train(
            gn.mlp([6, 8, 4], "relu", rng=0),
            sce(),
            gn.Adam(),
            X,
            y,
            validation_data=(Xv, yv + 3),
            **fit,
        )
    # Logits that are not finite: the compiled scorer gives up, NumPy's evaluate reports.
    model = gn.mlp([6, 8, 4], "relu", rng=0)
    flat = FlatView.of(model)
    assert flat is not None
    fast = FastStep(model, sce(), X, y)
    path = _fastpath.CompiledStep.build(fast, flat, gn.Adam(), 0.0, None)
    assert path is not None
    assert path.evaluate(Xv, yv, None) == pytest.approx(gn.evaluate(model, sce(), Xv, yv))
    model.flat_params[0] = np.inf
    assert path.evaluate(Xv, yv, None) is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("logits", ["random", "uniform", "ties", "minus-inf"])
def test_the_fused_loss_kernel_is_the_loss_and_its_gradient(dtype: type, logits: str) -> None:
    # The kernel sums log s_i as the log of a product that it logs whenever it passes
    # 1e200: 700 uniform rows of 10 classes (s_i = 10) pass it three times.
    rng = np.random.default_rng(5)
    n, k = 700, 10
    if logits == "random":
        z = rng.normal(scale=4.0, size=(n, k))
    elif logits == "uniform":
        z = np.full((n, k), 0.25)
    elif logits == "ties":
        z = rng.integers(-2, 3, size=(n, k)).astype(float)  # many tied maxima
    else:  # a class ruled out (-inf) in the first column: exp gives 0, the loss stays finite
        z = rng.normal(size=(n, k))
        z[::2, 0] = -np.inf
    z = z.astype(dtype)
    y = rng.integers(1 if logits == "minus-inf" else 0, k, n)
    if logits == "minus-inf":  # the public loss refuses non-finite logits: by hand
        top = z.max(axis=1, keepdims=True)
        e = np.exp(z - top)
        log_sums = np.log(e.sum(axis=1))
        mean = float(np.mean(log_sums - (z[np.arange(n), y] - top[:, 0])))
        grad = (e / e.sum(axis=1, keepdims=True) - np.eye(k, dtype=dtype)[y]) / n
    else:
        loss = gn.SoftmaxCrossEntropy()
        mean = loss.forward(z, y)
        grad = loss.backward()

    Z = z.copy()
    kernel = _kernels.load().softmax_xent_forward_backward
    total, correct = kernel(Z, y, np.empty(0, np.intp), 0, n)
    exact = {"rtol": 1e-12} if dtype is np.float64 else {"rtol": 2e-6, "atol": 1e-9}
    assert total / n == pytest.approx(mean, rel=exact["rtol"])
    if logits == "uniform":
        assert total / n == pytest.approx(math.log(k), rel=exact["rtol"])
    assert correct == int(np.count_nonzero(np.argmax(z, axis=1) == y))
    np.testing.assert_allclose(Z, grad, **exact)
    # A shard of a shuffled batch: its rows and labels by `order`, N the whole batch.
    order = rng.permutation(n)
    shard = order[100:300]
    Z = z[shard].copy()
    part_total, part_correct = kernel(Z, y, order, 100, n)
    np.testing.assert_allclose(Z, grad[shard], **exact)
    per_row = -gn.log_softmax(z.astype(np.float64))[np.arange(n), y]
    assert part_total == pytest.approx(per_row[shard].sum(), rel=exact["rtol"])
    assert part_correct == int(np.count_nonzero(np.argmax(z[shard], axis=1) == y[shard]))


def _path_with(n_params: int) -> Any:
    """Enough of a CompiledStep for its ``shards`` method: the sizes it reads."""
    path = _fastpath.CompiledStep
    return SimpleNamespace(
        flat=SimpleNamespace(grads=np.zeros(n_params)),
        MIN_SHARD_ROWS=path.MIN_SHARD_ROWS,
        MIN_SHARD_WORK=path.MIN_SHARD_WORK,
        MAX_PART_BYTES=path.MAX_PART_BYTES,
    )


def test_batches_are_split_only_where_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    shards = _fastpath.CompiledStep.shards
    monkeypatch.setattr(_kernels, "parallel_threads", lambda: 8)
    rows = _fastpath.CompiledStep.MIN_SHARD_ROWS
    small = _path_with(20_490)  # W2's network
    assert shards(small, 2 * rows - 1) == 0  # too few rows for two shards
    assert shards(small, 2 * rows) == 2
    assert shards(small, 100 * rows) == 8  # no more shards than threads
    # Too little work a shard: W1's full batch (1000 rows, 162 parameters) stays whole.
    assert shards(_path_with(162), 1000) == 0
    work = _fastpath.CompiledStep.MIN_SHARD_WORK
    assert shards(_path_with(work // (2 * rows) + 1), 4 * rows) == 2
    # The gradient parts (shards × parameters) stay within MAX_PART_BYTES.
    big = _path_with(_fastpath.CompiledStep.MAX_PART_BYTES // 8 // 3)
    assert shards(big, 100 * rows) == 3
    assert shards(_path_with(_fastpath.CompiledStep.MAX_PART_BYTES // 8), 100 * rows) == 0
    monkeypatch.setattr(_kernels, "parallel_threads", lambda: 1)
    assert shards(small, 100 * rows) == 0


def test_a_forked_child_does_not_start_parallel_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    # A process forked from one that had started numba's threads cannot use GNU
    # OpenMP's: the fork handler marks the child, which then trains on one thread.
    assert _kernels.parallel_threads() >= 1  # numba's threads run in this process
    monkeypatch.setattr(_kernels, "_forked_after_threads", False)
    _kernels._after_fork_in_child()  # what os.fork() runs in the child
    assert _kernels._forked_after_threads
    assert _kernels.parallel_threads() == 1
    assert _fastpath.CompiledStep.shards(_path_with(1000), 4096) == 0


_FORK_SCRIPT = """
import os, sys, numba, numpy as np, glassnet as gn
from glassnet.fast import kernels as _kernels
from glassnet.fast import compiled as _fastpath
_kernels.step_load_seconds = lambda: 0.0  # 'auto' compiles what the kernels restate
_fastpath.CompiledStep.MIN_SHARD_ROWS = 4
_fastpath.CompiledStep.MIN_SHARD_WORK = 0
X = np.random.default_rng(0).normal(size=(256, 5)); y = (X[:, 0] > 0).astype(int)
def fit():
    m = gn.mlp([5, 8, 2], 'relu', rng=0)
    h = gn.train(m, gn.SoftmaxCrossEntropy(), gn.Adam(0.05), X, y, epochs=3,
                 batch_size=64, rng=0)
    assert h.route == 'compiled', h.route
    return h.loss[-1]
@numba.njit(parallel=True)
def other(a):
    for i in numba.prange(a.shape[0]):
        a[i] += 1.0
if sys.argv[1] == 'glassnet':  # glassnet's sharded step starts numba's threads
    fit()
    threads = _kernels.parallel_threads()
else:  # another library's parallel loop does
    other(np.zeros(8))
    threads = numba.get_num_threads()
layer = numba.threading_layer()
pid = os.fork()
if pid == 0:
    try:
        fit()
        ok = _kernels.parallel_threads() == 1
    except BaseException:
        ok = False
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(layer, threads, os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("starter", ["glassnet", "another-library"])
def test_training_in_a_forked_child_after_numba_threads_started(starter: str) -> None:
    # The real thing, in a fresh interpreter with two numba threads: numba's threads
    # start (glassnet's sharded step, or another library's parallel loop), the
    # process forks, the child trains. Under GNU OpenMP a parallel loop in the child
    # would end it (numba's "Terminating: fork() called from a process already using
    # GNU OpenMP"); the child trains on one thread instead.
    script = _FORK_SCRIPT.replace("sys.argv[1]", repr(starter))
    done = run_python(script, NUMBA_NUM_THREADS="2", **NUMBA_ON)
    layer, threads, child = done.stdout.split()
    if starter == "glassnet" and layer in _kernels._SPINNING_LAYERS:
        assert threads == "2"  # the parent did split its batches
    assert child == "0", done.stdout + done.stderr


def test_the_split_step_sees_every_blas_on_one_thread() -> None:
    # In a process that has imported nothing but glassnet: numba's products go
    # through SciPy's BLAS, which must be held at one thread too.
    done = run_python(
        """
import sys, numpy as np, glassnet as gn
from glassnet.fast import kernels as _kernels
from glassnet.fast import compiled as _fastpath
from threadpoolctl import threadpool_info
assert "sklearn" not in sys.modules and "scipy" not in sys.modules
_kernels.step_load_seconds = lambda: 0.0  # 'auto' compiles what the kernels restate
_fastpath.CompiledStep.MIN_SHARD_ROWS = 4
_fastpath.CompiledStep.MIN_SHARD_WORK = 0
_kernels.parallel_threads = lambda: 2
kernels = _kernels.load()
original = kernels.run_batches
seen = []
def watched(*args):
    seen.append(sorted((lib["prefix"], lib["num_threads"]) for lib in threadpool_info()
                       if lib["user_api"] == "blas"))
    return original(*args)
kernels.run_batches = watched
X = np.random.default_rng(0).normal(size=(256, 5)); y = (X[:, 0] > 0).astype(int)
gn.train(gn.mlp([5, 8, 2], "relu", rng=0), gn.SoftmaxCrossEntropy(), gn.Adam(), X, y,
         epochs=3, batch_size=64)
loaded = [lib["prefix"] for lib in threadpool_info() if lib["user_api"] == "blas"]
print(len(seen), seen[-1], loaded)
assert len(seen) == 3 and all(threads == 1 for call in seen for _, threads in call), seen
# every BLAS in the process by now (SciPy's, which numba calls, included) was held at 1
assert all(sorted(prefix for prefix, _ in call) == sorted(loaded) for call in seen), seen
""",
        **NUMBA_ON,
    )
    assert done.stdout.startswith("3 ")


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_sharding_runs_the_blas_on_one_thread_for_the_call_only() -> None:
    blas_threads = _blas_threads
    before = blas_threads()
    import numba

    threads = numba.get_num_threads()
    with _kernels.sharding(1):
        assert blas_threads() == {1}
        assert numba.get_num_threads() == 1  # no idle numba threads woken either
    assert blas_threads() == before
    assert numba.get_num_threads() == threads


def test_threads_training_at_once_get_what_each_gets_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two Python threads train split models at the same time: the lock lets one
    # sharded call run at a time, and each ends where it ends when trained alone.
    # (Without it, one thread's BLAS limit could outlive the other's and stay.)
    _auto_compiles(monkeypatch, True)
    _split_batches(monkeypatch, 2)
    X, y = _problem(3, n=600)

    def fit(seed: int) -> np.ndarray:
        model = gn.mlp([6, 16, 4], "relu", rng=seed)
        gn.train(
            model, gn.SoftmaxCrossEntropy(), gn.Adam(0.01), X, y, epochs=4, batch_size=32, rng=seed
        )
        return model.flat_params.copy()

    alone = [fit(0), fit(1)]
    together: list[Any] = [None, None]
    blas_before = _blas_threads()

    def worker(i: int) -> None:
        together[i] = fit(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for mine, ref in zip(together, alone, strict=True):
        np.testing.assert_array_equal(mine, ref)
    assert _blas_threads() == blas_before


def test_a_threading_layer_that_cannot_start_leaves_numpy_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numba

    def broken() -> int:
        raise ValueError("No threading layer could be loaded.\nHINT: ...")

    monkeypatch.setattr(numba, "get_num_threads", broken)
    monkeypatch.setattr(_kernels, "_step", None)
    _auto_compiles(monkeypatch, True)
    X, y = _problem(2)
    with pytest.warns(
        RuntimeWarning, match="threading layer could not start.*NUMBA_THREADING"
    ) as w:
        history = gn.train(
            gn.mlp([6, 8, 4], "relu", rng=0), gn.SoftmaxCrossEntropy(), gn.Adam(), X, y, epochs=2
        )
    assert w[0].filename == __file__  # it points at the caller, not into glassnet
    assert history.route == "fast"
    assert _kernels.load_step() is None  # decided once: no second warning, no second try
    assert _kernels.load() is not None  # the optimizer updates need no threads: still there


def test_threads_are_capped_by_the_cpus_this_process_may_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    import numba

    assert _kernels.load_step() is not None
    monkeypatch.setattr(numba, "threading_layer", lambda: "omp")
    monkeypatch.setattr(numba, "get_num_threads", lambda: 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
    assert _kernels.parallel_threads() == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert _kernels.parallel_threads() == 1


def test_the_optimizer_kernels_alone_start_no_threads() -> None:
    # Only the training step has parallel loops. A model trained on the NumPy route
    # with the compiled optimizer update (50k+ parameters) must not start numba's
    # threading layer: on GNU OpenMP that would end any forked child that runs one.
    done = run_python(
        """
import numpy as np, glassnet as gn
from glassnet.fast import kernels as _kernels
X = np.random.default_rng(0).normal(size=(64, 300)); y = (X[:, 0] > 0).astype(int)
model = gn.mlp([300, 200, 2], "relu", rng=0)
assert model.flat_params.size >= _kernels.MIN_SIZE
h = gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(), X, y, epochs=2, batch_size=32)
import numba.np.ufunc.parallel as parallel
print(h.route, _kernels._loaded is not None and _kernels._loaded is not False,
      parallel._is_initialized)
""",
        **NUMBA_ON,
    )
    assert done.stdout.split() == ["fast", "True", "False"]


def test_numbas_thread_count_is_the_budget() -> None:
    # NUMBA_NUM_THREADS (which joblib's workers set to their share of the cores) or
    # numba.set_num_threads bound the split: one thread, no split.
    import numba

    assert _kernels.load_step() is not None
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        assert _kernels.parallel_threads() == 1
        assert _fastpath.CompiledStep.shards(_path_with(1000), 4096) == 0
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("shards", [0, 2], ids=["one-thread", "2-shards"])
def test_validation_after_split_steps_runs_the_blas_on_one_thread(
    shards: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A threaded BLAS would leave a worker spinning for ~0.1 s after scoring, on a
    # core the next epoch's shards need (an early-stopping W2 fit: 0.59-0.83 s
    # against 0.37 s). Unsplit runs keep the BLAS as it is.
    _auto_compiles(monkeypatch, True)
    if shards:
        _split_batches(monkeypatch, shards)
    kernels = _kernels.load_step()
    original = kernels.evaluate_rows
    seen: list[set[int]] = []

    def watched(*args: Any) -> Any:
        seen.append(_blas_threads())
        return original(*args)

    monkeypatch.setattr(kernels, "evaluate_rows", watched)
    X, y = _problem(16, n=600)
    Xv, yv = _problem(17, n=200)
    outside = _blas_threads()
    history = gn.train(
        gn.mlp([6, 16, 4], "relu", rng=0),
        gn.SoftmaxCrossEntropy(),
        gn.Adam(0.01),
        X,
        y,
        epochs=2,
        batch_size=64,
        rng=0,
        validation_data=(Xv, yv),
    )
    assert history.route == "compiled" and len(seen) == 2
    assert seen == [{1}, {1}] if shards else seen == [outside, outside]
    assert _blas_threads() == outside
