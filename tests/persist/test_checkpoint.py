"""Checkpoints: exact resume, refusal of a mismatched or damaged checkpoint."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import glassnet
from glassnet import Checkpoint, ModelFileError, SoftmaxCrossEntropy, mlp, resume, train
from glassnet.core.optim import SGD, Adam, Optimizer

CONFIG = {"sizes": [2, 5, 3], "lr": 0.05, "batch_size": 8}


def _data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    return X, y


def _optimizer(kind: str) -> Optimizer:
    return Adam(0.05) if kind == "adam" else SGD(0.05, momentum=0.9, nesterov=True)


def _run(
    kind: str,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    callbacks: Any = (),
    dtype: Any = np.float64,
) -> tuple[Any, Optimizer, glassnet.History]:
    model = mlp([2, 5, 3], "tanh", rng=1, dtype=dtype)
    opt = _optimizer(kind)
    h = train(
        model,
        SoftmaxCrossEntropy(),
        opt,
        X,
        y,
        epochs=epochs,
        batch_size=8,
        rng=7,
        callbacks=callbacks,
    )
    return model, opt, h


@pytest.mark.parametrize("kind", ["adam", "sgd-nesterov"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_resume_continues_bit_for_bit(
    kind: str, dtype: Any, rng: np.random.Generator, tmp_path: Path
) -> None:
    X, y = _data(rng)
    full_model, full_opt, full_h = _run(kind, X, y, 6, dtype=dtype)

    path = tmp_path / "run.ckpt"
    ckpt = Checkpoint(path, every=2, config=CONFIG)
    _run(kind, X, y, 5, [ckpt], dtype=dtype)  # the last checkpoint is at epoch 4
    assert ckpt.saved_epochs == [2, 4]

    model = mlp([2, 5, 3], "tanh", rng=99, dtype=dtype)  # different start: overwritten
    opt = _optimizer(kind)
    st = resume(path, model, opt, config=dict(reversed(list(CONFIG.items()))))
    assert (st.epoch, st.n_steps) == (4, 20)
    assert st.history.loss == full_h.loss[:4]
    h = train(
        model,
        SoftmaxCrossEntropy(),
        opt,
        X,
        y,
        epochs=6 - st.epoch,
        batch_size=8,
        rng=st.rng,
        history=st.history,
    )
    assert h.loss == full_h.loss and h.n_steps == full_h.n_steps
    for name, value in full_model.parameters().items():
        np.testing.assert_array_equal(model.parameters()[name], value, err_msg=name)
    assert opt.t == full_opt.t


def test_mismatches_are_refused_and_change_nothing(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    X, y = _data(rng)
    path = tmp_path / "run.ckpt"
    _run("adam", X, y, 2, [Checkpoint(path, config=CONFIG)])
    model = mlp([2, 5, 3], "tanh", rng=3)
    before = model.flat_params.copy()
    opt = Adam(0.05)
    with pytest.raises(
        ValueError, match=r"\(differs in lr\) \[lr: 0.05 there, 0.1 now\]\. Resume with the same"
    ):
        resume(path, model, opt, config={**CONFIG, "lr": 0.1})
    with pytest.raises(ValueError, match=r"optimizer 'Adam', not 'SGD'"):
        resume(path, model, SGD(0.05), config=CONFIG)
    with pytest.raises(ValueError, match=r"parameter '0\.W' is float64 \(2, 5\).*\(2, 6\)"):
        resume(path, mlp([2, 6, 3], "tanh", rng=3), opt, config=CONFIG)
    with pytest.raises(ValueError, match=r"holds parameters.*same architecture"):
        resume(path, mlp([2, 5, 5, 3], "tanh", rng=3), opt, config=CONFIG)
    with pytest.raises(ValueError, match=r"float64 \(2, 5\) there but float32"):
        resume(path, mlp([2, 5, 3], "tanh", rng=3, dtype=np.float32), opt, config=CONFIG)
    np.testing.assert_array_equal(model.flat_params, before)
    assert opt.t == 0 and opt.state == {}


def test_damaged_or_foreign_files_are_model_file_errors(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    X, y = _data(rng)
    path = tmp_path / "run.ckpt"
    _run("adam", X, y, 1, [Checkpoint(path, config=CONFIG)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"run\.ckpt"):
        resume(path, mlp([2, 5, 3], rng=0), Adam(), config=CONFIG)
    glassnet.persist.container.write_container(path, "model", {}, {})
    with pytest.raises(ModelFileError, match="holds a 'model', not a 'checkpoint'"):
        resume(path, mlp([2, 5, 3], rng=0), Adam(), config=CONFIG)


def test_a_checkpoint_is_written_atomically_each_time(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    X, y = _data(rng)
    path = tmp_path / "run.ckpt"
    ckpt = Checkpoint(path, every=3, config=None)
    _run("adam", X, y, 7, [ckpt])
    assert ckpt.saved_epochs == [3, 6]
    assert os.listdir(tmp_path) == ["run.ckpt"]
    st = resume(path, mlp([2, 5, 3], rng=0), Adam(0.05))
    assert st.epoch == 6 and st.config is None


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="every must be a positive integer"):
        Checkpoint("x", every=0)
    with pytest.raises(TypeError, match="config must be plain JSON"):
        Checkpoint("x", config={"rng": object()})


def test_the_estimator_writes_checkpoints_through_its_callbacks(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    X, y = _data(rng)
    path = tmp_path / "fit.ckpt"
    est = glassnet.MLPClassifier((5,), max_iter=4, tol=0.0, n_iter_no_change=10, random_state=0)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y, callbacks=[Checkpoint(path, every=2, config=est.get_params())])
    model = mlp([2, 5, 3], "tanh", rng=0)
    st = resume(path, model, Adam(), config=est.get_params())
    assert st.epoch == est.n_iter_ == 4
    np.testing.assert_allclose(st.history.loss, est.loss_curve_)
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        np.testing.assert_array_equal(model.parameters()[f"{2 * i}.W"], W)
        np.testing.assert_array_equal(model.parameters()[f"{2 * i}.b"], b)


# --------------------------------------------------------------------------- the estimator


class _StopAt(glassnet.Callback):
    """Ctrl-C at the end of epoch ``epoch`` (counted from 1)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, state: glassnet.TrainState) -> None:
        if state.history.epochs == self.epoch:
            raise KeyboardInterrupt


