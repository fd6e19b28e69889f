"""How a `MockResponse` goes on the wire: the raw header list and body `send_response` sends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mockserver.responses import MockResponse, send_response

RawHeaders = list[tuple[bytes, bytes]]


def _sent(response: MockResponse, vary_origin: bool = False, head_only: bool = False) -> tuple[RawHeaders, bytes]:
    messages: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        messages.append(message)

    asyncio.run(send_response(send, response, head_only=head_only, vary_origin=vary_origin))
    start, body = messages
    assert start["status"] == response.status
    return start["headers"], body["body"]


@pytest.mark.parametrize("vary_origin", [False, True])
def test_a_body_goes_with_its_length_and_type(vary_origin: bool) -> None:
    headers, body = _sent(MockResponse(200, {"ok": True}), vary_origin)
    assert body == b'{"ok":true}'
    origin = [(b"vary", b"Origin")] if vary_origin else []
    assert headers == [(b"content-length", b"11"), (b"content-type", b"application/json"), *origin]


def test_declared_headers_follow_and_a_declared_vary_gets_origin_added() -> None:
    response = MockResponse(201, "hi", media_type="text/plain", headers=(("Location", "/v1/x/1"), ("Vary", "Accept")))
    headers, body = _sent(response, vary_origin=True)
    assert body == b"hi"
    assert headers == [
        (b"content-length", b"2"),
        (b"content-type", b"text/plain"),
        (b"location", b"/v1/x/1"),
        (b"vary", b"Accept, Origin"),
    ]


def test_a_204_and_a_head_carry_no_body() -> None:
    headers, body = _sent(MockResponse(204, None))
    assert (headers, body) == ([(b"content-type", b"application/json")], b"")
    headers, body = _sent(MockResponse(200, None, wire=b"[1,2]"), head_only=True)
    assert (headers[0], body) == ((b"content-length", b"5"), b"")
    assert _sent(MockResponse(404))[0] == [(b"content-length", b"0")]  # no body, no type
