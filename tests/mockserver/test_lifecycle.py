"""Resources end to end: a small inline API served by the mock, driven through its whole
lifecycle (create, read, list, update, delete, actions, batches, singletons, scopes), each
2xx answer checked against the document's own schema with `jsonschema`, not the mock."""

from __future__ import annotations

import json
import re
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.applications import Starlette

from mockserver.app import load_apis
from mockserver.generator import Generation
from mockserver.negotiator import Negotiator
from mockserver.operations import Operation
from mockserver.pipeline import Pipeline, Stage
from mockserver.request import MockRequest
from mockserver.resources import ResourceStage
from mockserver.responses import MockResponse
from mockserver.routing import Router
from mockserver.state import MemoryStore
from tests.mockserver.conftest import EPOCH, NOW, AppFactory, ManualClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

Schema = dict[str, Any]
PREFIX = "/v1"

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
UUID: Schema = {"type": "string", "format": "uuid"}


def obj(required: list[str] | None = None, closed: bool = False, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


ERROR = obj(["code", "message"], code=INT, message=STR)
HTTP_VALIDATION = obj(
    ["detail"],
    detail=array(obj(["loc", "msg", "type"], loc=array({"anyOf": [STR, INT]}), msg=STR, type=STR)),
)
NOTE = obj(
    ["id", "title", "status", "created_at", "updated_at"],
    closed=True,
    id=UUID,
    title={"type": "string", "maxLength": 200},
    body=STR,
    status={"type": "string", "enum": ["draft", "published"]},
    created_at=TIME,
    updated_at=TIME,
)
NOTE_FIELDS = {"title": {"type": "string", "maxLength": 200}, "body": STR, "status": NOTE["properties"]["status"]}
NOTE_CREATE = obj(["title"], **NOTE_FIELDS)
NOTE_PATCH = obj(**NOTE_FIELDS)
NOTE_LIST = obj(["data", "has_more"], data=array(NOTE), has_more=BOOL, next_cursor=STR)
TASK_STATUS: Schema = {"type": "string", "enum": ["queued", "running", "finished"]}
TASK = obj(
    ["id", "name", "done", "status"], id={"type": "integer", "minimum": 1}, name=STR, done=BOOL, status=TASK_STATUS
)
TASK_IN = obj(["name"], name=STR, done=BOOL)
TASK_CREATED = obj(["id", "status"], closed=True, id=INT, status=TASK_STATUS)
TASK_DELETED = obj(["deleted", "id"], closed=True, deleted=BOOL, id=INT)
USER = obj(["id", "name"], id=STR, name=STR)
POST = obj(["id", "user_id", "text"], id=STR, user_id=STR, text=STR)
SETTINGS = obj(
    ["theme", "language", "notifications"],
    theme={"type": "string", "enum": ["light", "dark"]},
    language={"type": "string", "enum": ["en", "fr", "de"]},
    notifications=BOOL,
)
SETTINGS_IN = obj(**SETTINGS["properties"])
PROGRESS: Schema = {"type": "integer", "minimum": 0, "maximum": 100}
GOAL = obj(["id", "title", "progress"], id=STR, title=STR, progress=PROGRESS)
MEMORY = obj(["memory_id", "content"], memory_id=UUID, content=STR, created_at=TIME)
MEMORY_IN = obj(["content"], content=STR)


def json_body(schema: Schema, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def answer(schema: Schema | None, description: str = "ok", **headers: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    if headers:
        out["headers"] = {name: {"schema": value} for name, value in headers.items()}
    return out


def path_param(name: str, schema: Schema = STR) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def query_param(name: str, schema: Schema) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


NOT_FOUND = answer(ERROR, "not found")


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "lifecycle", "version": "1"},
        "servers": [{"url": f"https://api.example.com{PREFIX}"}],
        "paths": {
            "/notes": {
                "get": {
                    "operationId": "listNotes",
                    "parameters": [
                        query_param("limit", {"type": "integer", "minimum": 1, "maximum": 50}),
                        query_param("cursor", STR),
                    ],
                    "responses": {"200": answer(NOTE_LIST), "422": answer(HTTP_VALIDATION, "invalid")},
                },
                "post": {
                    "operationId": "createNote",
                    "requestBody": json_body(NOTE_CREATE),
                    "responses": {"201": answer(NOTE, "created", Location=STR), "400": answer(ERROR, "bad")},
                },
            },
            "/notes/{note_id}": {
                "parameters": [path_param("note_id")],
                "get": {"operationId": "getNote", "responses": {"200": answer(NOTE), "404": NOT_FOUND}},
                "patch": {
                    "operationId": "patchNote",
                    "requestBody": json_body(NOTE_PATCH),
                    "responses": {"200": answer(NOTE), "404": NOT_FOUND},
                },
                "put": {
                    "operationId": "putNote",
                    "requestBody": json_body(NOTE_CREATE),
                    "responses": {"200": answer(NOTE), "404": NOT_FOUND},
                },
                "delete": {"operationId": "deleteNote", "responses": {"204": answer(None), "404": NOT_FOUND}},
            },
            "/tasks": {
                "get": {"operationId": "listTasks", "responses": {"200": answer(array(TASK))}},
                "post": {
                    "operationId": "createTask",
                    "requestBody": json_body(TASK_IN),
                    "responses": {"201": answer(TASK_CREATED, "created")},
                },
            },
            "/tasks/{task_id}": {
                "parameters": [path_param("task_id", INT)],
                "get": {"operationId": "getTask", "responses": {"200": answer(TASK)}},
                "put": {
                    "operationId": "putTask",
                    "requestBody": json_body(TASK_IN),
                    "responses": {"200": answer(TASK)},
                },
                "patch": {
                    "operationId": "patchTask",
                    "requestBody": json_body(obj(name=STR, done=BOOL)),
                    "responses": {"200": answer(BOOL)},
                },
                "delete": {"operationId": "deleteTask", "responses": {"200": answer(TASK_DELETED)}},
            },
            "/users": {
                "get": {"operationId": "listUsers", "responses": {"200": answer(array(USER))}},
                "post": {
                    "operationId": "createUser",
                    "requestBody": json_body(obj(["name"], name=STR)),
                    "responses": {"201": answer(USER)},
                },
            },
            "/users/{user_id}": {
                "parameters": [path_param("user_id")],
                "get": {"operationId": "getUser", "responses": {"200": answer(USER), "404": NOT_FOUND}},
                "delete": {"operationId": "deleteUser", "responses": {"204": answer(None), "404": NOT_FOUND}},
            },
            "/users/{user_id}/posts": {
                "parameters": [path_param("user_id")],
                "get": {"operationId": "listPosts", "responses": {"200": answer(array(POST)), "404": NOT_FOUND}},
                "post": {
                    "operationId": "createPost",
                    "requestBody": json_body(obj(["text"], text=STR)),
                    "responses": {"201": answer(POST), "404": NOT_FOUND},
                },
            },
            "/users/{user_id}/posts/{post_id}": {
                "parameters": [path_param("user_id"), path_param("post_id")],
                "get": {"operationId": "getPost", "responses": {"200": answer(POST), "404": NOT_FOUND}},
            },
            "/settings": {
                "get": {"operationId": "getSettings", "responses": {"200": answer(SETTINGS), "404": answer(ERROR)}},
                "put": {
                    "operationId": "putSettings",
                    "requestBody": json_body(SETTINGS_IN),
                    "responses": {"200": answer(SETTINGS)},
                },
                "delete": {"operationId": "deleteSettings", "responses": {"204": answer(None)}},
            },
            "/goals": {
                "get": {"operationId": "listGoals", "responses": {"200": answer(array(GOAL))}},
                "post": {
                    "operationId": "createGoal",
                    "requestBody": json_body(obj(["title"], title=STR, progress=PROGRESS)),
                    "responses": {"201": answer(GOAL)},
                },
            },
            "/goals/{goal_id}": {
                "parameters": [path_param("goal_id")],
                "get": {"operationId": "getGoal", "responses": {"200": answer(GOAL), "404": NOT_FOUND}},
            },
            "/goals/{goal_id}/progress": {
                "parameters": [path_param("goal_id")],
                "post": {
                    "operationId": "recordProgress",
                    "requestBody": json_body(obj(["progress"], progress=PROGRESS)),
                    "responses": {"200": answer(GOAL), "404": NOT_FOUND},
                },
            },
            "/memories": {
                "get": {"operationId": "listMemories", "responses": {"200": answer(array(MEMORY))}},
                "post": {
                    "operationId": "createMemory",
                    "requestBody": json_body(MEMORY_IN),
                    "responses": {"201": answer(MEMORY)},
                },
            },
            "/memories/{memory_id}": {
                "parameters": [path_param("memory_id")],
                "get": {"operationId": "getMemory", "responses": {"200": answer(MEMORY), "404": NOT_FOUND}},
            },
            "/memories/batch": {
                "post": {
                    "operationId": "createMemories",
                    "requestBody": json_body(array(MEMORY_IN)),
                    "responses": {"200": answer(array(MEMORY))},
                },
            },
        },
    }


DOCUMENT = document()


def _template(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


_TEMPLATES = sorted(
    ((template, _template(template)) for template in DOCUMENT["paths"]),
    key=lambda pair: -sum(1 for part in pair[0].split("/") if part and not part.startswith("{")),
)


def declared_schema(method: str, path: str, status: int) -> Schema | None:
    """The schema the document declares for this answer (the most literal template wins)."""
    local = path.removeprefix(PREFIX).split("?", 1)[0]
    template = next(t for t, pattern in _TEMPLATES if pattern.match(local))
    response = DOCUMENT["paths"][template][method.lower()]["responses"][str(status)]
    return ((response.get("content") or {}).get("application/json") or {}).get("schema")


def assert_valid(schema: Schema, body: Any) -> None:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], (body, errors)


class Api:
    """A client of the mock that checks every 2xx answer against the document."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def call(self, method: str, path: str, expect: int | None = None, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.client.request(method, PREFIX + path, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.status_code, response.text)
        if 200 <= response.status_code < 300:
            schema = declared_schema(method, PREFIX + path, response.status_code)
            if schema is None:
                assert response.content == b"", response.content
            else:
                assert_valid(schema, response.json())
        return response

    def json(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        return self.call(method, path, expect, **kwargs).json()

    def create_note(self, **fields: Any) -> dict[str, Any]:
        note: dict[str, Any] = self.json("POST", "/notes", 201, json={"title": "A note", **fields})
        return note

    def note_ids(self, **query: str) -> list[str]:
        return [note["id"] for note in self.json("GET", "/notes", params={"limit": "50", **query})["data"]]


ApiFactory = Callable[..., Api]


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lifecycle") / "lifecycle.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    return path


@pytest.fixture
def make_api(make_app: AppFactory, spec_path: Path) -> ApiFactory:
    def factory(**config: Any) -> Api:
        return Api(TestClient(make_app([spec_path], **config)))

    return factory


@pytest.fixture
def api(make_api: ApiFactory) -> Api:
    return make_api(seed_items=0)


def instant(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


# -- create, read, list ----------------------------------------------------------------------


def test_twenty_creates_give_twenty_uuid_ids(api: Api) -> None:
    ids = [api.create_note(title=f"n{n}")["id"] for n in range(20)]
    assert len(set(ids)) == 20
    for note_id in ids:
        assert str(uuid.UUID(note_id)) == note_id


def test_create_answers_location_of_the_item(api: Api) -> None:
    response = api.call("POST", "/notes", 201, json={"title": "Where"})
    assert response.headers["location"] == f"{PREFIX}/notes/{response.json()['id']}"
    assert api.json("GET", response.headers["location"].removeprefix(PREFIX)) == response.json()


def test_created_fields_read_back(api: Api) -> None:
    created = api.create_note(title="Groceries", body="milk, eggs", status="published")
    assert (created["title"], created["body"], created["status"]) == ("Groceries", "milk, eggs", "published")
    assert instant(created["created_at"]) == NOW
    assert instant(created["updated_at"]) == NOW
    assert api.json("GET", f"/notes/{created['id']}") == created


def test_list_contains_the_created_item(api: Api) -> None:
    first, second = api.create_note(title="one"), api.create_note(title="two")
    listed = api.json("GET", "/notes")
    assert [n["id"] for n in listed["data"]] == [first["id"], second["id"]]
    assert listed["data"] == [first, second]
    assert listed["has_more"] is False


def test_integer_ids_from_a_create_answering_id_and_status(api: Api) -> None:
    answers = [api.json("POST", "/tasks", 201, json={"name": f"task {n}"}) for n in range(20)]
    for created in answers:
        assert set(created) == {"id", "status"}
        assert type(created["id"]) is int and created["id"] >= 1
    ids = [created["id"] for created in answers]
    assert len(set(ids)) == 20
    task = api.json("GET", f"/tasks/{ids[7]}")
    assert (task["id"], task["name"], task["status"]) == (ids[7], "task 7", answers[7]["status"])
    assert [t["id"] for t in api.json("GET", "/tasks")] == ids


# 2,000 seeds drawn from 1..10,000 collide twice often enough to number some of them in turn.
@pytest.mark.parametrize("seeds", [3, 2000])
def test_integer_ids_of_creates_count_up_from_the_highest_seeded_one_and_are_not_reused(
    make_api: ApiFactory, seeds: int
) -> None:
    api = make_api(seed_items=seeds)
    seeded = [t["id"] for t in api.json("GET", "/tasks")]
    assert len(set(seeded)) == seeds
    made = [api.json("POST", "/tasks", 201, json={"name": f"task {n}"})["id"] for n in range(3)]
    assert made == [max(seeded) + 1, max(seeded) + 2, max(seeded) + 3]  # a database's sequence
    api.call("DELETE", f"/tasks/{made[-1]}", 200)
    assert api.json("POST", "/tasks", 201, json={"name": "after"})["id"] == max(seeded) + 4
    assert [t["id"] for t in api.json("GET", "/tasks")] == [*seeded, *made[:2], max(seeded) + 4]


def test_integer_ids_of_creates_go_on_above_the_fixtures_and_ids_put_past_them(
    make_api: ApiFactory, tmp_path: Path
) -> None:
    tasks = [{"id": n, "name": f"fixture {n}", "done": False, "status": "queued"} for n in range(1, 9)]
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps({"lifecycle": {"/tasks": tasks}}), encoding="utf-8")
    api = make_api(seed_items=0, data=str(fixtures))
    made = [api.json("POST", "/tasks", 201, json={"name": f"task {n}"})["id"] for n in range(3)]
    assert made == [9, 10, 11]
    assert [t["name"] for t in api.json("GET", "/tasks")] == [*(t["name"] for t in tasks), "task 0", "task 1", "task 2"]
    for n in range(12, 20):  # ids written past the sequence, by PUT: the next create goes on above them
        api.json("PUT", f"/tasks/{n}", json={"name": f"put {n}"})
    assert api.json("POST", "/tasks", 201, json={"name": "after"})["id"] == 20


@pytest.mark.parametrize("required", [False, True])
def test_a_create_still_generates_a_field_the_body_sends_but_the_item_cannot_hold(
    make_app: AppFactory, tmp_path: Path, required: bool
) -> None:
    """A create leaves out of the generated item what its body will set; where the body's
    value is refused (too long for the item's schema) the item is generated whole instead."""
    pet = obj(["id", "name"] if required else ["id"], id=INT, name={"type": "string", "maxLength": 3}, tag=STR)
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "pets", "version": "1"},
        "paths": {
            "/pets": {
                "get": {"operationId": "listPets", "responses": {"200": answer(array(pet))}},
                "post": {
                    "operationId": "createPet",
                    "requestBody": json_body(obj(["name"], name=STR, tag=STR)),
                    "responses": {"201": answer(pet, "created")},
                },
            },
            "/pets/{pet_id}": {
                "parameters": [path_param("pet_id", INT)],
                "get": {"operationId": "getPet", "responses": {"200": answer(pet), "404": NOT_FOUND}},
            },
        },
    }
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(doc), encoding="utf-8")
    client = TestClient(make_app([spec], seed_items=0))
    kept = client.post("/pets", json={"name": "Rex", "tag": "dog"}, headers={"Authorization": "Bearer T"})
    assert kept.status_code == 201 and kept.json() == {"id": 1, "name": "Rex", "tag": "dog"}
    names = []
    for n in range(10):
        made = client.post("/pets", json={"name": f"far too long {n}"}, headers={"Authorization": "Bearer T"})
        assert made.status_code == 201, made.text
        Draft202012Validator(pet).validate(made.json())
        names.append(made.json().get("name"))
    generated = [name for name in names if name is not None]
    assert len(generated) == 10 if required else len(generated) >= 5  # an optional field: made 85% of the time


