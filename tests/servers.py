"""Real servers over real sockets for tests: uvicorn (in a thread, configured as `mockserver
serve` configures it: `serving.uvicorn_config`, its protocol and limits) or granian (in a
process of its own) on 127.0.0.1, a free port, bounded time; `SERVERS` parametrises a test
over both."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.types import ASGIApp

from mockserver.serving import ServeLimits, uvicorn_config
from mockserver.serving_granian import granian_installed, serve_granian

START_TIMEOUT = 10.0
NO_GRANIAN = "granian is not installed (`make install` installs the granian extra)"
# A test parametrised over the HTTP servers `mockserver serve --server` offers.
NEEDS_GRANIAN = pytest.mark.skipif(not granian_installed(), reason=NO_GRANIAN)
SERVERS = ["uvicorn", pytest.param("granian", marks=NEEDS_GRANIAN)]
# A test that drives wrk, the benchmark's load generator.
NEEDS_WRK = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (`make test` and `make bench` install it as root)"
)


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


def _granian_child(build: Callable[[], ASGIApp], port: int, log: str, limits: ServeLimits) -> None:
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    serve_granian(build, "127.0.0.1", port, limits, workers=1)


@contextlib.contextmanager
def serve_on_granian(build: Callable[[], ASGIApp], log: Path, limits: ServeLimits | None = None) -> Iterator[str]:
    """Serve the app `build` makes (a picklable callable, such as a `functools.partial` of
    `create_app`) on granian, as `mockserver serve --server granian` does, in a process of its
    own whose output goes to `log`; yields the base URL. Stopped with SIGTERM, as a user would."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = multiprocessing.get_context("spawn").Process(
        target=_granian_child, args=(build, port, str(log), limits or ServeLimits())
    )
    process.start()
    deadline = time.monotonic() + START_TIMEOUT * 3  # a new interpreter, then granian's worker
    try:
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"granian did not start on port {port}: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.pid is not None and process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
        process.join(timeout=START_TIMEOUT)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)
