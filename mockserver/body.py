"""Reading and decoding request bodies: size limit, read timeout, content type, strict JSON,
forms and multipart.

A body over the limit is refused from its `Content-Length` before it is read, and again
while it is read (413); a body that does not arrive in time is a 408; an undeclared content
type a 415; a multipart body that cannot be parsed a 400: each a `Problem`. The
`Content-Type` selects the declared media type (`BodyRule.select`), whose schema the body is
checked against: JSON (`application/*+json` too), urlencoded and multipart forms are decoded;
XML, text and binary bodies are accepted by content type within the size limit. Decoding
problems are diagnostics (`json_invalid`, `string_unicode`) on the `RequestBody`, which the
validation stage reports with the rest.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Receive

from mockserver.diagnostics import Violation
from mockserver.media import FORM, MULTIPART, essence, is_json_wire
from mockserver.multipart import TOO_MANY_PARTS, parse_multipart
from mockserver.problems import Problem
from mockserver.request import MockRequest, RequestBody
from mockserver.types import JSON, Loc
from mockserver.validation import BodyRule, MediaRule


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_size: int = 1024 * 1024
    body_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class _Unrepresentable:
    """A number JSON cannot carry (NaN, Infinity, 1e400, a 5,000-digit integer), kept as a
    marker by the decoder so that its location in the body can be reported."""

    text: str
    type: str
    msg: str


class _StrictDecoder:
    """The standard library's decoder (it keeps big integers exact, where orjson would turn
    them into floats), with numbers JSON cannot carry turned into markers."""

    def __init__(self) -> None:
        self.marked = False
        self._decoder = json.JSONDecoder(parse_constant=self._constant, parse_float=self._float, parse_int=self._int)

    def decode(self, text: str) -> JSON:
        self.marked = False  # decoding is synchronous: no other request interleaves
        return self._decoder.decode(text)

    def _mark(self, text: str, kind: str, msg: str) -> _Unrepresentable:
        self.marked = True
        return _Unrepresentable(text, kind, msg)

    def _constant(self, name: str) -> JSON:
        return self._mark(name, "finite_number", f"Input should be a finite number; {name} is not JSON")

    def _float(self, text: str) -> JSON:
        value = float(text)
        if math.isinf(value):
            return self._mark(text, "finite_number", f"Input should be a finite number; {text} overflows")
        return value

    def _int(self, text: str) -> JSON:
        try:
            return int(text)
        except ValueError:  # more digits than Python converts (4,300 by default)
            msg = "Unable to parse input string as an integer, exceeded maximum size"
            return self._mark(text[:20] + "...", "int_parsing_size", msg)


_DECODER = _StrictDecoder()
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# orjson turns integers beyond 64 bits into floats; any such literal has 19 digits or more.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
_DIGITS = b"0123456789"
_UNICODE_MSG = "Input should be a valid string, unable to parse raw data as a unicode string"


def decode_json(raw: bytes, unicode_only: bool = True) -> RequestBody:
    """Strict JSON (UTF-8, finite numbers, with `unicode_only` no lone surrogates) or a
    located diagnostic."""
    # (fewer than 19 digits in all: no run of 19, known without the slower regex)
    if len(raw) - len(raw.translate(None, _DIGITS)) < 19 or not _LONG_DIGITS.search(raw):
        # orjson takes what the strict decoder takes, to the same values, and refuses the rest
        # (invalid UTF-8, NaN, Infinity, 1e400, lone surrogates, depth past 1024), about five
        # times faster; what it refuses, the strict decoder then locates and names.
        try:
            return RequestBody(value=orjson.loads(raw), present=True)
        except orjson.JSONDecodeError:
            pass
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _invalid(("body", exc.start), "invalid UTF-8")
    except json.JSONDecodeError as exc:
        return _invalid(("body", exc.pos), exc.msg)
    except RecursionError:
        return _invalid(("body",), "nested too deeply")
    try:
        if _DECODER.marked:
            found = _find(value, ("body",), lambda v: isinstance(v, _Unrepresentable))
            if found is not None:
                loc, marker = found
                return RequestBody(violations=[Violation(loc, marker.msg, marker.type, marker.text)])
        if unicode_only and _SURROGATE_ESCAPE.search(raw):  # only an escape can smuggle in a lone surrogate
            found = _find(value, ("body",), _has_lone_surrogate)
            if found is not None:
                return RequestBody(violations=[Violation(found[0], _UNICODE_MSG, "string_unicode", None)])
    except RecursionError:
        return _invalid(("body",), "nested too deeply")
    return RequestBody(value=value, present=True)


def _invalid(loc: Loc, why: str) -> RequestBody:
    return RequestBody(violations=[Violation(loc, f"JSON decode error: {why}", "json_invalid", {})])


def _has_lone_surrogate(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _find(value: JSON, loc: Loc, wanted: Callable[[object], bool]) -> tuple[Loc, Any] | None:
    """The location and value of the first part of `value` (keys included) that is `wanted`."""
    if wanted(value):
        return loc, value
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find(item, (*loc, index), wanted)
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _find(key, (*loc, key), wanted) or _find(item, (*loc, key), wanted)
            if found is not None:
                return found
    return None


class _Watchdog:
    """Cancels body reads that outlive the timeout.

    One timer for the whole server instead of one per request (a per-request
    `asyncio.timeout` costs several microseconds, most of a small request's budget). It ticks
    every `period` (the timeout divided into `allowed` equal parts of at most half a second)
    while reads are watched; a read is cancelled at the first tick more than `allowed` ticks
    after the one it started in, so between the timeout and the timeout plus one period after
    it started (a read costs a dict entry: no clock is read per request). An infinite timeout
    watches nothing; a zero one cancels a read that waits at all, a few loop turns later.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.allowed = max(2, math.ceil(2 * timeout)) if math.isfinite(timeout) else 0
        self.period = max(timeout, 0.0) / self.allowed if self.allowed else math.inf
        self.ticks = 0
        self.started: dict[asyncio.Task[object], int] = {}  # each watched read: the tick it started in
        self.expired: set[asyncio.Task[object]] = set()
        self.timer: asyncio.TimerHandle | None = None

    def watch(self, task: asyncio.Task[object]) -> None:
        if not self.allowed:
            return
        self.started[task] = self.ticks
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.period, self._tick)

    def release(self, task: asyncio.Task[object]) -> None:
        self.started.pop(task, None)

    def _tick(self) -> None:
        self.ticks += 1
        last = self.ticks - self.allowed - 1  # started at or before it: more than the timeout ago
        for task, started in list(self.started.items()):
            if started <= last:
                del self.started[task]
                self.expired.add(task)
                task.cancel()
        self.timer = asyncio.get_running_loop().call_later(self.period, self._tick) if self.started else None