# -- update ----------------------------------------------------------------------------------


def test_patch_merges_and_moves_updated_at(api: Api, clock: ManualClock) -> None:
    created = api.create_note(title="Draft title", body="kept body", status="draft")
    clock.advance(90)
    patched = api.json("PATCH", f"/notes/{created['id']}", json={"title": "Final title"})
    assert patched == {**created, "title": "Final title", "updated_at": patched["updated_at"]}
    assert instant(patched["updated_at"]) == NOW + 90
    assert patched["created_at"] == created["created_at"]
    clock.advance(30)
    again = api.json("PATCH", f"/notes/{created['id']}", json={"status": "published"})
    assert (again["title"], again["body"], again["status"]) == ("Final title", "kept body", "published")
    assert instant(again["updated_at"]) == NOW + 120
    assert api.json("GET", f"/notes/{created['id']}") == again


def test_patch_answering_boolean_is_true_and_applied(api: Api) -> None:
    task_id = api.json("POST", "/tasks", 201, json={"name": "wash", "done": False})["id"]
    assert api.json("PATCH", f"/tasks/{task_id}", json={"done": True}) is True
    task = api.json("GET", f"/tasks/{task_id}")
    assert (task["name"], task["done"]) == ("wash", True)


# -- delete ----------------------------------------------------------------------------------


