"""The request journal: the last requests the mock answered, so that a test can assert on
what its client sent (`GET /__mock/requests`, see `admin`).

The pipeline records one entry per request into a bounded ring (a `deque` with a maximum
length: the oldest entry falls out); recording is an append of one tuple, and the entries
become `Entry` values and JSON only when someone asks for them.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mockserver.diagnostics import Violation
from mockserver.realism import format_datetime
from mockserver.types import JSON

DEFAULT_SIZE = 1_000


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int  # 1 for the first request the server answered
    at: float  # when it was answered, seconds since the epoch
    method: str
    path: str
    api: str  # "-" where the path is no API's
    operation: str | None  # the operationId, where the path and method name one
    status: int  # 0: no answer was sent (the connection was reset on purpose)
    duration_ms: float
    note: str = ""  # what was wrong with the request, in one line
    violations: tuple[Violation, ...] = ()

    def as_json(self) -> dict[str, JSON]:
        return {
            "seq": self.seq,
            "time": format_datetime(self.at),
            "method": self.method,
            "path": self.path,
            "api": self.api,
            "operation": self.operation,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "problem": self.note or None,
            "violations": [v.as_fastapi() for v in self.violations],
        }


class Journal:
    """The last `size` requests, oldest first; `size=0` records nothing."""

    def __init__(self, size: int = DEFAULT_SIZE, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self.clock = clock
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self.total = 0  # every request recorded since start, including those fallen out

    def record(
        self,
        method: str,
        path: str,
        api: str,
        operation: str | None,
        status: int,
        duration_ms: float,
        note: str = "",
        violations: tuple[Violation, ...] = (),
    ) -> None:
        if not self.size:
            return
        self.total += 1
        # A tuple, made an `Entry` when asked for: the cheapest thing to build per request.
        self._entries.append(
            (next(self._seq), self.clock(), method, path, api, operation, status, duration_ms, note, violations)
        )

    def find(self, api: str | None = None, statuses: range | None = None, limit: int | None = None) -> list[Entry]:
        """The matching entries, newest first, at most `limit` of them."""
        found: Iterator[Entry] = (Entry(*fields) for fields in reversed(self._entries))
        if api is not None:
            found = (e for e in found if e.api == api)
        if statuses is not None:
            found = (e for e in found if e.status in statuses)
        return list(itertools.islice(found, limit))

    def clear(self) -> None:
        self._entries.clear()
