"""Response selection: which declared answer a request gets when it is not the plain
success, and what a `Problem` looks like on the wire.

- `PreferStage` (a pipeline stage) reads the `Prefer` header: `code=NNN` answers that
  declared response, `example=NAME` its named example, `dynamic=true` asks the resource
  stage for a freshly generated body. It also reads `Accept`: among the media types of the
  chosen response, the one the client prefers (quality values, `type/*` and `*/*` ranges);
  406 when it accepts none. The resource stage answers all the same (a deleted resource is
  a 404 in any type); `Negotiator.finish` then gives a success answer of another type than
  the preferred JSON one its declared example, a body generated where the mock can build
  one (JSON, text), else an empty body of that type (XML, images).
- `Negotiator.render` turns a `Problem` into an answer: FastAPI's `{"detail": ...}` where the
  operation declares that shape for the status or declares nothing, else a body generated
  from the declared schema (exact code, `4XX`, or `default`) with the problem's message
  written into the fields meant for it (`message`, `detail`, `error.message`, ...), sent with
  the declared media type (`application/problem+json`, `application/scim+json`); a response
  declared only as text gets the message as text, one of another type its example or an
  empty body.
"""

from __future__ import annotations

import functools
import logging

from mockserver.errors import GeneratedBodyError, excerpt
from mockserver.generator import Generation
from mockserver.media import essence, is_json_wire, negotiate
from mockserver.operations import MediaVariant, Operation, ResponseSpec
from mockserver.prefer import NO_PREFERENCES, Preferences, parse_prefer
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.responses import MockResponse
from mockserver.types import JSON

log = logging.getLogger("mockserver.access")
_RETRY = (("Retry-After", "30"),)
Headers = tuple[tuple[str, str], ...]


@functools.lru_cache(maxsize=1024)
def _choose(accept: str | None, offered: tuple[str, ...]) -> tuple[int, str] | None:
    return negotiate(accept, offered)


class Negotiator:
    def __init__(self, generation: Generation) -> None:
        self.generation = generation

    def generated(self, op: Operation, declared: ResponseSpec, status: int, parts: tuple[object, ...] = ()) -> JSON:
        if declared.generate is None:
            return None
        return declared.generate(self.generation.context(op.api, op.operation_id, *parts, status=status))

    def choose(
        self, op: Operation, declared: ResponseSpec, status: int, accept: str | None
    ) -> tuple[MediaVariant, str] | Problem | None:
        """The declared media type of `declared` that `accept` prefers and the type to send it
        as; None if the response has no body; a 406 if `accept` takes none of its types."""
        if not declared.variants:
            return None
        offered = tuple(v.media_type for v in declared.variants)
        choice = _choose(accept, offered)
        if choice is None:
            return Problem(
                406,
                f"Accept: {(accept or '')[:200]!r} takes none of the media types of the {status} response"
                f" of {op.method} {op.path}: {', '.join(offered)}",
            )
        return declared.variants[choice[0]], choice[1]

    def as_variant(
        self,
        op: Operation,
        variant: MediaVariant,
        wire: str,
        status: int,
        parts: tuple[object, ...] = (),
        headers: Headers = (),
    ) -> MockResponse:
        """An answer sent as `wire`: the variant's first example of that type, else a body
        generated where the mock can build one (JSON, text), else an empty body."""
        json_like = is_json_wire(wire)
        for example in variant.examples.values():
            if (json_like and variant.accepts(example)) or (not json_like and isinstance(example, str)):
                return MockResponse(status, example, media_type=wire, headers=headers)
        if variant.generate is not None and (json_like or wire == variant.wire):
            body = variant.generate(self.generation.context(op.api, op.operation_id, *parts, wire, status=status))
            if not variant.accepts(body):
                raise GeneratedBodyError(
                    f"generated {status} {wire} body breaks the schema of {op.method} {op.path}: {excerpt(body)}"
                )
            return MockResponse(status, body, media_type=wire, headers=headers)
        if json_like:  # nothing to send: no body rather than one that is not JSON
            return MockResponse(status, headers=headers)
        return MockResponse(status, "", media_type=wire, headers=headers)

    def finish(self, request: MockRequest, response: MockResponse) -> MockResponse:
        """The success answer in the media type `Accept` chose, when it is not the preferred
        JSON one: the resource stage decided the status (a deleted resource is still a 404),
        the body is that type's (`as_variant`)."""
        if request.answer_as is None or response.status != request.op.success.code:
            return response
        variant, wire = request.answer_as
        parts = (sorted(request.path_params.items()),)
        return self.as_variant(request.op, variant, wire, response.status, parts, response.headers)

    def render(self, op: Operation | None, problem: Problem) -> MockResponse:
        if problem.violations:
            plain: JSON = {"detail": [v.as_fastapi() for v in problem.violations]}
        else:
            plain = {"detail": problem.detail}
        declared = op.response_for(problem.status) if op is not None and problem.api_shaped else None
        if declared is not None and declared.media_type is not None and not is_json_wire(declared.media_type):
            return self._as_text(declared, problem)
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

    @staticmethod
    def _as_text(declared: ResponseSpec, problem: Problem) -> MockResponse:
        """An error response declared in no JSON type: its text example, else the message for
        a text type, else an empty body of the declared type."""
        media = declared.media_type or "text/plain"
        example = next((e for e in declared.examples.values() if isinstance(e, str)), None)
        if example is None:
            example = problem.message if essence(media).startswith("text/") else ""
        return MockResponse(problem.status, example, media_type=media, headers=problem.headers, note=problem.message)


