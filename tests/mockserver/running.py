"""The mock as a real process (`python -m mockserver serve ...`) on a free port of 127.0.0.1,
ready when its health endpoint answers; stopped (SIGTERM, then SIGKILL) in every case."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.mockserver.seed_apis import ROOT
from tests.servers import stop_process

READY_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mock:
    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    log: Path

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def mock_process(*args: str, host: str = "127.0.0.1", ready_path: str = "/__mock/health") -> Iterator[Mock]:
    """Serve `args` (flags and specs after `serve`); the server's stderr goes to a file, so a
    chatty server never blocks on a full pipe."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "stderr.txt"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "mockserver", "serve", "--host", host, "--port", str(port), *args],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        base_url = f"http://127.0.0.1:{port}"
        mock = Mock(process, base_url, port, log)
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"the server exited with {process.returncode}: {mock.stderr()}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base_url + ready_path, timeout=1.0).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise AssertionError(f"the server did not answer within {READY_TIMEOUT} s: {mock.stderr()}")
                time.sleep(0.05)
            yield mock
        finally:
            stop_process(process)
