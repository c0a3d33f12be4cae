"""The public surface: every name public by spelling is listed in ``__all__`` and documented."""

from __future__ import annotations

import importlib
import inspect

import pytest

# The persistence, explanation, CLI and plotting modules (and the writer they share).
MODULES = [
    # the core, first to last in the data flow (functional and init have
    # one-line docstrings on their small functions)
    "glassnet.core.data",
    "glassnet.core.layers",
    "glassnet.core.losses",
    "glassnet.training.state",
    "glassnet.training.guard",
    "glassnet.training.loop",
    "glassnet.training.progress",
    "glassnet.training.inputs",
    "glassnet.training.step",
    "glassnet.training.run",
    "glassnet.core.sequential",
    "glassnet.core.activations",
    "glassnet.core.targets",
    "glassnet.core.checks",
    "glassnet.fast.routes",
    "glassnet.fast.flat",
    "glassnet.fast.workspace",
    "glassnet.fast.numpy_step",
    "glassnet.teach.gradcheck",
    "glassnet.exceptions",
    # the edges
    "glassnet.persist.files",
    "glassnet.persist.container",
    "glassnet.persist.members",
    "glassnet.persist.zipcheck",
    "glassnet.persist.curves",
    "glassnet.persist.ckptmeta",
    "glassnet.persist.checkpoint",
    "glassnet.estimator.modelfile",
    "glassnet.viz.snapshots",
    "glassnet.cli",
    "glassnet.teach.explain",
    "glassnet.viz.plotting",
]


@pytest.mark.parametrize("name", MODULES)
def test_public_names_are_listed_and_documented(name: str) -> None:
    module = importlib.import_module(name)
    listed = set(getattr(module, "__all__", ()))
    own = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == name
    }
    assert own <= listed, f"{name}: public by spelling but not in __all__: {sorted(own - listed)}"
    for attr in listed:
        value = getattr(module, attr)
        if inspect.isfunction(value) or inspect.isclass(value):
            doc = inspect.getdoc(value) or ""
            assert doc, f"{name}.{attr} has no docstring"
            if inspect.isfunction(value) and inspect.signature(value).parameters:
                assert "Parameters\n----------" in doc, f"{name}.{attr}: no numpydoc Parameters"
