"""The estimator's checkpoints: what is hashed, what is saved beside the weights, resuming.

A checkpoint written by ``MLPClassifier(checkpoint_path=...)`` holds the
training loop's state (:class:`glassnet.Checkpoint`) plus the estimator's
records (curves, stopping counters, early-stopping best weights), and a hash
of the hyperparameters and the data that :func:`read_checkpoint` checks.
"""

from __future__ import annotations

import hashlib
import numbers
import os
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.data import is_sparse
from ..core.optim import Optimizer
from ..core.sequential import Sequential, mlp
from ..exceptions import ModelFileError
from ..persist.checkpoint import Checkpoint, ResumedState, resume
from ..training.state import TrainState
from .base import MLPBase
from .network import make_optimizer, publish
from .rules import Monitor
from .state import curve, encode_labels, finite, json_safe

__all__ = [
    "NOT_HASHED",
    "RECORDS",
    "EstimatorCheckpoint",
    "check_writable",
    "checkpoint_config",
    "read_checkpoint",
    "restore_records",
]

Array = NDArray[np.floating]

#: The monitor's records a checkpoint holds, by name.
RECORDS = (
    "n_iter",
    "t",
    "loss",
    "loss_curve",
    "best_loss",
    "val_scores",
    "val_losses",
    "best_val_score",
    "best_val_loss",
    "no_improvement",
)

#: Hyperparameters that may change between a run and its resumption (every
#: route computes the same step; they differ in rounding only).
NOT_HASHED = ("checkpoint_path", "checkpoint_every", "max_iter", "verbose", "warm_start", "route")


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse, before training, a ``checkpoint_path`` that cannot be written.

    The checkpoint is written atomically through a temporary file beside it,
    so its folder must exist and take new files: a probe file is created
    there and removed at once.

    Parameters
    ----------
    path : str or path-like
        ``checkpoint_path``.

    Raises
    ------
    ValueError
        Naming ``checkpoint_path`` (never the probe), the reason and what to do.
    """
    shown = f"checkpoint_path={os.fspath(path)!r}"
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise ValueError(
            f"{shown} is a folder: a checkpoint is one file. Name a file inside it, "
            f"e.g. {os.path.join(os.fspath(path), 'fit.ckpt')!r}."
        )
    if not os.path.exists(folder):
        raise ValueError(
            f"{shown} cannot be written: its folder {folder!r} does not exist. Create it "
            "first (os.makedirs(folder, exist_ok=True)), or choose another checkpoint_path."
        )
    if not os.path.isdir(folder):
        raise ValueError(
            f"{shown} cannot be written: {folder!r} is not a folder. Choose a "
            "checkpoint_path inside an existing folder."
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".glassnet-probe-", dir=folder)
    except OSError as exc:
        raise ValueError(
            f"{shown} cannot be written: the folder {folder!r} does not take new files "
            f"({exc.strerror or exc}). Choose a writable folder, or fix its permissions."
        ) from exc
    os.close(fd)
    os.unlink(probe)


class EstimatorCheckpoint(Checkpoint):
    """:class:`glassnet.Checkpoint` plus the estimator's records (run after the monitor).

    Parameters
    ----------
    path : str or path-like
    every : int
    config : JSON-serialisable object
    monitor : Monitor
        Whose records are saved.
    """

    def __init__(
        self, path: str | os.PathLike[str], every: int, config: Any, monitor: Monitor
    ) -> None:
        super().__init__(path, every, config)
        self.monitor = monitor

    def on_epoch_end(self, state: TrainState) -> None:
        """Save as :class:`glassnet.Checkpoint` does; a failed write names ``checkpoint_path``."""
        try:
            super().on_epoch_end(state)
        except OSError as exc:
            # The writer names its temporary file; the user knows checkpoint_path.
            raise type(exc)(
                exc.errno,
                f"could not write checkpoint_path={self.path!r} after epoch "
                f"{state.history.epochs} ({exc.strerror or exc}). The estimator keeps its "
                "last completed epoch; make the folder writable (or free space) and fit again.",
            ) from exc

    def _extras(self, state: TrainState) -> tuple[dict[str, Any], dict[str, Array]]:
        """The monitor's records and, once there are any, the best weights."""
        m = self.monitor
        records = {
            "n_iter": m.n_iter,
            "t": int(m.t),
            "loss": m.loss,
            "loss_curve": curve(m.loss_curve),
            "best_loss": json_safe(m.best_loss),
            "val_scores": curve(m.val_scores),
            "val_losses": curve(m.val_losses),
            "best_val_score": m.best_val_score,
            "best_val_loss": json_safe(m.best_val_loss),
            "no_improvement": int(m.no_improvement),
        }
        arrays = {} if m.best_params is None else {"best_params": m.best_params}
        return records, arrays


