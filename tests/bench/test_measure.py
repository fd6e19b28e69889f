"""The harness measures: servers that take turns under wrk are reported by how fast they
are (a fake server twice as slow is reported at about half the rate), and a server's CPU
time includes its worker processes."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.cli import measure
from bench.servers import Server, Servers
from bench.workloads import Workload
from tests.servers import NEEDS_WRK


def _slow_server(delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # the head and the body go out at once, not 40 ms apart

        def do_GET(self) -> None:
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def handle(self) -> None:
            with contextlib.suppress(ConnectionError):  # wrk hangs up mid-answer when its time is up
                super().handle()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Two in-thread servers, one answering after 10 ms, the other after 20 ms."""
    running = [ThreadingHTTPServer(("127.0.0.1", 0), _slow_server(delay)) for delay in (0.01, 0.02)]
    for server in running:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    names = ("fast", "slow")
    yield [Server(name, int(s.server_address[1])) for name, s in zip(names, running, strict=True)]
    for server in running:
        server.shutdown()


@NEEDS_WRK
def test_a_server_twice_as_slow_is_reported_about_twice_as_slow(servers: list[Server]) -> None:
    args = argparse.Namespace(warmup=0, rounds=2, duration=1, connections=2)
    workload = Workload("fake", "fake", "GET", "/x", "/x")
    rows = {row["server"]: row for row in measure(servers, workload, args)}
    assert set(rows) == {"fast", "slow"}
    fast, slow = rows["fast"], rows["slow"]
    assert fast["requests"] > 0 and slow["requests"] > 0 and fast["errors"] == slow["errors"] == 0
    assert 0.35 < slow["rps"] / fast["rps"] < 0.65, (fast["rps"], slow["rps"])  # 100 against 200 req/s, give or take


@pytest.mark.parametrize("reaped", [False, True])
def test_cpu_time_counts_the_worker_processes(reaped: bool) -> None:
    """A parent that sleeps while its child (a worker) burns CPU is charged the child's CPU,
    whether the child is gone and reaped (the parent's cutime) or not yet."""
    burn = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"
    parent = "import subprocess, sys, time\n"
    parent += f"child = subprocess.Popen([sys.executable, '-c', {burn!r}])\n{'child.wait()' if reaped else ''}\n"
    parent += "time.sleep(30)\n"
    with Servers() as servers:
        server = servers.start("parent", [sys.executable, "-c", parent], ready=lambda server: True)
        time.sleep(2.0)  # the child has burnt its 0.6 s and exited
        cpu = server.cpu_seconds()
        assert cpu >= 0.5, cpu
