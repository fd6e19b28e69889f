"""The oracle: it locates what is wrong with a request, FastAPI-style, reading the document
itself (3.0 as 3.0 defines it, references into other files), with none of the mock's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contracts.oracle import SpecOracle
from contracts.sent import SentRequest
from tests.contracts.helpers import exchange, run_of

ROOT = Path(__file__).resolve().parents[2]
OMI = "/v1/dev/user/conversations/c1"
OPENHANDS = "/api/conversations/c1"


@pytest.mark.parametrize(
    ("api", "path", "body", "expected"),
    [
        ("omi", OMI, {"title": "Weekly sync"}, []),
        ("omi", OMI, {"title": None, "discarded": True}, []),
        ("omi", OMI, {"title": "x" * 501}, [("body", "title")]),
        ("omi", OMI, {"title": ""}, [("body", "title")]),
        ("omi", OMI, ["title"], [("body",)]),
        ("openhands", OPENHANDS, {"title": "ok", "extra": 1}, [("body", "extra")]),
        ("openhands", OPENHANDS, {}, [("body", "title")]),
        ("mielto", "/api/v1/conversations/c1", {"ended_at": "yesterday"}, [("body", "ended_at")]),
        ("datagrid", "/conversations/c1", {"agent_ids": "a1"}, [("body", "agent_ids")]),
    ],
)
def test_problems_name_the_offending_field(api: str, path: str, body: object, expected: list[tuple[str, ...]]) -> None:
    assert exchange(run_of(api), path, body=body).problems() == expected


def test_a_missing_or_broken_body_is_a_body_problem() -> None:
    omi = run_of("omi")
    assert exchange(omi, OMI, raw=b"").problems() == [("body",)]
    assert exchange(omi, OMI, raw=b'{"title": ').problems() == [("body",)]
    assert exchange(omi, OMI, raw=b'{"title": NaN}').problems() == [("body",)]


def _document(tmp_path: Path, version: str, body_schema: dict[str, object], **files: dict[str, object]) -> SpecOracle:
    for name, content in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(content))
    document = {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "patch": {
                    "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}},
                    "responses": {"200": {"description": "ok"}},
                },
            }
        },
    }
    (tmp_path / "api.yaml").write_text(yaml.safe_dump(document))
    return SpecOracle(tmp_path / "api.yaml")


def _problems(oracle: SpecOracle, body: object) -> list[tuple[str | int, ...]]:
    return oracle.request("PATCH", "/things/{id}").body_problems_of(body)


def test_openapi_30_is_read_as_30_defines_it(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "nullable": True},
            "size": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
            "kind": {"$ref": "#/components/schemas/Kind", "type": "integer"},  # 3.0: siblings ignored
            "tag": {"type": "string", "enum": ["a"], "nullable": True},
        },
    }
    _document(tmp_path, "3.0.3", schema)
    document = yaml.safe_load((tmp_path / "api.yaml").read_text())
    document["components"] = {"schemas": {"Kind": {"type": "string"}}}
    (tmp_path / "api.yaml").write_text(yaml.safe_dump(document))
    oracle = SpecOracle(tmp_path / "api.yaml")
    assert _problems(oracle, {"name": None, "tag": None, "kind": "k", "size": 1}) == []
    assert _problems(oracle, {"size": 0}) == [("body", "size")]
    assert _problems(oracle, {"kind": 3}) == [("body", "kind")]


def test_in_31_nullable_means_nothing(tmp_path: Path) -> None:
    oracle = _document(
        tmp_path, "3.1.0", {"type": "object", "properties": {"name": {"type": "string", "nullable": True}}}
    )
    assert _problems(oracle, {"name": None}) == [("body", "name")]


def test_references_into_other_files_and_parameters(tmp_path: Path) -> None:
    strict = {
        "type": "object",
        "required": ["at"],
        "properties": {"at": {"type": "string", "format": "date-time"}},
        "additionalProperties": False,
    }
    files = {"schemas.yaml": {"Thing": {"$ref": "#/Strict"}, "Strict": strict}}
    oracle = _document(tmp_path, "3.1.0", {"$ref": "schemas.yaml#/Thing"}, **files)
    request = oracle.request("PATCH", "/things/{id}")
    assert request.body_problems_of({"at": "2016-12-31T23:59:60Z"}) == []  # a leap second
    assert request.body_problems_of({"at": "2016-12-31T12:00:60Z", "x": 1}) == [("body", "at"), ("body", "x")]
    assert request.body_problems_of({}) == [("body", "at")]
    assert set(request.body_properties) == {"at"}
    sent = SentRequest(
        "PATCH", "http://h/things/x", {"content-type": "application/json"}, {}, b'{"at": "2020-01-01T00:00:00Z"}'
    )
    assert request.problems(sent, {"id": "x"}) == [("path", "id")]
    assert request.problems(sent, {"id": "12"}) == []


def test_the_oracle_needs_nothing_of_the_mock() -> None:
    # It judges the mock: importing it must not load any of the mock's code.
    code = "import sys, contracts.oracle; print(sorted(m for m in sys.modules if m.split('.')[0] == 'mockserver'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
