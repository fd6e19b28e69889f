"""The request line as a whole, in-process: body limits (413), content types (415),
unreadable bodies (422), the order of the stages, and one access-log line per request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from urllib.parse import parse_qsl

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver.pipeline import _query_pairs
from tests.mockserver.conftest import AppFactory, SpecWriter, minimal_spec
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS
from tests.servers import serve

MIB = 1024 * 1024


def _json_of_size(size: int) -> bytes:
    """A JSON object of exactly `size` bytes: {"summary": "xxx..."}."""
    frame = b'{"summary": ""}'
    return frame[:-2] + b"x" * (size - len(frame)) + frame[-2:]


def _patch(client: TestClient, name: str, content: bytes | Iterator[bytes], **headers: str) -> httpx.Response:
    api = SEED_APIS[name]
    return client.request(
        api.method,
        api.url("c1"),
        content=content,
        headers=api.headers(**{"Content-Type": "application/json", **headers}),
    )


def test_body_over_the_default_limit_is_413(client: TestClient) -> None:
    response = _patch(client, "mielto", _json_of_size(MIB + 1))
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_body_at_the_default_limit_is_read(make_app: AppFactory) -> None:
    client = TestClient(make_app(max_resource_bytes=2 * MIB), raise_server_exceptions=False)
    response = _patch(client, "mielto", _json_of_size(MIB))
    assert response.status_code == 200
    assert len(response.json()["summary"]) == MIB - len(b'{"summary": ""}')


def test_custom_limit(make_app: AppFactory) -> None:
    client = TestClient(make_app(max_body_size=100), raise_server_exceptions=False)
    assert _patch(client, "mielto", _json_of_size(100)).status_code == 200
    assert _patch(client, "mielto", _json_of_size(101)).status_code == 413


def test_chunked_body_over_the_limit_is_413(make_app: AppFactory) -> None:
    client = TestClient(make_app(max_body_size=1000), raise_server_exceptions=False)

    def chunks() -> Iterator[bytes]:
        yield b'{"summary": "'
        for _ in range(20):
            yield b"x" * 100
        yield b'"}'

    response = _patch(client, "mielto", chunks())
    assert response.status_code == 413


@pytest.mark.parametrize("name", API_NAMES)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded", "image/png"]
)
def test_wrong_content_type_is_415(client: TestClient, name: str, content_type: str) -> None:
    api = SEED_APIS[name]
    response = client.request(
        api.method,
        api.url("c1"),
        content=json.dumps(api.valid_body).encode(),
        headers=api.headers(**{"Content-Type": content_type}),
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe\xfd", b'{"summary": "\xed\xa0\x80"}', b'{"summary": "caf\xe9"}'],
    ids=["garbage", "encoded-surrogate", "latin-1"],
)
def test_invalid_utf8_is_422_json_invalid(client: TestClient, raw: bytes) -> None:
    response = _patch(client, "mielto", raw)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["type"] == "json_invalid" and problem["loc"][0] == "body" and isinstance(problem["loc"][1], int)


@pytest.mark.parametrize(
    ("raw", "loc", "kind"),
    [
        (b"NaN", ["body"], "finite_number"),
        (b'{"meta_data": {"x": NaN}}', ["body", "meta_data", "x"], "finite_number"),
        (b'{"meta_data": {"x": [1, -Infinity]}}', ["body", "meta_data", "x", 1], "finite_number"),
        (b"1e400", ["body"], "finite_number"),
        (b'{"meta_data": {"n": ' + b"9" * 5000 + b"}}", ["body", "meta_data", "n"], "int_parsing_size"),
        (b"[" * 5000 + b"]" * 5000, ["body"], "json_invalid"),
    ],
    ids=["nan", "nested-nan", "in-list", "overflow", "5000-digits", "too-deep"],
)
def test_numbers_json_cannot_carry_are_422_where_they_are(
    client: TestClient, raw: bytes, loc: list[object], kind: str
) -> None:
    response = _patch(client, "mielto", raw)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert (problem["loc"], problem["type"]) == (loc, kind)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"meta_data":' * 50_000 + b"{}" + b"}" * 50_000,
        b'{"meta_data": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    ],
    ids=["100k-open-brackets", "50k-nested-objects", "2k-nested-arrays"],
)
def test_deep_nesting_is_a_4xx(client: TestClient, raw: bytes) -> None:
    response = _patch(client, "mielto", raw)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"


def test_big_integers_survive(client: TestClient) -> None:
    big = 10**40
    response = _patch(client, "mielto", json.dumps({"meta_data": {"n": big}}).encode())
    assert response.status_code == 200
    assert json.loads(response.content)["meta_data"] == {"n": big}


def test_utf8_text_round_trips(client: TestClient) -> None:
    title = 'Café 会議 🧠 \u0000 "quoted" \\ back'
    response = _patch(client, "mielto", json.dumps({"title": title}, ensure_ascii=False).encode())
    assert response.status_code == 200
    assert response.json()["title"] == title


def test_stage_order_credentials_before_limits_and_types(client: TestClient) -> None:
    api = SEED_APIS["datagrid"]
    oversized = client.patch(api.url("c1"), content=_json_of_size(MIB + 10))
    assert oversized.status_code == 401
    wrong_type = client.patch(api.url("c1"), content=b"x", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 401


def test_stage_order_content_type_before_json(client: TestClient) -> None:
    response = _patch(client, "mielto", b"{not json", **{"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_query_string_does_not_confuse_routing(client: TestClient) -> None:
    api = SEED_APIS["datagrid"]
    response = client.patch(api.url("c1") + "?debug=1&x=%2F", json={"name": "q"}, headers=api.auth)
    assert response.status_code == 200
    assert response.json()["id"] == "c1"


def test_one_log_line_per_request(make_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(make_app(log_requests=True), raise_server_exceptions=False)
    api = SEED_APIS["datagrid"]
    with caplog.at_level(logging.INFO, logger="mockserver.access"):
        client.patch(api.url("c1"), json={"name": "n"}, headers=api.auth)
        client.patch(api.url("c1"), json={"name": 5}, headers=api.auth)
        client.get("/datagrid/v1/nowhere")
    lines = [r.getMessage() for r in caplog.records if r.name == "mockserver.access"]
    assert len(lines) == 3, lines
    first, second, third = lines
    for part in ("PATCH", "/datagrid/v1/conversations/c1", "datagrid", "200", "ms"):
        assert part in first, first
    assert "422" in second and "body.name: Input should be a valid string" in second  # the first problem
    assert "body.name" not in first
    assert "404" in third and "GET" in third


def test_quiet_means_no_access_log(make_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(make_app(log_requests=False))
    api = SEED_APIS["datagrid"]
    with caplog.at_level(logging.DEBUG, logger="mockserver.access"):
        client.patch(api.url("c1"), json={}, headers=api.auth)
    assert [r for r in caplog.records if r.name == "mockserver.access"] == []


def _no_content_spec() -> dict[str, object]:
    document = minimal_spec(responses={"204": {"description": "deleted"}}, method="delete")
    del document["paths"]["/things/{thing_id}"]["delete"]["requestBody"]
    return document


def test_no_content_response_has_no_body(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(_no_content_spec())]), raise_server_exceptions=False)
    response = client.delete("/v2/things/a")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers.get("content-length") in (None, "0")
    assert "content-type" not in response.headers


def test_no_content_over_a_kept_alive_connection(make_app: AppFactory, write_spec: SpecWriter) -> None:
    """A stray body after a 204 would be read as the start of the next response."""
    with serve(make_app([write_spec(_no_content_spec())])) as base, httpx.Client(base_url=base, timeout=10) as http:
        for thing in ("a", "b", "c"):  # three ids: a deleted one answers 404 (test_lifecycle)
            assert http.delete(f"/v2/things/{thing}").status_code == 204


def test_plain_text_response_is_not_json_encoded(make_app: AppFactory, write_spec: SpecWriter) -> None:
    text = {"type": "string", "enum": ["pong"]}
    document = minimal_spec(responses={"200": {"description": "ok", "content": {"text/plain": {"schema": text}}}})
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    response = client.patch("/v2/things/a", json={})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "pong"


# Pieces a query string is made of, the awkward ones included (escapes cut short, `+`, `;`).
_QUERY_PIECES = st.sampled_from([*"ab=&;%+ é", "%2", "%zz", "%41", "%2F", "==", "&&"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_QUERY_PIECES, max_size=20).map("".join))
def test_query_pairs_are_parse_qsl_s(raw_query: str) -> None:
    assert _query_pairs(raw_query) == parse_qsl(raw_query, keep_blank_values=True)
