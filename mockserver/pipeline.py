"""The request line.

    route -> [faults -> credentials -> body -> validation -> Prefer -> error rate -> resources]
          -> render -> bound -> send -> journal + access log

`Pipeline` is the Starlette app's middleware. It routes the raw path, builds the one
`MockRequest` value, and runs the stages in order; each stage has the same shape,
`async (MockRequest) -> MockResponse | Problem | None`: `None` lets the next stage go on,
anything else is the answer. A `Problem` (a client's mistake) is turned into a response by
`Negotiator.render`, in one place, and an error answer larger than `MAX_ERROR_BYTES` is
replaced by its one-line message. A request whose head the server refused to read to its
end (`HEAD_TOO_LARGE`, set by `serving`) is routed by what was read and answered with that
refusal in the operation's declared error shape (or 405 for a method the path does not
have), no stage run; a request line cut inside its path is routed by `Router.match_prefix`.
The list itself is composed by `app.create_app`, so a new stage (fault injection, a proxy)
is one more item in it. Every request but the admin API's (`/__mock/...`, handed to
`admin`) is recorded in the `journal.Journal`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.cors import varying
from mockserver.errors import GeneratedBodyError
from mockserver.journal import Journal
from mockserver.negotiator import Negotiator
from mockserver.operations import Operation
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.responses import MockResponse, encode, send_response
from mockserver.routing import MethodNotAllowed, Router

access_log = logging.getLogger("mockserver.access")

Stage = Callable[[MockRequest], Awaitable[MockResponse | Problem | None]]
_BROKEN = "the mock built a body that breaks its own schema; please report this"
MAX_ERROR_BYTES = 64 * 1024
ADMIN_PREFIX = "/__mock/"
# After these the rest of the request is not read: the connection cannot carry another one.
_CLOSE_AFTER = frozenset({408, 413})
_CLOSE = (("Connection", "close"),)
# A scope extension set by `serving` for a request whose head was larger than the server's
# limit: {"status": 414 | 431, "detail": why}. Its path is the part of the URL that was read.
HEAD_TOO_LARGE = "mockserver.head_too_large"


class Pipeline:
    """ASGI middleware: answers every request whose path an API declares and hands the
    rest (the index, the specs, unknown paths) to the Starlette app behind it."""

    def __init__(
        self,
        app: ASGIApp,
        router: Router[Operation],
        stages: Sequence[Stage],
        negotiator: Negotiator,
        log: bool,
        journal: Journal | None = None,
        admin: ASGIApp | None = None,
    ) -> None:
        self.app = app
        self.router = router
        self.stages = tuple(stages)
        self.negotiator = negotiator
        self.log = log
        self.journal = journal if journal is not None else Journal(0)
        self.admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.serve(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send, vary_origin: bool = False) -> None:
        """Answer an HTTP request; with `vary_origin` (CORS is on, the request has no
        `Origin`, see `cors`) every answer says `Vary: Origin`."""
        started = time.perf_counter()
        method: str = scope["method"]
        raw = scope.get("raw_path")
        path = raw.decode("latin-1").split("?", 1)[0] if raw else scope["path"]
        refused = (scope.get("extensions") or {}).get(HEAD_TOO_LARGE)
        if self.admin is not None and path.startswith(ADMIN_PREFIX) and refused is None:
            await self.admin(scope, receive, varying(send) if vary_origin else send)
            return
        if refused is not None and not refused.get("whole_path", True):
            status = int(refused["status"])
            match = self.router.match_prefix(method, path, lambda a, b: _same_answer(a, b, status))
        else:
            match = self.router.match(method, path)
        if match is None and refused is None:
            await self._pass_through(scope, receive, varying(send) if vary_origin else send, started)
            return
        outcome: MockResponse | Problem
        api, operation = "-", None
        if isinstance(match, MethodNotAllowed):  # the method and path tell, however long the rest
            allow = (("Allow", ", ".join(match.allow)),)
            outcome = Problem(405, "Method Not Allowed", headers=allow if refused is None else (*allow, *_CLOSE))
            response = self.negotiator.render(None, outcome)
        elif refused is not None:  # the server read only part of the head: answer that, nothing else
            op = match.target if match is not None else None
            outcome = Problem(_head_status(op, refused["status"]), str(refused["detail"]), headers=_CLOSE)
            response = self.render(op, outcome) if op is not None else self.negotiator.render(None, outcome)
            if op is not None:
                api, operation = op.api, op.operation_id
        else:
            assert match is not None  # no match and no refusal went to the Starlette app
            request = _request(match.target, match.path_params, scope, receive)
            outcome, response = await self.respond(request)
            api, operation = match.target.api, match.target.operation_id
        response = closing(response)
        if response.status:  # 0: the connection was reset on purpose, there is no one to answer
            await send_response(send, response, head_only=method == "HEAD", vary_origin=vary_origin)
        self.record(method, scope["path"], api, operation, outcome, response, started)

    async def respond(self, request: MockRequest) -> tuple[MockResponse | Problem, MockResponse]:
        """The stages' outcome for `request` and the answer it makes (`closing` not yet applied)."""
        outcome = await self.run(request)
        return outcome, self.render(request.op, outcome) if isinstance(outcome, Problem) else outcome

    def record(
        self,
        method: str,
        path: str,
        api: str,
        operation: str | None,
        outcome: MockResponse | Problem,
        response: MockResponse,
        started: float,
    ) -> None:
        """An answered request into the journal and the access log (`path`: percent-decoded)."""
        elapsed = (time.perf_counter() - started) * 1000
        violations = outcome.violations if isinstance(outcome, Problem) else ()
        self.journal.record(method, path, api, operation, response.status, elapsed, response.note, violations)
        if self.log:
            self._log(method, path, api, response.status, elapsed, response.note)

    async def run(self, request: MockRequest) -> MockResponse | Problem:
        """The stages' answer to `request`, a `Problem` not yet rendered."""
        try:
            for stage in self.stages:
                outcome = await stage(request)
                if outcome is None:
                    continue
                if isinstance(outcome, Problem):
                    return outcome
                return self.negotiator.finish(request, outcome)
        except GeneratedBodyError as exc:
            access_log.error("%s", exc)
            return MockResponse(500, {"detail": _BROKEN})
        op = request.op
        access_log.error("no stage answered %s %s", op.method, op.path)
        return MockResponse(500, {"detail": "no stage of the mock answered this request; please report this"})

    def render(self, op: Operation, problem: Problem) -> MockResponse:
        """`problem` as the operation's answer, at most `MAX_ERROR_BYTES` of it."""
        response = self.negotiator.render(op, problem)
        size = len(encode(response.body)) if response.has_body else 0
        if size <= MAX_ERROR_BYTES:
            return response
        message = problem.message if len(problem.message) <= 300 else problem.message[:300] + "..."
        short = f"{message} (the whole answer would be {size} bytes, past the bound of {MAX_ERROR_BYTES})"
        return self.negotiator.render(op, Problem(problem.status, short, headers=problem.headers))

    async def _pass_through(self, scope: Scope, receive: Receive, send: Send, started: float) -> None:
        """Not an API operation: the Starlette app answers (index, specs, 404), logged all the same."""
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        elapsed = (time.perf_counter() - started) * 1000
        self.journal.record(scope["method"], scope["path"], "-", None, status, elapsed)
        if self.log:
            self._log(scope["method"], scope["path"], "-", status, elapsed)

    @staticmethod
    def _log(method: str, path: str, api: str, status: int, elapsed: float, note: str = "") -> None:
        if access_log.isEnabledFor(logging.INFO):
            why = f" {note[:200]!r}" if note else ""
            access_log.info("%s %s %s %d %.2fms%s", method, path, api, status, elapsed, why)


