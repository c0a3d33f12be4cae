"""Load test of ``glassnet playground``: many tabs training at once on one server.

Starts the server in a subprocess, opens N WebSocket sessions that press play
and acknowledge every frame as the page does, runs for T seconds, and reports
per-session progress, frame latency (server send → client receipt) and frame
rate, the server's memory, errors, and that a session killed mid-stream leaves
no training behind. With ``--browser`` it also measures the frame rate a real
headless Chromium draws for one tab (100×100 boundary, default network).

    python benchmarks/playground_load.py --sessions 20 --seconds 30
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _status(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=10) as r:
        return dict(json.loads(r.read()))


def _client(port: int, seconds: float, out: dict[str, Any]) -> None:
    from websockets.sync.client import connect

    latencies: list[float] = []
    arrivals: list[float] = []
    errors: list[str] = []
    epoch = 0
    with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=30, max_size=None) as ws:
        ws.send(json.dumps({"type": "play"}))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                m = json.loads(ws.recv(timeout=1))
            except TimeoutError:
                continue
            if m["type"] == "frame":
                now = time.time()
                latencies.append(now - m["sent_at"])
                arrivals.append(now)
                epoch = m["epoch"]
                ws.send(json.dumps({"type": "ack"}))
            elif m["type"] == "error":
                errors.append(m["message"])
    out.update(latencies=latencies, arrivals=arrivals, errors=errors, epoch=epoch)


def _killed(port: int) -> None:
    """A tab that vanishes mid-stream: the socket is cut without a closing handshake."""
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=30) as ws:
        ws.send(json.dumps({"type": "play"}))
        for _ in range(5):
            m = json.loads(ws.recv(timeout=30))
            if m["type"] == "frame":
                ws.send(json.dumps({"type": "ack"}))
        ws.socket.shutdown(socket.SHUT_RDWR)


def _browser_fps(port: int, seconds: float) -> float:
    import tempfile

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )  # fmt: skip
        page = ctx.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("window.playground.frame !== null", timeout=30000)
        page.click("#play")
        time.sleep(1.0)
        f0, e0 = page.evaluate("[window.playground.frames, window.playground.frame.epoch]")
        time.sleep(seconds)
        f1, e1 = page.evaluate("[window.playground.frames, window.playground.frame.epoch]")
        ctx.close()
    print(f"browser: {(f1 - f0) / seconds:.1f} boundary frames/s drawn, "
          f"{(e1 - e0) / seconds:.0f} epochs/s trained in between")  # fmt: skip
    return (f1 - f0) / seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--browser", action="store_true", help="also measure a real page's fps")
    args = ap.parse_args()
    port = _port()
    server = subprocess.Popen([
        sys.executable, "-c",
        "from glassnet.playground.server import serve; "
        f"serve('127.0.0.1', {port}, open_browser=False)",
    ])  # fmt: skip
    try:
        for _ in range(200):
            try:
                _status(port)
                break
            except OSError:
                time.sleep(0.1)
        base = _rss_mib(server.pid)
        if args.browser:
            _browser_fps(port, 10.0)
        results: list[dict[str, Any]] = [{} for _ in range(args.sessions)]
        threads = [threading.Thread(target=_client, args=(port, args.seconds, r)) for r in results]
        rss: list[float] = []
        for t in threads:
            t.start()
        killer = threading.Thread(target=_killed, args=(port,))
        killer.start()
        while any(t.is_alive() for t in threads):
            rss.append(_rss_mib(server.pid))
            time.sleep(0.5)
        killer.join()
        lat = sorted(x * 1000 for r in results for x in r["latencies"])
        fps = [len(r["arrivals"]) / args.seconds for r in results]
        epochs = [r["epoch"] for r in results]
        errors = [e for r in results for e in r["errors"]]
        time.sleep(1.0)
        after = _status(port)
        cores = subprocess.getoutput("nproc")
        print(f"{args.sessions} sessions x {args.seconds:g} s on {cores} cores")
        print(f"epochs per session: min {min(epochs)}, median {statistics.median(epochs):.0f}, "
              f"max {max(epochs)} (all progressing: {min(epochs) > 0})")  # fmt: skip
        print(f"frames/s per session: min {min(fps):.1f}, median {statistics.median(fps):.1f}")
        p95 = lat[int(0.95 * (len(lat) - 1))]
        print(
            f"frame latency (server send -> client receipt): median "
            f"{statistics.median(lat):.1f} ms, p95 {p95:.1f} ms over {len(lat)} frames"
        )
        print(f"server memory: {base:.0f} MiB idle, peak {max(rss):.0f} MiB, "
              f"end {rss[-1]:.0f} MiB")  # fmt: skip
        print(f"errors: {len(errors)} {errors[:3]}")
        print(f"after all clients left (one killed mid-stream): {after}")
        ok = min(epochs) > 0 and not errors and after["sessions"] == 0 and after["busy"] == 0
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
