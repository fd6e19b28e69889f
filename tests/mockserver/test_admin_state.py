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
def mock(make_app: AppFactory, tmp_path: Path) -> Iterator[httpx.Client]:
    """The mock (memory state: the engines' shared contract is `test_state`'s) with a fixture."""
    data = tmp_path / "data.yaml"
    data.write_text(yaml.safe_dump(FIXTURE), encoding="utf-8")
    app = make_app([SPECS / "datagrid.yaml", write_notes_spec(tmp_path)], data=str(data))
    with serve(app) as base, httpx.Client(base_url=base) as client:
        yield client


def _notes(mock: httpx.Client) -> list[str]:
    return [note["id"] for note in mock.get("/notes/notes", headers=BEARER).json()]


def test_the_summary_counts_each_collection(mock: httpx.Client) -> None:
    for n in range(3):
        mock.patch(f"/datagrid/v1/conversations/c{n}", json={"name": "x"}, headers=BEARER)
    mock.post("/notes/notes", json={"title": "new"}, headers=BEARER)
    summary = mock.get("/__mock/state/datagrid").json()
    assert summary == {
        "api": "datagrid",
        "collections": [{"collection": "/conversations", "path": "/conversations", "count": 3}],
    }
    notes = mock.get("/__mock/state/notes").json()["collections"]
    assert notes == [{"collection": "/notes", "path": "/notes", "count": len(_notes(mock))}]
    assert notes[0]["count"] == 2


def test_get_shows_what_is_stored(mock: httpx.Client) -> None:
    assert mock.get("/__mock/state/notes/notes/n1").json() == {"id": "n1", "title": "from the fixture"}
    assert mock.get("/__mock/state/notes/notes/never").status_code == 404
    updated = mock.patch("/datagrid/v1/conversations/c1", json={"agent_ids": ["a"]}, headers=BEARER).json()
    assert mock.get("/__mock/state/datagrid/conversations/c1").json() == updated


def test_put_sets_up_what_the_api_answers(mock: httpx.Client) -> None:
    note = {"title": "set up", "tags": ["x"]}
    stored = mock.put("/__mock/state/notes/notes/n9", json=note)
    assert stored.status_code == 200 and stored.json() == {**note, "id": "n9"}
    assert mock.get("/notes/notes/n9", headers=BEARER).json() == {**note, "id": "n9"}
    assert "n9" in _notes(mock)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"title": 3}, "title:"),
        ({"id": "other", "title": "t"}, "not the path's id"),
        ({}, "required"),
        ([1], "expected an object"),
    ],
)
def test_put_refuses_what_breaks_the_read_schema(mock: httpx.Client, body: object, fragment: str) -> None:
    answer = mock.put("/__mock/state/notes/notes/n1", json=body)
    assert answer.status_code == 422
    assert any(fragment in problem for problem in answer.json()["detail"]), answer.json()
    assert mock.get("/notes/notes/n1", headers=BEARER).json()["title"] == "from the fixture"


def test_put_refuses_a_body_that_is_not_json(mock: httpx.Client) -> None:
    answer = mock.put("/__mock/state/notes/notes/n1", content=b"{nope", headers={"content-type": "application/json"})
    assert answer.status_code == 400 and "not JSON" in answer.json()["detail"]


def test_delete_removes_and_the_api_then_answers_404(mock: httpx.Client) -> None:
    assert mock.delete("/__mock/state/notes/notes/n1").status_code == 204
    assert mock.get("/notes/notes/n1", headers=BEARER).status_code == 404
    assert mock.delete("/__mock/state/notes/notes/n1").status_code == 404
    assert "n1" not in _notes(mock)


def test_put_after_delete_brings_the_item_back(mock: httpx.Client) -> None:
    mock.delete("/__mock/state/notes/notes/n1")
    mock.put("/__mock/state/notes/notes/n1", json={"title": "back"})
    assert mock.get("/notes/notes/n1", headers=BEARER).json()["title"] == "back"


def test_reset_one_api_restores_its_fixtures_and_leaves_the_others(mock: httpx.Client) -> None:
    mock.patch("/notes/notes/n1", json={"title": "changed"}, headers=BEARER)
    created = mock.post("/notes/notes", json={"title": "new"}, headers=BEARER).json()["id"]
    mock.patch("/datagrid/v1/conversations/c1", json={"name": "kept"}, headers=BEARER)
    answer = mock.post("/__mock/reset", params={"api": "notes"})
    assert answer.status_code == 200 and answer.json() == {"reset": ["notes"]}
    assert mock.get("/notes/notes/n1", headers=BEARER).json()["title"] == "from the fixture"
    assert mock.get(f"/__mock/state/notes/notes/{created}").status_code == 404
    assert mock.get("/__mock/state/datagrid/conversations/c1").json()["name"] == "kept"


def test_reset_all_forgets_every_api(mock: httpx.Client) -> None:
    mock.patch("/datagrid/v1/conversations/c1", json={"name": "gone"}, headers=BEARER)
    mock.delete("/notes/notes/n1", headers=BEARER)
    assert mock.post("/__mock/reset").json() == {"reset": ["datagrid", "notes"]}
    assert mock.get("/__mock/state/datagrid").json()["collections"] == []
    assert mock.get("/notes/notes/n1", headers=BEARER).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "fragment"),
    [
        ("GET", "/__mock/state/nope", "no API named 'nope'"),
        ("GET", "/__mock/state/notes/pages/1", "no collection of notes"),
        ("POST", "/__mock/reset?api=nope", "no API named 'nope'"),
    ],
)
def test_unknown_apis_and_paths_are_404_with_the_known_ones(
    mock: httpx.Client, method: str, path: str, fragment: str
) -> None:
    answer = mock.request(method, path)
    assert answer.status_code == 404
    assert fragment in answer.json()["detail"]
