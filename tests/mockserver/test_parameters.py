"""Parameter deserialisation (`mockserver.parameters`) per OpenAPI `style`/`explode`, driven
through the real router and `ValidationStage` of a small inline document. An echo stage after
validation answers with the typed values that reached it; an invalid value is a 422 whose
`detail` names the parameter (and the item or property) in FastAPI's vocabulary."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.app import load_apis
from mockserver.generator import Generation
from mockserver.negotiator import Negotiator
from mockserver.operations import Operation
from mockserver.pipeline import Pipeline
from mockserver.request import MockRequest
from mockserver.responses import MockResponse
from mockserver.routing import Router
from mockserver.validation import ValidationStage
from tests.mockserver.conftest import EPOCH
from tests.servers import serve

INT = {"type": "integer"}
OBJECT = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "format": "int32"}},
}


def _param(name: str, where: str, schema: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": where, **extra}
    if schema is not None:
        parameter["schema"] = schema
    if where == "path":
        parameter["required"] = True
    return parameter


ARRAY = {"type": "array", "items": INT}
OPERATIONS: dict[str, list[dict[str, Any]]] = {
    "/q/form": [_param("tags", "query", ARRAY)],
    "/q/form-flat": [_param("tags", "query", {"type": "array", "items": {"type": "string"}}, explode=False)],
    "/q/space": [_param("tags", "query", ARRAY, style="spaceDelimited", explode=False)],
    "/q/pipe": [_param("tags", "query", ARRAY, style="pipeDelimited", explode=False)],
    "/q/deep": [_param("filter", "query", OBJECT, style="deepObject", explode=True)],
    "/q/deep-nested": [
        _param(
            "filter",
            "query",
            {"type": "object", "properties": {"range": {"type": "object", "properties": {"min": INT}}}},
            style="deepObject",
        )
    ],
    "/q/object": [_param("person", "query", OBJECT), _param("limit", "query", INT)],
    "/q/object-flat": [_param("filter", "query", OBJECT, explode=False)],
    "/q/scalars": [
        _param("i32", "query", {"type": "integer", "format": "int32"}),
        _param("i64", "query", {"type": "integer", "format": "int64"}),
        _param("f32", "query", {"type": "number", "format": "float"}),
        _param("f64", "query", {"type": "number", "format": "double"}),
        _param("flag", "query", {"type": "boolean"}),
        _param("either", "query", {"anyOf": [INT, {"type": "string", "pattern": "^[a-z]+$"}]}),
    ],
    "/q/content": [
        {
            "name": "where",
            "in": "query",
            "content": {"application/json": {"schema": {"type": "object", "properties": {"a": INT}}}},
        }
    ],
    "/p/simple/{ids}": [_param("ids", "path", ARRAY)],
    "/p/simple-object/{obj}": [_param("obj", "path", OBJECT)],
    "/p/simple-exploded/{obj}": [_param("obj", "path", OBJECT, explode=True)],
    "/p/label/{ids}": [_param("ids", "path", ARRAY, style="label", explode=True)],
    "/p/label-flat/{ids}": [_param("ids", "path", ARRAY, style="label")],
    "/p/label-one/{id}": [_param("id", "path", INT, style="label")],
    "/p/matrix/{id}": [_param("id", "path", {"type": "integer", "format": "int32"}, style="matrix")],
    "/p/matrix-array/{tags}": [_param("tags", "path", ARRAY, style="matrix", explode=True)],
    "/p/matrix-flat/{tags}": [_param("tags", "path", ARRAY, style="matrix")],
    "/p/matrix-object/{obj}": [_param("obj", "path", OBJECT, style="matrix", explode=True)],
    "/h": [
        _param("X-Ids", "header", ARRAY),
        _param("X-Obj", "header", OBJECT, explode=True),
        _param("X-Pair", "header", OBJECT),
    ],
    "/c": [_param("ids", "cookie", ARRAY), _param("obj", "cookie", OBJECT, explode=False)],
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "styles", "version": "1"},
    "paths": {
        path: {"get": {"parameters": parameters, "responses": {"200": {"description": "ok"}}}}
        for path, parameters in OPERATIONS.items()
    },
}


async def _echo(request: MockRequest) -> MockResponse:
    """The typed values that reached the stage after validation."""
    return MockResponse(200, {f"{where}.{name}": value for (where, name), value in request.parameters.items()})


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError(f"not routed: {scope['path']}")


def echo_app(tmp_path: Path, document: dict[str, Any]) -> ASGIApp:
    path = tmp_path / "styles.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    router: Router[Operation] = Router()
    for api in load_apis([path]):
        for op in api.operations:
            router.add(api.prefix + op.path, op.method, op)
    return Pipeline(_not_found, router, [ValidationStage(), _echo], Negotiator(Generation(0, EPOCH)), log=False)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(echo_app(tmp_path_factory.mktemp("styles"), DOCUMENT))


ACCEPTED = [
    ("/q/form?tags=1&tags=2", {"query.tags": [1, 2]}),
    ("/q/form?tags=7", {"query.tags": [7]}),
    ("/q/form-flat?tags=a,b", {"query.tags": ["a", "b"]}),
    ("/q/form-flat?tags=a%2Cb,c", {"query.tags": ["a,b", "c"]}),  # split before decoding
    ("/q/form-flat?tags=a%2Cb", {"query.tags": ["a", "b"]}),  # a client that encodes every comma
    ("/q/form-flat?tags=", {"query.tags": []}),
    ("/q/space?tags=1%202", {"query.tags": [1, 2]}),
    ("/q/space?tags=1+2", {"query.tags": [1, 2]}),
    ("/q/pipe?tags=1|2|3", {"query.tags": [1, 2, 3]}),
    ("/q/deep?filter[name]=x&filter[age]=3", {"query.filter": {"name": "x", "age": 3}}),
    ("/q/deep?filter%5Bname%5D=x", {"query.filter": {"name": "x"}}),
    ("/q/deep-nested?filter[range][min]=2", {"query.filter": {"range": {"min": 2}}}),
    ("/q/object?name=x&age=3&limit=5", {"query.person": {"name": "x", "age": 3}, "query.limit": 5}),
    ("/q/object-flat?filter=name,x,age,3", {"query.filter": {"name": "x", "age": 3}}),
    ("/q/scalars?i32=2147483647&i64=-9223372036854775808", {"query.i32": 2147483647, "query.i64": -(2**63)}),
    ("/q/scalars?f32=1.5&f64=1e308&flag=false", {"query.f32": 1.5, "query.f64": 1e308, "query.flag": False}),
    ("/q/scalars?either=12", {"query.either": 12}),
    ("/q/scalars?either=abc", {"query.either": "abc"}),
    ("/q/content?where=" + quote(json.dumps({"a": 1})), {"query.where": {"a": 1}}),
    ("/p/simple/1,2,3", {"path.ids": [1, 2, 3]}),
    ("/p/simple-object/name,x,age,3", {"path.obj": {"name": "x", "age": 3}}),
    ("/p/simple-exploded/name=x,age=3", {"path.obj": {"name": "x", "age": 3}}),
    ("/p/label/.1.2", {"path.ids": [1, 2]}),
    ("/p/label-flat/.1,2", {"path.ids": [1, 2]}),
    ("/p/label-one/.5", {"path.id": 5}),
    ("/p/matrix/;id=5", {"path.id": 5}),
    ("/p/matrix-array/;tags=1;tags=2", {"path.tags": [1, 2]}),
    ("/p/matrix-flat/;tags=1,2", {"path.tags": [1, 2]}),
    ("/p/matrix-object/;name=x;age=3", {"path.obj": {"name": "x", "age": 3}}),
]


@pytest.mark.parametrize(("url", "typed"), ACCEPTED)
def test_a_value_in_its_style_reaches_the_stage_typed(client: TestClient, url: str, typed: dict[str, Any]) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.json() == typed


def test_headers_and_cookies_in_their_styles(client: TestClient) -> None:
    headers = {"X-Ids": "1, 2", "X-Obj": "name=x,age=3", "X-Pair": "name,y,age,4"}
    response = client.get("/h", headers=headers)
    assert response.json() == {
        "header.X-Ids": [1, 2],
        "header.X-Obj": {"name": "x", "age": 3},
        "header.X-Pair": {"name": "y", "age": 4},
    }
    response = client.get("/c", headers={"Cookie": "ids=1,2; obj=name,z,age,5"})
    assert response.json() == {"cookie.ids": [1, 2], "cookie.obj": {"name": "z", "age": 5}}


REFUSED = [
    ("/q/form?tags=1&tags=x", ["query", "tags", 1], "int_parsing"),
    ("/q/pipe?tags=1|two", ["query", "tags", 1], "int_parsing"),
    ("/q/deep?filter[name]=x&filter[age]=old", ["query", "filter", "age"], "int_parsing"),
    ("/q/deep?filter[age]=3", ["query", "filter", "name"], "missing"),
    ("/q/deep?filter=x", ["query", "filter"], "dict_type"),
    ("/q/deep?filter[name]=x&filter[age]=2147483648", ["query", "filter", "age"], "less_than_equal"),
    ("/q/deep-nested?filter[range]=2", ["query", "filter", "range"], "dict_type"),
    ("/q/object?age=3", ["query", "person", "name"], "missing"),
    ("/q/object-flat?filter=name,x,age", ["query", "filter"], "dict_type"),
    ("/q/scalars?i32=2147483648", ["query", "i32"], "less_than_equal"),
    ("/q/scalars?i32=-2147483649", ["query", "i32"], "greater_than_equal"),
    ("/q/scalars?i64=9223372036854775808", ["query", "i64"], "less_than_equal"),
    ("/q/scalars?i32=1.0", ["query", "i32"], "int_parsing"),
    ("/q/scalars?i32=1_000", ["query", "i32"], "int_parsing"),
    ("/q/scalars?f32=1e39", ["query", "f32"], "less_than_equal"),
    ("/q/scalars?f64=1e400", ["query", "f64"], "finite_number"),
    ("/q/scalars?f64=nan", ["query", "f64"], "float_parsing"),
    ("/q/scalars?flag=yes", ["query", "flag"], "bool_parsing"),
    ("/q/content?where=%7Bbad", ["query", "where"], "json_invalid"),
    ("/q/content?where=" + quote(json.dumps({"a": "x"})), ["query", "where", "a"], "int_type"),
    ("/p/simple/1,x", ["path", "ids", 1], "int_parsing"),
    ("/p/simple-exploded/name=x,age", ["path", "obj"], "dict_type"),
    ("/p/label-one/5", ["path", "id"], "value_error"),
    ("/p/matrix/5", ["path", "id"], "value_error"),
    ("/p/matrix/;other=5", ["path", "id"], "value_error"),
    ("/p/matrix/;id=five", ["path", "id"], "int_parsing"),
    ("/p/matrix-array/;tags=1;tags=b", ["path", "tags", 1], "int_parsing"),
]


@pytest.mark.parametrize(("url", "loc", "kind"), REFUSED)
def test_a_value_that_cannot_be_deserialised_is_a_422_naming_it(
    client: TestClient, url: str, loc: list[Any], kind: str
) -> None:
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [(loc, kind)]


def test_a_union_tries_each_type_and_reports_every_branch(client: TestClient) -> None:
    response = client.get("/q/scalars?either=ABC")  # neither an integer nor lower-case letters
    assert response.status_code == 422
    assert {item["type"] for item in response.json()["detail"]} == {"int_type", "string_pattern_mismatch"}
    assert all(item["loc"][:2] == ["query", "either"] for item in response.json()["detail"])


def test_headers_and_cookies_that_cannot_be_deserialised(client: TestClient) -> None:
    response = client.get("/h", headers={"X-Ids": "1,x", "X-Obj": "name"})
    assert response.status_code == 422
    found = sorted((tuple(item["loc"]), item["type"]) for item in response.json()["detail"])
    assert found == [(("header", "X-Ids", 1), "int_parsing"), (("header", "X-Obj"), "dict_type")]
    response = client.get("/c", headers={"Cookie": "obj=name,z,age,old"})
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [
        (["cookie", "obj", "age"], "int_parsing")
    ]


def test_a_required_object_sent_empty_is_its_missing_properties(client: TestClient, tmp_path: Path) -> None:
    # An exploded object with no properties set has no wire form at all.
    response = client.get("/q/deep")
    assert response.status_code == 200 and response.json() == {}
    document = json.loads(json.dumps(DOCUMENT))
    document["paths"]["/q/deep"]["get"]["parameters"][0]["required"] = True
    response = TestClient(echo_app(tmp_path, document)).get("/q/deep")
    assert (response.status_code, response.json()["detail"][0]["loc"]) == (422, ["query", "filter", "name"])


# -- over a real socket: the request line as a client writes it ---------------------------


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(echo_app(tmp_path_factory.mktemp("socket"), DOCUMENT)) as url:
        yield url


def _raw_get(base_url: str, target: str) -> tuple[int, Any]:
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode("latin-1")
    chunks: list[bytes] = []
    with socket.create_connection((parts.hostname, parts.port), timeout=10.0) as sock:
        sock.sendall(request)
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_matrix_and_deep_object_over_a_real_socket(base_url: str) -> None:
    assert _raw_get(base_url, "/p/matrix-array/;tags=4;tags=5") == (200, {"path.tags": [4, 5]})
    assert _raw_get(base_url, "/q/deep?filter[name]=ada&filter[age]=36") == (
        200,
        {"query.filter": {"name": "ada", "age": 36}},
    )
    status, body = _raw_get(base_url, "/q/deep?filter[name]=ada&filter[age]=old")
    assert status == 422 and body["detail"][0]["loc"] == ["query", "filter", "age"]
    status, body = _raw_get(base_url, "/p/matrix/;id=2147483648")
    assert status == 422 and body["detail"][0]["loc"] == ["path", "id"]


_QUERY_TEXT = st.text(alphabet="ab1,|;=.[]%2C ", max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from([p.split("{")[0] for p in OPERATIONS]),
    segment=st.text(alphabet="ab1,;=.%", min_size=1, max_size=10),
    pairs=st.lists(st.tuples(_QUERY_TEXT, _QUERY_TEXT), max_size=5),
)
def test_no_serialisation_is_a_server_error(
    client: TestClient, path: str, segment: str, pairs: list[tuple[str, str]]
) -> None:
    assume(segment.strip(".") != "")  # `.` and `..` are dot-segments a client removes
    url = path + (quote(segment, safe=",;=.") if path.endswith("/") else "")
    query = "&".join(f"{key}={value}" for key, value in pairs)
    response = client.get(f"{url}?{query}", headers={"X-Obj": segment, "Cookie": f"obj={segment}"})
    assert response.status_code in (200, 422), response.text


def test_deeply_nested_brackets_are_a_422(client: TestClient) -> None:
    response = client.get("/q/deep-nested?filter" + "[a]" * 5_000 + "=1")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "filter"]
