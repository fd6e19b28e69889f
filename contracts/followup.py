"""A second update of the same resource, for the invariants that span two updates.

`updated_at` must not go backwards, an accumulated list (Datagrid's `participated_agent_ids`)
must never shrink, and a partial update (PATCH) must keep the fields it did not send; none
shows in a single response. After a valid, accepted update of an operation that is a PATCH
or whose profile `touch`es or `accumulate`s, the suite sends one more update of the same id:
only each accumulated source list, emptied ("pass an empty array to clear all agent
assignments"), and none of the other fields, when the spec allows that body (else the same
body with the sources emptied, else the same body). Sent at most once per case, shared by
the checks that need it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from contracts.exchange import NOT_JSON, Exchange, exchange_for

_CACHE_LIMIT = 256


@dataclass(frozen=True)
class FollowUp:
    first: Exchange
    second: Exchange

    @property
    def rate_limited(self) -> bool:
        return self.second.status == 429


def needs_follow_up(exchange: Exchange) -> bool:
    compiled = exchange.operation.compiled
    profile = compiled.profile
    partial = compiled.method == "PATCH" and bool(compiled.update.echo)
    return (
        bool(profile.touch or profile.accumulate or partial)
        and exchange.ok
        and exchange.authenticated() is not False
        and not exchange.problems()
        and isinstance(exchange.body(), dict)
    )


def follow_up(ctx: Any, case: Any, exchange: Exchange) -> FollowUp | None:
    """The second update after `case` (sent on first use, then cached), or None when none applies."""
    if not needs_follow_up(exchange):
        return None
    cache = exchange.contract.followups
    if case.id in cache:
        cached: FollowUp | None = cache[case.id]
        return cached
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    derived = case.derive(keep_auth=True)
    derived.body = _second_body(exchange, case.body)
    kwargs = dict(ctx.internals.transport_kwargs or {})
    if case.operation.app is not None:
        kwargs.setdefault("app", case.operation.app)
    ctx.internals.record_case(parent_id=case.id, case=derived)
    response = case.operation.schema.transport.send(derived, **kwargs)
    exchange.contract.followups_sent += 1
    ctx.internals.record_response(case_id=derived.id, response=response)
    second = exchange_for(derived, response)
    result = FollowUp(exchange, second) if second is not None else None
    cache[case.id] = result
    return result


def _second_body(exchange: Exchange, body: Any) -> Any:
    sent = exchange.sent_json()
    if not isinstance(sent, dict) or sent is NOT_JSON:
        return body
    emptied: dict[str, Any] = {
        source.path[0]: [] for _target, source in exchange.operation.compiled.update.accumulate if source.path
    }
    same = copy.deepcopy(body) if isinstance(body, dict) else dict(sent)
    for candidate in (dict(emptied), {**same, **emptied}):
        if not exchange.operation.oracle.body_problems_of(candidate):
            return candidate
    return body
