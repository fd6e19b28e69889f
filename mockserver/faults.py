"""Faults on purpose: the mock misbehaving the way a real backend does, when asked to.

Two pipeline stages (`app.create_app` places them):

- `FaultStage`, first in the line. Per request, `Prefer: delay=MS` waits before answering
  and `Prefer: fault=reset` resets the connection without an answer. Per server, `latency`
  waits a uniform random time on every request, and `rate_limit` answers 429 once an
  endpoint (API, method and path template) has had its requests in the sliding window,
  with `Retry-After`, `X-RateLimit-Limit` and `X-RateLimit-Remaining` and a body of the
  declared 429 response (`negotiator.Negotiator.render`). The window is a moving window
  of the `limits` library, kept in Redis with `--state redis://...` (shared by every worker).
- `ErrorRateStage`, after validation and `Prefer`, so that a client's mistakes and its
  explicit `Prefer: code=` keep their own answers: with probability `rate` a valid request
  gets one of the operation's declared 4xx/5xx responses (a body generated from its schema),
  or a 500 where it declares none.

Random choices come from a `random.Random` seeded by the server's seed, never the global one.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import socket
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mockserver.negotiator import PreferStage
from mockserver.operations import Operation
from mockserver.prefer import parse_prefer
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.responses import MockResponse

if TYPE_CHECKING:  # `limits` is imported where a rate limit is asked for: 40 ms of start-up otherwise
    import limits

log = logging.getLogger("mockserver.access")
RESET = 0  # the status of an answer that was never sent: the connection was reset on purpose
_UNITS = {"s": "second", "sec": "second", "m": "minute", "min": "minute", "h": "hour", "hr": "hour", "d": "day"}
_RATE = re.compile(r"(\d{1,9})\s*(?:/|per)\s*(\d{1,6})?\s*([a-z]{1,7})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `amount` requests per window (`item`, e.g. 60 per 1 minute), per endpoint."""

    amount: int
    item: limits.RateLimitItem

    @property
    def text(self) -> str:
        return str(self.item)


def parse_rate_limit(text: str) -> RateLimit:
    """`60/min`, `10/s`, `1000/hour`, `5/10s`, `60 per minute`; ValueError otherwise."""
    match = _RATE.fullmatch(text.strip())
    name = match[3].lower() if match else ""
    if name not in _UNITS and name.endswith("s"):
        name = name[:-1]  # minutes, secs
    unit = _UNITS.get(name, name)
    if match is None or unit not in ("second", "minute", "hour", "day") or int(match[1]) < 1:
        raise ValueError(f"expected a rate such as 60/min, 10/s or 1000/hour, got {text[:40]!r}")
    import limits

    item = limits.parse(f"{match[1]} per {match[2] or 1} {unit}")
    return RateLimit(int(match[1]), item)


def parse_latency(text: str) -> tuple[int, int]:
    """`50-200` or `100` (milliseconds); ValueError otherwise."""
    low, _, high = text.strip().partition("-")
    parts = (low.strip(), (high or low).strip())
    if not all(0 < len(p) <= 5 and p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"expected milliseconds such as 50-200 or 100, got {text[:40]!r}")
    first, last = int(parts[0]), int(parts[1])
    if first > last or last > 60_000:
        raise ValueError(f"expected LOW-HIGH with LOW <= HIGH <= 60000 milliseconds, got {text[:40]!r}")
    return first, last


