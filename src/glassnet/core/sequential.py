"""``Sequential``: layers applied in order, their parameters in one flat vector; ``mlp``."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .activations import ACTIVATIONS
from .data import is_sparse
from .init import INITIALIZERS, as_generator
from .layers import Buffers, Dense, Layer, check_float_dtype, fast_form_gap

__all__ = ["Sequential", "mlp"]

Array = NDArray[np.floating]


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
        # Below the first layer with parameters, backward_into computes no ∂L/∂X.
        self._first_with_params = next((i for i, la in enumerate(self.layers) if la.params), 0)
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
        if self._names and is_sparse(X):
            X = X.astype(self.flat_params.dtype, copy=False)  # stays sparse
        elif self._names:
            X = np.asarray(X, dtype=self.flat_params.dtype)
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, grad: Array) -> Array:
        """Run every backward in reverse; return ``∂L/∂X`` and fill all gradients."""
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def fast_form_gap(self) -> str | None:
        """Why :meth:`forward_into` cannot run this stack, or None when it can.

        Every layer must offer a current fast form (:func:`fast_form_gap` of
        :mod:`glassnet.core.layers`); the first that does not is named.
        """
        for i, layer in enumerate(self.layers):
            gap = fast_form_gap(layer, Layer, layer.FAST_PAIRS)
            if gap is not None:
                return f"layer {i}: {gap}"
        return None

    def forward_into(self, X: Array, ws: Buffers, inplace: bool = False) -> Array:
        """:meth:`forward` through each layer's fast form and reused buffers.

        The result is a buffer that the next step overwrites: a Dense layer's
        output buffer when the stack ends in a Dense, else possibly an array
        that the last layer cached for its backward (the caller must then not
        overwrite it). Run only after :meth:`fast_form_gap` returned None.
        """
        # May the next layer overwrite X? Never the caller's data, and never an
        # activation's output (it caches it for backward); a Dense output may be.
        owned = inplace
        for layer in self.layers:
            X = layer.forward_into(X, ws, owned)
            owned = layer.frees_output
        return X

    def backward_into(
        self, grad: Array, ws: Buffers, inplace: bool = True, need_dx: bool = False
    ) -> Array:
        """:meth:`backward` through each layer's fast form; fills the gradients.

        ``grad`` (the loss gradient, in a work buffer) may be overwritten.
        ``∂L/∂X`` below the first layer with parameters is not computed: training
        never uses it (so what is returned is unspecified unless ``need_dx``).
        """
        first = 0 if need_dx else self._first_with_params
        for i in range(len(self.layers) - 1, first - 1, -1):
            grad = self.layers[i].backward_into(grad, ws, True, need_dx or i > first)
        return grad

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
        dt = check_float_dtype(dtype)
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
    bias_init: str = "zeros",
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
        Weight initialiser of every Dense layer. None chooses by activation:
        He uniform for the relu family, Glorot uniform for the others.
    bias_init : {"zeros", "uniform"}, default="zeros"
        Biases of every Dense layer: zero, or scikit-learn's uniform draw
        (see :class:`glassnet.Dense`).

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
        layers.append(
            Dense(n_in, n_out, rng=generator, dtype=dtype, init=init, bias_init=bias_init)
        )
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(layers)
