"""Which route a training run takes, and why: one function decides.

* ``"readable"``: each layer's own ``forward`` and ``backward``, the loss's
  ``forward`` and ``backward``, and the optimizer's rule per named array, as the
  maths reads. Always possible.
* ``"fast"``: the same formulas through the fast forms (``forward_into``,
  ``backward_into``, ``forward_backward_into``) in reused buffers, and the
  optimizer's rule once over the flat parameter vector. Needs a ``Sequential``
  whose layers and loss offer current fast forms, class indices, no sample or
  class weights and no label smoothing.
* ``"compiled"``: the fast step restated in numba, many batches per call, for
  ``Dense → activation → … → Dense`` networks (relu, leaky relu, tanh, logistic,
  identity) with SGD, Adam or AdamW, when numba is installed
  (``pip install 'glassnet[fast]'``).

:func:`choose_route` takes what the user asked for: a named route runs or raises
``ValueError`` saying why it cannot; ``"auto"`` takes the fastest that can run
and records why in ``History.route_reason``. Between the fast and the compiled
route it weighs, per run, what the compiled step would save
(:func:`compiled_saving`) against what loading numba still costs this process
(nothing once loaded): no size a run can fall under by accident once numba is
loaded. A process that has loaded numba may so take another route than a fresh
one for the same seeded run; the numbers agree to rounding, and naming the
route makes them repeat exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ..core.data import is_sparse
from ..core.layers import Dense, fast_form_gap
from ..core.losses import SoftmaxCrossEntropy
from ..core.sequential import Sequential
from . import kernels as _kernels
from .compiled import CompiledStep
from .flat import FlatView
from .numpy_step import FastStep

__all__ = [
    "ROUTES",
    "STEP_SAVING_S",
    "UNIT_SAVING_S",
    "Route",
    "check_route",
    "choose_route",
    "compiled_saving",
]

#: The values ``route=`` takes.
ROUTES = ("auto", "readable", "fast", "compiled")

Array = NDArray[np.floating]


@dataclass
class Route:
    """The chosen route: its name, the reason, and the steps it runs.

    Attributes
    ----------
    name : {"readable", "fast", "compiled"}
    reason : str
        Why this route: asked for, or what ``"auto"`` found.
    flat : FlatView or None
        The flat vectors (fast and compiled routes).
    fast : FastStep or None
        The fast NumPy step (fast and compiled routes).
    compiled : CompiledStep or None
        The compiled step (compiled route).
    """

    name: str
    reason: str
    flat: FlatView | None = None
    fast: FastStep | None = None
    compiled: CompiledStep | None = None


def check_route(route: Any) -> str:
    """``route`` if it is one of :data:`ROUTES`, else ``ValueError`` listing them.

    Parameters
    ----------
    route : object
        What the caller passed as ``route=``.
    """
    if not isinstance(route, str) or route not in ROUTES:
        raise ValueError(
            f"route must be one of {', '.join(repr(r) for r in ROUTES)}; got {route!r}. "
            "'auto' picks the fastest route that can run and records why."
        )
    return route


def _fast_gap(
    model: object, loss: object, Xa: Any, ya: NDArray[Any], wa: Array | None
) -> str | None:
    """Why the fast step cannot run this training, or None."""
    if not isinstance(model, Sequential) or FlatView.of(model) is None:
        return (
            f"the model is a {type(model).__name__}, not a glassnet Sequential with one flat "
            "parameter vector"
        )
    gap = model.fast_form_gap()
    if gap is not None:
        return gap
    pairs = getattr(loss, "FAST_PAIRS", None)
    if pairs is None:
        return f"the loss {type(loss).__name__} has no fast form (forward_backward_into)"
    gap = fast_form_gap(loss, object, pairs)
    if gap is not None:
        return f"the loss: {gap}"
    if isinstance(loss, SoftmaxCrossEntropy) and loss.class_weight is not None:
        return "the loss has class weights (the fast form takes unit weights)"
    if isinstance(loss, SoftmaxCrossEntropy) and loss.label_smoothing:
        return "the loss smooths labels (the fast form takes one-hot targets)"
    if wa is not None:
        return "samples are weighted (the fast form takes unit weights)"
    if is_sparse(Xa) and not isinstance(model.layers[0], Dense):
        return "X is sparse and the first layer is not Dense (only Dense multiplies sparse X)"
    if ya.ndim != 1:
        return "y holds target rows (the fast form takes class indices)"
    return None


#: What the compiled step saves against the fast NumPy step, per step and per
#: parameter × row (benchmarks/RESULTS.md, plain-install rows against the compiled
#: ones): ~0.1 ms of NumPy calls a step (W1: 2 → 32 → 2 on 1,000 rows), and
#: ~0.025 ns per parameter × row of larger products (W2: 20,490 × 256 a step).
STEP_SAVING_S = 1e-4
UNIT_SAVING_S = 2.5e-11


def compiled_saving(n_params: int, n_rows: int, epochs: int, batch_size: int | None) -> float:
    """Seconds the compiled step is expected to save on a run of these sizes.

    Parameters
    ----------
    n_params, n_rows, epochs : int
        The model's parameters, the data's rows and the passes over them.
    batch_size : int or None
        Rows a step (None: all).
    """
    size = n_rows if batch_size is None else max(min(int(batch_size), n_rows), 1)
    steps = epochs * -(-n_rows // size) if n_rows else 0
    return steps * STEP_SAVING_S + UNIT_SAVING_S * float(n_params) * n_rows * epochs


def _compiled_pays(
    flat: FlatView, Xa: Any, epochs: int, batch_size: int | None
) -> tuple[bool, str]:
    """Whether this run wins back what numba still costs this process; and why."""
    saving = compiled_saving(flat.params.size, Xa.shape[0], epochs, batch_size)
    cost = _kernels.step_load_seconds()
    if cost == 0.0:
        return True, "numba's kernels are loaded in this process (nothing left to pay)"
    verdict = "wins" if saving > cost else "would not win"
    return saving > cost, (
        f"the run {verdict} back loading numba (~{saving:.2g} s saved against ~{cost:.2g} s "
        "to load it in this process)"
    )


def choose_route(
    route: str,
    model: object,
    loss: object,
    optimizer: object,
    Xa: Array,
    ya: NDArray[Any],
    wa: Array | None,
    *,
    l2: float,
    max_grad_norm: float | None,
    epochs: int,
    batch_size: int | None = None,
) -> Route:
    """Decide the route of one training run.

    Parameters
    ----------
    route : {"auto", "readable", "fast", "compiled"}
        What the user asked for.
    model, loss, optimizer : object
        The run's pieces.
    Xa : ndarray of shape (n_samples, n_features)
        The training data, in the model's dtype.
    ya : ndarray
        Class indices or target rows.
    wa : ndarray or None
        Sample weights.
    l2 : float
        The l2 penalty (the compiled step applies it itself).
    max_grad_norm : float or None
        Gradient clipping (likewise).
    epochs : int
        Passes over the data.
    batch_size : int or None, default=None
        Rows a step (None: all). With ``epochs`` and the sizes, what the
        compiled step would save, set against what loading numba still costs
        this process, decides ``"auto"`` (:func:`compiled_saving`).

    Returns
    -------
    Route

    Raises
    ------
    ValueError
        If ``route`` is unknown, or names a route that cannot run this training
        (the message says why and what to do).
    """
    check_route(route)
    if route == "readable":
        return Route("readable", "asked for (route='readable')")
    gap = _fast_gap(model, loss, Xa, ya, wa)
    if gap is not None:
        if route != "auto":
            raise ValueError(
                f"route={route!r} cannot run this training: {gap}. Use route='readable' "
                "(or 'auto', which falls back to it)."
            )
        return Route("readable", f"auto: {gap}, so the readable route")
    seq = cast("Sequential", model)  # _fast_gap checked it, and its flat vector
    flat = cast("FlatView", FlatView.of(seq))
    fast = FastStep(seq, cast("SoftmaxCrossEntropy", loss), Xa, ya)
    if route == "fast":
        return Route("fast", "asked for (route='fast')", flat, fast)
    why_not = CompiledStep.unavailable(fast, optimizer)
    reason = "asked for (route='compiled')"
    if route == "auto":
        if why_not is None and not _kernels.installed():
            why_not = "numba is not installed (pip install 'glassnet[fast]' adds it)"
        if why_not is None:
            # Weighed before build() loads numba: afterwards nothing is left to pay.
            pays, why = _compiled_pays(flat, Xa, epochs, batch_size)
            why_not = None if pays else why
            reason = f"auto: the kernels restate this network and optimizer, and {why}"
        if why_not is not None:
            return Route(
                "fast",
                f"auto: fast forms throughout; not compiled: {why_not}",
                flat,
                fast,
            )
    elif why_not is not None:
        raise ValueError(
            f"route='compiled' cannot run this training: {why_not}. Use route='fast' or 'auto'."
        )
    compiled = CompiledStep.build(fast, flat, optimizer, l2, max_grad_norm)
    if compiled is None:
        if route == "compiled":
            raise ValueError(
                "route='compiled' needs numba, which did not load here (not installed, or its "
                "threading layer cannot start). Install it with pip install 'glassnet[fast]', "
                "or use route='fast'."
            )
        return Route("fast", "auto: numba did not load, so the fast NumPy route", flat, fast)
    return Route("compiled", reason, flat, fast, compiled)
