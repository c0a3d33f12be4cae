"""``import glassnet`` stays light: the estimator (and scikit-learn) load on first use."""

from __future__ import annotations

import pytest

from helpers import run_python


def test_import_glassnet_does_not_import_sklearn() -> None:
    code = (
        "import sys, glassnet\n"
        "assert 'sklearn' not in sys.modules, 'sklearn imported'\n"
        "cls = glassnet.MLPClassifier\n"
        "assert 'sklearn' in sys.modules and cls.__name__ == 'MLPClassifier'\n"
        "from glassnet import MLPClassifier\n"
        "assert MLPClassifier is cls\n"
    )
    run_python(code)


def test_unknown_attribute_still_raises() -> None:
    import glassnet

    with pytest.raises(AttributeError, match="NoSuchThing"):
        glassnet.NoSuchThing  # noqa: B018
