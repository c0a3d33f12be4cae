"""Long runs: curves of any length save, load, checkpoint and resume (stored as arrays)."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import glassnet
import glassnet.persist.container as gio
from glassnet import Checkpoint, MLPClassifier, ModelFileError, SoftmaxCrossEntropy, mlp, resume
from glassnet.core.optim import Adam
from glassnet.persist.checkpoint import save_checkpoint
from glassnet.training.state import History, TrainState

N = 200_000  # ~5 MB of curves as JSON: far over the 1 MiB meta.json cap


def _fit(rng: np.random.Generator, **params: object) -> MLPClassifier:
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((3,), max_iter=5, random_state=0, **params).fit(X, y)  # type: ignore[arg-type]


def _meta(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("meta.json"))


def test_a_model_with_a_200k_epoch_history_round_trips(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    est = _fit(rng, early_stopping=True)
    est.loss_curve_ = [float(v) for v in np.linspace(2.0, 0.1, N)]
    est.validation_scores_ = [float(v) for v in np.linspace(0.5, 1.0, N)]
    est.n_iter_ = N
    path = tmp_path / "long.glassnet"
    glassnet.save(est, path)
    back = glassnet.load(path)
    assert back.loss_curve_ == est.loss_curve_
    assert back.validation_scores_ == est.validation_scores_
    assert back.n_iter_ == N
    assert all(type(v) is float for v in back.loss_curve_[:5])
    assert len(path.read_bytes()) < 8 * 2 * N + 20_000  # float64 arrays, not JSON text
    # The curves are declared arrays, checked like the weights.
    meta = _meta(path)
    names = {e["name"]: e for e in meta["arrays"]}
    assert names["loss_curve"]["shape"] == [N] and names["loss_curve"]["dtype"] == "float64"


def test_short_curves_still_round_trip_exactly(rng: np.random.Generator, tmp_path: Path) -> None:
    est = _fit(rng)
    path = tmp_path / "m.glassnet"
    glassnet.save(est, path)
    back = glassnet.load(path)
    assert back.loss_curve_ == est.loss_curve_
    assert back.validation_scores_ == est.validation_scores_
    assert back.validation_loss_curve_ == est.validation_loss_curve_


def test_a_version_1_file_with_curves_in_json_still_loads(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    est = _fit(rng)
    path = tmp_path / "v1.glassnet"
    state, arrays = est._export_state()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gio, "FORMAT_VERSION", 1)
        gio.write_container(path, "model", {"estimator": "MLPClassifier", "state": state}, arrays)
    assert _meta(path)["format_version"] == 1
    back = glassnet.load(path)
    assert back.loss_curve_ == est.loss_curve_


def test_a_curve_array_is_checked_like_the_weights(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    est = _fit(rng)
    path = tmp_path / "m.glassnet"
    glassnet.save(est, path)
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    index = next(i for i, (n, _) in enumerate(members) if n == "loss_curve.npy")
    name, data = members[index]
    members[index] = (name, data[:-1] + bytes([data[-1] ^ 1]))
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members:
            zf.writestr(n, d)
    with pytest.raises(ModelFileError, match=r"member 'loss_curve\.npy'.*SHA-256 mismatch"):
        glassnet.load(path)


def test_a_description_too_large_names_its_largest_part(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    est = _fit(rng)
    est.feature_names_in_ = np.array([f"feature_{i:07d}" for i in range(2)], dtype=object)
    with pytest.raises(ValueError, match=r"config.*over the 1048576-byte limit") as info:
        gio.write_container(tmp_path / "x", "model", {"config": "x" * gio.MAX_META_BYTES}, {})
    assert "too many classes" not in str(info.value)


def _state(n: int) -> TrainState:
    model = mlp([2, 3, 2], "tanh", rng=0)
    history = History(n_steps=2 * n)
    history.loss.extend(float(v) for v in np.linspace(2.0, 0.1, n))
    history.accuracy.extend(float(v) for v in np.linspace(0.5, 1.0, n))
    history.val_loss.extend(float(v) for v in np.linspace(3.0, 0.2, n))
    return TrainState(
        model=model,
        loss=SoftmaxCrossEntropy(),
        optimizer=Adam(0.01),
        history=history,
        rng=np.random.default_rng(3),
    )


def test_a_checkpoint_of_a_200k_epoch_history_resumes(tmp_path: Path) -> None:
    state = _state(N)
    path = tmp_path / "run.ckpt"
    Checkpoint(path, every=1000, config={"a": 1}).on_epoch_end(state)
    st = resume(path, mlp([2, 3, 2], "tanh", rng=1), Adam(0.01), config={"a": 1})
    assert st.epoch == N and st.n_steps == 2 * N
    assert st.history.loss == state.history.loss
    assert st.history.accuracy == state.history.accuracy
    assert st.history.val_loss == state.history.val_loss
    assert st.history.val_accuracy == []


def test_long_curves_in_a_checkpoints_extra_records_resume(tmp_path: Path) -> None:
    # MLPClassifier(checkpoint_path=...) keeps its curves in `extra`.
    state = _state(3)
    records = {"loss_curve": [float(v) for v in np.linspace(1.0, 0.5, N)], "n_iter": 3,
               "val_scores": None, "ints": [1, 2], "empty": []}  # fmt: skip
    path = tmp_path / "run.ckpt"
    save_checkpoint(path, state, None, epoch=3, extra=records)
    st = resume(path, mlp([2, 3, 2], "tanh", rng=1), Adam(0.01))
    assert st.extra == records
    assert type(st.extra["ints"][0]) is int


def test_the_estimator_checkpoints_a_long_run(rng: np.random.Generator, tmp_path: Path) -> None:
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path / "run.ckpt"
    est = MLPClassifier((3,), max_iter=2, random_state=0, checkpoint_path=path, checkpoint_every=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    meta = _meta(path)
    assert any(e["shape"] == [2] for e in meta["arrays"] if e["name"].startswith("extra_curve"))
