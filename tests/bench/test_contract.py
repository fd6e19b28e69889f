from pathlib import Path

from bench.contract import ContractResult, count_cases, read_junit, run

STATS = """\
contracts/test_contract.py::test_api[omi]:

  - during generate phase (1.20 seconds):
    - Typical runtimes: ~ 1-3 ms, of which < 1ms in data generation
    - 100 passing examples, 0 failing examples, 4 invalid examples
  - Stopped because settings.max_examples=100

contracts/test_contract.py::test_api[openhands]:

  - during reuse phase (0.01 seconds):
    - 1 passing example, 2 failing examples, 0 invalid examples
"""


def test_count_cases_sums_passing_and_failing_examples() -> None:
    assert count_cases(STATS) == 103
    assert count_cases("3 passed in 1.2s") is None


def test_count_cases_prefers_the_suites_own_summary() -> None:
    output = "omi: PASS - 141 cases, 143 requests in 1.4s\nopenhands: FAIL - 9 cases, 12 requests in 0.1s\n" + STATS
    assert count_cases(output) == 150


def test_read_junit_sums_suites_and_numeric_properties(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite tests="5" failures="1" errors="1" skipped="2">'
        '<testcase name="a"><properties><property name="omi.cases" value="120"/>'
        '<property name="seed" value="x1"/></properties></testcase>'
        '<testcase name="b"><properties><property name="cases" value="30"/></properties></testcase>'
        '</testsuite><testsuite tests="3" failures="0" errors="0" skipped="0"/></testsuites>'
    )
    summary = read_junit(report)
    assert (summary.tests, summary.failures, summary.skipped) == (8, 2, 2)
    assert summary.properties == {"cases": 150}


def test_a_suite_without_tests_is_skipped_with_a_note(tmp_path: Path) -> None:
    assert run(tmp_path, "python", 10).status == "skipped"
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "__init__.py").write_text("")
    result = run(tmp_path, "python", 10)
    assert (result.status, result.note) == ("skipped", "contracts/ has no test files yet")


def test_rates_only_for_a_suite_that_ran() -> None:
    ran = ContractResult("ran", seconds=4.0, tests=8, cases=400)
    assert (ran.tests_per_s, ran.cases_per_s) == (2.0, 100.0)
    assert ContractResult("skipped", "none").tests_per_s is None
    assert ContractResult("ran", seconds=2.0, tests=2).cases_per_s is None