def test_delete_then_get_is_the_declared_404(api: Api) -> None:
    note_id = api.create_note()["id"]
    assert api.call("DELETE", f"/notes/{note_id}", 204).content == b""
    gone = api.call("GET", f"/notes/{note_id}", 404)
    body = gone.json()
    assert_valid(ERROR, body)
    assert set(body) == {"code", "message"}
    assert note_id in body["message"]
    assert api.call("PATCH", f"/notes/{note_id}", 404, json={"title": "x"}).json()["message"] == body["message"]
    assert api.call("DELETE", f"/notes/{note_id}", 404).json()["message"] == body["message"]
    assert note_id not in api.note_ids()


def test_delete_twice_without_a_declared_404_succeeds_both_times(api: Api) -> None:
    task_id = api.json("POST", "/tasks", 201, json={"name": "once"})["id"]
    assert api.json("DELETE", f"/tasks/{task_id}") == {"deleted": True, "id": task_id}
    assert api.json("DELETE", f"/tasks/{task_id}") == {"deleted": True, "id": task_id}
    assert api.call("GET", f"/tasks/{task_id}").status_code == 404
    assert task_id not in [t["id"] for t in api.json("GET", "/tasks")]


def test_put_on_a_deleted_id_without_a_declared_404_recreates_it(api: Api) -> None:
    task_id = api.json("POST", "/tasks", 201, json={"name": "first life"})["id"]
    api.json("DELETE", f"/tasks/{task_id}")
    recreated = api.json("PUT", f"/tasks/{task_id}", json={"name": "second life", "done": True})
    assert (recreated["id"], recreated["name"], recreated["done"]) == (task_id, "second life", True)
    assert api.json("GET", f"/tasks/{task_id}") == recreated


