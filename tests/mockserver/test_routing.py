"""Routing: unknown path -> 404, known path with an undeclared method -> 405 with `Allow`,
path parameters captured from the raw path and decoded once."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mockserver.routing import MethodNotAllowed, RouteMatch, Router
from tests.mockserver.conftest import AppFactory, SpecWriter, minimal_spec
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS


@pytest.fixture
def router() -> Router[str]:
    table: Router[str] = Router()
    table.add("/v1/things/{thing_id}", "PATCH", "patch-thing")
    table.add("/v1/things/{thing_id}", "get", "get-thing")
    table.add("/v1/things/{thing_id}/parts/{part}", "PUT", "put-part")
    table.add("/v1/things/special", "POST", "post-special")
    table.add("/{tenant}/report", "GET", "tenant-report")
    return table


def test_match_captures_and_decodes_parameters(router: Router[str]) -> None:
    match = router.match("PATCH", "/v1/things/a%2Fb%20c")
    assert isinstance(match, RouteMatch)
    assert (match.target, match.path_params) == ("patch-thing", {"thing_id": "a/b c"})
    nested = router.match("PUT", "/v1/things/x/parts/7")
    assert isinstance(nested, RouteMatch)
    assert nested.path_params == {"thing_id": "x", "part": "7"}


def test_method_is_matched_case_insensitively_at_registration(router: Router[str]) -> None:
    match = router.match("GET", "/v1/things/x")
    assert isinstance(match, RouteMatch) and match.target == "get-thing"


def test_undeclared_method_lists_the_declared_ones(router: Router[str]) -> None:
    result = router.match("DELETE", "/v1/things/x")
    assert isinstance(result, MethodNotAllowed)
    assert set(result.allow) == {"GET", "HEAD", "PATCH"}  # HEAD: a GET path answers it


def test_head_falls_back_to_get(router: Router[str]) -> None:
    match = router.match("HEAD", "/v1/things/x")
    assert isinstance(match, RouteMatch) and match.target == "get-thing"


@pytest.mark.parametrize(
    "path",
    ["/v1/things", "/v1/things/", "/v1/things/x/", "/v1/things/x/y", "/v2/things/x", "/V1/things/x", "", "/"],
)
def test_unknown_paths_do_not_match(router: Router[str], path: str) -> None:
    assert router.match("PATCH", path) is None


def test_leading_template_parameter(router: Router[str]) -> None:
    match = router.match("GET", "/acme/report")
    assert isinstance(match, RouteMatch) and match.path_params == {"tenant": "acme"}


def test_concrete_path_wins_over_a_template(router: Router[str]) -> None:
    """OpenAPI: concrete paths are matched before their templated counterparts, whatever the order."""
    literal = router.match("POST", "/v1/things/special")
    assert isinstance(literal, RouteMatch) and literal.target == "post-special"
    templated = router.match("PATCH", "/v1/things/other")
    assert isinstance(templated, RouteMatch) and templated.target == "patch-thing"


def test_concrete_path_wins_in_a_served_spec(make_app: AppFactory, write_spec: SpecWriter) -> None:
    document = minimal_spec()
    item = document["paths"]["/things/{thing_id}"]["patch"]
    document["paths"]["/things/latest"] = {"post": {**item, "operationId": "postLatest", "parameters": []}}
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    assert client.post("/v2/things/latest", json={}).status_code == 200
    assert client.patch("/v2/things/abc", json={}).status_code == 200


WRONG_METHODS = [
    (name, method)
    for name in API_NAMES
    for method in ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")
    if method != SEED_APIS[name].method
]


@pytest.mark.parametrize(("name", "method"), WRONG_METHODS)
def test_seed_api_wrong_method_is_405_with_allow(client: TestClient, name: str, method: str) -> None:
    api = SEED_APIS[name]
    response = client.request(method, api.url("c1"), headers=api.auth, json=api.valid_body)
    assert response.status_code == 405
    assert response.headers["allow"] == api.method


@pytest.mark.parametrize("name", API_NAMES)
def test_seed_api_unknown_path_is_404(client: TestClient, name: str) -> None:
    api = SEED_APIS[name]
    for path in (api.base + "/nope", api.url("c1") + "/more", api.spec_path.replace("{conversation_id}", "c1")):
        response = client.request(api.method, path, headers=api.auth, json=api.valid_body)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"
        assert isinstance(response.json()["detail"], str)


def test_routing_comes_before_credentials(client: TestClient) -> None:
    api = SEED_APIS["omi"]
    assert client.get(api.url("c1")).status_code == 405
    assert client.patch(api.base + "/v1/nope", json={}).status_code == 404


def test_encoded_slash_in_an_id_reaches_the_operation(client: TestClient) -> None:
    api = SEED_APIS["datagrid"]
    response = client.patch(api.url("team%2Fconv 1"), headers=api.auth, json={})
    assert response.status_code == 200
    assert response.json()["id"] == "team/conv 1"


def test_two_operations_on_one_path(make_app: AppFactory, write_spec: SpecWriter) -> None:
    document = minimal_spec()
    item = document["paths"]["/things/{thing_id}"]
    item["put"] = {**item["patch"], "operationId": "replaceThing"}
    client = TestClient(make_app([write_spec(document)]), raise_server_exceptions=False)
    assert client.patch("/v2/things/a", json={}).status_code == 200
    assert client.put("/v2/things/a", json={}).status_code == 200
    response = client.delete("/v2/things/a")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"PATCH", "PUT"}


@pytest.mark.parametrize("template", ["/résumés/{thing_id}", "/my things/{thing_id}"])
def test_literal_segments_that_clients_percent_encode(
    make_app: AppFactory, write_spec: SpecWriter, template: str
) -> None:
    """A client sends `/r%C3%A9sum%C3%A9s/a` for the spec's `/résumés/{thing_id}`."""
    client = TestClient(make_app([write_spec(minimal_spec(path=template))]), raise_server_exceptions=False)
    response = client.patch("/v2" + template.replace("{thing_id}", "a"), json={"name": "n"})
    assert response.status_code == 200, response.text
