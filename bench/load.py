"""Load generators: `wrk` (Debian's package; installed with apt-get when missing and
possible) or, failing that, a Python generator on uvloop + httptools.

Both keep `connections` keep-alive connections busy for `duration` seconds against one
URL on 127.0.0.1 and report a `LoadResult`. Errors are answers with a status of 400 or
more (what wrk counts) plus socket errors (connect, read, write, timeout).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, cast

from bench.errors import BenchError
from bench.servers import HOST

APT_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class LoadSpec:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    duration: int  # seconds
    connections: int
    timeout: float = 2.0  # per request; slower answers count as errors


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    status_errors: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps": round(self.rps, 1), "errors": self.errors}


def merge(results: Sequence[LoadResult]) -> LoadResult:
    """Slices of one load as one result: counts and time add up; p50 is the median of the
    slices' p50, p99 the highest slice p99 (percentiles do not add, so err on the high side)."""
    if not results:
        raise ValueError("nothing to merge")
    return LoadResult(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        status_errors=sum(r.status_errors for r in results),
        socket_errors=sum(r.socket_errors for r in results),
    )


class LoadGenerator(Protocol):
    name: str

    def run(self, port: int, spec: LoadSpec) -> LoadResult: ...


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of `samples` (sorted or not); 0.0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


# --- wrk --------------------------------------------------------------------------------

_MARK = "BENCH_JSON "

_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%.0f,"duration_us":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,' ..
    '"timeout":%.0f,"p50_us":%.1f,"p99_us":%.1f}\n', "%MARK%",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def lua_string(text: str | bytes) -> str:
    """A Lua string literal for any text: printable ASCII as is, every other byte as \\ddd."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    out = []
    for byte in data:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def wrk_script(spec: LoadSpec) -> str:
    lines = [f"wrk.method = {lua_string(spec.method)}", f"wrk.body = {lua_string(spec.body)}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in spec.headers.items()]
    return "\n".join(lines) + "\n" + _DONE.replace("%MARK%", _MARK)


def parse_wrk(output: str) -> LoadResult:
    """The summary line that `wrk_script`'s done() prints."""
    for line in output.splitlines():
        if line.startswith(_MARK):
            try:
                data = json.loads(line[len(_MARK) :])
                return LoadResult(
                    requests=int(data["requests"]),
                    seconds=float(data["duration_us"]) / 1e6,
                    p50_ms=float(data["p50_us"]) / 1000,
                    p99_ms=float(data["p99_us"]) / 1000,
                    status_errors=int(data["status"]),
                    socket_errors=int(data["connect"] + data["read"] + data["write"] + data["timeout"]),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise BenchError(f"cannot read wrk's summary line {line!r}: {exc}") from exc
    raise BenchError(f"wrk printed no summary line; its output was:\n{output.strip()[-1500:]}")


_WRK_VERSION = re.compile(r"wrk\s+(\S+)")


class Wrk:
    name = "wrk"

    def __init__(self, executable: str, threads: int = 1) -> None:
        self.executable = executable
        self.threads = threads

    @property
    def version(self) -> str:
        done = subprocess.run([self.executable, "-v"], capture_output=True, text=True, timeout=10, check=False)
        found = _WRK_VERSION.search(done.stdout + done.stderr)
        return found.group(1) if found else "unknown"

    def run(self, port: int, spec: LoadSpec) -> LoadResult:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
            script.write(wrk_script(spec))
            script.flush()
            argv = [
                self.executable,
                f"-t{min(self.threads, spec.connections)}",
                f"-c{spec.connections}",
                f"-d{spec.duration}s",
                f"--timeout={spec.timeout:g}s",
                "-s",
                script.name,
                f"http://{HOST}:{port}{spec.path}",
            ]
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=spec.duration + 30, check=False)
            except subprocess.TimeoutExpired as exc:
                raise BenchError(f"wrk did not finish within {spec.duration + 30} s") from exc
        if done.returncode != 0:
            raise BenchError(f"wrk failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")
        return parse_wrk(done.stdout)


