"""Servers under test as child processes on 127.0.0.1: start, wait until they answer, stop.

Each child runs in a session of its own, so stopping it ends its whole process group
(Prism's node workers, uvicorn's and granian's worker processes), also when the harness is interrupted
(`Servers` as a context manager).
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

HOST = "127.0.0.1"


class BenchError(Exception):
    """What stops a benchmark run, said in one line."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def call(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None, timeout: float = 5.0
) -> tuple[int, str, bytes]:
    """(status, content type, body) of one request; OSError when nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheader("content-type", ""), response.read()
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc!r}") from exc
    finally:
        conn.close()


class Server:
    """One server process; its output goes to a file, shown when it fails."""

    def __init__(self, name: str, argv: Sequence[str], port: int, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.name, self.argv, self.port, self.cwd = name, list(argv), port, cwd
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()

    def start(self) -> Server:
        self.started_at = time.perf_counter()
        try:
            self.process = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            raise BenchError(f"cannot start {self.name} ({self.argv[0]}): {exc.strerror or exc}") from exc
        return self

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:].strip()

    def _proc(self, name: str) -> str | None:
        try:
            return Path(f"/proc/{self.process.pid}/{name}").read_text() if self.process else None
        except OSError:
            return None

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) of the process and all its descendants, running or reaped
        (granian's and `--workers` worker processes); None off Linux."""
        if self.process is None or self._proc("stat") is None:
            return None
        stats = _stats()
        children: dict[int, list[int]] = {}
        for pid, fields in stats.items():
            children.setdefault(int(fields[1]), []).append(pid)
        ticks, todo = 0, [self.process.pid]
        while todo:
            pid = todo.pop()
            ticks += sum(int(f) for f in stats.get(pid, [])[11:15])  # utime, stime, cutime, cstime
            todo += children.get(pid, [])
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float | None:
        status = self._proc("status") or ""
        line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), None)
        return int(line.split()[1]) / 1024 if line else None

    def wait_until(self, ready: Callable[[], bool], timeout: float = 30.0, interval: float = 0.003) -> float:
        """Poll `ready` until it holds; returns the seconds since `start`."""
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise BenchError(f"{self.name} exited ({self.process.returncode}) before answering:\n{self.output()}")
            if ready():
                return time.perf_counter() - self.started_at
            if time.perf_counter() - self.started_at > timeout:
                raise BenchError(
                    f"{self.name} did not answer on port {self.port} within {timeout:g} s:\n{self.output()}"
                )
            time.sleep(interval)

    def answers(self, path: str = "/") -> bool:
        try:
            call(self.port, "GET", path)
        except OSError:
            return False
        return True

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(grace)
        self._log.close()


def _stats() -> dict[int, list[str]]:
    """Every process's /proc/PID/stat fields from the 3rd on (state, ppid, ...; utime is [11])."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                out[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    return out


class Servers:
    """Stops every server it started, however the block is left."""

    def __init__(self) -> None:
        self.running: list[Server] = []

    def start(self, server: Server) -> Server:
        self.running.append(server)
        return server.start()

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        while self.running:
            self.running.pop().stop()
