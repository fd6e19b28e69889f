"""Routing: unknown path -> 404, known path with an undeclared method -> 405 with `Allow`,
path parameters captured from the raw path and decoded once."""

from __future__ import annotations

import re
from typing import Any

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


def test_a_path_matched_again_answers_alike_with_parameters_of_its_own(router: Router[str]) -> None:
    first = router.match("PATCH", "/v1/things/t1")
    assert isinstance(first, RouteMatch)
    first.path_params["thing_id"] = "changed by a stage"
    again = router.match("PATCH", "/v1/things/t1")
    assert isinstance(again, RouteMatch)
    assert (again.target, again.path_params) == ("patch-thing", {"thing_id": "t1"})
    assert router.match("DELETE", "/v1/things/t1") == MethodNotAllowed(("GET", "HEAD", "PATCH"))
    assert router.match("DELETE", "/v1/things/t1") == MethodNotAllowed(("GET", "HEAD", "PATCH"))
    long = "/v1/things/" + "x" * 5000  # past what is remembered: matched all the same
    assert [router.match("GET", long) for _ in range(2)] == [RouteMatch("get-thing", {"thing_id": "x" * 5000})] * 2


def test_a_route_added_after_a_match_is_found(router: Router[str]) -> None:
    assert router.match("GET", "/v1/widgets/w1") is None
    router.add("/v1/widgets/{widget_id}", "GET", "get-widget")
    assert router.match("GET", "/v1/widgets/w1") == RouteMatch("get-widget", {"widget_id": "w1"})


def test_what_the_router_remembers_is_bounded(router: Router[str]) -> None:
    for n in range(10_000):
        assert isinstance(router.match("GET", f"/v1/things/{n}"), RouteMatch)
    assert len(router._seen) <= 4096  # a fuzzer's endless ids cost bounded memory


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


def _spec_of(paths: dict[str, list[str]]) -> dict[str, Any]:
    """A document whose every operation answers `{"op": "<method> <path>"}`, no parameters checked beyond strings."""
    items: dict[str, Any] = {}
    for template, methods in paths.items():
        names = re.findall(r"\{([^{}]+)\}", template)
        parameters = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        items[template] = {}
        for method in methods:
            label = f"{method.upper()} {template}"
            schema = {"type": "object", "properties": {"op": {"type": "string", "enum": [label]}}, "required": ["op"]}
            items[template][method.lower()] = {
                "operationId": re.sub(r"\W", "_", label),
                "parameters": parameters,
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}},
            }
    return {"openapi": "3.1.0", "info": {"title": "routes", "version": "1"}, "paths": items}


PETSTORE_USER = {"/user/{username}": ["get", "put", "delete"], "/user/login": ["get"]}


@pytest.mark.parametrize("order", ["template first", "literal first"])
def test_login_before_username_in_a_served_spec(make_app: AppFactory, write_spec: SpecWriter, order: str) -> None:
    paths = PETSTORE_USER if order == "template first" else dict(reversed(PETSTORE_USER.items()))
    client = TestClient(make_app([write_spec(_spec_of(paths))]), raise_server_exceptions=False)
    assert client.get("/user/login").json() == {"op": "GET /user/login"}
    assert client.get("/user/bob").json() == {"op": "GET /user/{username}"}
    assert client.delete("/user/bob").json() == {"op": "DELETE /user/{username}"}


