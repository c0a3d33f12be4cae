"""The playground's web app: the page, its live connection, downloads, and the guards.

Starlette serves the static page and a WebSocket per tab; uvicorn runs it.
Requests whose Host (or Origin) is not the served address are refused, so a
web page elsewhere cannot reach the server through DNS rebinding.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import webbrowser
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from .data import MAX_UPLOAD_BYTES, to_csv
from .live import Limits, Live

__all__ = ["STATIC", "HostGuard", "create_app", "serve"]

STATIC = Path(__file__).resolve().parent / "static"


class HostGuard:
    """Refuse HTTP and WebSocket requests whose Host or Origin is not one we serve."""

    def __init__(self, app: ASGIApp, hosts: set[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        origin = headers.get("origin")
        bad = None
        if host not in self.hosts:
            bad = f"Host {host!r}"
        elif origin is not None and origin not in {f"http://{h}" for h in self.hosts}:
            bad = f"Origin {origin!r}"
        if bad is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        served = " or ".join(sorted(self.hosts))
        response = PlainTextResponse(
            f"refused: {bad} is not the address this playground serves ({served}). "
            "Open the page at that address.",
            status_code=403,
        )
        await response(scope, receive, send)


def _hosts(host: str, port: int) -> set[str]:
    names = {host}
    if host in ("127.0.0.1", "localhost"):
        names |= {"127.0.0.1", "localhost"}
    return {f"{n}:{port}" for n in names}


def create_app(
    host: str = "127.0.0.1", port: int = 8765, *, limits: Limits | None = None,
    workers: int | None = None,
) -> Starlette:  # fmt: skip
    """The playground as an ASGI app for ``host:port``.

    Parameters
    ----------
    host, port : str, int
        The address the page is served at; other Host or Origin headers are refused.
    limits : Limits, optional
        Session cap, idle and stall timeouts, chunk length.
    workers : int, optional
        Threads that run the training (default: the CPU count, at most 4).

    Returns
    -------
    Starlette
        With ``app.state.sessions`` (sid → Live) for status and tests.
    """
    limits = limits or Limits()
    pool = ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1),
                              thread_name_prefix="glassnet-playground")  # fmt: skip
    sessions: dict[str, Live] = {}

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def status(request: Request) -> Response:
        return JSONResponse({
            "sessions": len(sessions),
            "training": sum(1 for s in sessions.values() if s.playing),
            "busy": sum(s.busy for s in sessions.values()) + len(ended_busy()),
            "max_sessions": limits.max_sessions,
        })  # fmt: skip

    ended: list[Live] = []

    def ended_busy() -> list[Live]:
        ended[:] = [s for s in ended if s.busy]
        return ended

    def find(request: Request) -> Live | None:
        return sessions.get(request.path_params["sid"])

    async def download(request: Request) -> Response:
        from .export import model_bytes, snippet

        live = find(request)
        if live is None:
            return PlainTextResponse(
                "no such session: it ended (closed tab or idle). Reload the page.", 404
            )
        what = request.path_params["what"]
        s = live.session
        if what == "model.glassnet":
            body: bytes = await live.call(model_bytes, s)
            kind, name = "application/octet-stream", "playground.glassnet"
        elif what == "data.csv":
            body = (await live.call(to_csv, s.data)).encode()
            kind, name = "text/csv", "playground-data.csv"
        elif what == "snippet.py":
            body = (await live.call(snippet, s)).encode()
            kind, name = "text/x-python", "playground_run.py"
        else:
            return PlainTextResponse(f"unknown download {what!r}", 404)
        return Response(body, media_type=kind, headers={
            "Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

    async def ws_endpoint(ws: WebSocket) -> None:
        await ws.accept()
        if len(sessions) >= limits.max_sessions:
            await ws.send_json({
                "type": "error", "where": "server", "fatal": True,
                "message": f"the playground is full ({limits.max_sessions} open tabs); "
                "close a tab and reload.",
            })  # fmt: skip
            await ws.close(code=1013)
            return
        live = Live(ws, pool, limits)
        sessions[live.sid] = live
        try:
            await live.serve()
        finally:
            sessions.pop(live.sid, None)
            ended.append(live)

    async def on_error(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("internal error; see the server's log", 500)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pool.shutdown(wait=False, cancel_futures=True)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/status", status),
            Route("/api/{sid}/{what}", download),
            WebSocketRoute("/ws", ws_endpoint),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={Exception: on_error},
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    app.state.limits = limits
    app.add_middleware(HostGuard, hosts=_hosts(host, port))
    return app


def make_server(host: str, port: int, app: Any = None) -> Any:
    """A ``uvicorn.Server`` for the app (quiet logs; messages capped above the upload limit)."""
    import uvicorn

    config = uvicorn.Config(
        app or create_app(host, port), host=host, port=port, log_level="warning",
        ws_max_size=MAX_UPLOAD_BYTES * 2 + 65536, ws="websockets-sansio", lifespan="on",
    )  # fmt: skip
    return uvicorn.Server(config)


def serve(host: str = "127.0.0.1", port: int = 8765, *, open_browser: bool = True) -> None:
    """Serve the playground until interrupted; open the page in a browser unless told not to."""
    server = make_server(host, port)
    url = f"http://{host}:{port}/"
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    print(f"glassnet playground: serving at {url} (Ctrl-C to stop)")
    asyncio.run(server.serve())
