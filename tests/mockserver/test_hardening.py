"""Hostile input meets bounded answers, over real sockets to a real `mockserver serve`
process on each HTTP server (`--server uvicorn|granian`): every answer bounded in size (and
in time, loosely: seconds, not a benchmark), and another client served meanwhile. Where the
servers differ (granian closes a slow or idle connection without a 408, and holds connections
past --limit-concurrency back instead of answering 503), each test says so."""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import __version__, create_app
from mockserver.app import ServerConfig, _not_found, load_apis
from mockserver.cli import build_parser
from mockserver.generator import Generation
from mockserver.negotiator import Negotiator
from mockserver.operations import Operation
from mockserver.pipeline import MAX_ERROR_BYTES, Pipeline
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.routing import Router
from mockserver.validation import MAX_VIOLATIONS
from tests.mockserver.running import Mock, mock_process
from tests.mockserver.seed_apis import ROOT, SEED_APIS, TOKEN
from tests.servers import NEEDS_GRANIAN, SERVERS, serve, serve_on_granian

TIMEOUT = 15.0
RESOURCE_LIMIT = 20_000
HEADER_LIMIT = 8192
DATAGRID = SEED_APIS["datagrid"]


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def mock(server: str) -> Iterator[Mock]:
    flags = ["--quiet", "--token", TOKEN, "--header-timeout", "1", "--max-header-bytes", str(HEADER_LIMIT)]
    flags += ["--max-resource-bytes", str(RESOURCE_LIMIT), "--keep-alive-timeout", "1", "--server", server]
    with mock_process(*flags) as running:
        yield running


def _served(mock: Mock) -> None:
    """A normal request gets its normal answer."""
    response = httpx.patch(mock.base_url + DATAGRID.url("other"), json={"name": "ok"}, headers=DATAGRID.auth, timeout=5)
    assert response.status_code == 200 and response.json()["name"] == "ok"


