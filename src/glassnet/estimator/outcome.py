"""How a fit ended (``stopped_by_``), and what a fit cut short by an exception keeps.

The rule (RELIABILITY.md: nothing lost): a fit that an exception stops
after at least one completed epoch keeps that epoch, like Ctrl-C; one that
an exception stops before any epoch completed leaves the estimator as it
was before the call (the previous model, or unfitted). The exception is
always re-raised.
"""

from __future__ import annotations

from typing import Any

from .base import MLPBase

__all__ = [
    "CALLBACK",
    "CONVERGED",
    "DIVERGED",
    "INTERRUPTED",
    "MAX_FUN",
    "MAX_ITER",
    "PARTIAL_FIT",
    "describe_error",
    "restore",
]

#: ``tol`` / ``n_iter_no_change`` stopped it, or L-BFGS's own convergence test.
CONVERGED = "converged"
#: It ran ``max_iter`` epochs (iterations for "lbfgs").
MAX_ITER = "max_iter"
#: L-BFGS used its ``max_fun`` loss evaluations.
MAX_FUN = "max_fun"
#: A callback set ``state.stop_training``.
CALLBACK = "callback"
#: ``partial_fit`` ran its one epoch.
PARTIAL_FIT = "partial_fit"
#: Ctrl-C (KeyboardInterrupt, re-raised).
INTERRUPTED = "interrupted"
#: TrainingDivergedError (re-raised).
DIVERGED = "diverged"


def describe_error(exc: BaseException) -> str:
    """``stopped_by_`` for a fit an exception stopped: ``"error: Type: message"``.

    Parameters
    ----------
    exc : BaseException
    """
    text = str(exc)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"error: {type(exc).__name__}: {text}" if text else f"error: {type(exc).__name__}"


def restore(est: MLPBase, previous: dict[str, Any]) -> None:
    """Put the estimator's attributes back as they were before the failed call.

    Parameters
    ----------
    est : MLPBase
    previous : dict
        A shallow copy of ``vars(est)`` taken when the call began (fitting
        replaces the fitted attributes; it never mutates them in place).
    """
    optimizer = est.__dict__.get("_optimizer")
    est.__dict__.clear()
    est.__dict__.update(previous)
    if optimizer is not None and previous.get("_optimizer") is optimizer:
        # partial_fit's optimizer may have taken steps since the weights were
        # published: the next call starts a fresh optimizer state instead.
        del est._optimizer
