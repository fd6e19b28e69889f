"""Spec gaps are tolerated only for the requests they are about, never for valid ones."""

from __future__ import annotations

from contracts.gaps import tolerated_gap
from tests.contracts.helpers import contract, exchange

DATAGRID = "/conversations/conv_1"
FRESH = "/conversations/contract-test-0123456789abcdef"


def test_401_without_credentials_is_the_auth_gap() -> None:
    gap = tolerated_gap(exchange(contract("datagrid"), DATAGRID, body={}, status=401, authenticated=False))
    assert gap is not None and (gap.kind, gap.status) == ("auth", 401)


def test_401_with_valid_credentials_is_a_violation() -> None:
    assert tolerated_gap(exchange(contract("datagrid"), DATAGRID, body={}, status=401)) is None


def test_422_for_an_invalid_body_is_the_invalid_request_gap() -> None:
    gap = tolerated_gap(exchange(contract("datagrid"), DATAGRID, body={"name": 5}, status=422))
    assert gap is not None and (gap.kind, gap.status) == ("invalid_request", 422)


def test_422_for_a_valid_body_is_a_violation() -> None:
    assert tolerated_gap(exchange(contract("datagrid"), DATAGRID, body={"name": "Q3"}, status=422)) is None


def test_a_gap_the_profile_does_not_list_is_a_violation() -> None:
    # library-chat declares no security and its profile lists no gaps: an invalid body may
    # only get its declared 422, anything else undocumented stays a violation.
    answer = exchange(contract("library-chat"), "/api/conversations/c1", body={}, status=400)
    assert tolerated_gap(answer) is None


def test_404_is_tolerated_only_for_an_id_made_up_against_a_live_target() -> None:
    live = contract("datagrid", live=True)
    gap = tolerated_gap(exchange(live, FRESH, body={}, status=404))
    assert gap is not None and gap.kind == "unknown_id"
    assert tolerated_gap(exchange(contract("datagrid"), FRESH, body={}, status=404)) is None
    given = contract("datagrid", live=True, path_params={"conversation_id": "conv_1"})
    assert tolerated_gap(exchange(given, DATAGRID, body={}, status=404)) is None
