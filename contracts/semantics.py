"""Semantic checks: what no generic tool checks, driven by the per-API profile.

Registered as Schemathesis check classes (`check.registered`; each instance holds its run),
so they run on every response next to the built-in ones and share their shrinking,
deduplication and reporting:

    resource_identity        the returned resource is the one the path addressed
    update_applied           fields sent come back with the sent values (profile `echo`,
                             same-named fields, `from_headers`), also on a second update
    timestamps_coherent      `ordered` pairs in order; `touch`ed fields never go backwards
    accumulate_invariant     an accumulated list contains its source and never shrinks
    partial_update_kept      a PATCH keeps the fields it did not send (across two updates)

Checks on refusals (422 detail, credentials) live in `rejections`.
"""

from __future__ import annotations

from contracts.check import ContractCheck, registered
from contracts.evidence import ordered_key
from contracts.exchange import NOT_JSON, Exchange, parse_instant, same_value
from contracts.followup import FollowUp, follow_up
from contracts.types import JSON
from contracts.violation import exercised, fail, fail_unless_inferred
from mockserver.update import FieldSlot


def _json_ok(exchange: Exchange) -> JSON:
    """The response body of a successful exchange, or NOT_JSON."""
    return exchange.body() if exchange.ok else NOT_JSON


def _identity(exchange: Exchange) -> None:
    body = _json_ok(exchange)
    if body is NOT_JSON:
        return
    for slot, parameter in exchange.operation.compiled.update.identity:
        addressed = exchange.path_params.get(parameter)
        returned = slot.read(body)
        if addressed is None or returned is None:
            continue
        exercised("resource_identity", exchange)
        if returned != str(addressed):
            fail_unless_inferred(
                "resource_identity",
                exchange,
                f"identity.{'.'.join(slot.path)}",
                "Returned resource is not the one addressed",
                f"The path addressed {parameter}={addressed!r} but the response has {'.'.join(slot.path)}={returned!r}",
            )


def _applied(exchange: Exchange, label: str = "") -> None:
    body = _json_ok(exchange)
    sent = exchange.sent_json()
    if body is NOT_JSON or exchange.problems():
        return
    plan = exchange.operation.compiled.update
    named = exchange.operation.compiled.profile.echo
    expected: list[tuple[str, FieldSlot, JSON, str | None]] = []
    if isinstance(sent, dict):
        # A value the response field cannot hold (e.g. null for a non-nullable field) means
        # "leave it", so only values the response schema accepts must come back. Same-named
        # fields are stated by the schemas; the profile's `echo` entries have their evidence.
        for key, slot in plan.echo:
            if key in sent and slot.is_valid(sent[key]):
                path = ".".join(slot.path)
                expected.append((key, slot, sent[key], f"echo.{path}" if path in named else None))
    for header, slot in plan.from_headers:
        value = exchange.request.headers.get(header)
        if value is not None and slot.is_valid(value):
            expected.append((f"header {header}", slot, value, f"from_headers.{'.'.join(slot.path)}"))
    for source, slot, value, entry in expected:
        exercised("update_applied", exchange)
        returned = slot.read(body)
        if not same_value(value, returned):
            fail_unless_inferred(
                "update_applied",
                exchange,
                entry,
                "Update not applied",
                f"{label}Sent {source}={value!r}; the response has {'.'.join(slot.path)}={returned!r}",
            )


def _read(body: JSON, dotted: str) -> JSON:
    node = body
    for key in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _ordered(exchange: Exchange) -> None:
    body = _json_ok(exchange)
    if body is NOT_JSON:
        return
    for earlier, later in exchange.operation.compiled.profile.ordered:
        first, second = parse_instant(_read(body, earlier)), parse_instant(_read(body, later))
        if first is None or second is None:
            continue
        exercised("timestamps_coherent", exchange)
        if first > second:
            fail_unless_inferred(
                "timestamps_coherent",
                exchange,
                ordered_key(earlier, later),
                "Incoherent timestamps",
                f"{earlier}={_read(body, earlier)!r} is later than {later}={_read(body, later)!r}",
            )


