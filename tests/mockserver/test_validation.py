"""Request validation: truthful FastAPI-style 422s, for the seed APIs and for a small inline spec.

Every problem in a request is reported once, at its exact `loc`, with the pydantic v2 error
`type` that FastAPI would use; the body validates against the error response the spec
declares (FastAPI's HTTPValidationError shape where it declares none, as for Datagrid).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from contracts.oracle import SpecOracle
from mockserver.multipart import Part
from mockserver.validation import compile_body
from tests.mockserver.answer_shapes import FASTAPI_VALIDATION_ERROR
from tests.mockserver.conftest import AppFactory, minimal_spec
from tests.mockserver.seed_apis import SEED_APIS

DATETIME_ERROR = re.compile(r"datetime_\w+")

Expected = list[tuple[tuple[Any, ...], "str | re.Pattern[str]"]]

# (api, body or raw bytes, every expected (loc, type))
TRUTHFUL_422: list[tuple[str, Any, Expected]] = [
    ("openhands", {"title": ""}, [(("body", "title"), "string_too_short")]),
    ("openhands", {"title": "x" * 201}, [(("body", "title"), "string_too_long")]),
    ("openhands", {"title": "x", "y": 1}, [(("body", "y"), "extra_forbidden")]),
    ("openhands", {}, [(("body", "title"), "missing")]),
    ("openhands", {"title": None}, [(("body", "title"), "string_type")]),
    ("openhands", {"title": 5}, [(("body", "title"), "string_type")]),
    ("openhands", {"title": "", "y": 1}, [(("body", "title"), "string_too_short"), (("body", "y"), "extra_forbidden")]),
    (
        "openhands",
        {"a": 1, "b": 2},
        [(("body", "title"), "missing"), (("body", "a"), "extra_forbidden"), (("body", "b"), "extra_forbidden")],
    ),
    ("openhands", [], [(("body",), "model_attributes_type")]),
    ("omi", {"title": 5}, [(("body", "title"), "string_type")]),
    ("omi", {"title": "x" * 501}, [(("body", "title"), "string_too_long")]),
    ("omi", {"title": ""}, [(("body", "title"), "string_too_short")]),
    ("omi", {"discarded": [1]}, [(("body", "discarded"), "bool_type")]),
    ("omi", {"title": 5, "discarded": [1]}, [(("body", "title"), "string_type"), (("body", "discarded"), "bool_type")]),
    ("omi", "title", [(("body",), "model_attributes_type")]),
    ("mielto", {"ended_at": "yesterday"}, [(("body", "ended_at"), DATETIME_ERROR)]),
    ("mielto", {"ended_at": "2026-02-30T10:00:00Z"}, [(("body", "ended_at"), DATETIME_ERROR)]),
    ("mielto", {"ended_at": "1998-12-31T23:58:60Z"}, [(("body", "ended_at"), DATETIME_ERROR)]),
    ("mielto", [], [(("body",), "model_attributes_type")]),
    ("mielto", {"title": "x" * 256}, [(("body", "title"), "string_too_long")]),
    ("mielto", {"collections": "a"}, [(("body", "collections"), "list_type")]),
    (
        "mielto",
        {"collections": [1, "b", 2]},
        [(("body", "collections", 0), "string_type"), (("body", "collections", 2), "string_type")],
    ),
    ("mielto", {"meta_data": 5}, [(("body", "meta_data"), "dict_type")]),
    ("mielto", {"is_public": []}, [(("body", "is_public"), "bool_type")]),
    ("mielto", {"title": 5, "summary": 6}, [(("body", "title"), "string_type"), (("body", "summary"), "string_type")]),
    ("datagrid", {"agent_ids": [1]}, [(("body", "agent_ids", 0), "string_type")]),
    ("datagrid", {"agent_ids": "a1"}, [(("body", "agent_ids"), "list_type")]),
    ("datagrid", {"name": 5}, [(("body", "name"), "string_type")]),
    ("datagrid", {"name": None}, [(("body", "name"), "string_type")]),
    (
        "datagrid",
        {"name": 5, "agent_ids": [1, "a", 2]},
        [
            (("body", "name"), "string_type"),
            (("body", "agent_ids", 0), "string_type"),
            (("body", "agent_ids", 2), "string_type"),
        ],
    ),
    ("datagrid", 7, [(("body",), "model_attributes_type")]),
    ("library-chat", {"title": ""}, [(("body", "title"), "string_too_short")]),
    ("library-chat", {}, [(("body", "title"), "missing")]),
    ("library-chat", {"title": ["a"]}, [(("body", "title"), "string_type")]),
    ("library-chat", None, [(("body",), "model_attributes_type")]),
]

# Raw bodies, the same for every API: malformed JSON, an empty body, invalid UTF-8, NaN.
RAW_422: list[tuple[bytes, Expected]] = [
    (b'{"title": ', [(("body", 10), "json_invalid")]),
    (b'{"title": "x",}', [(("body", 14), "json_invalid")]),
    (b"{'title': 'x'}", [(("body", 1), "json_invalid")]),
    (b"", [(("body",), "missing")]),
    (b"\xff\xfe{}", [(("body", 0), "json_invalid")]),
    (b'{"title": "a\xff"}', [(("body", 12), "json_invalid")]),
    (b'{"title": NaN}', [(("body", "title"), "finite_number")]),
    (b'{"title": -Infinity}', [(("body", "title"), "finite_number")]),
    (b'{"title": 1e400}', [(("body", "title"), "finite_number")]),
]


def _matches(actual: tuple[tuple[Any, ...], str], expected: tuple[tuple[Any, ...], Any]) -> bool:
    (loc, kind), (want_loc, want_kind) = actual, expected
    if tuple(loc) != tuple(want_loc):
        return False
    return bool(want_kind.fullmatch(kind)) if isinstance(want_kind, re.Pattern) else kind == want_kind


def assert_truthful_422(name: str, client: TestClient, content: bytes, expected: Expected) -> None:
    api = SEED_APIS[name]
    response = client.request(
        api.method, api.url("conv_422"), content=content, headers=api.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    if api.declares_422:
        declared = SpecOracle(api.spec).response(api.method, api.spec_path, 422)
        assert declared is not None and declared.errors(body) == []
    else:
        assert list(Draft202012Validator(FASTAPI_VALIDATION_ERROR).iter_errors(body)) == []
    reported = [(tuple(item["loc"]), item["type"]) for item in body["detail"]]
    unmatched = list(reported)
    for want in expected:
        hit = next((got for got in unmatched if _matches(got, want)), None)
        assert hit is not None, f"expected {want} among {reported}"
        unmatched.remove(hit)
    assert not unmatched, f"reported more than expected: {unmatched}"
    assert all(isinstance(item["msg"], str) and item["msg"] for item in body["detail"])


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    TRUTHFUL_422,
    ids=[f"{name}-{json.dumps(body)[:40]}" for name, body, _ in TRUTHFUL_422],
)
def test_invalid_body_gets_a_truthful_422(client: TestClient, name: str, body: Any, expected: Expected) -> None:
    assert_truthful_422(name, client, json.dumps(body).encode(), expected)


@pytest.mark.parametrize(("raw", "expected"), RAW_422, ids=[repr(raw[:16]) for raw, _ in RAW_422])
@pytest.mark.parametrize("name", sorted(SEED_APIS))
def test_unreadable_body_gets_a_truthful_422(client: TestClient, name: str, raw: bytes, expected: Expected) -> None:
    assert_truthful_422(name, client, raw, expected)


def test_message_names_the_limit(client: TestClient) -> None:
    api = SEED_APIS["omi"]
    response = client.patch(api.url("c"), json={"title": "x" * 501}, headers=api.auth)
    [item] = response.json()["detail"]
    assert "500" in item["msg"]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("omi", {"title": None}),
        ("omi", {}),
        ("omi", {"discarded": None, "title": "x" * 500}),
        ("mielto", {"title": None, "collections": None, "meta_data": {"any": [1, {"deep": None}]}}),
        ("mielto", {"ended_at": "2026-01-01T10:00:00+02:00", "unknown_extra": 1}),
        ("mielto", {"ended_at": "1998-12-31T23:59:60Z"}),  # a leap second is a valid RFC 3339 time
        ("datagrid", {}),
        ("datagrid", {"agent_ids": [], "future_field": True}),
        ("openhands", {"title": "x" * 200}),
        ("library-chat", {"title": "t", "extra": 1}),
    ],
)
def test_valid_edge_bodies_are_accepted(client: TestClient, name: str, body: Any) -> None:
    """The other side of truthfulness: what the spec allows is not rejected."""
    api = SEED_APIS[name]
    response = client.request(api.method, api.url("conv_ok"), json=body, headers=api.auth)
    assert response.status_code == 200, response.text


def test_lone_surrogate_is_a_4xx_not_a_500(client: TestClient) -> None:
    api = SEED_APIS["datagrid"]
    for raw in (b'{"name": "\\ud800"}', b'{"agent_ids": ["ok", "\\udfff"]}', b'{"x\\ud800": 1}'):
        response = client.patch(api.url("c"), content=raw, headers=api.headers(**{"Content-Type": "application/json"}))
        assert response.status_code == 422, (raw, response.text)
        [item] = response.json()["detail"]
        assert item["loc"][0] == "body"


# -- a small inline spec: parameters in every place, nested bodies, formats, 3.0 nullable ----

INLINE_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "inline", "version": "1"},
    "servers": [{"url": "https://example.com/api"}],
    "paths": {
        "/items/{item_id}": {
            "post": {
                "operationId": "postItem",
                "parameters": [
                    {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 2}},
                    {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "X-Mode", "in": "header", "schema": {"type": "string", "enum": ["fast", "slow"]}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                },
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                    },
                    "422": {
                        "description": "invalid",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    },
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z]+$"},
                    "note": {"type": "string", "nullable": True},
                    "uid": {"type": "string", "format": "uuid"},
                    "day": {"type": "string", "format": "date"},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
                    "inner": {
                        "type": "object",
                        "properties": {"n": {"type": "integer", "exclusiveMinimum": True, "minimum": 0}},
                    },
                    "score": {"type": "number", "maximum": 1},
                    "count": {"type": "integer", "format": "int32"},
                    "flavor": {"type": "string", "enum": ["x"], "nullable": True},
                    "big": {"type": "integer", "format": "int64", "minimum": 0},
                },
            },
            "Problem": {
                "type": "object",
                "properties": {"detail": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
}


@pytest.fixture
def inline_client(tmp_path: Path, make_app: AppFactory) -> TestClient:
    path = tmp_path / "inline.yaml"
    path.write_text(yaml.safe_dump(INLINE_SPEC), encoding="utf-8")
    return TestClient(make_app([path]), raise_server_exceptions=False)


GOOD = {"name": "abc"}


@pytest.mark.parametrize(
    ("url", "headers", "body", "expected"),
    [
        ("/api/items/5?q=ok", {}, {**GOOD, "note": None}, []),
        ("/api/items/5?q=ok&limit=100&flag=true", {"X-Mode": "slow"}, {**GOOD, "tags": ["x"], "inner": {"n": 1}}, []),
        ("/api/items/abc?q=ok", {}, GOOD, [(("path", "item_id"), "int_parsing")]),
        ("/api/items/0?q=ok", {}, GOOD, [(("path", "item_id"), "greater_than_equal")]),
        ("/api/items/5", {}, GOOD, [(("query", "q"), "missing")]),
        ("/api/items/5?q=x", {}, GOOD, [(("query", "q"), "string_too_short")]),
        ("/api/items/5?q=ok&limit=many", {}, GOOD, [(("query", "limit"), "int_parsing")]),
        ("/api/items/5?q=ok&limit=101", {}, GOOD, [(("query", "limit"), "less_than_equal")]),
        ("/api/items/5?q=ok&flag=maybe", {}, GOOD, [(("query", "flag"), "bool_parsing")]),
        ("/api/items/5?q=ok", {"X-Mode": "medium"}, GOOD, [(("header", "X-Mode"), "enum")]),
        ("/api/items/5?q=ok", {}, {"name": "ABC"}, [(("body", "name"), "string_pattern_mismatch")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "uid": "not-a-uuid"}, [(("body", "uid"), "uuid_parsing")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "day": "2026-13-01"}, [(("body", "day"), "date_parsing")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "kind": "c"}, [(("body", "kind"), "enum")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "tags": []}, [(("body", "tags"), "too_short")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "tags": ["a", "b", "c"]}, [(("body", "tags"), "too_long")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "inner": {"n": 0}}, [(("body", "inner", "n"), "greater_than")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "inner": {"n": "1"}}, [(("body", "inner", "n"), "int_type")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "inner": []}, [(("body", "inner"), "dict_type")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "score": 1.5}, [(("body", "score"), "less_than_equal")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "score": "high"}, [(("body", "score"), "float_type")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "note": 3}, [(("body", "note"), "string_type")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "count": 2**31 - 1, "big": 2**63 - 1}, []),
        ("/api/items/5?q=ok", {}, {**GOOD, "flavor": None}, [(("body", "flavor"), "enum")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "count": 2**31}, [(("body", "count"), "less_than_equal")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "count": -(2**31) - 1}, [(("body", "count"), "greater_than_equal")]),
        ("/api/items/5?q=ok", {}, {**GOOD, "big": 2**63}, [(("body", "big"), "less_than_equal")]),
        (
            "/api/items/abc?limit=0",
            {"X-Mode": "x"},
            {"extra": 1},
            [
                (("path", "item_id"), "int_parsing"),
                (("query", "limit"), "greater_than_equal"),
                (("query", "q"), "missing"),
                (("header", "X-Mode"), "enum"),
                (("body", "name"), "missing"),
                (("body", "extra"), "extra_forbidden"),
            ],
        ),
    ],
)
def test_inline_spec_request_validation(
    inline_client: TestClient, url: str, headers: dict[str, str], body: Any, expected: Expected
) -> None:
    response = inline_client.post(url, json=body, headers={"Authorization": "Bearer T", **headers})
    if not expected:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 422, response.text
    reported = [(tuple(item["loc"]), item["type"]) for item in response.json()["detail"]]
    normalised = sorted((_lower_header(loc), kind) for loc, kind in reported)
    assert normalised == sorted((_lower_header(loc), kind) for loc, kind in expected)


def _lower_header(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # FastAPI reports a header under its lower-cased, underscored name; accept either spelling.
    if loc and loc[0] == "header":
        return ("header", str(loc[1]).lower().replace("_", "-"))
    return loc


def test_a_required_read_only_property_is_not_required_in_a_request(make_app: AppFactory, tmp_path: Path) -> None:
    """OpenAPI: "If the property is marked as readOnly being true and is in the required list,
    the required will take effect on the response only" (also inside items, and sent, it is allowed)."""
    thing = {
        "type": "object",
        "required": ["id", "name", "parts"],
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "name": {"type": "string"},
            "parts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["serial"],
                    "properties": {"serial": {"type": "integer", "readOnly": True}},
                },
            },
        },
    }
    path = tmp_path / "things.yaml"
    path.write_text(yaml.safe_dump(minimal_spec(thing, openapi="3.0.3")), encoding="utf-8")
    client = TestClient(make_app([path]), raise_server_exceptions=False)
    assert client.patch("/v2/things/t1", json={"name": "a", "parts": [{}]}).status_code == 200
    assert client.patch("/v2/things/t1", json={"id": "x", "name": "a", "parts": []}).status_code == 200
    refused = client.patch("/v2/things/t1", json={"parts": []})
    assert refused.status_code == 422
    assert [tuple(d["loc"]) for d in refused.json()["detail"]] == [("body", "name")]