def test_put_on_a_deleted_id_with_a_declared_404_is_404(api: Api) -> None:
    note_id = api.create_note()["id"]
    api.call("DELETE", f"/notes/{note_id}", 204)
    body = api.call("PUT", f"/notes/{note_id}", 404, json={"title": "back"}).json()
    assert_valid(ERROR, body)
    assert note_id in body["message"]
    assert note_id not in api.note_ids()


# -- unknown ids -----------------------------------------------------------------------------


def test_unknown_id_auto(make_api: ApiFactory) -> None:
    api = make_api(unknown_ids="auto")
    unknown = str(uuid.UUID(int=12345))
    body = api.call("GET", f"/notes/{unknown}", 404).json()
    assert_valid(ERROR, body)
    assert unknown in body["message"]
    task = api.json("GET", "/tasks/424242")  # tasks declare no 404: a generated task
    assert task["id"] == 424242


def test_unknown_id_generate(make_api: ApiFactory) -> None:
    api = make_api(unknown_ids="generate")
    unknown = str(uuid.UUID(int=12345))
    note = api.json("GET", f"/notes/{unknown}")
    assert note["id"] == unknown
    assert api.json("GET", f"/notes/{unknown}") == note


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/tasks/424242", None),
        ("PATCH", "/tasks/424242", {"done": True}),
        ("PUT", "/tasks/424242", {"name": "x"}),
        ("DELETE", "/tasks/424242", None),
        ("GET", f"/notes/{uuid.UUID(int=1)}", None),
        ("GET", "/goals/nope", None),
        ("POST", "/goals/nope/progress", {"progress": 3}),
        ("GET", "/users/nobody/posts/nothing", None),
    ],
)
def test_unknown_id_404_for_every_operation(
    make_api: ApiFactory, method: str, path: str, body: dict[str, Any] | None
) -> None:
    api = make_api(unknown_ids="404")
    assert api.call(method, path, json=body).status_code == 404


