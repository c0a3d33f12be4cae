"""Layers: each a ``forward`` / ``backward`` pair over the formulas of :mod:`.functional`.

A layer's ``forward(X)`` caches what its ``backward`` needs; ``backward(grad)``
takes ``∂L/∂output`` and returns ``∂L/∂input``, writing the gradients of its
parameters into ``layer.grads`` in place. Layers never see an optimizer.

Every formula is written once, in :mod:`glassnet.core.functional`; a layer adds
only its state. Besides the readable pair, glassnet's layers offer a **fast
form**, :meth:`Layer.forward_into` / :meth:`Layer.backward_into`: the *same*
formulas called with ``out=`` work buffers that the training loop reuses from
step to step, instead of fresh arrays. The fast training route uses it only
where it is current (:func:`fast_form_gap`): a subclass that overrides
``forward`` or ``backward`` but not the fast form is trained as it reads.

Parameters and their gradients are exposed as dicts of *live* arrays: change
them in place (``W[...] = ...``), never rebind them, because ``Sequential``
packs them into one flat vector and the dicts hold views into it.
"""

from __future__ import annotations

from typing import ClassVar, Protocol, cast

import numpy as np
from numpy.typing import DTypeLike, NDArray

from . import functional as F
from .checks import is_int
from .init import INITIALIZERS, as_generator, uniform_bias

__all__ = ["Buffers", "Dense", "Layer", "cached", "check_float_dtype", "fast_form_gap"]

Array = NDArray[np.floating]
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_float_dtype(dtype: DTypeLike, name: str = "dtype") -> np.dtype:
    """``dtype`` as a NumPy dtype, if it is float32 or float64; else ``ValueError``.

    Parameters
    ----------
    dtype : dtype-like
        What the caller passed.
    name : str, default="dtype"
        The argument's name, for the message.
    """
    dt = np.dtype(dtype)
    if dt not in _FLOAT_DTYPES:
        raise ValueError(
            f"{name} must be float32 or float64; got {dt}. glassnet never computes in "
            "float16 or integer types: pass dtype=np.float32 or np.float64."
        )
    return dt


class Buffers(Protocol):
    """Work buffers reused from step to step (the fast form's ``ws``).

    ``get(owner, name, shape)`` returns the same uninitialised array for the
    same owner, name and shape; ``zeros(shape)`` a read-only array of zeros;
    ``ones(n)`` a read-only vector of ones. :class:`glassnet.fast.workspace.Workspace`
    is the implementation.
    """

    def get(
        self, owner: object, name: str, shape: tuple[int, ...], dtype: DTypeLike | None = None
    ) -> NDArray: ...
    def zeros(self, shape: tuple[int, ...]) -> Array: ...
    def ones(self, n: int) -> Array: ...


def cached(value: Array | None, layer: Layer) -> Array:
    """Return a value cached by ``forward``, or explain that forward comes first.

    Parameters
    ----------
    value : ndarray or None
        What ``forward`` cached (None before the first forward).
    layer : Layer
        The layer, named in the message.
    """
    if value is None:
        raise RuntimeError(
            f"{type(layer).__name__}.backward was called before forward: run "
            "forward on a batch first, then backward with the gradient of its output."
        )
    return value


def _owner(cls: type, name: str) -> type | None:
    """The class in ``cls``'s MRO that defines ``name``."""
    return next((c for c in cls.__mro__ if name in vars(c)), None)


def fast_form_gap(obj: object, base: type, pairs: tuple[tuple[str, str], ...]) -> str | None:
    """Why ``obj``'s fast form cannot stand in for its readable formula, or None.

    Parameters
    ----------
    obj : object
        A layer, a loss or an optimizer.
    base : type
        The base class whose fast methods only raise (``Layer``, say).
    pairs : tuple of (readable, fast) method names
        Each readable method and the fast method that must mirror it.

    Returns
    -------
    str or None
        None when every fast method is defined by the class that defines its
        readable twin, or by a subclass of it; otherwise the reason, naming the
        class and the method (a subclass that overrides ``forward`` alone must be
        trained by its own ``forward``).
    """
    cls = type(obj)
    for readable, fast in pairs:
        fast_owner = _owner(cls, fast)
        if fast_owner is None or fast_owner is base:
            return f"{cls.__name__} has no fast form ({fast})"
        readable_owner = _owner(cls, readable)
        if readable_owner is not None and not issubclass(fast_owner, readable_owner):
            return (
                f"{cls.__name__} overrides {readable} (in {readable_owner.__name__}) but not "
                f"{fast}, so only its own {readable} is trusted"
            )
    return None


