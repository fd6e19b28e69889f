"""Unusual but valid input: a short, deterministic battery the generators rarely produce.

Schemathesis draws realistic values for fields such as `title` ("Quarterly standup") and
boundary values in its coverage phase ("0", "000..."), so a deployment that breaks on
non-ASCII text or on a long string can pass a whole run. After the engine, each API gets one
valid, authenticated update per value below, with every top-level string field of the body
set to it (truncated to the field's maxLength). All checks run on the answers; in addition a
valid request must be accepted (`unusual_input_accepted`).
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts.contract import OperationContract
from contracts.exchange import Exchange
from contracts.probe import report_failures, send_checked
from contracts.run import ContractRun
from contracts.types import JSON, Schema
from contracts.violation import ContractViolation
from mockserver.validation import ParameterRule

_MIXED = "Café ☕ 会议 مرحبا 👩\u200d👩\u200d👧 "
UNUSUAL_STRINGS: tuple[str, ...] = (
    "Café crème – Größe №5 ☕",  # Latin-1, typographic punctuation, emoji
    "会议纪要：第三季度 📅",  # CJK with full-width punctuation
    "مراجعة الميزانية — סקירה",  # right-to-left scripts
    "e\u0301\u200b\u00a0zero\u2060width \U0001f469\u200d\U0001f469\u200d\U0001f467",  # combining, zero-width, ZWJ
    (_MIXED * 60)[:1000],  # long, and multi-byte all the way
)


def unusual_bodies(operation: OperationContract) -> Iterator[dict[str, JSON]]:
    """Valid bodies, one per unusual string, with every string field that can take it."""
    oracle = operation.oracle
    properties = oracle.body_properties
    for text in UNUSUAL_STRINGS:
        body: dict[str, JSON] = {}
        for name, schema in properties.items():
            for candidate in (text, text[: _max_length(schema)]):
                if candidate and not oracle.body_problems_of({**body, name: candidate}):
                    body[name] = candidate
                    break
        if body and not oracle.body_problems_of(body):
            yield body


def _max_length(schema: JSON) -> int:
    if not isinstance(schema, dict):
        return 0
    lengths = [schema["maxLength"]] if isinstance(schema.get("maxLength"), int) else []
    lengths += [_max_length(branch) for branch in schema.get("anyOf") or schema.get("oneOf") or []]
    return max(lengths, default=0)


def probe_unusual_input(schema: Schema, run: ContractRun) -> None:
    """Send the battery to every operation of `schema` and report what the checks find."""
    contract = run.contract
    for operation in contract.operations.values():
        api_operation = schema.find_operation_by_label(operation.label)
        if api_operation is None:
            continue
        overrides = run.path_overrides()
        for body in unusual_bodies(operation):
            path = {
                rule.name: overrides.get(rule.name) or contract.fresh_id_for(rule.name)
                for rule in _path_rules(operation)
            }
            credentials = contract.credentials.headers_for(operation.compiled)
            case = api_operation.Case(
                path_parameters=path, body=body, headers=credentials, media_type="application/json"
            )
            response = send_checked(run, case, "unusual", f"unusual input {body!r}")
            if response is None:
                continue
            exchange = run.exchange(case, response)
            if exchange is None:
                continue
            run.report.checked["unusual_input_accepted"] += 1
            if _wrongly_refused(exchange):
                violation = ContractViolation(
                    check="unusual_input_accepted",
                    operation=exchange.operation.label,
                    title="Valid unusual input rejected",
                    message=f"A valid, authenticated update was answered {exchange.status}: {response.content[:300]!r}",
                )
                report_failures(run, response, [violation])


def _path_rules(operation: OperationContract) -> list[ParameterRule]:
    return [rule for rule in operation.compiled.parameters if rule.location == "path"]


def _wrongly_refused(exchange: Exchange) -> bool:
    """A refusal this check reports. Not: a 2xx; a 5xx (`not_a_server_error` reports it); a
    429 (a rate limit says nothing about the input; the run-level verdict counts it, see
    `acceptance`); a live target's 404 for an id the suite made up."""
    status = exchange.status
    return not (exchange.ok or status >= 500 or status == 429 or exchange.unknown_id_answer())
