"""Spec gaps are tolerated only for the requests they are about, never for valid ones."""

from __future__ import annotations

from contracts.gaps import tolerated_gap
from tests.contracts.helpers import exchange, run_of

DATAGRID = "/conversations/conv_1"
FRESH = "/conversations/contract-test-0123456789abcdef"


def test_401_without_credentials_is_the_auth_gap() -> None:
    gap = tolerated_gap(exchange(run_of("datagrid"), DATAGRID, body={}, status=401, authenticated=False))
    assert gap is not None and (gap.kind, gap.status) == ("auth", 401)


def test_401_with_valid_credentials_is_a_violation() -> None:
    assert tolerated_gap(exchange(run_of("datagrid"), DATAGRID, body={}, status=401)) is None


def test_422_for_an_invalid_body_is_the_invalid_request_gap() -> None:
    gap = tolerated_gap(exchange(run_of("datagrid"), DATAGRID, body={"name": 5}, status=422))
    assert gap is not None and (gap.kind, gap.status) == ("invalid_request", 422)


def test_422_for_a_valid_body_is_a_violation() -> None:
    assert tolerated_gap(exchange(run_of("datagrid"), DATAGRID, body={"name": "Q3"}, status=422)) is None


def test_a_gap_the_profile_does_not_list_is_a_violation() -> None:
    # library-chat declares no security and its profile lists no gaps: an invalid body may
    # only get its declared 422, anything else undocumented stays a violation.
    answer = exchange(run_of("library-chat"), "/api/conversations/c1", body={}, status=400)
    assert tolerated_gap(answer) is None


def test_404_is_tolerated_only_for_an_id_made_up_against_a_live_target() -> None:
    live = run_of("datagrid", live=True)
    gap = tolerated_gap(exchange(live, FRESH, body={}, status=404))
    assert gap is not None and gap.kind == "unknown_id"
    assert tolerated_gap(exchange(run_of("datagrid"), FRESH, body={}, status=404)) is None
    given = run_of("datagrid", live=True, path_params={"conversation_id": "conv_1"})
    assert tolerated_gap(exchange(given, DATAGRID, body={}, status=404)) is None


def test_every_correct_rejection_of_an_invalid_request_is_a_gap_where_none_is_declared() -> None:
    # Datagrid declares no error answer at all: 400, 413, 415 and 422 are all correct
    # rejections of a body-less request (which its required body makes invalid).
    for status in (400, 413, 415, 422):
        gap = tolerated_gap(exchange(run_of("datagrid"), DATAGRID, body=None, status=status))
        assert gap is not None and (gap.kind, gap.status) == ("invalid_request", status)
    assert tolerated_gap(exchange(run_of("datagrid"), DATAGRID, body=None, status=409)) is None


def test_a_rejection_of_a_valid_request_stays_a_violation_where_none_is_declared() -> None:
    for status in (400, 415, 422):
        assert tolerated_gap(exchange(run_of("datagrid"), DATAGRID, body={"name": "Q3"}, status=status)) is None


def test_where_an_answer_for_invalid_requests_is_declared_other_rejections_are_no_gap() -> None:
    # Omi declares FastAPI's 422: a 400 or 415 for an invalid body is an undocumented answer.
    for status in (400, 415):
        answer = exchange(run_of("omi"), "/v1/dev/user/conversations/c1", body={"discarded": "no"}, status=status)
        assert answer.problems() and tolerated_gap(answer) is None
