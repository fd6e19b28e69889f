"""The contract suite beside `st run`: the counts are read from what each tool writes, the
ratio is computed from them, and a real (tiny) run of both measures the same cases."""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench import contract_ratio, report
from bench.cli import ROOT
from bench.contract_ratio import Comparison, Measured
from bench.servers import BenchError

# The shape pytest's xunit2 report has for the suite: test-suite properties, then test cases
# with properties of their own (which are not cases).
SUITE_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests">
  <testsuite name="pytest" errors="0" failures="1" skipped="2" tests="58" time="7.018">
    <properties>
      <property name="omi.cases" value="141" />
      <property name="omi.requests" value="190" />
      <property name="omi.phase.coverage" value="36" />
      <property name="omi.phase.fuzzing" value="100" />
      <property name="omi.phase.unusual" value="5" />
      <property name="datagrid.cases" value="60" />
      <property name="datagrid.phase.coverage" value="40" />
      <property name="datagrid.phase.examples" value="2" />
      <property name="datagrid.phase.fuzzing" value="15" />
      <property name="datagrid.phase.lifecycle" value="3" />
    </properties>
    <testcase classname="test_contract" name="test_contract[omi-not_a_server_error]" time="6.2">
      <properties><property name="responses_checked" value="136" /><property name="cases" value="999" /></properties>
    </testcase>
  </testsuite>
</testsuites>
"""


@pytest.fixture
def suite_junit(tmp_path: Path) -> ET.ElementTree[ET.Element]:
    path = tmp_path / "suite.xml"
    path.write_text(SUITE_JUNIT)
    return ET.parse(path)


def test_the_suite_cases_are_its_apis_cases_properties(suite_junit: ET.ElementTree[ET.Element]) -> None:
    # 141 + 60; a test case's own "cases" property is not an API's.
    assert contract_ratio.suite_cases(suite_junit) == 201


def test_the_suite_phases_are_summed_over_its_apis(suite_junit: ET.ElementTree[ET.Element]) -> None:
    phases = contract_ratio.suite_phases(suite_junit)
    assert phases == {"coverage": 76, "fuzzing": 115, "unusual": 5, "examples": 2, "lifecycle": 3}
    assert contract_ratio.junit_seconds(suite_junit) == 7.018


def test_st_run_counts_come_from_its_json_report() -> None:
    document = {"running_time": 7.13, "test_cases": {"generated": 138, "with_failures": 0}}
    assert contract_ratio.st_run_counts(document) == (138, 7.13)
    assert contract_ratio.st_run_counts({"test_cases": {"generated": 3}}) == (3, None)
    with pytest.raises(BenchError, match=r"test_cases\.generated"):
        contract_ratio.st_run_counts({"running_time": 1.0})


def test_st_run_gets_the_token_for_each_bearer_and_api_key_scheme() -> None:
    spec = {
        "components": {
            "securitySchemes": {
                "developer key": {"type": "http", "scheme": "Bearer"},
                "session": {"type": "apiKey", "in": "header", "name": "X-Session-API-Key"},
                "login": {"type": "oauth2", "flows": {}},
            }
        }
    }
    config = tomllib.loads(contract_ratio.st_config(spec, 'to"ken'))
    assert config == {
        "generation": {"database": "none"},
        "auth": {"openapi": {"developer key": {"bearer": 'to"ken'}, "session": {"api_key": 'to"ken'}}},
    }
    assert tomllib.loads(contract_ratio.st_config({}, "t")) == {"generation": {"database": "none"}}


def comparison(suite_cases: int, suite_s: float, st_cases: int, st_s: float) -> Comparison:
    return Comparison(
        "omi", 100, 42, Measured(suite_cases, suite_s, suite_s / 2, 0), Measured(st_cases, st_s, st_s / 4, 0), 5
    )


def test_the_ratio_is_the_suites_cases_per_second_over_st_runs() -> None:
    # 120 cases in 6 s (20/s) beside 100 in 4 s (25/s); reported times 3 s and 1 s: 40/s, 100/s.
    measured = comparison(120, 6.0, 100, 4.0)
    assert measured.ratio == pytest.approx(0.8) and measured.reported_ratio == pytest.approx(0.4)
    assert comparison(120, 6.0, 0, 4.0).ratio is None and comparison(0, 6.0, 100, 4.0).ratio == 0


def test_the_row_carries_both_runs_and_the_target() -> None:
    row = report.contract_row(comparison(120, 6.0, 100, 4.0))
    assert row["suite"] == {"cases": 120, "seconds": 6.0, "cases_per_s": 20.0, "reported_seconds": 3.0, "exit": 0}
    assert row["st_run"]["cases_per_s"] == 25.0 and row["suite_extra_cases"] == 5
    assert row["rounds"] == 1 and row["ratio"] == 0.8 and row["met"] and row["target"] == ">= 0.8 x st run cases/s"
    assert not report.contract_row(comparison(100, 6.0, 100, 4.0))["met"]
    json.dumps(row)  # it goes into the results file as it is


@pytest.mark.slow
def test_both_tools_run_the_same_cases_against_the_mock() -> None:
    measured = contract_ratio.measure(ROOT, max_examples=5, seed=7, rounds=1)
    assert measured.suite.exit == 0 and measured.st_run.exit == 0, measured
    assert measured.suite.cases > 0 and measured.st_run.cases > 0 and measured.suite_extra_cases > 0
    # Same operations, modes, phases and examples: the counts agree to within a few cases (the
    # suite fixes the path id on a live target, st run generates it).
    assert abs(measured.suite.cases - measured.st_run.cases) <= 0.1 * measured.st_run.cases, measured
    assert measured.suite.reported_seconds and measured.st_run.reported_seconds


def test_the_median_round_is_kept() -> None:
    rounds = [Measured(100, seconds, None, 0) for seconds in (5.0, 9.0, 4.0)]
    assert contract_ratio._median(rounds, lambda m: m.per_second or 0.0).seconds == 5.0
    assert contract_ratio._median(rounds[:2], lambda m: m.per_second or 0.0).seconds == 9.0  # the slower of two
