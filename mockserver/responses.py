"""What the pipeline answers with (`MockResponse`) and how it goes on the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass

import orjson
from starlette.types import Send

from mockserver.cors import RawHeaders
from mockserver.cors import vary_origin as vary_origin_of
from mockserver.media import is_json_wire
from mockserver.types import JSON

# orjson is several times faster than the standard library on large bodies; the standard
# library is the fallback for what orjson refuses (integers beyond 64 bits, lone surrogates
# echoed from a request), written as ASCII escapes so the bytes are always valid UTF-8.
_FALLBACK = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)
_NO_BODY = object()
# The body of an answer that is only its `wire` bytes (a page of stored items sent as the store
# holds them): it has a body, which nothing reads (no check, no encoding runs for it).
STORED: JSON = object()


@dataclass(slots=True)
class MockResponse:
    status: int
    body: JSON = _NO_BODY
    media_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    note: str = ""  # for the access log: what was wrong with the request (the first problem)
    wire: bytes | None = None  # the body already encoded as JSON, sent where the body goes as JSON (STORED: all of it)

    @property
    def has_body(self) -> bool:
        return self.body is not _NO_BODY


def error(status: int, detail: JSON, headers: tuple[tuple[str, str], ...] = ()) -> MockResponse:
    """An error in the FastAPI shape, `{"detail": ...}`."""
    return MockResponse(status, {"detail": detail}, headers=headers)


def encode(body: JSON) -> bytes:
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        text: str = _FALLBACK.encode(body)
        return text.encode("ascii")


def wire(response: MockResponse, head_only: bool = False, vary_origin: bool = False) -> tuple[RawHeaders, bytes]:
    """The head's headers (ASGI's: lower-case names, bytes) and the body's bytes of `response`,
    with `Origin` in its `Vary` header if `vary_origin` (see `cors`); the body is empty with
    `head_only`, its length still said."""
    payload = b""
    body, status = response.body, response.status
    if body is not _NO_BODY:
        if isinstance(body, str) and not is_json_wire(response.media_type):
            payload = body.encode("utf-8")
        else:
            payload = response.wire if response.wire is not None else encode(body)
    headers = []
    if status >= 200 and status not in (204, 304):  # these carry no body, nor its length
        headers.append((b"content-length", b"%d" % len(payload)))
    else:
        payload = b""
    if payload or (body is not _NO_BODY and status != 304):
        # An empty body of a declared type (an image the mock cannot build) still says its type;
        # so does a 204, which carries no body, where a document declares a media type for it.
        headers.append((b"content-type", response.media_type.encode("latin-1")))
    if response.headers:
        headers.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers)
    if vary_origin:
        vary_origin_of(headers)
    return headers, b"" if head_only else payload


async def send_response(send: Send, response: MockResponse, head_only: bool = False, vary_origin: bool = False) -> None:
    """Write `response` as `wire` makes it."""
    headers, payload = wire(response, head_only, vary_origin)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
