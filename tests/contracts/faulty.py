"""Deliberately faulty deployments: the mock behind an ASGI middleware that corrupts it.

`Corrupted(app, before, after)` buffers the request, lets `before` answer instead of the mock
(or rewrite the request), then lets `after` rewrite the mock's answer. Each fault in
`catalogue.py` is a few lines on top of this.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import create_app
from mockserver.app import DEFAULT_SPECS, ServerConfig
from mockserver.loader import load_spec
from mockserver.state import Store

TOKEN = "T"


@dataclass
class Exchange:
    """The request as received and the answer so far (mutable by a fault)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    hang: float = 0.0  # seconds to wait before answering (set by a fault that hangs)

    def request_json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def json(self) -> Any:
        return json.loads(self.content)

    def answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
        """Replace the answer with `body` (JSON-encoded unless bytes)."""
        self.status = status
        self.content = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.response_headers = {"content-type": content_type}

    def edit(self, change: Callable[[Any], Any]) -> None:
        """Rewrite the JSON answer with `change` (which may edit in place and return None)."""
        value = self.json()
        changed = change(value)
        self.content = json.dumps(value if changed is None else changed).encode()


Hook = Callable[[Exchange], None]


def _nothing(exchange: Exchange) -> None:
    return None


@dataclass(frozen=True)
class Fault:
    """One way of breaking an API's contract, and the checks that must flag it (all of them,
    at the seed the tests use; the first is the one that names the fault best)."""

    name: str
    api: str
    kind: str
    checks: tuple[str, ...]
    before: Hook = _nothing  # may set a status to answer without the mock, or edit headers/body
    after: Hook = _nothing  # edits the mock's answer (only when it answered)
    args: tuple[str, ...] = ()  # extra suite options for this fault (e.g. --path-param)

    def build(self) -> ASGIApp:
        return Corrupted(mock_app(self.api), self.before, self.after)


def rewritten(api: str, before: Hook = _nothing, after: Hook = _nothing) -> ASGIApp:
    """The mock of `api` with its requests or answers rewritten: a faulty deployment, or a
    faithful variant when the rewrite keeps the contract."""
    return Corrupted(mock_app(api), before, after)


def base_path(api: str) -> str:
    """Where a deployment of `api` serves it: its spec's server path (Datagrid: /v1)."""
    return load_spec(DEFAULT_SPECS / f"{api}.yaml").server_path


def mock_app(api: str, store: Store | None = None) -> ASGIApp:
    config = ServerConfig(tokens=frozenset({TOKEN}), log_requests=False, store=store)
    return create_app([DEFAULT_SPECS / f"{api}.yaml"], config)


class Corrupted:
    def __init__(self, app: ASGIApp, before: Hook, after: Hook) -> None:
        self.app = app
        self.before = before
        self.after = after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        exchange = Exchange(scope["method"], scope["path"], headers, body)
        self.before(exchange)
        if exchange.hang:
            await asyncio.sleep(exchange.hang)
        if exchange.status == 0:
            await self._call_mock(scope, exchange)
            self.after(exchange)
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in exchange.response_headers.items()]
        raw = [(k, v) for k, v in raw if k != b"content-length"]
        raw.append((b"content-length", str(len(exchange.content)).encode()))
        await send({"type": "http.response.start", "status": exchange.status, "headers": raw})
        await send({"type": "http.response.body", "body": exchange.content})

    async def _call_mock(self, scope: Scope, exchange: Exchange) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in exchange.headers.items()]
        inner_scope = {**scope, "headers": headers}
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": exchange.body, "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                exchange.content += message.get("body", b"")

        await self.app(inner_scope, receive, send)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str  # decoded, as the server routes it
    headers: dict[str, str]


class Recording:
    """Pass every request to `app`, remembering what arrived (and sleeping `delay` seconds
    first, for a deployment slower than any time budget a test gives)."""

    def __init__(self, app: ASGIApp, delay: float = 0.0) -> None:
        self.app = app
        self.delay = delay
        self.seen: list[Seen] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.seen.append(Seen(scope["method"], scope["path"], headers))
            if self.delay:
                await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)
