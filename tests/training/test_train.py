"""The training loop: a hand-worked step, determinism, dtypes, callbacks, divergence."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_moons

import glassnet as gn


def test_one_sgd_step_matches_hand_worked_numbers() -> None:
    # One Dense(2 -> 2) layer, W = I, b = 0, one sample x = (ln 3, 0), label 1.
    #   z = x W + b = (ln 3, 0)
    #   ŷ = softmax(z) = (3/4, 1/4)           since e^{ln 3} = 3 and e^0 = 1
    #   L = -ln ŷ_1 = ln 4
    #   ∂L/∂z = ŷ - y = (3/4, -3/4)
    #   ∂L/∂W = xᵀ (ŷ - y) = [[(3/4) ln 3, -(3/4) ln 3], [0, 0]]
    #   ∂L/∂b = (3/4, -3/4)
    # SGD with lr = 0.1:
    #   W ← [[1 - 0.075 ln 3, 0.075 ln 3], [0, 1]],  b ← (-0.075, 0.075)
    dense = gn.Dense(2, 2)
    model = gn.Sequential([dense])
    dense.W[...] = np.eye(2)
    dense.b[...] = 0.0
    X = np.array([[np.log(3.0), 0.0]])
    y = np.array([1])
    history = gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, epochs=1)
    ln3 = np.log(3.0)
    np.testing.assert_allclose(dense.W, [[1 - 0.075 * ln3, 0.075 * ln3], [0.0, 1.0]], atol=1e-15)
    np.testing.assert_allclose(dense.b, [-0.075, 0.075], atol=1e-15)
    assert history.loss == [pytest.approx(np.log(4.0), rel=1e-15)]
    assert history.accuracy == [0.0]
    assert history.n_steps == 1


def _moons_problem(
    dtype: type = np.float64, seed: int = 0, route: str = "auto"
) -> tuple[gn.Sequential, np.ndarray, np.ndarray]:
    X, y = make_moons(200, noise=0.2, random_state=seed)
    return gn.mlp([2, 16, 2], "tanh", rng=seed, dtype=dtype), X, y


def test_same_seed_gives_bitwise_identical_weights(route: str) -> None:
    runs = []
    for _ in range(2):
        model, X, y = _moons_problem(route=route)
        gn.train(
            model,
            gn.SoftmaxCrossEntropy(),
            gn.Adam(0.01),
            X,
            y,
            epochs=5,
            batch_size=32,
            rng=np.random.default_rng(3),
            route=route,
        )
        runs.append(model.flat_params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    model, X, y = _moons_problem(route=route)
    gn.train(
        model,
        gn.SoftmaxCrossEntropy(),
        gn.Adam(0.01),
        X,
        y,
        epochs=5,
        batch_size=32,
        rng=4,
        route=route,
    )
    assert not np.array_equal(model.flat_params, runs[0])


def test_float32_training_keeps_float32_end_to_end(route: str) -> None:
    model, X, y = _moons_problem(np.float32, route=route)
    opt = gn.Adam(0.01)
    seen: list[np.dtype] = []

    class Spy(gn.Callback):
        def on_batch_end(self, state: gn.TrainState) -> None:
            seen.extend(g.dtype for g in state.model.gradients().values())

    gn.train(
        model,
        gn.SoftmaxCrossEntropy(),
        opt,
        X,
        y,
        epochs=3,
        batch_size=50,
        rng=0,
        callbacks=[Spy()],
        route=route,
    )
    assert model.flat_params.dtype == np.float32
    assert all(a.dtype == np.float32 for a in model.parameters().values())
    assert all(
        s["m"].dtype == np.float32 and s["v"].dtype == np.float32 for s in opt.state.values()
    )
    assert set(seen) == {np.dtype(np.float32)}
    assert model.forward(X.astype(np.float32)).dtype == np.float32


def test_training_learns_moons_and_reports_history(route: str) -> None:
    model, X, y = _moons_problem(route=route)
    Xv, yv = make_moons(100, noise=0.2, random_state=1)
    h = gn.train(
        model,
        gn.SoftmaxCrossEntropy(),
        gn.Adam(0.02),
        X,
        y,
        epochs=150,
        validation_data=(Xv, yv),
        rng=0,
        route=route,
    )
    assert h.epochs == 150 and len(h.val_loss) == 150 and len(h.val_accuracy) == 150
    assert h.loss[-1] < 0.5 * h.loss[0]
    assert h.val_accuracy[-1] > 0.9
    assert h.as_dict()["accuracy"] == h.accuracy


def test_callbacks_see_every_boundary_and_can_stop(route: str) -> None:
    model, X, y = _moons_problem(route=route)
    events: list[str] = []

    class Recorder(gn.Callback):
        def on_train_begin(self, state: gn.TrainState) -> None:
            events.append("begin")

        def on_batch_end(self, state: gn.TrainState) -> None:
            events.append("batch")

        def on_epoch_end(self, state: gn.TrainState) -> None:
            events.append(f"epoch{state.epoch}")
            if state.epoch == 2:
                state.stop_training = True

        def on_train_end(self, state: gn.TrainState) -> None:
            events.append("end")

    h = gn.train(
        model,
        gn.SoftmaxCrossEntropy(),
        gn.SGD(0.1),
        X,
        y,
        epochs=10,
        batch_size=100,
        rng=0,
        callbacks=[Recorder()],
        route=route,
    )
    per_epoch = [step for e in range(3) for step in ("batch", "batch", f"epoch{e}")]
    assert events == ["begin", *per_epoch, "end"]
    assert h.epochs == 3 and h.stopped_early


def test_early_stopping_restores_the_best_weights(route: str) -> None:
    model, X, y = _moons_problem(route=route)
    Xv, yv = make_moons(60, noise=0.4, random_state=5)
    stopper = gn.EarlyStopping("val_loss", patience=3)
    snapshots: list[np.ndarray] = []

    class Snap(gn.Callback):
        def on_epoch_end(self, state: gn.TrainState) -> None:
            snapshots.append(state.model.flat_params.copy())

    # A large learning rate makes the validation loss bounce, so it stops early.
    h = gn.train(
        model,
        gn.SoftmaxCrossEntropy(),
        gn.SGD(3.0),
        X,
        y,
        epochs=500,
        validation_data=(Xv, yv),
        rng=0,
        callbacks=[Snap(), stopper],
        route=route,
    )
    assert h.stopped_early
    best = int(np.argmin(h.val_loss))
    assert stopper.best_epoch == best
    assert stopper.best == pytest.approx(h.val_loss[best])
    np.testing.assert_array_equal(model.flat_params, snapshots[best])


def test_non_finite_gradient_raises_before_the_update(route: str) -> None:
    X, y = make_moons(200, noise=0.2, random_state=0)
    X = X * 1e200  # the gradient norm overflows on the first step
    model = gn.Sequential([gn.Dense(2, 2, rng=0)])
    start = model.flat_params.copy()
    opt = gn.SGD(100.0, momentum=0.9)
    with pytest.raises(
        gn.TrainingDivergedError,
        match=r"epoch 1, batch 1: the gradient norm is "
        r"not finite .* learning rate 100; last finite loss: none yet",
    ) as err:
        gn.train(model, gn.SoftmaxCrossEntropy(), opt, X, y, epochs=5, route=route)
    assert isinstance(err.value, FloatingPointError)
    np.testing.assert_array_equal(model.flat_params, start)
    assert opt.t == 0  # no step; state, if the compiled route made it, still all zero
    assert not any(np.any(v) for slots in opt.state.values() for v in slots.values())


def test_non_finite_loss_mid_training_keeps_the_last_good_step() -> None:
    X, y = make_moons(200, noise=0.2, random_state=0)

    class Overflowing(gn.Dense):
        calls = 0

        def forward(self, X: np.ndarray) -> np.ndarray:
            self.calls += 1
            out = super().forward(X)
            return out * np.inf if self.calls == 3 else out  # the third step overflows

    class ReadableLoss(gn.SoftmaxCrossEntropy):
        """Not exactly SoftmaxCrossEntropy: train takes the readable step."""

    class Snap(gn.Callback):
        def __init__(self) -> None:
            self.good: list[np.ndarray] = []

        def on_batch_end(self, state: gn.TrainState) -> None:
            self.good.append(state.model.flat_params.copy())

    for loss in (gn.SoftmaxCrossEntropy(), ReadableLoss()):
        model = gn.Sequential([Overflowing(2, 2, rng=0)])
        snap = Snap()
        with pytest.raises(
            gn.TrainingDivergedError, match=r"epoch 3, batch 1: the loss is not finite"
        ):
            gn.train(model, loss, gn.SGD(0.5), X, y, epochs=5, callbacks=[snap])
        assert len(snap.good) == 2
        np.testing.assert_array_equal(model.flat_params, snap.good[-1])


def test_runaway_loss_is_caught_and_the_last_good_epoch_restored() -> None:
    X, y = make_moons(200, noise=0.2, random_state=0)
    model = gn.mlp([2, 16, 16, 2], "relu", rng=0)
    opt = gn.SGD(1e8)
    epochs: list[tuple[np.ndarray, int]] = []

    class Snap(gn.Callback):
        def on_epoch_end(self, state: gn.TrainState) -> None:
            epochs.append((state.model.flat_params.copy(), state.optimizer.t))

    with pytest.raises(
        gn.TrainingDivergedError,
        match=r"loss ran away .* rolled back to the end of "
        r"epoch 1",
    ):
        gn.train(model, gn.SoftmaxCrossEntropy(), opt, X, y, epochs=50, callbacks=[Snap()])
    np.testing.assert_array_equal(model.flat_params, epochs[0][0])
    assert opt.t == epochs[0][1]
    # Without the heuristic the same run returns a useless model in silence.
    quiet = gn.mlp([2, 16, 16, 2], "relu", rng=0)
    h = gn.train(
        quiet, gn.SoftmaxCrossEntropy(), gn.SGD(1e8), X, y, epochs=10, divergence_factor=None
    )
    assert h.loss[-1] > 1e6


def _exploding_from_the_start() -> tuple[gn.Sequential, np.ndarray, np.ndarray]:
    # A linear model on features around 1e6: the first epoch's loss is ~1e6,
    # far over 1000 × log 2, and a tiny learning rate keeps it there.
    X, y = make_moons(200, noise=0.2, random_state=0)
    model = gn.Sequential([gn.Dense(2, 2, rng=0)])
    return model, X * 1e6, y


@pytest.mark.parametrize("epochs", [1, 2, 50], ids=["ends-inside", "ends-inside-2", "patience"])
def test_a_fit_that_starts_out_exploding_is_rolled_back_to_its_start(epochs: int) -> None:
    model, X, y = _exploding_from_the_start()
    start = model.flat_params.copy()
    opt = gn.SGD(1e-12)
    history = gn.History()
    seen: list[float] = []

    class Record(gn.Callback):
        def on_epoch_end(self, state: gn.TrainState) -> None:
            seen.append(state.logs["loss"])

    with pytest.raises(
        gn.TrainingDivergedError,
        match=r"loss ran away .* reference scale 0\.693 .* rolled back to their initial "
        r"state, before epoch 1",
    ) as err:
        gn.train(
            model, gn.SoftmaxCrossEntropy(), opt, X, y, epochs=epochs, history=history,
            callbacks=[Record()],
        )  # fmt: skip
    assert seen and min(seen) > 1e3 * np.log(2)  # every epoch it ran was exploding
    assert err.value.restored_epoch == 0
    np.testing.assert_array_equal(model.flat_params, start)
    assert opt.t == 0  # no step; state, if the compiled route made it, still all zero
    assert not any(np.any(v) for slots in opt.state.values() for v in slots.values())
    assert history.loss == [] and history.n_steps == 0
    # The same data, scaled so that the first epoch is sane, trains without a word.
    fine = gn.Sequential([gn.Dense(2, 2, rng=0)])
    gn.train(fine, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X / 1e6, y, epochs=5)


def test_a_resumed_run_keeps_its_first_epoch_as_the_reference() -> None:
    model, X, y = _exploding_from_the_start()
    # A history whose first epoch was sane (0.5): 1e6 is a runaway against it...
    with pytest.raises(gn.TrainingDivergedError, match=r"reference scale 0\.693"):
        gn.train(
            model, gn.SoftmaxCrossEntropy(), gn.SGD(1e-12), X, y, epochs=3,
            history=gn.History(loss=[0.5], accuracy=[0.5]),
        )  # fmt: skip
    # ...while a loss around 6e4 is no runaway against a first epoch of 600 (under
    # 1000 × log 2, so the reference is 600), though it would be against log 2.
    h = gn.train(
        model, gn.SoftmaxCrossEntropy(), gn.SGD(1e-12), X / 10, y, epochs=3,
        history=gn.History(loss=[600.0], accuracy=[0.5]),
    )  # fmt: skip
    assert len(h.loss) == 4 and min(h.loss[1:]) > 1e3 * np.log(2)
    with pytest.raises(gn.TrainingDivergedError, match=r"reference scale 0\.693"):
        gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(1e-12), X / 10, y, epochs=3)


def test_max_grad_norm_clips_the_step(route: str) -> None:
    dense = gn.Dense(2, 2, rng=0)
    dense.W[...] = 0.0  # z = 0, so ∂L/∂z = (-0.5, 0.5) and ‖∂L/∂W‖ = 100
    model = gn.Sequential([dense])
    before = model.flat_params.copy()
    X = np.array([[100.0, -100.0]])
    gn.train(
        model,
        gn.SoftmaxCrossEntropy(),
        gn.SGD(1.0),
        X,
        np.array([0]),
        epochs=1,
        max_grad_norm=0.5,
        route=route,
    )
    assert np.linalg.norm(model.flat_params - before) == pytest.approx(0.5)


def test_sample_weight_zero_removes_a_sample() -> None:
    X = np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    y = np.array([0, 1, 1])
    a = gn.mlp([2, 2], rng=1)
    b = gn.mlp([2, 2], rng=1)
    gn.train(a, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, epochs=3, sample_weight=[1, 1, 0])
    gn.train(b, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X[:2], y[:2], epochs=3)
    np.testing.assert_allclose(a.flat_params, b.flat_params, atol=1e-15)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.ones(500), r"sample_weight must have shape \(200,\).*got shape \(500,\).*Pass"),
        (np.ones((200, 1)), r"sample_weight must have shape \(200,\).*got shape \(200, 1\)"),
        (np.r_[np.ones(199), np.nan], r"sample_weight contains 1 NaN value\(s\).*position 199"),
        (np.r_[np.inf, np.ones(199)], r"sample_weight contains 1 inf value\(s\).*position 0"),
        (np.r_[np.ones(198), -1.0, -2.0], r"sample_weight contains 2 negative value\(s\)"),
        (np.array(["a"] * 200), r"sample_weight must hold real numbers.*got dtype <U1"),
    ],
    ids=["too-long", "2-d", "nan", "inf", "negative", "text"],
)
def test_bad_sample_weight_is_refused_before_training(weights: np.ndarray, match: str) -> None:
    model, X, y = _moons_problem()
    before = model.flat_params.copy()
    for readable in (False, True):  # the fast path is off with weights, and on for shuffling
        with pytest.raises(ValueError, match=match):
            gn.train(
                model,
                gn.SoftmaxCrossEntropy(label_smoothing=0.1 if readable else 0.0),
                gn.SGD(0.1),
                X,
                y,
                epochs=1,
                batch_size=64,
                rng=0,
                sample_weight=weights,
            )
    np.testing.assert_array_equal(model.flat_params, before)


def test_bad_validation_sample_weight_is_refused_before_training() -> None:
    model, X, y = _moons_problem()
    before = model.flat_params.copy()
    with pytest.raises(ValueError, match=r"sample_weight_val must have shape \(20,\)"):
        gn.train(
            model,
            gn.SoftmaxCrossEntropy(),
            gn.SGD(0.1),
            X,
            y,
            epochs=1,
            validation_data=(X[:20], y[:20], np.ones(7)),
        )
    np.testing.assert_array_equal(model.flat_params, before)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": -1}, r"epochs must be a non-negative integer; got -1\. Pass"),
        ({"epochs": 1, "batch_size": 0}, r"batch_size must be a positive integer.*got 0\. Pass"),
        ({"epochs": 1, "max_grad_norm": 0.0}, r"max_grad_norm must be a positive.*0\.0\. Pass"),
        ({"epochs": 1, "l2": -1.0}, r"l2 must be a finite number >= 0; got -1\.0\. Pass 0"),
        ({"epochs": 1, "divergence_factor": 1.0}, r"divergence_factor must .*got 1\.0\. Pass"),
        ({"epochs": 1, "divergence_patience": 0}, r"divergence_patience must .*got 0\. Pass"),
        ({"epochs": 1, "validation_data": (1,)}, r"validation_data must .*length 1\. Pass"),
    ],
    ids=[
        "epochs",
        "batch_size",
        "max_grad_norm",
        "l2",
        "divergence_factor",
        "divergence_patience",
        "validation_data",
    ],
)
def test_bad_arguments_raise(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    model, X, y = _moons_problem()
    with pytest.raises(ValueError, match=match):
        gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, **kwargs)


def test_mismatched_labels_and_bad_early_stopping_arguments_raise() -> None:
    model, X, y = _moons_problem()
    with pytest.raises(ValueError, match=r"200 and 150\. Pass one label"):
        gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y[:150], epochs=1)
    with pytest.raises(ValueError, match=r"patience must be a positive integer; got 0\. Pass"):
        gn.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match=r"min_delta must be >= 0; got -1\. Pass 0"):
        gn.EarlyStopping(min_delta=-1)


def test_bad_data_raises_with_count_and_position() -> None:
    model, X, y = _moons_problem()
    X = X.copy()
    X[3, 1] = np.nan
    X[7, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"X contains 2 NaN value\(s\), the first at position \(3, 1\)"
    ):
        gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, epochs=1)
    with pytest.raises(ValueError, match="inconsistent numbers of samples: 200 and 199"):
        gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), np.nan_to_num(X), y[:-1], epochs=1)


def test_l2_matches_the_scikit_learn_alpha_formula(rng: np.random.Generator) -> None:
    X = rng.normal(size=(6, 2))
    y = np.array([0, 1, 1, 0, 1, 0])
    model = gn.mlp([2, 3, 2], rng=0)
    W0 = {k: v.copy() for k, v in model.parameters().items()}
    ref = gn.mlp([2, 3, 2], rng=0)
    loss = gn.SoftmaxCrossEntropy()
    loss.forward(ref.forward(X), y)
    ref.backward(loss.backward())
    alpha, lr = 0.3, 0.1
    h = gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(lr), X, y, epochs=1, l2=alpha)
    expected = dict(W0)
    for k, g in ref.gradients().items():
        # ∂/∂W of (alpha/2)·‖W‖²/n is alpha·W/n; biases are not penalised.
        penalty = alpha * W0[k] / 6 if k.endswith(".W") else 0.0
        expected[k] = W0[k] - lr * (g + penalty)
        np.testing.assert_allclose(model.parameters()[k], expected[k], atol=1e-15)
    penalty_loss = 0.5 * alpha * sum(np.sum(W0[k] ** 2) for k in W0 if k.endswith(".W")) / 6
    plain = gn.SoftmaxCrossEntropy().forward(gn.mlp([2, 3, 2], rng=0).forward(X), y)
    assert h.loss[0] == pytest.approx(plain + penalty_loss, rel=1e-14)


def test_history_can_be_continued(route: str) -> None:
    model, X, y = _moons_problem(route=route)
    h = gn.train(model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, epochs=2, route=route)
    h2 = gn.train(
        model, gn.SoftmaxCrossEntropy(), gn.SGD(0.1), X, y, epochs=3, history=h, route=route
    )
    assert h2 is h and h.epochs == 5 and h.n_steps == 5


def test_interrupt_from_a_callback_marks_the_history(route: str) -> None:
    model, X, y = _moons_problem(route=route)
    history = gn.History()
    seen: list[np.ndarray] = []

    class CtrlC(gn.Callback):
        def on_batch_end(self, state: gn.TrainState) -> None:
            seen.append(state.model.flat_params.copy())
            if state.history.n_steps == 7:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gn.train(
            model,
            gn.SoftmaxCrossEntropy(),
            gn.Adam(0.01),
            X,
            y,
            epochs=10,
            batch_size=50,
            rng=0,
            callbacks=[CtrlC()],
            history=history,
            route=route,
        )
    assert history.interrupted and history.n_steps == 7 and history.epochs == 1
    np.testing.assert_array_equal(model.flat_params, seen[-1])


def test_a_real_sigint_is_held_until_the_step_is_complete() -> None:
    import os
    import signal

    model, X, y = _moons_problem()
    history = gn.History()
    steps: list[np.ndarray] = []

    class SendSigint(gn.Optimizer):
        """SGD that sends itself SIGINT halfway through updating the arrays (readable route)."""

        calls = 0

        def update(self, p: np.ndarray, g: np.ndarray, slot: object) -> None:
            self.calls += 1
            if self.calls == 2 * 4 + 2:  # step 3, the second of the four arrays
                os.kill(os.getpid(), signal.SIGINT)
            p -= self.lr * g

    class Snap(gn.Callback):
        def on_batch_end(self, state: gn.TrainState) -> None:
            steps.append(state.model.flat_params.copy())

    with pytest.raises(KeyboardInterrupt):
        gn.train(
            model,
            gn.SoftmaxCrossEntropy(),
            SendSigint(0.1),
            X,
            y,
            epochs=10,
            batch_size=50,
            rng=0,
            history=history,
            callbacks=[Snap()],
            route="readable",
        )
    assert history.interrupted and history.n_steps == 3
    # Every array got the third update: the interrupt waited for the step's end.
    assert len(steps) == 3
    np.testing.assert_array_equal(model.flat_params, steps[-1])
    assert np.all(steps[-1] != steps[-2])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("epochs", [0, 2], ids=["no-epochs", "two-epochs"])
def test_a_real_sigint_during_on_train_end_is_raised_after_it(epochs: int) -> None:
    import os
    import signal

    model, X, y = _moons_problem()
    history = gn.History()
    ended: list[str] = []

    class SendSigint(gn.Callback):
        def on_train_end(self, state: gn.TrainState) -> None:
            os.kill(os.getpid(), signal.SIGINT)
            ended.append("sender")

    class After(gn.Callback):
        def on_train_end(self, state: gn.TrainState) -> None:
            ended.append("after")

    with pytest.raises(KeyboardInterrupt):
        gn.train(
            model,
            gn.SoftmaxCrossEntropy(),
            gn.SGD(0.1),
            X,
            y,
            epochs=epochs,
            history=history,
            callbacks=[SendSigint(), After()],
        )
    # Held back until every on_train_end had run, then raised, not dropped.
    assert ended == ["sender", "after"]
    assert history.interrupted and history.epochs == epochs
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_early_stopping_names_a_missing_metric_readably() -> None:
    model, X, y = _moons_problem()
    with pytest.raises(
        ValueError,
        match=r"EarlyStopping monitors 'val_loss' but the epoch logs hold "
        r"\['accuracy', 'loss'\]; pass validation_data",
    ):
        gn.train(
            model,
            gn.SoftmaxCrossEntropy(),
            gn.SGD(0.1),
            X,
            y,
            epochs=2,
            callbacks=[gn.EarlyStopping()],
        )
