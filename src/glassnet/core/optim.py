"""Optimizers: settings in ``__init__``, state created lazily, arrays updated in place.

``step(params, grads)`` takes two dicts with the same keys (the public names
from :meth:`glassnet.Sequential.parameters`) and updates every array of
``params`` in place. State (velocities, moments) is keyed by those names, so
an optimizer never holds a reference to a layer.

Each optimizer has one update rule, :meth:`Optimizer.update`, written out in
NumPy for any array: :meth:`step` applies it to each named array (the readable
route), :meth:`step_flat` to a model's whole flat parameter vector (the fast
route). The compiled kernels of :mod:`glassnet.fast` restate SGD's and Adam's
rules for large models; they are named after them and tested against them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .checks import check_number

__all__ = ["FLAT_BLOCK", "SGD", "Adam", "AdamW", "FlatLayout", "Optimizer", "Slot", "adam_scalars"]

Array = NDArray[np.floating]

#: How a model's flat vector splits into named parameters: ``(name, start, stop, shape)``.
FlatLayout = Sequence[tuple[str, int, int, tuple[int, ...]]]


def adam_scalars(lr: float, betas: tuple[float, float], eps: float, t: int) -> tuple[float, float]:
    """Adam's bias corrections folded into two scalars, for step ``t``.

    With ``c1 = 1 - β1ᵗ`` and ``c2 = 1 - β2ᵗ``::

        lr · (m / c1) / (sqrt(v / c2) + eps)
          = step_size · m / (sqrt(v) + eps_hat)
        step_size = lr · sqrt(c2) / c1,   eps_hat = eps · sqrt(c2)

    which saves two passes over the vectors (scikit-learn folds them the same
    way). The NumPy rule and the compiled kernel both take these two numbers.

    Parameters
    ----------
    lr : float
        Learning rate.
    betas : tuple of two floats
        ``(β1, β2)``.
    eps : float
        Adam's epsilon.
    t : int
        The step being taken, from 1.

    Returns
    -------
    step_size, eps_hat : float
    """
    root_c2 = math.sqrt(1.0 - betas[1] ** t)
    return lr * root_c2 / (1.0 - betas[0] ** t), eps * root_c2


#: Where a rule finds its state: ``slot("m")``, shaped like its parameters (zeros at first).
Slot = Callable[[str], Array]


#: Elements per block of :meth:`Optimizer.step_flat` on large flat vectors.
FLAT_BLOCK = 1 << 16


def _block_of(whole: Slot, block: slice, key: str) -> Array:
    return whole(key)[block]  # the block of state vector `key` (Optimizer.step_flat)


class Optimizer:
    """Base class. Subclasses write their rule once, in :meth:`update`.

    Attributes
    ----------
    lr : float
        Learning rate; may be changed between steps (schedules do).
    t : int
        Number of steps taken.
    state : dict of str to dict of str to ndarray
        Per-parameter state, created on first use.
    """

    def __init__(self, lr: float) -> None:
        self.lr = check_number("lr", lr, low=0.0, hint="Try 0.01 for SGD or 1e-3 for Adam.")
        self.t = 0
        self.state: dict[str, dict[str, Array]] = {}
        # Flat state vectors of the fast route, by slot: (vector, its per-name views).
        self._flat: dict[str, tuple[Array, list[tuple[str, Array]]]] = {}
        self._work: dict[tuple[tuple[int, ...], np.dtype], Array] = {}  # scratch, by shape

    def update(self, p: Array, g: Array, slot: Slot) -> None:
        """The update rule: change ``p`` in place from its gradient ``g``.

        Parameters
        ----------
        p : ndarray
            Parameters: one named array, or a model's whole flat vector (the
            rule is elementwise, so it is the same rule either way).
        g : ndarray
            Their gradient, same shape.
        slot : callable
            ``slot(key)`` returns this optimizer's state array ``key`` for ``p``.
        """
        raise NotImplementedError

    def step(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Apply :meth:`update` to every array in ``params``, in place.

        Parameters
        ----------
        params : mapping of str to ndarray
            Live parameter arrays by name.
        grads : mapping of str to ndarray
            Their gradients, same keys and shapes.
        """
        if params.keys() != grads.keys():
            raise ValueError(
                "params and grads must have the same names; got "
                f"{sorted(params)} and {sorted(grads)}. Pass model.parameters() and "
                "model.gradients() of the same model."
            )
        self.t += 1
        for name, p in params.items():
            self.update(p, grads[name], functools.partial(self._slot, name, like=p))

    def step_flat(self, p: Array, g: Array, layout: FlatLayout) -> None:
        """Apply :meth:`update` once to a model's flat vectors (the fast route).

        Parameters
        ----------
        p, g : ndarray of shape (n_parameters,)
            The flat parameter and gradient vectors (``Sequential.flat_params``
            and ``flat_grads``), which the named arrays are views of.
        layout : sequence of (name, start, stop, shape)
            How the flat vector splits into named parameters. The state stays
            keyed by name: ``state[name][key]`` are views into one flat state
            vector per key (:meth:`flat_state`).
        """
        self.t += 1
        n = p.shape[0]
        if n <= 2 * FLAT_BLOCK:
            self.update(p, g, lambda key: self.flat_state(key, p, layout))
            return
        # Elementwise, so block by block gives the same numbers with cache-sized
        # work arrays (not one more copy of a large model at the fit's peak memory).
        # Each state vector is looked up once a step, not once a block.
        whole: Slot = functools.cache(lambda key: self.flat_state(key, p, layout))
        for start in range(0, n, FLAT_BLOCK):
            block = slice(start, min(start + FLAT_BLOCK, n))
            self.update(p[block], g[block], functools.partial(_block_of, whole, block))

    def flat_state(self, key: str, flat: Array, layout: FlatLayout) -> Array:
        """A state vector shaped like ``flat`` whose slices are ``state[name][key]``.

        Built on first use, seeded from any per-name state (a loaded checkpoint or
        earlier :meth:`step` calls), and rebuilt whenever those views were replaced.

        Parameters
        ----------
        key : str
            The state's name (``"m"``, ``"velocity"``...).
        flat : ndarray of shape (n_parameters,)
            The flat parameter vector.
        layout : sequence of (name, start, stop, shape)
            As in :meth:`step_flat`.
        """
        cached = self._flat.get(key)
        if cached is not None:
            buf, views = cached
            if buf.shape == flat.shape and buf.dtype == flat.dtype and len(views) == len(layout):
                state = self.state
                for n, v in views:  # a plain loop: this runs every step
                    slots = state.get(n)
                    if slots is None or slots.get(key) is not v:
                        break
                else:
                    return buf
        buf = np.zeros_like(flat)
        views = []
        for name, start, stop, shape in layout:
            view = buf[start:stop].reshape(shape)
            old = self.state.get(name, {}).get(key)
            if old is not None:
                view[...] = old
            self.state.setdefault(name, {})[key] = view
            views.append((name, view))
        self._flat[key] = (buf, views)
        return buf

    def _scratch(self, like: Array) -> Array:
        """A work array shaped like ``like``, reused across steps."""
        key = (like.shape, like.dtype)
        work = self._work.get(key)
        if work is None:
            work = self._work[key] = np.empty_like(like)
        return work

    def __getstate__(self) -> dict[str, Any]:
        # The flat vectors duplicate ``state``; they are rebuilt after unpickling.
        d = self.__dict__.copy()
        d["_flat"] = {}
        d["_work"] = {}
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        d["_flat"] = {}
        d["_work"] = {}
        self.__dict__.update(d)

    def _slot(self, name: str, key: str, *, like: Array) -> Array:
        slots = self.state.setdefault(name, {})
        if key not in slots:
            slots[key] = np.zeros_like(like)
        return slots[key]

    def state_dict(self) -> dict[str, Any]:
        """Copy of the step count and every state array, for checkpoints."""
        return {
            "t": self.t,
            "lr": self.lr,
            "state": {n: {k: v.copy() for k, v in s.items()} for n, s in self.state.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        Parameters
        ----------
        state : mapping
            ``{"t": int, "lr": float, "state": {name: {key: array}}}``.
        """
        self.t = int(state["t"])
        self.lr = float(state["lr"])
        self.state = {n: {k: np.array(v) for k, v in s.items()} for n, s in state["state"].items()}


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    With ``g = ∇ + weight_decay · p`` and velocity ``v`` (starting at zero)::

        v ← momentum · v - lr · g
        p ← p + v                            (classical momentum)
        p ← p + momentum · v - lr · g        (nesterov=True)

    With ``momentum=0`` this is plain ``p ← p - lr · g``.

    Parameters
    ----------
    lr : float
        Learning rate, > 0.
    momentum : float in [0, 1), default=0
    nesterov : bool, default=False
        Nesterov's look-ahead form; needs ``momentum > 0``.
    weight_decay : float >= 0, default=0
        L2 penalty ``weight_decay/2 · ‖p‖²`` folded into the gradient.
    """

    def __init__(
        self, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0
    ) -> None:
        super().__init__(lr)
        self.momentum = check_number("momentum", momentum, low=0.0, high=1.0, low_inclusive=True)
        self.weight_decay = check_number("weight_decay", weight_decay, low=0.0, low_inclusive=True)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0. Set momentum=0.9.")
        self.nesterov = bool(nesterov)

    def update(self, p: Array, g: Array, slot: Slot) -> None:
        """``v ← momentum · v - lr · g``, then ``p ← p + v`` (or Nesterov's form)."""
        step = self._scratch(p)
        if self.weight_decay:
            g = g + self.weight_decay * p
        np.multiply(g, self.lr, out=step)  # lr · g
        if self.momentum == 0:
            p -= step
            return
        v = slot("velocity")
        v *= self.momentum
        v -= step  # v ← momentum · v - lr · g
        if self.nesterov:
            p -= step
            np.multiply(v, self.momentum, out=step)
            p += step  # p ← p + momentum · v - lr · g
        else:
            p += v

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
            f"weight_decay={self.weight_decay})"
        )


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with L2 ``weight_decay`` folded into the gradient.

    With ``g = ∇ + weight_decay · p`` at step ``t``::

        m ← β1 m + (1 - β1) g
        v ← β2 v + (1 - β2) g²
        p ← p - lr · (m / (1 - β1ᵗ)) / (sqrt(v / (1 - β2ᵗ)) + eps)

    Parameters
    ----------
    lr : float, default=1e-3
    betas : tuple of two floats in [0, 1), default=(0.9, 0.999)
    eps : float > 0, default=1e-8
    weight_decay : float >= 0, default=0
    """

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2); got {betas!r}.")
        b1 = check_number("betas[0]", betas[0], low=0.0, high=1.0, low_inclusive=True)
        b2 = check_number("betas[1]", betas[1], low=0.0, high=1.0, low_inclusive=True)
        self.betas = (b1, b2)
        self.eps = check_number("eps", eps, low=0.0)
        self.weight_decay = check_number("weight_decay", weight_decay, low=0.0, low_inclusive=True)

    def _decay(self, p: Array, g: Array) -> Array:
        return g + self.weight_decay * p if self.weight_decay else g

    def update(self, p: Array, g: Array, slot: Slot) -> None:
        """Adam's moments, then ``p ← p - step_size · m / (sqrt(v) + eps_hat)``.

        The bias corrections are folded into ``step_size`` and ``eps_hat``
        (:func:`adam_scalars`): the same number as the textbook form up to
        rounding, in two fewer passes.
        """
        g = self._decay(p, g)
        b1, b2 = self.betas
        step_size, eps_hat = adam_scalars(self.lr, self.betas, self.eps, self.t)
        m = slot("m")
        v = slot("v")
        tmp = self._scratch(p)
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp  # m ← β1 m + (1 - β1) g
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v *= b2
        v += tmp  # v ← β2 v + (1 - β2) g²
        np.sqrt(v, out=tmp)
        tmp += eps_hat
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        p -= tmp

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The decay shrinks the parameter directly instead of entering the moments::

        p ← p - lr · weight_decay · p
        then the Adam step with the raw gradient g

    Parameters
    ----------
    lr : float, default=1e-3
    betas : tuple of two floats, default=(0.9, 0.999)
    eps : float, default=1e-8
    weight_decay : float >= 0, default=0.01
    """

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(lr, betas, eps, weight_decay)

    def _decay(self, p: Array, g: Array) -> Array:
        if self.weight_decay:
            p *= 1.0 - self.lr * self.weight_decay
        return g
