"""A real redis-server for tests: started on a free port in a temporary directory, stopped after.

`make test` installs Debian's `redis-server` when it is missing (as root); where it could
not, the tests that need it skip and say why.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import stop_process

START_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))  # up (with a password: asks for it)
    except OSError:
        return False


@dataclass
class RedisServer:
    url: str  # database 0
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def redis_server(directory: Path, *options: str, port: int | None = None) -> Iterator[RedisServer]:
    """Run redis-server (no persistence) in `directory`, with `options` (`--requirepass`,
    ...), on `port` (default: a free one), until the block ends."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (`make test` installs it with apt-get when run as root)")
    port = port or _free_port()
    log = (directory / "redis.log").open("wb")
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *options]
    process = subprocess.Popen([*args, "--dir", str(directory)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _pong(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {(directory / 'redis.log').read_text()[-500:]}")
            time.sleep(0.02)
        yield RedisServer(f"redis://127.0.0.1:{port}/0", process)
    finally:
        stop_process(process)
        log.close()
