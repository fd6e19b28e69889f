"""CORS, on by default as in Prism: a preflight is answered on every served path before
credentials and validation, every answer to a request with an `Origin` (errors included)
carries the `Access-Control-*` headers, a plain OPTIONS still reaches a declared OPTIONS
operation, and `cors=False` (`--no-cors`) turns all of it off."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import create_app
from mockserver.app import ServerConfig
from mockserver.cors import varying
from tests.mockserver.conftest import AppFactory, SpecWriter, minimal_spec
from tests.servers import serve

ORIGIN = "http://localhost:5173"  # a front-end dev server on another port
URL = "/v2/things/t1"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization, content-type, x-trace",
}
SECURED: dict[str, Any] = {"security": [{"Bearer": []}], "schemes": {"Bearer": {"type": "http", "scheme": "bearer"}}}
NAMED = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}}


def _document(**overrides: Any) -> dict[str, Any]:
    """A secured PATCH /things/{thing_id} whose 200 declares an `X-Request-Id` header."""
    document = minimal_spec(NAMED, **{**SECURED, **overrides})
    answer = document["paths"]["/things/{thing_id}"]["patch"]["responses"]["200"]
    answer["headers"] = {"X-Request-Id": {"schema": {"type": "string"}}}
    return document


@pytest.fixture
def client(make_app: AppFactory, write_spec: SpecWriter) -> TestClient:
    return TestClient(make_app([write_spec(_document())]), raise_server_exceptions=False)


def _assert_cors(response: httpx.Response) -> None:
    assert response.headers["access-control-allow-origin"] == ORIGIN  # mirrored: credentials are allowed
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "origin" in response.headers["vary"].lower()


def test_a_preflight_is_answered_before_credentials_and_validation(client: TestClient) -> None:
    response = client.options(URL, headers=PREFLIGHT)
    assert response.status_code == 200, response.text
    _assert_cors(response)
    assert "PATCH" in response.headers["access-control-allow-methods"].split(", ")
    assert response.headers["access-control-allow-headers"] == PREFLIGHT["Access-Control-Request-Headers"]


@pytest.mark.parametrize("path", ["/", "/__mock/apis", "/openapi.json", "/v2/nowhere"])
def test_a_preflight_is_answered_on_the_mock_s_own_pages_too(client: TestClient, path: str) -> None:
    response = client.options(path, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    _assert_cors(response)


def test_a_private_network_preflight_is_allowed(client: TestClient) -> None:
    """Chrome asks before a public page calls a server on this machine."""
    headers = {**PREFLIGHT, "Access-Control-Request-Private-Network": "true"}
    response = client.options(URL, headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-private-network"] == "true"


def test_a_success_carries_the_headers_and_exposes_the_declared_ones(client: TestClient) -> None:
    response = client.patch(URL, json={"name": "a"}, headers={"Origin": ORIGIN, "Authorization": "Bearer T"})
    assert response.status_code == 200, response.text
    _assert_cors(response)
    exposed = {name.strip().lower() for name in response.headers["access-control-expose-headers"].split(",")}
    assert {"x-request-id", "location", "retry-after", "www-authenticate", "allow"} <= exposed


@pytest.mark.parametrize(
    ("method", "path", "extra", "status"),
    [
        ("PATCH", URL, {}, 401),  # no credentials
        ("PATCH", "/v2/nowhere", {"Authorization": "Bearer T"}, 404),
        ("DELETE", URL, {"Authorization": "Bearer T"}, 405),
        ("PATCH", URL, {"Authorization": "Bearer T"}, 422),  # the body below breaks maxLength
        ("GET", "/", {}, 200),  # the index
    ],
)
def test_errors_carry_the_headers_too(
    client: TestClient, method: str, path: str, extra: dict[str, str], status: int
) -> None:
    response = client.request(method, path, json={"name": "too long"}, headers={"Origin": ORIGIN, **extra})
    assert response.status_code == status, response.text
    _assert_cors(response)


def test_a_plain_options_reaches_a_declared_options_operation(make_app: AppFactory, write_spec: SpecWriter) -> None:
    document = _document()
    item = document["paths"]["/things/{thing_id}"]
    plain_op = {key: value for key, value in item["patch"].items() if key != "requestBody"}
    item["options"] = {**plain_op, "operationId": "thingOptions", "security": []}
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    plain = client.options(URL, headers={"Origin": ORIGIN})
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/json"
    assert isinstance(plain.json(), dict)
    _assert_cors(plain)
    preflight = client.options(URL, headers=PREFLIGHT)
    assert preflight.status_code == 200 and preflight.text == "OK"  # the preflight is CORS's, not the API's


def test_a_plain_options_on_a_path_without_one_is_a_405(client: TestClient) -> None:
    response = client.options(URL, headers={"Origin": ORIGIN})
    assert response.status_code == 405 and response.headers["allow"] == "PATCH"
    _assert_cors(response)


def test_no_cors_turns_it_off(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(_document())], cors=False), raise_server_exceptions=False)
    preflight = client.options(URL, headers=PREFLIGHT)
    assert preflight.status_code == 405  # an OPTIONS like any other: the path declares none
    answered = client.patch(URL, json={}, headers={"Origin": ORIGIN, "Authorization": "Bearer T"})
    assert answered.status_code == 200
    for response in (preflight, answered):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_a_real_socket_preflight_then_the_request(write_spec: SpecWriter) -> None:
    """What a browser does, over a real socket: the preflight, then the request itself."""
    app = create_app([write_spec(_document())], ServerConfig(log_requests=False, tokens=frozenset({"T"})))
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        preflight = http.options(URL, headers=PREFLIGHT)
        assert preflight.status_code == 200
        _assert_cors(preflight)
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        response = http.patch(URL, json={"name": "b"}, headers={"Origin": ORIGIN, "Authorization": "Bearer T"})
        assert response.status_code == 200 and response.json()["name"] == "b"
        _assert_cors(response)


def _answer_with_vary(vary: list[bytes]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", b"2"), *((b"vary", v) for v in vary), (b"x-after", b"1")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


@pytest.mark.parametrize("vary", [[], [b"Accept"], [b"Accept", b"Accept-Encoding"]])
def test_vary_origin_is_added_as_starlette_adds_it(vary: list[bytes]) -> None:
    """`cors.varying`, the short way's `Vary: Origin`, and Starlette's middleware give the
    same raw header list to a request without `Origin`."""
    inner = _answer_with_vary(vary)

    async def short_way(scope: Scope, receive: Receive, send: Send) -> None:
        await inner(scope, receive, varying(send))

    options: dict[str, Any] = {"allow_origins": ["*"], "allow_credentials": True, "expose_headers": ["ETag"]}
    answers = [TestClient(app).get("/").headers.raw for app in (short_way, CORSMiddleware(inner, **options))]
    assert answers[0] == answers[1]
    assert (b"vary", b", ".join([*vary, b"Origin"])) in answers[0]


@pytest.mark.parametrize("url", [URL, "/", "/__mock/apis", "/nowhere"])
def test_the_short_way_answers_as_the_middleware_does(write_spec: SpecWriter, url: str) -> None:
    """The first request goes through Starlette's middleware (the initial state is written
    there), the next ones the short way (`app.MockApp`): the same answer, headers and all,
    for an operation, the index, the admin API and an unknown path."""
    app = create_app([write_spec(_document())], ServerConfig(log_requests=False, tokens=frozenset({"T"})))
    client = TestClient(app)
    through, short = (client.get(url, headers={"Authorization": "Bearer T"}) for _ in range(2))
    assert app.pipeline is not None  # the second went the short way
    assert (short.status_code, short.content) == (through.status_code, through.content)
    assert short.headers.raw == through.headers.raw
    assert short.headers.get_list("vary") == ["Origin"]
