"""The contract-suite ratio reads what both tools report, and runs both on the same cases
(what it measures, not how fast: no timing is asserted)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bench import ROOT
from bench.contract_ratio import (
    MAX_EXAMPLES,
    SEED,
    Counts,
    commands,
    st_run_config,
    st_run_counts,
    suite_counts,
    summary,
)
from bench.report import render
from bench.workloads import TOKEN

# As pytest writes it for two APIs (`record_testsuite_property`), with per-test properties too.
SUITE_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="0" tests="3" time="9.1">
<properties>
  <property name="datagrid.cases" value="141"/><property name="datagrid.requests" value="203"/>
  <property name="datagrid.seconds" value="3.25"/><property name="datagrid.phase.coverage" value="36"/>
  <property name="omi.cases" value="140"/><property name="omi.seconds" value="2.5"/>
  <property name="omi.seed" value="20240601"/>
</properties>
<testcase classname="contracts.test_contract" name="test_contract[datagrid-update_applied]">
  <properties><property name="responses_checked" value="199"/><property name="comparisons" value="130"/></properties>
</testcase>
</testsuite></testsuites>"""

# The parts of `st run --report json` it reads, with their neighbours.
ST_RUN_REPORT = """{"schemathesis_version": "4.32.5", "seed": 20240601, "running_time": 6.347221790000731,
 "operations": {"total": 1, "tested": 1},
 "test_cases": {"generated": 138, "with_failures": 2, "unique_failures": 2, "without_checks": 2, "errored": 0}}"""


def test_the_suites_cases_and_seconds_come_from_its_junit_properties() -> None:
    assert suite_counts(SUITE_JUNIT) == Counts(cases=281, seconds=5.75)


def test_st_runs_cases_and_seconds_come_from_its_json_report() -> None:
    assert st_run_counts(ST_RUN_REPORT) == Counts(cases=138, seconds=6.35)


def test_the_ratio_and_its_line() -> None:
    entry = summary(["datagrid"], Counts(150, 3.0), Counts(100, 2.0), [9.0, 8.0])
    assert entry["ratio"] == 1.0 and entry["suite"]["cases_per_s"] == entry["st_run"]["cases_per_s"] == 50.0
    assert summary(["datagrid"], Counts(70, 1.0), Counts(100, 1.0), [1.0, 1.0])["ratio"] == 0.7
    # The ratio of the rates as measured, not as rounded for the table (31.2 / 39.1 cases/s).
    assert summary(["datagrid"], Counts(710, 22.74), Counts(693, 17.72), [1.0, 1.0])["ratio"] == 0.798
    assert summary(["datagrid"], Counts(0, 0.0), Counts(100, 1.0), [1.0, 1.0])["ratio"] is None
    line = "150 cases in 3.0 s (50.0 cases/s); raw st run: 100 in 2.0 s (50.0 cases/s); ratio 1.0"
    assert line in render({"contract": entry}) and "9.0 s and 8.0 s" in render({"contract": entry})


def test_both_run_the_same_cases_against_the_same_target(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/datagrid/v1"
    (suite, junit, _), (st, report, _) = commands("datagrid", url, tmp_path)
    assert f"--junitxml={junit}" in suite and st[st.index("--report-json-path") + 1] == str(report)
    assert tomllib.loads(Path(st[st.index("--config-file") + 1]).read_text()) == tomllib.loads(
        st_run_config(ROOT / "specs" / "datagrid.yaml", TOKEN)
    )  # written where st run reads it
    for argv in (suite, st):
        assert argv[argv.index("--seed") + 1] == str(SEED)
        assert argv[argv.index("--max-examples") + 1] == str(MAX_EXAMPLES)
    assert suite[suite.index("--base-url") + 1] == st[st.index("--url") + 1] == url
    # The suite's phases, modes and checks on a live target (contracts/runner.py).
    assert st[st.index("--phases") + 1] == "examples,coverage,fuzzing" and st[st.index("--mode") + 1] == "all"
    assert st[st.index("--exclude-checks") + 1] == "unsupported_method,allow_header_conformance"
    assert "--no-shrink" in st and "--continue-on-failure" in st


def test_st_run_gets_the_credential_as_the_suite_applies_it() -> None:
    config = tomllib.loads(st_run_config(ROOT / "specs" / "openhands.yaml", "secret"))
    assert config["auth"]["openapi"] == {"APIKeyHeader": {"api_key": "secret"}}
    assert config["phases"]["coverage"]["unexpected-methods"] == []
    bearer = tomllib.loads(st_run_config(ROOT / "specs" / "datagrid.yaml", "secret"))
    assert bearer["auth"]["openapi"] == {"BearerAuth": {"bearer": "secret"}}
    assert "auth" not in tomllib.loads(st_run_config(ROOT / "specs" / "library-chat.yaml", "secret"))
