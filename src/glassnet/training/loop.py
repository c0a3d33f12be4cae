"""The training loop: epochs, minibatches, history, callbacks and the guards.

The loop knows nothing of scikit-learn, plotting or printing: it reports
through callbacks. One step, on the readable route (:func:`loss_and_gradient`)::

    logits = model.forward(X_batch)
    loss_value = loss.forward(logits, y_batch, w_batch)   # + the l2 penalty
    model.backward(loss.backward())                      # fills model.gradients()
    check loss and gradient norm are finite              # else raise, update not applied
    optimizer.step(model.parameters(), model.gradients())

The fast and compiled routes run the same formulas faster
(:mod:`glassnet.fast.routes` chooses; ``History.route`` and
``History.route_reason`` say which ran and why). Everything else here (the
guards, the l2 penalty's coefficient, clipping, callbacks, validation) is
shared by every route.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.init import as_generator
from ..core.optim import Optimizer
from ..fast.routes import choose_route
from .guard import Runaway
from .inputs import check_inputs, check_settings
from .run import Run
from .state import Callback, History, Loss, Model, TrainState

__all__ = ["train"]

Array = NDArray[np.floating]


def train(
    model: Model,
    loss: Loss,
    optimizer: Optimizer,
    X: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int,
    batch_size: int | None = None,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
    validation_data: Sequence[Any] | None = None,
    callbacks: Iterable[Callback] = (),
    sample_weight: ArrayLike | None = None,
    max_grad_norm: float | None = None,
    divergence_factor: float | None = 1e3,
    divergence_patience: int = 3,
    l2: float = 0.0,
    history: History | None = None,
    route: str = "auto",
) -> History:
    """Train ``model`` by minibatch backpropagation.

    Parameters
    ----------
    model : Sequential
        Maps X to logits; its parameters are updated in place.
    loss : SoftmaxCrossEntropy or compatible
        Takes ``(logits, y, sample_weight)``, returns the mean loss, and
        gives the gradient on the logits from ``backward()``.
    optimizer : Optimizer
        Updates ``model.parameters()`` from ``model.gradients()``.
    X : array-like of shape (n_samples, n_features)
        Cast to the model's dtype once, before the first epoch.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Class indices or target distributions.
    epochs : int
        Passes over the data.
    batch_size : int, optional
        Samples per step; None means full-batch gradient descent.
    shuffle : bool, default=True
        Reshuffle before every epoch (with ``rng``).
    rng : Generator, int or None
        Source of the shuffles. The same seed gives bitwise identical weights.
    validation_data : tuple (X_val, y_val) or (X_val, y_val, w_val), optional
        Evaluated after every epoch into ``val_loss`` and ``val_accuracy``.
    callbacks : iterable of Callback
        Hooks called at train/epoch/batch boundaries; they may stop training.
    sample_weight : array-like of shape (n_samples,), optional
        Per-sample weights passed to the loss: finite and ``>= 0``, checked
        once before the first epoch (``ValueError`` otherwise).
    max_grad_norm : float, optional
        Rescale the gradient whenever its global L2 norm exceeds this.
    divergence_factor : float or None, default=1e3
        The runaway-loss heuristic (:class:`glassnet.training.guard.Runaway`):
        an epoch *explodes* when its mean training loss exceeds
        ``divergence_factor`` times a reference, ``log K`` (a uniform guess
        over K classes) or the run's first epoch loss, whichever is larger
        (``log K`` alone when that first loss already explodes, as with
        unscaled features around 1e150). The first epoch is ``history.loss[0]``
        when a non-empty ``history`` is passed. None turns it off.
    divergence_patience : int, default=3
        After this many exploding epochs in a row, or when training ends
        during an explosion, the parameters, the optimizer state and the
        history are restored to the end of the last good epoch and
        ``TrainingDivergedError`` is raised; its ``restored_epoch`` says how
        many epochs of this call were kept.
    l2 : float, default=0.0
        L2 penalty on the weights (parameters named ``"*.W"``, not biases), as
        scikit-learn's ``alpha``: each batch's loss gains
        ``(l2 / 2) · Σ‖W‖² / B`` and each weight gradient ``l2 · W / B``, where
        ``B`` is the batch's size (its total sample weight when weighted).
    history : History, optional
        Append to this history instead of starting a new one (``partial_fit``
        and resumed training keep one curve this way).
    route : {"auto", "readable", "fast", "compiled"}, default="auto"
        How each step is computed (:mod:`glassnet.fast.routes`): ``"readable"``
        runs each layer's own ``forward``/``backward`` as the maths reads;
        ``"fast"`` the same formulas in reused buffers; ``"compiled"`` the same
        step in numba (``glassnet[fast]``). A named route that cannot run this
        training raises ``ValueError``; ``"auto"`` takes the fastest that can,
        and ``History.route`` / ``History.route_reason`` say which and why.

    Returns
    -------
    History

    Raises
    ------
    TrainingDivergedError
        When a step's loss or gradient norm is not finite (the update is not
        applied, so the model and optimizer hold the last good step), or when
        the loss runs away (see ``divergence_factor``; the model and optimizer
        are restored to the last good epoch).
    KeyboardInterrupt
        Re-raised after Ctrl-C with ``history.interrupted = True``. In the main
        thread the interrupt is held back while the optimizer updates the
        arrays, so the model always holds a completed step.
    """
    check_settings(
        epochs, batch_size, max_grad_norm, l2, divergence_factor, divergence_patience, route
    )
    data = check_inputs(model, X, y, sample_weight, validation_data)
    history = History() if history is None else history
    chosen = choose_route(
        route, model, loss, optimizer, data.X, data.y, data.w,
        l2=l2, max_grad_norm=max_grad_norm, epochs=epochs, batch_size=batch_size,
    )  # fmt: skip
    history.route, history.route_reason = chosen.name, chosen.reason
    params = model.parameters()
    state = TrainState(
        model=model, loss=loss, optimizer=optimizer, history=history, rng=as_generator(rng)
    )
    run = Run(state, data, chosen, list(callbacks), batch_size, shuffle, l2, max_grad_norm)
    runaway = Runaway(divergence_factor, int(divergence_patience), params, optimizer, history)
    try:
        run.epochs(epochs, runaway)
    except KeyboardInterrupt:
        history.interrupted = True
        raise
    return history
