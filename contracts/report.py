"""Results of one API's run, and how they are shown: `ApiReport`.

A run ends in findings (violations: the target breaks its contract), tolerated spec gaps
(answers a correct deployment must give although the spec does not declare them; shown as
warnings, never dropped) and errors (the suite could not complete a request). Each finding
carries a `curl` command that reproduces it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts.checks import selected


@dataclass(frozen=True)
class Finding:
    check: str  # the check that flagged it: a Schemathesis check name or one of ours
    code: str  # Schemathesis failure code (ST103, ...), ST9xx for ours
    title: str
    message: str
    curl: str

    def render(self) -> str:
        lines = [f"[{self.check}] {self.code} {self.title}"]
        lines += [f"    {_cut(line)}" for line in self.message.strip().splitlines() if line.strip()][:12]
        lines.append(f"    reproduce: {self.curl}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ToleratedGap:
    kind: str
    status: int
    reason: str


@dataclass
class ApiReport:
    api: str
    target: str = ""
    seed: int | None = None
    cases: int = 0
    requests: int = 0
    elapsed: float = 0.0
    stop_reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    tolerated: Counter[ToleratedGap] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exercised: Counter[str] = field(default_factory=Counter)  # comparisons our checks made
    checked: Counter[str] = field(default_factory=Counter)  # responses each check judged
    skipped_checks: dict[str, str] = field(default_factory=dict)  # check -> why it did not run
    phases: Counter[str] = field(default_factory=Counter)  # cases by phase: coverage, fuzzing, unusual...
    # What valid, authenticated requests got (see `record_valid`): the run-level verdict
    # "could the contract be verified at all?" is drawn from these in `runner`.
    accepted: int = 0  # answered 2xx
    unknown_id: int = 0  # answered 404 for an id the suite made up (live target)
    refused: Counter[int] = field(default_factory=Counter)  # answered otherwise, by status
    # Inferred expectations a live target did not meet: (check, entry) -> (count, first message).
    unmet_inferred: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    expectations: dict[str, str] = field(default_factory=dict)  # profile entry -> "stated" / "inferred"
    only: tuple[str, ...] = ()  # --checks (empty: every check)
    excluded: tuple[str, ...] = ()  # --exclude-checks
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def passed(self) -> bool:
        return not self.findings and not self.errors

    def add_finding(self, finding: Finding) -> None:
        """Keep the first example of each kind of violation (like Schemathesis, which reports
        one finding per operation and failure class); none of a check not selected."""
        if not selected(finding.check, self.only, self.excluded):
            return
        with self._lock:
            key = (finding.check, finding.code, finding.title)
            if all((f.check, f.code, f.title) != key for f in self.findings):
                self.findings.append(finding)

    def unverified_expectation(self, check: str, entry: str, message: str) -> None:
        """An inferred expectation not met on a live target: a warning, not a violation."""
        if not selected(check, self.only, self.excluded):
            return
        with self._lock:
            count, first = self.unmet_inferred.get((check, entry), (0, message))
            self.unmet_inferred[(check, entry)] = (count + 1, first)

    def count_requests(self, count: int) -> None:
        """Requests answered (some are sent from the engine's worker threads)."""
        with self._lock:
            self.requests += count

    def exercise(self, check: str) -> None:
        with self._lock:
            self.exercised[check] += 1

    def record_valid(self, status: int, *, made_up_id: bool) -> None:
        """Count the answer to a valid, correctly authenticated request."""
        with self._lock:
            if 200 <= status < 300:
                self.accepted += 1
            elif status == 404 and made_up_id:
                self.unknown_id += 1
            else:
                self.refused[status] += 1

    @property
    def stopped_early(self) -> bool:
        return self.stop_reason not in ("", "completed")

    def add_error(self, text: str) -> None:
        with self._lock:
            if text not in self.errors:
                self.errors.append(text)

    def tolerate(self, gap: ToleratedGap) -> None:
        with self._lock:
            self.tolerated[gap] += 1

    def violations_by_check(self) -> Counter[str]:
        return Counter(finding.check for finding in self.findings)

    def summary_lines(self) -> list[str]:
        """The end-of-run summary of this API (a few lines)."""
        verdict = "PASS" if self.passed else "FAIL"
        lines = [
            f"{self.api}: {verdict} - {self.cases} cases, {self.requests} requests in {self.elapsed:.1f}s "
            f"against {self.target} (seed {self.seed})"
        ]
        by_check = self.violations_by_check()
        if by_check:
            listed = ", ".join(f"{check} x{count}" for check, count in sorted(by_check.items()))
            lines.append(f"  violations: {listed}")
        else:
            lines.append("  violations: none")
        if self.phases:
            lines.append("  cases by phase: " + ", ".join(f"{phase} {n}" for phase, n in sorted(self.phases.items())))
        made = ", ".join(f"{check} {count}" for check, count in sorted(self.exercised.items())) or "none"
        lines.append(f"  accepted updates: {self.accepted}{self._not_accepted()}; semantic comparisons: {made}")
        if self.expectations:
            lines.append(f"  profile expectations: {self.expectations_line()}")
        for error in self.errors:
            lines.append(f"  error: {' - '.join(_headline(error))}")
        for gap, count in sorted(self.tolerated.items(), key=lambda item: (item[0].kind, item[0].status)):
            lines.append(f"  warning: tolerated spec gap ({gap.kind}) {gap.status} x{count}: {gap.reason}")
        for (check, entry), (count, message) in sorted(self.unmet_inferred.items()):
            lines.append(
                f"  warning: inferred expectation not met ({entry}, {check}) x{count}, not a violation: the document "
                f"does not state it - {_cut(message, 200)}"
            )
        if self.refused[429] and self.accepted:
            lines.append(
                f"  warning: rate limited (429) x{self.refused[429]}: valid requests the suite does not retry; "
                "their update semantics were not checked"
            )
        for note in self.notes:
            lines.append(f"  note: {note}")
        return lines

    def expectations_line(self) -> str:
        """Which profile entries are stated by the document and which are only inferred."""
        listed = sorted(self.expectations.items())
        kinds = {kind: [entry for entry, k in listed if k == kind] for kind in ("stated", "inferred")}
        inferred = ", ".join(kinds["inferred"]) or "none"
        note = " (checked on the mock, warnings on a live target)" if kinds["inferred"] else ""
        return f"stated {', '.join(kinds['stated']) or 'none'}; inferred {inferred}{note}"

    def _not_accepted(self) -> str:
        """The other answers valid requests got ("" when every one was accepted)."""
        parts = [f"{status} x{count}" for status, count in sorted(self.refused.items())]
        if self.unknown_id:
            parts.append(f"404 for a made-up id x{self.unknown_id}")
        return f" (other answers to valid requests: {', '.join(parts)})" if parts else ""

    def failure_text(self) -> str:
        """Every violation with its reproduction (the test's failure message, also in JUnit)."""
        verdict = "does not honour its contract" if self.findings else "could not be tested completely"
        parts = [f"{self.api} {verdict} ({self.target}):"]
        parts += [finding.render() for finding in self.findings]
        parts += [f"[error] {error}" for error in self.errors]
        return "\n".join(parts)

    def unattributed(self, checks: Sequence[str]) -> list[Finding]:
        """Findings of checks that have no test case of their own (shown by `run_completed`)."""
        return [finding for finding in self.findings if finding.check not in checks]

    def findings_of(self, check: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.check == check]

    def check_failure_text(self, check: str) -> str:
        """The violations of one check with their reproductions (its JUnit test case's failure)."""
        found = self.findings_of(check)
        parts = [f"{self.api} breaks {check} x{len(found)} ({self.target}):"]
        return "\n".join(parts + [finding.render() for finding in found])


def _cut(line: str, limit: int = 300) -> str:
    return line if len(line) <= limit else line[:limit] + f"... ({len(line) - limit} more characters)"


def _headline(error: str) -> list[str]:
    """The first two non-empty lines of an error (title and cause)."""
    return [_cut(line.strip(), 160) for line in error.splitlines() if line.strip()][:2] or ["(no message)"]
