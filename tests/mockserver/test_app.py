"""The app factory: where each API is mounted, the index at GET /, the specs at
GET /<name>/openapi.json, and single-spec mode (served at / plus the server path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from tests.mockserver.conftest import AppFactory, SpecWriter, minimal_spec
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS
from tests.mockserver.spec_oracle import SpecOracle


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
