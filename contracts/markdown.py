"""The run as a Markdown summary (`--report-md FILE`, and `$GITHUB_STEP_SUMMARY` when set):
per API its verdict, violations with their curl reproductions, tolerated spec gaps, warnings,
notes, which profile expectations are stated or only inferred, and per check its counts.
Tokens never appear: the reproductions already carry `${CONTRACT_TOKEN}`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from contracts.checks import SEMANTIC_CHECKS
from contracts.report import ApiReport

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


def render(reports: Sequence[ApiReport], checks: Sequence[str], seed: int | None) -> str:
    verdict = "PASS" if all(report.passed for report in reports) else "FAIL"
    lines = [f"## Contract suite: {verdict}", ""]
    lines += ["| API | verdict | target | cases | requests | violations | tolerated gaps | warnings |"]
    lines += ["|---|---|---|---:|---:|---:|---:|---:|"]
    for report in reports:
        counts = [report.cases, report.requests, len(report.findings), sum(report.tolerated.values())]
        counts.append(len(_warnings(report)))
        verdict = "PASS" if report.passed else "FAIL"
        lines.append(f"| {report.api} | {verdict} | {_cell(report.target)} | " + " | ".join(map(str, counts)) + " |")
    for report in reports:
        lines += ["", f"### {report.api}: {'PASS' if report.passed else 'FAIL'}", ""]
        lines += _api(report, checks)
    if seed is not None:
        lines += ["", f"Reproduce this run with `--seed {seed}`."]
    return "\n".join(lines) + "\n"


def _api(report: ApiReport, checks: Sequence[str]) -> list[str]:
    lines: list[str] = []
    if report.errors:
        lines += ["**Errors** (the API could not be tested completely):", ""]
        lines += [f"- {_cell(error.splitlines()[0] if error.strip() else error)}" for error in report.errors]
        lines.append("")
    if report.findings:
        lines += ["**Violations:**", ""]
        for finding in report.findings:
            message = " ".join(line.strip() for line in finding.message.strip().splitlines()[:3] if line.strip())
            lines.append(f"- `{finding.check}` {finding.code} {finding.title}: {message[:400]}")
            lines += ["  ```sh", f"  {finding.curl}", "  ```"]
        lines.append("")
    else:
        lines += ["No violations.", ""]
    gaps = sorted(report.tolerated.items(), key=lambda item: (item[0].kind, item[0].status))
    if gaps:
        lines += ["**Tolerated spec gaps** (answers a correct deployment must give though the spec omits them):", ""]
        lines += [f"- ({gap.kind}) {gap.status} x{count}: {gap.reason}" for gap, count in gaps]
        lines.append("")
    warnings = _warnings(report)
    if warnings:
        lines += ["**Warnings:**", ""] + [f"- {warning}" for warning in warnings] + [""]
    if report.notes:
        lines += ["**Notes:**", ""] + [f"- {note}" for note in report.notes] + [""]
    if report.expectations:
        lines += [f"Profile expectations: {report.expectations_line()}.", ""]
    lines += ["| check | responses checked | comparisons | violations |", "|---|---:|---:|---:|"]
    by_check = report.violations_by_check()
    for check in checks:
        compared = str(report.exercised[check]) if check in SEMANTIC_CHECKS else ""
        skipped = f" (skipped: {report.skipped_checks[check]})" if check in report.skipped_checks else ""
        lines.append(f"| `{check}`{skipped} | {report.checked[check]} | {compared} | {by_check[check]} |")
    return lines


def _warnings(report: ApiReport) -> list[str]:
    found = [
        f"inferred expectation not met ({entry}, `{check}`) x{count}: {_cell(message[:300])}"
        for (check, entry), (count, message) in sorted(report.unmet_inferred.items())
    ]
    if report.refused[429] and report.accepted:
        found.append(f"rate limited (429) x{report.refused[429]}: those updates were not checked")
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write(text: str, path: Path | None) -> list[Path]:
    """Write the summary to `path` and append it to `$GITHUB_STEP_SUMMARY` when that is set."""
    written = []
    if path is not None:
        path.write_text(text, encoding="utf-8")
        written.append(path)
    step_summary = os.environ.get(STEP_SUMMARY)
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as summary:
            summary.write(text)
        written.append(Path(step_summary))
    return written
