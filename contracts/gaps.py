"""Classify a failure: a violation, or a tolerated spec gap.

Three seed specs declare security but no 401, and Datagrid declares no error answer for an
invalid body, so a correct deployment *must* answer there with a status its spec does not
document. The profile lists each such gap (`gaps:` with kind, statuses, reason); this module
tolerates an undocumented status only when the request really is what the gap is about:

    auth             the request lacked valid credentials (judged from the request as sent)
    invalid_request  the request breaks its declared input (judged by `oracle`)
    unknown id       live target only: 404 for an id the suite made up (see README); also
                     Schemathesis' "created resource not found" (ST302) for such a read, since
                     it addressed the made-up id, not the created one

One gap needs no profile entry: where an operation declares no answer for an invalid or
malformed request (none for 400, 413, 415 or 422, nor 4XX or default), every correct
rejection of an invalid request (400, 413, 415, 422) is a tolerated `invalid_request` gap:
Spring answers 415 to a body-less request, FastAPI 422, others 400.

Everything else stays a violation; in particular a 401 to a correctly authenticated request,
or a 422 to a valid one. Tolerated gaps are counted in the report and shown as warnings.
`failure_filter` is the Schemathesis `filter_failure` hook the runner registers on the
run's schema, bound to the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from schemathesis import HookContext, Response
from schemathesis.core.failures import Failure
from schemathesis.openapi.checks import EnsureResourceAvailability, UndefinedStatusCode

from contracts.exchange import Exchange
from contracts.report import ToleratedGap
from contracts.types import Case
from mockserver.operations import Operation

if TYPE_CHECKING:
    from contracts.run import ContractRun

REJECTION_STATUSES = (400, 413, 415, 422)
NO_REJECTION_REASON = (
    "the operation declares no answer for an invalid request, so any correct rejection (400, 413, 415, 422) "
    "is undocumented"
)
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
        if status in REJECTION_STATUSES and declares_no_rejection(exchange.operation.compiled):
            return ToleratedGap("invalid_request", status, NO_REJECTION_REASON)
    if exchange.unknown_id_answer():
        return ToleratedGap("unknown_id", status, UNKNOWN_ID_REASON)
    return None


def declares_no_rejection(operation: Operation) -> bool:
    """Whether `operation` declares no answer at all for an invalid or malformed request."""
    return all(operation.response_for(status) is None for status in REJECTION_STATUSES)


def failure_filter(run: ContractRun) -> Callable[[HookContext, Failure, Case, Response | None], bool]:
    """The `filter_failure` hook of `run`: False drops a failure that is a tolerated gap."""

    def filter_failure(context: HookContext, failure: Failure, case: Case, response: Response | None) -> bool:
        if not isinstance(failure, UndefinedStatusCode | EnsureResourceAvailability) or response is None:
            return True
        exchange = run.exchange(case, response)
        if exchange is None:
            return True
        if isinstance(failure, EnsureResourceAvailability):
            # On a live target the read after a create addresses the suite's made-up id, not
            # the created one (only made-up ids are touched there): its 404 is no evidence.
            gap = (
                ToleratedGap("unknown_id", exchange.status, UNKNOWN_ID_REASON) if exchange.unknown_id_answer() else None
            )
        else:
            gap = tolerated_gap(exchange)
        if gap is None:
            return True
        run.report.tolerate(gap)
        return False

    return filter_failure
