"""Classify a failure: a violation, or a tolerated spec gap.

Three seed specs declare security but no 401, and Datagrid declares no error answer for an
invalid body, so a correct deployment *must* answer there with a status its spec does not
document. The profile lists each such gap (`gaps:` with kind, statuses, reason); this module
tolerates an undocumented status only when the request really is what the gap is about:

    auth             the request lacked valid credentials (judged from the request as sent)
    invalid_request  the request breaks its declared input (judged by `oracle`)
    unknown id       live target only: 404 for an id the suite made up (see README)

Everything else stays a violation; in particular a 401 to a correctly authenticated request,
or a 422 to a valid one. Tolerated gaps are counted in the report and shown as warnings.
"""

from __future__ import annotations

from typing import Any

from schemathesis.openapi.checks import UndefinedStatusCode

from contracts.exchange import Exchange, exchange_for
from contracts.report import ToleratedGap

UNKNOWN_ID_REASON = "the suite made this id up, so a live target cannot know it (pass --path-param to test a real one)"


def tolerated_gap(exchange: Exchange) -> ToleratedGap | None:
    """The gap an undocumented status of `exchange` falls under, or None (a violation)."""
    status = exchange.status
    contract = exchange.contract
    authenticated = exchange.authenticated()
    if authenticated is False:
        for gap in contract.gaps("auth"):
            if status in gap.statuses:
                return ToleratedGap("auth", status, gap.reason)
    if exchange.problems():
        for gap in contract.gaps("invalid_request"):
            if status in gap.statuses:
                return ToleratedGap("invalid_request", status, gap.reason)
    if exchange.unknown_id_answer():
        return ToleratedGap("unknown_id", status, UNKNOWN_ID_REASON)
    return None


def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Schemathesis `filter_failure` hook: False drops a failure that is a tolerated gap."""
    if not isinstance(failure, UndefinedStatusCode) or response is None:
        return True
    exchange = exchange_for(case, response)
    if exchange is None:
        return True
    gap = tolerated_gap(exchange)
    if gap is None:
        return True
    exchange.contract.report.tolerate(gap)
    return False
