"""The ONNX graph of a fitted classifier, written once for every way of building it.

A fitted :class:`glassnet.MLPClassifier` is a chain of ``z = a W + b`` and
activations, so its graph is a handful of standard ONNX operators:

    X ─ MatMul(W₀) ─ Add(b₀) ─ Tanh ─ … ─ MatMul(W_L) ─ Add(b_L) ─ logits
    logits ─ Softmax ─ probabilities          logits ─ ArgMax ─ Gather(classes_) ─ label

and for a multilabel output (``out_activation_ == "logistic"``)

    logits ─ Sigmoid ─ probabilities ─ Greater(0.5) ─ Cast(int64) ─ label

:func:`describe` checks the estimator and takes its numbers out;
:func:`add_classifier` writes the nodes into a :class:`GraphSink`. Two sinks
exist: a plain ONNX model (:mod:`.onnx`) and a skl2onnx container
(:mod:`.skl2onnx_converter`), so both routes give the same graph. Only NumPy is
needed here; onnx is imported by the sinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ..core.activations import LeakyReLU

__all__ = ["HIDDEN_OPS", "GraphSink", "Network", "add_classifier", "describe", "float_dtype"]

# glassnet's hidden activations as ONNX operators; "identity" adds no node.
HIDDEN_OPS: dict[str, str | None] = {
    "identity": None,
    "logistic": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "leaky_relu": "Max",  # of z and slope·z, see add_classifier
}
# The slope glassnet's "leaky_relu" uses: the layer's default, read from the layer
# so the export cannot drift from training (0.01; max(z, slope·z) needs it below 1).
LEAKY_SLOPE = LeakyReLU().negative_slope
_OUTPUTS = ("softmax", "logistic")


class GraphSink(Protocol):
    """Where :func:`add_classifier` writes: names, constants and nodes."""

    def fresh(self, hint: str) -> str:
        """A new, unused tensor name starting with ``hint``."""
        ...

    def constant(self, hint: str, value: NDArray[Any]) -> str:
        """Store ``value`` as an initializer under a new name; return the name."""
        ...

    def node(self, op_type: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        """Add one node of the default ONNX domain."""
        ...


@dataclass(frozen=True)
class Network:
    """The numbers of a fitted classifier, checked and cast for export.

    Attributes
    ----------
    coefs : list of ndarray
        Weight matrices, shape (n_in, n_out), in the graph's float type.
    intercepts : list of ndarray
        Bias vectors, shape (n_out,), in the graph's float type.
    activation : str
        Hidden activation, a key of :data:`HIDDEN_OPS`.
    out_activation : {"softmax", "logistic"}
        Softmax over classes, or one independent sigmoid per label (multilabel).
    classes : ndarray
        ``classes_`` as int64 or as str (object) labels.
    n_features : int
        Input width.
    """

    coefs: list[NDArray[Any]]
    intercepts: list[NDArray[Any]]
    activation: str
    out_activation: str
    classes: NDArray[Any]
    n_features: int

    @property
    def multilabel(self) -> bool:
        """Whether the output is one independent sigmoid per label."""
        return self.out_activation == "logistic"


def float_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    """``dtype`` as float32 or float64; anything else is a ValueError naming it."""
    try:
        # None would pass as float64 (np.dtype(None)); a name must be given.
        resolved = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in ("float32", "float64"):
        raise ValueError(
            f"dtype must be 'float32' or 'float64' (the ONNX input's element type); got "
            f"{dtype!r}. float32 is what most ONNX runtimes run fastest."
        )
    return resolved


def _labels(classes: Any) -> NDArray[Any]:
    """``classes_`` as the ONNX label type: int64 for numbers and booleans, str for text."""
    arr = np.asarray(classes)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
        raise ValueError(
            f"classes_ holds non-integer numbers {arr.tolist()[:5]}; ONNX classifiers label "
            "with int64 or strings. Fit on integer or string labels to export the model."
        )
    if arr.dtype.kind in "UO" and all(isinstance(c, str) for c in arr.tolist()):
        return np.array(arr.tolist(), dtype=object)
    raise ValueError(
        f"classes_ of dtype {arr.dtype} cannot be ONNX labels (int64 or string); fit on "
        "integer or string labels to export the model."
    )


def describe(estimator: Any, dtype: DTypeLike = np.float32) -> Network:
    """Check a fitted glassnet classifier and take out what its graph needs.

    Parameters
    ----------
    estimator : glassnet.MLPClassifier
        A fitted estimator.
    dtype : {"float32", "float64"}, default="float32"
        The graph's float type; the weights are cast to it.

    Returns
    -------
    Network

    Raises
    ------
    TypeError
        If ``estimator`` is not a glassnet MLPClassifier.
    sklearn.exceptions.NotFittedError
        If it is not fitted.
    ValueError
        For an activation, output or label type ONNX cannot express, or
        weights that are not finite.
    """
    from sklearn.utils.validation import check_is_fitted

    from ..estimator.classifier import MLPClassifier

    if not isinstance(estimator, MLPClassifier):
        raise TypeError(
            f"expected a fitted glassnet.MLPClassifier, got {type(estimator).__qualname__}. "
            "For a scikit-learn Pipeline that contains one, call "
            "glassnet.export.register_skl2onnx() and then skl2onnx.to_onnx(pipeline, X)."
        )
    check_is_fitted(
        estimator,
        msg="This MLPClassifier is not fitted yet: call fit(X, y) before exporting it to ONNX.",
    )
    ftype = float_dtype(dtype)
    if estimator.activation not in HIDDEN_OPS:
        raise ValueError(
            f"activation {estimator.activation!r} has no ONNX export; expected one of "
            f"{sorted(HIDDEN_OPS)}."
        )
    out = getattr(estimator, "out_activation_", "softmax")
    if out not in _OUTPUTS:
        raise ValueError(
            f"out_activation_ {out!r} has no ONNX export; expected one of {list(_OUTPUTS)}."
        )
    with np.errstate(over="ignore"):  # an overflow to inf is reported just below
        coefs = [np.asarray(W, dtype=ftype) for W in estimator.coefs_]
        intercepts = [np.asarray(b, dtype=ftype) for b in estimator.intercepts_]
    if not all(np.all(np.isfinite(a)) for a in [*coefs, *intercepts]):
        raise ValueError(
            "the estimator's weights are not all finite (in float32 too large ones overflow "
            "to inf); refit it, or export with dtype='float64'."
        )
    return Network(
        coefs=coefs,
        intercepts=intercepts,
        activation=str(estimator.activation),
        out_activation=str(out),
        classes=_labels(estimator.classes_),
        n_features=int(coefs[0].shape[0]),
    )


def add_classifier(sink: GraphSink, net: Network, x: str, label: str, proba: str) -> None:
    """Write the network's nodes from input ``x`` to outputs ``label`` and ``proba``.

    Parameters
    ----------
    sink : GraphSink
        Receives the initializers and nodes.
    net : Network
        From :func:`describe`.
    x : str
        Name of the input tensor, (n_samples, n_features) in the weights' float type.
    label : str
        Name for the labels: (n_samples,) from ``classes_`` (int64 or string),
        or (n_samples, n_labels) int64 of 0/1 for a multilabel output.
    proba : str
        Name for the probabilities, (n_samples, n_classes), the weights' float type.
    """
    a = x
    last = len(net.coefs) - 1
    for i, (W, b) in enumerate(zip(net.coefs, net.intercepts, strict=True)):
        product = sink.fresh(f"matmul_{i}")
        sink.node("MatMul", [a, sink.constant(f"coefs_{i}", W)], [product])
        z = sink.fresh("logits" if i == last else f"z_{i}")
        sink.node("Add", [product, sink.constant(f"intercepts_{i}", b)], [z])
        op = HIDDEN_OPS[net.activation]
        if i == last or op is None:
            a = z
            continue
        a = sink.fresh(f"a_{i}")
        if op == "Max":
            # leaky_relu(z) = max(z, slope·z) for a slope below 1: onnxruntime has no
            # float64 LeakyRelu, and this form runs in both float types.
            scaled = sink.fresh(f"slope_z_{i}")
            slope = sink.constant("leaky_slope", np.array(LEAKY_SLOPE, dtype=W.dtype))
            sink.node("Mul", [z, slope], [scaled])
            sink.node("Max", [z, scaled], [a])
        else:
            sink.node(op, [z], [a])
    logits = a
    if net.multilabel:
        # predict is (sigmoid(z) > 0.5) for every label independently.
        sink.node("Sigmoid", [logits], [proba])
        half = sink.constant("half", np.array(0.5, dtype=net.coefs[0].dtype))
        above = sink.fresh("above_half")
        sink.node("Greater", [proba, half], [above])
        sink.node("Cast", [above], [label], to=7)  # 7: TensorProto.INT64
        return
    sink.node("Softmax", [logits], [proba], axis=1)
    # ArgMax of the logits, not of the probabilities, as glassnet's predict: two
    # close logits can round to equal float32 probabilities.
    index = sink.fresh("class_index")
    sink.node("ArgMax", [logits], [index], axis=1, keepdims=0)
    sink.node("Gather", [sink.constant("classes", net.classes), index], [label], axis=0)
