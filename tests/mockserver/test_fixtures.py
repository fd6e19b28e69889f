"""Fixtures (`--data FILE`): initial resources, checked against the read schema at start-up,
served over a real socket, and kept apart from what clients changed since."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockserver.errors import FixtureError
from tests.mockserver.conftest import AppFactory
from tests.mockserver.notes_api import write_notes_spec
from tests.mockserver.seed_apis import BEARER, ROOT, SPECS
from tests.servers import serve

DATAGRID = SPECS / "datagrid.yaml"
GOOD: dict[str, Any] = {
    "notes": {
        "/notes": [
            {"id": "n1", "title": "first", "tags": ["a"], "stars": 2},
            {"id": "n2", "title": "second"},
        ]
    },
    "datagrid": {
        "conversations": [
            {
                "object": "conversation",
                "id": "conv_fixture",
                "name": "From the fixture",
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-02T00:00:00Z",
                "agent_ids": ["agent-1"],
                "participated_agent_ids": ["agent-0", "agent-1"],
            }
        ]
    },
}


def _write(tmp_path: Path, data: Any, name: str = "data.yaml") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def targets(tmp_path: Path) -> list[str | Path]:
    return [DATAGRID, write_notes_spec(tmp_path)]


@pytest.mark.parametrize("name", ["data.yaml", "data.json"])
def test_fixtures_are_the_initial_state(
    make_app: AppFactory, targets: list[str | Path], tmp_path: Path, name: str
) -> None:
    app = make_app(targets, data=str(_write(tmp_path, GOOD, name)))
    with serve(app) as url:
        listed = httpx.get(f"{url}/notes/notes", headers=BEARER).json()
        assert listed == GOOD["notes"]["/notes"]  # no generated seed items beside them
        assert httpx.get(f"{url}/notes/notes/n1", headers=BEARER).json() == GOOD["notes"]["/notes"][0]
        answer = httpx.patch(
            f"{url}/datagrid/v1/conversations/conv_fixture", json={"agent_ids": ["agent-2"]}, headers=BEARER
        )
        assert answer.json()["name"] == "From the fixture"
        assert answer.json()["participated_agent_ids"] == ["agent-0", "agent-1", "agent-2"]


def test_a_restart_on_a_persistent_store_keeps_what_clients_changed(
    make_app: AppFactory, targets: list[str | Path], tmp_path: Path
) -> None:
    data = str(_write(tmp_path, GOOD))
    state = f"sqlite:///{tmp_path / 'state.db'}"
    with serve(make_app(targets, data=data, state=state)) as url:
        httpx.patch(f"{url}/notes/notes/n1", json={"title": "changed"}, headers=BEARER)
        assert httpx.delete(f"{url}/notes/notes/n2", headers=BEARER).status_code == 204
    with serve(make_app(targets, data=data, state=state)) as url:
        assert httpx.get(f"{url}/notes/notes/n1", headers=BEARER).json()["title"] == "changed"
        assert httpx.get(f"{url}/notes/notes/n2", headers=BEARER).status_code == 404
        assert httpx.post(f"{url}/__mock/reset").status_code == 200  # and a reset starts over
        assert httpx.get(f"{url}/notes/notes/n1", headers=BEARER).json()["title"] == "first"
        assert httpx.get(f"{url}/notes/notes/n2", headers=BEARER).status_code == 200


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (
            {"notes": {"/notes": [{"id": "n1", "title": "ok"}, {"id": "n2", "title": "x", "stars": "many"}]}},
            ["notes /notes item 'n2'", "stars", "integer"],
        ),
        ({"notes": {"/notes": [{"id": "n1", "title": "t" * 101}]}}, ["item 'n1'", "title", "longer than 100"]),
        ({"notes": {"/notes": [{"title": "no id"}]}}, ["notes /notes item 1", "'id'"]),
        ({"notes": {"/notes": [{"id": "n1"}]}}, ["item 'n1'", "title", "required"]),
        ({"nope": {}}, ["no API named 'nope'", "notes"]),
        ({"notes": {"/pages": []}}, ["notes /pages", "no collection", "/notes"]),
        ({"notes": {"/notes": {"id": "n1"}}}, ["notes /notes", "a list"]),
        (["not", "a", "mapping"], ["a mapping of API names"]),
    ],
)
def test_a_bad_fixture_names_the_file_api_item_and_field(
    make_app: AppFactory, targets: list[str | Path], tmp_path: Path, data: Any, fragments: list[str]
) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(FixtureError) as raised:
        make_app(targets, data=str(path))
    message = str(raised.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message, message


def test_an_unreadable_or_broken_fixture_file_is_named(
    make_app: AppFactory, targets: list[str | Path], tmp_path: Path
) -> None:
    with pytest.raises(FixtureError, match="cannot read"):
        make_app(targets, data=str(tmp_path / "missing.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("notes: [unclosed\n", encoding="utf-8")
    with pytest.raises(FixtureError, match="not YAML or JSON"):
        make_app(targets, data=str(broken))


def test_the_cli_refuses_a_bad_fixture_in_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, {"notes": {"/notes": [{"id": "n1", "title": 5}]}})
    spec = write_notes_spec(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", str(spec), "--data", str(path), "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"mockserver: error: {path}: notes /notes item 'n1': title:" in result.stderr