class BodyReader:
    """The pipeline stage that reads the body into `MockRequest.body`."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.watchdog = _Watchdog(limits.body_timeout)

    async def __call__(self, request: MockRequest) -> Problem | None:
        rule = request.op.body
        if rule is None:
            return None
        body = await self.read(rule, request.headers, request.receive)
        if isinstance(body, Problem):
            return body
        request.body = body
        return None

    async def read(self, rule: BodyRule, headers: Mapping[str, str], receive: Receive) -> RequestBody | Problem:
        """The request body, decoded (empty when none was sent), or why it cannot be taken."""
        declared_length = headers.get("content-length")
        limit = self.limits.max_body_size
        if (
            declared_length is not None
            and declared_length.isascii()
            and declared_length.isdigit()
            and int(declared_length) > limit
        ):
            return Problem(413, f"request body is larger than the limit of {limit} bytes")
        raw = await self._read(receive, limit)
        if isinstance(raw, Problem):
            return raw
        content_type = headers.get("content-type")
        if not raw and (content_type is None or essence(content_type) != FORM):
            return RequestBody()  # (an empty urlencoded form is a form with no fields: decoded below)
        chosen = rule.select(content_type)
        if chosen is None:
            if content_type is None:  # a body declared without any media type
                return RequestBody(present=True)
            expected = list(rule.media_types)
            return Problem(415, f"unsupported content type {content_type[:100]!r}; expected one of {expected}")
        return self.decode(raw, content_type, chosen, rule.unicode_only)

    @staticmethod
    def decode(raw: bytes, content_type: str | None, chosen: MediaRule, unicode_only: bool) -> RequestBody | Problem:
        """A body sent as `content_type`, decoded for the declared media type it selected."""
        kind = essence(content_type) if content_type is not None else None
        if chosen.form is not None and kind == FORM:
            try:
                pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError as exc:
                return RequestBody(violations=[Violation(("body", exc.start), _UNICODE_MSG, "string_unicode", None)])
            value, problems = chosen.form.decode(pairs)
            return RequestBody(value, True, problems, chosen.media_type, chosen.form.check)
        if chosen.form is not None and kind == MULTIPART:
            assert content_type is not None
            parts = parse_multipart(raw, content_type)
            if isinstance(parts, str):
                return Problem(413 if parts == TOO_MANY_PARTS else 400, parts)
            value, problems = chosen.form.decode_parts(parts)
            return RequestBody(value, True, problems, chosen.media_type, chosen.form.check)
        if chosen.check is None or (content_type is not None and not is_json_wire(content_type)):
            # XML, text, binary, a form without a schema: accepted as sent, by content type and size.
            return RequestBody(present=True, media=chosen.media_type)
        body = decode_json(raw, unicode_only)
        body.media, body.check = chosen.media_type, chosen.check
        return body

    async def _read(self, receive: Receive, limit: int) -> bytes | Problem:
        task: asyncio.Task[object] | None = asyncio.current_task()
        if task is not None:
            self.watchdog.watch(task)
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return Problem(400, "client disconnected before sending the whole body")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return Problem(413, f"request body is larger than the limit of {limit} bytes")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        except asyncio.CancelledError:
            if task is None or task not in self.watchdog.expired:
                raise
            self.watchdog.expired.discard(task)
            task.uncancel()
            timeout = self.limits.body_timeout
            return Problem(408, f"request body not received within {timeout:g} s")
        finally:
            if task is not None:
                self.watchdog.release(task)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