class Meanwhile:
    """Normal requests from another client while a hostile one is under way."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self.done = threading.Event()
        self.served = 0
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            try:
                _served(self.mock)
                self.served += 1
            except (AssertionError, httpx.HTTPError) as exc:
                self.failures.append(repr(exc))
            time.sleep(0.02)

    def __enter__(self) -> Meanwhile:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.1)  # at least one request after the hostile one too
        self.done.set()
        self.thread.join(timeout=TIMEOUT)
        assert self.failures == [] and self.served > 0, (self.served, self.failures[:3])


def _raw(mock: Mock, payload: bytes, wait: float = TIMEOUT) -> tuple[bytes, bool, float]:
    """Send `payload`; read until the server closes. Returns (answer, closed, seconds)."""
    parts = urlsplit(mock.base_url)
    started = time.monotonic()
    chunks: list[bytes] = []
    closed = False
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as sock:
        sock.sendall(payload)
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            closed = True
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
    return b"".join(chunks), closed, time.monotonic() - started


def test_a_prefer_code_of_5000_digits_is_a_short_400(mock: Mock) -> None:
    with Meanwhile(mock):
        response = httpx.patch(
            mock.base_url + DATAGRID.url("c1"), json={}, headers=DATAGRID.headers(Prefer="code=" + "9" * 5000)
        )
    assert response.status_code == 400
    assert len(response.content) < 300


def test_100000_invalid_items_get_a_bounded_422_fast(mock: Mock) -> None:
    body = json.dumps({"agent_ids": list(range(100_000))}).encode()
    with Meanwhile(mock):
        started = time.monotonic()
        response = httpx.patch(
            mock.base_url + DATAGRID.url("c1"),
            content=body,
            headers=DATAGRID.headers(**{"Content-Type": "application/json"}),
            timeout=TIMEOUT,
        )
        seconds = time.monotonic() - started
    assert response.status_code == 422
    assert len(response.content) <= MAX_ERROR_BYTES
    assert seconds < 5  # 6 s before the bound; generous for a loaded machine


def test_problems_stop_at_the_bound_with_a_final_count(mock: Mock) -> None:
    wrong = MAX_VIOLATIONS + 400  # a small body: every problem is counted
    response = httpx.patch(
        mock.base_url + DATAGRID.url("c1"), json={"agent_ids": list(range(wrong))}, headers=DATAGRID.auth
    )
    detail = response.json()["detail"]
    assert response.status_code == 422 and len(detail) == MAX_VIOLATIONS + 1
    assert detail[-1]["type"] == "too_many_errors" and "400 more" in detail[-1]["msg"]
    assert len(response.content) <= MAX_ERROR_BYTES


def test_an_answer_echoes_only_an_excerpt_of_the_input(mock: Mock) -> None:
    huge = "q" * 200_000
    with Meanwhile(mock):
        response = httpx.patch(
            mock.base_url + DATAGRID.url("c1"),
            json={"agent_ids": huge, "name": ["n" * 50_000] * 2},
            headers=DATAGRID.auth,
            timeout=TIMEOUT,
        )
    assert response.status_code == 422
    assert len(response.content) < 4096, len(response.content)
    assert "q" * 1000 not in response.text and "n" * 1000 not in response.text
    assert {tuple(item["loc"]) for item in response.json()["detail"]} >= {("body", "agent_ids"), ("body", "name")}


def test_a_resource_cannot_grow_past_its_bound(mock: Mock) -> None:
    url = mock.base_url + DATAGRID.url("growing")
    refused = None
    for batch in range(40):
        ids = [f"agent-{batch}-{i}" for i in range(100)]  # participated_agent_ids keeps them all
        response = httpx.patch(url, json={"agent_ids": ids}, headers=DATAGRID.auth, timeout=TIMEOUT)
        if response.status_code != 200:
            refused = response
            break
        assert len(response.content) <= RESOURCE_LIMIT + 1024
    assert refused is not None, "the resource grew for 40 updates without a refusal"
    assert refused.status_code == 413
    assert str(RESOURCE_LIMIT) in refused.json()["detail"]
    again = [f"agent-0-{i}" for i in range(100)]  # known ids: the resource does not grow
    kept = httpx.patch(url, json={"agent_ids": again}, headers=DATAGRID.auth, timeout=TIMEOUT)
    assert kept.status_code == 200 and len(kept.content) <= RESOURCE_LIMIT + 1024
    assert f"agent-{batch}-0" not in kept.text  # the refused update left no trace
    _served(mock)


def _timed_out(server: str, answer: bytes) -> bool:
    """uvicorn (with `serving._LimitedHttpTools`) answers 408; granian closes without a word."""
    return answer.startswith(b"HTTP/1.1 408") if server == "uvicorn" else answer == b""


def test_a_client_slow_to_send_its_headers_gets_408_and_is_closed(mock: Mock, server: str) -> None:
    with Meanwhile(mock):
        answer, closed, seconds = _raw(mock, b"GET / HTTP/1.1\r\nHost: x\r\n")  # and nothing more
    assert _timed_out(server, answer), answer[:200]
    assert closed and seconds < 5  # --header-timeout 1


def test_an_idle_connection_is_closed(mock: Mock, server: str) -> None:
    answer, closed, seconds = _raw(mock, b"")
    assert closed and seconds < 5 and _timed_out(server, answer), answer[:200]


def test_headers_past_the_limit_get_431_and_the_connection_is_closed(mock: Mock) -> None:
    big = b"X-Filler: " + b"f" * (HEADER_LIMIT + 100) + b"\r\n"
    with Meanwhile(mock):
        answer, closed, _ = _raw(mock, b"GET / HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert closed and len(answer) < 1024


def test_a_keep_alive_connection_is_closed_after_the_timeout(mock: Mock) -> None:
    answer, closed, seconds = _raw(mock, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    # uvicorn: --keep-alive-timeout 1; granian has none: the next head's --header-timeout 1
    assert answer.startswith(b"HTTP/1.1 200") and closed and seconds < 5


def test_413_closes_the_connection(mock: Mock) -> None:
    head = (
        f"PATCH {DATAGRID.url('c1')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
    with Meanwhile(mock):
        answer, closed, seconds = _raw(mock, head + chunk * 20)  # past the 1 MiB body limit, never finished
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert closed and seconds < 5


@pytest.mark.parametrize("server", SERVERS)
def test_408_closes_the_connection(server: str, tmp_path: Path) -> None:
    config = ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), body_timeout=0.5)
    build = functools.partial(create_app, None, config)
    served = serve_on_granian(build, tmp_path / "log") if server == "granian" else serve(build())
    with served as url:
        parts = urlsplit(url)
        head = (
            f"PATCH {DATAGRID.url('c1')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        ).encode()
        with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
            sock.sendall(head)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        answer = b"".join(chunks)
    assert answer.startswith(b"HTTP/1.1 408") and b"connection: close" in answer.lower()


def test_past_the_concurrency_limit_a_request_gets_503() -> None:
    with mock_process("specs/omi.yaml", "--quiet", "--limit-concurrency", "3") as mock:
        parts = urlsplit(mock.base_url)
        idle = [socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) for _ in range(4)]
        try:
            time.sleep(0.2)
            assert httpx.get(mock.base_url + "/", timeout=TIMEOUT).status_code == 503
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(mock.base_url + "/", timeout=TIMEOUT).status_code == 200


@NEEDS_GRANIAN
def test_on_granian_past_the_concurrency_limit_a_connection_waits_its_turn() -> None:
    with mock_process("specs/omi.yaml", "--quiet", "--limit-concurrency", "3", "--server", "granian") as mock:
        parts = urlsplit(mock.base_url)
        idle = [socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) for _ in range(3)]
        answered: list[int] = []
        waiting = threading.Thread(
            target=lambda: answered.append(httpx.get(mock.base_url + "/", timeout=TIMEOUT).status_code)
        )
        try:
            time.sleep(0.2)
            waiting.start()
            time.sleep(1.0)
            assert answered == []  # held back while the three connections are open
        finally:
            for sock in idle:
                sock.close()
        waiting.join(timeout=TIMEOUT)
        assert answered == [200]


@pytest.mark.parametrize("server", SERVERS)
def test_sigterm_does_not_wait_for_a_request_that_never_ends(server: str) -> None:
    with mock_process("specs/datagrid.yaml", "--quiet", "--shutdown-timeout", "1", "--server", server) as mock:
        api_url = mock.base_url + "/conversations/c1"

        def slow() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.patch(api_url, json={}, headers={**DATAGRID.auth, "Prefer": "delay=10000"}, timeout=TIMEOUT)

        thread = threading.Thread(target=slow, daemon=True)
        thread.start()
        time.sleep(0.5)  # the request is under way
        started = time.monotonic()
        mock.process.send_signal(signal.SIGTERM)
        mock.process.wait(timeout=TIMEOUT)
        assert time.monotonic() - started < 6  # --shutdown-timeout 1, not the 10 s the request asked for
        # uvicorn re-raises the SIGTERM once it has shut down; granian's supervisor exits 0
        assert mock.process.returncode in (0, -signal.SIGTERM) and "Traceback" not in mock.stderr()


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == f"mockserver {__version__}"


def test_serve_help_gives_every_option_its_default() -> None:
    parser = build_parser()
    serve_parser = next(a for a in parser._subparsers._group_actions if a.dest == "command").choices["serve"]  # type: ignore[union-attr]
    missing = [
        action.option_strings[-1]
        for action in serve_parser._actions
        if action.option_strings
        and action.nargs != 0  # flags (--quiet, --help) are off unless given
        and "default" not in (action.help or "")
    ]
    assert missing == []
    text = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    for flag in ("--admin-token", "--latency", "--error-rate", "--rate-limit", "--max-resource-bytes"):
        assert flag in text, flag
    for flag in ("--header-timeout", "--max-header-bytes", "--limit-concurrency", "--keep-alive-timeout"):
        assert flag in text, flag
    assert "--shutdown-timeout" in text and "--journal-size" in text


def test_no_error_answer_is_larger_than_the_bound() -> None:
    (api,) = load_apis([DATAGRID.spec])
    router: Router[Operation] = Router()
    for op in api.operations:
        router.add(api.prefix + op.path, op.method, op)

    async def wordy(request: MockRequest) -> Problem:
        return Problem(400, "why " * 50_000)

    pipeline = Pipeline(_not_found, router, [wordy], Negotiator(Generation(0, 0.0)), log=False)
    response = TestClient(pipeline).patch("/v1/conversations/c1", json={})
    assert response.status_code == 400
    assert 0 < len(response.content) <= MAX_ERROR_BYTES
    assert "past the bound" in response.json()["detail"]


@pytest.mark.parametrize("server", SERVERS)
def test_worker_processes_keep_the_header_limit(tmp_path: Path, server: str) -> None:
    """`--workers` processes unpickle the server configuration: the limits must come along."""
    state = f"sqlite:///{tmp_path}/state.db"
    args = ("--workers", "2", "--state", state, "--max-header-bytes", str(HEADER_LIMIT), "--quiet", "--server", server)
    with mock_process(*args, "specs/omi.yaml") as workers:
        big = b"X-Filler: " + b"f" * (HEADER_LIMIT + 100) + b"\r\n"
        for _ in range(4):  # the kernel spreads connections over both workers
            answer, closed, _ = _raw(workers, b"GET / HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
            assert answer.startswith(b"HTTP/1.1 431") and closed, answer[:200]
