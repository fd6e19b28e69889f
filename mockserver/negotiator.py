"""Response selection: which declared answer a request gets when it is not the plain
success, and what a `Problem` looks like on the wire.

- `PreferStage` (a pipeline stage) reads the `Prefer` header: `code=NNN` answers that
  declared response, `example=NAME` its named example, `dynamic=true` asks the resource
  stage for a freshly generated body.
- `Negotiator.render` turns a `Problem` into an answer: FastAPI's `{"detail": ...}` where the
  operation declares that shape for the status or declares nothing, else a body generated
  from the declared schema (exact code, `4XX`, or `default`) with the problem's message
  written into the fields meant for it (`message`, `detail`, `error.message`, ...), sent with
  the declared media type.
"""

from __future__ import annotations

import logging

from mockserver.errors import excerpt
from mockserver.generator import Generation
from mockserver.operations import Operation, ResponseSpec
from mockserver.prefer import NO_PREFERENCES, Preferences, parse_prefer
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.responses import MockResponse
from mockserver.types import JSON

log = logging.getLogger("mockserver.access")
_RETRY = (("Retry-After", "30"),)


class Negotiator:
    def __init__(self, generation: Generation) -> None:
        self.generation = generation

    def generated(self, op: Operation, declared: ResponseSpec, status: int, parts: tuple[object, ...] = ()) -> JSON:
        if declared.generate is None:
            return None
        return declared.generate(self.generation.context(op.api, op.operation_id, *parts, status=status))

    def render(self, op: Operation | None, problem: Problem) -> MockResponse:
        if problem.violations:
            plain: JSON = {"detail": [v.as_fastapi() for v in problem.violations]}
        else:
            plain = {"detail": problem.detail}
        declared = op.response_for(problem.status) if op is not None and problem.api_shaped else None
        if op is None or declared is None or declared.schema is None or declared.accepts(plain):
            media = declared.media_type if declared is not None and declared.media_type else "application/json"
            return MockResponse(problem.status, plain, media_type=media, headers=problem.headers, note=problem.message)
        body = self.generated(op, declared, problem.status)
        for slot in declared.messages:
            slot.write(body, problem.message)
        if not declared.accepts(body):
            log.error(
                "generated %d body breaks the schema of %s %s: %s", problem.status, op.method, op.path, excerpt(body)
            )
            return MockResponse(problem.status, plain, headers=problem.headers, note=problem.message)
        media = declared.media_type or "application/json"
        return MockResponse(problem.status, body, media_type=media, headers=problem.headers, note=problem.message)


class PreferStage:
    """The `Prefer` header: another declared response, a named example, or a fresh body.
    `defaults` stand for what a request does not say (`DYNAMIC` under `--dynamic`)."""

    def __init__(self, negotiator: Negotiator, defaults: Preferences = NO_PREFERENCES) -> None:
        self.negotiator = negotiator
        self.defaults = defaults

    async def __call__(self, request: MockRequest) -> MockResponse | Problem | None:
        header = request.headers.get("prefer")
        if header is None:
            request.prefs = self.defaults
            return None
        prefs = parse_prefer(header, self.defaults)
        if isinstance(prefs, Problem):
            return prefs
        request.prefs = prefs
        op = request.op
        if prefs.code is not None and prefs.code != op.success.code:
            return self.preferred(op, request, prefs.code, prefs.example)
        if prefs.example is not None:
            return self.example(op, op.success.code, prefs.example)
        return None

    def preferred(self, op: Operation, request: MockRequest, code: int, example: str | None) -> MockResponse | Problem:
        declared = op.response_for(code)
        if declared is None:
            codes = ", ".join(op.declared_statuses)
            return Problem(
                400,
                f"Prefer: code={code} is not declared for {op.method} {op.path}; declared: {codes}",
                api_shaped=False,
            )
        if example is not None:
            return self.example(op, code, example)
        headers = _RETRY if code in (429, 503) else ()
        if declared.generate is None:
            return MockResponse(code, headers=headers)
        body = self.negotiator.generated(op, declared, code, (sorted(request.path_params.items()),))
        if not declared.accepts(body):
            log.error("generated %d body breaks the schema of %s %s: %s", code, op.method, op.path, excerpt(body))
            return MockResponse(500, {"detail": "the mock built a body that breaks its own schema; please report this"})
        return MockResponse(code, body, media_type=declared.media_type or "application/json", headers=headers)

    def example(self, op: Operation, code: int, name: str) -> MockResponse | Problem:
        declared = op.response_for(code)
        examples = declared.examples if declared is not None else {}
        if name not in examples:
            available = ", ".join(examples) or "none"
            return Problem(
                400,
                f"Prefer: example={name!r} is not declared for a {code} response; available: {available}",
                api_shaped=False,
            )
        assert declared is not None  # it has the example
        if not declared.accepts(examples[name]):  # the answer never breaks its schema, not even for the spec's example
            why = f"example {name!r} of the {code} response does not validate against that response's schema"
            return Problem(400, f"Prefer: {why}, so the mock does not send it", api_shaped=False)
        return MockResponse(code, examples[name], media_type=declared.media_type or "application/json")
