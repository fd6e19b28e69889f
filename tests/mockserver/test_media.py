"""Media types: the request's `Content-Type` selects the declared schema (JSON, urlencoded and
multipart forms with their `encoding`, ranges, `+json`), and `Accept` chooses among an
answer's declared media types (406 when it takes none); error answers go out in their
declared media type. Unit tests of `media` and `multipart`, then small inline documents."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from mockserver.media import negotiate, parse_accept, select_media
from mockserver.multipart import MAX_PARTS, TOO_MANY_PARTS, parse_multipart
from mockserver.responses import MockResponse, send_response
from tests.mockserver.conftest import AppFactory, SpecWriter
from tests.servers import serve

OK = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


# -- media.py: Content-Type against the declared types ---------------------------------


@pytest.mark.parametrize(
    ("content_type", "declared", "selected"),
    [
        ("application/json", ["application/*", "application/json"], "application/json"),
        ("application/json; charset=utf-8", ["*/*", "application/json"], "application/json"),
        ("application/xml", ["application/*", "*/*"], "application/*"),
        ("image/png", ["text/plain", "*/*"], "*/*"),
        ("application/vnd.acme+json", ["application/json"], "application/json"),
        ("application/vnd.acme+json", ["application/json", "application/*+json"], "application/*+json"),
        ("application/json", ["application/merge-patch+json"], "application/merge-patch+json"),
        ("multipart/form-data; boundary=x", ["application/json", "multipart/form-data"], "multipart/form-data"),
        ("TEXT/Plain", ["text/*"], "text/*"),
        ("text/plain", ["application/json", "image/*"], None),
    ],
)
def test_content_type_selects_the_most_specific_declared_type(
    content_type: str, declared: list[str], selected: str | None
) -> None:
    assert select_media(content_type, tuple(declared)) == selected


# -- media.py: Accept against the offered types ------------------------------------------

OFFERED = ("application/json", "application/xml", "image/png", "text/plain")


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/xml", "application/xml"),
        ("image/*", "image/png"),
        ("application/json;q=0.1, application/xml;q=0.9", "application/xml"),
        ("application/json;q=0, */*", "application/xml"),
        ("text/*, application/json;q=0.5", "text/plain"),
        ("application/xml, */*", "application/xml"),  # the named type over the catch-all, at equal weight
        ("*/*;q=0.2, image/png;q=0.1", "application/json"),
        ("not a media type", "application/json"),  # nothing readable: as if absent
        ("text/html", None),
        ("application/json;q=0, application/xml;q=0, image/png;q=0, text/plain;q=0", None),
    ],
)
def test_accept_chooses_by_quality_then_specificity(accept: str | None, chosen: str | None) -> None:
    found = negotiate(accept, OFFERED)
    assert (found[1] if found else None) == chosen


def test_a_declared_range_is_sent_as_a_concrete_type() -> None:
    assert negotiate(None, ["*/*"]) == (0, "application/json")
    assert negotiate("application/xml", ["*/*"]) == (0, "application/xml")
    assert negotiate("image/png", ["image/*"]) == (0, "image/png")


def test_accept_header_is_bounded() -> None:
    assert len(parse_accept(", ".join(["text/html"] * 10_000))) <= 64


# -- multipart.py ------------------------------------------------------------------------


def _multipart(**kwargs: Any) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://mock/upload", **kwargs)
    return request.read(), request.headers["content-type"]


def test_multipart_parts_are_read_with_their_headers() -> None:
    raw, content_type = _multipart(data={"name": "x", "tags": ["1", "2"]}, files={"file": ("a.png", b"\x89PNG\r\n--")})
    parts = parse_multipart(raw, content_type)
    assert not isinstance(parts, str)
    assert [(p.name, p.data, p.filename) for p in parts] == [
        ("name", b"x", None),
        ("tags", b"1", None),
        ("tags", b"2", None),
        ("file", b"\x89PNG\r\n--", "a.png"),
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        ("truncated", None, "ends before its closing boundary"),
        ("valid", "multipart/form-data", "without a boundary"),
        ("valid", "multipart/form-data; boundary=other", "malformed"),
        ("garbage", None, "malformed"),
        ("nameless", None, "has no name"),
    ],
)
def test_malformed_multipart_says_why(body: str, content_type: str | None, why: str) -> None:
    raw, declared = _multipart(files={"file": ("a.txt", b"hello")})
    boundary = declared.split("boundary=")[1]
    bodies = {
        "valid": raw,
        "truncated": raw[: len(raw) // 2],
        "garbage": b"this is not multipart",
        "nameless": f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nhi\r\n--{boundary}--\r\n".encode(),
    }
    found = parse_multipart(bodies[body], content_type or declared)
    assert isinstance(found, str)
    assert why in found


def test_an_empty_form_is_its_closing_boundary() -> None:
    assert parse_multipart(b"--xyz--\r\n", "multipart/form-data; boundary=xyz") == []


# -- requests of an inline document ------------------------------------------------------

UPLOAD = {
    "type": "object",
    "required": ["title", "file", "pictures"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "file": {"type": "string", "format": "binary"},
        "meta": {"type": "object", "properties": {"size": {"type": "integer"}}, "required": ["size"]},
        "tags": {"type": "array", "items": {"type": "integer"}},
        "labels": {"type": "string"},
        "notes": {"type": ["array", "null"], "items": {"type": "object"}},  # JSON parts by default
        "pictures": {"type": "array", "items": {"type": "string", "contentMediaType": "image/png"}, "maxItems": 2},
        "scans": {"type": "array", "items": {"type": "string", "format": "binary"}, "minItems": 1},
    },
}
FORM = {
    "type": "object",
    "required": ["count"],
    "properties": {
        "count": {"type": "integer"},
        "ids": {"type": "array", "items": {"type": "integer"}},
        "names": {"type": "array", "items": {"type": "string"}},
        "filter": {"type": "object", "properties": {"size": {"type": "integer"}, "name": {"type": "string"}}},
        "point": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}},
        "extra": {"type": "object", "properties": {"on": {"type": "boolean"}}},
    },
}
JSON_BODY = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}


def _document() -> dict[str, Any]:
    answer = {"200": {"description": "ok", "content": {"application/json": {"schema": OK}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "media", "version": "1"},
        "paths": {
            "/uploads": {
                "post": {
                    "operationId": "upload",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": JSON_BODY},
                            "application/x-www-form-urlencoded": {
                                "schema": FORM,
                                "encoding": {
                                    "ids": {"style": "form", "explode": False},
                                    "names": {"style": "pipeDelimited", "explode": False},
                                    "filter": {"style": "deepObject", "explode": True},
                                    "point": {"style": "form", "explode": False},
                                    "extra": {"contentType": "application/json"},
                                },
                            },
                            "multipart/form-data": {
                                "schema": UPLOAD,
                                "encoding": {"labels": {"contentType": "application/json"}},
                            },
                        },
                    },
                    "responses": answer,
                }
            },
            "/blobs": {
                "put": {
                    "operationId": "putBlob",
                    "requestBody": {
                        "content": {
                            "application/*": {"schema": JSON_BODY},
                            "application/*+json": {"schema": {**JSON_BODY, "required": ["kind"]}},
                            "text/plain": {"schema": {"type": "string"}},
                            "image/*": {"schema": {"type": "string", "format": "binary"}},
                        }
                    },
                    "responses": answer,
                }
            },
        },
    }


@pytest.fixture
def media_client(make_app: AppFactory, write_spec: SpecWriter) -> TestClient:
    return TestClient(make_app([write_spec(_document())]), raise_server_exceptions=False)


def _locs(response: httpx.Response) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(d["loc"]), d["type"]) for d in response.json()["detail"]]


def test_json_body_checked_against_the_json_schema(media_client: TestClient) -> None:
    assert media_client.post("/uploads", json={"name": "a"}).status_code == 200
    refused = media_client.post("/uploads", json={"count": 1})
    assert refused.status_code == 422
    assert _locs(refused) == [(("body", "name"), "missing")]


def test_plus_json_body_is_json(media_client: TestClient) -> None:
    headers = {"Content-Type": "application/vnd.acme+json"}
    assert media_client.post("/uploads", content=b'{"name": "a"}', headers=headers).status_code == 200
    refused = media_client.post("/uploads", content=b'{"name": 1}', headers=headers)
    assert _locs(refused) == [(("body", "name"), "string_type")]


def test_form_body_checked_against_the_form_schema(media_client: TestClient) -> None:
    assert media_client.post("/uploads", data={"count": "3"}).status_code == 200
    refused = media_client.post("/uploads", data={"name": "a"})  # valid JSON body, but a form
    assert refused.status_code == 422
    assert _locs(refused) == [(("body", "count"), "missing")]


def test_an_empty_form_is_a_form_without_its_required_fields(media_client: TestClient) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = media_client.post("/uploads", content=b"", headers=form)
    assert refused.status_code == 422
    assert _locs(refused) == [(("body", "count"), "missing")]


def test_a_form_field_required_without_a_declared_property_is_still_required(
    make_app: AppFactory, write_spec: SpecWriter
) -> None:
    """Box's token revocation form requires `grant_type` and declares no property for it: a
    form without it is invalid, one with it (any text) is valid."""
    document = _document()
    form = {"type": "object", "properties": {"client_id": {"type": "string"}}, "required": ["grant_type"]}
    content = document["paths"]["/uploads"]["post"]["requestBody"]["content"]
    content["application/x-www-form-urlencoded"]["schema"] = form
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    for sent in ({}, {"client_id": "c"}):
        refused = client.post("/uploads", data=sent, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert refused.status_code == 422 and _locs(refused) == [(("body", "grant_type"), "missing")], sent
    assert client.post("/uploads", data={"client_id": "c", "grant_type": "refresh_token"}).status_code == 200


def test_a_required_form_array_not_sent_is_missing_and_an_optional_one_is_empty(
    make_app: AppFactory, write_spec: SpecWriter
) -> None:
    """Twilio's role update requires `Permission`, an array sent as repeated fields: a form
    without it is refused (an empty list has no form encoding, but a required one is needed);
    an optional array not sent is an empty one."""
    document = _document()
    form = {
        "type": "object",
        "properties": {"Permission": {"type": "array", "items": {"type": "string"}}, "tags": {"type": "array"}},
        "required": ["Permission"],
    }
    content = document["paths"]["/uploads"]["post"]["requestBody"]["content"]
    content["application/x-www-form-urlencoded"]["schema"] = form
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for sent in (b"", b"tags=a"):
        refused = client.post("/uploads", content=sent, headers=headers)
        assert refused.status_code == 422 and _locs(refused) == [(("body", "Permission"), "missing")], sent
    assert client.post("/uploads", content=b"Permission=a&Permission=b", headers=headers).status_code == 200
    rule = make_app([write_spec(document)]).state.apis[0].operations[0].body
    decoded, problems = rule.media["application/x-www-form-urlencoded"].form.decode([("Permission", "a")])
    assert decoded == {"Permission": ["a"], "tags": []} and problems == []


def test_a_body_number_past_float32_is_still_a_number(make_app: AppFactory, write_spec: SpecWriter) -> None:
    """`format: float` bounds parameters (parameters.py) but not JSON bodies, as Schemathesis
    reads them; integer formats bound both."""
    document = _document()
    body = {
        "type": "object",
        "properties": {"price": {"type": "number", "format": "float"}, "n": {"type": "integer", "format": "int32"}},
    }
    document["paths"]["/uploads"]["post"]["requestBody"]["content"]["application/json"]["schema"] = body
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    assert client.post("/uploads", json={"price": 1.9e244, "m": -1.2e300}).status_code == 200
    refused = client.post("/uploads", json={"n": 2**31})
    assert refused.status_code == 422 and _locs(refused) == [(("body", "n"), "less_than_equal")]


def test_form_fields_follow_their_encoding_style(media_client: TestClient) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    sent = "count=1&ids=1,2,3&names=a|b&filter[size]=2&filter[name]=x&point=x,1,y,2&extra=%7B%22on%22%3Atrue%7D"
    assert media_client.post("/uploads", content=sent, headers=form).status_code == 200
    cases = {
        "count=1&ids=1,x": (("body", "ids", 1), "int_parsing"),
        "count=1&filter[size]=big": (("body", "filter", "size"), "int_parsing"),
        "count=1&point=x,1,y": (("body", "point"), "object_type"),
        "count=1&point=x,1,y,z": (("body", "point", "y"), "int_parsing"),
        "count=1&extra=%7B%22on%22%3A1%7D": (("body", "extra", "on"), "bool_type"),
        "count=1&extra=%7Bnot": (("body", "extra"), "json_invalid"),
    }
    for body, expected in cases.items():
        refused = media_client.post("/uploads", content=body, headers=form)
        assert refused.status_code == 422, body
        assert _locs(refused) == [expected], body


def test_multipart_body_checked_with_its_encoding(media_client: TestClient) -> None:
    files = [
        ("file", ("a.png", b"\x89PNG\r\n\x00\xff", "image/png")),
        ("pictures", ("b.png", b"\xff\x00", "image/png")),
    ]
    data = {"title": "x", "meta": json.dumps({"size": 2}), "tags": ["1", "2"], "labels": json.dumps("red")}
    assert media_client.post("/uploads", data=data, files=files).status_code == 200
    cases: list[tuple[dict[str, Any], list[Any], tuple[tuple[Any, ...], str] | None]] = [
        ({"title": "x"}, [], (("body", "file"), "missing")),
        ({"title": ""}, files, (("body", "title"), "string_too_short")),
        ({"title": "x", "meta": "{not json"}, files, (("body", "meta"), "json_invalid")),
        ({"title": "x", "meta": json.dumps({"size": "big"})}, files, (("body", "meta", "size"), "int_type")),
        ({"title": "x", "tags": ["1", "x"]}, files, (("body", "tags", 1), "int_parsing")),
        ({"title": "x", "labels": "red"}, files, (("body", "labels"), "json_invalid")),  # JSON by its encoding
        ({"title": "x"}, [*files, *files[1:] * 2], (("body", "pictures"), "too_long")),
        ({"title": "x"}, [*files, ("scans", ("s.png", b"", "image/png"))], None),  # an optional array, sent
        ({"title": "x"}, files[:1], None),  # a required array of files, none sent: empty
        ({"title": "x", "notes": "null"}, files, None),  # one JSON part is the value itself, null too
        ({"title": "x", "notes": json.dumps([{"a": 1}])}, files, None),
        ({"title": "x", "notes": json.dumps([1])}, files, (("body", "notes", 0), "dict_type")),
    ]
    for fields, parts, expected in cases:
        answer = media_client.post("/uploads", data=fields, files=parts or {"other": ("o", b"")})
        if expected is None:
            assert answer.status_code == 200, (fields, answer.text)
            continue
        assert answer.status_code == 422, fields
        assert _locs(answer) == [expected], fields


def test_malformed_multipart_is_400(media_client: TestClient) -> None:
    raw, content_type = _multipart(data={"title": "x"}, files={"file": ("a.png", b"\x89PNG")})
    truncated = media_client.post("/uploads", content=raw[:-20], headers={"Content-Type": content_type})
    assert truncated.status_code == 400
    assert "closing boundary" in truncated.json()["detail"]
    unbounded = media_client.post("/uploads", content=raw, headers={"Content-Type": "multipart/form-data"})
    assert unbounded.status_code == 400
    assert "boundary" in unbounded.json()["detail"]


def test_a_form_of_many_parts_is_read_and_one_of_too_many_is_413(media_client: TestClient) -> None:
    """A valid form may have thousands of parts (Discord's `sticker_ids` takes 1,521 items, a
    part each); past `MAX_PARTS` the body is too large for the mock, not malformed."""
    files = {"file": ("a.png", b"\x89PNG", "image/png"), "pictures": ("b.png", b"\xff", "image/png")}
    many = media_client.post("/uploads", data={"title": "x", "tags": [str(i) for i in range(1600)]}, files=files)
    assert many.status_code == 200, many.text
    raw, content_type = _multipart(data={"title": "x", "tags": ["1"] * MAX_PARTS}, files=files)
    too_many = media_client.post("/uploads", content=raw, headers={"Content-Type": content_type})
    assert too_many.status_code == 413
    assert too_many.json()["detail"] == TOO_MANY_PARTS


def test_undeclared_type_is_415(media_client: TestClient) -> None:
    response = media_client.post("/uploads", content=b"<a/>", headers={"Content-Type": "application/xml"})
    assert response.status_code == 415
    assert "application/xml" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b'{"name": "a"}', 200),
        ("application/json", b'{"name": 5}', 422),  # a JSON body under `application/*` has its schema
        ("application/vnd.acme+json", b'{"kind": "a"}', 200),  # `application/*+json` and its own schema
        ("application/vnd.acme+json", b'{"name": "a"}', 422),
        ("application/xml", b"<name>a</name>", 200),  # XML: accepted by content type
        ("text/plain", b"hello", 200),
        ("image/png", b"\x89PNG\r\n\x1a\n\x00\xff", 200),
        ("image/svg+xml", b"<svg/>", 200),
        ("video/mp4", b"\x00", 415),
    ],
)
def test_declared_ranges_match_by_range(media_client: TestClient, content_type: str, body: bytes, status: int) -> None:
    assert media_client.put("/blobs", content=body, headers={"Content-Type": content_type}).status_code == status


def test_binary_body_within_the_size_limit(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(_document())], max_body_size=100), raise_server_exceptions=False)
    headers = {"Content-Type": "image/png"}
    assert client.put("/blobs", content=b"\x00" * 100, headers=headers).status_code == 200
    assert client.put("/blobs", content=b"\x00" * 101, headers=headers).status_code == 413
    upload = client.post("/uploads", data={"title": "x"}, files={"file": ("a.bin", b"\x00" * 101)})
    assert upload.status_code == 413


# -- answers: Accept among the declared media types --------------------------------------

XML_EXAMPLE = "<pet><name>Rex</name></pet>"


def _answers_document() -> dict[str, Any]:
    pet = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    stored = {**pet, "required": ["id", "name"], "properties": {**pet["properties"], "id": {"type": "string"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "answers", "version": "1"},
        "paths": {
            "/badges/{badge_id}/card": {
                "get": {
                    "operationId": "petCard",
                    "parameters": [{"name": "badge_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/xml": {
                                    "schema": pet,
                                    "examples": {"rex": {"value": XML_EXAMPLE}, "tom": {"value": "<pet/>"}},
                                },
                                "application/json": {"schema": pet},
                                "image/png": {"schema": {"type": "string", "format": "binary"}},
                                "text/plain": {"schema": {"type": "string", "minLength": 3}},
                            },
                        },
                        "404": {
                            "description": "missing",
                            "content": {"application/json": {"schema": pet}, "application/xml": {"schema": pet}},
                        },
                    },
                }
            },
            "/pets": {
                "post": {
                    "operationId": "createPet",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": pet}}},
                    "responses": {"201": {"description": "made", "content": {"application/json": {"schema": stored}}}},
                }
            },
            "/pets/{pet_id}": {
                "parameters": [{"name": "pet_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {
                    "operationId": "getPet",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": stored},
                                "application/xml": {"schema": stored, "example": XML_EXAMPLE},
                            },
                        },
                        "404": {"description": "gone"},
                    },
                },
                "delete": {"operationId": "deletePet", "responses": {"204": {"description": "deleted"}}},
            },
            "/anything": {
                "get": {
                    "operationId": "anything",
                    "responses": {"200": {"description": "ok", "content": {"*/*": {"schema": pet}}}},
                }
            },
        },
    }


@pytest.fixture
def answers(make_app: AppFactory, write_spec: SpecWriter) -> TestClient:
    return TestClient(make_app([write_spec(_answers_document())]), raise_server_exceptions=False)


def _kind(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0]


def test_no_accept_answers_json_first(answers: TestClient) -> None:
    response = answers.get("/badges/b1/card")
    assert (response.status_code, _kind(response)) == (200, "application/json")
    assert isinstance(response.json()["name"], str)


def test_accept_xml_sends_the_declared_example(answers: TestClient) -> None:
    response = answers.get("/badges/b1/card", headers={"Accept": "application/xml"})
    assert (response.status_code, _kind(response), response.text) == (200, "application/xml", XML_EXAMPLE)


def test_prefer_example_of_the_accepted_type(answers: TestClient) -> None:
    response = answers.get("/badges/b1/card", headers={"Accept": "application/xml", "Prefer": "example=tom"})
    assert (response.status_code, _kind(response), response.text) == (200, "application/xml", "<pet/>")


def test_accept_image_sends_an_empty_body_of_that_type(answers: TestClient) -> None:
    response = answers.get("/badges/b1/card", headers={"Accept": "image/*"})
    assert (response.status_code, _kind(response), response.content) == (200, "image/png", b"")


def test_accept_text_sends_generated_text(answers: TestClient) -> None:
    response = answers.get("/badges/b1/card", headers={"Accept": "text/plain"})
    assert (response.status_code, _kind(response)) == (200, "text/plain")
    assert len(response.text) >= 3
    assert not response.text.startswith('"')  # the text itself, not a JSON string


def test_quality_values_are_honoured(answers: TestClient) -> None:
    headers = {"Accept": "application/json;q=0.2, text/plain;q=0.5, application/xml;q=0.1"}
    assert _kind(answers.get("/badges/b1/card", headers=headers)) == "text/plain"


def test_accept_none_of_the_declared_types_is_406(answers: TestClient) -> None:
    response = answers.get("/badges/b1/card", headers={"Accept": "text/html"})
    assert response.status_code == 406
    detail = response.json()["detail"]
    assert "text/html" in detail
    assert all(kind in detail for kind in ("application/json", "application/xml", "image/png", "text/plain"))


def test_prefer_code_answers_in_the_accepted_type(answers: TestClient) -> None:
    response = answers.get("/badges/b1/card", headers={"Prefer": "code=404", "Accept": "application/xml"})
    assert (response.status_code, _kind(response), response.content) == (404, "application/xml", b"")
    response = answers.get("/badges/b1/card", headers={"Prefer": "code=404", "Accept": "image/png"})
    assert response.status_code == 406


def test_another_media_type_keeps_the_resource_lifecycle(answers: TestClient) -> None:
    created = answers.post("/pets", json={"name": "Rex"})
    assert created.status_code == 201
    pet_id = created.json()["id"]
    xml = {"Accept": "application/xml"}
    shown = answers.get(f"/pets/{pet_id}", headers=xml)
    assert (shown.status_code, _kind(shown), shown.text) == (200, "application/xml", XML_EXAMPLE)
    assert answers.get(f"/pets/{pet_id}").json()["name"] == "Rex"
    assert answers.delete(f"/pets/{pet_id}").status_code == 204
    assert answers.get(f"/pets/{pet_id}", headers=xml).status_code == 404


def test_a_declared_range_answers_as_json(answers: TestClient) -> None:
    response = answers.get("/anything")
    assert (response.status_code, _kind(response)) == (200, "application/json")
    assert isinstance(response.json()["name"], str)


# -- error answers in their declared media type ------------------------------------------

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}
SCIM_ERROR = {
    "type": "object",
    "required": ["schemas", "detail", "status"],
    "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}},
        "detail": {"type": "string"},
        "status": {"type": "string"},
    },
}


def _errors_document() -> dict[str, Any]:
    def op(operation_id: str, errors: dict[str, Any]) -> dict[str, Any]:
        return {
            "post": {
                "operationId": operation_id,
                "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_BODY}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": OK}}}, **errors},
            }
        }

    return {
        "openapi": "3.1.0",
        "info": {"title": "errors", "version": "1"},
        "paths": {
            "/problems": op(
                "problems",
                {"422": {"description": "bad", "content": {"application/problem+json": {"schema": PROBLEM}}}},
            ),
            "/scim": op(
                "scim", {"400": {"description": "bad", "content": {"application/scim+json": {"schema": SCIM_ERROR}}}}
            ),
            "/text": op(
                "text", {"400": {"description": "bad", "content": {"text/plain": {"schema": {"type": "string"}}}}}
            ),
            "/image": op("image", {"422": {"description": "bad", "content": {"image/png": {}}}}),
        },
    }


@pytest.fixture
def errors(make_app: AppFactory, write_spec: SpecWriter) -> TestClient:
    return TestClient(make_app([write_spec(_errors_document())]), raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("path", "status", "media_type", "schema"),
    [("/problems", 422, "application/problem+json", PROBLEM), ("/scim", 400, "application/scim+json", SCIM_ERROR)],
)
def test_error_answers_in_their_declared_json_type(
    errors: TestClient, path: str, status: int, media_type: str, schema: dict[str, Any]
) -> None:
    response = errors.post(path, json={"name": 5})
    assert (response.status_code, _kind(response)) == (status, media_type)
    body = response.json()
    assert not list(Draft202012Validator(schema).iter_errors(body))
    assert "body.name" in body["detail"]


def test_error_declared_as_text_is_the_message(errors: TestClient) -> None:
    response = errors.post("/text", json={"name": 5})
    assert (response.status_code, _kind(response)) == (400, "text/plain")
    assert response.text.startswith("body.name: ")


def test_error_declared_as_an_image_is_an_empty_body_of_that_type(errors: TestClient) -> None:
    response = errors.post("/image", json={"name": 5})
    assert (response.status_code, _kind(response), response.content) == (422, "image/png", b"")


# -- a real multipart upload over a real socket ------------------------------------------


def test_real_multipart_upload_over_a_socket(make_app: AppFactory, write_spec: SpecWriter) -> None:
    app = make_app([write_spec(_document())])
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        files = {"file": ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "image/png")}
        accepted = http.post("/uploads", data={"title": "holiday", "meta": '{"size": 10240}'}, files=files)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["ok"] in (True, False)
        refused = http.post("/uploads", data={"title": "holiday"}, files={"other": ("x.txt", b"x")})
        assert refused.status_code == 422
        assert _locs(refused) == [(("body", "file"), "missing")]
        raw, content_type = _multipart(data={"title": "x"}, files=files)
        truncated = http.post("/uploads", content=raw[: len(raw) // 2], headers={"Content-Type": content_type})
        assert truncated.status_code == 400


@pytest.mark.parametrize(
    ("body", "media_type", "sent"),
    [({"a": 1}, "application/json", b"WIRE"), ("hi", "application/json", b"WIRE"), ("hi", "text/plain", b"hi")],
)
def test_a_body_already_encoded_goes_as_it_is_where_it_goes_as_json(body: Any, media_type: str, sent: bytes) -> None:
    """`MockResponse.wire` stands for the JSON encoding: a text answer is its text."""
    messages: list[Any] = []

    async def send(message: Any) -> None:
        messages.append(message)

    asyncio.run(send_response(send, MockResponse(200, body, media_type=media_type, wire=b"WIRE")))
    assert messages[-1]["body"] == sent
