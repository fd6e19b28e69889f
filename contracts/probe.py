"""The suite's own requests after the engine (`unusual`, `lifecycle`): sent the way the
engine sends (the run's transport, Schemathesis' `Case.call`, so the run's hooks apply), every
enabled check run on the answer (`Case.validate_response`, which builds the run's check
instances from the same configuration), and every finding and count kept in the run's report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemathesis import Response
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import ignored_auth

from contracts.findings import make_finding, timed_out, timeout_finding
from contracts.sent import SentRequest
from contracts.types import Case

if TYPE_CHECKING:
    from contracts.run import ContractRun


def send_checked(run: ContractRun, case: Case, phase: str, what: str) -> Response | None:
    """Send `case`, count it as a case of `phase` and report what the checks find; None (an
    error or a `request_timeout` finding reported) when it got no answer. `what` names the
    request in an error."""
    report = run.report
    try:
        response = run.transport.send(case)
    except Exception as exc:  # an in-process app re-raises its crash; a live one may drop the connection
        request = timed_out(exc)
        if request is not None:
            report.count_requests(1)
            report.add_finding(timeout_finding(request, run.contract, run.transport.timeout, case.operation.label))
        else:
            report.add_error(f"{what} crashed the request: {type(exc).__name__}: {exc}")
        return None
    report.count_requests(1)
    report.cases += 1
    report.phases[phase] += 1
    failures: list[Failure] = []
    try:
        # The credentials are in the case's own headers, so ignored_auth's "no credentials"
        # probe would still carry them (a false ST401); the engine run already covers it.
        case.validate_response(response, transport_kwargs=run.transport.kwargs(), excluded_checks=[ignored_auth])
    except FailureGroup as group:
        failures = list(group.exceptions)
    except Failure as single:
        failures = [single]
    report_failures(run, response, failures)
    return response


def report_failures(run: ContractRun, response: Response, failures: list[Failure]) -> None:
    request = SentRequest.from_prepared(response.request)
    for failure in failures:
        run.report.add_finding(make_finding(failure, request, run.contract))