def test_unknown_ids_404_still_reads_seeded_items(make_api: ApiFactory) -> None:
    api = make_api(unknown_ids="404")
    tasks = api.json("GET", "/tasks")
    assert len(tasks) == 3
    for task in tasks:
        assert api.json("GET", f"/tasks/{task['id']}") == task


# -- seeding and bounds ----------------------------------------------------------------------


def test_three_seed_items_are_listed_and_readable(make_api: ApiFactory) -> None:
    api = make_api(seed_items=3)
    listed = api.json("GET", "/notes")["data"]
    assert len(listed) == 3
    assert len({note["id"] for note in listed}) == 3
    for note in listed:
        assert api.json("GET", f"/notes/{note['id']}") == note
    assert len(api.json("GET", "/memories")) == 3


def test_no_seed_items_gives_an_empty_list(api: Api) -> None:
    assert api.json("GET", "/notes") == {"data": [], "has_more": False}
    assert api.json("GET", "/tasks") == []


def test_max_items_bounds_a_collection(make_api: ApiFactory) -> None:
    api = make_api(seed_items=0, max_items=5)
    ids = [api.create_note(title=f"n{n}")["id"] for n in range(8)]
    assert api.note_ids() == ids[3:]
    api.call("GET", f"/notes/{ids[0]}", 404)
    assert api.json("GET", f"/notes/{ids[7]}")["title"] == "n7"


