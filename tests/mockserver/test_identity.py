"""New ids follow the id field of the document: the prefix its examples show (`conv_...`),
an integer sequence, a uuid; unique in the collection and the same for the same seed."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.mockserver.conftest import AppFactory, SpecWriter


def _document(id_schema: dict[str, Any]) -> dict[str, Any]:
    thing = {"type": "object", "required": ["id"], "properties": {"id": id_schema, "title": {"type": "string"}}}
    ref = {"$ref": "#/components/schemas/Thing"}
    body = {
        "content": {"application/json": {"schema": {"type": "object", "properties": {"title": {"type": "string"}}}}}
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "ids", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "requestBody": body,
                    "responses": {"201": {"description": "made", "content": {"application/json": {"schema": ref}}}},
                }
            },
            "/things/{thing_id}": {
                "get": {
                    "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "it", "content": {"application/json": {"schema": ref}}},
                        "404": {"description": "none"},
                    },
                }
            },
        },
        "components": {"schemas": {"Thing": thing}},
    }


def _create(client: TestClient, count: int) -> list[Any]:
    ids = []
    for index in range(count):
        response = client.post("/things", json={"title": f"t{index}"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


@pytest.mark.parametrize(
    ("id_schema", "shape"),
    [
        ({"type": "string", "examples": ["conv_8f3a2b1c9d"]}, re.compile(r"conv_[0-9a-f]{10}")),
        ({"type": "string", "format": "uuid"}, None),
        ({"type": "integer", "minimum": 1}, None),
    ],
    ids=["prefixed", "uuid", "integer"],
)
def test_ids_follow_the_id_schema_and_are_unique(
    make_app: AppFactory, write_spec: SpecWriter, id_schema: dict[str, Any], shape: re.Pattern[str] | None
) -> None:
    client = TestClient(make_app([write_spec(_document(id_schema))]))
    ids = _create(client, 25)
    assert len(set(ids)) == 25
    for value in ids:
        if shape is not None:
            assert shape.fullmatch(value), value
        elif id_schema.get("format") == "uuid":
            uuid.UUID(value)
        else:
            assert isinstance(value, int) and value >= 1
        read = client.get(f"/things/{value}")
        assert read.status_code == 200 and read.json()["id"] == value


def test_the_same_seed_gives_the_same_ids(make_app: AppFactory, write_spec: SpecWriter) -> None:
    path = write_spec(_document({"type": "string", "format": "uuid"}))
    first, second, other = (TestClient(make_app([path], seed=seed)) for seed in (5, 5, 6))
    assert _create(first, 4) == _create(second, 4) != _create(other, 4)
