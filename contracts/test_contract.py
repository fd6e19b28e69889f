"""The contract test: one per selected API (see `conftest.py` for the options)."""

from __future__ import annotations

import pytest

from contracts.conftest import RunState
from contracts.options import ContractOptions
from contracts.report import ApiReport
from contracts.runner import run_contract
from contracts.targets import Target


def test_contract(
    target: Target, contract_options: ContractOptions, contract_run: RunState, record_testsuite_property: object
) -> None:
    """The target honours its published contract: Schemathesis checks plus semantic checks,
    with the profile's spec gaps tolerated (and reported)."""
    report = run_contract(target, contract_options, contract_run.next_share())
    contract_run.reports.append(report)
    _record(report, record_testsuite_property)
    if not report.passed:
        pytest.fail(report.failure_text(), pytrace=False)


def _record(report: ApiReport, record: object) -> None:
    """JUnit test-suite properties (valid in the default xunit2 format, unlike per-test ones),
    so a CI dashboard shows the numbers next to the verdict."""
    assert callable(record)
    api = report.api
    record(f"{api}.cases", report.cases)
    record(f"{api}.requests", report.requests)
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