class Layer:
    """Base class: a forward/backward pair with optional parameters.

    Attributes
    ----------
    params : dict of str to ndarray
        Trainable arrays by short name (``"W"``, ``"b"``); empty if none.
    grads : dict of str to ndarray
        Gradients with the same keys and shapes, filled by ``backward``.
    frees_output : bool
        Class attribute: True when the array ``forward_into`` returns is never
        read again by this layer, so the next layer may overwrite it in place
        (Dense caches its input, not its output).
    """

    #: The (readable, fast) method pairs a layer's fast form must mirror.
    FAST_PAIRS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("forward", "forward_into"),
        ("backward", "backward_into"),
    )
    frees_output: ClassVar[bool] = False

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}

    def forward(self, X: Array) -> Array:
        """Compute the output for ``X`` and cache what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, grad: Array) -> Array:
        """Given ``∂L/∂output``, fill ``self.grads`` and return ``∂L/∂input``."""
        raise NotImplementedError

    def forward_into(self, X: Array, ws: Buffers, inplace: bool) -> Array:
        """The fast form of :meth:`forward`: the same formula into reused buffers.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_in)
            The input; when ``inplace`` is True it may be overwritten.
        ws : Buffers
            The training loop's work buffers.
        inplace : bool
            Whether ``X`` is a buffer nobody reads again.
        """
        raise NotImplementedError

    def backward_into(self, grad: Array, ws: Buffers, inplace: bool, need_dx: bool) -> Array:
        """The fast form of :meth:`backward`: the same formula into reused buffers.

        Parameters
        ----------
        grad : ndarray
            ``∂L/∂output``; when ``inplace`` is True it may be overwritten.
        ws : Buffers
            The training loop's work buffers.
        inplace : bool
            Whether ``grad`` is a buffer nobody reads again.
        need_dx : bool
            False for the first layer with parameters: its ``∂L/∂input`` is never
            used, and may be skipped (what is returned is then unspecified).
        """
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
        Weight initialiser. Use He for relu layers.
    bias_init : {"zeros", "uniform"}, default="zeros"
        Biases start at zero, or drawn as scikit-learn draws them (uniform on
        ±sqrt(6 / (n_in + n_out)), after the weights): zero biases with tanh on
        symmetric data can leave every unit odd, and the fit stuck.

    Attributes
    ----------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)

    Notes
    -----
    Backward, for upstream gradient ``G = ∂L/∂out`` of shape (n_samples, n_out)
    (:func:`glassnet.core.functional.dense_grads`)::

        ∂L/∂W = Xᵀ G        (n_in, n_out)
        ∂L/∂b = Σ_rows G    (n_out,)
        ∂L/∂X = G Wᵀ        (n_samples, n_in)
    """

    frees_output = True

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        rng: np.random.Generator | int | None = None,
        dtype: DTypeLike = np.float64,
        init: str = "glorot_uniform",
        bias_init: str = "zeros",
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
        if bias_init not in ("zeros", "uniform"):
            raise ValueError(
                f"bias_init must be 'zeros' or 'uniform'; got {bias_init!r}. 'uniform' draws "
                "biases as scikit-learn does, on ±sqrt(6 / (n_in + n_out))."
            )
        dt = check_float_dtype(dtype)
        generator = as_generator(rng)
        self.n_in = int(n_in)
        self.n_out = int(n_out)
        self.params["W"] = INITIALIZERS[init](generator, self.n_in, self.n_out, dt)
        self.params["b"] = (
            uniform_bias(generator, self.n_in, self.n_out, dt)
            if bias_init == "uniform"
            else np.zeros(self.n_out, dtype=dt)
        )
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
        return F.dense(X, self.W, self.b)

    def backward(self, grad: Array) -> Array:
        """Fill ``∂L/∂W = Xᵀ G`` and ``∂L/∂b = Σ G``; return ``G Wᵀ``."""
        X = cached(self._X, self)
        return cast("Array", F.dense_grads(X, self.W, grad, self.grads["W"], self.grads["b"]))

    def forward_into(self, X: Array, ws: Buffers, inplace: bool) -> Array:
        """:meth:`forward` into a reused output buffer."""
        self._X = X
        return F.dense(X, self.W, self.b, out=ws.get(self, "out", (X.shape[0], self.n_out)))

    def backward_into(self, grad: Array, ws: Buffers, inplace: bool, need_dx: bool) -> Array:
        """:meth:`backward` into reused buffers; skips ``G Wᵀ`` unless ``need_dx``."""
        X = cached(self._X, self)
        dX = ws.get(self, "dX", X.shape) if need_dx else None
        F.dense_grads(
            X, self.W, grad, self.grads["W"], self.grads["b"], dX,
            need_dx=need_dx, ones=ws.ones(grad.shape[0]),
        )  # fmt: skip
        return grad if dX is None else dX

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, dtype={self.params['W'].dtype})"
