"""scikit-learn's per-epoch rules for the stochastic solvers, as a training-loop callback.

``tol`` and ``n_iter_no_change`` on the training loss (or, with early
stopping, the validation loss, keeping the best weights), the "invscaling"
and "adaptive" learning-rate schedules, and the verbose lines.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ..training.state import Callback, TrainState
from .base import MLPBase

__all__ = ["Monitor", "iteration_line"]

Array = NDArray[np.floating]


class Monitor(Callback):
    """scikit-learn's per-epoch rules, run as a training-loop callback.

    Records the curves, counts epochs without improvement (training loss,
    or validation loss with early stopping), applies the "invscaling" and
    "adaptive" learning-rate schedules, keeps the best weights for early
    stopping and stops training when the rules say so.
    """

    def __init__(self, est: MLPBase, n_train: int, validating: bool, talk: bool = False) -> None:
        self.est = est
        self.talk = talk  # print scikit-learn's per-epoch lines
        self.n_train = n_train
        self.validating = validating
        self.early_stopping = bool(est.early_stopping) and validating
        self.converged = False
        self.best_params: Array | None = None
        # The weights at the end of this fit's last completed epoch (a fit cut
        # short by an exception keeps them), and whether an epoch is under way.
        self.epoch_params: Array | None = None
        self.in_epoch = False
        self.route = ""
        self.route_reason = ""
        # Working copies of the fitted state, published by the estimator when
        # training ends (so a failed fit leaves the previous attributes whole).
        self.n_iter = 0
        self.t = est.t_
        self.loss: float | None = getattr(est, "loss_", None)
        self.loss_curve = list(est.loss_curve_)
        self.best_loss: float | None = est.best_loss_
        self.val_scores = None if est.validation_scores_ is None else list(est.validation_scores_)
        self.val_losses = (
            None if est.validation_loss_curve_ is None else list(est.validation_loss_curve_)
        )
        self.best_val_score = est.best_validation_score_
        self.best_val_loss = (
            math.inf if est.best_validation_loss_ is None else est.best_validation_loss_
        )
        self.no_improvement = est._no_improvement_count
        # Records at the last few epoch boundaries, so that a runaway loss
        # rolled back by the training loop rolls the records back with it.
        self._marks: deque[tuple[int, dict[str, Any], tuple[int, ...]]] = deque(maxlen=4)

    _SCALARS = (
        "t",
        "loss",
        "best_loss",
        "best_val_score",
        "best_val_loss",
        "no_improvement",
        "best_params",
    )

    def _lists(self) -> tuple[list[float], ...]:
        return tuple(
            c for c in (self.loss_curve, self.val_scores, self.val_losses) if c is not None
        )

    def on_train_begin(self, state: TrainState) -> None:
        """Note the route the loop chose, and say it when verbose."""
        self.route, self.route_reason = state.history.route, state.history.route_reason
        if self.est.verbose:
            print(f"Route: {self.route} ({self.route_reason})")

    def on_epoch_begin(self, state: TrainState) -> None:
        """Mark the records at this epoch boundary (scalars and curve lengths)."""
        self.in_epoch = True
        scalars = {k: getattr(self, k) for k in self._SCALARS}
        self._marks.append((self.n_iter, scalars, tuple(len(c) for c in self._lists())))

    def roll_back(self, n_iter: int) -> None:
        """Restore the records to the boundary after ``n_iter`` epochs of this fit."""
        for mark, scalars, lengths in self._marks:
            if mark == n_iter:
                vars(self).update(scalars)
                for curve, length in zip(self._lists(), lengths, strict=True):
                    del curve[length:]
                self.n_iter = n_iter
                return
        raise RuntimeError(f"no record of epoch {n_iter} to roll back to")  # pragma: no cover

    def on_epoch_end(self, state: TrainState) -> None:
        """Record the epoch, then apply tol/n_iter_no_change and the schedules."""
        est = self.est
        logs = state.logs
        self.n_iter += 1
        self.t += self.n_train
        self.loss = float(logs["loss"])
        self.loss_curve.append(self.loss)
        scores = None
        if self.validating:
            val_loss, val_score = float(logs["val_loss"]), float(logs["val_accuracy"])
            # Validating, the estimator has made both curves lists (see _fit).
            cast(list[float], self.val_scores).append(val_score)
            cast(list[float], self.val_losses).append(val_loss)
            scores = (val_loss, val_score)
        if self.talk:
            print(iteration_line(len(self.loss_curve), self.loss, scores))
        if self.epoch_params is None:
            self.epoch_params = state.model.flat_params.copy()
        else:
            self.epoch_params[...] = state.model.flat_params
        self.in_epoch = False

        if self.early_stopping:
            improved = val_loss < self.best_val_loss - est.tol
            if val_loss < self.best_val_loss:
                self.best_val_loss = val_loss
                self.best_val_score = val_score
                self.best_params = state.model.flat_params.copy()
        else:
            # None after an early-stopped fit (warm_start, early_stopping now off).
            best = math.inf if self.best_loss is None else self.best_loss
            improved = self.loss < best - est.tol
            self.best_loss = min(best, self.loss)
        self.no_improvement = 0 if improved else self.no_improvement + 1

        optimizer = state.optimizer
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            optimizer.lr = est.learning_rate_init / (self.t + 1) ** est.power_t
        if self.no_improvement > est.n_iter_no_change:
            what = "Validation loss" if self.early_stopping else "Training loss"
            msg = (
                f"{what} did not improve by more than tol={est.tol:g} for "
                f"{est.n_iter_no_change} consecutive epochs."
            )
            if (
                est.solver == "sgd"
                and est.learning_rate == "adaptive"
                and optimizer.lr > 1e-6  # scikit-learn's rule: stop once at or below 1e-6
            ):
                optimizer.lr /= 5.0
                self.no_improvement = 0
                if self.talk:
                    print(f"{msg} Setting learning rate to {optimizer.lr:f}")
            else:
                if self.talk:
                    print(f"{msg} Stopping.")
                self.converged = True
                state.stop_training = True


def iteration_line(n: int, loss: float, scores: tuple[float, float] | None) -> str:
    """scikit-learn's verbose line for epoch ``n``.

    Parameters
    ----------
    n : int
        The epoch (1-based, over every fit of the estimator).
    loss : float
        Its training loss.
    scores : (float, float) or None
        Its validation loss and accuracy, when validating.
    """
    line = f"Iteration {n}, loss = {loss:.8f}"
    if scores is not None:
        line += f", validation loss = {scores[0]:.8f}, validation score = {scores[1]:.6f}"
    return line