def test_cursor_pages_through_a_collection(api: Api) -> None:
    ids = [api.create_note(title=f"n{n}")["id"] for n in range(5)]
    first = api.json("GET", "/notes", params={"limit": "2"})
    assert ([n["id"] for n in first["data"]], first["has_more"], first["next_cursor"]) == (ids[:2], True, ids[1])
    second = api.json("GET", "/notes", params={"limit": "2", "cursor": first["next_cursor"]})
    assert ([n["id"] for n in second["data"]], second["has_more"], second["next_cursor"]) == (ids[2:4], True, ids[3])
    last = api.json("GET", "/notes", params={"limit": "2", "cursor": second["next_cursor"]})
    assert [n["id"] for n in last["data"]] == ids[4:]
    assert last["has_more"] is False
    assert "next_cursor" not in last


# -- scopes ----------------------------------------------------------------------------------


def test_nested_scopes_are_independent(api: Api) -> None:
    post_a = api.json("POST", "/users/a/posts", 201, json={"text": "from a"})
    post_b = api.json("POST", "/users/b/posts", 201, json={"text": "from b"})
    assert (post_a["user_id"], post_b["user_id"]) == ("a", "b")
    assert api.json("GET", "/users/a/posts") == [post_a]
    assert api.json("GET", "/users/b/posts") == [post_b]
    assert api.json("GET", f"/users/a/posts/{post_a['id']}") == post_a
    assert post_a["id"] != post_b["id"]
    assert_valid(ERROR, api.call("GET", f"/users/b/posts/{post_a['id']}", 404).json())


