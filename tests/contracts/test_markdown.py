"""`--report-md FILE` (and `$GITHUB_STEP_SUMMARY`) get a Markdown summary a CI job can show:
violations with their curl lines, tolerated gaps, warnings and counts, and never the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import create_app
from mockserver.app import DEFAULT_SPECS, ServerConfig
from tests.contracts.catalogue import FAULTS
from tests.contracts.faulty import Corrupted, base_path
from tests.contracts.suite import MAX_EXAMPLES, run_contracts
from tests.servers import serve

SECRET = "sekrit-token-0123456789"


@pytest.mark.slow
def test_the_summary_is_written_with_reproductions_and_without_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = next(fault for fault in FAULTS if fault.api == "datagrid" and fault.kind == "update not applied")
    app = create_app([DEFAULT_SPECS / "datagrid.yaml"], ServerConfig(tokens=frozenset({SECRET}), log_requests=False))
    report, step_summary = tmp_path / "contract.md", tmp_path / "step-summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    with serve(Corrupted(app, fault.before, fault.after)) as server:
        run = run_contracts(
            "--api", "datagrid", "--base-url", server + base_path("datagrid"), "--token", SECRET,
            "--max-examples", str(MAX_EXAMPLES), "--report-md", str(report),
        )  # fmt: skip
    assert run.exit_code == 1, run.output
    text = report.read_text()
    assert text.startswith("## Contract suite: FAIL\n")
    assert "| datagrid | FAIL | http://127.0.0.1:" in text
    assert "- `update_applied` ST901 Update not applied: Sent name=" in text
    assert '  curl -X PATCH -H "authorization: Bearer ${CONTRACT_TOKEN}"' in text
    assert "**Tolerated spec gaps**" in text and "- (auth) 401 x" in text
    assert "| `update_applied` |" in text and "Profile expectations: stated " in text
    assert "| `unsupported_method` (skipped: not probed on a live target" in text
    assert SECRET not in text and SECRET not in run.output
    assert step_summary.read_text() == "earlier step\n" + text
    assert f"Markdown summary written to {report}" in run.output
