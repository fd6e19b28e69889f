"""The mock on granian's own interface, RSGI (`--server granian`, see `serving_granian`).

granian calls `RSGIApp.__rsgi__(scope, protocol)` once per request. A request for an
operation of an API, once the app's short way is open (see `app.MockApp`: the initial state
is written) and without an `Origin` where CORS is on, goes to the pipeline as it is: its
`MockRequest` is made from granian's scope and its answer written with one
`protocol.response_bytes`, without ASGI's messages in between (granian's ASGI layer costs
the mock about a fifth of its throughput: bench/README.md, seventh round). Every other
request (the first one, the index and the documents, the admin API, unknown paths, 405s,
requests with an `Origin`) is an ASGI call of the app, through `asgi_scope`, `Receive` and
`Send`.

Where RSGI differs from uvicorn, by what granian hands the app (tests/mockserver/test_rsgi.py):
- the path comes percent-decoded, its raw form lost: an encoded `/` (`%2F`) is a `/`, so a
  path parameter cannot hold one as it can on uvicorn (see `routing`); a `%` (sent as `%25`)
  and characters beyond ASCII are escaped again before routing (`routed`), so they arrive
  as sent;
- a request header whose value is not ASCII is left out (uvicorn passes it on, decoded as
  latin-1), so it is missing rather than malformed to the stages; a response header's value
  beyond ASCII goes out as UTF-8 (uvicorn writes it as latin-1);
- a path or query sent as raw UTF-8 (not percent-encoded) is read as UTF-8, where uvicorn
  refuses the request (400);
- a chunked body whose last chunk never comes, the connection closed after it, ends where
  the connection did (granian's body iterator ends without an error): what was sent is
  answered, where uvicorn answers 400. A body with a `Content-Length` cut short is a
  disconnect (400) on both.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote

from granian._granian import RSGIProtocolClosed, RSGIProtocolError
from starlette.types import ASGIApp, Message, Scope

from mockserver.app import MockApp
from mockserver.operations import Operation
from mockserver.pipeline import ADMIN_PREFIX, Pipeline, closing, query_of
from mockserver.request import MockRequest
from mockserver.responses import wire
from mockserver.routing import RouteMatch

if TYPE_CHECKING:
    from granian._granian import RSGIHeaders
    from granian._granian import RSGIHTTPProtocol as HTTPProtocol
    from granian._granian import RSGIHTTPStreamTransport as HTTPStreamTransport
    from granian.rsgi import Scope as RSGIScope

# What stays as it is when a decoded path is escaped again (RFC 3986's pchar and `/`).
_SAFE = "/!$&'()*+,;=:@-._~"


def routed(path: str) -> str:
    """The decoded `path` as a raw one that decodes to it: `%` and what is beyond ASCII escaped."""
    return path if path.isascii() and "%" not in path else quote(path, safe=_SAFE)


def asgi_scope(scope: RSGIScope, raw_path: str) -> Scope:
    """The ASGI scope of an RSGI request (`raw_path`: its `routed` path)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": scope.path,
        "raw_path": raw_path.encode("ascii"),
        "query_string": scope.query_string.encode("utf-8"),  # as sent: granian decoded it as UTF-8
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()],
        "client": _address(scope.client),
        "server": _address(scope.server),
    }


def _address(text: str) -> tuple[str, int] | None:
    """("host", port) of granian's "host:port" ("[v6]:port" for IPv6)."""
    host, _, port = text.rpartition(":")
    return (host.strip("[]"), int(port)) if port.isdigit() else None


