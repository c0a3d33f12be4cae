"""Layers: each a ``forward`` / ``backward`` pair, plus ``Sequential``.

A layer's ``forward(X)`` caches what its ``backward`` needs; ``backward(grad)``
takes ``∂L/∂output`` and returns ``∂L/∂input``, writing the gradients of its
parameters into ``layer.grads`` in place. Layers never see an optimizer.

Parameters and their gradients are exposed as dicts of *live* arrays: change
them in place (``W[...] = ...``), never rebind them, because ``Sequential``
packs them into one flat vector and the dicts hold views into it.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from numpy.typing import DTypeLike, NDArray

from . import functional as F
from .checks import is_int
from .init import INITIALIZERS, as_generator

__all__ = [
    "Dense",
    "Identity",
    "Layer",
    "LeakyReLU",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "mlp",
]

Array = NDArray[np.floating]
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_float_dtype(dtype: DTypeLike, name: str = "dtype") -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in _FLOAT_DTYPES:
        raise ValueError(
            f"{name} must be float32 or float64; got {dt}. glassnet never computes in "
            "float16 or integer types: pass dtype=np.float32 or np.float64."
        )
    return dt


class _Workspace:
    """Work buffers reused from step to step by the training loop's fast path.

    The fast methods (``_forward_fast`` / ``_backward_fast``) write into these
    instead of allocating fresh arrays every step. A buffer is keyed by its
    owner, a name and its shape, so the smaller last batch of an epoch gets
    its own set.
    """

    def __init__(self, dtype: DTypeLike) -> None:
        self.dtype = np.dtype(dtype)
        self._bufs: dict[tuple[int, str, tuple[int, ...]], NDArray] = {}

    def get(
        self, owner: object, name: str, shape: tuple[int, ...], dtype: DTypeLike | None = None
    ) -> NDArray:
        """An uninitialised buffer, the same one for the same owner, name and shape."""
        key = (id(owner), name, shape)
        buf = self._bufs.get(key)
        if buf is None:
            buf = np.empty(shape, dtype=self.dtype if dtype is None else dtype)
            self._bufs[key] = buf
        return buf

    def zeros(self, shape: tuple[int, ...]) -> Array:
        """An array of zeros of ``shape`` (read only: never write into it)."""
        key = (0, "zeros", shape)
        buf = self._bufs.get(key)
        if buf is None:
            buf = self._bufs[key] = np.zeros(shape, dtype=self.dtype)
        return buf

    def row_starts(self, n: int, k: int) -> NDArray[np.intp]:
        """``[0, k, 2k, ...]``: where each row of a C-contiguous ``(n, k)`` array starts."""
        key = (0, "row_starts", (n, k))
        buf = self._bufs.get(key)
        if buf is None:
            buf = self._bufs[key] = np.arange(0, n * k, k, dtype=np.intp)
        return buf

    def ones(self, n: int) -> Array:
        """A vector of ``n`` ones: ``ones @ G`` sums the rows of G."""
        key = (0, "ones", (n,))
        buf = self._bufs.get(key)
        if buf is None:
            buf = self._bufs[key] = np.ones(n, dtype=self.dtype)
        return buf


def _cached(value: Array | None, layer: Layer) -> Array:
    """Return a value cached by ``forward``, or explain that forward comes first."""
    if value is None:
        raise RuntimeError(
            f"{type(layer).__name__}.backward was called before forward: run "
            "forward on a batch first, then backward with the gradient of its output."
        )
    return value


class Layer:
    """Base class: a forward/backward pair with optional parameters.

    Attributes
    ----------
    params : dict of str to ndarray
        Trainable arrays by short name (``"W"``, ``"b"``); empty if none.
    grads : dict of str to ndarray
        Gradients with the same keys and shapes, filled by ``backward``.
    """

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}

    def forward(self, X: Array) -> Array:
        """Compute the output for ``X`` and cache what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, grad: Array) -> Array:
        """Given ``∂L/∂output``, fill ``self.grads`` and return ``∂L/∂input``."""
        raise NotImplementedError

    def __call__(self, X: Array) -> Array:
        return self.forward(X)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Dense(Layer):
    """Fully connected layer ``out = X @ W + b``.

    Parameters
    ----------
    n_in : int
        Number of input features.
    n_out : int
        Number of output units.
    rng : numpy.random.Generator, int or None, default=None
        Source of the initial weights. None draws a fresh OS seed.
    dtype : {np.float64, np.float32}, default=np.float64
        Dtype of ``W``, ``b`` and their gradients.
    init : {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal"}, \
            default="glorot_uniform"
        Weight initialiser; biases start at zero. Use He for relu layers.

    Attributes
    ----------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)

    Notes
    -----
    Backward, for upstream gradient ``G = ∂L/∂out`` of shape (n_samples, n_out)::

        ∂L/∂W = Xᵀ G        (n_in, n_out)
        ∂L/∂b = Σ_rows G    (n_out,)
        ∂L/∂X = G Wᵀ        (n_samples, n_in)
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        rng: np.random.Generator | int | None = None,
        dtype: DTypeLike = np.float64,
        init: str = "glorot_uniform",
    ) -> None:
        super().__init__()
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if not is_int(value) or value < 1:
                raise ValueError(
                    f"{name} must be a positive integer; got {value!r}. "
                    "A Dense layer needs at least one input and one output unit."
                )
        if init not in INITIALIZERS:
            raise ValueError(f"init must be one of {sorted(INITIALIZERS)}; got {init!r}.")
        dt = _check_float_dtype(dtype)
        generator = as_generator(rng)
        self.n_in = int(n_in)
        self.n_out = int(n_out)
        self.params["W"] = INITIALIZERS[init](generator, self.n_in, self.n_out, dt)
        self.params["b"] = np.zeros(self.n_out, dtype=dt)
        self.grads["W"] = np.zeros_like(self.params["W"])
        self.grads["b"] = np.zeros_like(self.params["b"])
        self._X: Array | None = None

    @property
    def W(self) -> Array:
        """Weights, shape (n_in, n_out)."""
        return self.params["W"]

    @property
    def b(self) -> Array:
        """Biases, shape (n_out,)."""
        return self.params["b"]

    def forward(self, X: Array) -> Array:
        """``X @ W + b``; caches ``X``."""
        self._X = X
        return X @ self.params["W"] + self.params["b"]

    def backward(self, grad: Array) -> Array:
        """Fill ``∂L/∂W = Xᵀ G`` and ``∂L/∂b = Σ G``; return ``G Wᵀ``."""
        X = _cached(self._X, self)
        np.matmul(X.T, grad, out=self.grads["W"])
        np.sum(grad, axis=0, out=self.grads["b"])
        return grad @ self.params["W"].T

    # Fast path for the training loop: the same maths as forward/backward above,
    # written into reused buffers. Short-axis sums are slow in NumPy (a sum over
    # the rows of a (1000, 32) array costs ~5x a matrix-vector product), so
    # ``Σ_rows G`` is computed as ``ones @ G``.
    def _forward_fast(self, X: Array, ws: _Workspace, inplace: bool) -> Array:
        out = ws.get(self, "out", (X.shape[0], self.n_out))
        np.matmul(X, self.params["W"], out=out)
        out += self.params["b"]  # X @ W + b
        self._X = X
        return out

    def _backward_fast(self, grad: Array, ws: _Workspace, inplace: bool, need_dx: bool) -> Array:
        X = _cached(self._X, self)
        np.matmul(X.T, grad, out=self.grads["W"])  # ∂L/∂W = Xᵀ G
        np.matmul(ws.ones(grad.shape[0]), grad, out=self.grads["b"])  # ∂L/∂b = Σ_rows G
        if not need_dx:  # the first layer's ∂L/∂X is never used: skip that matmul
            return grad
        dX = ws.get(self, "dX", X.shape)
        np.matmul(grad, self.params["W"].T, out=dX)  # ∂L/∂X = G Wᵀ
        return dX

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, dtype={self.params['W'].dtype})"


class Tanh(Layer):
    """``a = tanh(x)``; backward multiplies by ``1 - a²``."""

    def __init__(self) -> None:
        super().__init__()
        self._a: Array | None = None

    def forward(self, X: Array) -> Array:
        """Apply tanh; caches the output."""
        self._a = F.tanh(X)
        return self._a

    def backward(self, grad: Array) -> Array:
        """``grad · (1 - a²)``."""
        a = _cached(self._a, self)
        return grad * F.tanh_grad(a)

    # Fast path: forward and backward above, in place in the training loop's buffers.
    def _forward_fast(self, X: Array, ws: _Workspace, inplace: bool) -> Array:
        out = X if inplace else ws.get(self, "out", X.shape)
        self._a = np.tanh(X, out=out)
        return out

    def _backward_fast(self, grad: Array, ws: _Workspace, inplace: bool, need_dx: bool) -> Array:
        a = _cached(self._a, self)
        slope = ws.get(self, "slope", a.shape)
        np.multiply(a, a, out=slope)
        np.subtract(1.0, slope, out=slope)  # 1 - a², as tanh_grad
        out = grad if inplace else ws.get(self, "dX", a.shape)
        return np.multiply(grad, slope, out=out)


class ReLU(Layer):
    """``a = max(x, 0)``; backward passes the gradient where ``x > 0``."""

    def __init__(self) -> None:
        super().__init__()
        self._x: Array | None = None

    def forward(self, X: Array) -> Array:
        """Apply relu; caches the input."""
        self._x = X
        return F.relu(X)

    def backward(self, grad: Array) -> Array:
        """``grad · 1[x > 0]``."""
        x = _cached(self._x, self)
        return grad * F.relu_grad(x)

    # Fast path: in place in the training loop's buffers. It caches the output
    # instead of the input: relu(x) > 0 exactly where x > 0, so the mask is the same.
    def _forward_fast(self, X: Array, ws: _Workspace, inplace: bool) -> Array:
        out = X if inplace else ws.get(self, "out", X.shape)
        # max(x, 0) against an array of zeros, not the scalar 0: the same numbers,
        # but NumPy's float32 maximum with a scalar operand is ~4x slower.
        self._x = np.maximum(X, ws.zeros(X.shape), out=out)
        return out

    def _backward_fast(self, grad: Array, ws: _Workspace, inplace: bool, need_dx: bool) -> Array:
        a = _cached(self._x, self)
        mask = ws.get(self, "mask", a.shape, dtype=np.bool_)
        np.greater(a, 0.0, out=mask)
        out = grad if inplace else ws.get(self, "dX", a.shape)
        return np.multiply(grad, mask, out=out)  # grad · 1[x > 0]


class LeakyReLU(Layer):
    """``a = x`` for ``x > 0``, else ``negative_slope · x``.

    Parameters
    ----------
    negative_slope : float, default=0.01
        Slope for negative inputs.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if not np.isfinite(negative_slope) or negative_slope < 0:
            raise ValueError(
                "negative_slope must be a finite number >= 0; got "
                f"{negative_slope!r}. The usual value is 0.01."
            )
        self.negative_slope = float(negative_slope)
        self._x: Array | None = None

    def forward(self, X: Array) -> Array:
        """Apply leaky relu; caches the input."""
        self._x = X
        return F.leaky_relu(X, self.negative_slope)

    def backward(self, grad: Array) -> Array:
        """``grad · (1 or negative_slope)``."""
        x = _cached(self._x, self)
        return grad * F.leaky_relu_grad(x, self.negative_slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sigmoid(Layer):
    """``a = 1 / (1 + exp(-x))`` (overflow-safe); backward multiplies by ``a(1 - a)``."""

    def __init__(self) -> None:
        super().__init__()
        self._a: Array | None = None

    def forward(self, X: Array) -> Array:
        """Apply the sigmoid; caches the output."""
        self._a = F.sigmoid(X)
        return self._a

    def backward(self, grad: Array) -> Array:
        """``grad · a(1 - a)``."""
        a = _cached(self._a, self)
        return grad * F.sigmoid_grad(a)


class Identity(Layer):
    """``a = x``; backward passes the gradient through unchanged."""

    def forward(self, X: Array) -> Array:
        """Return ``X``."""
        return X

    def backward(self, grad: Array) -> Array:
        """Return ``grad``."""
        return grad


class Softmax(Layer):
    """Standalone softmax layer, for learners composing ``Softmax`` + ``CrossEntropy``.

    Backward is the vector-Jacobian product ``ŷ ⊙ (g - Σ ŷ g)``, the softmax
    Jacobian ``diag(ŷ) - ŷŷᵀ`` applied without forming it.

    For training prefer :class:`glassnet.SoftmaxCrossEntropy` on logits: it
    fuses the two steps into ``ŷ - y``, which is cheaper and never takes the
    log of a probability that has underflowed to zero.
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
        p = _cached(self._p, self)
        return F.softmax_vjp(p, grad)


class Sequential(Layer):
    """A stack of layers applied in order.

    Parameters
    ----------
    layers : iterable of Layer
        The layers, first to last. A nested ``Sequential`` is refused
        (``TypeError``): splice its layers in with ``Sequential([*inner, ...])``.

    Attributes
    ----------
    layers : list of Layer
    flat_params : ndarray of shape (n_parameters,)
        Every parameter packed in one contiguous vector; the arrays returned by
        :meth:`parameters` are views into it, so updating one updates the other.
    flat_grads : ndarray of shape (n_parameters,)
        The same for the gradients.

    Notes
    -----
    Parameter names are ``"<layer index>.<name>"``, e.g. ``"0.W"``, ``"0.b"``,
    ``"2.W"``: they are public and stable, and optimizers key their state by them.
    All parameters must share one dtype.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        super().__init__()
        self.layers: list[Layer] = list(layers)
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layers[{i}] must be a glassnet Layer; got {type(layer).__name__}. "
                    "Wrap other callables in a Layer subclass with forward and backward."
                )
            if isinstance(layer, Sequential):
                # Its parameters live in its own layers, which this Sequential
                # would neither name nor pack: they would never be trained.
                raise TypeError(
                    f"layers[{i}] is a Sequential; got a nested Sequential, but a "
                    "Sequential takes plain layers (a nested one would never be trained). "
                    "Splice its layers in instead: Sequential([*inner, ...])."
                )
        self._pack()

    def _pack(self) -> None:
        """Move every parameter and gradient into one flat vector of views."""
        named = [
            (f"{i}.{k}", layer, k) for i, layer in enumerate(self.layers) for k in layer.params
        ]
        dtypes = {layer.params[k].dtype for _, layer, k in named}
        if len(dtypes) > 1:
            raise ValueError(
                "all layers of a Sequential must share one dtype; got "
                f"{sorted(str(d) for d in dtypes)}. Build every Dense with the same dtype."
            )
        dtype = dtypes.pop() if dtypes else np.dtype(np.float64)
        total = sum(layer.params[k].size for _, layer, k in named)
        self.flat_params = np.empty(total, dtype=dtype)
        self.flat_grads = np.zeros(total, dtype=dtype)
        self._names: list[str] = []
        offset = 0
        for name, layer, k in named:
            arr = layer.params[k]
            view = self.flat_params[offset : offset + arr.size].reshape(arr.shape)
            view[...] = arr
            layer.params[k] = view
            layer.grads[k] = self.flat_grads[offset : offset + arr.size].reshape(arr.shape)
            self._names.append(name)
            offset += arr.size

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters (float64 when there are none)."""
        return self.flat_params.dtype

    def forward(self, X: Array) -> Array:
        """Run every layer's forward; return the last output.

        ``X`` is first cast to the model's dtype (free when it already has it),
        so a float32 model computes, and returns, float32 for any input. A
        stack without parameters keeps the input's dtype.
        """
        if self._names:
            X = np.asarray(X, dtype=self.flat_params.dtype)
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, grad: Array) -> Array:
        """Run every backward in reverse; return ``∂L/∂X`` and fill all gradients."""
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def _forward_fast(self, X: Array, ws: _Workspace) -> Array:
        """:meth:`forward` through reused buffers (training loop only).

        The layers glassnet ships work in place in ``ws``; any other layer (or a
        subclass that overrides ``forward``) runs its own ``forward``. The result
        is a buffer that the next step overwrites; a Dense layer's output buffer
        when the stack ends in a Dense, else possibly an array that the last
        layer cached for its backward (so the caller must not overwrite it).
        """
        # May the next layer overwrite X? Never the caller's data, and never an
        # activation's output: Tanh and ReLU cache it for backward. A Dense layer
        # caches its input, so its output buffer is free.
        owned = False
        for layer in self.layers:
            if type(layer) in _FAST_LAYERS:
                X = layer._forward_fast(X, ws, owned)  # type: ignore[attr-defined]
                owned = type(layer) is Dense
            else:
                X = layer.forward(X)
                owned = False
        return X

    def _backward_fast(self, grad: Array, ws: _Workspace) -> None:
        """:meth:`backward` through reused buffers; fills the gradients only.

        ``grad`` (the loss gradient, in a workspace buffer) may be overwritten.
        ``∂L/∂X`` of the first layer with parameters is not computed: training
        never uses it.
        """
        owned = True
        first = next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        for i in range(len(self.layers) - 1, first - 1, -1):
            layer = self.layers[i]
            if type(layer) in _FAST_LAYERS:
                grad = layer._backward_fast(grad, ws, owned, i > first)  # type: ignore[attr-defined]
                owned = True
            else:
                grad = layer.backward(grad)
                owned = False

    def parameters(self) -> dict[str, Array]:
        """Live parameter arrays by public name (``"0.W"``, ``"0.b"``, ...)."""
        out: dict[str, Array] = {}
        for i, layer in enumerate(self.layers):
            for k, v in layer.params.items():
                out[f"{i}.{k}"] = v
        return out

    def gradients(self) -> dict[str, Array]:
        """Live gradient arrays, same names and shapes as :meth:`parameters`."""
        out: dict[str, Array] = {}
        for i, layer in enumerate(self.layers):
            for k, v in layer.grads.items():
                out[f"{i}.{k}"] = v
        return out

    def astype(self, dtype: DTypeLike) -> Sequential:
        """Return a deep copy whose parameters have ``dtype``."""
        dt = _check_float_dtype(dtype)
        clone = copy.deepcopy(self)
        for layer in clone.layers:
            for k in list(layer.params):
                layer.params[k] = layer.params[k].astype(dt)
                layer.grads[k] = layer.grads[k].astype(dt)
        clone._pack()
        return clone

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner}\n])"

    def __deepcopy__(self, memo: dict[int, object]) -> Sequential:
        # Deep-copying views would detach them from the flat vector: copy the
        # layers, then pack again so the new model has its own flat vectors.
        new = Sequential.__new__(Sequential)
        Layer.__init__(new)
        new.layers = [copy.deepcopy(layer, memo) for layer in self.layers]
        new._pack()
        return new


def mlp(
    sizes: Sequence[int],
    activation: str = "tanh",
    *,
    rng: np.random.Generator | int | None = None,
    dtype: DTypeLike = np.float64,
    init: str | None = None,
) -> Sequential:
    """Build ``Dense → activation → ... → Dense`` (logits out, no softmax).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``[2, 32, 2]``.
    activation : {"tanh", "relu", "leaky_relu", "sigmoid", "identity"}, default="tanh"
        Hidden activation.
    rng : Generator, int or None, default=None
        Source of the initial weights.
    dtype : {np.float64, np.float32}, default=np.float64
    init : {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal"} or None, \
            default=None
        Weight initialiser of every Dense layer (biases start at zero). None
        chooses by activation: He uniform for the relu family, Glorot
        uniform for the others.

    Returns
    -------
    Sequential
        Ends in a Dense layer producing logits: pair it with
        :class:`glassnet.SoftmaxCrossEntropy`.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}.")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width; got {sizes!r}.")
    if init is None:
        init = "he_uniform" if activation in ("relu", "leaky_relu") else "glorot_uniform"
    elif init not in INITIALIZERS:
        raise ValueError(
            f"init must be one of {sorted(INITIALIZERS)} or None; got {init!r}. None picks "
            "He for relu-family activations and Glorot otherwise."
        )
    generator = as_generator(rng)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Dense(n_in, n_out, rng=generator, dtype=dtype, init=init))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(layers)


# Layers whose private fast methods the training loop may use (exact types only,
# so a subclass that overrides forward/backward is always run as written).
_FAST_LAYERS: frozenset[type[Layer]] = frozenset({Dense, Tanh, ReLU})

ACTIVATIONS: dict[str, type[Layer]] = {
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "identity": Identity,
}
