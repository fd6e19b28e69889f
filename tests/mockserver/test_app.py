"""The app factory: where each API is mounted, the index at GET / (and /__mock/apis), the
specs at GET /<name>/openapi.json, single-spec mode (served at / and under the server path),
`base_path`, `dynamic`, and an SDK written against `prism mock` pointed at the root."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datagrid_ai
import pytest
import yaml
from datagrid_ai import Datagrid
from starlette.testclient import TestClient

from contracts.oracle import SpecOracle
from mockserver import create_app
from mockserver.app import ServerConfig
from mockserver.prefer import DYNAMIC, Preferences, parse_prefer
from tests.mockserver.conftest import AppFactory, SpecWriter, minimal_spec
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS
from tests.servers import serve


def _spec_as_json(path: Path) -> object:
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))


def test_index_lists_every_api_and_its_operations(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    listed = {api["name"]: api for api in response.json()["apis"]}
    assert sorted(listed) == API_NAMES
    for name in API_NAMES:
        api = SEED_APIS[name]
        entry = listed[name]
        assert entry["base_path"] == api.base
        oracle = SpecOracle(api.spec)
        operation = oracle.document["paths"][api.spec_path][api.method.lower()]
        assert entry["operations"] == [
            {"method": api.method, "path": api.base + api.spec_path, "operationId": operation["operationId"]}
        ]
        assert entry["title"] == oracle.document["info"]["title"]
        assert entry["spec"] == f"/{name}/openapi.json"


@pytest.mark.parametrize("name", API_NAMES)
def test_each_spec_is_served(client: TestClient, name: str) -> None:
    response = client.get(f"/{name}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == _spec_as_json(SEED_APIS[name].spec)


def test_index_links_work(client: TestClient) -> None:
    for entry in client.get("/").json()["apis"]:
        assert client.get(entry["spec"]).json()["info"]["title"] == entry["title"]


def test_every_api_answers_where_the_issue_says(client: TestClient) -> None:
    expected = {
        "datagrid": "/datagrid/v1/conversations/c1",
        "omi": "/omi/v1/dev/user/conversations/c1",
        "mielto": "/mielto/api/v1/conversations/c1",
        "openhands": "/openhands/api/conversations/c1",
        "library-chat": "/library-chat/api/conversations/c1",
    }
    for name, url in expected.items():
        api = SEED_APIS[name]
        response = client.request(api.method, url, json=api.valid_body, headers=api.auth)
        assert response.status_code == 200, (name, response.text)


def test_single_spec_is_served_at_its_server_path(make_app: AppFactory) -> None:
    client = TestClient(make_app([SEED_APIS["datagrid"].spec]), raise_server_exceptions=False)
    response = client.patch("/v1/conversations/x", json={"name": "single"}, headers={"Authorization": "Bearer T"})
    assert response.status_code == 200
    assert response.json()["id"] == "x" and response.json()["name"] == "single"
    assert (
        client.patch("/datagrid/v1/conversations/x", json={}, headers={"Authorization": "Bearer T"}).status_code == 404
    )
    [entry] = client.get("/").json()["apis"]
    assert entry["name"] == "datagrid" and entry["base_path"] == "/v1"
    assert entry["operations"][0]["path"] == "/v1/conversations/{conversation_id}"
    assert client.get(entry["spec"]).json() == _spec_as_json(SEED_APIS["datagrid"].spec)


def test_single_spec_without_a_server_path(make_app: AppFactory) -> None:
    client = TestClient(make_app([SEED_APIS["library-chat"].spec]), raise_server_exceptions=False)
    response = client.patch("/api/conversations/x", json={"title": "t"})
    assert response.status_code == 200 and response.json()["title"] == "t"
    assert client.get("/openapi.json").json()["info"]["title"] == "Library chat"


def test_a_directory_of_specs_mounts_each_under_its_stem(
    tmp_path: Path, make_app: AppFactory, write_spec: SpecWriter
) -> None:
    write_spec(minimal_spec(), "alpha.yaml")
    write_spec(minimal_spec(servers=[]), "beta.json")
    client = TestClient(make_app([tmp_path]), raise_server_exceptions=False)
    assert client.patch("/alpha/v2/things/1", json={}).status_code == 200
    assert client.patch("/beta/things/1", json={}).status_code == 200
    assert sorted(api["name"] for api in client.get("/").json()["apis"]) == ["alpha", "beta"]
    assert client.get("/beta/openapi.json").json()["info"]["title"] == "tiny"


def test_several_targets_are_combined(make_app: AppFactory) -> None:
    client = TestClient(make_app([SEED_APIS["omi"].spec, SEED_APIS["datagrid"].spec]))
    assert sorted(api["name"] for api in client.get("/").json()["apis"]) == ["datagrid", "omi"]
    api = SEED_APIS["omi"]
    assert client.patch(api.url("c1"), json={}, headers=api.auth).status_code == 200


def test_unknown_paths_at_the_top_are_404_json(client: TestClient) -> None:
    for path in ("/nope", "/omi", "/omi/", "/omi/openapi.json/extra", "/unknown/openapi.json"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"


# -- where an API is mounted ---------------------------------------------------------------

NOTE = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "text": {"type": "string", "minLength": 16}, "n": {"type": "integer"}},
    "required": ["id", "text", "n"],
}


def _notes_spec(server: str = "https://api.example.com/v2", **extra_paths: Any) -> dict[str, Any]:
    """POST /notes (201 with Location) and GET /notes/{note_id}: a collection the model infers."""
    ok = {"description": "ok", "content": {"application/json": {"schema": NOTE}}}
    created = {**ok, "headers": {"Location": {"schema": {"type": "string"}}}}
    note_id = {"name": "note_id", "in": "path", "required": True, "schema": {"type": "string"}}
    body = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "notes", "version": "1"},
        "servers": [{"url": server}] if server else [],
        "paths": {
            "/notes": {"post": {"operationId": "createNote", "requestBody": body, "responses": {"201": created}}},
            "/notes/{note_id}": {"get": {"operationId": "getNote", "parameters": [note_id], "responses": {"200": ok}}},
            **extra_paths,
        },
    }


def test_a_single_spec_is_served_at_the_root_and_its_server_path(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(_notes_spec())]), raise_server_exceptions=False)
    at_root = client.post("/notes", json={"text": "written at the root, read below"})
    assert at_root.status_code == 201, at_root.text
    note = at_root.json()
    assert at_root.headers["location"] == f"/notes/{note['id']}"
    assert client.get(f"/v2/notes/{note['id']}").json() == note  # one API, one state, two mounts
    below = client.post("/v2/notes", json={"text": "written under the server path"})
    assert below.headers["location"] == f"/v2/notes/{below.json()['id']}"
    assert client.get(below.headers["location"].removeprefix("/v2")).json() == below.json()
    [entry] = client.get("/").json()["apis"]
    assert entry["mounts"] == ["/", "/v2"] and entry["base_path"] == "/v2"
    assert client.get(entry["spec"]).json()["info"]["title"] == "notes"


@pytest.mark.parametrize(
    ("base_path", "served", "not_served"),
    [
        ("", "/notes/n1", "/v2/notes/n1"),
        ("/", "/notes/n1", "/v2/notes/n1"),
        ("/api/v9", "/api/v9/notes/n1", "/notes/n1"),
        ("api/v9/", "/api/v9/notes/n1", "/notes/n1"),
    ],
)
def test_base_path_is_the_only_mount(
    make_app: AppFactory, write_spec: SpecWriter, base_path: str, served: str, not_served: str
) -> None:
    client = TestClient(make_app([write_spec(_notes_spec())], base_path=base_path), raise_server_exceptions=False)
    assert client.get(served).status_code == 200
    assert client.get(not_served).status_code == 404
    mount = served.removesuffix("/notes/n1")
    [entry] = client.get("/").json()["apis"]
    assert entry["mounts"] == [mount or "/"]
    created = client.post(f"{mount}/notes", json={})
    assert created.headers["location"] == f"{mount}/notes/{created.json()['id']}"


def test_base_path_replaces_the_server_path_of_each_of_several_specs(
    tmp_path: Path, make_app: AppFactory, write_spec: SpecWriter
) -> None:
    write_spec(_notes_spec(), "alpha.yaml")
    write_spec(_notes_spec(server=""), "beta.yaml")
    client = TestClient(make_app([tmp_path], base_path="/x"), raise_server_exceptions=False)
    assert client.get("/alpha/x/notes/1").status_code == 200
    assert client.get("/beta/x/notes/1").status_code == 200
    assert client.get("/alpha/v2/notes/1").status_code == 404
    assert client.get("/notes/1").status_code == 404  # several specs: nothing at the root
    mounts = {api["name"]: api["mounts"] for api in client.get("/__mock/apis").json()["apis"]}
    assert mounts == {"alpha": ["/alpha/x"], "beta": ["/beta/x"]}


def test_several_specs_keep_their_stem_and_server_path(make_app: AppFactory) -> None:
    client = TestClient(make_app([SEED_APIS["omi"].spec, SEED_APIS["datagrid"].spec]), raise_server_exceptions=False)
    mounts = {api["name"]: api["mounts"] for api in client.get("/").json()["apis"]}
    assert mounts == {"omi": ["/omi"], "datagrid": ["/datagrid/v1"]}  # omi has no server path
    api = SEED_APIS["datagrid"]
    assert client.patch("/v1/conversations/c1", json={}, headers=api.auth).status_code == 404


def test_an_api_declaring_get_root_wins_and_the_index_moves_aside(make_app: AppFactory, write_spec: SpecWriter) -> None:
    home = {"type": "object", "properties": {"welcome": {"type": "string", "enum": ["home"]}}, "required": ["welcome"]}
    ok = {"description": "ok", "content": {"application/json": {"schema": home}}}
    spec = _notes_spec(**{"/": {"get": {"operationId": "home", "responses": {"200": ok}}}})
    spec["paths"]["/openapi.json"] = {"post": {"operationId": "uploadSpec", "responses": {"200": ok}}}
    client = TestClient(make_app([write_spec(spec)], base_path=""), raise_server_exceptions=False)
    assert client.get("/").json() == {"welcome": "home"}
    assert client.get("/openapi.json").status_code == 405  # the API's path: its methods decide
    [entry] = client.get("/__mock/apis").json()["apis"]
    assert entry["spec"] == "/__mock/apis/tiny/openapi.json"
    assert client.get(entry["spec"]).json()["info"]["title"] == "notes"


def test_the_index_is_at_the_root_where_no_api_declares_it(client: TestClient) -> None:
    assert client.get("/__mock/apis").json() == client.get("/").json()


# -- --dynamic -----------------------------------------------------------------------------


def _reads(client: TestClient, prefer: str | None = None, times: int = 4) -> list[Any]:
    headers = {"Prefer": prefer} if prefer else {}
    return [client.get("/notes/same-id", headers=headers).json() for _ in range(times)]


def test_without_dynamic_an_answer_is_stable(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(_notes_spec())]), raise_server_exceptions=False)
    first, *rest = _reads(client)
    assert all(body == first for body in rest)
    assert len({json.dumps(b, sort_keys=True) for b in _reads(client, "dynamic=true")}) > 1


def test_dynamic_generates_every_answer_afresh(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(_notes_spec())], dynamic=True), raise_server_exceptions=False)
    bodies = _reads(client)
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) > 1
    assert all(isinstance(b["text"], str) and len(b["text"]) >= 16 for b in bodies)
    # Another preference in the header keeps the server's dynamic default ...
    assert len({json.dumps(b, sort_keys=True) for b in _reads(client, "respond-async, code=200")}) > 1
    # ... and an explicit dynamic=false gets the stable answer back.
    first, *rest = _reads(client, "dynamic=false")
    assert all(body == first for body in rest)


def test_prefer_defaults_fill_what_the_header_does_not_say() -> None:
    assert parse_prefer(None, DYNAMIC) == DYNAMIC
    assert parse_prefer("code=404", DYNAMIC) == Preferences(code=404, dynamic=True)
    assert parse_prefer("dynamic=false", DYNAMIC) == Preferences(dynamic=False)
    assert parse_prefer("code=404") == Preferences(code=404)


# -- an SDK written against `prism mock` ---------------------------------------------------


def test_the_datagrid_sdk_works_against_the_root_of_a_single_spec_mock() -> None:
    """`prism mock datagrid.yaml` serves at the root; so does the mock: only the base URL changes,
    and the API key SDK test suites use (with spaces) is a bearer token like any other."""
    config = ServerConfig(log_requests=False, tokens=frozenset({"My API Key"}))
    with serve(create_app([SEED_APIS["datagrid"].spec], config)) as url:
        with Datagrid(api_key="My API Key", base_url=url, max_retries=0, timeout=10) as sdk:
            conversation = sdk.conversations.update("conv_root", name="at the root", agent_ids=["a1"])
            assert (conversation.id, conversation.name, conversation.agent_ids) == ("conv_root", "at the root", ["a1"])
        wrong = Datagrid(api_key="My API", base_url=url, max_retries=0, timeout=10)
        with wrong, pytest.raises(datagrid_ai.AuthenticationError):
            wrong.conversations.update("conv_root", name="x")