class Receive:
    """ASGI's `receive` over RSGI's body, `length` bytes long where the request says (None:
    chunked). With `whole`, all of it in one message: only on the short way, where
    `body.BodyReader` refuses a length over its limit before it reads, and hyper reads no
    more than a `Content-Length`. Otherwise chunk by chunk, so a reader stops at its own
    limit (the admin API's); a body with a `Content-Length` that ends short of it is a
    disconnect. Then `http.disconnect` once the client has gone."""

    __slots__ = ("chunks", "done", "length", "protocol", "received", "whole")

    def __init__(self, protocol: HTTPProtocol, length: int | None, whole: bool = False) -> None:
        self.protocol = protocol
        self.length = length
        self.whole = whole and length is not None
        self.chunks: AsyncIterator[bytes] | None = None
        self.done = False
        self.received = 0

    async def __call__(self) -> Message:
        if self.done:
            await self.protocol.client_disconnect()
            return {"type": "http.disconnect"}
        try:
            if self.whole:
                self.done = True
                return {"type": "http.request", "body": await self.protocol(), "more_body": False}
            if self.chunks is None:
                self.chunks = aiter(self.protocol)
            try:
                chunk = bytes(await anext(self.chunks))
            except StopAsyncIteration:
                self.done = True
                if self.length is not None and self.received < self.length:
                    return {"type": "http.disconnect"}  # granian ends the iterator where the client went
                return {"type": "http.request", "body": b"", "more_body": False}
            self.received += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": True}
        except (RSGIProtocolError, RSGIProtocolClosed):  # the client went before the whole body
            self.done = True
            return {"type": "http.disconnect"}


def body_length(headers: RSGIHeaders) -> int | None:
    """The body's length a request declares: its `Content-Length`, 0 without one, None when
    chunked (hyper has refused a malformed or conflicting length with a 400)."""
    if "transfer-encoding" in headers:
        return None
    declared = headers.get("content-length")
    return int(declared) if declared is not None and declared.isdigit() else 0


class Send:
    """ASGI's `send` over RSGI's answer: one `response_bytes` for a body in one message (the
    mock's answers and Starlette's), a stream for a body in several."""

    __slots__ = ("headers", "protocol", "sent", "status", "stream")

    def __init__(self, protocol: HTTPProtocol) -> None:
        self.protocol = protocol
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.stream: HTTPStreamTransport | None = None
        self.sent = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = _text(message.get("headers", ()))
        elif message["type"] == "http.response.body" and not self.sent:
            body, more = message.get("body", b""), message.get("more_body", False)
            if self.stream is None and not more:
                self.sent = True
                self.protocol.response_bytes(self.status, self.headers, body)
                return
            if self.stream is None:
                self.stream = self.protocol.response_stream(self.status, self.headers)
            if body:
                await self.stream.send_bytes(body)
            self.sent = not more


def _text(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]


class RSGIApp:
    """An ASGI app served on RSGI; a `MockApp`'s operations the short way the module docstring
    describes. Callable as well, as granian's loader types its targets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.mock = app if isinstance(app, MockApp) else None

    async def __call__(self, scope: RSGIScope, protocol: HTTPProtocol) -> None:
        await self.__rsgi__(scope, protocol)

    async def __rsgi__(self, scope: RSGIScope, protocol: HTTPProtocol) -> None:
        started = time.perf_counter()
        headers, decoded, method = scope.headers, scope.path, scope.method
        path = routed(decoded)
        length = body_length(headers)
        found = self._operation(method, path, headers)
        if found is None:
            await self.app(asgi_scope(scope, path), Receive(protocol, length), Send(protocol))
            return
        pipeline, match, cors = found
        op, raw_query = match.target, scope.query_string
        # The first of repeated headers wins, as on uvicorn (`pipeline._request`).
        given = dict(reversed(headers.items()))
        request = MockRequest(
            op, match.path_params, given, query_of(raw_query), Receive(protocol, length, whole=True), raw_query
        )
        outcome, response = await pipeline.respond(request)
        response = closing(response)
        if response.status:  # 0 (a reset connection) is not had on granian: `faults.reset` answers 501
            head, body = wire(response, method == "HEAD", cors)
            protocol.response_bytes(response.status, _text(head), body)
        pipeline.record(method, decoded, op.api, op.operation_id, outcome, response, started)

    def _operation(
        self, method: str, path: str, headers: RSGIHeaders
    ) -> tuple[Pipeline, RouteMatch[Operation], bool] | None:
        """The pipeline, operation and CORS setting of a request that goes the short way; None
        for the rest."""
        mock = self.mock
        if mock is None or (pipeline := mock.pipeline) is None:
            return None
        if path.startswith(ADMIN_PREFIX) or (mock.cors and "origin" in headers):
            return None
        match = pipeline.router.match(method, path)
        return (pipeline, match, mock.cors) if isinstance(match, RouteMatch) else None


def rsgi_app(build: Callable[[], ASGIApp]) -> RSGIApp:
    """The RSGI app of the ASGI app `build()` makes (granian's target loader, in each worker)."""
    return RSGIApp(build())
