"""`serving`: a request head past the server's limit is read no further and answered by the
app, routed by the part that was read, in the operation's declared error shape (over a real
socket, to the protocol `mockserver serve` uses)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

from mockserver.serving import ServeLimits
from tests.mockserver.conftest import AppFactory, SpecWriter
from tests.servers import serve

LIMIT = 2048
ERROR = {
    "type": "object",
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
    "required": ["code", "message"],
}


def _operation(operation_id: str, errors: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "found"}, **errors},
        }
    }


def _document() -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": ERROR}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "limits", "version": "1"},
        "paths": {
            "/ranged/{id}": _operation("ranged", {"4XX": {"description": "bad", **error}}),
            "/precise/{id}": _operation("precise", {"414": {"description": "too long", **error}}),
            "/ranged/{id}/mine": {"put": _operation("mine", {"4XX": {"description": "bad", **error}})["get"]},
            # What a URL cut inside `/ranged/...` could also be: it answers alike, so either will do.
            "/ranged/{id}/other": _operation("other", {"4XX": {"description": "bad", **error}}),
        },
    }


@pytest.fixture
def url(make_app: AppFactory, write_spec: SpecWriter) -> Iterator[str]:
    with serve(make_app([write_spec(_document())]), limits=ServeLimits(max_header_bytes=LIMIT)) as base:
        yield base


def _exchange(base: str, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `head` at once, read until the server closes: (status, headers, body)."""
    split = urlsplit(base)
    with socket.create_connection((split.hostname, split.port), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        while chunk := sock.recv(65536):  # ends only when the server closes the connection
            data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


def test_an_over_long_url_is_answered_in_the_declared_error_shape(url: str) -> None:
    status, headers, body = _exchange(url, _get("/ranged/" + "a" * LIMIT))
    assert (status, headers["content-type"], headers["connection"]) == (400, "application/json", "close")
    answer = json.loads(body)
    assert not list(Draft202012Validator(ERROR).iter_errors(answer))
    assert answer["message"] == f"the request line is longer than the server's limit of {LIMIT} bytes"


def test_the_precise_status_where_the_operation_declares_it(url: str) -> None:
    status, _, body = _exchange(url, _get("/precise/" + "a" * LIMIT))
    assert status == 414 and not list(Draft202012Validator(ERROR).iter_errors(json.loads(body)))


def test_an_over_long_url_of_no_operation_is_414(url: str) -> None:
    status, headers, body = _exchange(url, _get("/elsewhere/" + "a" * LIMIT))
    assert (status, headers["content-type"]) == (414, "application/json")
    assert "longer than the server's limit" in json.loads(body)["detail"]


def test_headers_past_the_limit(url: str) -> None:
    big = f"X-Filler: {'f' * LIMIT}\r\n"
    assert _exchange(url, _get("/ranged/a", big))[0] == 400
    status, _, body = _exchange(url, _get("/", big))
    assert status == 431 and "request line and headers" in json.loads(body)["detail"]


def test_the_answer_reaches_a_client_still_sending(url: str) -> None:
    """A URL past what httptools can parse (64 KB), sent at once: the server stops reading
    early, and closing then would reset the connection before the client reads the answer."""
    status, _, body = _exchange(url, _get("/ranged/" + "a" * 300_000))
    assert status == 400 and "longer than the server's limit" in json.loads(body)["message"]


def test_a_url_cut_inside_its_path_takes_the_shape_of_the_one_operation_it_could_be(url: str) -> None:
    """`/ranged/aaa...` cut by the limit may be `/ranged/{id}/mine`, the one path with a PUT:
    not a 405 of `/ranged/{id}`, which has none."""
    status, _, body = _exchange(url, f"PUT /ranged/{'a' * LIMIT} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    answer = json.loads(body)
    assert status == 400 and not list(Draft202012Validator(ERROR).iter_errors(answer)), answer


def test_a_method_the_path_does_not_have_is_405_however_long_the_url(url: str) -> None:
    status, headers, _ = _exchange(url, f"TRACE /ranged/{'a' * LIMIT} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    # Cut inside its path: the methods of every path it could be (`/ranged/{id}`, `.../mine`).
    assert (status, headers["allow"], headers["connection"]) == (405, "GET, HEAD, PUT", "close")
