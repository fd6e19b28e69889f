"""A small CRUD API (create, read, list, update, delete) for the state tests: none of the
seed specs creates resources, and these tests need to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

NOTE = {
    "type": "object",
    "required": ["id", "title"],
    "properties": {
        "id": {"type": "string", "examples": ["note_8f3a2b1c9d"]},
        "title": {"type": "string", "maxLength": 100},
        "tags": {"type": "array", "items": {"type": "string"}},
        "stars": {"type": "integer", "minimum": 0},
    },
}
NOTE_INPUT = {
    "type": "object",
    "required": ["title"],
    "properties": {k: NOTE["properties"][k] for k in ("title", "tags", "stars")},
}  # type: ignore[index]
_ID = [{"name": "note_id", "in": "path", "required": True, "schema": {"type": "string"}}]
_JSON = "application/json"


def _answer(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: {"description": "ok", "content": {_JSON: {"schema": schema}}}}


_MISSING = {"404": {"description": "no such note"}}
NOTES_SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Notes", "version": "1"},
    "paths": {
        "/notes": {
            "get": {"operationId": "listNotes", "responses": _answer({"type": "array", "items": NOTE})},
            "post": {
                "operationId": "createNote",
                "requestBody": {"required": True, "content": {_JSON: {"schema": NOTE_INPUT}}},
                "responses": _answer(NOTE, "201"),
            },
        },
        "/notes/{note_id}": {
            "parameters": _ID,
            "get": {"operationId": "getNote", "responses": {**_answer(NOTE), **_MISSING}},
            "patch": {
                "operationId": "updateNote",
                "requestBody": {"required": True, "content": {_JSON: {"schema": NOTE_INPUT | {"required": []}}}},
                "responses": {**_answer(NOTE), **_MISSING},
            },
            "delete": {"operationId": "deleteNote", "responses": {"204": {"description": "gone"}, **_MISSING}},
        },
    },
}


def write_notes_spec(directory: Path) -> Path:
    path = directory / "notes.yaml"
    path.write_text(yaml.safe_dump(NOTES_SPEC, sort_keys=False), encoding="utf-8")
    return path
