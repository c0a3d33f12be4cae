"""The softmax + cross-entropy derivation, worked through with real numbers.

:func:`derive` takes one sample's logits ``z`` and a target ``y`` (a class
index or a vector of non-negative weights) and returns every intermediate of
the derivation as arrays; :func:`render` lays them out as aligned text
tables, which ``glassnet explain`` prints. The two routes to ``∂L/∂z``:

* the long way, by the chain rule through the softmax Jacobian::

      ∂L/∂z_i = Σ_o ∂L/∂ŷ_o · ∂ŷ_o/∂z_i,   ∂L/∂ŷ_o = −y_o / ŷ_o,
      ∂ŷ_o/∂z_i = ŷ_o (1 − ŷ_o)  if i = o,   −ŷ_o ŷ_i  if i ≠ o;

* the short way, the collapsed result ``ŷ · Σy − y`` (``ŷ − y`` when ``y``
  sums to one), which is what :class:`glassnet.SoftmaxCrossEntropy` computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.functional import log_softmax, softmax_jacobian
from ..core.losses import SoftmaxCrossEntropy

__all__ = [
    "AGREEMENT_TOLERANCE",
    "Agreement",
    "Derivation",
    "derive",
    "number",
    "render",
    "table",
]

Array = NDArray[np.float64]

#: The two routes must agree to within this (float64 rounding is ~1e-16).
AGREEMENT_TOLERANCE = 1e-12


class Agreement:
    """What a derivation's three routes to ``∂L/∂z`` share: how far apart they are.

    A mixin for derivations with ``chain`` (the chain rule), ``shortcut``
    (the collapsed formula) and ``library`` (glassnet's fused loss) arrays.
    """

    chain: Array
    shortcut: Array
    library: Array

    @property
    def difference(self) -> float:
        """Largest ``|chain − shortcut|`` and ``|chain − library|``."""
        return float(
            max(
                np.max(np.abs(self.chain - self.shortcut)),
                np.max(np.abs(self.chain - self.library)),
            )
        )

    @property
    def agrees(self) -> bool:
        """Whether the routes agree to within :data:`AGREEMENT_TOLERANCE`."""
        return self.difference < AGREEMENT_TOLERANCE

    def agreement_line(self) -> str:
        """The rendering's last step: how far apart the routes are, and the verdict."""
        verdict = (
            f" < {AGREEMENT_TOLERANCE:g}: they agree to machine precision."
            if self.agrees
            else f" ≥ {AGREEMENT_TOLERANCE:g}: THE ROUTES DISAGREE."
        )
        return f"5. Agreement: max |difference| between the routes = {self.difference:.3e}{verdict}"


@dataclass(frozen=True)
class Derivation(Agreement):
    """Every intermediate of the derivation for one sample (all float64).

    Attributes
    ----------
    z : ndarray of shape (k,)
        Logits.
    y : ndarray of shape (k,)
        Target weights (one-hot for a class label).
    label : int or None
        The class index when the target was given as one.
    y_hat : ndarray of shape (k,)
        ``softmax(z)``, computed as ``exp(log_softmax(z))``.
    log_y_hat : ndarray of shape (k,)
        ``log_softmax(z)`` by log-sum-exp.
    loss : float
        ``L = −Σ_o y_o log ŷ_o``.
    jacobian : ndarray of shape (k, k)
        ``J[o, i] = ∂ŷ_o/∂z_i``.
    dL_dy_hat : ndarray of shape (k,)
        ``−y_o / ŷ_o`` (0 where ``y_o = 0``: that term carries no weight).
    same_term : ndarray of shape (k,)
        The chain rule's ``o = i`` term: ``(−y_i/ŷ_i) · ŷ_i(1 − ŷ_i) = −y_i(1 − ŷ_i)``.
    other_terms : ndarray of shape (k,)
        The sum of its ``o ≠ i`` terms: ``Σ_{o≠i} (−y_o/ŷ_o)(−ŷ_o ŷ_i) = ŷ_i Σ_{o≠i} y_o``.
    chain : ndarray of shape (k,)
        ``∂L/∂z`` by the chain rule: ``Jᵀ (∂L/∂ŷ)``.
    shortcut : ndarray of shape (k,)
        ``∂L/∂z`` by the collapsed formula ``ŷ · Σy − y``.
    library : ndarray of shape (k,)
        ``∂L/∂z`` from :class:`glassnet.SoftmaxCrossEntropy` on a batch of one.
    """

    z: Array
    y: Array
    label: int | None
    y_hat: Array
    log_y_hat: Array
    loss: float
    jacobian: Array
    dL_dy_hat: Array
    same_term: Array
    other_terms: Array
    chain: Array
    shortcut: Array
    library: Array

    @property
    def target_sum(self) -> float:
        """``Σ_o y_o``: 1 for a class label or a distribution."""
        return float(np.sum(self.y))


def _vector(values: ArrayLike, name: str) -> Array:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] < 2:
        raise ValueError(
            f"{name} must be a 1-D vector with one entry per class (at least 2); got shape "
            f"{arr.shape}. Pass one sample, such as [2.0, 1.0, -1.0]."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; every entry must be finite.")
    return arr


def derive(logits: ArrayLike, target: int | ArrayLike) -> Derivation:
    """Work through ``∂L/∂z`` for one sample, by the chain rule and by the shortcut.

    Parameters
    ----------
    logits : array-like of shape (n_classes,)
        The logits ``z`` of one sample.
    target : int or array-like of shape (n_classes,)
        A class index (one-hot target) or non-negative target weights, which
        need not sum to one.

    Returns
    -------
    Derivation

    Raises
    ------
    ValueError
        On a bad shape, a non-finite entry, a class index out of range, a
        negative target, or when a target class has probability 0 in float64
        (the unfused ``−y/ŷ`` is then infinite, which is why training uses
        the fused loss).

    Examples
    --------
    >>> d = derive([2.0, 1.0, -1.0], 0)
    >>> bool(d.agrees)
    True
    """
    z = _vector(logits, "logits")
    k = z.shape[0]
    label: int | None = None
    if np.ndim(target) == 0:
        t = np.asarray(target)
        if t.dtype.kind not in "iu" and not (t.dtype.kind == "f" and float(t).is_integer()):
            raise ValueError(f"label must be a class index (an integer); got {target!r}.")
        label = int(t)
        if not 0 <= label < k:
            raise ValueError(
                f"label must be a class index in [0, {k}) for {k} logits; got {label}."
            )
        y = np.zeros(k)
        y[label] = 1.0
    else:
        y = _vector(target, "target")
        if y.shape != z.shape:
            raise ValueError(
                f"target must have one entry per logit ({k}); got {y.shape[0]}. "
                "Give as many target weights as logits."
            )
        if np.any(y < 0):
            raise ValueError(
                f"target must be non-negative (weights of the classes); got {y.tolist()}."
            )
    log_y_hat = np.asarray(log_softmax(z), dtype=np.float64)
    y_hat = np.exp(log_y_hat)
    if np.any((y > 0) & (y_hat == 0.0)):
        o = int(np.flatnonzero((y > 0) & (y_hat == 0.0))[0])
        raise ValueError(
            f"class {o} has target {y[o]:g} but probability exp({log_y_hat[o]:.4g}), which is 0 "
            "in float64, so the unfused route's −y/ŷ is infinite. Use logits closer together: "
            "this is why training fuses softmax and cross-entropy and never divides by ŷ."
        )
    # −y_o/ŷ_o, taken as 0 where y_o = 0 (that term of L is 0 whatever ŷ_o is).
    dL_dy_hat = -np.divide(y, y_hat, out=np.zeros(k), where=y != 0)
    jacobian = softmax_jacobian(z)[0]
    chain = jacobian.T @ dL_dy_hat
    diag = np.diagonal(jacobian)
    same_term = dL_dy_hat * diag
    other_terms = chain - same_term  # Σ_{o≠i}: every term but the diagonal one
    shortcut = y_hat * np.sum(y) - y
    fused = SoftmaxCrossEntropy()
    fused.forward(z[None, :], y[None, :] if label is None else np.array([label]))
    library = np.asarray(fused.backward(), dtype=np.float64)[0]
    return Derivation(
        z=z,
        y=y,
        label=label,
        y_hat=y_hat,
        log_y_hat=log_y_hat,
        loss=float(-np.sum(y * log_y_hat)),
        jacobian=jacobian,
        dL_dy_hat=dL_dy_hat,
        same_term=same_term,
        other_terms=other_terms,
        chain=chain,
        shortcut=shortcut,
        library=library,
    )


def number(v: float) -> str:
    """Fixed six decimals for ordinary sizes, scientific otherwise; a true minus sign.

    Parameters
    ----------
    v : float
    """
    if v == 0.0:
        text = "0"
    elif 1e-4 <= abs(v) < 1e6:
        text = f"{v:.6f}"
    else:
        text = f"{v:.3e}"
    return "−" + text[1:] if text.startswith("-") else text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "    ") -> str:
    """Lay out text cells in columns: the first left-aligned, the rest right-aligned.

    Parameters
    ----------
    headers : sequence of str
        Column titles.
    rows : sequence of sequences of str
        Each as long as ``headers``.
    indent : str, default="    "
        Put before every line.

    Returns
    -------
    str
        One line per row, headers first, then a rule, without a final newline.
    """
    widths = [max(len(str(r[c])) for r in [headers, *rows]) for c in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(cell).ljust(w) if c == 0 else str(cell).rjust(w)
            for c, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return (indent + "   ".join(parts)).rstrip()

    rule = indent + "   ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def render(d: Derivation, *, title: str | None = None) -> str:
    """The derivation as readable, aligned text.

    Parameters
    ----------
    d : Derivation
        From :func:`derive`.
    title : str, optional
        A heading line.

    Returns
    -------
    str
        Sections: logits and probabilities; the Jacobian with both cases and
        a worked entry of each; ``∂L/∂ŷ``; the chain rule term by term next
        to the shortcut and glassnet's fused loss; the agreement.
    """
    k = d.z.shape[0]
    idx = range(k)
    normalised = abs(d.target_sum - 1.0) < 1e-12
    row_sum = float(np.max(np.abs(d.jacobian.sum(axis=1))))
    out: list[str] = []
    if title:
        out += [title, "=" * len(title), ""]
    target_text = (
        f"class {d.label} (one-hot)"
        if d.label is not None
        else f"({', '.join(number(v) for v in d.y)}), Σy = {number(d.target_sum)}"
    )
    out += [
        f"Target y: {target_text}",
        "",
        "1. Probabilities  ŷ = softmax(z),  ŷ_i = exp(z_i − max z) / Σ_j exp(z_j − max z)",
        "",
        table(
            ["i", "z_i", "ŷ_i", "y_i"],
            [[str(i), number(d.z[i]), number(d.y_hat[i]), number(d.y[i])] for i in idx]
            + [["Σ", "", number(float(np.sum(d.y_hat))), number(d.target_sum)]],
        ),
        "",
        f"   Loss  L = −Σ_o y_o log ŷ_o = {number(d.loss)}"
        "   (log ŷ by log-sum-exp, never the log of a clipped ŷ)",
        "",
        "2. The softmax Jacobian  J[o, i] = ∂ŷ_o/∂z_i  has two cases:",
        "     case i = o (diagonal):      ∂ŷ_o/∂z_i = ŷ_o (1 − ŷ_o)",
        "     case i ≠ o (off-diagonal):  ∂ŷ_o/∂z_i = −ŷ_o ŷ_i",
        "",
        table(
            ["o \\ i", *(str(i) for i in idx)],
            [[str(o), *(number(d.jacobian[o, i]) for i in idx)] for o in idx],
        ),
        "",
        f"   e.g. J[0, 0] = ŷ_0 (1 − ŷ_0) = {number(d.y_hat[0])} × {number(1 - d.y_hat[0])}"
        f" = {number(d.jacobian[0, 0])}",
        f"        J[0, 1] = −ŷ_0 ŷ_1 = −{number(d.y_hat[0])} × {number(d.y_hat[1])}"
        f" = {number(d.jacobian[0, 1])}",
        f"   Every row sums to 0 (largest |row sum| {number(row_sum)}):"
        " the probabilities always sum to one.",
        "",
        "3. The loss's slope in ŷ:  ∂L/∂ŷ_o = −y_o / ŷ_o",
        "",
        table(
            ["o", "y_o", "ŷ_o", "∂L/∂ŷ_o"],
            [[str(o), number(d.y[o]), number(d.y_hat[o]), number(d.dL_dy_hat[o])] for o in idx],
        ),
        "",
        "4. Chain rule  ∂L/∂z_i = Σ_o ∂L/∂ŷ_o · J[o, i], split by the two cases:",
        "     o = i term:   (−y_i/ŷ_i) · ŷ_i (1 − ŷ_i) = −y_i (1 − ŷ_i)",
        "     o ≠ i terms:  Σ_{o≠i} (−y_o/ŷ_o) · (−ŷ_o ŷ_i) = ŷ_i Σ_{o≠i} y_o",
        "   Adding them: ∂L/∂z_i = ŷ_i Σ_o y_o − y_i"
        + ("  =  ŷ_i − y_i, as Σy = 1." if normalised else "  (here Σy ≠ 1, so not ŷ − y)."),
        "",
        table(
            ["i", "o = i term", "o ≠ i terms", "chain rule", "ŷ_i·Σy − y_i", "glassnet loss"],
            [
                [
                    str(i),
                    number(d.same_term[i]),
                    number(d.other_terms[i]),
                    number(d.chain[i]),
                    number(d.shortcut[i]),
                    number(d.library[i]),
                ]
                for i in idx
            ],
        ),
        "",
        "   (glassnet loss: SoftmaxCrossEntropy.backward on this one sample, the fused route"
        " used in training)",
        "",
        d.agreement_line(),
    ]
    return "\n".join(out)