def checkpoint_config(
    est: MLPBase, X: Array, y_idx: NDArray[np.intp], sw: Array | None, labels: NDArray[Any]
) -> dict[str, Any]:
    """The hyperparameters (JSON) and a SHA-256 of the data, hashed into a checkpoint.

    Parameters
    ----------
    est : MLPClassifier
    X : ndarray of shape (n_samples, n_features)
    y_idx : ndarray of shape (n_samples,)
    sw : ndarray of shape (n_samples,) or None
    labels : ndarray of shape (n_classes,)
    """
    hyper: dict[str, Any] = {}
    for name, value in est.get_params().items():
        if name in NOT_HASHED:
            continue
        if name == "random_state" and not (value is None or isinstance(value, numbers.Integral)):
            value = f"<{type(value).__name__}>"
        elif name == "dtype" and value is not None:
            value = np.dtype(value).name
        elif name == "class_weight" and isinstance(value, Mapping):
            value = sorted([str(json_safe(k)), float(v)] for k, v in value.items())
        hyper[name] = json_safe(value)
    digest = hashlib.sha256()
    # Sparse X hashes its CSR arrays and shape: the same matrix, the same digest.
    Xs: Any = X
    parts = [Xs.data, Xs.indices, Xs.indptr, np.asarray(Xs.shape)] if is_sparse(X) else [X]
    for part in (*parts, y_idx, np.ones(0) if sw is None else sw):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update(repr(encode_labels(np.asarray(labels))).encode("utf-8"))
    hyper["data"] = f"sha256:{digest.hexdigest()}"
    return hyper


def read_checkpoint(
    est: MLPBase,
    path: str | os.PathLike[str],
    sizes: list[int],
    dtype: np.dtype,
    config: dict[str, Any],
    validation_data: Any,
) -> tuple[Sequential, Optimizer, ResumedState]:
    """Load ``path`` (``checkpoint_path``) into a fresh network and optimizer.

    A checkpoint of another configuration or architecture is refused.

    Parameters
    ----------
    est : MLPClassifier
    path : str or path-like
    sizes : list of int
        The layer widths, input and output included.
    dtype : np.dtype
    config : dict
        From :func:`checkpoint_config`.
    validation_data : object
        What ``fit`` was given (None when early stopping splits its own).
    """
    if (
        est.early_stopping
        and validation_data is None
        and not isinstance(est.random_state, numbers.Integral)
    ):
        raise ValueError(
            "resuming from checkpoint_path with early_stopping=True needs an integer "
            f"random_state to redraw the same validation split; got "
            f"random_state={est.random_state!r}. Set random_state to an int, or pass "
            "validation_data to fit."
        )
    model = mlp(sizes, est.activation, rng=0, dtype=dtype)
    optimizer = make_optimizer(est)
    try:
        st = resume(path, model, optimizer, config=config)
    except ModelFileError:
        raise
    except ValueError as exc:
        raise ValueError(
            f"{exc} For MLPClassifier: fit with the same hyperparameters and data to "
            "resume, or set warm_start=False to start a new run (it overwrites the "
            "checkpoint), or choose another checkpoint_path."
        ) from exc
    records = st.extra if isinstance(st.extra, dict) else {}
    best = st.extra_arrays.get("best_params")
    if (
        set(records) != set(RECORDS)
        or records["n_iter"] != st.epoch
        or not isinstance(records["loss_curve"], list)
        or len(records["loss_curve"]) < st.epoch
        or (best is not None and best.shape != model.flat_params.shape)
    ):
        raise ModelFileError(
            f"cannot load checkpoint {os.fspath(path)!r}: it does not "
            "hold an MLPClassifier's records for its epoch. Was it written by "
            "MLPClassifier(checkpoint_path=...)? Use another checkpoint_path."
        )
    return model, optimizer, st


def restore_records(
    est: MLPBase,
    model: Sequential,
    optimizer: Optimizer,
    st: ResumedState,
    *,
    validating: bool,
) -> None:
    """Make the estimator's state the checkpoint's (after ``initialise``).

    Parameters
    ----------
    est : MLPClassifier
    model : Sequential
        Holding the checkpoint's weights.
    optimizer : Optimizer
        Holding the checkpoint's optimizer state.
    st : ResumedState
    validating : bool
        Whether this fit keeps validation curves.
    """
    records = st.extra
    publish(est, model)
    est._optimizer = optimizer
    est._rng = st.rng
    est.t_ = int(records["t"])
    if records.get("loss") is not None:
        est.loss_ = float(records["loss"])
    est.loss_curve_ = [float(v) for v in records["loss_curve"]]
    est.best_loss_ = finite(records["best_loss"])
    if validating:
        est.validation_scores_ = [float(v) for v in records["val_scores"] or []]
        est.validation_loss_curve_ = [float(v) for v in records["val_losses"] or []]
    if est.early_stopping and validating:
        est.best_validation_score_ = records["best_val_score"]
        est.best_validation_loss_ = finite(records["best_val_loss"])
    est._no_improvement_count = int(records["no_improvement"])
