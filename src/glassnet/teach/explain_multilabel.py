"""The multilabel derivation, worked through with real numbers: sigmoids, ∂L/∂z = ŷ − y too.

For independent sigmoid outputs ``ŷ_k = σ(z_k)`` and the binary cross-entropy
``L = −Σ_k [y_k log ŷ_k + (1 − y_k) log(1 − ŷ_k)]``:

* each ``ŷ_k`` depends on its own ``z_k`` only: the Jacobian is diagonal,
  ``∂ŷ_k/∂z_k = ŷ_k (1 − ŷ_k)`` (no ``i ≠ o`` case, unlike the softmax);
* ``∂L/∂ŷ_k = −y_k/ŷ_k + (1 − y_k)/(1 − ŷ_k)``;
* their product: ``(−y_k (1 − ŷ_k) + (1 − y_k) ŷ_k) = ŷ_k − y_k``.

The same ``ŷ − y`` as softmax with cross-entropy, by a shorter road.
:func:`derive_multilabel` computes each piece; :func:`render_multilabel` prints them
next to :class:`glassnet.SigmoidCrossEntropy`'s gradient (``glassnet explain --multilabel``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.functional import sigmoid, softplus
from ..core.multilabel import SigmoidCrossEntropy
from .explain import Agreement, number, table

__all__ = ["MultilabelDerivation", "derive_multilabel", "render_multilabel"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class MultilabelDerivation(Agreement):
    """Every intermediate of the multilabel derivation for one sample (float64).

    Attributes
    ----------
    z, y, y_hat : ndarray of shape (k,)
        Logits, targets in [0, 1], ``σ(z)``.
    loss : float
        ``Σ_k [softplus(z_k) − y_k z_k]``, the binary cross-entropy without a log of ŷ.
    slope : ndarray of shape (k,)
        The Jacobian's diagonal ``ŷ_k (1 − ŷ_k)``.
    dL_dy_hat : ndarray of shape (k,)
        ``−y_k/ŷ_k + (1 − y_k)/(1 − ŷ_k)``.
    chain, shortcut, library : ndarray of shape (k,)
        ``∂L/∂z`` three ways: the chain rule (slope × ∂L/∂ŷ), ``ŷ − y``, and
        :class:`glassnet.SigmoidCrossEntropy` on a batch of one.
    """

    z: Array
    y: Array
    y_hat: Array
    loss: float
    slope: Array
    dL_dy_hat: Array
    chain: Array
    shortcut: Array
    library: Array


def derive_multilabel(logits: ArrayLike, targets: ArrayLike) -> MultilabelDerivation:
    """Work through ``∂L/∂z`` for one sample with independent sigmoid outputs.

    Parameters
    ----------
    logits : array-like of shape (n_labels,)
    targets : array-like of shape (n_labels,)
        Each in [0, 1] (1: the label applies).

    Returns
    -------
    MultilabelDerivation

    Raises
    ------
    ValueError
        On a bad shape, a non-finite entry, a target outside [0, 1], or a
        probability that rounds to exactly 0 or 1 where the target disagrees
        (the unfused ``∂L/∂ŷ`` is then infinite: why training uses the fused loss).
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    if z.ndim != 1 or z.shape[0] < 1 or y.shape != z.shape:
        raise ValueError(
            f"logits and targets must be 1-D with one entry per label; got shapes {z.shape} "
            f"and {y.shape}. Pass one sample, such as --logits 2,-1,0 --targets 1,0,1."
        )
    if not (np.all(np.isfinite(z)) and np.all(np.isfinite(y))):
        raise ValueError("logits and targets must be finite.")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"targets must lie in [0, 1] (1: the label applies); got {y.tolist()}.")
    y_hat = np.asarray(sigmoid(z), dtype=np.float64)
    if np.any(((y > 0) & (y_hat == 0.0)) | ((y < 1) & (y_hat == 1.0))):
        raise ValueError(
            "a probability is exactly 0 or 1 in float64 where its target disagrees, so the "
            "unfused ∂L/∂ŷ is infinite. Use smaller logits: this is why training fuses the "
            "sigmoid and the loss and never divides by ŷ."
        )
    slope = y_hat * (1.0 - y_hat)
    dL_dy_hat = -np.divide(y, y_hat, out=np.zeros_like(z), where=y != 0) + np.divide(
        1.0 - y, 1.0 - y_hat, out=np.zeros_like(z), where=y != 1
    )
    loss_fn = SigmoidCrossEntropy()
    loss_fn.forward(z[None, :], y[None, :])
    return MultilabelDerivation(
        z=z,
        y=y,
        y_hat=y_hat,
        loss=float(np.sum(softplus(z) - y * z)),
        slope=slope,
        dL_dy_hat=dL_dy_hat,
        chain=slope * dL_dy_hat,
        shortcut=y_hat - y,
        library=np.asarray(loss_fn.backward(), dtype=np.float64)[0],
    )


def render_multilabel(d: MultilabelDerivation, *, title: str | None = None) -> str:
    """The multilabel derivation as aligned text.

    Parameters
    ----------
    d : MultilabelDerivation
        From :func:`derive_multilabel`.
    title : str, optional
        A heading line.
    """
    idx = range(d.z.shape[0])
    out: list[str] = [title, "=" * len(title), ""] if title else []
    out += [
        "1. Independent probabilities  ŷ_k = σ(z_k) = 1 / (1 + exp(−z_k)), one per label",
        "",
        table(
            ["k", "z_k", "ŷ_k", "y_k"],
            [[str(k), number(d.z[k]), number(d.y_hat[k]), number(d.y[k])] for k in idx],
        ),
        "",
        f"   Loss  L = −Σ_k [y_k log ŷ_k + (1 − y_k) log(1 − ŷ_k)] = Σ_k [softplus(z_k) − y_k z_k]"
        f" = {number(d.loss)}",
        "",
        "2. The Jacobian is diagonal: ŷ_k depends on z_k only.",
        "     ∂ŷ_k/∂z_k = ŷ_k (1 − ŷ_k);  ∂ŷ_k/∂z_i = 0 for i ≠ k (no softmax coupling)",
        "3. The loss's slope:  ∂L/∂ŷ_k = −y_k/ŷ_k + (1 − y_k)/(1 − ŷ_k)",
        "4. Chain rule:  ∂L/∂z_k = ŷ_k (1 − ŷ_k) · ∂L/∂ŷ_k = −y_k (1 − ŷ_k) + (1 − y_k) ŷ_k"
        " = ŷ_k − y_k",
        "",
        table(
            ["k", "ŷ_k(1 − ŷ_k)", "∂L/∂ŷ_k", "chain rule", "ŷ_k − y_k", "glassnet loss"],
            [
                [
                    str(k),
                    number(d.slope[k]),
                    number(d.dL_dy_hat[k]),
                    number(d.chain[k]),
                    number(d.shortcut[k]),
                    number(d.library[k]),
                ]
                for k in idx
            ],
        ),
        "",
        "   (glassnet loss: SigmoidCrossEntropy.backward on this one sample, the fused route)",
        "   The same ŷ − y as softmax with cross-entropy: there the Jacobian's i = o and i ≠ o",
        "   cases collapse to it; here there is only the diagonal.",
        "",
        d.agreement_line(),
    ]
    return "\n".join(out)
