"""How our checks fail: `ContractViolation`, a Schemathesis `Failure` naming its check."""

from __future__ import annotations

from typing import NoReturn

from schemathesis.core.failures import Failure, Severity

from contracts.exchange import Exchange


class ContractViolation(Failure):
    """A semantic check failed."""

    code = "ST901"
    kind_title = "Contract violation"

    def __init__(self, *, check: str, operation: str, title: str, message: str) -> None:
        super().__init__(operation=operation, title=title, message=message, severity=Severity.HIGH)
        self.check = check

    @property
    def _unique_key(self) -> str:
        # One finding per operation per semantic check, like Schemathesis' own checks.
        return self.check


def fail(check: str, exchange: Exchange, title: str, message: str) -> NoReturn:
    raise ContractViolation(check=check, operation=exchange.operation.label, title=title, message=message)


def fail_unless_inferred(check: str, exchange: Exchange, entry: str | None, title: str, message: str) -> None:
    """`fail` for an expectation of profile entry `entry` (None: stated by the schemas). An
    entry the document does not state (see `evidence`) fails the in-process mock, which
    implements it, and is only a warning on a live target; the check then goes on."""
    evidence = exchange.operation.evidence_for(entry) if entry is not None else None
    if evidence is not None and not evidence.stated and exchange.contract.live:
        exchange.report.unverified_expectation(check, entry or "", f"{title}: {message}")
        return
    fail(check, exchange, title, message)


def exercised(check: str, exchange: Exchange) -> None:
    """Count a comparison a check actually made, so a run can show its checks had work to do."""
    exchange.report.exercise(check)