def _contains_source(exchange: Exchange) -> None:
    body = _json_ok(exchange)
    if body is NOT_JSON:
        return
    for target, source in exchange.operation.compiled.update.accumulate:
        grown, wanted = target.read(body), source.read(body)
        if isinstance(grown, list) and isinstance(wanted, list):
            exercised("accumulate_invariant", exchange)
            missing = [value for value in wanted if value not in grown]
            if missing:
                fail_unless_inferred(
                    "accumulate_invariant",
                    exchange,
                    f"accumulate.{'.'.join(target.path)}",
                    "Accumulated list does not contain its source",
                    f"{'.'.join(target.path)}={grown!r} lacks {missing!r} from {'.'.join(source.path)}={wanted!r}",
                )


def _second(exchange: Exchange) -> FollowUp | None:
    result = follow_up(exchange)
    return None if result is None or result.rate_limited else result


@registered("resource_identity")
class ResourceIdentity(ContractCheck):
    def judge(self, exchange: Exchange) -> None:
        _identity(exchange)


@registered("update_applied")
class UpdateApplied(ContractCheck):
    def judge(self, exchange: Exchange) -> None:
        _applied(exchange)
        pair = _second(exchange)
        if pair is None:
            return
        if not pair.second.ok:
            fail(
                "update_applied",
                pair.second,
                "Second update of the same resource refused",
                f"A valid update was accepted, the next one of the same id answered {pair.second.status}: "
                f"{pair.second.content[:300]!r}",
            )
        _identity(pair.second)
        _applied(pair.second, "Second update: ")


@registered("timestamps_coherent")
class TimestampsCoherent(ContractCheck):
    def judge(self, exchange: Exchange) -> None:
        _ordered(exchange)
        pair = _second(exchange)
        if pair is None or not pair.second.ok:
            return
        _ordered(pair.second)
        for field in exchange.operation.compiled.profile.touch:
            before, after = _read(pair.first.body(), field), _read(pair.second.body(), field)
            first, second = parse_instant(before), parse_instant(after)
            if first is None or second is None:
                continue
            exercised("timestamps_coherent", pair.second)
            if second < first:
                fail_unless_inferred(
                    "timestamps_coherent",
                    pair.second,
                    f"touch.{field}",
                    "Timestamp went backwards across two updates",
                    f"{field} was {before!r} after the first update and {after!r} after the second",
                )


@registered("accumulate_invariant")
class AccumulateInvariant(ContractCheck):
    def judge(self, exchange: Exchange) -> None:
        _contains_source(exchange)
        pair = _second(exchange)
        if pair is None or not pair.second.ok:
            return
        _contains_source(pair.second)
        for target, _source in exchange.operation.compiled.update.accumulate:
            before, after = target.read(pair.first.body()), target.read(pair.second.body())
            if isinstance(before, list) and isinstance(after, list):
                exercised("accumulate_invariant", pair.second)
                lost = [value for value in before if value not in after]
                if lost:
                    fail_unless_inferred(
                        "accumulate_invariant",
                        pair.second,
                        f"accumulate.{'.'.join(target.path)}",
                        "Accumulated list shrank",
                        f"{'.'.join(target.path)} lost {lost!r} between two updates: {before!r} -> {after!r}",
                    )


@registered("partial_update_kept")
class PartialUpdateKept(ContractCheck):
    """A partial update (PATCH) leaves the fields it did not send as the previous answer
    showed them: the second update sends fewer fields than the first (see `followup`)."""

    def judge(self, exchange: Exchange) -> None:
        if exchange.operation.compiled.method != "PATCH":
            return
        pair = _second(exchange)
        if pair is None or not pair.second.ok:
            return
        sent = pair.second.sent_json()
        before_body, after_body = pair.first.body(), pair.second.body()
        for key, slot in exchange.operation.compiled.update.echo:
            if isinstance(sent, dict) and key in sent:
                continue
            before, after = slot.read(before_body), slot.read(after_body)
            if before is None:
                continue
            exercised("partial_update_kept", pair.second)
            if not same_value(before, after):
                fail(
                    "partial_update_kept",
                    pair.second,
                    "Partial update reset a field it did not send",
                    f"{'.'.join(slot.path)} was {before!r} after the first update; the second did not send {key} "
                    f"and answered {'.'.join(slot.path)}={after!r}",
                )
