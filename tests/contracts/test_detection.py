"""Detection power: every deliberately faulty deployment is flagged by the expected check,
over a real socket, with a non-zero exit status."""

from __future__ import annotations

import pytest

from tests.contracts.catalogue import FAULTS
from tests.contracts.faulty import Fault
from tests.contracts.suite import run_suite
from tests.servers import serve


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f"{fault.api}: {fault.name}" for fault in FAULTS])
def test_fault_is_flagged(fault: Fault) -> None:
    with serve(fault.build()) as base_url:
        run = run_suite(fault.api, base_url)
    assert run.exit_code != 0, run.output
    assert fault.check in run.flagged(), f"expected [{fault.check}], got {sorted(run.flagged())}\n{run.output}"
    assert "reproduce: curl -X " in run.output
