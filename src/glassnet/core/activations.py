"""Activations: elementwise layers ``a = f(x)`` whose backward multiplies by ``f'``.

Each names its pair of formulas in :mod:`glassnet.core.functional`; the readable
``forward``/``backward`` and the fast ``forward_into``/``backward_into`` of
:class:`_Activation` call that same pair, without or with work buffers.
Also here: ``Identity`` and the standalone ``Softmax`` layer.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from . import functional as F
from .layers import Buffers, Layer, cached

__all__ = ["ACTIVATIONS", "Identity", "LeakyReLU", "ReLU", "Sigmoid", "Softmax", "Tanh"]

Array = NDArray[np.floating]


class _Activation(Layer):
    """An elementwise activation ``a = f(x)``: backward multiplies by ``f'``.

    Subclasses name their pair of :mod:`.functional` formulas; the slope comes
    from the cached output ``a`` when it determines it (tanh, sigmoid, relu's
    mask), else from the input ``x``.
    """

    caches_input: ClassVar[bool] = False

    def _f(self, x: Array, out: Array | None, ws: Buffers | None) -> Array:
        raise NotImplementedError

    def _slope(self, cached: Array, out: Array | None) -> Array:
        raise NotImplementedError

    def __init__(self) -> None:
        super().__init__()
        self._cache: Array | None = None

    def forward(self, X: Array) -> Array:
        """Apply the activation; cache what its derivative needs."""
        a = self._f(X, None, None)
        self._cache = X if self.caches_input else a
        return a

    def backward(self, grad: Array) -> Array:
        """``grad · f'`` elementwise."""
        return grad * self._slope(cached(self._cache, self), None)

    def forward_into(self, X: Array, ws: Buffers, inplace: bool) -> Array:
        """:meth:`forward` in place (or into a reused buffer)."""
        out = X if inplace and not self.caches_input else ws.get(self, "out", X.shape)
        a = self._f(X, out, ws)
        self._cache = X if self.caches_input else a
        return a

    def backward_into(self, grad: Array, ws: Buffers, inplace: bool, need_dx: bool) -> Array:
        """:meth:`backward` in place (or into a reused buffer)."""
        stored = cached(self._cache, self)
        slope = self._slope(stored, ws.get(self, "slope", stored.shape))
        return np.multiply(grad, slope, out=grad if inplace else ws.get(self, "dX", grad.shape))


class Tanh(_Activation):
    """``a = tanh(x)``; backward multiplies by ``1 - a²``."""

    def _f(self, x: Array, out: Array | None, ws: Buffers | None) -> Array:
        return F.tanh(x, out)

    def _slope(self, a: Array, out: Array | None) -> Array:
        return F.tanh_grad(a, out)


class ReLU(_Activation):
    """``a = max(x, 0)``; backward passes the gradient where ``x > 0`` (where ``a > 0``)."""

    def _f(self, x: Array, out: Array | None, ws: Buffers | None) -> Array:
        # Against an array of zeros in the fast form: the same numbers, faster in float32.
        return F.relu(x, out, None if ws is None else ws.zeros(x.shape))

    def _slope(self, a: Array, out: Array | None) -> Array:
        return F.relu_grad(a, out)


class LeakyReLU(_Activation):
    """``a = x`` for ``x > 0``, else ``negative_slope · x``.

    Parameters
    ----------
    negative_slope : float, default=0.01
        Slope for negative inputs.
    """

    caches_input = True

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if not np.isfinite(negative_slope) or negative_slope < 0:
            raise ValueError(
                "negative_slope must be a finite number >= 0; got "
                f"{negative_slope!r}. The usual value is 0.01."
            )
        self.negative_slope = float(negative_slope)

    def _f(self, x: Array, out: Array | None, ws: Buffers | None) -> Array:
        return F.leaky_relu(x, self.negative_slope, out)

    def _slope(self, x: Array, out: Array | None) -> Array:
        return F.leaky_relu_grad(x, self.negative_slope, out)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sigmoid(_Activation):
    """``a = 1 / (1 + exp(-x))`` (overflow-safe); backward multiplies by ``a(1 - a)``."""

    def _f(self, x: Array, out: Array | None, ws: Buffers | None) -> Array:
        return F.sigmoid(x, out)

    def _slope(self, a: Array, out: Array | None) -> Array:
        return F.sigmoid_grad(a, out)


class Identity(Layer):
    """``a = x``; backward passes the gradient through unchanged."""

    def forward(self, X: Array) -> Array:
        """Return ``X``."""
        return X

    def backward(self, grad: Array) -> Array:
        """Return ``grad``."""
        return grad

    def forward_into(self, X: Array, ws: Buffers, inplace: bool) -> Array:
        """Return ``X`` (nothing to compute)."""
        return X

    def backward_into(self, grad: Array, ws: Buffers, inplace: bool, need_dx: bool) -> Array:
        """Return ``grad`` (nothing to compute)."""
        return grad


class Softmax(Layer):
    """Standalone softmax layer, for learners composing ``Softmax`` + ``CrossEntropy``.

    Backward is the vector-Jacobian product ``ŷ ⊙ (g - Σ ŷ g)``, the softmax
    Jacobian ``diag(ŷ) - ŷŷᵀ`` applied without forming it.

    For training prefer :class:`glassnet.SoftmaxCrossEntropy` on logits: it
    fuses the two steps into ``ŷ - y``, which is cheaper and never takes the
    log of a probability that has underflowed to zero. This layer has no fast
    form: a model holding it trains on the readable route.
    """

    def __init__(self) -> None:
        super().__init__()
        self._p: Array | None = None

    def forward(self, X: Array) -> Array:
        """Softmax over the last axis; caches the probabilities."""
        self._p = F.softmax(X, axis=-1)
        return self._p

    def backward(self, grad: Array) -> Array:
        """``ŷ ⊙ (g - Σ_o ŷ_o g_o)``, the Jacobian-vector product."""
        p = cached(self._p, self)
        return F.softmax_vjp(p, grad)


ACTIVATIONS: dict[str, type[Layer]] = {
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "identity": Identity,
}
