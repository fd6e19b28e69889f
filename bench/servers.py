"""Servers under test as child processes on 127.0.0.1: start, wait until they answer, stop.

Each child gets a session of its own, so stopping it ends the whole process group (Prism
forks node workers) and a Ctrl-C in the terminal reaches the harness only, which then
stops every child it started (`ServerPool` as a context manager).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from bench.errors import BenchError

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            raise BenchError(
                f"port {port} on {HOST} is busy ({exc.strerror}); pick another or leave it to the harness"
            ) from None


def call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> tuple[int, bytes]:
    """One HTTP request to 127.0.0.1:`port`; raises OSError when nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc!r}") from exc
    finally:
        conn.close()


class ServerProcess:
    """One server under test; its output goes to a temporary file shown when it fails."""

    def __init__(self, name: str, argv: Sequence[str], port: int, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self.cwd = cwd
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives until stop()

    def start(self) -> None:
        self.started_at = time.perf_counter()
        try:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise BenchError(f"cannot start {self.name} ({self.argv[0]}): {exc.strerror or exc}") from exc

    def output(self, limit: int = 2000) -> str:
        self._log.flush()
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        return text[-limit:].strip()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started_at

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system, all threads) the server has used so far; None off Linux."""
        if self.process is None:
            return None
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()  # fields from the 3rd (state) on: utime is the 14th
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def wait_ready(self, answers: Callable[[], bool], timeout: float, interval: float = 0.002) -> float:
        """Poll `answers` until it is true; returns seconds since `start`."""
        deadline = self.started_at + timeout
        while True:
            code = self.exited()
            if code is not None:
                raise BenchError(f"{self.name} exited with code {code} before answering:\n{self.output()}")
            if answers():
                return time.perf_counter() - self.started_at
            if time.perf_counter() > deadline:
                where = f"{HOST}:{self.port}"
                raise BenchError(f"{self.name} did not answer on {where} within {timeout:g} s:\n{self.output()}")
            time.sleep(interval)

    def stop(self, grace: float = 5.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(grace)
        # children that outlived their parent (Prism's workers) go with the group
        if process is not None:
            _signal_group(process, signal.SIGKILL)
        self._log.close()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


class ServerPool:
    """Stops every server it started, whatever way the block is left."""

    def __init__(self) -> None:
        self.servers: list[ServerProcess] = []

    def start(self, server: ServerProcess) -> ServerProcess:
        self.servers.append(server)
        server.start()
        return server

    def stop(self, server: ServerProcess) -> None:
        server.stop()
        if server in self.servers:
            self.servers.remove(server)

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        while self.servers:
            self.servers.pop().stop()
