"""One browser tab's live connection: messages in, training off the event loop, frames out.

The event loop only routes messages; every touch of the model runs in the
shared worker pool under the session's lock. Frames are sent only after the
page has acknowledged the previous one, so a slow page gets fewer frames and
never a growing queue; a page that stops answering is paused, and one that
goes away ends its session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..exceptions import TrainingDivergedError
from .data import DataError, parse_csv
from .session import Session
from .settings import Settings, SettingsError, parse_settings

__all__ = ["Limits", "Live"]

log = logging.getLogger("glassnet.playground")
T = TypeVar("T")


class Limits:
    """Server-wide limits and timings (seconds)."""

    def __init__(
        self, max_sessions: int = 32, idle_s: float = 900.0, stall_s: float = 60.0,
        chunk_s: float = 0.03, max_message: int = 1024 * 1024,
    ) -> None:  # fmt: skip
        self.max_sessions = max_sessions
        self.idle_s = idle_s
        self.stall_s = stall_s
        self.chunk_s = chunk_s
        self.max_message = max_message


class Live:
    """A session and its connection.

    Attributes
    ----------
    busy : int
        Worker jobs of this session running now (0 once it has ended).
    """

    def __init__(self, ws: WebSocket, pool: Executor, limits: Limits) -> None:
        self.sid = secrets.token_urlsafe(16)
        self.ws = ws
        self.pool = pool
        self.limits = limits
        self.session = Session()
        self.playing = False
        self.ready = True  # the page has taken the last frame
        self.units = False
        self.since = 0
        self.closed = False
        self.busy = 0
        self.last_seen = time.monotonic()
        self.wake = asyncio.Event()
        self.send_lock = asyncio.Lock()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a worker under the session's lock."""

        def job() -> T:
            self.busy += 1
            try:
                with self.session.lock:
                    return fn(*args)
            finally:
                self.busy -= 1

        return await asyncio.get_running_loop().run_in_executor(self.pool, job)

    async def send(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_text(json.dumps(message, allow_nan=False))

    def data_message(self) -> dict[str, Any]:
        s = self.session
        d = s.data
        return {
            "type": "data",
            "X": d.X.tolist(),
            "y": d.y.tolist(),
            "classes": [c if isinstance(c, int) else str(c) for c in d.classes],
            "train": s.train_idx.tolist(),
            "test": s.test_idx.tolist(),
            "bounds": s.bounds,
            "source": d.source,
            "settings": s.settings.as_dict(),
        }

    def _frame(self) -> dict[str, Any]:
        f = self.session.frame(self.since, self.units)
        self.since = f["epoch"]
        return f

    async def send_frame(self) -> None:
        self.ready = False
        await self.send(_finite(await self.call(self._frame)))

    async def restart(self, change: Callable[[], None]) -> None:
        """Apply a change that rebuilds the run, then send the data and a first frame."""

        def job() -> dict[str, Any]:
            change()
            self.since = 0
            return self.data_message()

        await self.send(await self.call(job))
        await self.send_frame()

    # -- the two loops -----------------------------------------------------------------

    async def trainer(self) -> None:
        """Train while playing, in short chunks on the worker pool; send frames as taken."""
        while not self.closed:
            if not self.playing:
                await self.wake.wait()
                self.wake.clear()
                continue
            if time.monotonic() - self.last_seen > self.limits.stall_s:
                self.playing = False
                await self.send({"type": "paused", "epoch": self.session.epoch,
                                 "message": "paused: the page stopped answering"})  # fmt: skip
                continue
            try:
                await self.call(self.session.train_for, self.limits.chunk_s, 1000)
            except TrainingDivergedError as exc:
                self.playing = False
                await self.send(_error(f"training diverged: {exc} Lower the learning rate.",
                                       "train"))  # fmt: skip
                await self.send_frame()
                continue
            if self.ready:
                await self.send_frame()
            else:
                await asyncio.sleep(0.002)  # let the page catch up; keep training

    async def receive(self) -> None:
        """Handle the page's messages until it goes away or stays silent too long."""
        while True:
            text = await asyncio.wait_for(self.ws.receive_text(), timeout=self.limits.idle_s)
            self.last_seen = time.monotonic()
            if len(text) > self.limits.max_message:
                await self.send(_error("message too large", "server"))
                continue
            try:
                msg = json.loads(text)
                if not isinstance(msg, dict):
                    raise ValueError("a message must be a JSON object")
                await self.handle(msg)
            except (DataError, SettingsError) as exc:
                await self.send(
                    _error(str(exc), str(msg.get("type", "")) if isinstance(msg, dict) else "")
                )
            except (ValueError, TypeError, KeyError) as exc:
                await self.send(_error(f"bad message: {exc}", "server"))

    async def handle(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        s = self.session
        if kind == "ack":
            self.ready = True
        elif kind == "play":
            self.playing = True
            self.wake.set()
        elif kind == "pause":
            self.playing = False
            await self.send_frame()
        elif kind == "step":
            self.playing = False
            await self.call(s.train_for, 0.0, 1)
            await self.send_frame()
        elif kind == "reset":
            await self.restart(s.reset)
        elif kind == "config":
            settings = parse_settings(msg.get("settings", {}))
            await self.restart(lambda: s.configure(settings))
        elif kind == "upload":
            text = msg.get("text")
            if not isinstance(text, str):
                raise DataError("the upload must carry the file's text.")
            data = parse_csv(text)
            await self.restart(lambda: s.use_data(data))
        elif kind == "add_point":
            x, y, label = float(msg["x"]), float(msg["y"]), int(msg["label"])
            await self.restart(lambda: s.add_point(x, y, label))
        elif kind == "explain":
            await self.send(_finite(await self.call(s.explain, int(msg["index"]))))
        elif kind == "units":
            self.units = bool(msg.get("on"))
            if not self.playing:
                await self.send_frame()
        else:
            raise ValueError(f"unknown message type {kind!r}")

    async def serve(self) -> None:
        """Run the connection: greet, then receive and train until it ends."""
        trainer = asyncio.create_task(self.trainer())
        try:
            await self.send({"type": "hello", "sid": self.sid, "defaults": Settings().as_dict()})
            await self.send(self.data_message())
            await self.send_frame()
            await self.receive()
        except (WebSocketDisconnect, asyncio.TimeoutError, RuntimeError):
            pass  # gone, silent too long, or closed under us: end the session either way
        except Exception:  # never a traceback in the page; the server log has it
            log.exception("playground session %s failed", self.sid[:6])
            with contextlib.suppress(Exception):  # the connection may be gone too
                await self.send(_error("internal error; see the server's log", "server"))
        finally:
            self.closed = True
            self.playing = False
            self.wake.set()
            trainer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # ending anyway
                await trainer


def _error(message: str, where: str) -> dict[str, Any]:
    return {"type": "error", "where": where, "message": message}


def _finite(obj: Any) -> Any:
    """JSON has no NaN or inf: write them as None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
