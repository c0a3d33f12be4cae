"""Playground test support: a live server on a free port in a thread, polling, the browser.

The browser is the operating system's Chromium (``apt-get install chromium``)
driven by Playwright; no browser is downloaded. Where it is missing the browser
tests skip with how to install it, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the playground needs pip install 'glassnet[playground]'")
pytest.importorskip("uvicorn", reason="the playground needs pip install 'glassnet[playground]'")

from glassnet.playground.live import Limits
from glassnet.playground.server import create_app, make_server

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
INSTALL = (
    "install a browser from the OS packages (apt-get install chromium) and "
    "pip install 'glassnet[playground,test]' (Playwright), or set GLASSNET_CHROMIUM"
)


@dataclass
class Served:
    """A running playground: its base URL and its app (``app.state.sessions``)."""

    url: str
    port: int
    app: Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(limits: Limits | None = None) -> Iterator[Served]:
    port = _free_port()
    app = create_app("127.0.0.1", port, limits=limits)
    server = make_server("127.0.0.1", port, app)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the playground server did not start within 20 s")
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", port, app)
    finally:
        server.should_exit = True
        thread.join(20)


def poll(condition: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    """Call ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def chromium_path() -> str | None:
    given = os.environ.get("GLASSNET_CHROMIUM")
    if given:
        return given
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None
