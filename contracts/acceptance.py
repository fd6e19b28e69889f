"""The run-level verdict: could the contract be verified at all? (`valid_requests_accepted`)

Every semantic check, and most built-in ones, judge accepted updates. A run in which no
valid, correctly authenticated request was accepted verified nothing of them, and is a
failure, whatever the refusals were (429 every time, 404 for a --path-param id, 409...),
with one exception: on a live target without --path-param, a 404 for an id the suite made
up is the correct answer, so a run whose valid requests all got that passes, with a note.
An occasional 429 (a rate limit) is tolerated and shown as a warning in the summary.

Two steps, both bound to the run: `answer_recorder` is an `after_call` hook the runner
registers on the run's schema, so every request counts (the engine's, the unusual input,
the lifecycle walk; not the second updates, which repeat an accepted one), whichever checks
are selected; `judge_acceptance`
is the after-run step, once all of them are done. Not a Schemathesis `after_run` check: the
engine calls those when its own phases end, before the suite's, and only for selected checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from schemathesis import HookContext, Response

from contracts.findings import make_finding
from contracts.types import Case
from contracts.violation import ContractViolation

if TYPE_CHECKING:
    from contracts.run import ContractRun

ACCEPTANCE_CHECK = "valid_requests_accepted"


def answer_recorder(run: ContractRun) -> Callable[[HookContext, Case, Response], None]:
    """The `after_call` hook of `run`: count what each valid, correctly authenticated request got."""

    def after_call(context: HookContext, case: Case, response: Response) -> None:
        if run.followups.is_second(case.id):
            return
        exchange = run.exchange(case, response)
        if exchange is None or exchange.authenticated() is False or exchange.problems():
            return
        made_up = exchange.unknown_id_answer()
        run.report.record_valid(exchange.status, made_up_id=made_up)
        if not exchange.ok and not made_up:
            run.refused(exchange.request)

    return after_call


def judge_acceptance(run: ContractRun) -> None:
    """The verdict, from what `answer_recorder` counted (see the module's docstring)."""
    report, contract = run.report, run.contract
    if report.requests == 0 or report.accepted:
        return
    if report.refused:
        answers = ", ".join(f"{status} x{count}" for status, count in sorted(report.refused.items()))
        hint = (
            " (pass --path-param with the id of a disposable resource)" if contract.live and report.unknown_id else ""
        )
        violation = ContractViolation(
            check=ACCEPTANCE_CHECK,
            operation=", ".join(op.label for op in contract.operations.values()),
            title="Contract could not be verified: no valid request was accepted",
            message=(
                f"Valid, correctly authenticated requests were answered {answers}"
                + (f" and 404 for a made-up id x{report.unknown_id}" if report.unknown_id else "")
                + f", never 2xx, so whether the target applies updates as its contract says is unknown{hint}"
            ),
        )
        report.add_finding(make_finding(violation, run.first_refused, contract))
    elif report.unknown_id:
        report.notes.append(
            "no update was accepted (every valid request addressed an id the suite made up and got 404), "
            "so the update semantics were not exercised (pass --path-param with the id of a disposable resource)"
        )
    else:
        report.add_error("no valid, correctly authenticated request was sent: the contract could not be verified")
