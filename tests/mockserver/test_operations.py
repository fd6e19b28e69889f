"""What `operations` compiles from a document, seen through small inline documents: here,
where an error answer of the declared shape says what is wrong."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from tests.mockserver.conftest import AppFactory, SpecWriter

ERROR = {  # Discord's: the message lives in one part of an `allOf`
    "type": "object",
    "allOf": [
        {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        },
        {"type": "object", "properties": {"errors": {"type": "object"}}},
    ],
}


def _document(error: dict[str, Any]) -> dict[str, Any]:
    body = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    return {
        "openapi": "3.1.0",
        "info": {"title": "errors", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "operationId": "makeThing",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                    "responses": {
                        "204": {"description": "made"},
                        "4XX": {"description": "bad", "content": {"application/json": {"schema": error}}},
                    },
                }
            }
        },
    }


def test_the_message_of_an_all_of_error_shape_is_the_truthful_one(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(_document(ERROR))]), raise_server_exceptions=False)
    assert client.post("/things", json={"name": "a"}).status_code == 204
    response = client.post("/things", json={"name": 5})
    assert response.status_code == 422
    body = response.json()
    assert not list(Draft202012Validator(ERROR).iter_errors(body))
    assert body["message"] == "body.name: Input should be a valid string"
