"""The "lbfgs" solver's fit: SciPy's L-BFGS-B on the network's flat parameter vector.

The objective is :func:`glassnet.training.step.loss_and_gradient` over the
whole data, the readable route's own step: one loss-and-gradient function
for both kinds of solver. Each accepted iterate counts as an epoch for the
curves, the verbose lines and the callbacks.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning

from ..core.losses import SoftmaxCrossEntropy
from ..core.multilabel import SigmoidCrossEntropy
from ..core.sequential import Sequential
from ..exceptions import TrainingDivergedError
from ..training.state import Callback, TrainState
from ..training.step import evaluate, loss_and_gradient
from .base import MLPBase
from .network import publish
from .outcome import (
    CALLBACK,
    CONVERGED,
    DIVERGED,
    INTERRUPTED,
    MAX_FUN,
    MAX_ITER,
    describe_error,
    restore,
)
from .rules import iteration_line
from .stochastic import DIVERGENCE_FACTOR
from .validation import ValidationSet

__all__ = ["LBFGS_ROUTE_REASON", "fit_lbfgs"]

#: ``route_reason_`` of an L-BFGS fit (its ``route_`` is always "readable").
LBFGS_ROUTE_REASON = (
    "the lbfgs solver runs the readable loss_and_gradient over the whole data, inside "
    "SciPy's L-BFGS-B"
)

Array = NDArray[np.floating]


def fit_lbfgs(
    est: MLPBase,
    model: Sequential,
    loss: SoftmaxCrossEntropy | SigmoidCrossEntropy,
    X: Array,
    y: NDArray[Any],
    sw: Array | None,
    val: ValidationSet | None,
    callbacks: list[Callback],
    previous: dict[str, Any] | None = None,
) -> None:
    """Minimise the training loss with L-BFGS-B; publish the result.

    Interrupted (Ctrl-C) or diverged, the last accepted iterate is
    published; stopped by another exception, the last accepted iterate of
    this call, or ``previous`` when there is none.

    Parameters
    ----------
    est : MLPClassifier
    model : Sequential
        At the starting weights.
    loss : SoftmaxCrossEntropy or SigmoidCrossEntropy (multilabel)
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        Class indices, or a multilabel indicator matrix.
    sw : ndarray of shape (n_samples,) or None
    val : (X_val, y_val, sw_val) or None
    callbacks : list of Callback
        Called with ``on_train_begin``, ``on_epoch_end`` after every
        iteration (``state.optimizer`` is None; setting
        ``state.stop_training`` ends the run) and ``on_train_end``.
    previous : dict, optional
        ``vars(est)`` when the call began.
    """
    import scipy.optimize

    alpha = float(est.alpha)

    def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        # The loss and gradient of sklearn's lbfgs objective on the flat vector:
        # the readable route's step over the whole data (one formula for both).
        model.flat_params[...] = theta
        with np.errstate(over="ignore", invalid="ignore"):
            done = loss_and_gradient(model, loss, X, y, sw, alpha)
        value = None if done is None else done[0]
        if value is None or not (math.isfinite(value) and np.all(np.isfinite(model.flat_grads))):
            raise TrainingDivergedError(
                f"L-BFGS met a non-finite loss ({math.nan if value is None else value!r}) "
                "or gradient. Scale the features (StandardScaler) or raise alpha."
            )
        return value, model.flat_grads.astype(np.float64)

    history = list(est.loss_curve_)
    val_scores = None if val is None else list(est.validation_scores_ or [])
    val_losses = None if val is None else list(est.validation_loss_curve_ or [])
    state = TrainState(model=model, loss=loss, optimizer=cast(Any, None), history=cast(Any, None))

    last_good = model.flat_params.copy()  # the last accepted iterate

    def publish_at(theta: NDArray[Any], *, interrupted: bool, stopped_by: str) -> None:
        # The weights at ``theta`` and the curves recorded so far.
        model.flat_params[...] = theta
        publish(est, model)
        est.loss_curve_ = history
        est.validation_scores_ = val_scores
        est.validation_loss_curve_ = val_losses
        est.interrupted_ = interrupted
        est.stopped_by_ = stopped_by
        est.route_, est.route_reason_ = "readable", LBFGS_ROUTE_REASON

    def on_iteration(intermediate_result: Any) -> None:
        # Everything is computed before anything is recorded, so that the
        # iterate, the curves and ``last_good`` always move together.
        model.flat_params[...] = intermediate_result.x
        logs = {"loss": float(intermediate_result.fun)}
        scores = None
        if val is not None:
            scores = evaluate(model, loss, val[0], val[1], val[2])
            logs["val_loss"], logs["val_accuracy"] = scores
        line = iteration_line(len(history) + 1, logs["loss"], scores)
        last_good[...] = model.flat_params
        history.append(logs["loss"])
        if val_scores is not None and val_losses is not None:
            val_losses.append(logs["val_loss"])
            val_scores.append(logs["val_accuracy"])
        if est.verbose:
            print(line)
        state.epoch = len(history) - 1
        state.logs = logs
        for cb in callbacks:
            cb.on_epoch_end(state)
        if state.stop_training:
            stopped[0] = True
            raise StopIteration

    stopped = [False]  # a callback asked to stop
    if est.verbose:
        print(f"Route: readable ({LBFGS_ROUTE_REASON})")
    try:
        for cb in callbacks:
            cb.on_train_begin(state)
        result = scipy.optimize.minimize(
            objective,
            model.flat_params.astype(np.float64),
            jac=True,
            method="L-BFGS-B",
            callback=on_iteration,
            options={"maxiter": int(est.max_iter), "maxfun": int(est.max_fun), "gtol": est.tol},
        )
    except BaseException as exc:
        # Ctrl-C or a rejected trial point can land inside objective(),
        # which has written a line-search trial point into the model: a
        # trial point is not a step, so publish the last accepted iterate
        # with the record up to it. n_iter_ counts from the curve before
        # this fit, so it is set before publish_at() replaces that curve.
        done = len(history) - len(est.loss_curve_)
        if isinstance(exc, KeyboardInterrupt):
            reason, cut_short = INTERRUPTED, True
        elif isinstance(exc, TrainingDivergedError):
            reason, cut_short = DIVERGED, False
        elif done > 0:
            reason, cut_short = describe_error(exc), True
        else:  # nothing accepted in this call: the estimator as it was
            restore(est, {} if previous is None else previous)
            raise
        est.n_iter_ = done
        if done > 0:
            est.loss_ = history[-1]
            est.best_loss_ = min(history)
        publish_at(last_good, interrupted=cut_short, stopped_by=reason)
        raise
    if stopped[0]:
        reason = CALLBACK
    elif result.status == 1:
        reason = MAX_ITER if result.nit >= est.max_iter else MAX_FUN
    else:
        reason = CONVERGED
    publish_at(result.x, interrupted=False, stopped_by=reason)
    est.n_iter_ = min(int(result.nit), int(est.max_iter))
    est.loss_ = float(result.fun)
    est.best_loss_ = min(history) if history else est.loss_
    try:  # the callbacks see the final weights; the fit is kept whatever they do
        for cb in callbacks:
            cb.on_train_end(state)
    except BaseException as exc:
        est.interrupted_ = True
        est.stopped_by_ = INTERRUPTED if isinstance(exc, KeyboardInterrupt) else describe_error(exc)
        raise
    runaway = DIVERGENCE_FACTOR * math.log(max(len(est.classes_), 2))
    if est.loss_ > runaway:
        # Finite but absurd: far above a uniform guess (log K) after the
        # whole optimisation, as with unscaled features around 1e150.
        est.stopped_by_ = DIVERGED
        raise TrainingDivergedError(
            f"L-BFGS ended at a loss of {est.loss_:.3g}, over {runaway:.3g} (1000 times "
            "the loss of a uniform guess): the fit is useless. Scale the features "
            "(make_pipeline(StandardScaler(), MLPClassifier())) or raise alpha."
        )
    if result.status == 1:  # iteration or evaluation limit reached
        # Attributed to glassnet.estimator.classifier (fit), as scikit-learn's are
        # to sklearn.*: warnings.filterwarnings(..., module="glassnet") silences it.
        warnings.warn(
            f"MLPClassifier's lbfgs solver stopped after {est.n_iter_} iterations without "
            f"converging (max_iter={est.max_iter}, max_fun={est.max_fun}): "
            f"{result.message}. Raise max_iter, or scale the features.",
            ConvergenceWarning,
            stacklevel=3,
        )
