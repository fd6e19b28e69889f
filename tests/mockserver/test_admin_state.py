"""The admin state endpoints under `/__mock/` and reset, over a real socket: what a test
sets up or inspects there is what the API then answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.mockserver.conftest import AppFactory
from tests.mockserver.notes_api import write_notes_spec
from tests.mockserver.seed_apis import BEARER, SPECS
from tests.servers import serve

FIXTURE = {"notes": {"/notes": [{"id": "n1", "title": "from the fixture"}]}}


@pytest.fixture
def url(make_app: AppFactory, tmp_path: Path) -> Iterator[str]:
    """The mock (memory state: the engines' shared contract is `test_state`'s) with a fixture."""
    data = tmp_path / "data.yaml"
    data.write_text(yaml.safe_dump(FIXTURE), encoding="utf-8")
    app = make_app([SPECS / "datagrid.yaml", write_notes_spec(tmp_path)], data=str(data))
    with serve(app) as base:
        yield base


def _notes(url: str) -> list[str]:
    return [note["id"] for note in httpx.get(f"{url}/notes/notes", headers=BEARER).json()]


def test_the_summary_counts_each_collection(url: str) -> None:
    for n in range(3):
        httpx.patch(f"{url}/datagrid/v1/conversations/c{n}", json={"name": "x"}, headers=BEARER)
    httpx.post(f"{url}/notes/notes", json={"title": "new"}, headers=BEARER)
    summary = httpx.get(f"{url}/__mock/state/datagrid").json()
    assert summary == {
        "api": "datagrid",
        "collections": [{"collection": "/conversations", "path": "/conversations", "count": 3}],
    }
    notes = httpx.get(f"{url}/__mock/state/notes").json()["collections"]
    assert notes == [{"collection": "/notes", "path": "/notes", "count": len(_notes(url))}]
    assert notes[0]["count"] == 2


def test_get_shows_what_is_stored(url: str) -> None:
    assert httpx.get(f"{url}/__mock/state/notes/notes/n1").json() == {"id": "n1", "title": "from the fixture"}
    assert httpx.get(f"{url}/__mock/state/notes/notes/never").status_code == 404
    updated = httpx.patch(f"{url}/datagrid/v1/conversations/c1", json={"agent_ids": ["a"]}, headers=BEARER).json()
    assert httpx.get(f"{url}/__mock/state/datagrid/conversations/c1").json() == updated


def test_put_sets_up_what_the_api_answers(url: str) -> None:
    note = {"title": "set up", "tags": ["x"]}
    stored = httpx.put(f"{url}/__mock/state/notes/notes/n9", json=note)
    assert stored.status_code == 200 and stored.json() == {**note, "id": "n9"}
    assert httpx.get(f"{url}/notes/notes/n9", headers=BEARER).json() == {**note, "id": "n9"}
    assert "n9" in _notes(url)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"title": 3}, "title:"),
        ({"id": "other", "title": "t"}, "not the path's id"),
        ({}, "required"),
        ([1], "expected an object"),
    ],
)
def test_put_refuses_what_breaks_the_read_schema(url: str, body: object, fragment: str) -> None:
    answer = httpx.put(f"{url}/__mock/state/notes/notes/n1", json=body)
    assert answer.status_code == 422
    assert any(fragment in problem for problem in answer.json()["detail"]), answer.json()
    assert httpx.get(f"{url}/notes/notes/n1", headers=BEARER).json()["title"] == "from the fixture"


def test_put_refuses_a_body_that_is_not_json(url: str) -> None:
    answer = httpx.put(
        f"{url}/__mock/state/notes/notes/n1", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400 and "not JSON" in answer.json()["detail"]


def test_delete_removes_and_the_api_then_answers_404(url: str) -> None:
    assert httpx.delete(f"{url}/__mock/state/notes/notes/n1").status_code == 204
    assert httpx.get(f"{url}/notes/notes/n1", headers=BEARER).status_code == 404
    assert httpx.delete(f"{url}/__mock/state/notes/notes/n1").status_code == 404
    assert "n1" not in _notes(url)


def test_put_after_delete_brings_the_item_back(url: str) -> None:
    httpx.delete(f"{url}/__mock/state/notes/notes/n1")
    httpx.put(f"{url}/__mock/state/notes/notes/n1", json={"title": "back"})
    assert httpx.get(f"{url}/notes/notes/n1", headers=BEARER).json()["title"] == "back"


def test_reset_one_api_restores_its_fixtures_and_leaves_the_others(url: str) -> None:
    httpx.patch(f"{url}/notes/notes/n1", json={"title": "changed"}, headers=BEARER)
    created = httpx.post(f"{url}/notes/notes", json={"title": "new"}, headers=BEARER).json()["id"]
    httpx.patch(f"{url}/datagrid/v1/conversations/c1", json={"name": "kept"}, headers=BEARER)
    answer = httpx.post(f"{url}/__mock/reset", params={"api": "notes"})
    assert answer.status_code == 200 and answer.json() == {"reset": ["notes"]}
    assert httpx.get(f"{url}/notes/notes/n1", headers=BEARER).json()["title"] == "from the fixture"
    assert httpx.get(f"{url}/__mock/state/notes/notes/{created}").status_code == 404
    assert httpx.get(f"{url}/__mock/state/datagrid/conversations/c1").json()["name"] == "kept"


def test_reset_all_forgets_every_api(url: str) -> None:
    httpx.patch(f"{url}/datagrid/v1/conversations/c1", json={"name": "gone"}, headers=BEARER)
    httpx.delete(f"{url}/notes/notes/n1", headers=BEARER)
    assert httpx.post(f"{url}/__mock/reset").json() == {"reset": ["datagrid", "notes"]}
    assert httpx.get(f"{url}/__mock/state/datagrid").json()["collections"] == []
    assert httpx.get(f"{url}/notes/notes/n1", headers=BEARER).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "fragment"),
    [
        ("GET", "/__mock/state/nope", "no API named 'nope'"),
        ("GET", "/__mock/state/notes/pages/1", "no collection of notes"),
        ("POST", "/__mock/reset?api=nope", "no API named 'nope'"),
    ],
)
def test_unknown_apis_and_paths_are_404_with_the_known_ones(url: str, method: str, path: str, fragment: str) -> None:
    answer = httpx.request(method, url + path)
    assert answer.status_code == 404
    assert fragment in answer.json()["detail"]
