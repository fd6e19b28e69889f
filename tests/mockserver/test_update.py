"""Update semantics: the answer is the addressed resource, reflects the request (echo,
renamed fields, headers, lists that only grow), moves `updated_at` forward, and never breaks
its schema to echo a value it cannot hold. Scenarios live in scenarios/updates.yaml."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from contracts.oracle import SpecOracle
from tests.mockserver.conftest import EPOCH, NOW, AppFactory, ManualClock
from tests.mockserver.seed_apis import SEED_APIS

SCENARIOS = yaml.safe_load((Path(__file__).parent / "scenarios" / "updates.yaml").read_text(encoding="utf-8"))
_MISSING = object()


def _get(body: Any, dotted: str) -> Any:
    node = body
    for key in filter(None, dotted.split(".")):
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _time(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _update(client: TestClient, name: str, conversation_id: str, body: Any, **headers: str) -> Any:
    api = SEED_APIS[name]
    response = client.request(api.method, api.url(conversation_id), json=body, headers=api.headers(**headers))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_update_scenario(client: TestClient, clock: ManualClock, scenario: dict[str, Any]) -> None:
    api = SEED_APIS[scenario["api"]]
    declared = SpecOracle(api.spec).response(api.method, api.spec_path, 200)
    assert declared is not None
    previous: Any = None
    for number, step in enumerate(scenario["steps"], 1):
        clock.advance(1.0)
        answer = _update(client, api.name, "conv_scenario", step["body"], **step.get("headers", {}))
        where = f"step {number}: {answer}"
        assert declared.errors(answer) == [], where
        if isinstance(answer, dict):
            assert answer["id"] == "conv_scenario", where
            if isinstance(answer.get("created_at"), str) and isinstance(answer.get("updated_at"), str):
                assert _time(answer["created_at"]) <= _time(answer["updated_at"]), where
            if previous is not None and isinstance(answer.get("updated_at"), str):
                assert _time(answer["updated_at"]) > _time(previous["updated_at"]), where
        for field, value in step.get("expect", {}).items():
            assert _get(answer, field) == value, f"{field}: {where}"
        for field, items in step.get("contains", {}).items():
            got = _get(answer, field)
            assert isinstance(got, list) and all(item in got for item in items), f"{field}: {where}"
        for field in step.get("unchanged", []):
            assert _get(answer, field) == _get(previous, field) is not _MISSING, f"{field}: {where}"
        previous = answer


def test_scenarios_cover_every_api() -> None:
    assert {s["api"] for s in SCENARIOS} == set(SEED_APIS)


@pytest.mark.parametrize("name", ["mielto", "datagrid", "library-chat"])
def test_updated_at_follows_the_clock_forward_and_never_back(client: TestClient, clock: ManualClock, name: str) -> None:
    body = SEED_APIS[name].valid_body
    first = _time(_update(client, name, "c1", body)["updated_at"])
    assert first == pytest.approx(NOW, abs=0.001)
    clock.advance(90)
    second = _time(_update(client, name, "c1", body)["updated_at"])
    assert second == pytest.approx(NOW + 90, abs=0.001)
    clock.advance(-3600)  # the wall clock is set back
    third = _time(_update(client, name, "c1", body)["updated_at"])
    assert third > second
    fourth = _time(_update(client, name, "c1", body)["updated_at"])
    assert fourth > third


@pytest.mark.parametrize("name", ["mielto", "datagrid", "library-chat"])
def test_updated_at_never_precedes_created_at_even_with_a_clock_in_the_past(
    make_app: AppFactory, clock: ManualClock, name: str
) -> None:
    clock.now = EPOCH - 400 * 86_400  # a clock far behind the generation anchor
    client = TestClient(make_app())
    for index in range(20):
        answer = _update(client, name, f"c{index}", SEED_APIS[name].valid_body)
        if isinstance(answer.get("created_at"), str):
            assert _time(answer["created_at"]) <= _time(answer["updated_at"])


@pytest.mark.parametrize("name", ["mielto", "datagrid", "omi", "library-chat"])
def test_the_answer_is_the_addressed_resource(client: TestClient, name: str) -> None:
    for conversation_id in ("conv_1", "a b", "ünïcode", "x" * 200):
        body = {"title": "t"} if name == "library-chat" else {}
        answer = _update(client, name, conversation_id, body)
        assert answer["id"] == conversation_id
    if name in ("mielto", "datagrid"):  # their request schemas let unknown fields through
        assert _update(client, name, "conv_1", {"id": "hijacked"})["id"] == "conv_1"


def test_workspace_id_without_the_header_is_generated(client: TestClient) -> None:
    answer = _update(client, "mielto", "c1", {})
    assert isinstance(answer["workspace_id"], str) and answer["workspace_id"]


def test_openhands_answers_true_and_nothing_else(client: TestClient) -> None:
    api = SEED_APIS["openhands"]
    response = client.patch(api.url("c1"), json={"title": "t"}, headers=api.auth)
    assert response.status_code == 200
    assert response.content.strip() == b"true"
    assert response.headers["content-type"] == "application/json"


# Duplicates are allowed: the spec says nothing against ["a1", "a1"].
agent_ids = st.lists(st.sampled_from(["a1", "a2", "a3", "a4", "a5", "b"]), max_size=4)


@settings(max_examples=40, deadline=None)
@given(assignments=st.lists(agent_ids, min_size=1, max_size=6))
def test_participated_agent_ids_only_grow(assignments: list[list[str]]) -> None:
    from mockserver import create_app
    from mockserver.app import ServerConfig

    app = create_app([SEED_APIS["datagrid"].spec], ServerConfig(log_requests=False, epoch=EPOCH, clock=lambda: NOW))
    client = TestClient(app)
    assigned: set[str] = set()
    previous: list[str] = []
    for agents in assignments:
        answer = client.patch("/v1/conversations/c1", json={"agent_ids": agents}, headers={"Authorization": "Bearer x"})
        assert answer.status_code == 200
        body = answer.json()
        assigned.update(agents)
        assert body["agent_ids"] == agents
        assert assigned <= set(body["participated_agent_ids"])
        assert set(previous) <= set(body["participated_agent_ids"])
        assert len(body["participated_agent_ids"]) == len(set(body["participated_agent_ids"]))
        previous = body["participated_agent_ids"]


def test_repeated_agent_is_one_participant(client: TestClient) -> None:
    body = _update(client, "datagrid", "dup", {"agent_ids": ["a1", "a1"]})
    assert body["agent_ids"] == ["a1", "a1"]
    assert body["participated_agent_ids"].count("a1") == 1
    body = _update(client, "datagrid", "dup", {"agent_ids": ["a1", "a2", "a2"]})
    assert body["participated_agent_ids"].count("a1") == 1 and body["participated_agent_ids"].count("a2") == 1


def test_accumulated_list_of_many_ids_holds_each_once(client: TestClient) -> None:
    """Datagrid's participated_agent_ids with tens of thousands of agents: complete, no
    duplicates (the union is linear: a quadratic one kept the event loop busy for a minute)."""
    ids = [f"a{i}" for i in range(50_000)]
    first = _update(client, "datagrid", "many", {"agent_ids": [*ids, *ids[:100]]})
    participated = first["participated_agent_ids"]
    assert len(participated) == len(set(participated))
    assert set(ids) <= set(participated)
    again = _update(client, "datagrid", "many", {"agent_ids": list(reversed(ids))})
    assert again["participated_agent_ids"] == participated


def test_a_grown_list_adds_each_json_value_once_by_json_equality() -> None:
    """`accumulate` tells apart what JSON tells apart: "1", 1, true and "true" are four values,
    1 and 1.0 one, equal objects one whatever their key order."""
    from mockserver.update import FieldSlot, UpdatePlan

    def slot(name: str) -> FieldSlot:
        return FieldSlot((name,), lambda value: True)

    plan = UpdatePlan(accumulate=((slot("seen"), slot("sent")),))
    sent = ["1", 1, True, "true", None, "null", 1.0, {"a": 1, "b": 2}, {"b": 2, "a": 1}, [1], "[1]"]
    grown = plan.settle({"seen": [1], "sent": sent}, {})
    assert grown["seen"] == [1, "1", True, "true", None, "null", {"a": 1, "b": 2}, [1], "[1]"]
