"""``glassnet playground``: serve the live training page on this machine."""

from __future__ import annotations

import argparse
import errno
from typing import Any

from ._common import UserError

__all__ = ["add_parser", "run"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {port}")
    return port


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``playground`` on the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "playground",
        help="open a web page that trains a network live (needs glassnet[playground])",
        description="Serve the glassnet playground: pick data and a network, watch the "
        "decision boundary and the loss as glassnet trains, click a point for the "
        "softmax + cross-entropy derivation, and download the model. Local only: it "
        "serves 127.0.0.1 unless told otherwise and refuses other Host names.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to serve (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port to serve (default: 8765)")
    p.add_argument(
        "--no-browser", action="store_true", help="do not open the page in a web browser"
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; return the exit status."""
    try:
        from ..playground.server import serve
    except ImportError as exc:
        raise UserError(
            f"the playground needs its optional extra ({exc.name or exc} is missing): "
            "pip install 'glassnet[playground]'"
        ) from exc
    try:
        serve(args.host, args.port, open_browser=not args.no_browser)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                f"port {args.port} on {args.host} is in use; choose another with --port."
            ) from exc
        raise UserError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from exc
    return 0
