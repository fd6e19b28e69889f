"""A profile belongs to an API, not to a file name: the same document saved under another
name (or in another folder) keeps its profile, found by `info.title` and the operations the
profile names; a look-alike document with another title does not get it."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from starlette.testclient import TestClient

from tests.mockserver.conftest import AppFactory
from tests.mockserver.seed_apis import SEED_APIS, SPECS


def _renamed(tmp_path: Path, name: str, new_stem: str) -> Path:
    target = tmp_path / f"{new_stem}.yaml"
    shutil.copy(SPECS / f"{name}.yaml", target)
    return target


def _update(client: TestClient, name: str, body: dict[str, object]) -> dict[str, object]:
    api = SEED_APIS[name]
    url = api.spec_path.replace("{conversation_id}", "c1")
    server = yaml.safe_load((SPECS / f"{name}.yaml").read_text(encoding="utf-8"))["servers"][0]["url"]
    prefix = "/" + server.split("://", 1)[-1].split("/", 1)[1] if "/" in server.split("://", 1)[-1] else ""
    response = client.request(api.method, prefix.rstrip("/") + url, json=body, headers=api.headers())
    assert response.status_code == 200, response.text
    result = response.json()
    assert isinstance(result, dict)
    return result


def test_omi_saved_under_another_name_keeps_its_profile(make_app: AppFactory, tmp_path: Path) -> None:
    client = TestClient(make_app([_renamed(tmp_path, "omi", "my-omi-copy")]))
    answer = _update(client, "omi", {"title": "Renamed"})
    # Only Omi's profile says that the title lives in `structured.title`.
    structured = answer["structured"]
    assert isinstance(structured, dict) and structured["title"] == "Renamed"


def test_datagrid_saved_under_another_name_keeps_its_accumulating_list(make_app: AppFactory, tmp_path: Path) -> None:
    client = TestClient(make_app([_renamed(tmp_path, "datagrid", "dg")]))
    _update(client, "datagrid", {"agent_ids": ["a1"]})
    answer = _update(client, "datagrid", {"agent_ids": ["a2"]})
    grown = answer["participated_agent_ids"]
    assert isinstance(grown, list) and {"a1", "a2"} <= set(grown)


def test_another_title_does_not_borrow_the_profile(make_app: AppFactory, tmp_path: Path) -> None:
    document = yaml.safe_load((SPECS / "omi.yaml").read_text(encoding="utf-8"))
    document["info"]["title"] = "Some other API"
    target = tmp_path / "other.yaml"
    target.write_text(yaml.safe_dump(document), encoding="utf-8")
    client = TestClient(make_app([target]))
    answer = _update(client, "omi", {"title": "Renamed"})
    structured = answer.get("structured")
    assert not (isinstance(structured, dict) and structured.get("title") == "Renamed")
