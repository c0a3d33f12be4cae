"""``glassnet.to_onnx``: a fitted classifier as an ONNX model, for onnxruntime and friends.

The graph (see :mod:`.graph`) uses only standard ONNX operators and has the
outputs scikit-learn classifiers have through skl2onnx: ``label`` and
``probabilities``. Only the ``onnx`` package is needed, imported on the first
call; skl2onnx is not (it is for Pipelines: :func:`glassnet.export.register_skl2onnx`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._version import __version__
from .graph import Network, add_classifier, describe

if TYPE_CHECKING:
    import onnx

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "import_onnx", "to_onnx"]

# Opset 15 (ONNX 1.10, 2021) runs on every onnxruntime since 1.10; the graph needs
# nothing newer. Opset 11 is the oldest whose operators mean what the graph needs.
DEFAULT_OPSET = 15
MIN_OPSET = 11
_INSTALL = "pip install 'glassnet[onnx]' (onnx, onnxruntime and skl2onnx)"


def import_onnx() -> Any:
    """Import ``onnx``, or raise an ImportError that says how to install it.

    Returns
    -------
    module
        The ``onnx`` package.

    Raises
    ------
    ImportError
        If onnx is not installed.
    """
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(f"exporting to ONNX needs the onnx package: {_INSTALL}") from exc
    return onnx


class _ModelSink:
    """A :class:`~.graph.GraphSink` that collects plain ONNX nodes and initializers."""

    def __init__(self, onnx: Any, reserved: list[str]) -> None:
        self._onnx = onnx
        self._used = set(reserved)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def fresh(self, hint: str) -> str:
        name, n = hint, 0
        while name in self._used:
            n += 1
            name = f"{hint}_{n}"
        self._used.add(name)
        return name

    def constant(self, hint: str, value: NDArray[Any]) -> str:
        name = self.fresh(hint)
        self.initializers.append(self._onnx.numpy_helper.from_array(value, name))
        return name

    def node(self, op_type: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        self.nodes.append(
            self._onnx.helper.make_node(
                op_type, inputs, outputs, name=f"{op_type}_{len(self.nodes)}", **attrs
            )
        )


def _check_opset(onnx: Any, target_opset: int | None) -> int:
    newest = int(onnx.defs.onnx_opset_version())
    if target_opset is None:
        return min(DEFAULT_OPSET, newest)
    if (
        isinstance(target_opset, bool)
        or not isinstance(target_opset, (int, np.integer))
        or not MIN_OPSET <= target_opset <= newest
    ):
        raise ValueError(
            f"target_opset must be an integer from {MIN_OPSET} to {newest} (the newest this "
            f"onnx knows); got {target_opset!r}. Leave it None for {DEFAULT_OPSET}."
        )
    return int(target_opset)


def _outputs(onnx: Any, net: Network, ftype: int, label: str, proba: str) -> list[Any]:
    """Value infos of ``label`` and ``proba``: int64 or string labels, float probabilities."""
    TP = onnx.TensorProto
    width = int(net.coefs[-1].shape[1])
    if net.multilabel:
        label_info = onnx.helper.make_tensor_value_info(label, TP.INT64, [None, width])
    else:
        ltype = TP.STRING if net.classes.dtype == object else TP.INT64
        label_info = onnx.helper.make_tensor_value_info(label, ltype, [None])
    return [label_info, onnx.helper.make_tensor_value_info(proba, ftype, [None, width])]


def _zipmap(onnx: Any, sink: _ModelSink, net: Network, proba: str, out: str) -> Any:
    """Add ZipMap (one ``{class: probability}`` dict per row); return its value info."""
    # ZipMap takes float32 only, whatever the graph's type.
    as_float = sink.fresh("probabilities_float32")
    sink.node("Cast", [proba], [as_float], to=onnx.TensorProto.FLOAT)
    labels = net.classes if not net.multilabel else np.arange(net.coefs[-1].shape[1])
    if labels.dtype == object:
        attrs: dict[str, Any] = {"classlabels_strings": [str(c) for c in labels]}
        key = onnx.TensorProto.STRING
    else:
        attrs = {"classlabels_int64s": [int(c) for c in labels]}
        key = onnx.TensorProto.INT64
    sink.nodes.append(
        onnx.helper.make_node("ZipMap", [as_float], [out], domain="ai.onnx.ml", **attrs)
    )
    value = onnx.helper.make_tensor_type_proto(onnx.TensorProto.FLOAT, [])
    kind = onnx.helper.make_sequence_type_proto(onnx.helper.make_map_type_proto(key, value))
    return onnx.helper.make_value_info(out, kind)


def to_onnx(
    estimator: Any,
    *,
    dtype: DTypeLike = "float32",
    zipmap: bool = False,
    target_opset: int | None = None,
    input_name: str = "X",
) -> onnx.ModelProto:
    """Export a fitted :class:`glassnet.MLPClassifier` as an ONNX model.

    Parameters
    ----------
    estimator : glassnet.MLPClassifier
        A fitted classifier (binary, multiclass, or multilabel with
        ``out_activation_ == "logistic"``), any hidden activation.
    dtype : {"float32", "float64"}, default="float32"
        Element type of the input, the weights and the probabilities. The
        weights are cast to it, so float32 probabilities agree with
        ``predict_proba`` to about 1e-6.
    zipmap : bool, default=False
        False: ``probabilities`` is a plain (n_samples, n_classes) tensor, the
        simplest to use from any runtime. True: as skl2onnx's default, the
        outputs are ``output_label`` and ``output_probability``, a sequence of
        ``{class: probability}`` maps (float32) made by a ZipMap node.
    target_opset : int, optional
        ONNX opset of the default domain, from 11 to the newest the installed
        onnx knows; None for 15, which every onnxruntime since 1.10 runs.
    input_name : str, default="X"
        Name of the input, of shape (n_samples, n_features).

    Returns
    -------
    onnx.ModelProto
        Save it with ``open(path, "wb").write(model.SerializeToString())`` and
        run it with ``onnxruntime.InferenceSession(path).run(None, {"X": X})``.
        Outputs: ``label`` of shape (n_samples,), int64 for integer or
        boolean classes and string for text classes (for multilabel, an
        (n_samples, n_labels) int64 matrix of 0/1, as ``predict``), and
        ``probabilities`` of shape (n_samples, n_classes), columns following
        ``classes_``.

    Raises
    ------
    ImportError
        If the onnx package is not installed.
    TypeError
        If ``estimator`` is not a glassnet MLPClassifier (for a Pipeline, see
        :func:`glassnet.export.register_skl2onnx`).
    sklearn.exceptions.NotFittedError
        If it is not fitted.
    ValueError
        For a bad ``dtype``, ``target_opset`` or ``input_name``, or a model
        whose labels ONNX cannot hold (non-integer float classes).

    Notes
    -----
    The graph is the forward pass written out: ``MatMul`` and ``Add`` per
    layer, the hidden activation between layers, then ``Softmax`` for the
    probabilities and ``ArgMax`` of the logits gathered from ``classes_`` for
    the labels (multilabel: ``Sigmoid``, then ``probabilities > 0.5``).
    glassnet's binary classifier has two softmax outputs, so
    ``probabilities`` has two columns, as scikit-learn's ``predict_proba``.

    Examples
    --------
    >>> import numpy as np, glassnet
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = glassnet.MLPClassifier((4,), solver="lbfgs", random_state=0)
    >>> clf = clf.fit(X, [0, 1, 1, 0])
    >>> model = glassnet.to_onnx(clf)
    >>> [o.name for o in model.graph.output]
    ['label', 'probabilities']
    """
    onnx = import_onnx()
    if not isinstance(input_name, str) or not input_name.strip():
        raise ValueError(f"input_name must be a non-empty string; got {input_name!r}.")
    opset = _check_opset(onnx, target_opset)
    net = describe(estimator, dtype)
    ftype = onnx.helper.np_dtype_to_tensor_dtype(net.coefs[0].dtype)
    label, proba = ("output_label", "output_probability") if zipmap else ("label", "probabilities")
    sink = _ModelSink(onnx, [input_name, label, proba, "probabilities"])
    tensor_proba = sink.fresh("probability_tensor") if zipmap else proba
    add_classifier(sink, net, input_name, label, tensor_proba)
    outputs = _outputs(onnx, net, ftype, label, tensor_proba)
    opsets = [onnx.helper.make_opsetid("", opset)]
    if zipmap:
        outputs[1] = _zipmap(onnx, sink, net, tensor_proba, proba)
        opsets.append(onnx.helper.make_opsetid("ai.onnx.ml", 1))
    graph = onnx.helper.make_graph(
        sink.nodes,
        "glassnet_mlp_classifier",
        [onnx.helper.make_tensor_value_info(input_name, ftype, [None, net.n_features])],
        outputs,
        sink.initializers,
    )
    model = onnx.helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="glassnet",
        producer_version=__version__,
        doc_string=f"glassnet.MLPClassifier ({net.activation} hidden, {net.out_activation} out)",
        # The oldest IR version that holds these opsets, so older runtimes load it.
        ir_version=onnx.helper.find_min_ir_version_for(opsets),
    )
    onnx.checker.check_model(model)
    return model
