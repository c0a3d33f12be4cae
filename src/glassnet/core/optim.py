"""Optimizers: settings in ``__init__``, state created lazily, arrays updated in place.

``step(params, grads)`` takes two dicts with the same keys (the public names
from :meth:`glassnet.Sequential.parameters`) and updates every array of
``params`` in place. State (velocities, moments) is keyed by those names, so
an optimizer never holds a reference to a layer.

The update rules are written out below, in NumPy. For large models (see
:mod:`glassnet._kernels`) and only when numba is installed, the training loop's
flat update runs the same arithmetic as one compiled pass instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..fast import kernels as _kernels

if TYPE_CHECKING:
    from ..fast.paths import _FlatView

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]

Array = NDArray[np.floating]

#: How a model's flat vector splits into named parameters: ``(name, start, stop, shape)``.
FlatLayout = Sequence[tuple[str, int, int, tuple[int, ...]]]

_NO_WORK: Array = np.empty(0)


def _has_flat_rule(cls: type) -> bool:
    """Whether ``cls`` updates flat vectors by a rule that mirrors its per-array ``_update``.

    The class that defines ``cls``'s ``_update_flat`` wrote it as its own
    ``_update`` applied to the flat vector; a subclass that replaces ``_update``
    (and not ``_update_flat``) must be honoured, through :meth:`Optimizer.step`.
    """
    known = _FLAT_RULE.get(cls)
    if known is None:
        owner = next(c for c in cls.__mro__ if "_update_flat" in vars(c))
        known = owner is not Optimizer and cls._update is owner._update  # type: ignore[attr-defined]
        _FLAT_RULE[cls] = known
    return known


_FLAT_RULE: dict[type, bool] = {}  # _has_flat_rule's answers, by class


def _check_number(
    name: str,
    value: float,
    *,
    low: float,
    high: float | None = None,
    low_inclusive: bool = False,
    hint: str = "",
) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a real number; got {type(value).__name__} {value!r}."
        ) from None
    ok = np.isfinite(v) and (v >= low if low_inclusive else v > low)
    if high is not None:
        ok = ok and v < high
    if not ok:
        lo = "[" if low_inclusive else "("
        hi = f"{high})" if high is not None else "inf)"
        raise ValueError(f"{name} must be in {lo}{low}, {hi}; got {value!r}. {hint}".rstrip())
    return v


class Optimizer:
    """Base class. Subclasses implement :meth:`_update` for one array.

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
        self.lr = _check_number("lr", lr, low=0.0, hint="Try 0.01 for SGD or 1e-3 for Adam.")
        self.t = 0
        self.state: dict[str, dict[str, Array]] = {}
        # Flat state vectors of the fast path, by slot: (vector, its per-name views).
        self._flat: dict[str, tuple[Array, list[tuple[str, Array]]]] = {}
        self._work: Array = _NO_WORK  # the flat update's scratch vector

    def step(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Update every array in ``params`` in place from ``grads``.

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
            self._update(name, p, grads[name])

    def _update(self, name: str, p: Array, g: Array) -> None:
        raise NotImplementedError

    def _step_flat(
        self, params: Mapping[str, Array], grads: Mapping[str, Array], flat: _FlatView
    ) -> None:
        """One step when ``params`` are views tiling ``flat.params`` (``Sequential``'s).

        The training loop calls this instead of :meth:`step`. SGD and Adam define
        :meth:`_update_flat`, their :meth:`_update` applied to the whole flat
        vector in a handful of NumPy calls instead of a handful per array; their
        state stays keyed by parameter name (``state[name][key]`` are views into
        one flat state vector per slot). Without one, or when a subclass has
        replaced the per-array rule that it mirrors, this is :meth:`step`.
        """
        if not _has_flat_rule(type(self)):
            self.step(params, grads)
            return
        self.t += 1
        self._update_flat(flat.params, flat.grads, flat.layout)

    def _update_flat(self, p: Array, g: Array, layout: FlatLayout) -> None:
        raise NotImplementedError

    def _flat_slot(self, key: str, flat: Array, layout: FlatLayout) -> Array:
        """A state vector shaped like ``flat`` whose slices are ``state[name][key]``.

        Built on first use, seeded from any per-name state (a loaded checkpoint or
        earlier :meth:`step` calls), and rebuilt whenever those views were replaced.
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

    def _scratch(self, flat: Array) -> Array:
        """A work vector shaped like ``flat``, reused across steps."""
        if self._work.shape != flat.shape or self._work.dtype != flat.dtype:
            self._work = np.empty_like(flat)
        return self._work

    def __getstate__(self) -> dict[str, Any]:
        # The flat vectors duplicate ``state``; they are rebuilt after unpickling.
        d = self.__dict__.copy()
        d["_flat"] = {}
        d["_work"] = _NO_WORK
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        d.setdefault("_flat", {})
        d.setdefault("_work", _NO_WORK)
        self.__dict__.update(d)

    def _slot(self, name: str, key: str, like: Array) -> Array:
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
        """Restore what :meth:`state_dict` returned."""
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
        self.momentum = _check_number("momentum", momentum, low=0.0, high=1.0, low_inclusive=True)
        self.weight_decay = _check_number("weight_decay", weight_decay, low=0.0, low_inclusive=True)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0. Set momentum=0.9.")
        self.nesterov = bool(nesterov)

    def _update(self, name: str, p: Array, g: Array) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum == 0:
            p -= self.lr * g
            return
        v = self._slot(name, "velocity", p)
        v *= self.momentum
        v -= self.lr * g
        if self.nesterov:
            p += self.momentum * v - self.lr * g
        else:
            p += v

    def _update_flat(self, p: Array, g: Array, layout: FlatLayout) -> None:
        """:meth:`_update` applied once to the whole flat vector (same arithmetic)."""
        fused = _kernels.kernels_for(p, g)
        if fused is not None:  # the same arithmetic in one compiled pass (large models only)
            dt = p.dtype.type
            if self.momentum == 0:
                fused.sgd(p, g, dt(self.lr), dt(self.weight_decay))
            else:
                v = self._flat_slot("velocity", p, layout)
                fused.sgd_momentum(
                    p, g, v, dt(self.lr), dt(self.momentum), dt(self.weight_decay), self.nesterov
                )
            return None
        step = self._scratch(p)
        if self.weight_decay:
            g = g + self.weight_decay * p
        np.multiply(g, self.lr, out=step)  # lr · g
        if self.momentum == 0:
            p -= step
            return None
        v = self._flat_slot("velocity", p, layout)
        v *= self.momentum
        v -= step  # v ← momentum · v - lr · g
        if self.nesterov:
            p -= step
            np.multiply(v, self.momentum, out=step)
            p += step  # p ← p + momentum · v - lr · g
        else:
            p += v
        return None

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
        b1 = _check_number("betas[0]", betas[0], low=0.0, high=1.0, low_inclusive=True)
        b2 = _check_number("betas[1]", betas[1], low=0.0, high=1.0, low_inclusive=True)
        self.betas = (b1, b2)
        self.eps = _check_number("eps", eps, low=0.0)
        self.weight_decay = _check_number("weight_decay", weight_decay, low=0.0, low_inclusive=True)

    def _decay(self, p: Array, g: Array) -> Array:
        return g + self.weight_decay * p if self.weight_decay else g

    def _update(self, name: str, p: Array, g: Array) -> None:
        g = self._decay(p, g)
        b1, b2 = self.betas
        m = self._slot(name, "m", p)
        v = self._slot(name, "v", p)
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        m_hat = m / (1.0 - b1**self.t)
        v_hat = v / (1.0 - b2**self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _update_flat(self, p: Array, g: Array, layout: FlatLayout) -> None:
        """:meth:`_update` applied once to the whole flat vector.

        The bias corrections are folded into two scalars, which saves two passes
        over the vector: with ``c1 = 1 - β1ᵗ`` and ``c2 = 1 - β2ᵗ``::

            lr · (m / c1) / (sqrt(v / c2) + eps)
              = (lr · sqrt(c2) / c1) · m / (sqrt(v) + eps · sqrt(c2))

        which is the same number up to rounding (a few ulps).
        """
        b1, b2 = self.betas
        c1 = 1.0 - b1**self.t
        root_c2 = math.sqrt(1.0 - b2**self.t)
        decay = type(self)._decay
        fused = None
        if decay is Adam._decay or decay is AdamW._decay:  # not a subclass's own decay rule
            fused = _kernels.kernels_for(p, g)
        if fused is not None:  # the same arithmetic in one compiled pass (large models only)
            dt = p.dtype.type
            decoupled = decay is AdamW._decay  # AdamW shrinks p instead of adding to g
            wd = self.weight_decay
            fused.adam(
                p,
                g,
                self._flat_slot("m", p, layout),
                self._flat_slot("v", p, layout),
                dt(b1),
                dt(1.0 - b1),
                dt(b2),
                dt(1.0 - b2),
                dt(0.0 if decoupled else wd),
                dt(1.0 - self.lr * wd if decoupled else 1.0),
                dt(self.eps * root_c2),
                dt(self.lr * root_c2 / c1),
            )
            return None
        g = self._decay(p, g)
        m = self._flat_slot("m", p, layout)
        v = self._flat_slot("v", p, layout)
        tmp = self._scratch(p)
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp  # m ← β1 m + (1 - β1) g
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v *= b2
        v += tmp  # v ← β2 v + (1 - β2) g²
        np.sqrt(v, out=tmp)
        tmp += self.eps * root_c2
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr * root_c2 / c1
        p -= tmp
        return None

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
