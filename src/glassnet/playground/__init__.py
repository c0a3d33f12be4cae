"""The glassnet playground: a local web page that trains a network live (``glassnet playground``).

Needs the optional extra: ``pip install 'glassnet[playground]'`` (Starlette and
uvicorn). The data, session and export modules use NumPy and glassnet alone,
so an exported snippet runs without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["create_app", "serve"]

if TYPE_CHECKING:
    from .server import create_app, serve


def __getattr__(name: str) -> Any:
    # The web stack is imported on first use, so ``glassnet.playground.data`` needs no extra.
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
