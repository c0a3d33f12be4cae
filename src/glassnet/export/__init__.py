"""Export a fitted classifier for deployment outside Python: ONNX.

* :func:`to_onnx` builds an ONNX model from a fitted
  :class:`glassnet.MLPClassifier` (needs the ``onnx`` package);
* :func:`register_skl2onnx` teaches skl2onnx the classifier, so
  ``skl2onnx.to_onnx(pipeline, X)`` converts a Pipeline that contains one.

Install both with ``pip install 'glassnet[onnx]'``. Importing this package
imports neither onnx nor skl2onnx; they load on first use.
"""

from __future__ import annotations

from .onnx import to_onnx
from .skl2onnx_converter import register_skl2onnx

__all__ = ["register_skl2onnx", "to_onnx"]
