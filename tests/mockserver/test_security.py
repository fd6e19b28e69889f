"""Credentials from the operation's security requirements: bearer, basic and apiKey (header,
query, cookie); alternatives OR-ed, schemes within one AND-ed; an allow-list with `tokens`.
A refusal is a 401 (in the spec's 401 shape where it declares one), with WWW-Authenticate
for HTTP schemes."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from starlette.testclient import TestClient

from contracts.oracle import SpecOracle
from tests.mockserver.conftest import AppFactory, SpecWriter, minimal_spec
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS

SCHEMES: dict[str, Any] = {
    "Bearer": {"type": "http", "scheme": "bearer"},
    "Basic": {"type": "http", "scheme": "basic"},
    "HeaderKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    "QueryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
    "CookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
    "AuthorizationKey": {"type": "apiKey", "in": "header", "name": "Authorization"},
}
URL = "/v2/things/t1"


def _client(
    make_app: AppFactory, write_spec: SpecWriter, security: Any, tokens: frozenset[str], **spec: Any
) -> TestClient:
    path = write_spec(minimal_spec(security=security, schemes=SCHEMES, **spec))
    return TestClient(make_app([path], tokens=tokens), raise_server_exceptions=False)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("scheme", "request_parts", "tokens", "status"),
    [
        ("Bearer", {}, frozenset(), 401),
        ("Bearer", {"headers": {"Authorization": "Bearer"}}, frozenset(), 401),
        ("Bearer", {"headers": {"Authorization": "Bearer   "}}, frozenset(), 401),
        ("Bearer", {"headers": {"Authorization": "Token abc"}}, frozenset(), 401),
        ("Bearer", {"headers": {"Authorization": "abc"}}, frozenset(), 401),
        ("Bearer", {"headers": {"Authorization": "Bearer anything"}}, frozenset(), 200),
        ("Bearer", {"headers": {"Authorization": "bearer anything"}}, frozenset(), 200),
        ("Bearer", {"headers": {"Authorization": "Bearer wrong"}}, frozenset({"T", "U"}), 401),
        ("Bearer", {"headers": {"Authorization": "Bearer U"}}, frozenset({"T", "U"}), 200),
        # As Prism reads a bearer credential: all that follows `Bearer `, spaces included.
        ("Bearer", {"headers": {"Authorization": "Bearer My API Key"}}, frozenset(), 200),
        ("Bearer", {"headers": {"Authorization": "Bearer My API Key"}}, frozenset({"My API Key"}), 200),
        ("Bearer", {"headers": {"Authorization": "Bearer  My API Key "}}, frozenset({"My API Key"}), 200),
        ("Bearer", {"headers": {"Authorization": "Bearer\tT"}}, frozenset({"T"}), 200),
        ("Bearer", {"headers": {"Authorization": "Bearer My API"}}, frozenset({"My API Key"}), 401),
        ("Bearer", {"headers": {"Authorization": "Bearer My  API Key"}}, frozenset({"My API Key"}), 401),
        ("Bearer", {"headers": {"Authorization": "Bearer My"}}, frozenset({"My API Key"}), 401),
        ("Bearer", {"headers": {"Authorization": "BearerMyKey"}}, frozenset(), 401),
        ("Basic", {"headers": {"Authorization": _basic("ada", "T")}}, frozenset({"T"}), 200),
        ("Basic", {"headers": {"Authorization": _basic("ada", "X")}}, frozenset({"T"}), 401),
        ("Basic", {"headers": {"Authorization": "Basic not-base64!"}}, frozenset(), 401),
        ("Basic", {"headers": {"Authorization": _basic("ada", "T") + " extra"}}, frozenset({"T"}), 401),
        ("Basic", {"headers": {"Authorization": "Basic " + base64.b64encode(b"nocolon").decode()}}, frozenset(), 401),
        ("HeaderKey", {}, frozenset(), 401),
        ("HeaderKey", {"headers": {"X-Api-Key": ""}}, frozenset(), 401),
        ("HeaderKey", {"headers": {"x-api-key": "k"}}, frozenset(), 200),
        ("HeaderKey", {"headers": {"X-Api-Key": "k"}}, frozenset({"T"}), 401),
        ("HeaderKey", {"headers": {"X-Api-Key": "T"}}, frozenset({"T"}), 200),
        ("HeaderKey", {"headers": {"Authorization": "Bearer T"}}, frozenset({"T"}), 401),
        # An apiKey in `Authorization` may carry its API's scheme word (Discord: `Bot TOKEN`).
        ("AuthorizationKey", {"headers": {"Authorization": "Bot T"}}, frozenset({"T"}), 200),
        ("AuthorizationKey", {"headers": {"Authorization": "T"}}, frozenset({"T"}), 200),
        ("AuthorizationKey", {"headers": {"Authorization": "Bot X"}}, frozenset({"T"}), 401),
        ("AuthorizationKey", {"headers": {"Authorization": "T X"}}, frozenset({"T"}), 401),
        ("HeaderKey", {"headers": {"X-Api-Key": "Bot T"}}, frozenset({"T"}), 401),
        ("QueryKey", {"params": {"api_key": "T"}}, frozenset({"T"}), 200),
        ("QueryKey", {"params": {"api_key": "x"}}, frozenset({"T"}), 401),
        ("QueryKey", {"params": {"other": "T"}}, frozenset({"T"}), 401),
        ("CookieKey", {"headers": {"Cookie": "session=T; theme=dark"}}, frozenset({"T"}), 200),
        ("CookieKey", {"headers": {"Cookie": "theme=dark"}}, frozenset({"T"}), 401),
        ("CookieKey", {"headers": {"Cookie": "session=x"}}, frozenset({"T"}), 401),
    ],
)
def test_single_scheme(
    make_app: AppFactory,
    write_spec: SpecWriter,
    scheme: str,
    request_parts: dict[str, Any],
    tokens: frozenset[str],
    status: int,
) -> None:
    client = _client(make_app, write_spec, [{scheme: []}], tokens)
    response = client.patch(URL, json={"name": "x"}, **request_parts)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["content-type"] == "application/json"
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
        challenge = {"Bearer": "Bearer", "Basic": "Basic"}.get(scheme)
        if challenge:
            assert response.headers["www-authenticate"].split()[0].lower() == challenge.lower()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer T"}, 200),
        ({"X-Api-Key": "T"}, 200),
        ({"Authorization": "Bearer nope", "X-Api-Key": "T"}, 200),
        ({"Authorization": "Bearer nope", "X-Api-Key": "nope"}, 401),
    ],
)
def test_alternatives_are_ored(
    make_app: AppFactory, write_spec: SpecWriter, headers: dict[str, str], status: int
) -> None:
    client = _client(make_app, write_spec, [{"Bearer": []}, {"HeaderKey": []}], frozenset({"T"}))
    assert client.patch(URL, json={}, headers=headers).status_code == status


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Authorization": "Bearer T"}, 401),
        ({"X-Api-Key": "T"}, 401),
        ({"Authorization": "Bearer T", "X-Api-Key": "T"}, 200),
        ({"Authorization": "Bearer T", "X-Api-Key": "nope"}, 401),
    ],
)
def test_schemes_in_one_requirement_are_anded(
    make_app: AppFactory, write_spec: SpecWriter, headers: dict[str, str], status: int
) -> None:
    client = _client(make_app, write_spec, [{"Bearer": [], "HeaderKey": []}], frozenset({"T"}))
    assert client.patch(URL, json={}, headers=headers).status_code == status


def test_empty_requirement_makes_credentials_optional(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = _client(make_app, write_spec, [{"Bearer": []}, {}], frozenset({"T"}))
    assert client.patch(URL, json={}).status_code == 200


def test_operation_security_overrides_global(make_app: AppFactory, write_spec: SpecWriter) -> None:
    document = minimal_spec(security=[], schemes=SCHEMES)
    document["security"] = [{"Bearer": []}]
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    assert client.patch(URL, json={}).status_code == 200


def test_global_security_applies(make_app: AppFactory, write_spec: SpecWriter) -> None:
    document = minimal_spec(schemes=SCHEMES)
    document["security"] = [{"QueryKey": []}]
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    assert client.patch(URL, json={}).status_code == 401
    assert client.patch(URL, json={}, params={"api_key": "T"}).status_code == 200


def test_any_credential_is_accepted_without_an_allow_list(make_app: AppFactory) -> None:
    client = TestClient(make_app(tokens=frozenset()), raise_server_exceptions=False)
    for name in API_NAMES:
        api = SEED_APIS[name]
        headers = {key: value.replace("T", "whatever") for key, value in api.auth.items()}
        response = client.request(api.method, api.url("c1"), json=api.valid_body, headers=headers)
        assert response.status_code == 200, (name, response.text)


@pytest.mark.parametrize("name", [n for n in API_NAMES if SEED_APIS[n].secured])
@pytest.mark.parametrize("credential", ["missing", "scheme only", "wrong scheme", "wrong token"])
def test_seed_api_refuses_bad_credentials(client: TestClient, name: str, credential: str) -> None:
    api = SEED_APIS[name]
    [header] = api.auth
    bearer = header == "Authorization"
    value = {
        "missing": None,
        "scheme only": "Bearer" if bearer else "",
        "wrong scheme": "Basic VDpU" if bearer else " ",
        "wrong token": "Bearer nope" if bearer else "nope",
    }[credential]
    headers = {} if value is None else {header: value}
    response = client.request(api.method, api.url("c1"), json=api.valid_body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    if bearer:
        assert response.headers["www-authenticate"].lower().startswith("bearer")
    declared = SpecOracle(api.spec).response(api.method, api.spec_path, 401)
    if declared is not None:  # Omi declares Error401 -> ErrorResponse
        assert declared.errors(response.json()) == []
    else:
        assert isinstance(response.json()["detail"], str)


def test_omi_declares_its_401() -> None:
    """Guards the branch above: Omi's 401 body is checked against a declared schema."""
    api = SEED_APIS["omi"]
    declared = SpecOracle(api.spec).response(api.method, api.spec_path, 401)
    assert declared is not None and declared.validator is not None
    assert declared.errors({"no_detail": 1}) != []


def test_credentials_are_checked_before_the_body(client: TestClient) -> None:
    api = SEED_APIS["openhands"]
    response = client.patch(api.url("c1"), content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("first", "second", "status"),
    [("Bearer T", "Bearer wrong", 200), ("Bearer wrong", "Bearer T", 401), ("Basic x", "Bearer T", 401)],
)
def test_the_first_of_repeated_authorization_headers_counts(
    make_app: AppFactory, first: str, second: str, status: int
) -> None:
    """As in Starlette/FastAPI, whose `Headers.get` returns the first value."""
    client = TestClient(make_app(), raise_server_exceptions=False)
    api = SEED_APIS["omi"]
    headers = [("Authorization", first), ("Authorization", second), ("Content-Type", "application/json")]
    response = client.request(api.method, api.url("c1"), content=b'{"title": "x"}', headers=headers)
    assert response.status_code == status