def test_a_405_lists_the_methods_of_the_path_that_matched(make_app: AppFactory, write_spec: SpecWriter) -> None:
    """`/user/login` is its own path: PUT on it is not `PUT /user/{username}` and Allow is its GET alone."""
    client = TestClient(make_app([write_spec(_spec_of(PETSTORE_USER))]), raise_server_exceptions=False)
    response = client.put("/user/login", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    templated = client.post("/user/bob", json={})
    assert templated.status_code == 405
    assert templated.headers["allow"] == "DELETE, GET, HEAD, PUT"


def test_head_is_answered_on_a_get_path_only(make_app: AppFactory, write_spec: SpecWriter) -> None:
    client = TestClient(make_app([write_spec(_spec_of(PETSTORE_USER))]), raise_server_exceptions=False)
    head = client.head("/user/login")
    assert head.status_code == 200 and head.content == b""
    spec = _spec_of({"/user/{username}": ["get"], "/user/login": ["post"]})
    other = TestClient(make_app([write_spec(spec, "other.yaml")]), raise_server_exceptions=False)
    refused = other.head("/user/login")
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"


def test_segments_are_compared_from_the_left() -> None:
    table: Router[str] = Router()
    table.add("/a/{x}/c", "GET", "templated-middle")
    table.add("/a/b/{y}", "GET", "templated-end")
    table.add("/files/{name}", "GET", "bare")
    table.add("/files/{id}.json", "GET", "mixed")
    for path, target in [("/a/b/c", "templated-end"), ("/a/z/c", "templated-middle"), ("/files/7.json", "mixed")]:
        match = table.match("GET", path)
        assert isinstance(match, RouteMatch) and match.target == target, path
    bare = table.match("GET", "/files/readme")
    assert isinstance(bare, RouteMatch) and bare.path_params == {"name": "readme"}


def test_a_less_specific_template_does_not_widen_allow() -> None:
    table: Router[str] = Router()
    table.add("/things/{id}", "GET", "get")
    table.add("/things/{id}", "PATCH", "patch")
    table.add("/things/latest", "POST", "latest")
    refused = table.match("PATCH", "/things/latest")
    assert isinstance(refused, MethodNotAllowed) and refused.allow == ("POST",)
    assert isinstance(table.match("PATCH", "/things/x"), RouteMatch)


def test_templates_differing_in_parameter_names_are_one_path() -> None:
    table: Router[str] = Router()
    table.add("/pets/{petId}", "GET", "get")
    table.add("/pets/{id}", "DELETE", "delete")
    deleted = table.match("DELETE", "/pets/1")
    assert isinstance(deleted, RouteMatch) and deleted.path_params == {"id": "1"}
    refused = table.match("PUT", "/pets/1")
    assert isinstance(refused, MethodNotAllowed) and refused.allow == ("DELETE", "GET", "HEAD")


def test_the_first_registration_of_a_method_and_template_stays() -> None:
    table: Router[str] = Router()
    table.add("/x", "GET", "first")
    table.add("/x", "get", "second")
    match = table.match("GET", "/x")
    assert isinstance(match, RouteMatch) and match.target == "first"


def test_a_path_known_by_its_beginning_is_the_one_template_it_could_be() -> None:
    """Discord's reactions: a request line cut inside `{emoji_name}` can be only `.../@me` for a PUT."""
    table: Router[str] = Router()
    table.add("/m/{id}/reactions/{emoji}", "GET", "list")
    table.add("/m/{id}/reactions/{emoji}", "DELETE", "clear")
    table.add("/m/{id}/reactions/{emoji}/@me", "PUT", "react")
    table.add("/m/{id}/reactions/{emoji}/{user}", "DELETE", "remove")
    table.add("/m/{id}/pins", "PUT", "pin")
    put = table.match_prefix("PUT", "/m/1/reactions/%C3%94%C3%94")
    assert isinstance(put, RouteMatch) and put.target == "react"
    assert table.match_prefix("DELETE", "/m/1/reactions/x") is None  # all of them or the user's: not known
    refused = table.match_prefix("POST", "/m/1/reactions/x")
    assert isinstance(refused, MethodNotAllowed) and refused.allow == ("DELETE", "GET", "HEAD", "PUT")
    pin = table.match_prefix("PUT", "/m/1/pi")  # a partial literal segment
    assert isinstance(pin, RouteMatch) and pin.target == "pin"
    assert table.match_prefix("PUT", "/m/1/px") is None
    assert table.match_prefix("GET", "/elsewhere/x") is None
    # Several it could be, all answering alike (the same declared error shape): the first.
    alike = table.match_prefix("DELETE", "/m/1/reactions/x", lambda a, b: True)
    assert isinstance(alike, RouteMatch) and alike.target in ("clear", "remove")
