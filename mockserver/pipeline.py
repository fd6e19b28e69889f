"""The request line.

    route -> [credentials -> body -> validation -> Prefer -> resources] -> render -> send

`Pipeline` is the Starlette app's middleware. It routes the raw path, builds the one
`MockRequest` value, and runs the stages in order; each stage has the same shape,
`async (MockRequest) -> MockResponse | Problem | None`: `None` lets the next stage go on,
anything else is the answer. A `Problem` (a client's mistake) is turned into a response by
`Negotiator.render`, in one place. The list itself is composed by `app.create_app`, so a
new stage (fault injection, a proxy, a journal) is one more item in it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.errors import GeneratedBodyError
from mockserver.negotiator import Negotiator
from mockserver.operations import Operation
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.responses import MockResponse, send_response
from mockserver.routing import MethodNotAllowed, Router

access_log = logging.getLogger("mockserver.access")

Stage = Callable[[MockRequest], Awaitable[MockResponse | Problem | None]]
_BROKEN = "the mock built a body that breaks its own schema; please report this"


class Pipeline:
    """ASGI middleware: answers every request whose path an API declares and hands the
    rest (the index, the specs, unknown paths) to the Starlette app behind it."""

    def __init__(
        self, app: ASGIApp, router: Router[Operation], stages: Sequence[Stage], negotiator: Negotiator, log: bool
    ) -> None:
        self.app = app
        self.router = router
        self.stages = tuple(stages)
        self.negotiator = negotiator
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method: str = scope["method"]
        raw = scope.get("raw_path")
        path = raw.decode("latin-1").split("?", 1)[0] if raw else scope["path"]
        match = self.router.match(method, path)
        if match is None:
            await self._pass_through(scope, receive, send, started)
            return
        if isinstance(match, MethodNotAllowed):
            allow = (("Allow", ", ".join(match.allow)),)
            response, api = self.negotiator.render(None, Problem(405, "Method Not Allowed", headers=allow)), "-"
        else:
            request = _request(match.target, match.path_params, scope, receive)
            response, api = await self.answer(request), match.target.api
        await send_response(send, response, head_only=method == "HEAD")
        if self.log:
            self._log(scope, api, response.status, started, response.note)

    async def answer(self, request: MockRequest) -> MockResponse:
        """Run the stages over `request`; the first that answers decides."""
        try:
            for stage in self.stages:
                outcome = await stage(request)
                if outcome is None:
                    continue
                if isinstance(outcome, Problem):
                    return self.negotiator.render(request.op, outcome)
                return self.negotiator.finish(request, outcome)
        except GeneratedBodyError as exc:
            access_log.error("%s", exc)
            return MockResponse(500, {"detail": _BROKEN})
        op = request.op
        access_log.error("no stage answered %s %s", op.method, op.path)
        return MockResponse(500, {"detail": "no stage of the mock answered this request; please report this"})

    async def _pass_through(self, scope: Scope, receive: Receive, send: Send, started: float) -> None:
        """Not an API operation: the Starlette app answers (index, specs, 404), logged all the same."""
        if not self.log:
            await self.app(scope, receive, send)
            return
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        self._log(scope, "-", status, started)

    @staticmethod
    def _log(scope: Scope, api: str, status: int, started: float, note: str = "") -> None:
        if access_log.isEnabledFor(logging.INFO):
            elapsed = (time.perf_counter() - started) * 1000
            why = f" {note[:200]!r}" if note else ""
            access_log.info("%s %s %s %d %.2fms%s", scope["method"], scope["path"], api, status, elapsed, why)


def _request(op: Operation, path_params: dict[str, str], scope: Scope, receive: Receive) -> MockRequest:
    # The first of repeated headers wins, as in Starlette's `Headers.get`.
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(scope["headers"])}
    raw_query: str = scope["query_string"].decode("latin-1")
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True) if raw_query else ():
        query.setdefault(key, value)  # the first of repeated parameters, like the headers
    return MockRequest(op, path_params, headers, query, receive, raw_query)