def test_deleting_a_parent_makes_its_children_404(api: Api) -> None:
    user = api.json("POST", "/users", 201, json={"name": "Ann"})
    post = api.json("POST", f"/users/{user['id']}/posts", 201, json={"text": "hello"})
    api.json("GET", f"/users/{user['id']}/posts/{post['id']}")
    api.call("DELETE", f"/users/{user['id']}", 204)
    gone = api.call("GET", f"/users/{user['id']}/posts/{post['id']}", 404).json()
    assert_valid(ERROR, gone)
    assert user["id"] in gone["message"]
    assert_valid(ERROR, api.call("GET", f"/users/{user['id']}/posts", 404).json())
    assert_valid(ERROR, api.call("POST", f"/users/{user['id']}/posts", 404, json={"text": "late"}).json())


# -- singletons, actions, batches ------------------------------------------------------------


def test_singleton_keeps_its_state(api: Api) -> None:
    before = api.json("GET", "/settings")
    assert api.json("GET", "/settings") == before
    theme = "light" if before["theme"] == "dark" else "dark"
    written = api.json("PUT", "/settings", json={"theme": theme})
    assert written == {**before, "theme": theme}
    assert api.json("GET", "/settings") == written
    language = "fr" if written["language"] != "fr" else "de"
    assert api.json("PUT", "/settings", json={"language": language}) == {**written, "language": language}


def test_a_deleted_singleton_is_gone_until_it_is_written_anew(api: Api) -> None:
    """Adyen's `DELETE /paymentInstruments/{id}/authorisedCardUsers`, then a GET: 404 (as
    Schemathesis' stateful run expects of a deleted resource), and DELETE stays idempotent;
    a PUT makes the document again, from its fields and what was generated for it."""
    before = api.json("GET", "/settings")
    api.call("DELETE", "/settings", 204)
    assert_valid(ERROR, api.call("GET", "/settings", 404).json())
    api.call("DELETE", "/settings", 204)
    written = api.json("PUT", "/settings", json={"theme": "dark"})
    assert written == {**before, "theme": "dark"}
    assert api.json("GET", "/settings") == written


def test_action_applies_body_fields_to_the_parent_item(api: Api) -> None:
    goal = api.json("POST", "/goals", 201, json={"title": "Run 10k", "progress": 0})
    assert goal["progress"] == 0
    moved = api.json("POST", f"/goals/{goal['id']}/progress", json={"progress": 40})
    assert moved == {**goal, "progress": 40}
    assert api.json("GET", f"/goals/{goal['id']}") == moved


def test_batch_creates_each_element(api: Api) -> None:
    created = api.json("POST", "/memories/batch", json=[{"content": "a"}, {"content": "b"}, {"content": "c"}])
    assert [m["content"] for m in created] == ["a", "b", "c"]
    ids = [m["memory_id"] for m in created]
    assert len(set(ids)) == 3
    for memory in created:
        assert api.json("GET", f"/memories/{memory['memory_id']}") == memory
    assert api.json("GET", "/memories") == created


# -- determinism and validation --------------------------------------------------------------


