"""Resources: generated once, deterministically from (seed, API, operation, path parameters),
then kept in a store so that later requests see earlier updates."""

from __future__ import annotations

import asyncio
import copy
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import state
from mockserver.app import ServerConfig, create_app
from mockserver.state import MemoryStore
from mockserver.types import JSON
from tests.mockserver.conftest import AppFactory, ManualClock
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS

# OpenHands answers `true`: there is no resource body to compare.
WITH_BODIES = [name for name in API_NAMES if name != "openhands"]
# What a client may send that none of the update rules touch, per API.
NEUTRAL_BODY = {"mielto": {}, "omi": {}, "datagrid": {}, "library-chat": {"title": "kept"}, "openhands": {"title": "x"}}


def _send(client: TestClient, name: str, conversation_id: str, body: Any = None, **headers: str) -> Any:
    api = SEED_APIS[name]
    payload = NEUTRAL_BODY[name] if body is None else body
    response = client.request(api.method, api.url(conversation_id), json=payload, headers=api.headers(**headers))
    assert response.status_code == 200, response.text
    return response.json()


def _without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}


@pytest.mark.parametrize("name", API_NAMES)
def test_same_seed_same_clock_same_body(make_app: AppFactory, name: str) -> None:
    first = TestClient(make_app(seed=7))
    second = TestClient(make_app(seed=7))
    for conversation_id in ("c1", "c2", "some-other-id"):
        assert _send(first, name, conversation_id) == _send(second, name, conversation_id)


@pytest.mark.parametrize("name", WITH_BODIES)
def test_request_order_does_not_change_a_resource(make_app: AppFactory, name: str) -> None:
    first = TestClient(make_app(seed=7))
    second = TestClient(make_app(seed=7))
    _send(first, name, "warm-up")
    _send(first, name, "other")
    assert _send(first, name, "target") == _send(second, name, "target")


@pytest.mark.parametrize("name", WITH_BODIES)
def test_other_seed_other_body(make_app: AppFactory, name: str) -> None:
    first = TestClient(make_app(seed=1))
    second = TestClient(make_app(seed=2))
    assert _send(first, name, "c1") != _send(second, name, "c1")


@pytest.mark.parametrize("name", WITH_BODIES)
def test_other_id_other_body(client: TestClient, name: str) -> None:
    first = _without(_send(client, name, "c1"), "id")
    assert first != _without(_send(client, name, "c2"), "id")


@pytest.mark.parametrize("name", WITH_BODIES)
def test_asking_twice_gives_the_same_resource(client: TestClient, clock: ManualClock, name: str) -> None:
    first = _send(client, name, "c1")
    clock.advance(60)
    second = _send(client, name, "c1")
    assert second["id"] == first["id"] == "c1"
    if "created_at" in first:
        assert second["created_at"] == first["created_at"]
    assert _without(second, "updated_at") == _without(first, "updated_at")


@pytest.mark.parametrize(
    ("name", "update", "neutral", "field"),
    [
        ("mielto", {"title": "Renamed"}, {"summary": "s"}, "title"),
        ("omi", {"title": "Renamed"}, {"discarded": True}, "structured"),
        ("datagrid", {"name": "Renamed"}, {"agent_ids": ["a9"]}, "name"),
        # library-chat's only field is required in every request, so a later request always
        # overwrites it; its state is shown by test_update's clock test (updated_at set back).
    ],
)
def test_a_later_request_sees_an_earlier_update(
    client: TestClient, name: str, update: dict[str, Any], neutral: dict[str, Any], field: str
) -> None:
    updated = _send(client, name, "c1", update)
    later = _send(client, name, "c1", neutral)
    assert later[field] == updated[field]
    if name == "omi":
        assert later["structured"]["title"] == "Renamed"


@pytest.mark.parametrize("name", ["mielto", "datagrid", "library-chat"])
def test_different_ids_are_independent(client: TestClient, name: str) -> None:
    key = "name" if name == "datagrid" else "title"
    before = _send(client, name, "b")
    _send(client, name, "a", {key: "Only for a"})
    after = _send(client, name, "b")
    assert after[key] == before[key] != "Only for a"
    assert _send(client, name, "a", NEUTRAL_BODY[name] if name != "library-chat" else {"title": "Only for a"})[key] == (
        "Only for a"
    )


