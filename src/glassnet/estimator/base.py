"""The attributes every part of the estimator reads, declared in one place for type checkers.

:class:`MLPBase` holds no code: ``MLPClassifier.__init__`` sets the
hyperparameters and ``fit`` the fitted attributes. The modules beside it
(inputs, fitting, solvers, rules, state) take an ``MLPBase`` so that they
need not import the public class that imports them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator

from ..core.optim import Optimizer

__all__ = ["MLPBase"]

Array = NDArray[np.floating]


class MLPBase(BaseEstimator):
    """Declarations of ``MLPClassifier``'s hyperparameters and fitted attributes.

    See :class:`glassnet.MLPClassifier` for what each one means.
    """

    # Hyperparameters (set by MLPClassifier.__init__).
    hidden_layer_sizes: Any
    activation: str
    solver: str
    alpha: float
    batch_size: int | str
    learning_rate: str
    learning_rate_init: float
    power_t: float
    max_iter: int
    shuffle: bool
    random_state: Any
    tol: float
    verbose: bool | int
    warm_start: bool
    momentum: float
    nesterovs_momentum: bool
    early_stopping: bool
    validation_fraction: float
    beta_1: float
    beta_2: float
    epsilon: float
    n_iter_no_change: int | float
    max_fun: int
    class_weight: Mapping[Any, float] | str | None
    label_smoothing: float
    dtype: Any
    max_grad_norm: float | None
    checkpoint_path: str | os.PathLike[str] | None
    checkpoint_every: int
    route: str

    # Fitted attributes (set by fit) and the private state kept between fits.
    classes_: NDArray[Any]
    coefs_: list[Array]
    intercepts_: list[Array]
    n_iter_: int
    t_: int
    loss_: float
    loss_curve_: list[float]
    best_loss_: float | None
    validation_scores_: list[float] | None
    validation_loss_curve_: list[float] | None
    best_validation_score_: float | None
    best_validation_loss_: float | None
    n_features_in_: int
    feature_names_in_: NDArray[Any]
    n_layers_: int
    n_outputs_: int
    out_activation_: str
    interrupted_: bool
    stopped_by_: str
    route_: str
    route_reason_: str
    _no_improvement_count: int
    _rng: np.random.Generator
    _optimizer: Optimizer
