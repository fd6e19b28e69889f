"""Verdicts that span more than one built-in check: what a rejection must say, and whether a
run verified anything at all."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.acceptance import ACCEPTANCE_CHECK, judge_acceptance
from contracts.rejections import judge_rejection
from contracts.run import ContractRun
from contracts.violation import ContractViolation
from tests.contracts.helpers import exchange, run_of

DATAGRID = "/conversations/conv_1"
LIBRARY_CHAT = "/api/conversations/c1"
FASTAPI_422 = {"detail": [{"loc": ["body", "name"], "msg": "Input should be a valid string", "type": "string_type"}]}


@pytest.mark.parametrize("status", [400, 422])
@pytest.mark.parametrize(
    "answer",
    [
        {"error": "invalid_request", "message": "name must be a string"},
        FASTAPI_422,
        "name must be a string",
    ],
)
def test_datagrid_rejections_need_only_say_what_is_wrong(status: int, answer: Any) -> None:
    # Datagrid declares no error answer: FastAPI's shape is not due, 400 and 422 alike.
    judge_rejection(exchange(run_of("datagrid"), DATAGRID, body={"name": 5}, status=status, answer=answer))


@pytest.mark.parametrize("status", [400, 422])
@pytest.mark.parametrize("answer", [{}, {"error": ""}, [], None])
def test_a_rejection_that_says_nothing_is_unhelpful(status: int, answer: Any) -> None:
    with pytest.raises(ContractViolation, match=f"Unhelpful {status}"):
        judge_rejection(exchange(run_of("datagrid"), DATAGRID, body={"name": 5}, status=status, answer=answer))


@pytest.mark.parametrize(
    ("api", "path", "body", "answer"),
    [
        # library-chat declares HTTPValidationError for 422: its own shape is not enough.
        ("library-chat", LIBRARY_CHAT, {"title": 5}, {"error": "invalid_request", "message": "title: not a string"}),
        # A FastAPI-shaped 422 (a `detail` key) is held to FastAPI's rule wherever it comes from.
        ("datagrid", DATAGRID, {"name": 5}, {"detail": []}),
        ("datagrid", DATAGRID, {"name": 5}, {"detail": "Invalid body"}),
        ("datagrid", DATAGRID, {"name": 5}, {"detail": [{"loc": ["body"], "msg": "Invalid", "type": "value_error"}]}),
    ],
)
def test_fastapi_rule_where_fastapi_shape_is_due(api: str, path: str, body: Any, answer: Any) -> None:
    with pytest.raises(ContractViolation):
        judge_rejection(exchange(run_of(api), path, body=body, status=422, answer=answer))


def test_a_fastapi_422_naming_the_field_passes() -> None:
    judge_rejection(exchange(run_of("datagrid"), DATAGRID, body={"name": 5}, status=422, answer=FASTAPI_422))
    answer = {"detail": [{"loc": ["body", "title"], "msg": "Input should be a valid string", "type": "string_type"}]}
    judge_rejection(exchange(run_of("library-chat"), LIBRARY_CHAT, body={"title": 5}, status=422, answer=answer))


def _ran(run: ContractRun, answers: dict[int, int], unknown_id: int = 0) -> ContractRun:
    """`run` after its valid requests got `answers` (status -> count)."""
    report = run.report
    report.requests = sum(answers.values()) + unknown_id
    for status, count in answers.items():
        for _ in range(count):
            report.record_valid(status, made_up_id=False)
    for _ in range(unknown_id):
        report.record_valid(404, made_up_id=True)
    judge_acceptance(run)
    return run


@pytest.mark.parametrize("answers", [{429: 20}, {404: 20}, {409: 3, 429: 2}, {401: 5}])
def test_a_run_in_which_no_valid_request_was_accepted_fails(answers: dict[int, int]) -> None:
    report = _ran(run_of("datagrid", live=True), answers).report
    assert not report.passed
    assert [finding.check for finding in report.findings] == [ACCEPTANCE_CHECK]


def test_404_for_made_up_ids_only_is_a_note() -> None:
    report = _ran(run_of("datagrid", live=True), {}, unknown_id=20).report
    assert report.passed
    assert any("no update was accepted" in note for note in report.notes)


def test_404_for_made_up_ids_and_a_rate_limit_fails() -> None:
    assert not _ran(run_of("datagrid", live=True), {429: 1}, unknown_id=20).report.passed


def test_an_occasional_rate_limit_is_a_warning() -> None:
    report = _ran(run_of("datagrid", live=True), {200: 30, 429: 4}).report
    assert report.passed
    assert "  warning: rate limited (429) x4" in "\n".join(report.summary_lines())
