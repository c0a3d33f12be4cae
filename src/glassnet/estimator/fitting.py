"""``fit`` and ``partial_fit`` from start to end: checks, data, state, then a solver.

Everything is checked before any weight is touched: the settings that only
make sense together, the data (:mod:`.inputs`), the labels, the weights and
the validation set (:mod:`.validation`). Then the network is initialised,
resumed from a checkpoint (:mod:`.checkpoints`) or continued, and handed to
the solver: :mod:`.lbfgs` or :mod:`.stochastic`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import validate_data

from ..core.data import check_features
from ..core.losses import SoftmaxCrossEntropy
from ..core.multilabel import SigmoidCrossEntropy
from ..core.optim import Optimizer
from ..core.sequential import Sequential
from ..persist.checkpoint import ResumedState
from ..training.state import Callback
from .base import MLPBase
from .checkpoints import check_writable, checkpoint_config, read_checkpoint, restore_records
from .inputs import (
    HUGE_X,
    as_python,
    check_no_text,
    check_scale,
    check_targets,
    check_weights,
    class_weight_vector,
    encode_targets,
    hidden_sizes,
    make_rng,
    resolve_dtype,
)
from .lbfgs import fit_lbfgs
from .memory import check_memory
from .multilabel import (
    LOGISTIC,
    check_multilabel_settings,
    hold_out_rows,
    indicator,
    is_indicator,
    is_multilabel,
    multilabel_labels,
)
from .network import initialise, refuse_a_frozen_first_layer, to_model
from .stochastic import fit_stochastic
from .validation import ValidationSet, hold_out, validation_set

__all__ = ["STOCHASTIC", "fit_estimator", "has_partial_fit"]

Array = NDArray[np.floating]

#: The solvers that run glassnet's minibatch training loop.
STOCHASTIC = ("sgd", "adam", "adamw")


def has_partial_fit(est: MLPBase) -> bool:
    """Whether ``est`` offers ``partial_fit`` (``available_if``'s check).

    Parameters
    ----------
    est : MLPBase

    Raises
    ------
    AttributeError
        For a solver that is not stochastic ("lbfgs").
    """
    if est.solver not in STOCHASTIC:
        raise AttributeError(
            f"partial_fit is only available for the stochastic solvers {STOCHASTIC}; "
            f"solver={est.solver!r} is not one."
        )
    return True


def _check_settings(est: MLPBase, incremental: bool) -> None:
    """Refuse settings that cannot work together, before looking at the data."""
    if est.solver == "lbfgs" and est.route in ("fast", "compiled"):
        raise ValueError(
            f"route={est.route!r} cannot run with solver='lbfgs': lbfgs runs the readable "
            "route (loss_and_gradient over the whole data, inside SciPy's L-BFGS-B). Use "
            "route='auto' or 'readable', or a stochastic solver ('adam', 'sgd', 'adamw')."
        )
    if incremental and est.early_stopping:
        raise ValueError(
            "partial_fit does not support early_stopping=True: each call sees one "
            "batch of data, so there is no held-out set. Set early_stopping=False."
        )
    if incremental and isinstance(est.class_weight, str):
        raise ValueError(
            "class_weight='balanced' is not supported by partial_fit: one block of "
            "data does not show the class frequencies. Compute them once with "
            "sklearn.utils.class_weight.compute_class_weight and pass a dict."
        )
    if est.checkpoint_path is not None and (incremental or est.solver not in STOCHASTIC):
        raise ValueError(
            f"checkpoint_path={os.fspath(est.checkpoint_path)!r} works with fit and the "
            f"stochastic solvers {STOCHASTIC}; got "
            + ("partial_fit" if incremental else f"solver={est.solver!r}")
            + ". Set checkpoint_path=None"
            + (
                " and save the estimator between calls with glassnet.save."
                if incremental
                else " (L-BFGS keeps its state inside scipy), or choose another solver."
            )
        )


def _labels(
    est: MLPBase,
    y_arr: NDArray[Any],
    n_samples: int,
    first: bool,
    incremental: bool,
    classes: ArrayLike | None,
) -> NDArray[Any]:
    """The sorted classes of this fit, checked against ``classes`` and a previous fit."""
    if first:
        # One class trains as scikit-learn's does: predict returns that class.
        labels = unique_labels(y_arr) if classes is None else unique_labels(classes)
    else:
        if is_multilabel(est):
            raise ValueError(
                f"y has one label per sample, but the estimator was fitted on a multilabel "
                f"indicator matrix ({len(est.classes_)} columns); "
                f"{'partial_fit' if incremental else 'warm_start'} keeps the kind of target. "
                "Pass an indicator matrix, or set warm_start=False to start over."
            )
        labels = est.classes_
        if classes is not None and not np.array_equal(unique_labels(classes), labels):
            raise ValueError(
                f"classes={as_python(unique_labels(classes))!r} differs from classes_="
                f"{as_python(labels)!r} fixed by the first call to partial_fit."
            )
    same = incremental or first or np.array_equal(unique_labels(y_arr), labels)
    if not same:
        # scikit-learn's wording, then the way out.
        raise ValueError(
            "warm_start can only be used where `y` has the same classes as in the previous "
            f"call to fit. Previously got {labels}, `y` has {unique_labels(y_arr)}. "
            "Set warm_start=False to start over."
        )
    return labels


def _check_weighted_classes(
    class_weight: Array,
    labels: NDArray[Any],
    y_idx: NDArray[np.intp],
    sw: Array | None,
    incremental: bool,
) -> None:
    """Refuse class weights that leave no sample, or one class only, with weight."""
    w = class_weight[y_idx] if sw is None else class_weight[y_idx] * sw
    both = "class_weight" if sw is None else "sample_weight and class_weight together"
    weights = {as_python(k): float(v) for k, v in zip(labels, class_weight, strict=True)}
    if not np.any(w > 0):
        raise ValueError(
            f"{both} {'is' if sw is None else 'are'} zero for every "
            f"{'class of y' if sw is None else 'sample'} (class_weight={weights}): at least "
            "one sample must weigh more than 0 for the loss to be defined. Check class_weight."
        )
    weighted = np.unique(y_idx[w > 0])
    if len(weighted) < 2 <= len(labels) and not incremental:
        raise ValueError(
            f"{both} {'is' if sw is None else 'are'} zero for every sample but those of class "
            f"{as_python(labels[weighted[0]])!r} (class_weight={weights}): a classifier needs "
            "samples of at least 2 classes with positive weight. Check class_weight."
        )


def fit_estimator(
    est: MLPBase,
    X: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None,
    *,
    incremental: bool,
    classes: ArrayLike | None = None,
    validation_data: Sequence[Any] | None = None,
    callbacks: Iterable[Callback] = (),
) -> None:
    """What ``fit`` (``incremental=False``) and ``partial_fit`` (``True``) run.

    Parameters
    ----------
    est : MLPClassifier
    X, y, sample_weight, classes, validation_data, callbacks
        As given to ``fit`` or ``partial_fit``.
    incremental : bool
        ``partial_fit``: one epoch from the current weights.
    """
    previous = dict(vars(est))  # what a fit stopped before its first epoch puts back
    est._validate_params()
    hidden = hidden_sizes(est.hidden_layer_sizes)
    _check_settings(est, incremental)
    if est.checkpoint_path is not None:
        check_writable(est.checkpoint_path)
    resuming = (
        est.checkpoint_path is not None
        and bool(est.warm_start)
        and os.path.exists(est.checkpoint_path)
    )
    fitted = hasattr(est, "coefs_")
    first = not fitted or (not est.warm_start and not incremental) or resuming
    if incremental and not fitted and classes is None:
        raise ValueError(
            "classes must be passed on the first call to partial_fit: give every "
            "label of the whole problem, e.g. classes=np.unique(y_all)."
        )

    # --- data -------------------------------------------------------
    check_no_text(X)
    multilabel = is_indicator(y)
    check_targets(y, multilabel=multilabel)
    X_arr, y_arr = validate_data(
        est,
        X,
        y,
        reset=first,
        accept_sparse=["csr", "csc"],
        dtype=(np.float64, np.float32),
        ensure_all_finite=False,
        multi_output=multilabel,
    )
    dtype = resolve_dtype(est.dtype, X_arr.dtype) if first else est.coefs_[0].dtype
    X_arr = check_features(X_arr, dtype=dtype)
    n_samples = X_arr.shape[0]
    if multilabel:
        check_multilabel_settings(est)
        y_idx: NDArray[Any] = indicator(y_arr, dtype)
        labels = multilabel_labels(est, y_idx.shape[1], first, incremental, classes)
    else:
        check_classification_targets(y_arr)
        labels = _labels(est, y_arr, n_samples, first, incremental, classes)
        # Labels drawn from y itself hold every label of y: no unknown-label search.
        y_idx = encode_targets(y_arr, labels, "y", known=first and classes is None)
    sw = check_weights(sample_weight, n_samples)
    if sw is not None and not incremental and not multilabel and len(labels) > 1:
        weighted = np.unique(y_idx[sw > 0])
        if len(weighted) < 2:
            raise ValueError(
                "sample_weight is zero for every sample but those of class "
                f"{as_python(labels[weighted[0]])!r}: a classifier needs samples of at least "
                "2 classes with positive weight."
            )
    big = check_scale(X_arr, stacklevel=2)  # glassnet.estimator.classifier's fit
    class_weight = class_weight_vector(est.class_weight, labels, y_idx, sw)
    if class_weight is not None:
        _check_weighted_classes(class_weight, labels, y_idx, sw, incremental)

    if first or not incremental:
        est._rng = make_rng(est.random_state)

    # --- validation set --------------------------------------------
    X_train, y_train, sw_train = X_arr, y_idx, sw
    val: ValidationSet | None = None
    if validation_data is not None:
        val = validation_set(est, validation_data, labels, dtype, multilabel)
    elif est.early_stopping and est.solver in STOCHASTIC and multilabel:
        X_train, y_train, sw_train, val = hold_out_rows(est, X_arr, y_idx, sw)
    elif est.early_stopping and est.solver in STOCHASTIC:
        X_train, y_train, sw_train, val = hold_out(est, X_arr, y_idx, sw, labels)

    # --- state ------------------------------------------------------
    if first:
        n_train = X_train.shape[0]
        batch = min(200, n_train) if est.batch_size == "auto" else int(est.batch_size)
        rows = n_train if est.solver == "lbfgs" else min(batch, n_train)
        check_memory(
            est.hidden_layer_sizes,
            [X_arr.shape[1], *hidden, len(labels)],
            dtype.itemsize,
            max(rows, 0 if val is None else val[0].shape[0]),
            solver=est.solver,
            momentum=float(est.momentum),
            early_stopping=bool(est.early_stopping),
        )
    config = None
    resumed: tuple[Sequential, Optimizer, ResumedState] | None = None
    if est.checkpoint_path is not None:
        config = checkpoint_config(est, X_arr, y_idx, sw, labels)
        if resuming:
            sizes = [X_arr.shape[1], *hidden, len(labels)]
            path = est.checkpoint_path
            resumed = read_checkpoint(est, path, sizes, dtype, config, validation_data)
    model: Sequential | None = None
    if first:
        out = LOGISTIC if multilabel else "softmax"
        model = initialise(est, labels, X_arr.shape[1], hidden, dtype, val is not None, out)
    if resumed is not None:
        restore_records(est, *resumed, validating=val is not None)
        model = None  # the checkpoint's weights, built below
    if val is not None and est.validation_scores_ is None:
        est.validation_scores_ = []
        est.validation_loss_curve_ = []
    if model is None:
        model = to_model(est.coefs_, est.intercepts_, est.activation)
    if big > HUGE_X:
        refuse_a_frozen_first_layer(est, model, X_train, big)
    loss: SoftmaxCrossEntropy | SigmoidCrossEntropy = (
        SigmoidCrossEntropy()
        if multilabel
        else SoftmaxCrossEntropy(class_weight=class_weight, label_smoothing=est.label_smoothing)
    )
    if est.solver == "lbfgs":
        fit_lbfgs(est, model, loss, X_train, y_train, sw_train, val, list(callbacks), previous)
    else:
        fit_stochastic(
            est,
            model,
            loss,
            X_train,
            y_train,
            sw_train,
            val,
            list(callbacks),
            incremental,
            config=config,
            resumed=None if resumed is None else resumed[2],
            previous=previous,
        )
