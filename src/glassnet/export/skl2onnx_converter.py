"""A skl2onnx converter for :class:`glassnet.MLPClassifier`, so Pipelines that hold one convert.

skl2onnx converts a Pipeline step by step, looking each step's class up in
its registry. :func:`register_skl2onnx` adds glassnet's classifier to it; the
converter writes the same graph as :func:`glassnet.to_onnx` (both go through
:func:`.graph.add_classifier`), and skl2onnx's own classifier parser handles
the ``zipmap`` and ``output_class_labels`` options as for its MLPClassifier.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .graph import Network, add_classifier, describe

__all__ = ["ALIAS", "OPTIONS", "convert", "register_skl2onnx", "shape_calculator"]

# The name skl2onnx files the converter under ("Sklearn..." is taken by its own).
ALIAS = "GlassnetMLPClassifier"
# skl2onnx's classifier options: its parser acts on zipmap and output_class_labels;
# nocl (labels are the class indices 0..n-1, not classes_) the converter honours.
OPTIONS: dict[str, list[Any]] = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [False, True],
}


def _skl2onnx(module: str = "skl2onnx") -> Any:
    """Import skl2onnx (or one of its modules), or say how to install it.

    Through importlib: skl2onnx ships no type information, and its objects are
    used as ``Any`` here anyway, so mypy needs no setting for it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            "converting a Pipeline with a glassnet.MLPClassifier needs skl2onnx: "
            "pip install 'glassnet[onnx]' (onnx, onnxruntime and skl2onnx)"
        ) from exc


def register_skl2onnx() -> None:
    """Register glassnet's MLPClassifier with skl2onnx; call once before ``skl2onnx.to_onnx``.

    Calling it again does no harm. Afterwards ``skl2onnx.to_onnx(model, X)``
    converts a :class:`glassnet.MLPClassifier`, alone or as a step of a
    Pipeline, with skl2onnx's usual classifier outputs (by default ``label``
    and a ZipMap ``probabilities``; pass ``options={id(clf): {"zipmap": False}}``
    or ``options={glassnet.MLPClassifier: {"zipmap": False}}`` for a plain
    probability tensor).

    Raises
    ------
    ImportError
        If skl2onnx is not installed.

    Examples
    --------
    >>> import numpy as np, glassnet, skl2onnx
    >>> from glassnet.export import register_skl2onnx
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    >>> clf = glassnet.MLPClassifier((4,), solver="lbfgs", random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), clf).fit(X, [0, 1, 1, 0])
    >>> register_skl2onnx()
    >>> model = skl2onnx.to_onnx(pipe, X, options={id(clf): {"zipmap": False}})
    >>> [o.name for o in model.graph.output]
    ['label', 'probabilities']
    """
    skl2onnx = _skl2onnx()
    from ..estimator.classifier import MLPClassifier

    skl2onnx.update_registered_converter(
        MLPClassifier, ALIAS, shape_calculator, convert, options=OPTIONS
    )


def _network(operator: Any) -> Network:
    """The estimator's :class:`~.graph.Network` in the input's float type, options applied.

    float64 for a double input, else float32; with ``nocl`` the labels are the
    class indices.
    """
    types = _skl2onnx("skl2onnx.common.data_types")
    double = isinstance(operator.inputs[0].type, types.DoubleTensorType)
    net = describe(operator.raw_operator, np.float64 if double else np.float32)
    if operator.scope_inst.get_options(operator.raw_operator, {"nocl": False})["nocl"]:
        net = dataclasses.replace(net, classes=np.arange(len(net.classes), dtype=np.int64))
    return net


def shape_calculator(operator: Any) -> None:
    """Set the types and shapes of the ``label`` and ``probabilities`` outputs.

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        The operator skl2onnx made for the classifier, one input, two outputs.
    """
    types = _skl2onnx("skl2onnx.common.data_types")
    utils = _skl2onnx("skl2onnx.common.utils")
    utils.check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    utils.check_input_and_output_types(
        operator,
        good_input_types=[types.FloatTensorType, types.DoubleTensorType, types.Int64TensorType],
    )
    net = _network(operator)
    n = operator.inputs[0].get_first_dimension()
    width = int(net.coefs[-1].shape[1])
    if net.multilabel:
        operator.outputs[0].type = types.Int64TensorType([n, width])
    elif net.classes.dtype == object:
        operator.outputs[0].type = types.StringTensorType([n])
    else:
        operator.outputs[0].type = types.Int64TensorType([n])
    double = net.coefs[0].dtype == np.float64
    proba_type = types.DoubleTensorType if double else types.FloatTensorType
    operator.outputs[1].type = proba_type([n, width])


class _ContainerSink:
    """A :class:`~.graph.GraphSink` writing into skl2onnx's scope and container."""

    def __init__(self, scope: Any, container: Any) -> None:
        self._scope = scope
        self._container = container

    def fresh(self, hint: str) -> str:
        return str(self._scope.get_unique_variable_name(hint))

    def constant(self, hint: str, value: NDArray[Any]) -> str:
        from onnx import numpy_helper

        name = self.fresh(hint)
        tensor = numpy_helper.from_array(value, name)
        # skl2onnx copies raw bytes from a TensorProto, which strings do not use.
        content = list(tensor.string_data) if value.dtype == object else value.ravel()
        self._container.add_initializer(name, tensor.data_type, list(value.shape), content)
        return name

    def node(self, op_type: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        name = self._scope.get_unique_operator_name(op_type)
        self._container.add_node(op_type, inputs, outputs, name=name, **attrs)


def convert(scope: Any, operator: Any, container: Any) -> None:
    """Write the classifier's nodes into skl2onnx's container.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Hands out unique names.
    operator : skl2onnx.common._topology.Operator
        The classifier's operator: ``raw_operator`` is the fitted estimator.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the initializers and nodes.
    """
    from onnx import TensorProto

    sink = _ContainerSink(scope, container)
    x = operator.inputs[0]
    net = _network(operator)
    name = x.full_name
    if isinstance(x.type, _skl2onnx("skl2onnx.common.data_types").Int64TensorType):
        # Integer features (a Pipeline step's output) enter the float32 graph as floats.
        name = sink.fresh("X_float")
        sink.node("Cast", [x.full_name], [name], to=TensorProto.FLOAT)
    add_classifier(sink, net, name, operator.outputs[0].full_name, operator.outputs[1].full_name)