def _clf(**kwargs: Any) -> glassnet.MLPClassifier:
    params: dict[str, Any] = {"random_state": 0, "max_iter": 14, "tol": 0.0, "batch_size": 8}
    return glassnet.MLPClassifier((5,), **{**params, **kwargs})


def _fitted_attributes(est: glassnet.MLPClassifier) -> dict[str, Any]:
    return {
        "n_iter_": est.n_iter_,
        "t_": est.t_,
        "loss_": est.loss_,
        "loss_curve_": est.loss_curve_,
        "best_loss_": est.best_loss_,
        "validation_scores_": est.validation_scores_,
        "validation_loss_curve_": est.validation_loss_curve_,
        "best_validation_loss_": est.best_validation_loss_,
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adam"},
        {"solver": "sgd", "learning_rate": "invscaling"},
        {"solver": "adam", "early_stopping": True, "validation_fraction": 0.25},
        {"solver": "adamw", "n_iter_no_change": 2, "max_iter": 60},  # stops on its own
    ],
    ids=["adam", "sgd-invscaling", "early-stopping", "converges"],
)
def test_the_estimator_resumes_bit_for_bit_after_an_interrupt(
    params: dict[str, Any], rng: np.random.Generator, tmp_path: Path
) -> None:
    X, y = _data(rng)
    full = _clf(**params).fit(X, y)

    path = tmp_path / "fit.ckpt"
    est = _clf(**params, checkpoint_path=path, checkpoint_every=3)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y, callbacks=[_StopAt(7)])
    assert est.interrupted_ and est.n_iter_ == 7 and path.is_file()
    stopped = est.coefs_[0].copy()

    est.set_params(warm_start=True).fit(X, y)  # resumes from epoch 6, not the live weights
    assert not est.interrupted_
    assert not np.array_equal(est.coefs_[0], stopped)
    mine, theirs = [*est.coefs_, *est.intercepts_], [*full.coefs_, *full.intercepts_]
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert _fitted_attributes(est) == _fitted_attributes(full)
    np.testing.assert_array_equal(est.predict_proba(X), full.predict_proba(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_estimator_refuses_a_mismatched_checkpoint(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    X, y = _data(rng)
    path = tmp_path / "fit.ckpt"
    _clf(checkpoint_path=path, checkpoint_every=2, max_iter=4).fit(X, y)
    written = path.read_bytes()
    with pytest.raises(
        ValueError,
        match=r"differs in alpha, learning_rate_init\) \[alpha: 0.0001 there, 0.01 now; "
        r"learning_rate_init: 0.01 there, 0.1 now\].*warm_start=False to start a new run",
    ):
        _clf(checkpoint_path=path, warm_start=True, alpha=0.01, learning_rate_init=0.1).fit(X, y)
    with pytest.raises(ValueError, match=r"\(differs in data\) \[data: \"sha256:"):
        _clf(checkpoint_path=path, warm_start=True).fit(X[::-1], y[::-1])
    assert path.read_bytes() == written  # a refused resume writes nothing
    # max_iter may change: the same run, trained for longer.
    longer = _clf(checkpoint_path=path, warm_start=True, max_iter=6).fit(X, y)
    assert longer.n_iter_ == 6
    straight = _clf(max_iter=6).fit(X, y)
    np.testing.assert_array_equal(longer.coefs_[0], straight.coefs_[0])
    # Without warm_start the checkpoint is not read: a new run overwrites it.
    fresh = _clf(checkpoint_path=path, checkpoint_every=2, max_iter=2, alpha=0.5).fit(X, y)
    assert fresh.n_iter_ == 2
    with pytest.raises(ValueError, match=r"checkpoint \{\"activation\": \"relu\", \"alpha\": 0.5"):
        resume(path, mlp([2, 5, 3], rng=0), Adam())


def test_checkpoint_parameters_follow_scikit_learns_contract(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    from sklearn.base import clone

    X, y = _data(rng)
    path = tmp_path / "fit.ckpt"
    est = _clf(checkpoint_path=path, checkpoint_every=5)
    assert clone(est).get_params()["checkpoint_path"] == path
    assert clone(est).get_params()["checkpoint_every"] == 5
    assert not path.exists()  # __init__ stores only
    with pytest.raises(ValueError, match=r"'checkpoint_every' parameter.*Got 0"):
        _clf(checkpoint_every=0).fit(X, y)
    with pytest.raises(ValueError, match=r"checkpoint_path=.*solver='lbfgs'.*Set checkpoint_path"):
        _clf(checkpoint_path=path, solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match=r"got partial_fit.*glassnet\.save"):
        _clf(checkpoint_path=path).partial_fit(X, y, classes=[0, 1, 2])
    assert not path.exists()
    # A model file never carries a checkpoint path (it would choose where to write).
    with pytest.warns(ConvergenceWarning):
        est.set_params(max_iter=5).fit(X, y)
    model = tmp_path / "m.glassnet"
    glassnet.save(est, model)
    assert glassnet.load(model).checkpoint_path is None


def _forge(path: Path, change: Any) -> None:
    """Rewrite the checkpoint at ``path`` with ``change`` applied to its description."""
    meta, arrays = glassnet.persist.container.read_container(path, "checkpoint", lambda m: {
        e["name"]: (tuple(e["shape"]), e["dtype"]) for e in m["arrays"]
    })  # fmt: skip
    body = {k: v for k, v in meta.items() if k not in {"magic", "format_version", "kind"}}
    del body["glassnet_version"], body["arrays"]
    change(body, arrays)
    glassnet.persist.container.write_container(path, "checkpoint", body, arrays)


def _too_many_slots(body: dict[str, Any], arrays: dict[str, Any]) -> None:
    body["optimizer"]["slots"] = [{"param": "0.W", "slot": "m", "array": "x"}] * 5000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b, a: b["parameters"][0].pop("name"),
            r"parameters\[0\] must be an object with string name, array",
        ),
        (
            lambda b, a: b["parameters"][0].update(name=["0.W"]),
            r"parameters\[0\] must be an object with string name, array",
        ),
        (
            lambda b, a: b["parameters"].__setitem__(0, "param_0"),
            r"parameters\[0\] must be an object with string name, array, got \"param_0\"",
        ),
        (
            lambda b, a: b["parameters"][1].update(name=b["parameters"][0]["name"]),
            r"the parameter table repeats a name",
        ),
        (
            lambda b, a: b["optimizer"]["slots"][0].update(slot=3),
            r"optimizer\.slots\[0\] must be an object with string param, slot, array",
        ),
        (
            lambda b, a: b["optimizer"].update(slots={"m": 1}),
            r"optimizer\.slots must be a list, got dict",
        ),
        (_too_many_slots, r"optimizer\.slots has 5000 entries, over the limit of 4096"),
        (
            lambda b, a: b["parameters"][0].update(array="slot_0"),
            r"name the arrays .* but the file declares .* each array must be named exactly once",
        ),
    ],
    ids=[
        "name-missing",
        "name-a-list",
        "entry-a-string",
        "name-repeated",
        "slot-not-a-string",
        "slots-not-a-list",
        "too-many-slots",
        "array-named-twice",
    ],
)
def test_a_forged_table_is_a_model_file_error(
    change: Any, message: str, rng: np.random.Generator, tmp_path: Path
) -> None:
    X, y = _data(rng)
    path = tmp_path / "run.ckpt"
    _run("adam", X, y, 1, [Checkpoint(path, config=CONFIG)])
    _forge(path, change)
    model = mlp([2, 5, 3], "tanh", rng=0)
    before = model.flat_params.copy()
    with pytest.raises(ModelFileError, match=message):
        resume(path, model, Adam(0.05), config=CONFIG)
    np.testing.assert_array_equal(model.flat_params, before)
