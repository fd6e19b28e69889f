"""`--checks` / `--exclude-checks` choose the checks by name, Schemathesis' and ours alike."""

from __future__ import annotations

import pytest

from contracts.checks import engine_checks, known_checks, selected
from tests.contracts.catalogue import FAULTS
from tests.contracts.suite import run_contracts, run_suite
from tests.servers import serve


def test_every_check_name_is_known() -> None:
    names = known_checks()
    assert {"response_schema_conformance", "ignored_auth", "update_applied", "validation_error_detail"} <= names
    assert {"unusual_input_accepted", "valid_requests_accepted", "request_timeout"} <= names


def test_selection() -> None:
    assert selected("update_applied", (), ())
    assert not selected("update_applied", ("ignored_auth",), ())
    assert not selected("update_applied", (), ("update_applied",))
    section = engine_checks(("update_applied",), ())
    assert section["enabled"] is False and section["update_applied"] == {"enabled": True}
    assert engine_checks((), ("ignored_auth",)) == {"ignored_auth": {"enabled": False}}


def test_an_unknown_check_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_contracts("--api", "omi", "--checks", "update_aplied")
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR
    assert "--checks: unknown check update_aplied; known: " in run.output + capsys.readouterr().err


@pytest.mark.slow
def test_only_the_chosen_checks_report() -> None:
    fault = next(fault for fault in FAULTS if fault.kind == "bad date-time")  # two checks flag it
    with serve(fault.build()) as url:
        only = run_suite(fault.api, url, "--checks", "timestamps_coherent")
        without = run_suite(fault.api, url, "--exclude-checks", "timestamps_coherent")
    assert (only.exit_code, only.flagged()) == (1, {"timestamps_coherent"})
    assert without.exit_code == 1
    assert "response_schema_conformance" in without.flagged() and "timestamps_coherent" not in without.flagged()


@pytest.mark.slow
def test_the_verdict_does_not_depend_on_the_selection() -> None:
    run = run_contracts("--api", "datagrid", "--checks", "not_a_server_error", "--max-examples", "5")
    assert run.exit_code == 0, run.output
    assert "accepted updates: 0" not in run.summary("datagrid")
