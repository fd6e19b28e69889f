"""wrk's script and summary line, and one real run against a real server on loopback."""

import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import BenchError, wrk
from bench.workloads import Workload
from tests.servers import NEEDS_WRK


def test_lua_strings_escape_everything_but_printable_ascii() -> None:
    assert wrk.lua_string('a"b\\c') == '"a\\"b\\\\c"'
    assert wrk.lua_string("é\n") == '"\\195\\169\\010"'


def test_the_script_sets_method_body_and_headers() -> None:
    text = wrk.script("PATCH", {"Authorization": "Bearer t"}, b'{"a":1}')
    assert 'wrk.method = "PATCH"' in text
    assert 'wrk.body = "{\\"a\\":1}"' in text
    assert 'wrk.headers["Authorization"] = "Bearer t"' in text


def test_the_summary_line_is_read_and_a_missing_one_reported() -> None:
    line = 'BENCH_JSON {"requests":1000,"seconds":2.000000,"p50_ms":1.5000,"p99_ms":9.0000,"errors":7}'
    result = wrk.parse("Running 2s test\n" + line + "\n")
    assert (result.requests, result.rps, result.p50_ms, result.p99_ms, result.errors) == (1000, 500.0, 1.5, 9.0, 7)
    with pytest.raises(BenchError, match="no summary line"):
        wrk.parse("Running 2s test\n")


def test_merged_slices_add_counts_and_keep_the_worst_p99() -> None:
    slices = [wrk.LoadResult(100, 1.0, 1.0, 5.0, 0), wrk.LoadResult(300, 1.0, 2.0, 9.0, 1)]
    merged = wrk.merge(slices)
    assert (merged.requests, merged.rps, merged.p99_ms, merged.errors) == (400, 200.0, 9.0, 1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        status = 200 if self.path == "/ok" else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@NEEDS_WRK
def test_a_real_run_counts_answers_and_errors(port: int) -> None:
    ok = wrk.run(port, Workload("ok", "x", "GET", "/ok", "/ok"), 1, 2)
    assert ok.requests > 0 and ok.errors == 0
    missing = wrk.run(port, Workload("missing", "x", "GET", "/missing", "/missing"), 1, 2)
    assert missing.requests > 0 and missing.errors == missing.requests


def test_no_wrk_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(BenchError, match="make bench"):
        wrk.run(socket.socket().getsockname()[1] or 1, Workload("ok", "x", "GET", "/", "/"), 1, 1)
