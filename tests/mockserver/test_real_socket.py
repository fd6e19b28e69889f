"""Over a real socket (uvicorn and granian on 127.0.0.1): malformed, oversized, truncated and
abandoned bodies never get a 500 and never hang the server, which keeps answering normal
requests. Every client-side wait is bounded."""

from __future__ import annotations

import functools
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from mockserver import create_app
from mockserver.app import ServerConfig
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS, TOKEN
from tests.servers import SERVERS, serve, serve_on_granian

BODY_TIMEOUT = 0.5
CLIENT_TIMEOUT = 10.0
MIB = 1024 * 1024


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


SERVER_ERRORS = _Collect()
GRANIAN_LOG: list[Path] = []  # the output of the granian process under test, when it is granian


@pytest.fixture(scope="module", params=SERVERS)
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), body_timeout=BODY_TIMEOUT)
    if request.param == "granian":
        log = tmp_path_factory.mktemp("granian") / "output.txt"
        with serve_on_granian(functools.partial(create_app, None, config), log) as url:
            GRANIAN_LOG[:] = [log]
            try:
                yield url
            finally:
                GRANIAN_LOG.clear()
        return
    with serve(create_app(None, config)) as url:
        # An exception escaping the app is logged by uvicorn (and answered 500 if it still can).
        # The handler goes on after start-up: uvicorn's logging set-up replaces handlers.
        logger = logging.getLogger("uvicorn.error")
        logger.addHandler(SERVER_ERRORS)
        try:
            yield url
        finally:
            logger.removeHandler(SERVER_ERRORS)


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT) as client:
        yield client


def _healthy(base_url: str) -> None:
    """The server still answers a normal request, and nothing has crashed inside it so far."""
    crashes = [r.getMessage() + (r.exc_text or "") for r in SERVER_ERRORS.records]
    for log in GRANIAN_LOG:  # granian logs an exception escaping the app as [ERROR] (and answers 500)
        crashes += [
            line for line in log.read_text(errors="replace").splitlines() if "[ERROR]" in line or "Traceback" in line
        ]
    assert crashes == [], crashes
    api = SEED_APIS["datagrid"]
    response = httpx.patch(base_url + api.url("health"), json={"name": "ok"}, headers=api.auth, timeout=CLIENT_TIMEOUT)
    assert response.status_code == 200
    assert response.json()["name"] == "ok"


def _raw_exchange(base_url: str, payload: bytes, *, close_after_send: bool = False) -> tuple[bytes, float]:
    """Send raw bytes, read until the server closes or answers; returns (answer, seconds)."""
    parts = urlsplit(base_url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(payload)
        if close_after_send:
            return b"", time.monotonic() - started
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                if len(rest) >= length:
                    break
        return b"".join(chunks), time.monotonic() - started


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    return int(answer.split(b" ", 2)[1])


def _request_head(path: str, length: int, extra: str = "") -> bytes:
    return (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n"
    ).encode()


MALFORMED = [
    b"{",
    b'{"name": }',
    b"\xff\xfe\xfd",
    b'{"name": NaN}',
    b"[" * 100_000,
    b'{"name": "\\ud800"}',
    b"null",
    b'"just a string"',
    b"\x00" * 64,
    b'{"name": "x"}' * 3,
]


@pytest.mark.parametrize("name", API_NAMES)
def test_malformed_bodies_get_a_4xx(http: httpx.Client, base_url: str, name: str) -> None:
    api = SEED_APIS[name]
    for raw in MALFORMED:
        response = http.request(
            api.method, api.url("c1"), content=raw, headers=api.headers(**{"Content-Type": "application/json"})
        )
        assert 400 <= response.status_code < 500, (raw[:20], response.status_code, response.text[:200])
        assert response.headers["content-type"] == "application/json"
    _healthy(base_url)


def test_oversized_body_is_413_and_the_connection_stays_usable(http: httpx.Client, base_url: str) -> None:
    api = SEED_APIS["mielto"]
    big = json.dumps({"summary": "x" * (2 * MIB)}).encode()
    for _ in range(3):
        response = http.put(api.url("c1"), content=big, headers=api.headers(**{"Content-Type": "application/json"}))
        assert response.status_code == 413
        follow_up = http.put(api.url("c1"), json={"title": "after"}, headers=api.auth)
        assert follow_up.status_code == 200 and follow_up.json()["title"] == "after"


def test_oversized_chunked_body_is_413(http: httpx.Client) -> None:
    api = SEED_APIS["mielto"]

    def chunks() -> Iterator[bytes]:
        yield b'{"summary": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = http.put(api.url("c1"), content=chunks(), headers=api.headers(**{"Content-Type": "application/json"}))
    assert response.status_code == 413


def test_declared_length_longer_than_the_data_is_answered_within_the_body_timeout(base_url: str) -> None:
    path = SEED_APIS["datagrid"].url("c1")
    answer, _seconds = _raw_exchange(base_url, _request_head(path, 100) + b'{"name": "x"')
    assert _status(answer) == 408, answer[:300]  # answered by the server's body timeout, not the client's
    _healthy(base_url)


def test_client_that_disconnects_mid_body(base_url: str) -> None:
    path = SEED_APIS["omi"].url("c1")
    for _ in range(20):
        _raw_exchange(base_url, _request_head(path, 5000) + b'{"title": "par', close_after_send=True)
    _healthy(base_url)


def test_client_that_disconnects_after_the_headers(base_url: str) -> None:
    path = SEED_APIS["openhands"].url("c1")
    for _ in range(10):
        _raw_exchange(base_url, _request_head(path, 50, f"X-Session-API-Key: {TOKEN}\r\n"), close_after_send=True)
    _healthy(base_url)


@pytest.mark.parametrize(
    "payload",
    [
        b"PATCH /datagrid/v1/conversations/c1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer T\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
        b"PATCH /datagrid/v1/conversations/c1 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
        b"PATCH /datagrid/v1/conversations/c1 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
        b"GARBAGE\r\n\r\n",
    ],
    ids=["bad-chunk-size", "non-numeric-length", "negative-length", "not-http"],
)
def test_broken_framing_is_not_a_500(base_url: str, payload: bytes) -> None:
    answer, seconds = _raw_exchange(base_url, payload)
    if answer:  # the server may also just close the connection
        assert 400 <= _status(answer) < 500, answer[:300]
    assert seconds < CLIENT_TIMEOUT
    _healthy(base_url)


def test_many_bad_requests_then_a_good_one(http: httpx.Client, base_url: str) -> None:
    api = SEED_APIS["library-chat"]
    for index in range(50):
        raw = MALFORMED[index % len(MALFORMED)]
        response = http.patch(api.url(f"c{index}"), content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code < 500
    response = http.patch(api.url("final"), json={"title": "still here"})
    assert response.status_code == 200 and response.json()["title"] == "still here"
