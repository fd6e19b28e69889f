"""The request line, in order:

    route -> check credentials -> read body -> validate request -> choose status (Prefer)
          -> load/update state -> build body -> serialize

`MockPipeline` is the Starlette app's middleware; each stage is a module of its own
(routing, security, body, validation, prefer, resources/update, responses) and this class
only strings them together. Stages return diagnostics or a `MockResponse`; none raises for
a client's mistake.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.body import BodyProblem, BodyReader, Limits, RequestBody
from mockserver.diagnostics import Violation
from mockserver.operations import Operation
from mockserver.prefer import PreferError, parse_prefer
from mockserver.resources import GeneratedBodyError, ResourceKeeper
from mockserver.responses import MockResponse, error, send_response
from mockserver.routing import MethodNotAllowed, Router
from mockserver.security import RequestCredentials
from mockserver.types import JSON

access_log = logging.getLogger("mockserver.access")


class MockPipeline:
    """ASGI middleware: answers every request whose path an API declares and hands the
    rest (the index, the specs, unknown paths) to the Starlette app behind it."""

    def __init__(
        self,
        app: ASGIApp,
        router: Router[Operation],
        keeper: ResourceKeeper,
        tokens: frozenset[str],
        limits: Limits,
        log: bool,
    ) -> None:
        self.app = app
        self.router = router
        self.keeper = keeper
        self.tokens = tokens
        self.bodies = BodyReader(limits)
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
            response, api = error(405, "Method Not Allowed", (("Allow", ", ".join(match.allow)),)), "-"
        else:
            response, api = await self.handle(match.target, match.path_params, scope, receive), match.target.api
        await send_response(send, response, head_only=method == "HEAD")
        if self.log:
            self._log(scope, api, response.status, started)

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
    def _log(scope: Scope, api: str, status: int, started: float) -> None:
        if access_log.isEnabledFor(logging.INFO):
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %d %.2fms", scope["method"], scope["path"], api, status, elapsed)

    async def handle(self, op: Operation, path_params: dict[str, str], scope: Scope, receive: Receive) -> MockResponse:
        # The first of repeated headers wins, as in Starlette's `Headers.get`.
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(scope["headers"])}
        raw_query: bytes = scope["query_string"]
        query = dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)) if raw_query else {}
        return await self.answer(op, path_params, headers, query, receive)

    async def answer(
        self,
        op: Operation,
        path_params: dict[str, str],
        headers: dict[str, str],
        query: dict[str, str],
        receive: Receive,
    ) -> MockResponse:
        # 1. credentials
        refusal = op.security.check(RequestCredentials(headers, query, headers.get("cookie", "")), self.tokens)
        if refusal is not None:
            return self.unauthorized(op, refusal)
        # 2. body, then validation of every part of the request
        try:
            body = await self.bodies.read(op.body, headers, receive)
        except BodyProblem as problem:
            return problem.response
        violations = self.validate(op, path_params, headers, query, body)
        if violations:
            return MockResponse(op.invalid_status, {"detail": [v.as_fastapi() for v in violations]})
        # 3. status: Prefer may ask for another declared response
        try:
            prefs = parse_prefer(headers.get("prefer"))
        except PreferError as exc:
            return error(400, str(exc))
        if prefs.code is not None and prefs.code != op.success.code:
            return self.preferred(op, path_params, prefs.code, prefs.example)
        if prefs.example is not None:
            return self.example(op, op.success.code, prefs.example)
        # 4. state and update, 5. body
        try:
            resource = await self.keeper.handle(op, path_params, body.value, headers, dynamic=bool(prefs.dynamic))
        except GeneratedBodyError as exc:
            access_log.error("%s", exc)
            return error(500, "the mock built a body that breaks its own schema; please report this")
        if op.success.media_type is None:
            return MockResponse(op.success.code)
        return MockResponse(op.success.code, resource, media_type=op.success.media_type)

    def validate(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: RequestBody,
    ) -> list[Violation]:
        violations: list[Violation] = []
        for rule in op.parameters:
            if rule.location == "path":
                raw = path_params.get(rule.name)
            elif rule.location == "query":
                raw = query.get(rule.name)
            elif rule.location == "header":
                raw = headers.get(rule.name.lower())
            else:
                raw = RequestCredentials(headers, query, headers.get("cookie", "")).cookie(rule.name)
            violations.extend(rule.validate(raw))
        violations.extend(body.violations)
        if op.body is not None and body.violations == [] and op.body.check is not None:
            if body.present:
                violations.extend(op.body.check(body.value))
            elif op.body.required:
                violations.append(Violation(("body",), "Field required", "missing", None))
        return violations

    def unauthorized(self, op: Operation, reason: str) -> MockResponse:
        headers = (("WWW-Authenticate", op.security.challenge),) if op.security.challenge else ()
        declared = op.response_for(401)
        body: JSON = {"detail": reason}
        if declared is not None and declared.status != "default" and not declared.accepts(body):
            body = self.keeper.generate(op, declared, {}, 401)
        return MockResponse(401, body, headers=headers)

    def preferred(self, op: Operation, path_params: Mapping[str, str], code: int, example: str | None) -> MockResponse:
        declared = op.response_for(code)
        if declared is None:
            codes = ", ".join(op.declared_statuses)
            return error(400, f"Prefer: code={code} is not declared for {op.method} {op.path}; declared: {codes}")
        if example is not None:
            return self.example(op, code, example)
        headers: tuple[tuple[str, str], ...] = (("Retry-After", "30"),) if code in (429, 503) else ()
        if declared.generate is None:
            return MockResponse(code, headers=headers)
        body = self.keeper.generate(op, declared, path_params, code)
        if not declared.accepts(body):
            access_log.error("generated %d body breaks the schema of %s %s: %r", code, op.method, op.path, body)
            return error(500, "the mock built a body that breaks its own schema; please report this")
        return MockResponse(code, body, media_type=declared.media_type or "application/json", headers=headers)

    def example(self, op: Operation, code: int, name: str) -> MockResponse:
        declared = op.response_for(code)
        examples = declared.examples if declared is not None else {}
        if name not in examples:
            available = ", ".join(examples) or "none"
            return error(400, f"Prefer: example={name!r} is not declared for a {code} response; available: {available}")
        assert declared is not None  # it has the example
        if not declared.accepts(examples[name]):  # the answer never breaks its schema, not even for the spec's example
            why = f"example {name!r} of the {code} response does not validate against that response's schema"
            return error(400, f"Prefer: {why}, so the mock does not send it")
        return MockResponse(code, examples[name], media_type=declared.media_type or "application/json")
