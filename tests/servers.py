"""Real servers over real sockets for tests: uvicorn on 127.0.0.1, a free port, bounded time,
configured as `mockserver serve` configures it (`serving.uvicorn_config`: its protocol and limits)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from mockserver.serving import ServeLimits, uvicorn_config

START_TIMEOUT = 10.0


def stop_process(process: subprocess.Popen[bytes], group: bool = False) -> None:
    """SIGTERM, then SIGKILL (to its whole process group with `group`, where its workers are)
    if it has not ended within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        if group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def serve(app: ASGIApp, host: str = "127.0.0.1", limits: ServeLimits | None = None) -> Iterator[str]:
    """Run `app` on uvicorn in a background thread, served as the product serves it (with
    `limits`, by default the product's own but a 2 s graceful shutdown); yields its base URL
    (no trailing slash)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    chosen = limits if limits is not None else ServeLimits(shutdown_timeout=2)
    config = uvicorn_config(app, chosen, log_level="warning", access_log=False, lifespan="off", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on {host}:{port} within {START_TIMEOUT} s")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()
