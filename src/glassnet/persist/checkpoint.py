"""Training checkpoints in the safe container format: save every k epochs, resume exactly.

A checkpoint holds the model's parameters, the optimizer's state, the epoch
and step counts, the training curves, the shuffling generator's state and a
SHA-256 hash of the run's configuration. Resuming from it continues bit for
bit where it stopped; a checkpoint from a different configuration, model or
optimizer is refused. The file is the same stored-ZIP container as a model
file (see :mod:`glassnet.persist.container`): data only, never unpickled.

Examples
--------
>>> ckpt = Checkpoint("run.ckpt", every=10, config={"lr": 0.01})  # doctest: +SKIP
>>> train(model, loss, opt, X, y, epochs=100, rng=0, callbacks=[ckpt])  # doctest: +SKIP
>>> # ... later, after a crash, with a fresh model and optimizer:
>>> st = resume("run.ckpt", model, opt, config={"lr": 0.01})  # doctest: +SKIP
>>> train(model, loss, opt, X, y, epochs=100 - st.epoch, rng=st.rng,
...       history=st.history, callbacks=[ckpt])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.checks import is_int
from ..core.optim import Optimizer
from ..training.state import Callback, History, TrainState
from .ckptmeta import (
    CURVES,
    expected_arrays,
    extra_curve_names,
    history_names,
    jsonable,
    restore_generator,
    short_json,
    split_extra_curves,
)
from .container import DEFAULT_MAX_BYTES, read_container, write_container
from .curves import curves_from_arrays, curves_to_arrays

__all__ = ["Checkpoint", "ResumedState", "config_hash", "resume", "save_checkpoint"]


def config_hash(config: Any) -> str:
    """SHA-256 of a JSON-serialisable configuration, independent of key order.

    Parameters
    ----------
    config : JSON-serialisable object
        Hyperparameters and anything else that must match to resume.

    Returns
    -------
    str
        64 hex digits.
    """
    try:
        text = json.dumps(config, sort_keys=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"config must be plain JSON data (dicts, lists, str, finite numbers, bool, None); "
            f"{exc}. Convert tuples and NumPy scalars first."
        ) from exc
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_checkpoint(
    path: str | os.PathLike[str],
    state: TrainState,
    config: Any = None,
    *,
    epoch: int,
    extra: Any = None,
    extra_arrays: Mapping[str, Any] | None = None,
) -> None:
    """Write a checkpoint of ``state`` atomically (what :class:`Checkpoint` calls).

    Parameters
    ----------
    path : str or path-like
    state : TrainState
        The training loop's state; its ``rng`` must be a Generator.
    config : JSON-serialisable object, optional
        The run's configuration; only its hash and itself are stored.
    epoch : int
        Epochs completed.
    extra : JSON-serialisable object, optional
        More state of the caller's (an estimator's records), returned by
        :func:`resume` as ``ResumedState.extra``.
    extra_arrays : mapping of str to float array, optional
        Named float32/float64 arrays returned as ``ResumedState.extra_arrays``.

    Raises
    ------
    ValueError
        If ``state.rng`` is None, or an array or ``config``/``extra`` cannot
        be stored (not float32/float64, not finite, not plain JSON).
    TypeError
        If ``config`` is not plain JSON data.
    OSError
        If the file cannot be written; any previous checkpoint at ``path``
        is intact.

    See Also
    --------
    resume : Read it back into a model and an optimizer.
    """
    if state.rng is None:
        raise ValueError("a checkpoint needs the training generator (state.rng); got None.")
    params = state.model.parameters()
    opt = state.optimizer.state_dict()
    arrays: dict[str, Any] = {}
    param_table = []
    for i, (name, value) in enumerate(params.items()):
        arrays[f"param_{i}"] = value
        param_table.append({"name": name, "array": f"param_{i}"})
    slot_table: list[dict[str, str]] = []
    for pname, slots in opt["state"].items():
        for slot, value in slots.items():
            key = f"slot_{len(slot_table)}"
            arrays[key] = value
            slot_table.append({"param": pname, "slot": slot, "array": key})
    extra_table: list[dict[str, str]] = []
    for name, value in (extra_arrays or {}).items():
        key = f"extra_{len(extra_table)}"
        arrays[key] = value
        extra_table.append({"name": str(name), "array": key})
    h = state.history
    # Curves grow an entry an epoch: float64 arrays, not JSON (meta.json is capped).
    history, curves = curves_to_arrays({k: list(getattr(h, k)) for k in CURVES}, history_names())
    extra, extra_curves, more = split_extra_curves(extra)
    arrays |= curves | more
    body = {
        "epoch": int(epoch),
        "n_steps": int(h.n_steps),
        "history": history,
        "rng": jsonable(state.rng.bit_generator.state),
        "config_hash": config_hash(config),
        "config": config,
        "parameters": param_table,
        "optimizer": {
            "class": type(state.optimizer).__name__,
            "t": int(opt["t"]),
            "lr": float(opt["lr"]),
            "slots": slot_table,
        },
        "extra": extra,
        "extra_arrays": extra_table,
        "extra_curves": extra_curves,
    }
    write_container(path, "checkpoint", body, arrays)


class Checkpoint(Callback):
    """Training callback writing a checkpoint every ``every`` epochs.

    Parameters
    ----------
    path : str or path-like
        Checkpoint file, overwritten atomically each time (a crash mid-save
        keeps the previous checkpoint whole).
    every : int, default=1
        Epochs between checkpoints, counted over the whole run (a resumed run
        continues the count from its history).
    config : JSON-serialisable object, optional
        The run's configuration (hyperparameters, data description...).
        :func:`resume` refuses a checkpoint whose configuration differs.

    Attributes
    ----------
    saved_epochs : list of int
        Epoch counts at which a checkpoint was written.

    Notes
    -----
    The file records the state at the end of an epoch: parameters, optimizer
    state (moments, step count, learning rate), epochs and steps so far, the
    curves, and the shuffling generator's state.
    """

    def __init__(self, path: str | os.PathLike[str], every: int = 1, config: Any = None) -> None:
        if not is_int(every) or every < 1:
            raise ValueError(f"every must be a positive integer (epochs); got {every!r}.")
        self.path = os.fspath(path)
        self.every = int(every)
        self.config = config
        config_hash(config)  # refuse a non-JSON config now, not at the first save
        self.saved_epochs: list[int] = []

    def on_epoch_end(self, state: TrainState) -> None:
        """Save when the run's epoch count is a multiple of ``every``."""
        epoch = state.history.epochs
        if epoch % self.every == 0:
            extra, extra_arrays = self._extras(state)
            save_checkpoint(
                self.path,
                state,
                self.config,
                epoch=epoch,
                extra=extra,
                extra_arrays=extra_arrays,
            )
            self.saved_epochs.append(epoch)

    def _extras(self, state: TrainState) -> tuple[Any, Mapping[str, Any] | None]:
        """What to save beside the loop's state: ``(extra, extra_arrays)``; none here.

        Called only at the epochs that save; subclasses add their own records.
        """
        return None, None


