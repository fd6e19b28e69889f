"""The semantic checks compare what they should, the way a server may legitimately write it."""

from __future__ import annotations

import pytest

from contracts.exchange import parse_instant, same_value, sent_path_parameters
from contracts.rejections import _names
from contracts.semantics import _applied, _identity, _ordered
from contracts.violation import ContractViolation
from tests.contracts.helpers import exchange, run_of

OMI = "/v1/dev/user/conversations/conv%2F1"


def _omi_answer(**changes: object) -> dict[str, object]:
    answer: dict[str, object] = {
        "id": "conv/1",
        "created_at": "2024-01-01T00:00:00Z",
        "started_at": "2024-01-01T00:00:00Z",
        "finished_at": "2024-01-01T00:30:00+00:00",
        "structured": {"title": "Weekly sync", "overview": "", "category": "work"},
    }
    answer.update(changes)
    return answer


def test_a_faithful_answer_passes_every_check() -> None:
    answer = exchange(run_of("omi"), OMI, body={"title": "Weekly sync"}, answer=_omi_answer())
    _identity(answer)
    _applied(answer)
    _ordered(answer)
    assert answer.report.exercised == {"resource_identity": 1, "update_applied": 1, "timestamps_coherent": 1}


@pytest.mark.parametrize(
    ("check", "changes"),
    [
        (_identity, {"id": "conv_2"}),
        (_applied, {"structured": {"title": "Old title", "overview": "", "category": "work"}}),
        (_ordered, {"finished_at": "2023-12-31T23:59:59Z"}),
    ],
)
def test_each_check_flags_its_fault(check: object, changes: dict[str, object]) -> None:
    answer = exchange(run_of("omi"), OMI, body={"title": "Weekly sync"}, answer=_omi_answer(**changes))
    assert callable(check)
    with pytest.raises(ContractViolation):
        check(answer)


def test_a_value_the_response_cannot_hold_means_leave_it() -> None:
    # A null title is "no change" for Omi: structured.title is a non-nullable string.
    answer = exchange(run_of("omi"), OMI, body={"title": None}, answer=_omi_answer())
    _applied(answer)
    assert answer.report.exercised["update_applied"] == 0


def test_values_compare_as_a_server_may_write_them() -> None:
    assert same_value("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00Z")
    assert same_value([1, "a"], [1.0, "a"])
    assert not same_value(True, 1)
    assert not same_value("Weekly sync", "weekly sync")
    assert parse_instant("2024-01-01T00:00:00") == parse_instant("2024-01-01T00:00:00Z")
    assert parse_instant("soon") is None


def test_path_ids_are_read_from_the_url_as_the_server_decodes_them() -> None:
    url = "http://h/v1/conversations/a%2Fb%20c?x=1"
    assert sent_path_parameters("/conversations/{conversation_id}", url) == {"conversation_id": "a/b c"}


@pytest.mark.parametrize(
    ("loc", "problem", "named"),
    [
        (["body", "title"], ("body", "title"), True),
        (["body", "title", "str"], ("body", "title"), True),
        (["body"], ("body", "title"), False),
        (["body", "name"], ("body", "title"), False),
        (["header", "x-workspace-id"], ("header", "X-Workspace-Id"), True),
        (["body", 12], ("body",), True),
    ],
)
def test_a_422_loc_names_the_offending_field(loc: list[object], problem: tuple[str, ...], named: bool) -> None:
    assert _names(loc, problem) is named