class RateLimiter:
    """A sliding (moving) window per endpoint: in this process's memory, or with Redis state
    (`shared`, a `redis://` URL) in Redis, one window for every worker and host."""

    def __init__(self, limit: RateLimit, shared: str | None = None) -> None:
        from limits.aio.storage import MemoryStorage, RedisStorage, Storage
        from limits.aio.strategies import MovingWindowRateLimiter

        self.limit = limit
        storage: Storage = MemoryStorage()
        if shared is not None:
            storage = RedisStorage(f"async+{shared}", implementation="redispy", key_prefix="mockserver-rate-limit")
        self.window = MovingWindowRateLimiter(storage)

    async def __call__(self, op: Operation) -> Problem | None:
        key = (op.api, op.method, op.path)
        if await self.window.hit(self.limit.item, *key):
            return None
        stats = await self.window.get_window_stats(self.limit.item, *key)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        headers = (
            ("Retry-After", str(retry)),
            ("X-RateLimit-Limit", str(self.limit.amount)),
            ("X-RateLimit-Remaining", str(stats.remaining)),
        )
        why = f"rate limit of {self.limit.text} exceeded for {op.method} {op.path}; retry after {retry} s"
        return Problem(429, why, headers=headers)


class FaultStage:
    """Delays, resets and the rate limit: first in the line, so they apply to every answer."""

    def __init__(
        self,
        latency: tuple[int, int] | None = None,
        rate_limit: RateLimit | None = None,
        seed: int = 0,
        shared: str | None = None,
    ) -> None:
        self.latency = latency
        self.limiter = RateLimiter(rate_limit, shared) if rate_limit is not None else None
        self.rng = random.Random(f"latency:{seed}")

    async def __call__(self, request: MockRequest) -> MockResponse | Problem | None:
        header = request.headers.get("prefer")
        delay = 0.0
        if header is not None:
            prefs = parse_prefer(header)
            # A malformed header is answered by `PreferStage`, after the credentials are checked.
            if not isinstance(prefs, Problem):
                if prefs.fault == "reset":
                    return await reset(request)
                delay = (prefs.delay_ms or 0) / 1000
        if self.latency is not None:
            delay += self.rng.uniform(*self.latency) / 1000
        if delay:
            await asyncio.sleep(delay)
        if self.limiter is not None:
            return await self.limiter(request.op)
        return None


async def reset(request: MockRequest) -> MockResponse | Problem:
    """Reset the connection (RST, no answer) and wait until the server has seen it go."""
    # ASGI has no way to drop a connection; uvicorn's `receive` is a method of its
    # request-response cycle, which holds the connection's transport.
    transport = getattr(getattr(request.receive, "__self__", None), "transport", None)
    if not isinstance(transport, _Abortable):  # asyncio's transports and uvloop's, which do not inherit them
        return Problem(501, "Prefer: fault=reset needs the mock served by uvicorn", api_shaped=False)
    sock = transport.get_extra_info("socket")
    if sock is not None:  # linger 0: the close sends a reset, not an orderly FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    async with asyncio.timeout(5):
        while (await request.receive())["type"] != "http.disconnect":
            pass
    return MockResponse(RESET, note="connection reset on purpose (Prefer: fault=reset)")


@runtime_checkable
class _Abortable(Protocol):
    def abort(self) -> None: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


class ErrorRateStage:
    """A declared error answer instead of the success, for a share `rate` of valid requests."""

    def __init__(self, rate: float, operations: Iterable[Operation], prefer: PreferStage, seed: int = 0) -> None:
        self.rate = rate
        self.prefer = prefer
        self.rng = random.Random(f"error-rate:{seed}")
        # Compiled at start-up: the error statuses each operation declares (4XX as 400).
        self.codes: dict[int, tuple[int, ...]] = {id(op): _error_codes(op) for op in operations}

    async def __call__(self, request: MockRequest) -> MockResponse | Problem | None:
        if self.rng.random() >= self.rate:
            return None
        op = request.op
        code = self.rng.choice(self.codes.get(id(op)) or (500,))
        if op.response_for(code) is None:
            response = MockResponse(500, {"detail": "Internal Server Error"})
        else:
            answer = self.prefer.preferred(op, request, code, None)
            response = answer if isinstance(answer, MockResponse) else MockResponse(500, {"detail": answer.detail})
        response.note = f"injected by --error-rate {self.rate:g}"
        return response


def _error_codes(op: Operation) -> tuple[int, ...]:
    declared = (spec.code for status, spec in op.responses.items() if status != "default")
    return tuple(sorted({code for code in declared if 400 <= code <= 599}))
