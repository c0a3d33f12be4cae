"""The stochastic solvers' fit ("sgd", "adam", "adamw"): glassnet's training loop, published.

The optimizer is built from the estimator's settings, the loop
(:func:`glassnet.training.loop.train`) runs with the estimator's
:class:`~glassnet.estimator.rules.Monitor` (scikit-learn's stopping rules),
an optional checkpoint and progress bar, and the results become the fitted
attributes at a step boundary, however training ended.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning

from ..core.losses import SoftmaxCrossEntropy
from ..core.multilabel import SigmoidCrossEntropy
from ..core.sequential import Sequential
from ..exceptions import TrainingDivergedError
from ..persist.checkpoint import ResumedState
from ..training.loop import train
from ..training.progress import ProgressBar
from ..training.state import Callback
from .base import MLPBase
from .checkpoints import EstimatorCheckpoint
from .network import make_optimizer, publish
from .outcome import (
    CALLBACK,
    CONVERGED,
    DIVERGED,
    INTERRUPTED,
    MAX_ITER,
    PARTIAL_FIT,
    describe_error,
    restore,
)
from .rules import Monitor
from .validation import ValidationSet

__all__ = ["DIVERGENCE_FACTOR", "finish", "fit_stochastic"]

Array = NDArray[np.floating]

#: train()'s runaway heuristic: a loss over 1000 × its reference.
DIVERGENCE_FACTOR = 1e3


def fit_stochastic(
    est: MLPBase,
    model: Sequential,
    loss: SoftmaxCrossEntropy | SigmoidCrossEntropy,
    X: Array,
    y: NDArray[Any],
    sw: Array | None,
    val: ValidationSet | None,
    callbacks: list[Callback],
    incremental: bool,
    *,
    config: dict[str, Any] | None = None,
    resumed: ResumedState | None = None,
    previous: dict[str, Any] | None = None,
) -> None:
    """Train ``model`` with the estimator's optimizer and rules; publish the result.

    However training ends, the fitted attributes describe a step boundary:
    the end (early-stopping weights restored), Ctrl-C's last completed step,
    a divergence's last good step or epoch, or, when another exception
    stops it, the last completed epoch (``previous`` when there is none).

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
        The user's, run after the estimator's own.
    incremental : bool
        ``partial_fit``: one epoch, the optimizer kept between calls.
    config : dict, optional
        The checkpoint's configuration (with ``checkpoint_path``).
    resumed : ResumedState, optional
        The checkpoint this fit resumes.
    previous : dict, optional
        ``vars(est)`` when the call began, put back when an exception stops
        the fit before its first epoch completes.
    """
    if resumed is None and (not incremental or not hasattr(est, "_optimizer")):
        est._optimizer = make_optimizer(est)
    n = X.shape[0]
    batch = min(200, n) if est.batch_size == "auto" else min(int(est.batch_size), n)
    start = 0 if resumed is None else resumed.epoch
    epochs = 1 if incremental else max(int(est.max_iter) - start, 0)
    # verbose: a progress bar on a terminal; scikit-learn's lines elsewhere
    # (a log file or a notebook cell keeps one line per epoch).
    bar = ProgressBar(total=epochs) if est.verbose else None
    if bar is not None and not bar.is_active():
        bar = None
    monitor = Monitor(est, n, validating=val is not None, talk=bool(est.verbose) and bar is None)
    extra: list[Callback] = [monitor] if bar is None else [monitor, bar]
    if resumed is not None:
        monitor.n_iter = resumed.epoch
        monitor.best_params = resumed.extra_arrays.get("best_params")
    if est.checkpoint_path is not None:
        every = int(est.checkpoint_every)
        extra.insert(1, EstimatorCheckpoint(est.checkpoint_path, every, config, monitor))
    try:
        train(
            model,
            loss,
            est._optimizer,
            X,
            y,
            epochs=epochs,
            batch_size=batch,
            shuffle=bool(est.shuffle),
            rng=est._rng,
            validation_data=val,
            callbacks=[*extra, *callbacks],
            sample_weight=sw,
            max_grad_norm=est.max_grad_norm,
            divergence_factor=DIVERGENCE_FACTOR,
            l2=0.0 if est.solver == "adamw" else float(est.alpha),
            history=None if resumed is None else resumed.history,
            route=est.route,
        )
    except KeyboardInterrupt:
        finish(est, model, monitor, interrupted=True, stopped_by=INTERRUPTED)
        raise
    except TrainingDivergedError as exc:
        # The model holds the last good step (a non-finite step is never
        # applied) or, after a runaway loss, the last good epoch: publish it
        # with the records of that epoch.
        if exc.restored_epoch is not None:
            monitor.roll_back(exc.restored_epoch)
            held = f"from the end of epoch {monitor.n_iter}"
        else:
            held = f"of the last good step, after {monitor.n_iter} complete epoch(s)"
        finish(est, model, monitor, interrupted=False, stopped_by=DIVERGED)
        err = TrainingDivergedError(
            f"{exc} The estimator holds the weights {held} (n_iter_={monitor.n_iter}). "
            "For MLPClassifier: lower learning_rate_init, set max_grad_norm, or scale the "
            "features with make_pipeline(StandardScaler(), MLPClassifier())."
        )
        err.restored_epoch = exc.restored_epoch
        raise err from exc
    except Exception as exc:
        # A callback, a checkpoint write or the data broke the run.
        if monitor.epoch_params is None:
            restore(est, {} if previous is None else previous)
            raise
        model.flat_params[...] = monitor.epoch_params
        finish(est, model, monitor, interrupted=True, stopped_by=describe_error(exc))
        if monitor.in_epoch:  # steps after that epoch moved the optimizer's state
            del est._optimizer
        raise
    finally:
        if bar is not None:
            bar.close()
    if monitor.converged:
        stopped_by = CONVERGED
    elif incremental:
        stopped_by = PARTIAL_FIT
    elif monitor.n_iter >= est.max_iter:
        stopped_by = MAX_ITER
    else:
        stopped_by = CALLBACK
    finish(est, model, monitor, interrupted=False, stopped_by=stopped_by)
    if not incremental and not monitor.converged and monitor.n_iter >= est.max_iter:
        # Attributed to glassnet.estimator.classifier (fit), as scikit-learn's are
        # to sklearn.*: warnings.filterwarnings(..., module="glassnet") silences it.
        warnings.warn(
            f"MLPClassifier ran max_iter={est.max_iter} epochs and the "
            f"{'validation' if monitor.early_stopping else 'training'} loss was still "
            f"improving by more than tol={est.tol:g}. Raise max_iter, or raise tol to "
            "accept this fit.",
            ConvergenceWarning,
            stacklevel=3,
        )


def finish(
    est: MLPBase, model: Sequential, monitor: Monitor, *, interrupted: bool, stopped_by: str
) -> None:
    """Publish the fitted state at a step boundary (early-stopping weights restored).

    Parameters
    ----------
    est : MLPClassifier
    model : Sequential
        Holding the weights to publish.
    monitor : Monitor
        Holding the records to publish.
    interrupted : bool
        Keep the model's weights as they are (no early-stopping restore).
    stopped_by : str
        Why training ended (``stopped_by_``).
    """
    if monitor.early_stopping and monitor.best_params is not None and not interrupted:
        model.flat_params[...] = monitor.best_params
    publish(est, model)
    est.n_iter_ = monitor.n_iter
    est.t_ = monitor.t
    if monitor.loss is not None:
        est.loss_ = monitor.loss
    est.loss_curve_ = monitor.loss_curve
    est.best_loss_ = None if monitor.early_stopping else monitor.best_loss
    est.validation_scores_ = monitor.val_scores
    est.validation_loss_curve_ = monitor.val_losses
    if monitor.early_stopping:
        est.best_validation_score_ = monitor.best_val_score
        est.best_validation_loss_ = monitor.best_val_loss
    est._no_improvement_count = monitor.no_improvement
    est.interrupted_ = interrupted
    est.stopped_by_ = stopped_by
    est.route_ = monitor.route
    est.route_reason_ = monitor.route_reason