def _same_answer(one: Operation, other: Operation, precise: int) -> bool:
    """Whether a refused head is answered alike for both operations: the same status, and a
    declared response for it of the same media type and schema (or none for both)."""
    status = _head_status(one, precise)
    if status != _head_status(other, precise):
        return False
    first, second = one.response_for(status), other.response_for(status)
    if first is None or second is None:
        return first is second
    if first.media_type != second.media_type:
        return False
    try:
        return first.schema == second.schema
    except RecursionError:
        return False


def _head_status(op: Operation | None, precise: int) -> int:
    """The status of a refused head (414: request line, 431: headers): the precise one where
    the operation declares it, else 400 where it declares an answer for that, else the precise one."""
    if op is None or str(precise) in op.responses or op.response_for(400) is None:
        return precise
    return 400


def closing(response: MockResponse) -> MockResponse:
    """`response`, closing the connection where the rest of the request was not read."""
    if response.status in _CLOSE_AFTER:
        return dataclasses.replace(response, headers=(*response.headers, *_CLOSE))
    return response


def _request(op: Operation, path_params: dict[str, str], scope: Scope, receive: Receive) -> MockRequest:
    # The first of repeated headers wins, as in Starlette's `Headers.get`.
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(scope["headers"])}
    raw_query: str = scope["query_string"].decode("latin-1")
    return MockRequest(op, path_params, headers, query_of(raw_query), receive, raw_query)


def query_of(raw_query: str) -> dict[str, str]:
    """The first value of each query parameter, like the headers (see `MockRequest.query`)."""
    query: dict[str, str] = {}
    for key, value in _query_pairs(raw_query) if raw_query else ():
        query.setdefault(key, value)
    return query


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """`parse_qsl(raw_query, keep_blank_values=True)`, without its decoding where there is
    nothing to decode (no `%`, no `+`: then a pair is its name and value as they are)."""
    if "%" in raw_query or "+" in raw_query:
        return parse_qsl(raw_query, keep_blank_values=True)
    return [(key, value) for key, _, value in (pair.partition("=") for pair in raw_query.split("&") if pair)]
