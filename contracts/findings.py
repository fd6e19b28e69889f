"""Turn a Schemathesis failure into a reported `Finding` with its curl reproduction."""

from __future__ import annotations

from requests import PreparedRequest
from requests.exceptions import Timeout
from schemathesis.core.failures import Failure

from contracts.contract import ApiContract
from contracts.credentials import IN_PROCESS_TOKEN
from contracts.curl import IN_PROCESS_HOST, curl_command
from contracts.report import Finding
from contracts.sent import SentRequest
from contracts.violation import ContractViolation

# Where `python -m mockserver serve SPEC` listens by default: in-process findings replay there.
MOCK_ORIGIN = "http://127.0.0.1:4010"


def check_name(failure: Failure, default: str = "") -> str:
    """The check a failure comes from: ours carry it, Schemathesis' failure classes list theirs."""
    own = getattr(failure, "check", None)
    if isinstance(own, str):
        return own
    checks = getattr(type(failure), "checks", ())
    return default or (str(checks[0]) if checks else str(failure.title))


def make_finding(failure: Failure, request: SentRequest | None, contract: ApiContract, check: str = "") -> Finding:
    """A finding for `failure`, reproduced by `request` (None: no request was recorded)."""
    curl = "(no request recorded)"
    if request is not None:
        in_process = request.url.startswith(IN_PROCESS_HOST)
        origin = MOCK_ORIGIN if in_process else None
        credentials = contract.credentials
        curl = curl_command(request, origin=origin, redact=credentials.redact, redact_header=credentials.redact_header)
        if in_process:
            token = contract.credentials.token or IN_PROCESS_TOKEN
            curl += f"   # against: python -m mockserver serve {contract.spec_path} --token {token}"
    return Finding(
        check=check_name(failure, check),
        code=str(getattr(failure, "code", "")),
        title=str(failure.title),
        message=contract.credentials.redact(str(failure.message or "")),
        curl=curl,
    )


TIMEOUT_CHECK = "request_timeout"


def timed_out(error: BaseException) -> PreparedRequest | bool | None:
    """The request of a read timeout (`requests`' ReadTimeout, raised over HTTP and by
    Schemathesis' ASGI transport alike; False when it carries none), or None when `error`
    is something else."""
    for exc in (error, error.__cause__, error.__context__):
        if isinstance(exc, Timeout):
            request = exc.request
            return request if isinstance(request, PreparedRequest) else False
    return None


def timeout_finding(request: PreparedRequest | bool, contract: ApiContract, seconds: float, operation: str) -> Finding:
    """`request_timeout`: no answer within --request-timeout (a hang is a violation, and the
    run goes on, bounded, with the next case)."""
    violation = ContractViolation(
        check=TIMEOUT_CHECK,
        operation=operation,
        title="No answer within the request timeout",
        message=f"The request got no answer within {seconds:g} s (--request-timeout)",
    )
    sent = SentRequest.from_prepared(request) if isinstance(request, PreparedRequest) else None
    return make_finding(violation, sent, contract)
