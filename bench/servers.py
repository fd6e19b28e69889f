"""Servers under test as child processes on 127.0.0.1, each in a session of its own: stopping it ends
its process group (Prism's node workers, uvicorn's and granian's workers), also on an interrupt."""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench import HOST, ROOT, BenchError
from bench.workloads import TOKEN, Workload

Ready = Callable[["Server"], bool]


def mock_argv(*args: str) -> list[str]:
    """`mockserver serve` of `args` (documents, options), quiet, with the bench's token; the port to follow."""
    return [sys.executable, "-m", "mockserver", "serve", *args, "--quiet", "--token", TOKEN, "--port"]


@dataclass
class Server:
    """One server process; its output goes to a file, shown when it fails."""

    name: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0  # time.perf_counter() at the start
    log: IO[bytes] = field(default_factory=tempfile.TemporaryFile)

    def call(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None, timeout: float = 5.0
    ) -> tuple[int, str, bytes]:
        """(status, content type, body) of one request; OSError when nothing answers (or not HTTP)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheader("content-type", ""), response.read()
        except http.client.HTTPException as exc:
            raise OSError(f"bad HTTP answer: {exc!r}") from exc
        finally:
            conn.close()

    def answer(self, w: Workload, timeout: float = 5.0) -> tuple[int, str, bytes]:
        """The server's answer to `w`, which must be a 2xx."""
        status, media_type, body = self.call(w.method, w.path, w.body_bytes, w.headers(), timeout)
        if not 200 <= status < 300:
            raise BenchError(f"{self.name} answered {status} to {w.method} {w.path}: {body[:300]!r}")
        return status, media_type, body

    def index(self) -> dict[str, Any]:
        """The mock's index (`GET /__mock/apis`): its APIs, their mounts and operations."""
        status, _, body = self.call("GET", "/__mock/apis")
        if status != 200:
            raise BenchError(f"{self.name} lists no APIs at /__mock/apis (status {status})")
        return dict(json.loads(body))

    def answers(self) -> bool:
        with contextlib.suppress(OSError):
            return bool(self.call("GET", "/"))
        return False

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-2000:].strip()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the processes of its session with the children they reaped
        (granian's and `--workers` worker processes; a child's time is its own until it is reaped)."""
        session, ticks = self.process.pid if self.process else -1, 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()  # from the 3rd: state, ppid, pgrp, session, ...
                if int(fields[3]) == session:
                    ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """The process's resident memory (0 when unknown)."""
        with contextlib.suppress(OSError, StopIteration):
            lines = Path(f"/proc/{self.process.pid if self.process else 0}/status").read_text().splitlines()
            return int(next(line for line in lines if line.startswith("VmRSS:")).split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        process, self.process = self.process, None
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(5.0)
        self.log.close()


class Servers(contextlib.ExitStack):
    """Stops every server it started, however the block is left."""

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, ready: Ready = Server.answers
    ) -> Server:
        """`argv` and a free port (each command here ends in its port option), once `ready` (by
        default: once it answers HTTP); readiness is polled every 3 ms, so callers can time start-up."""
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            server = Server(name, int(sock.getsockname()[1]))
        self.callback(server.stop)
        server.started_at = time.perf_counter()
        try:
            server.process = subprocess.Popen(
                [*argv, str(server.port)], cwd=ROOT, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                stdout=server.log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            raise BenchError(f"cannot start {name} ({argv[0]}): {exc.strerror or exc}") from exc
        while server.process.poll() is None:
            if ready(server):
                return server
            if time.perf_counter() - server.started_at > 60:
                raise BenchError(f"{name} did not answer within 60 s:\n{server.output()}")
            time.sleep(0.003)
        raise BenchError(f"{name} exited ({server.process.returncode}) before answering:\n{server.output()}")