@dataclass
class ResumedState:
    """What :func:`resume` restores beside the model and the optimizer.

    Attributes
    ----------
    epoch : int
        Epochs completed when the checkpoint was written.
    n_steps : int
        Optimizer steps completed.
    history : History
        The curves so far: pass it to ``train(history=...)`` to continue them.
    rng : numpy.random.Generator
        The shuffling generator in its saved state: pass it to ``train(rng=...)``.
    config : object
        The stored configuration.
    extra : object
        What the writer passed as ``extra`` (None if nothing).
    extra_arrays : dict of str to ndarray
        What the writer passed as ``extra_arrays``.
    """

    epoch: int
    n_steps: int
    history: History
    rng: np.random.Generator
    config: Any
    extra: Any = None
    extra_arrays: dict[str, Any] = field(default_factory=dict)


def resume(
    path: str | os.PathLike[str],
    model: Any,
    optimizer: Optimizer,
    *,
    config: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ResumedState:
    """Restore a checkpoint into ``model`` and ``optimizer``, refusing a mismatch.

    Parameters
    ----------
    path : str or path-like
        A file written by :class:`Checkpoint`.
    model : Sequential
        A model of the same architecture; its parameters are overwritten in place.
    optimizer : Optimizer
        An optimizer of the same class; its state is replaced.
    config : JSON-serialisable object, optional
        Must equal the configuration the checkpoint was written with.
    max_bytes : int, default=1 GiB
        Refuse larger files.

    Returns
    -------
    ResumedState
        Epoch and step counts, the curves and the generator to continue with.

    Raises
    ------
    ModelFileError
        If the file is damaged or not a checkpoint.
    ValueError
        If the configuration, the model's parameters (names, shapes, dtypes)
        or the optimizer class differ from the checkpoint's. Nothing is
        changed in that case.
    """
    from ..exceptions import ModelFileError

    meta, arrays = read_container(path, "checkpoint", expected_arrays, max_bytes=max_bytes)
    where = f"checkpoint {os.fspath(path)!r}"
    if meta.get("config_hash") != config_hash(config):
        stored = meta.get("config")
        keys = ""
        if isinstance(stored, dict) and isinstance(config, dict):
            diff = sorted(
                str(k) for k in set(stored) | set(config) if stored.get(k) != config.get(k)
            )
            if diff:
                values = "; ".join(
                    f"{k}: {short_json(stored.get(k))} there, {short_json(config.get(k))} now"
                    for k in diff[:8]
                )
                keys = f" (differs in {', '.join(diff)}) [{values}]"
        else:
            keys = f": checkpoint {short_json(stored)}, now {short_json(config)}"
        raise ValueError(
            f"{where} was written with a different config{keys}. Resume with the same "
            "configuration, or start a new run with a new checkpoint path."
        )
    params = model.parameters()
    saved = {p["name"]: arrays[p["array"]] for p in meta["parameters"]}
    if list(saved) != list(params):
        raise ValueError(
            f"{where} holds parameters {list(saved)} but the model has {list(params)}. "
            "Build the same architecture before resuming."
        )
    for name, value in saved.items():
        live = params[name]
        if value.shape != live.shape or value.dtype != live.dtype:
            raise ValueError(
                f"{where}: parameter {name!r} is {value.dtype} {value.shape} there but "
                f"{live.dtype} {live.shape} in the model. Build the same architecture "
                "(sizes and dtype) before resuming."
            )
    opt = meta["optimizer"]
    if opt.get("class") != type(optimizer).__name__:
        raise ValueError(
            f"{where} was written with optimizer {opt.get('class')!r}, not "
            f"{type(optimizer).__name__!r}. Resume with the same optimizer."
        )
    try:
        rng = restore_generator(meta["rng"])
        history = History(n_steps=meta["n_steps"])
        curves = curves_from_arrays(meta["history"], history_names(), arrays)
        for key in CURVES:
            values = curves[key]
            if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
                raise ValueError(f"history.{key} must be a list of numbers")
            getattr(history, key).extend(float(v) for v in values)
        if len(history.loss) != meta["epoch"]:
            raise ValueError(f"history has {len(history.loss)} epochs, expected {meta['epoch']}")
        slots: dict[str, dict[str, Any]] = {}
        for s in opt["slots"]:
            if s["param"] not in params:
                raise ValueError(f"slot {s!r} names an unknown parameter or array")
            if arrays[s["array"]].shape != params[s["param"]].shape:
                raise ValueError(f"slot {s['slot']!r} of {s['param']!r} has the wrong shape")
            slots.setdefault(s["param"], {})[str(s["slot"])] = arrays[s["array"]]
        opt_state = {"t": int(opt["t"]), "lr": float(opt["lr"]), "state": slots}
        extra_arrays = {}
        for e in meta.get("extra_arrays", []):
            if e["name"] in extra_arrays:
                raise ValueError(f"extra array entry {e!r} has an invalid or repeated name")
            extra_arrays[e["name"]] = arrays[e["array"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"cannot load {where}: invalid training state ({exc})") from exc
    # Everything checked: now change the caller's objects.
    for name, value in saved.items():
        params[name][...] = value
    optimizer.load_state_dict(opt_state)
    extra = meta.get("extra")
    if isinstance(extra, dict):
        extra = curves_from_arrays(extra, extra_curve_names(meta), arrays)
    return ResumedState(
        epoch=meta["epoch"],
        n_steps=meta["n_steps"],
        history=history,
        rng=rng,
        config=meta.get("config"),
        extra=extra,
        extra_arrays=extra_arrays,
    )