def test_apis_do_not_share_state(client: TestClient) -> None:
    _send(client, "library-chat", "shared-id", {"title": "library"})
    assert _send(client, "mielto", "shared-id").get("title") != "library"


def test_state_is_per_process_not_per_app(make_app: AppFactory) -> None:
    """Two apps are two servers: an update in one is not seen by the other."""
    first, second = TestClient(make_app()), TestClient(make_app())
    _send(first, "datagrid", "c1", {"name": "in first"})
    assert _send(second, "datagrid", "c1").get("name") != "in first"


class RecordingStore:
    """A store implemented outside the package, as a persistent one would be."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], JSON] = {}
        self.puts = 0

    async def get(self, collection: str, item: str) -> JSON | None:
        return self.values.get((collection, item))

    async def put(self, collection: str, item: str, value: JSON) -> None:
        self.puts += 1
        self.values[(collection, item)] = value

    async def delete(self, collection: str, item: str) -> bool:
        return self.values.pop((collection, item), None) is not None

    async def add(self, collection: str, item: str, value: JSON, *also: tuple[str, str, JSON]) -> bool:
        if (collection, item) in self.values:
            return False
        for entry in ((collection, item, value), *also):
            await self.put(*entry)
        return True

    async def update(self, collection: str, item: str, change: Callable[[JSON | None], JSON]) -> JSON:
        value = change(copy.deepcopy(self.values.get((collection, item))))
        await self.put(collection, item, value)
        return value

    async def items(self, collection: str, run: tuple[int, int] | None = None) -> list[tuple[str, JSON]]:
        return [(item, value) for (name, item), value in self.values.items() if name == collection]

    async def collections(self, prefix: str) -> dict[str, int]:
        names = [name for name, _ in self.values if name.startswith(prefix)]
        return {name: names.count(name) for name in names}

    async def clear(self, prefix: str) -> None:
        self.values = {k: v for k, v in self.values.items() if not k[0].startswith(prefix)}

    async def close(self) -> None:
        return None


def test_a_custom_store_holds_the_state(make_app: AppFactory) -> None:
    store = RecordingStore()
    client = TestClient(make_app(store=store))
    _send(client, "datagrid", "c1", {"name": "stored"})
    assert store.puts >= 1
    assert any(isinstance(v, dict) and v.get("name") == "stored" for v in store.values.values())
    assert _send(client, "datagrid", "c1")["name"] == "stored"


def test_a_custom_store_of_plain_lists_serves_a_page_of_its_items() -> None:
    """A store whose `items` answers a plain list (not the package's `Items`) still serves a
    bare-array page of stored items: decoded as any list, not sent as stored bytes."""
    store = RecordingStore()
    petstore = str(Path(__file__).parents[1] / "corpus" / "petstore-expanded.yaml")
    app = create_app([petstore], ServerConfig(store=store, seed_items=5, log_requests=False))
    with TestClient(app) as client:
        page = client.get("/pets", params={"limit": "3"})
        assert page.status_code == 200, page.text
        stored = [v for (name, _), v in store.values.items() if name.endswith('"/pets"]')]
        assert len(stored) == 5 and page.json() == stored[:3]


def test_memory_store_is_bounded(make_app: AppFactory) -> None:
    store = MemoryStore(max_items=2)
    client = TestClient(make_app(store=store))
    for conversation_id in ("a", "b", "c", "d"):
        _send(client, "datagrid", conversation_id)
    assert len(store) == 2


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@pytest.mark.parametrize("name", WITH_BODIES)
def test_generated_resources_keep_their_timelines(client: TestClient, name: str) -> None:
    pairs = [("created_at", "updated_at"), ("started_at", "finished_at"), ("created_at", "completed_at")]
    checked = 0
    for index in range(60):
        body = _send(client, name, f"timeline-{index}")
        for node in _walk(body):
            for earlier, later in pairs:
                if isinstance(node.get(earlier), str) and isinstance(node.get(later), str):
                    assert _time(node[earlier]) <= _time(node[later]), (earlier, later, node)
                    checked += 1
    assert checked >= 30, "too few timestamp pairs to mean anything"


def test_omi_geolocation_is_on_earth(client: TestClient) -> None:
    seen = 0
    for index in range(40):
        place = _send(client, "omi", f"geo-{index}").get("geolocation")
        if place:
            assert -90 <= place["latitude"] <= 90 and -180 <= place["longitude"] <= 180
            seen += 1
    assert seen >= 10


def test_memory_store_bounds_the_number_of_collections() -> None:
    """A scoped collection is one per parent id: random parent ids cannot grow it without end."""

    async def fill() -> MemoryStore:
        store = MemoryStore(max_items=5, max_collections=3)
        for parent in range(10):
            await store.put(f"posts of {parent}", "p1", {"n": parent})
        await store.get("posts of 7", "p1")  # used recently: kept
        await store.put("posts of 10", "p1", {"n": 10})
        return store

    store = asyncio.run(fill())
    assert len(store) == 3
    kept = [asyncio.run(store.get(f"posts of {n}", "p1")) for n in (7, 9, 10)]
    assert kept == [{"n": 7}, {"n": 9}, {"n": 10}]
    assert asyncio.run(store.get("posts of 8", "p1")) is None


def test_generated_answers_are_kept_as_made_and_their_number_is_bounded(make_app: AppFactory) -> None:
    """OpenHands' PATCH answers a generated boolean, not the resource: each is kept for the
    next request on the same conversation (`ResourceStage._generated`), and answers what a
    fresh mock (nothing kept) generates; past `GENERATED_KEPT` the oldest are dropped."""
    from mockserver.pipeline import Pipeline
    from mockserver.resources import GENERATED_KEPT, ResourceStage

    app = make_app()
    client = TestClient(app)
    ids = [f"conv-kept-{n}" for n in range(GENERATED_KEPT + 100)]
    first = [_send(client, "openhands", i) for i in ids]
    assert all(isinstance(answer, bool) for answer in first)
    assert [_send(client, "openhands", i) for i in ids[-50:]] == first[-50:]
    fresh = TestClient(make_app())
    assert [_send(fresh, "openhands", i) for i in ids[:50]] == first[:50]
    layer: Any = app.middleware_stack
    while not isinstance(layer, Pipeline):
        layer = layer.app
    (stage,) = [s for s in layer.stages if isinstance(s, ResourceStage)]
    assert 0 < len(stage._kept) <= GENERATED_KEPT


@pytest.mark.parametrize("name", WITH_BODIES)
def test_an_update_encodes_the_new_value_once_and_answers_those_bytes(
    client: TestClient, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For the size bound, the store and the answer alike: one `orjson.dumps` of the new value
    per update of a stored resource, and the answer is what a read then gives. (The memory
    store's check that the value it kept is still the stored one, `state._encodes_to`,
    encodes the value before: counted apart, at most once.)"""
    import orjson

    _send(client, name, "enc-1")  # generated and stored
    made: list[bytes] = []
    checks: list[bytes] = []  # the memory store's, by `state._encodes_to`
    dumps = orjson.dumps

    def counted(value: Any, *args: Any, **options: Any) -> bytes:
        data = dumps(value, *args, **options)
        (checks if sys._getframe(1).f_code is state._encodes_to.__code__ else made).append(data)
        return data

    monkeypatch.setattr(orjson, "dumps", counted)
    api = SEED_APIS[name]
    response = client.request(api.method, api.url("enc-1"), json=NEUTRAL_BODY[name], headers=api.headers())
    monkeypatch.undo()
    assert response.status_code == 200 and len(made) == 1, (response.status_code, len(made))
    assert response.content == made[0]
    assert len(checks) <= 1
    assert _send(client, name, "enc-1") == orjson.loads(response.content)  # what is stored
