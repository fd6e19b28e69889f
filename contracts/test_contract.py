"""The contract test: one per selected API (see `conftest.py` for the options)."""

from __future__ import annotations

import pytest

from contracts.conftest import RunState
from contracts.options import ContractOptions
from contracts.report import ApiReport
from contracts.runner import run_contract
from contracts.targets import Target


def test_contract(
    target: Target, contract_options: ContractOptions, contract_run: RunState, record_property: object
) -> None:
    """The target honours its published contract: Schemathesis checks plus semantic checks,
    with the profile's spec gaps tolerated (and reported)."""
    report = run_contract(target, contract_options, contract_run.next_share())
    contract_run.reports.append(report)
    _record(report, record_property)
    if not report.passed:
        pytest.fail(report.failure_text(), pytrace=False)


def _record(report: ApiReport, record_property: object) -> None:
    """JUnit properties, so a CI dashboard shows the numbers next to the verdict."""
    assert callable(record_property)
    record_property("cases", report.cases)
    record_property("requests", report.requests)
    record_property("seed", report.seed)
    for check, count in sorted(report.violations_by_check().items()):
        record_property(f"violations.{check}", count)
    for gap, count in sorted(report.tolerated.items(), key=lambda item: (item[0].kind, item[0].status)):
        record_property(f"tolerated.{gap.kind}.{gap.status}", f"{count}: {gap.reason}")
