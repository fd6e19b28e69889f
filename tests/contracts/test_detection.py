"""Detection power: every deliberately faulty deployment is flagged, over a real socket, by
every check the catalogue (and so contracts/README.md's detection table) lists for it, with a
non-zero exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contracts.catalogue import FAULTS, detection_table
from tests.contracts.faulty import Fault
from tests.contracts.suite import run_suite
from tests.servers import serve

ROOT = Path(__file__).resolve().parents[2]
READMES = [ROOT / "contracts" / "README.md", ROOT / "README.md"]


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f"{fault.api}: {fault.name}" for fault in FAULTS])
def test_fault_is_flagged(fault: Fault) -> None:
    with serve(fault.build()) as base_url:
        run = run_suite(fault.api, base_url, *fault.args)
    assert run.exit_code != 0, run.output
    missing = [check for check in fault.checks if check not in run.flagged()]
    assert not missing, f"expected {list(fault.checks)}, got {sorted(run.flagged())}\n{run.output}"
    assert "reproduce: curl -X " in run.output


@pytest.mark.parametrize("readme", READMES, ids=["contracts/README.md", "README.md"])
def test_the_readme_table_is_the_catalogue(readme: Path) -> None:
    lines = readme.read_text(encoding="utf-8").splitlines()
    table = detection_table()
    start = lines.index(table[0]) if table[0] in lines else -1
    assert start >= 0, f"{readme} lacks the table header {table[0]!r}"
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    assert lines[start:end] == table, f"update {readme.name}'s table with `python -m tests.contracts.catalogue`"
