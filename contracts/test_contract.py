"""The contract tests: one per selected API and check, so a CI dashboard tracks each check
(see `conftest.py` for the options). An API's run happens once, in its first test; the others
read its report. `run_completed` fails when the suite could not test the API completely."""

from __future__ import annotations

import pytest

from contracts.checks import SEMANTIC_CHECKS
from contracts.conftest import RUN_COMPLETED, RunState
from contracts.options import ContractOptions
from contracts.report import ApiReport
from contracts.targets import Target


def test_contract(
    target: Target,
    check: str,
    contract_options: ContractOptions,
    contract_run: RunState,
    record_testsuite_property: object,
    request: pytest.FixtureRequest,
) -> None:
    """The target honours `check` of its published contract (Schemathesis' checks plus the
    semantic ones, with the profile's spec gaps tolerated and reported)."""
    report, first = contract_run.report_for(target, contract_options)
    if first:
        _record(report, record_testsuite_property)
    if check == RUN_COMPLETED:
        if report.errors or report.unattributed(contract_run.checks):
            pytest.fail(report.failure_text(), pytrace=False)
        return
    # Per test case: what the check judged (JUnit <properties>; pytest's record_property
    # would warn under xunit2, which CI tools read these from all the same).
    found = report.findings_of(check)
    request.node.user_properties.append(("responses_checked", report.checked[check]))
    if check in SEMANTIC_CHECKS:
        request.node.user_properties.append(("comparisons", report.exercised[check]))
    request.node.user_properties.append(("violations", len(found)))
    if found:
        pytest.fail(report.check_failure_text(check), pytrace=False)
    if check in report.skipped_checks:
        pytest.skip(report.skipped_checks[check])
    if report.requests == 0:
        pytest.skip("nothing was sent (see run_completed)")


def _record(report: ApiReport, record: object) -> None:
    """JUnit test-suite properties (valid in the default xunit2 format, unlike per-test ones),
    so a CI dashboard shows the numbers next to the verdict."""
    assert callable(record)
    api = report.api
    record(f"{api}.cases", report.cases)
    record(f"{api}.requests", report.requests)
    record(f"{api}.seconds", round(report.elapsed, 2))
    record(f"{api}.seed", report.seed)
    for phase, count in sorted(report.phases.items()):
        record(f"{api}.phase.{phase}", count)
    record(f"{api}.accepted", report.accepted)
    if report.refused[429]:
        record(f"{api}.rate_limited", report.refused[429])
    if report.stopped_early:
        record(f"{api}.stopped", f"{report.stop_reason} after {report.cases} cases")
    for check, count in sorted(report.violations_by_check().items()):
        record(f"{api}.violations.{check}", count)
    for gap, count in sorted(report.tolerated.items(), key=lambda item: (item[0].kind, item[0].status)):
        record(f"{api}.tolerated.{gap.kind}.{gap.status}", f"{count}: {gap.reason}")
    for (check, entry), (count, _message) in sorted(report.unmet_inferred.items()):
        record(f"{api}.inferred_not_met.{check}.{entry}", count)
