"""The server: guards, limits, concurrent sessions, and no training left behind."""

from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playground_support import Served, poll, start_server

from glassnet.playground.live import Limits

ws_sync = pytest.importorskip("websockets.sync.client", reason="pip install 'glassnet[playground]'")


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def status(served: Served) -> dict[str, Any]:
    return dict(json.loads(get(served.url + "/api/status")[1]))


def connect(served: Served, **kw: Any) -> Any:
    return ws_sync.connect(f"ws://127.0.0.1:{served.port}/ws", open_timeout=10, **kw)


def until(ws: Any, kind: str, timeout: float = 20.0) -> dict[str, Any]:
    """The next message of this kind; frames are acknowledged as the page does."""
    deadline = time.monotonic() + timeout
    while True:
        m = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if m["type"] == "frame":
            ws.send(json.dumps({"type": "ack"}))
        if m["type"] == kind:
            return dict(m)


@pytest.fixture(scope="module")
def small() -> Iterator[Served]:
    """A server that takes two sessions at most."""
    yield from start_server(Limits(max_sessions=2))


def test_the_page_and_its_files_are_served(served: Served) -> None:
    code, html = get(served.url + "/")
    assert code == 200 and "glassnet playground" in html and "/static/app.js" in html
    for name in ("app.js", "draw.js", "maths.js", "style.css"):
        assert get(f"{served.url}/static/{name}")[0] == 200


@pytest.mark.parametrize(
    "headers",
    [{"Host": "evil.example:8765"}, {"Origin": "http://evil.example"}],
    ids=["host", "origin"],
)
def test_a_foreign_host_or_origin_is_refused(served: Served, headers: dict[str, str]) -> None:
    code, text = get(served.url + "/", headers)
    assert code == 403 and "is not the address this playground serves" in text
    with pytest.raises(Exception, match="403"):
        connect(served, origin=headers.get("Origin", "http://evil.example"))


def test_bad_settings_and_messages_get_a_message_not_a_traceback(served: Served) -> None:
    with connect(served) as ws:
        until(ws, "frame")
        ws.send(json.dumps({"type": "config", "settings": {"hidden": [8, 99]}}))
        m = until(ws, "error")
        assert m["message"] == "each hidden layer has 1 to 32 units; got 99."
        ws.send(json.dumps({"type": "config", "settings": {"samples": 10**6}}))
        assert "samples must be between 10 and 2000" in until(ws, "error")["message"]
        ws.send(json.dumps({"type": "upload", "text": "a,b\n"}))
        assert "fewer than 2 data rows" in until(ws, "error")["message"]
        ws.send("not json")
        m = until(ws, "error")
        assert m["message"].startswith("bad message") and "Traceback" not in m["message"]
        ws.send(json.dumps({"type": "upload", "text": "x" * (600 * 1024)}))
        assert "limit is 512 KiB" in until(ws, "error")["message"]


def test_sessions_are_capped_with_a_clear_message(small: Served) -> None:
    with connect(small) as a, connect(small) as b:
        until(a, "frame")
        until(b, "frame")
        with connect(small) as c:
            m = until(c, "error")
            assert "the playground is full (2 open tabs)" in m["message"]


def test_four_sessions_train_at_once_for_three_seconds(served: Served) -> None:
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(connect(served)) for _ in range(4)]
        for ws in sockets:
            until(ws, "frame")
            ws.send(json.dumps({"type": "play"}))
        frames = [0] * 4
        epochs = [0] * 4
        end = time.monotonic() + 3
        while time.monotonic() < end:
            for i, ws in enumerate(sockets):
                try:
                    m = json.loads(ws.recv(timeout=0.05))
                except TimeoutError:
                    continue
                if m["type"] == "frame":
                    frames[i] += 1
                    epochs[i] = m["epoch"]
                    ws.send(json.dumps({"type": "ack"}))
                assert m["type"] != "error", m
        assert min(frames) >= 3 and min(epochs) >= 10, (frames, epochs)
    poll(lambda: status(served)["sessions"] == 0, what="the sessions to end")


def test_a_session_killed_mid_stream_leaves_no_training_behind(served: Served) -> None:
    with connect(served) as ws:
        until(ws, "frame")
        ws.send(json.dumps({"type": "play"}))
        until(ws, "frame")
        assert status(served)["training"] >= 1
        ws.socket.shutdown(socket.SHUT_RDWR)  # the tab vanishes: no closing handshake
    poll(lambda: status(served) | {"max_sessions": 0} == {"sessions": 0, "training": 0,
                                                          "busy": 0, "max_sessions": 0},
         what="no session and no training left")  # fmt: skip
    time.sleep(0.3)
    assert status(served)["busy"] == 0


def test_a_silent_client_is_paused_and_an_idle_one_ended() -> None:
    gen = start_server(Limits(stall_s=0.5, idle_s=1.5))
    served = next(gen)
    try:
        with connect(served) as ws:
            until(ws, "frame")
            ws.send(json.dumps({"type": "play"}))
            kinds = []
            while not kinds or kinds[-1]["type"] != "paused":  # no acks, no messages
                kinds.append(json.loads(ws.recv(timeout=20)))
            assert "stopped answering" in kinds[-1]["message"]
            poll(lambda: status(served)["sessions"] == 0, what="the idle session to end")
    finally:
        gen.close()
