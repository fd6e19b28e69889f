"""Answers to bad input stay bounded: a body with thousands of wrong items gets a 422 that
names the first problems with their locations, not one entry per item (a 10 MB answer)."""

from __future__ import annotations

from starlette.testclient import TestClient

from mockserver.validation import MAX_VIOLATIONS
from tests.mockserver.seed_apis import SEED_APIS


def _patch(client: TestClient, body: object) -> list[dict[str, object]]:
    api = SEED_APIS["datagrid"]
    response = client.patch(api.url("c1"), json=body, headers=api.auth)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    return detail


def test_a_few_wrong_items_are_each_named(client: TestClient) -> None:
    detail = _patch(client, {"agent_ids": ["ok", 1, "ok", 2]})
    assert [item["loc"] for item in detail] == [["body", "agent_ids", 1], ["body", "agent_ids", 3]]


def test_many_wrong_items_are_named_up_to_the_bound(client: TestClient) -> None:
    detail = _patch(client, {"agent_ids": list(range(MAX_VIOLATIONS + 20))})
    assert len(detail) == MAX_VIOLATIONS + 1
    assert detail[0]["loc"] == ["body", "agent_ids", 0]
    assert detail[-1]["type"] == "too_many_errors" and "20 more" in detail[-1]["msg"]


def test_a_huge_wrong_body_gets_its_first_problem_only(client: TestClient) -> None:
    detail = _patch(client, {"agent_ids": [7] * 100_000})
    assert detail == [
        {"type": "string_type", "loc": ["body", "agent_ids", 0], "msg": "Input should be a valid string", "input": 7}
    ]
