"""The contract suite's cases per second beside a raw `st run` (issue 11, target 6: >= 0.8).

Both run as a user runs them, one after the other, each against a fresh mock of one seed API
on a real socket (`python -m mockserver serve specs/omi.yaml`, 127.0.0.1), with the same seed,
examples, modes (positive and negative), phases, checks (all) and one worker, taking turns for
three rounds (the median round of each is kept):

    pytest contracts --api omi --base-url URL --token T --max-examples N --seed S
        --check-undeclared-methods --junitxml suite.xml
    st --config-file st.toml run specs/omi.yaml --url URL -c all -m all -n N --seed S -w 1
        --phases examples,coverage,fuzzing --no-shrink --continue-on-failure --report json,junit

`--check-undeclared-methods`, because `st run` probes the methods the spec does not declare;
st.toml gives the token per security scheme and no example database, as the suite does.
Cases: the suite's JUnit `<api>.phase.<phase>` properties of the phases `st run` runs too (its
own probes, unusual input and the lifecycle walk, are work on top: their time counts, their
cases do not) and `test_cases.generated` of st run's JSON report. Seconds: each command's wall
time (interpreter start-up included, as a user waits for it; the ratio is taken from these)
and the run time each reports (pytest's JUnit testsuite time; st run's `running_time`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.servers import HOST, BenchError, Server, Servers, free_port
from bench.workloads import TOKEN
from mockserver.loader import load_spec

API = "omi"
MAX_EXAMPLES = 100  # the suite's default
SEED = 42
PHASES = ("examples", "coverage", "fuzzing")  # given to `st run`; the suite runs them by default
# Stateful too when a document links operations (the suite enables it for several operations).
COMPARED_PHASES = (*PHASES, "stateful")
ROUNDS = 3
TIMEOUT = 600
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Measured:
    """One tool's run: cases it generated, its wall time, the run time it reports itself."""

    cases: int
    seconds: float
    reported_seconds: float | None
    exit: int

    @property
    def per_second(self) -> float | None:
        return self.cases / self.seconds if self.seconds > 0 else None

    def as_dict(self) -> dict[str, Any]:
        rate = self.per_second
        reported = self.reported_seconds
        return {
            "cases": self.cases,
            "seconds": round(self.seconds, 2),
            "cases_per_s": None if rate is None else round(rate, 1),
            "reported_seconds": None if reported is None else round(reported, 2),
            "exit": self.exit,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    api: str
    max_examples: int
    seed: int
    suite: Measured
    st_run: Measured
    suite_extra_cases: int = 0  # the suite's own probes, not counted in `suite.cases`
    rounds: int = 1

    @property
    def ratio(self) -> float | None:
        """The suite's cases/s over st run's, by wall time."""
        return _over(self.suite.per_second, self.st_run.per_second)

    @property
    def reported_ratio(self) -> float | None:
        """The same from the run times the tools report (start-up left out)."""
        suite, st_run = self.suite.reported_seconds, self.st_run.reported_seconds
        if not suite or not st_run:
            return None
        return _over(self.suite.cases / suite, self.st_run.cases / st_run)


def _over(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def suite_cases(tree: ET.ElementTree[ET.Element]) -> int:
    """All cases of a suite run: the sum of its `<api>.cases` test-suite properties."""
    return sum(int(p.get("value", "0")) for p in tree.iter("property") if p.get("name", "").endswith(".cases"))


def suite_phases(tree: ET.ElementTree[ET.Element]) -> Counter[str]:
    """Cases by phase, summed over the APIs: the `<api>.phase.<phase>` properties."""
    phases: Counter[str] = Counter()
    for prop in tree.iter("property"):
        found = re.fullmatch(r"[^.]+\.phase\.(\w+)", prop.get("name", ""))
        if found:
            phases[found.group(1)] += int(prop.get("value", "0"))
    return phases


def junit_seconds(tree: ET.ElementTree[ET.Element]) -> float | None:
    """The run time a JUnit report states: its longest <testsuite time=...>."""
    times = [float(suite.get("time", "0")) for suite in tree.iter("testsuite")]
    return max(times) if times else None


def st_run_counts(report: dict[str, Any]) -> tuple[int, float | None]:
    """(cases generated, running time) from st run's JSON report."""
    try:
        cases = int(report["test_cases"]["generated"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BenchError(f"st run's JSON report has no test_cases.generated: {exc!r}") from None
    seconds = report.get("running_time")
    return cases, float(seconds) if isinstance(seconds, int | float) else None


def st_config(spec: dict[str, Any], token: str) -> str:
    """st.toml: no example database, and `token` for each bearer or API-key scheme of `spec`."""
    lines = ["[generation]", 'database = "none"']
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in sorted(schemes.items()):
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            key = "bearer"
        elif scheme.get("type") == "apiKey":
            key = "api_key"
        else:
            continue
        lines += [f"[auth.openapi.{json.dumps(name)}]", f"{key} = {json.dumps(token)}"]
    return "\n".join(lines) + "\n"


def measure(
    root: Path, api: str = API, max_examples: int = MAX_EXAMPLES, seed: int = SEED, rounds: int = ROUNDS
) -> Comparison:
    """Run the suite and st run on `api`'s mock, taking turns for `rounds` rounds (so that other
    work on the machine weighs on both alike); each tool's median round by cases/s. BenchError
    when either reports nothing."""
    spec = root / "specs" / f"{api}.yaml"
    document = load_spec(spec)
    suites: list[tuple[Measured, int]] = []
    st_runs: list[Measured] = []
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        (scratch / "st.toml").write_text(st_config(document.raw, TOKEN))
        for turn in range(rounds):
            for tool in ("suite", "st") if turn % 2 == 0 else ("st", "suite"):
                with _mock(root, spec) as url:
                    base_url = url + document.server_path
                    if tool == "suite":
                        suites.append(_suite(root, scratch, api, base_url, max_examples, seed))
                    else:
                        st_runs.append(_st_run(scratch, spec, base_url, max_examples, seed))
    suite, extra = _median(suites, lambda item: item[0].per_second or 0.0)
    st_run = _median(st_runs, lambda item: item.per_second or 0.0)
    return Comparison(api, max_examples, seed, suite, st_run, extra, rounds)


def _median(items: list[T], key: Callable[[T], float]) -> T:
    return sorted(items, key=key)[(len(items) - 1) // 2]


def _suite(root: Path, scratch: Path, api: str, base_url: str, max_examples: int, seed: int) -> tuple[Measured, int]:
    """One suite run: (its cases in the compared phases, its cases beyond them)."""
    junit = scratch / "suite.xml"
    junit.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "pytest", "contracts", "-q", "-p", "no:cacheprovider", "--api", api]
    argv += ["--base-url", base_url, "--token", TOKEN, "--max-examples", str(max_examples), "--seed", str(seed)]
    seconds, done = _timed([*argv, "--check-undeclared-methods", f"--junitxml={junit}"], root)
    if not junit.exists():
        raise BenchError(f"the contract suite wrote no JUnit report: {done.stdout[-500:]}")
    tree = ET.parse(junit)
    phases = suite_phases(tree)
    compared = sum(phases[phase] for phase in COMPARED_PHASES)
    return Measured(compared, seconds, junit_seconds(tree), done.returncode), suite_cases(tree) - compared


def _st_run(scratch: Path, spec: Path, base_url: str, max_examples: int, seed: int) -> Measured:
    report = scratch / "st.json"
    report.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(scratch / "st.toml"), "run", str(spec)]
    argv += ["--url", base_url, "-c", "all", "-m", "all", "-w", "1", "--no-shrink", "--continue-on-failure"]
    argv += ["-n", str(max_examples), "--seed", str(seed), "--phases", ",".join(PHASES)]
    argv += ["--report", "json,junit", f"--report-json-path={report}", f"--report-junit-path={scratch / 'st.xml'}"]
    seconds, done = _timed(argv, scratch)
    if not report.exists():
        raise BenchError(f"st run wrote no JSON report (exit {done.returncode}): {done.stdout[-500:]}")
    cases, reported = st_run_counts(json.loads(report.read_text()))
    return Measured(cases, seconds, reported, done.returncode)


@contextlib.contextmanager
def _mock(root: Path, spec: Path) -> Iterator[str]:
    """A fresh mock of `spec` alone on a free port (both tools start from the same state)."""
    port = free_port()
    argv = [sys.executable, "-m", "mockserver", "serve", str(spec), "--port", str(port), "--quiet", "--token", TOKEN]
    with Servers() as servers:
        server = servers.start(Server("mock", argv, port, root))
        server.wait_until(server.answers, interval=0.05)
        yield f"http://{HOST}:{port}"


def _timed(argv: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    # A caller's CONTRACT_* variables would change what the suite runs.
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONTRACT_")}
    began = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(argv[:4])} ... did not finish within {TIMEOUT} s") from None
    return time.perf_counter() - began, done