def test_a_lone_null_field_is_null_where_the_array_may_be_null() -> None:
    """A form field of an `[array, null]` property sent as `null` (as Schemathesis and clients
    write null in a form) is null, as for a scalar; an array that may not be null keeps it as an item."""
    snowflake = {"type": "string", "pattern": "^[0-9]+$"}
    schema = {
        "type": "object",
        "properties": {
            "sticker_ids": {"type": ["array", "null"], "items": snowflake, "maxItems": 3},
            "role_ids": {"type": "array", "items": snowflake},
        },
    }
    body = compile_body({"content": {"multipart/form-data": {"schema": schema}}})
    assert body is not None
    form = body.media["multipart/form-data"].form
    assert form is not None and form.check is not None
    value, problems = form.decode_parts([Part("sticker_ids", b"null"), Part("role_ids", b"1")])
    assert (value, problems, form.check(value)) == ({"sticker_ids": None, "role_ids": ["1"]}, [], [])
    value, problems = form.decode_parts([Part("sticker_ids", b"1"), Part("sticker_ids", b"2")])
    assert (value, problems) == ({"sticker_ids": ["1", "2"], "role_ids": []}, [])
    value, _ = form.decode_parts([Part("role_ids", b"null")])
    assert [v.loc for v in form.check(value)] == [("body", "role_ids", 0)]
