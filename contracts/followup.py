"""A second update of the same resource, for the invariants that span two updates.

`updated_at` must not go backwards, an accumulated list (Datagrid's `participated_agent_ids`)
must never shrink, and a partial update (PATCH) must keep the fields it did not send; none
shows in a single response. After a valid, accepted update of an operation that is a PATCH
or whose profile `touch`es or `accumulate`s, the suite sends one more update of the same id:
only each accumulated source list, emptied ("pass an empty array to clear all agent
assignments"), and none of the other fields, when the spec allows that body (else the same
body with the sources emptied, else the same body). Sent at most once per case, shared by
the checks that need it, through Schemathesis' public `Case.derive` and `Case.call` with the
run's own transport settings; the run's `FollowUps` keeps it and counts it as a request.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemathesis import Response

from contracts.exchange import NOT_JSON, Exchange, decode
from contracts.types import JSON, Case

if TYPE_CHECKING:
    from contracts.run import ContractRun

_CACHE_LIMIT = 256


@dataclass(frozen=True)
class FollowUp:
    first: Exchange
    second: Exchange

    @property
    def rate_limited(self) -> bool:
        return self.second.status == 429


@dataclass
class FollowUps:
    """The second updates of one run, by the Schemathesis case id of the first."""

    _by_case: dict[str, FollowUp | None] = field(default_factory=dict)
    _in_flight: set[str] = field(default_factory=set)  # case ids of second updates being sent
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, case_id: str) -> tuple[bool, FollowUp | None]:
        with self._lock:
            return case_id in self._by_case, self._by_case.get(case_id)

    def send(self, run: ContractRun, second: Case) -> Response:
        """Send `second`, known as a second update while it is in flight (see `is_second`)."""
        with self._lock:
            self._in_flight.add(second.id)
        try:
            return run.transport.send(second)
        finally:
            with self._lock:
                self._in_flight.discard(second.id)

    def is_second(self, case_id: str) -> bool:
        """Whether `case_id` is a second update being sent (the acceptance tally skips those)."""
        with self._lock:
            return case_id in self._in_flight

    def keep(self, case_id: str, result: FollowUp | None) -> None:
        with self._lock:
            if len(self._by_case) > _CACHE_LIMIT:
                self._by_case.clear()
            self._by_case[case_id] = result


def needs_follow_up(exchange: Exchange) -> bool:
    compiled = exchange.operation.compiled
    profile = compiled.profile
    partial = compiled.method == "PATCH" and bool(compiled.update.echo)
    return (
        bool(profile.touch or profile.accumulate or partial)
        and exchange.case is not None
        and exchange.ok
        and exchange.authenticated() is not False
        and not exchange.problems()
        and isinstance(exchange.body(), dict)
    )


def follow_up(exchange: Exchange) -> FollowUp | None:
    """The second update after `exchange` (sent on first use, then kept), or None when none applies."""
    case = exchange.case
    if case is None or not needs_follow_up(exchange):
        return None
    run = exchange.run
    known, kept = run.followups.get(case.id)
    if known:
        return kept
    derived = case.derive(keep_auth=True)
    derived.body = _second_body(exchange, case.body)
    # The checks of one case run one after the other in one thread: no other thread sends
    # this case's second update meanwhile.
    response = run.followups.send(run, derived)
    run.report.count_requests(1)
    second = decode(run, derived, response)
    result = FollowUp(exchange, second) if second is not None else None
    run.followups.keep(case.id, result)
    return result


def _second_body(exchange: Exchange, body: JSON) -> JSON:
    sent = exchange.sent_json()
    if not isinstance(sent, dict) or sent is NOT_JSON:
        return body
    emptied: dict[str, JSON] = {
        source.path[0]: [] for _target, source in exchange.operation.compiled.update.accumulate if source.path
    }
    same = copy.deepcopy(body) if isinstance(body, dict) else dict(sent)
    for candidate in (dict(emptied), {**same, **emptied}):
        if not exchange.operation.oracle.body_problems_of(candidate):
            return candidate
    return body