class PreferStage:
    """The `Prefer` header (another declared response, a named example, or a fresh body) and
    the `Accept` header (which of the answer's declared media types). `defaults` stand for
    what a request does not say (`DYNAMIC` under `--dynamic`)."""

    def __init__(self, negotiator: Negotiator, defaults: Preferences = NO_PREFERENCES) -> None:
        self.negotiator = negotiator
        self.defaults = defaults

    async def __call__(self, request: MockRequest) -> MockResponse | Problem | None:
        op = request.op
        header = request.headers.get("prefer")
        if header is None:
            request.prefs = self.defaults
        else:
            prefs = parse_prefer(header, self.defaults)
            if isinstance(prefs, Problem):
                return prefs
            request.prefs = prefs
            if prefs.code is not None and prefs.code != op.success.code:
                return self.preferred(op, request, prefs.code, prefs.example)
            if prefs.example is not None:
                return self.example(op, request, op.success.code, prefs.example)
        return self.accepted(op, request)

    def accepted(self, op: Operation, request: MockRequest) -> Problem | None:
        """A 406 when `Accept` takes none of the success answer's media types; else the
        chosen one is noted for `Negotiator.finish` when it is not the preferred JSON one."""
        success = op.success
        accept = request.headers.get("accept")
        if not success.variants or (accept is None and is_json_wire(success.variants[0].wire)):
            return None
        chosen = self.negotiator.choose(op, success, success.code, accept)
        if chosen is None or isinstance(chosen, Problem):
            return chosen
        variant, wire = chosen
        if not (variant is success.variants[0] and wire == variant.wire and is_json_wire(wire)):
            request.answer_as = variant, wire
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
            return self.example(op, request, code, example)
        headers = _RETRY if code in (429, 503) else ()
        chosen = self.negotiator.choose(op, declared, code, request.headers.get("accept"))
        if isinstance(chosen, Problem):
            return chosen
        if chosen is not None and (chosen[0] is not declared.variants[0] or not is_json_wire(chosen[1])):
            parts = (sorted(request.path_params.items()),)
            return self.negotiator.as_variant(op, chosen[0], chosen[1], code, parts, headers)
        if declared.generate is None:
            return MockResponse(code, headers=headers)
        body = self.negotiator.generated(op, declared, code, (sorted(request.path_params.items()),))
        if not declared.accepts(body):
            log.error("generated %d body breaks the schema of %s %s: %s", code, op.method, op.path, excerpt(body))
            return MockResponse(500, {"detail": "the mock built a body that breaks its own schema; please report this"})
        return MockResponse(code, body, media_type=declared.media_type or "application/json", headers=headers)

    def example(self, op: Operation, request: MockRequest, code: int, name: str) -> MockResponse | Problem:
        declared = op.response_for(code)
        chosen = self.negotiator.choose(op, declared, code, request.headers.get("accept")) if declared else None
        if isinstance(chosen, Problem):
            return chosen
        examples = chosen[0].examples if chosen is not None else {}
        if name not in examples:
            available = ", ".join(examples) or "none"
            return Problem(
                400,
                f"Prefer: example={name!r} is not declared for a {code} response; available: {available}",
                api_shaped=False,
            )
        assert chosen is not None  # it has the example
        variant, wire = chosen
        value = examples[name]
        if not is_json_wire(wire):
            # XML, text, images: a text example is sent as written, another as an empty body.
            return MockResponse(code, value if isinstance(value, str) else "", media_type=wire)
        if not variant.accepts(value):  # the answer never breaks its schema, not even for the spec's example
            why = f"example {name!r} of the {code} response does not validate against that response's schema"
            return Problem(400, f"Prefer: {why}, so the mock does not send it", api_shaped=False)
        return MockResponse(code, value, media_type=wire)
