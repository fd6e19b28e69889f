"""Reading and decoding request bodies: size limit, read timeout, content type, strict JSON.

A body over the limit is refused from its `Content-Length` before it is read, and again
while it is read; a body that does not arrive in time is a 408. Decoding problems are
diagnostics (`json_invalid`, `string_unicode`), not exceptions, like every other
validation result.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.types import Receive

from mockserver.diagnostics import Violation
from mockserver.responses import MockResponse, error
from mockserver.types import JSON, Loc
from mockserver.validation import BodyRule, media_type_accepted


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_size: int = 1024 * 1024
    body_timeout: float = 10.0


class BodyProblem(Exception):
    """The body cannot be taken at all; `response` says why (408, 413, 415, 400)."""

    def __init__(self, response: MockResponse) -> None:
        self.response = response


@dataclass(slots=True)
class RequestBody:
    value: JSON = None
    present: bool = False
    violations: list[Violation] = field(default_factory=list)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise ValueError(f"number {text} is out of range")
    return value


# The standard library keeps big integers exact (orjson would turn them into floats);
# non-standard NaN/Infinity and numbers that overflow to infinity are rejected.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_UNICODE_MSG = "Input should be a valid string, unable to parse raw data as a unicode string"


def decode_json(raw: bytes) -> RequestBody:
    """Strict JSON (UTF-8, no NaN, finite numbers, no lone surrogates) or a diagnostic."""
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _invalid(exc.start, "invalid UTF-8")
    except json.JSONDecodeError as exc:
        return _invalid(exc.pos, exc.msg)
    except (ValueError, RecursionError) as exc:
        return _invalid(0, str(exc))
    if _SURROGATE_ESCAPE.search(raw):  # only an escape can smuggle in a lone surrogate
        try:
            where = _lone_surrogate(value, ("body",))
        except RecursionError:
            return _invalid(0, "nested too deeply")
        if where is not None:
            return RequestBody(violations=[Violation(where, _UNICODE_MSG, "string_unicode", None)])
    return RequestBody(value=value, present=True)


def _invalid(position: int, why: str) -> RequestBody:
    return RequestBody(violations=[Violation(("body", position), f"JSON decode error: {why}", "json_invalid", {})])


def _lone_surrogate(value: JSON, loc: Loc) -> Loc | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return loc
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate(item, (*loc, index))
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _lone_surrogate(key, (*loc, key)) or _lone_surrogate(item, (*loc, key))
            if found is not None:
                return found
    return None


class _Watchdog:
    """Cancels body reads that outlive the timeout.

    One timer for the whole server instead of one per request (a per-request
    `asyncio.timeout` costs several microseconds, most of a small request's budget).
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadlines: dict[asyncio.Task[object], float] = {}
        self.expired: set[asyncio.Task[object]] = set()
        self.timer: asyncio.TimerHandle | None = None

    def watch(self, task: asyncio.Task[object]) -> None:
        loop = asyncio.get_running_loop()
        self.deadlines[task] = loop.time() + self.timeout
        if self.timer is None:
            self.timer = loop.call_later(min(self.timeout, 1.0) / 2, self._tick)

    def release(self, task: asyncio.Task[object]) -> None:
        self.deadlines.pop(task, None)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for task, deadline in list(self.deadlines.items()):
            if deadline <= now:
                del self.deadlines[task]
                self.expired.add(task)
                task.cancel()
        self.timer = loop.call_later(min(self.timeout, 1.0) / 2, self._tick) if self.deadlines else None


class BodyReader:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.watchdog = _Watchdog(limits.body_timeout)

    async def read(self, rule: BodyRule | None, headers: Mapping[str, str], receive: Receive) -> RequestBody:
        """The request body as JSON, or nothing when the operation takes none."""
        if rule is None:
            return RequestBody()
        declared_length = headers.get("content-length")
        limit = self.limits.max_body_size
        if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
            raise BodyProblem(error(413, f"request body is larger than the limit of {limit} bytes"))
        raw = await self._read(receive, limit)
        if not raw:
            return RequestBody()
        content_type = headers.get("content-type")
        if content_type is not None and not media_type_accepted(content_type, rule.media_types):
            expected = list(rule.media_types)
            raise BodyProblem(error(415, f"unsupported content type {content_type!r}; expected one of {expected}"))
        if rule.check is None:  # a non-JSON media type: accepted as it is
            return RequestBody()
        return decode_json(raw)

    async def _read(self, receive: Receive, limit: int) -> bytes:
        task: asyncio.Task[object] | None = asyncio.current_task()
        if task is not None:
            self.watchdog.watch(task)
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise BodyProblem(error(400, "client disconnected before sending the whole body"))
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise BodyProblem(error(413, f"request body is larger than the limit of {limit} bytes"))
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        except asyncio.CancelledError:
            if task is None or task not in self.watchdog.expired:
                raise
            self.watchdog.expired.discard(task)
            task.uncancel()
            raise BodyProblem(error(408, f"request body not received within {self.limits.body_timeout:g} s")) from None
        finally:
            if task is not None:
                self.watchdog.release(task)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
