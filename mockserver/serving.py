"""How the mock is served on uvicorn (the default `--server`), with its limits set on
purpose (`ServeLimits`, which `serving_granian` maps onto granian's options).

uvicorn bounds neither how long a client may take to send its request head nor how large
the head may be (its httptools protocol buffers any number of header bytes, and refuses a
URL past 64 KB, which httptools cannot parse, with a text/plain 400), so `_LimitedHttpTools`
adds both to that protocol: a head not complete within `header_timeout` gets 408 and the
connection is closed; a head past `max_header_bytes` is read no further, and the app is
asked to answer it (`pipeline.HEAD_TOO_LARGE`: routed by the part of the URL that was read,
414 for the request line or 431 for the headers, in the operation's declared error shape),
then the connection is closed. The rest are uvicorn's own settings: `limit_concurrency` (503
past it), the keep-alive timeout, and the graceful-shutdown timeout (past it, SIGTERM
cancels the requests still running, such as an answer to a client that does not read).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import STATUS_LINE as _STATUS_LINE
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from mockserver.pipeline import HEAD_TOO_LARGE


@dataclass(frozen=True)
class ServeLimits:
    header_timeout: float = 10.0  # seconds for the request line and headers
    max_header_bytes: int = 16 * 1024  # request line and headers, 431 past it
    limit_concurrency: int = 1000  # connections and requests at once, 503 past it
    keep_alive_timeout: int = 5  # seconds an idle connection stays open
    shutdown_timeout: int = 5  # seconds SIGTERM waits for running requests


class _HeadTooLarge(Exception):
    pass


class _LingeringClose:
    """The connection's transport, but `close` first half-closes it and keeps reading (and
    dropping) what the client still sends, for at most `linger` seconds: a socket closed with
    unread data is reset by the kernel, and the client would lose the answer written to it."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop, linger: float) -> None:
        self._transport = transport
        self._loop = loop
        self._linger = linger

    def close(self) -> None:
        if self._transport.is_closing():
            return
        if not self._transport.can_write_eof():
            self._transport.close()
            return
        self._transport.write_eof()
        self._transport.resume_reading()
        self._loop.call_later(self._linger, self._transport.close)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _LimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head (size and time)."""

    limits = ServeLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._refusal: int | None = None
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        if self._head_timer is None:
            self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refusal is None:  # after a refusal the rest of the request is not read
            super().data_received(data)

    # Called for every header of every request: counted inline, the parent's method called
    # directly (no `super()` lookup).
    def on_url(self, url: bytes) -> None:
        room = self.limits.max_header_bytes - self._head_bytes
        if len(url) > room:
            super().on_url(url[: max(room, 0)])  # what routes the refusal
            self._over(414)
        self._head_bytes += len(url)
        HttpToolsProtocol.on_url(self, url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if self._head_bytes > self.limits.max_header_bytes:
            self._over(431)
        HttpToolsProtocol.on_header(self, name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        # httptools reports an exception raised in a callback as a parse error, answered here.
        if self._refusal is None:
            super().send_400_response(msg)
        elif not self._answer_by_app(self._refusal):
            self._refuse(self._refusal, "request line and headers are larger than the server's limit")

    def _over(self, status: int) -> None:
        self._refusal = status
        self._disarm()
        raise _HeadTooLarge

    def _answer_by_app(self, status: int) -> bool:
        """Let the app answer a head read only in part, as the request the part names."""
        try:
            method = self.parser.get_method().decode("ascii")
        except Exception:  # the parser did not get as far as the method
            return False
        part = "request line is" if status == 414 else "request line and headers are"
        detail = f"the {part} longer than the server's limit of {self.limits.max_header_bytes} bytes"
        raw_path = self.url.split(b"?", 1)[0]
        # A request line cut before its `?` may have been cut inside the path.
        whole = status == 431 or b"?" in self.url
        refusal = {"status": status, "detail": detail, "whole_path": whole}
        extensions = {**(self.scope.get("extensions") or {}), HEAD_TOO_LARGE: refusal}
        scope = {
            **self.scope,
            "method": method,
            "path": self.root_path + unquote(raw_path.decode("latin-1")),
            "raw_path": self.root_path.encode("latin-1") + raw_path,
            "query_string": b"",
            "extensions": extensions,
        }
        existing = self.cycle
        self.cycle = RequestResponseCycle(
            scope=scope,  # type: ignore[arg-type]
            transport=_LingeringClose(self.transport, self.loop, self.limits.header_timeout),  # type: ignore[arg-type]
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=False,  # closed once answered
            on_response=self.on_response_complete,
        )
        self.cycle.more_body = False  # its body is not read
        if existing is None or existing.response_complete:
            self._start_asgi_task(self.cycle, self.app)
        else:  # an earlier request of this connection is still being answered
            self.pipeline.appendleft((self.cycle, self.app))
        return True

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self._refuse(408, "request line and headers not received in time")
        else:  # an answer is being written on this connection: do not interleave another
            self.cycle.keep_alive = False

    def _refuse(self, status: int, why: str) -> None:
        body = why.encode("ascii")
        head = [_STATUS_LINE[status]]
        head.extend(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers)
        head.append(b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n" % len(body))
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        _LingeringClose(self.transport, self.loop, self.limits.header_timeout).close()


class LimitedHttpTools(_LimitedHttpTools):
    """The protocol uvicorn is given: a module-level class, so that `--workers` processes
    (which unpickle the configuration) find it; its limits are set by `use_limits`."""


def use_limits(limits: ServeLimits) -> None:
    """The limits every connection of this process gets (one server per process)."""
    LimitedHttpTools.limits = limits


def uvicorn_config(app: Any, limits: ServeLimits, **options: Any) -> uvicorn.Config:
    """A uvicorn configuration for `app` with `limits`; `options` go to `uvicorn.Config`."""
    use_limits(limits)
    return uvicorn.Config(
        app,
        http=LimitedHttpTools,
        limit_concurrency=limits.limit_concurrency,
        timeout_keep_alive=limits.keep_alive_timeout,
        timeout_graceful_shutdown=limits.shutdown_timeout,
        **options,
    )


def serve_uvicorn(
    app: ASGIApp, worker_app: Callable[[], ASGIApp], sock: socket.socket, limits: ServeLimits, workers: int
) -> None:
    """Serve `app` on the bound `sock` until SIGTERM or Ctrl-C; with several `workers`, each
    worker process (a new interpreter) builds its own with `worker_app` (a picklable callable)."""
    # A local mock trusts no proxy: X-Forwarded-* headers are the client's own data.
    served = uvicorn_config(app, limits, log_level="warning", access_log=False, lifespan="off", proxy_headers=False)
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        served.app, served.factory, served.workers = worker_app, True, workers
        Multiprocess(served, sockets=[sock]).run()
        return
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after a graceful shutdown
        uvicorn.Server(served).run(sockets=[sock])