def test_same_seed_same_list_other_seed_other_list(make_api: ApiFactory) -> None:
    first, second, other = make_api(seed=5), make_api(seed=5), make_api(seed=6)
    for path in ("/notes", "/tasks", "/settings"):
        assert first.json("GET", path) == second.json("GET", path)
    assert first.json("GET", "/notes") != other.json("GET", "/notes")
    assert first.json("GET", "/tasks") != other.json("GET", "/tasks")


def test_post_without_a_required_body_is_the_declared_400_naming_body(api: Api) -> None:
    body = api.call("POST", "/notes", 400).json()
    assert_valid(ERROR, body)
    assert body["message"].startswith("body")
    assert "required" in body["message"].lower()


def test_post_without_a_required_body_is_422_naming_body_where_nothing_is_declared(api: Api) -> None:
    body = api.call("POST", "/tasks", 422).json()
    assert [entry["loc"] for entry in body["detail"]] == [["body"]]


def test_limit_above_its_maximum_is_the_declared_422_at_limit(api: Api) -> None:
    body = api.call("GET", "/notes", 422, params={"limit": "51"}).json()
    assert_valid(HTTP_VALIDATION, body)
    assert [entry["loc"] for entry in body["detail"]] == [["query", "limit"]]
    api.json("GET", "/notes", params={"limit": "50"})


def test_every_answer_of_a_busy_session_validates(make_api: ApiFactory, clock: ManualClock) -> None:
    """The `Api` helper checks each 2xx answer; this drives every operation with seeded data."""
    api = make_api(seed_items=3)
    for note in api.json("GET", "/notes")["data"]:
        clock.advance(1)
        api.json("PATCH", f"/notes/{note['id']}", json={"body": "edited"})
        api.json("PUT", f"/notes/{note['id']}", json={"title": "replaced"})
    for task in api.json("GET", "/tasks"):
        api.json("PATCH", f"/tasks/{task['id']}", json={"name": "renamed"})
        api.json("DELETE", f"/tasks/{task['id']}")
    for goal in api.json("GET", "/goals"):
        api.json("POST", f"/goals/{goal['id']}/progress", json={"progress": 100})
    for user in api.json("GET", "/users"):
        for post in api.json("GET", f"/users/{user['id']}/posts"):
            api.json("GET", f"/users/{user['id']}/posts/{post['id']}")
    api.json("PUT", "/settings", json={"notifications": False})
    api.json("POST", "/memories/batch", json=[{"content": "x"}])


# -- a custom stage --------------------------------------------------------------------------


class TeapotStage:
    """Answers 418 to any request with an `X-Teapot` header."""

    async def __call__(self, request: MockRequest) -> MockResponse | None:
        if "x-teapot" in request.headers:
            return MockResponse(418, {"detail": "I'm a teapot"})
        return None


def _pipeline(spec: Path, clock: ManualClock, extra: Callable[[Stage], list[Stage]]) -> TestClient:
    (mounted,) = load_apis([spec])
    router: Router[Operation] = Router()
    for op in mounted.operations:
        router.add(mounted.prefix + op.path, op.method, op)
    generation = Generation(0, EPOCH)
    resources = ResourceStage(MemoryStore(), generation, clock)
    stages = extra(resources)
    return TestClient(Pipeline(Starlette(), router, stages, Negotiator(generation), log=False))


def test_a_stage_is_one_more_item_in_the_list(spec_path: Path, clock: ManualClock) -> None:
    client = _pipeline(spec_path, clock, lambda resources: [TeapotStage(), resources])
    teapot = client.get(f"{PREFIX}/notes", headers={"X-Teapot": "1"})
    assert (teapot.status_code, teapot.json()) == (418, {"detail": "I'm a teapot"})
    assert len(client.get(f"{PREFIX}/notes").json()["data"]) == 3
    late = _pipeline(spec_path, clock, lambda resources: [resources, TeapotStage()])
    assert late.get(f"{PREFIX}/notes", headers={"X-Teapot": "1"}).status_code == 200
