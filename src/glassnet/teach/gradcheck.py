"""Finite-difference gradient checking, public so users can test their own models.

For every parameter entry ``θ_j`` the numeric derivative is the central
difference ``(L(θ_j + ε) - L(θ_j - ε)) / 2ε``, whose error is O(ε²); the check
runs on a float64 copy of the model so rounding does not swamp it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.sequential import Sequential
from ..fast.routes import choose_route
from ..fast.workspace import Workspace
from ..training.state import Loss, Model

__all__ = ["GradientCheck", "check_gradients"]

Array = NDArray[np.floating]


class GradientCheck(dict[str, float]):
    """Max relative error per parameter name, plus the norms behind it.

    A ``dict`` mapping each name of ``model.parameters()`` (and ``"X"``, the
    input) to its relative error, with two more dicts of the same keys:

    Attributes
    ----------
    analytic_norm : dict of str to float
        L2 norm of the backpropagated gradient.
    numeric_norm : dict of str to float
        L2 norm of the central-difference gradient.
    loss : float
        The loss at the unperturbed point.
    """

    analytic_norm: dict[str, float]
    numeric_norm: dict[str, float]
    loss: float

    def max_error(self) -> float:
        """Largest relative error over every checked array."""
        return max(self.values(), default=0.0)


def _relative_error(analytic: Array, numeric: Array) -> float:
    scale = max(
        float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numeric), initial=0.0))
    )
    if scale == 0.0:
        return 0.0
    return float(np.max(np.abs(analytic - numeric))) / scale


def check_gradients(
    model: Model,
    loss: Loss,
    X: ArrayLike,
    y: ArrayLike,
    eps: float = 1e-6,
    *,
    sample_weight: ArrayLike | None = None,
    check_input: bool = True,
    route: str = "readable",
) -> GradientCheck:
    """Compare backpropagated gradients with central differences, in float64.

    Parameters
    ----------
    model : Sequential
        The model to check; it is copied to float64, never modified.
    loss : SoftmaxCrossEntropy, CrossEntropy or compatible
        Applied to the model's output.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
    eps : float, default=1e-6
        Step of the central difference.
    sample_weight : array-like of shape (n_samples,), optional
    check_input : bool, default=True
        Also check the gradient with respect to ``X`` (key ``"X"``); this is
        how layers without parameters, such as activations, are checked.
    route : {"readable", "fast"}, default="readable"
        Which backward pass gives the analytic gradient: each layer's own
        ``backward`` and the loss's, or their fast forms (``forward_into``,
        ``backward_into``, ``forward_backward_into``, in reused buffers) as the
        fast training route runs them. The compiled route fuses the update
        into its kernels; its formulas are checked against the readable ones
        by the test suite instead.

    Returns
    -------
    GradientCheck
        For each name, ``max_j |a_j - n_j| / max(max_j |a_j|, max_j |n_j|)``:
        the largest entry error relative to the largest gradient entry of
        that array (0 when both gradients are exactly zero). Correct
        gradients give about 1e-9 or less; a wrong backward gives about 1.

    Notes
    -----
    The error is measured against each array's largest gradient rather than
    entry by entry because the central difference has an absolute rounding
    error of about ``1e-16 · |L| / ε``: an entry whose true gradient is
    near zero would otherwise show a large relative error however right the
    backward pass is.
    """
    if not (eps > 0 and np.isfinite(eps)):
        raise ValueError(f"eps must be a small positive number such as 1e-6; got {eps!r}.")
    if hasattr(model, "astype"):
        m64: Any = model.astype(np.float64)
    else:
        m64 = copy.deepcopy(model)
    loss = copy.deepcopy(loss)
    X64 = np.array(X, dtype=np.float64)

    def value(inp: Array) -> float:
        return float(loss.forward(m64.forward(inp), y, sample_weight))

    base = value(X64)
    if route == "readable":
        grad_X = m64.backward(loss.backward())
    elif route == "fast":
        grad_X = _fast_backward(m64, loss, X64, y, sample_weight)
    else:
        raise ValueError(
            f"route must be 'readable' or 'fast' for a gradient check; got {route!r}. The "
            "compiled route's kernels are checked against the readable formulas by the tests."
        )
    analytic = {k: v.copy() for k, v in m64.gradients().items()}
    targets: dict[str, Array] = dict(m64.parameters())
    if check_input:
        analytic["X"] = np.array(grad_X, dtype=np.float64)
        targets["X"] = X64

    result = GradientCheck()
    result.analytic_norm = {}
    result.numeric_norm = {}
    result.loss = base
    for name, arr in targets.items():
        numeric = np.zeros_like(arr)
        flat = arr.reshape(-1)  # a view: parameters are contiguous
        num_flat = numeric.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            plus = value(X64)
            flat[j] = old - eps
            minus = value(X64)
            flat[j] = old
            num_flat[j] = (plus - minus) / (2.0 * eps)
        result[name] = _relative_error(analytic[name], numeric)
        result.analytic_norm[name] = float(np.linalg.norm(analytic[name]))
        result.numeric_norm[name] = float(np.linalg.norm(numeric))
    return result


def _fast_backward(model: Any, loss: Loss, X: Array, y: ArrayLike, w: Any) -> Array:
    """The analytic gradient through the fast forms, as the fast training route runs them."""
    ya = np.asarray(y)
    choose_route("fast", model, loss, None, X, ya, None if w is None else np.asarray(w),
                 l2=0.0, max_grad_norm=None, epochs=1)  # fmt: skip  # raises if it cannot run
    seq: Sequential = model
    ws = Workspace(np.float64)
    z = seq.forward_into(X, ws).copy()  # the loss overwrites it: never the layers' buffers
    T = np.zeros_like(z)
    T[np.arange(len(ya)), ya.astype(np.intp)] = 1.0
    loss.forward_backward_into(z, ya.astype(np.intp), T, ws)  # type: ignore[attr-defined]
    return seq.backward_into(z, ws, need_dx=True)
