"""Profile entries are stated (a quote found in the document) or inferred; an inferred
expectation fails the in-process mock and is only a warning on a live target."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.evidence import load_evidence
from contracts.semantics import _applied, _identity
from contracts.violation import ContractViolation
from mockserver.errors import ProfileError
from tests.contracts.helpers import contract, exchange, run_of

MIELTO = "/api/v1/conversations/conv_1"
DOCUMENT = {"components": {"schemas": {"A": {"description": "This list only\n  grows and is never cleared."}}}}


def _mielto_answer(workspace: str) -> dict[str, object]:
    return {"id": "conv_1", "workspace_id": workspace, "title": "Standup", "created_at": None, "updated_at": None}


def _moved(live: bool) -> object:
    return exchange(
        run_of("mielto", live=live),
        MIELTO,
        body={"title": "Standup"},
        headers={"x-workspace-id": "ws_new"},
        answer=_mielto_answer("ws_created"),
    )


def test_an_inferred_expectation_fails_the_mock() -> None:
    with pytest.raises(ContractViolation, match="header x-workspace-id='ws_new'"):
        _applied(_moved(live=False))  # type: ignore[arg-type]


def test_an_inferred_expectation_is_a_warning_on_a_live_target() -> None:
    answer = _moved(live=True)
    _applied(answer)  # type: ignore[arg-type]
    report = answer.report  # type: ignore[attr-defined]
    ((key, (count, message)),) = report.unmet_inferred.items()
    assert key == ("update_applied", "from_headers.workspace_id") and count == 1
    assert "ws_created" in message
    assert not report.findings


def test_a_stated_expectation_fails_a_live_target() -> None:
    answer = exchange(run_of("datagrid", live=True), "/conversations/conv_1", body={}, answer={"id": "conv_2"})
    with pytest.raises(ContractViolation, match="conversation_id='conv_1'"):
        _identity(answer)


def test_the_seed_profiles_mark_what_they_infer() -> None:
    mielto = contract("mielto")
    (operation,) = mielto.operations.values()
    assert operation.evidence_for("from_headers.workspace_id").kind == "inferred"
    assert operation.evidence_for("identity.id").kind == "stated"
    (datagrid,) = contract("datagrid").operations.values()
    assert {entry: e.kind for entry, e in datagrid.evidence.items()} == {
        "identity.id": "stated",
        "accumulate.participated_agent_ids": "stated",
        "touch.updated_at": "stated",
        "ordered.created_at <= updated_at": "stated",
    }


def test_a_quote_the_document_lacks_counts_as_inferred(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "evidence:\n  op:\n    accumulate.a: {stated: This list only grows and is never cleared.}\n"
        "    touch.b: {stated: It is always fresh.}\n"
    )
    found = load_evidence(str(profile), DOCUMENT)["op"]
    assert found["accumulate.a"].kind == "stated"
    assert found["touch.b"].kind == "inferred" and "not in the document" in found["touch.b"].text


@pytest.mark.parametrize(
    "entry",
    ["{stated: ''}", "{maybe: x}", "[stated]", "{stated: a, inferred: b}"],
)
def test_malformed_evidence_is_a_profile_error(tmp_path: Path, entry: str) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(f"evidence:\n  op:\n    touch.b: {entry}\n")
    with pytest.raises(ProfileError, match=r"evidence\.op"):
        load_evidence(str(profile), DOCUMENT)