def find_or_install_wrk(install: bool, say: Any = print) -> str | None:
    """wrk's path; when missing and `install`, try Debian's package (root only)."""
    found = shutil.which("wrk")
    if found:
        return found
    if not install:
        say("wrk is not installed (and --no-install)")
        return None
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        say("wrk is not installed and cannot be installed here (needs apt-get as root)")
        return None
    say("wrk is not installed: apt-get update && apt-get install -y wrk ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "wrk"]):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=APT_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            say(f"{' '.join(argv)} did not finish within {APT_TIMEOUT:g} s")
            return None
        if done.returncode != 0:
            say(f"{' '.join(argv)} failed: {(done.stderr or done.stdout).strip()[-400:]}")
            return None
    return shutil.which("wrk")


# --- the Python generator -----------------------------------------------------------------


class PythonLoad:
    """Keep-alive HTTP/1.1 connections on uvloop, answers framed by httptools (llhttp).

    Slower than wrk: it spends a share of the same CPU the servers need, so its rates are
    a lower bound; the ratios between servers measured with it stay comparable.
    """

    name = "python (uvloop + httptools)"

    def run(self, port: int, spec: LoadSpec) -> LoadResult:
        try:
            import uvloop
        except ImportError:
            return asyncio.run(_drive(port, spec))
        return uvloop.run(_drive(port, spec))


def python_load_available() -> bool:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return False
    return True


def encode_request(spec: LoadSpec, port: int) -> bytes:
    head = [f"{spec.method} {spec.path} HTTP/1.1", f"Host: {HOST}:{port}", f"Content-Length: {len(spec.body)}"]
    head += [f"{k}: {v}" for k, v in spec.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + spec.body


class _Tally:
    def __init__(self) -> None:
        self.latencies_ns: list[int] = []
        self.status_errors = 0
        self.socket_errors = 0


class _Connection(asyncio.Protocol):
    def __init__(
        self, request: bytes, deadline: float, timeout: float, tally: _Tally, finished: asyncio.Future[None]
    ) -> None:
        import httptools

        self.request = request
        self.deadline = deadline
        self.timeout_ns = int(timeout * 1e9)
        self.tally = tally
        self.finished = finished
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        self.busy = True
        self.sent_at = time.perf_counter_ns()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except Exception:  # httptools raises its own HttpParserError family
            self.tally.socket_errors += 1
            self.close()

    def on_message_complete(self) -> None:
        self.busy = False
        latency = time.perf_counter_ns() - self.sent_at
        self.tally.latencies_ns.append(latency)
        if latency > self.timeout_ns:
            self.tally.socket_errors += 1  # as wrk counts a timeout
        elif not 200 <= self.parser.get_status_code() < 300:
            self.tally.status_errors += 1
        if time.monotonic() < self.deadline and self.parser.should_keep_alive():
            self.send()
        else:
            self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.busy:
            self.tally.socket_errors += 1
        if not self.finished.done():
            self.finished.set_result(None)


def _factory(connection: _Connection) -> Callable[[], _Connection]:
    return lambda: connection


async def _drive(port: int, spec: LoadSpec) -> LoadResult:
    loop = asyncio.get_running_loop()
    request = encode_request(spec, port)
    tally = _Tally()
    started = time.monotonic()
    deadline = started + spec.duration

    async def one_connection() -> None:
        while time.monotonic() < deadline:
            finished: asyncio.Future[None] = loop.create_future()
            connection = _Connection(request, deadline, spec.timeout, tally, finished)
            try:
                await loop.create_connection(_factory(connection), HOST, port)
            except OSError:
                tally.socket_errors += 1
                await asyncio.sleep(0.01)
                continue
            try:
                await asyncio.wait_for(finished, timeout=max(0.0, deadline - time.monotonic()) + spec.timeout)
            except TimeoutError:
                tally.socket_errors += 1
                connection.close()
                return

    await asyncio.gather(*(one_connection() for _ in range(spec.connections)))
    seconds = time.monotonic() - started
    latencies_ms = [ns / 1e6 for ns in tally.latencies_ns]
    return LoadResult(
        requests=len(latencies_ms),
        seconds=seconds,
        p50_ms=percentile(latencies_ms, 50),
        p99_ms=percentile(latencies_ms, 99),
        status_errors=tally.status_errors,
        socket_errors=tally.socket_errors,
    )
