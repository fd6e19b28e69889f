"""The `Prefer` header (Prism-compatible): `code=NNN` answers with that declared response,
`example=NAME` with a named example, `dynamic=true` with a freshly generated body; anything
the spec does not declare is a clear 4xx that says what exists."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from contracts.oracle import SpecOracle
from mockserver.prefer import Preferences, parse_prefer
from mockserver.problems import Problem
from tests.mockserver.conftest import AppFactory, SpecWriter, minimal_spec
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS


@pytest.mark.parametrize(
    ("header", "code", "example", "dynamic"),
    [
        (None, None, None, None),
        ("", None, None, None),
        ("code=429", 429, None, None),
        ("code=200, dynamic=true", 200, None, True),
        ("example=first; code=404", 404, "first", None),
        ('example="two words"', None, "two words", None),
        ("dynamic=FALSE", None, None, False),
        ("respond-async, wait=10, code=201", 201, None, None),
        ("Code=422", 422, None, None),
    ],
)
def test_parse_prefer(header: str | None, code: int | None, example: str | None, dynamic: bool | None) -> None:
    prefs = parse_prefer(header)
    assert isinstance(prefs, Preferences)
    assert (prefs.code, prefs.example, prefs.dynamic) == (code, example, dynamic)


@pytest.mark.parametrize(
    "header", ["code=abc", "code=99", "code=600", "code=", "code=4O4", "dynamic=maybe", "code=" + "4" * 5000]
)
def test_parse_prefer_refuses_nonsense(header: str) -> None:
    problem = parse_prefer(header)
    assert isinstance(problem, Problem)
    assert problem.status == 400 and "Prefer" in problem.detail and len(problem.detail) < 200


def _call(client: TestClient, name: str, prefer: str, conversation_id: str = "c1") -> Any:
    api = SEED_APIS[name]
    return client.request(api.method, api.url(conversation_id), json=api.valid_body, headers=api.headers(Prefer=prefer))


def _declared_errors(name: str, status: int, body: Any) -> list[str]:
    api = SEED_APIS[name]
    declared = SpecOracle(api.spec).response(api.method, api.spec_path, status)
    assert declared is not None and declared.validator is not None, f"{name} declares no {status} body"
    return declared.errors(body)


def test_datagrid_rate_limit(client: TestClient) -> None:
    for conversation_id in ("c1", "c2", "c3"):
        response = _call(client, "datagrid", "code=429", conversation_id)
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/json"
        assert _declared_errors("datagrid", 429, response.json()) == []
        assert response.json()["status_code"] == 429
        assert response.json()["error"] == "rate_limit_exceeded"
        retry_after = response.headers["retry-after"]
        assert retry_after.isdigit() and int(retry_after) > 0


@pytest.mark.parametrize("code", [401, 403, 404, 422])
def test_omi_declared_error_codes(client: TestClient, code: int) -> None:
    response = _call(client, "omi", f"code={code}")
    assert response.status_code == code
    assert _declared_errors("omi", code, response.json()) == []


@pytest.mark.parametrize("name", ["mielto", "openhands", "library-chat", "omi"])
def test_preferred_422_is_a_valid_validation_error(client: TestClient, name: str) -> None:
    response = _call(client, name, "code=422")
    assert response.status_code == 422
    assert _declared_errors(name, 422, response.json()) == []


@pytest.mark.parametrize(("name", "code"), [("datagrid", 404), ("datagrid", 422), ("omi", 500), ("mielto", 201)])
def test_undeclared_code_lists_the_declared_ones(client: TestClient, name: str, code: int) -> None:
    response = _call(client, name, f"code={code}")
    assert 400 <= response.status_code < 500
    message = str(response.json()["detail"])
    assert str(code) in message
    api = SEED_APIS[name]
    for declared in SpecOracle(api.spec).declared_statuses(api.method, api.spec_path):
        assert declared in message, f"{declared} missing from {message!r}"


def test_code_of_the_success_response_is_the_normal_answer(client: TestClient) -> None:
    preferred = _call(client, "datagrid", "code=200", "same")
    assert preferred.status_code == 200
    assert preferred.json()["name"] == "Q3 review"


@pytest.mark.parametrize("name", API_NAMES)
def test_unknown_example_is_a_4xx(client: TestClient, name: str) -> None:
    response = _call(client, name, "example=no_such_example")
    assert 400 <= response.status_code < 500
    assert "no_such_example" in str(response.json()["detail"])


@pytest.mark.parametrize("header", ["code=abc", "dynamic=perhaps"])
def test_malformed_prefer_is_400(client: TestClient, header: str) -> None:
    response = _call(client, "omi", header)
    assert response.status_code == 400
    assert "Prefer" in response.json()["detail"]


@pytest.mark.parametrize("name", API_NAMES)
def test_dynamic_body_is_valid(client: TestClient, name: str) -> None:
    for _ in range(10):
        response = _call(client, name, "dynamic=true")
        assert response.status_code == 200
        assert _declared_errors(name, 200, response.json()) == []
        if isinstance(response.json(), dict):
            assert response.json()["id"] == "c1"


def test_dynamic_bodies_vary_and_static_ones_do_not(client: TestClient) -> None:
    dynamic = [_call(client, "omi", "dynamic=true", "d1").json() for _ in range(5)]
    assert len({repr(body) for body in dynamic}) > 1
    static = [_call(client, "omi", "dynamic=false", "s1").json() for _ in range(3)]
    assert len({repr(body) for body in static}) == 1


def test_prefer_does_not_bypass_credentials(client: TestClient) -> None:
    api = SEED_APIS["datagrid"]
    response = client.patch(api.url("c1"), json={}, headers={"Prefer": "code=429"})
    assert response.status_code == 401


EXAMPLES_SPEC: dict[str, Any] = minimal_spec(
    responses={
        "200": {
            "description": "ok",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
                    "examples": {
                        "first": {"value": {"name": "First example"}},
                        "second": {"value": {"name": "Second example"}},
                    },
                }
            },
        },
        "404": {
            "description": "missing",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"message": {"type": "string"}}},
                    "example": {"message": "No such thing"},
                }
            },
        },
    }
)


def test_named_examples(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(EXAMPLES_SPEC)]), raise_server_exceptions=False)
    first = client.patch("/v2/things/a", json={}, headers={"Prefer": "example=first"})
    assert (first.status_code, first.json()) == (200, {"name": "First example"})
    second = client.patch("/v2/things/a", json={}, headers={"Prefer": "code=200, example=second"})
    assert (second.status_code, second.json()) == (200, {"name": "Second example"})
    missing = client.patch("/v2/things/a", json={}, headers={"Prefer": "example=third"})
    assert 400 <= missing.status_code < 500
    assert "first" in missing.json()["detail"] and "second" in missing.json()["detail"]


def test_single_example_of_an_error_response(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(EXAMPLES_SPEC)]), raise_server_exceptions=False)
    response = client.patch("/v2/things/a", json={}, headers={"Prefer": "code=404, example=default"})
    assert (response.status_code, response.json()) == (404, {"message": "No such thing"})
    generated = client.patch("/v2/things/a", json={}, headers={"Prefer": "code=404"})
    assert generated.status_code == 404
    assert set(generated.json()) <= {"message"}


def test_an_example_that_breaks_its_schema_is_not_sent(make_app: AppFactory, write_spec: SpecWriter) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    media = {"schema": schema, "examples": {"good": {"value": {"name": "ok"}}, "bad": {"value": {"name": 5}}}}
    spec = minimal_spec(schema, responses={"200": {"description": "ok", "content": {"application/json": media}}})
    client = TestClient(make_app([write_spec(spec)]), raise_server_exceptions=False)
    good = client.patch("/v2/things/a", json={}, headers={"Prefer": "example=good"})
    assert (good.status_code, good.json()) == (200, {"name": "ok"})
    bad = client.patch("/v2/things/a", json={}, headers={"Prefer": "example=bad"})
    assert bad.status_code == 400
    assert "does not validate" in bad.json()["detail"]


@pytest.mark.parametrize("code", ["\u00b200".encode("latin-1"), b"101", b"100"])
def test_codes_that_are_no_final_status_are_400(client: TestClient, code: bytes) -> None:
    api = SEED_APIS["datagrid"]
    response = client.request(
        api.method, api.url("c1"), json=api.valid_body, headers={**api.headers(), "Prefer": b"code=" + code}
    )
    assert response.status_code == 400
    assert "200-599" in response.json()["detail"]
