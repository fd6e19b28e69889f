"""The contract suite's run time: `python -m pytest contracts` (what `make contract` runs,
against the in-process mocks), timed from outside, with tests/s and generated cases/s.

Tests, failures and skips come from a JUnit XML report; cases (and HTTP requests) from the
`cases`/`requests` properties that the suite's tests record there, or, for a suite that
records none, from Hypothesis's `--hypothesis-show-statistics` lines. When the suite has no
tests yet, the result says so.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

NO_TESTS_COLLECTED = 5  # pytest's exit code
_EXAMPLES = re.compile(r"(\d+) passing examples?, (\d+) failing examples?")
_SUMMARY = re.compile(r"\b(\d+) cases, (\d+) requests\b")


@dataclass(frozen=True, slots=True)
class ContractResult:
    status: str  # "ran" | "skipped" | "error"
    note: str = ""
    seconds: float = 0.0
    tests: int = 0
    failures: int = 0
    skipped: int = 0
    cases: int | None = None  # None: the suite told neither cases nor Hypothesis statistics
    requests: int | None = None

    @property
    def tests_per_s(self) -> float | None:
        return self.tests / self.seconds if self.status == "ran" and self.seconds > 0 else None

    @property
    def cases_per_s(self) -> float | None:
        return self.cases / self.seconds if self.cases is not None and self.seconds > 0 else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 2)
        data["tests_per_s"] = None if self.tests_per_s is None else round(self.tests_per_s, 2)
        data["cases_per_s"] = None if self.cases_per_s is None else round(self.cases_per_s, 1)
        return data


def count_cases(output: str) -> int | None:
    """Cases from the suite's own summary lines ("omi: PASS - 141 cases, 143 requests"),
    else the sum of passing and failing examples in Hypothesis's statistics."""
    summary = _SUMMARY.findall(output)
    if summary:
        return sum(int(cases) for cases, _ in summary)
    found = _EXAMPLES.findall(output)
    if not found:
        return None
    return sum(int(passing) + int(failing) for passing, failing in found)


@dataclass(frozen=True, slots=True)
class JunitSummary:
    tests: int
    failures: int  # failures + errors
    skipped: int
    properties: dict[str, int]  # numeric test-case properties by their last dotted part, summed


def read_junit(path: Path) -> JunitSummary:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = failures = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    properties: dict[str, int] = {}
    for prop in root.iter("property"):
        name, value = prop.get("name", ""), prop.get("value", "")
        if value.isdigit():
            key = name.rsplit(".", 1)[-1]  # "cases" and "omi.cases" alike
            properties[key] = properties.get(key, 0) + int(value)
    return JunitSummary(tests, failures, skipped, properties)


def has_tests(folder: Path) -> bool:
    return any(folder.rglob("test_*.py")) or any(folder.rglob("*_test.py"))


def run(root: Path, python: str, timeout: float, extra_args: list[str] | None = None) -> ContractResult:
    folder = root / "contracts"
    if not folder.is_dir():
        return ContractResult("skipped", "there is no contracts/ folder")
    if not has_tests(folder):
        return ContractResult("skipped", "contracts/ has no test files yet")
    with tempfile.TemporaryDirectory(prefix="bench-contract-") as tmp:
        junit = Path(tmp) / "junit.xml"
        argv = [
            python,
            "-m",
            "pytest",
            "contracts",
            "-q",
            "-p",
            "no:cacheprovider",
            "--hypothesis-show-statistics",
            f"--junitxml={junit}",
            *(extra_args or []),
        ]
        started = time.perf_counter()
        try:
            done = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return ContractResult("error", f"the contract suite did not finish within {timeout:g} s")
        seconds = time.perf_counter() - started
        output = done.stdout + done.stderr
        if done.returncode == NO_TESTS_COLLECTED:
            return ContractResult("skipped", "pytest collected no tests in contracts/", seconds)
        if not junit.exists() or done.returncode not in (0, 1):
            tail = "\n".join(output.strip().splitlines()[-15:])
            return ContractResult("error", f"pytest exited with code {done.returncode}:\n{tail}", seconds)
        summary = read_junit(junit)
    note = f"{summary.failures} failed" if summary.failures else ""
    cases = summary.properties.get("cases", count_cases(output))
    return ContractResult(
        "ran",
        note,
        seconds,
        summary.tests,
        summary.failures,
        summary.skipped,
        cases,
        summary.properties.get("requests"),
    )
