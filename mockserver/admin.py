"""The admin API, under `/__mock/`: the mock's own control channel, never an API's.

    GET /__mock/health                       {"status": "ok", ...}; open without a token
    GET /__mock/requests?api=&status=&limit= the request journal (`journal`), newest first

With an admin token every route but health requires `Authorization: Bearer <token>` (401
otherwise); `cli` refuses to listen beyond loopback without one. Other routes (the state
routes) are mounted with `extra_routes`; they sit behind the same token.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.journal import Journal

PREFIX = "/__mock/"
HEALTH = "/__mock/health"
MAX_LIMIT = 1_000


class _AdminToken:
    """ASGI middleware: every admin route but health and the public ones (the index of the
    APIs) needs the bearer token, when there is one."""

    def __init__(self, app: ASGIApp, token: str | None, public: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.public = public | {HEALTH}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected is None or scope["type"] != "http" or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        sent = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
        if not hmac.compare_digest(sent, self.expected):
            detail = "the admin API needs 'Authorization: Bearer <admin token>' (the server's --admin-token)"
            response = JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _bad_request(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=400)


def _statuses(text: str) -> range | str:
    """`422` or a class `4xx`; a message where it is neither."""
    if len(text) == 3 and text.isascii():
        if text.isdigit() and 100 <= int(text) <= 599:
            return range(int(text), int(text) + 1)
        if text[0] in "12345" and text[1:].lower() == "xx":
            first = int(text[0]) * 100
            return range(first, first + 100)
    return f"status must be a status code (422) or a class (4xx), got {text[:20]!r}"


def admin_app(
    journal: Journal,
    token: str | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    public_routes: Sequence[Route] = (),
) -> ASGIApp:
    """The admin API as an ASGI app whose routes carry their full paths (`/__mock/...`);
    `public_routes` (exact paths) need no token."""
    started = time.monotonic()

    async def health(request: Request) -> JSONResponse:
        from mockserver import __version__  # here: the package imports this module as it starts

        uptime = round(time.monotonic() - started, 3)
        return JSONResponse({"status": "ok", "version": __version__, "uptime_s": uptime, "requests": journal.total})

    async def requests(request: Request) -> JSONResponse:
        params = request.query_params
        statuses = None
        if "status" in params:
            parsed = _statuses(params["status"])
            if isinstance(parsed, str):
                return _bad_request(parsed)
            statuses = parsed
        limit = MAX_LIMIT
        if "limit" in params:
            text = params["limit"]
            if not (0 < len(text) <= 4 and text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
                return _bad_request(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {text[:20]!r}")
            limit = int(text)
        entries = journal.find(params.get("api"), statuses, limit)
        return JSONResponse({"requests": [e.as_json() for e in entries], "size": journal.size, "total": journal.total})

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"detail": f"no admin route {scope['path'][:200]!r}"}, status_code=404)(scope, receive, send)

    routes: list[BaseRoute] = [
        Route(HEALTH, health, methods=["GET"]),
        Route("/__mock/requests", requests, methods=["GET"]),
        *extra_routes,
        *public_routes,
    ]
    app = Starlette(routes=routes)
    app.router.default = not_found
    return _AdminToken(app, token, frozenset(route.path for route in public_routes))
