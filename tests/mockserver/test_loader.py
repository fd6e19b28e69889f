"""Loading specs: parsing, outline checks, 3.0 -> 3.1 normalisation, `$ref` inlining (recursive
and multi-file documents too), one warning line per quirk of a published document, and a clear
`SpecError` (file and places named, every problem at once) for every way a document can be broken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver import create_app
from mockserver.errors import MockServerError, ProfileError, SpecError
from mockserver.loader import find_specs, load_spec
from tests.mockserver.conftest import SpecWriter, minimal_spec
from tests.mockserver.seed_apis import API_NAMES, SPECS


@pytest.mark.parametrize("name", API_NAMES)
def test_seed_specs_load(name: str) -> None:
    spec = load_spec(SPECS / f"{name}.yaml")
    assert spec.name == name
    assert spec.document["paths"]


@pytest.mark.parametrize(
    ("servers", "expected"),
    [
        ([{"url": "https://api.example.com/v1"}], "/v1"),
        ([{"url": "https://api.example.com/v1/"}], "/v1"),
        ([{"url": "https://api.example.com"}], ""),
        ([], ""),
        ([{"url": "/relative/base"}], "/relative/base"),
        (
            [
                {
                    "url": "https://{host}/{version}",
                    "variables": {"host": {"default": "x.io"}, "version": {"default": "v3"}},
                }
            ],
            "/v3",
        ),
        ([{"url": "https://a.example.com/first"}, {"url": "https://b.example.com/second"}], "/first"),
    ],
)
def test_server_path_comes_from_the_first_server(
    write_spec: SpecWriter, servers: list[dict[str, Any]], expected: str
) -> None:
    assert load_spec(write_spec(minimal_spec(servers=servers))).server_path == expected


def test_json_documents_load(write_spec: SpecWriter) -> None:
    spec = load_spec(write_spec(minimal_spec(), "api.json"))
    assert spec.name == "api"
    assert "/things/{thing_id}" in spec.document["paths"]


def test_refs_are_inlined_with_siblings(write_spec: SpecWriter) -> None:
    schemas = {
        "Outer": {"type": "object", "properties": {"inner": {"$ref": "#/components/schemas/Inner"}}},
        "Inner": {"type": "object", "properties": {"n": {"$ref": "#/components/schemas/Count"}}},
        "Count": {"type": "integer", "minimum": 0},
    }
    spec = load_spec(write_spec(minimal_spec({"$ref": "#/components/schemas/Outer"}, schemas=schemas)))
    inlined = spec.inline({"$ref": "#/components/schemas/Outer", "description": "kept"}, "test")
    assert inlined["description"] == "kept"
    assert inlined["properties"]["inner"]["properties"]["n"] == {"type": "integer", "minimum": 0}
    assert "$ref" not in repr(inlined)


def test_openapi_30_is_normalised_to_31(write_spec: SpecWriter) -> None:
    schemas = {
        "Thing": {
            "type": "object",
            "properties": {
                "note": {"type": "string", "nullable": True},
                "kind": {"type": "string", "enum": ["a", "b"], "nullable": True},
                "other": {"$ref": "#/components/schemas/Other", "nullable": True},
                "count": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
                "ratio": {"type": "number", "maximum": 1, "exclusiveMaximum": False},
                "label": {"type": "string", "example": "hello"},
            },
        },
        "Other": {"type": "string"},
    }
    path = write_spec(minimal_spec({"$ref": "#/components/schemas/Thing"}, openapi="3.0.3", schemas=schemas))
    props = load_spec(path).inline({"$ref": "#/components/schemas/Thing"}, "test")["properties"]
    assert props["note"]["type"] == ["string", "null"]
    assert props["kind"]["enum"] == ["a", "b"]  # null only where the enum lists it (3.0.3)
    assert {"type": "null"} in props["other"]["anyOf"]
    assert props["count"]["exclusiveMinimum"] == 0 and "minimum" not in props["count"]
    assert props["ratio"]["maximum"] == 1 and "exclusiveMaximum" not in props["ratio"]
    assert props["label"]["examples"] == ["hello"]


def test_openapi_31_is_left_alone(write_spec: SpecWriter) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer", "exclusiveMinimum": 0}}}
    spec = load_spec(write_spec(minimal_spec(schema)))
    assert spec.document == spec.raw


def test_nullable_30_field_accepts_null_end_to_end(write_spec: SpecWriter, make_app: Any) -> None:
    from starlette.testclient import TestClient

    schema = {"type": "object", "properties": {"note": {"type": "string", "nullable": True}}}
    client = TestClient(make_app([write_spec(minimal_spec(schema, openapi="3.0.3"))]))
    assert client.patch("/v2/things/a", json={"note": None}).status_code == 200
    assert client.patch("/v2/things/a", json={"note": 1}).status_code == 422


def _error(path: Path) -> SpecError:
    with pytest.raises(SpecError) as caught:
        create_app([path])
    assert isinstance(caught.value, MockServerError)
    assert str(path) in str(caught.value), "the error must name the file"
    return caught.value


def test_unresolvable_ref_is_a_clear_error(write_spec: SpecWriter) -> None:
    error = _error(write_spec(minimal_spec({"$ref": "#/components/schemas/Missing"})))
    assert "#/components/schemas/Missing" in str(error)
    assert "unresolvable" in str(error).lower()


def test_external_ref_is_a_clear_error(write_spec: SpecWriter) -> None:
    error = _error(write_spec(minimal_spec({"$ref": "other.yaml#/Thing"})))
    assert "other.yaml#/Thing" in str(error)


def test_broken_yaml_names_the_line(write_spec: SpecWriter) -> None:
    error = _error(write_spec("openapi: 3.1.0\ninfo: {title: x\npaths: {}\n"))
    assert "line" in str(error)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- just\n- a list\n", "mapping"),
        ("swagger: '2.0'\npaths: {/a: {}}\n", "openapi"),
        ("openapi: 3.1.0\ninfo: {title: x, version: '1'}\n", "paths"),
        ("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n", "paths"),
        ("", "mapping"),
    ],
)
def test_documents_without_the_openapi_outline_are_refused(write_spec: SpecWriter, text: str, fragment: str) -> None:
    assert fragment in str(_error(write_spec(text)))


def test_broken_json_is_a_clear_error(write_spec: SpecWriter) -> None:
    _error(write_spec('{"openapi": "3.1.0", ', "api.json"))


def test_invalid_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"openapi: 3.1.0\ninfo: \xff\xfe\n")
    _error(path)


def test_operation_without_2xx_answers_its_first_response(
    write_spec: SpecWriter, caplog: pytest.LogCaptureFixture
) -> None:
    schema = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
    responses = {"default": {"description": "whatever", "content": {"application/json": {"schema": schema}}}}
    with caplog.at_level("WARNING", logger="mockserver"):
        app = create_app([write_spec(minimal_spec(responses=responses))])
    assert any("declares no 2xx response" in record.getMessage() for record in caplog.records)
    [op] = app.state.apis[0].operations
    assert op.success.status == "default"


def test_operation_without_responses_is_refused(write_spec: SpecWriter) -> None:
    document = minimal_spec()
    document["paths"]["/things/{thing_id}"]["patch"]["responses"] = {}
    assert "no responses" in str(_error(write_spec(document)))


def test_undefined_security_scheme_is_refused(write_spec: SpecWriter) -> None:
    assert "Nope" in str(_error(write_spec(minimal_spec(security=[{"Nope": []}]))))


def test_find_specs(tmp_path: Path, write_spec: SpecWriter) -> None:
    write_spec(minimal_spec(), "b.yaml")
    write_spec(minimal_spec(), "a.json")
    write_spec("not a spec", "notes.txt")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "c.yaml").write_text("openapi: 3.1.0\n")
    assert [p.name for p in find_specs([str(tmp_path)])] == ["a.json", "b.yaml"]
    with pytest.raises(SpecError, match="no such file"):
        find_specs([str(tmp_path / "missing.yaml")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SpecError, match="no OpenAPI documents"):
        find_specs([str(tmp_path / "empty")])


def test_malformed_profile_names_the_profile(tmp_path: Path, write_spec: SpecWriter) -> None:
    spec = write_spec(minimal_spec())
    (tmp_path / "profiles").mkdir()
    profile = tmp_path / "profiles" / "tiny.yaml"
    profile.write_text("operations:\n  updateThing:\n    bogus_key: 1\n", encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        create_app([spec])
    assert str(profile) in str(caught.value) and "bogus_key" in str(caught.value)


def test_profile_naming_a_missing_field_is_refused(tmp_path: Path, write_spec: SpecWriter) -> None:
    spec = write_spec(minimal_spec())
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "tiny.yaml").write_text(
        "operations:\n  updateThing:\n    touch: [no_such_field]\n", encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="no_such_field"):
        create_app([spec])


def test_a_folder_skips_files_that_are_no_openapi_documents(
    tmp_path: Path, write_spec: SpecWriter, caplog: pytest.LogCaptureFixture
) -> None:
    write_spec(minimal_spec(), "api.yaml")
    write_spec({"type": "object", "properties": {"id": {"type": "string"}}}, "pet-schema.yaml")
    write_spec("- a\n- list\n", "list.yaml")
    with caplog.at_level("WARNING", logger="mockserver"):
        app = create_app([tmp_path])
    assert [api.name for api in app.state.apis] == ["api"]
    skipped = sorted(record.getMessage() for record in caplog.records)
    assert len(skipped) == 2 and all("skipping" in line for line in skipped)
    assert "list.yaml" in skipped[0] and "pet-schema.yaml" in skipped[1]


def test_a_file_named_on_its_own_must_be_a_document(write_spec: SpecWriter) -> None:
    fragment = write_spec({"type": "object"}, "fragment.yaml")
    with pytest.raises(SpecError, match=r"fragment\.yaml: not an OpenAPI document"):
        create_app([fragment])


def test_a_folder_of_fragments_only_is_a_clear_error(tmp_path: Path, write_spec: SpecWriter) -> None:
    write_spec({"type": "object"}, "fragment.yaml")
    with pytest.raises(SpecError, match="no OpenAPI documents found"):
        create_app([tmp_path])


def test_swagger_2_is_refused_in_one_line_that_says_what_to_do(write_spec: SpecWriter) -> None:
    path = write_spec({"swagger": "2.0", "info": {"title": "old", "version": "1"}, "paths": {}}, "old.yaml")
    with pytest.raises(SpecError) as refused:
        create_app([path])
    message = str(refused.value)
    assert "\n" not in message and "Swagger 2.0" in message and "convert it" in message


# -- recursion -------------------------------------------------------------------------------

_NODE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
    },
}


def _nested(depth: int, leaf: Any = "leaf") -> dict[str, Any]:
    node: dict[str, Any] = {"name": leaf}
    for level in range(depth):
        node = {"name": f"level {level}", "children": [node]}
    return node


def _tree_client(write_spec: SpecWriter, make_app: Any, schemas: dict[str, Any], root: str) -> Any:
    from starlette.testclient import TestClient

    path = write_spec(minimal_spec({"$ref": f"#/components/schemas/{root}"}, schemas=schemas))
    return TestClient(make_app([path]), raise_server_exceptions=False)


def test_a_recursive_schema_loads_and_is_validated_at_any_depth(write_spec: SpecWriter, make_app: Any) -> None:
    client = _tree_client(write_spec, make_app, {"Node": _NODE}, "Node")
    assert client.patch("/v2/things/a", json=_nested(5)).status_code == 200
    refused = client.patch("/v2/things/a", json=_nested(5, leaf=7))
    assert refused.status_code == 422, "a wrong value five levels down is still seen"
    assert client.patch("/v2/things/a", json={"name": "x", "children": [{"children": []}]}).status_code == 422


def test_a_recursive_schema_keeps_its_reference_absolute(write_spec: SpecWriter) -> None:
    path = write_spec(minimal_spec({"$ref": "#/components/schemas/Node"}, schemas={"Node": _NODE}))
    spec = load_spec(path)
    inlined = spec.inline({"$ref": "#/components/schemas/Node"}, "test")
    kept = inlined["properties"]["children"]["items"]
    assert kept == {"$ref": path.resolve().as_uri() + "#/components/schemas/Node"}


def test_mutual_recursion_loads_and_validates(write_spec: SpecWriter, make_app: Any) -> None:
    schemas = {
        "Filter": {
            "type": "object",
            "properties": {"must": {"type": "array", "items": {"$ref": "#/components/schemas/Condition"}}},
        },
        "Condition": {
            "anyOf": [
                {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}},
                {
                    "type": "object",
                    "required": ["nested"],
                    "properties": {"nested": {"$ref": "#/components/schemas/Filter"}},
                },
            ]
        },
    }
    client = _tree_client(write_spec, make_app, schemas, "Filter")
    deep = {"must": [{"nested": {"must": [{"nested": {"must": [{"key": "a"}]}}]}}]}
    assert client.patch("/v2/things/a", json=deep).status_code == 200
    wrong = {"must": [{"nested": {"must": [{"nested": {"must": [{"key": 1}]}}]}}]}
    assert client.patch("/v2/things/a", json=wrong).status_code == 422


def test_generation_stops_at_recursion_with_the_shortest_valid_branch(write_spec: SpecWriter) -> None:
    from mockserver.generator import compile_generator, seeded_context
    from mockserver.schemas import validator

    schemas = {
        "Node": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "parent": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]},
                "next": {"$ref": "#/components/schemas/Node"},
            },
        }
    }
    spec = load_spec(write_spec(minimal_spec({"$ref": "#/components/schemas/Node"}, schemas=schemas)))
    schema = spec.inline({"$ref": "#/components/schemas/Node"}, "test")
    generate, check = compile_generator(schema), validator(schema, validate_formats=True)
    for seed in range(30):
        value = generate(seeded_context(("tree", seed), 1_800_000_000.0))
        assert check.is_valid(value), value
        assert isinstance(value, dict)
        child = value.get("children", [{}])
        assert all(c.get("children") in (None, []) for c in child), "one level of recursion, no more"


def test_dynamic_ref_recursion_loads(write_spec: SpecWriter, make_app: Any) -> None:
    tree = {
        "$dynamicAnchor": "node",
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$dynamicRef": "#node"}},
        },
    }
    client = _tree_client(write_spec, make_app, {"Tree": tree}, "Tree")
    body = {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]}
    assert client.patch("/v2/things/a", json=body).status_code == 200
    body["children"][0]["children"][0]["value"] = "three"
    assert client.patch("/v2/things/a", json=body).status_code == 422


def test_recursive_ref_recursion_loads(write_spec: SpecWriter, make_app: Any) -> None:
    tree = {
        "$recursiveAnchor": True,
        "type": "object",
        "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$recursiveRef": "#"}}},
    }
    client = _tree_client(write_spec, make_app, {"Tree": tree}, "Tree")
    assert client.patch("/v2/things/a", json={"value": 1, "children": [{"value": 2}]}).status_code == 200
    assert client.patch("/v2/things/a", json={"value": 1, "children": [{"value": "2"}]}).status_code == 422


# -- several files ---------------------------------------------------------------------------


def test_references_to_other_local_files_are_read_relative_to_the_referring_file(tmp_path: Path, make_app: Any) -> None:
    from starlette.testclient import TestClient

    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "pet.yaml").write_text(
        "Pet:\n  type: object\n  required: [name, tag]\n  properties:\n    name: {type: string}\n"
        "    tag: {$ref: './common.yaml#/Tag'}\n",
        encoding="utf-8",
    )
    (tmp_path / "schemas" / "common.yaml").write_text("Tag:\n  type: string\n  maxLength: 5\n", encoding="utf-8")
    document = minimal_spec({"$ref": "./schemas/pet.yaml#/Pet"})
    (tmp_path / "api").mkdir()
    document = minimal_spec({"$ref": "../schemas/pet.yaml#/Pet"})
    path = tmp_path / "api" / "openapi.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    client = TestClient(make_app([path]))
    assert client.patch("/v2/things/a", json={"name": "Rex", "tag": "dog"}).status_code == 200
    assert client.patch("/v2/things/a", json={"name": "Rex", "tag": "a long tag"}).status_code == 422
    answer = client.get("/v2/things/a")
    assert answer.status_code in (200, 404, 405)


def test_a_recursive_schema_in_another_file_loads(tmp_path: Path, make_app: Any) -> None:
    from starlette.testclient import TestClient

    (tmp_path / "tree.yaml").write_text(
        "Tree:\n  type: object\n  properties:\n    n: {type: integer}\n"
        "    kids: {type: array, items: {$ref: '#/Tree'}}\n",
        encoding="utf-8",
    )
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump(minimal_spec({"$ref": "tree.yaml#/Tree"})), encoding="utf-8")
    client = TestClient(make_app([path]))
    assert client.patch("/v2/things/a", json={"n": 1, "kids": [{"n": 2, "kids": [{"n": 3}]}]}).status_code == 200
    assert client.patch("/v2/things/a", json={"n": 1, "kids": [{"n": 2, "kids": [{"n": "3"}]}]}).status_code == 422


def test_a_url_reference_is_one_clear_line(write_spec: SpecWriter) -> None:
    error = _error(write_spec(minimal_spec({"$ref": "https://example.com/schemas/pet.json#/Pet"})))
    assert "https://example.com/schemas/pet.json#/Pet" in str(error)
    assert "network" in str(error) and "Traceback" not in str(error)


def test_every_broken_reference_is_listed_at_once(write_spec: SpecWriter) -> None:
    schemas = {
        "Thing": {
            "type": "object",
            "properties": {
                "a": {"$ref": "#/components/schemas/MissingA"},
                "b": {"$ref": "#/components/schemas/MissingB"},
                "c": {"$ref": "missing-file.yaml#/C"},
            },
        }
    }
    message = str(_error(write_spec(minimal_spec({"$ref": "#/components/schemas/Thing"}, schemas=schemas))))
    assert "3 problems" in message
    for ref, place in (
        ("#/components/schemas/MissingA", "components.schemas.Thing.properties.a"),
        ("#/components/schemas/MissingB", "components.schemas.Thing.properties.b"),
        ("missing-file.yaml#/C", "components.schemas.Thing.properties.c"),
    ):
        assert any(ref in line and place in line for line in message.splitlines()), (ref, message)


# -- documents as they are published ---------------------------------------------------------


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name == "mockserver"]


def _quirk(
    write_spec: SpecWriter, caplog: pytest.LogCaptureFixture, document: dict[str, Any] | str, fragment: str
) -> tuple[Any, str]:
    with caplog.at_level("WARNING", logger="mockserver"):
        path = write_spec(document)
        app = create_app([path])
    lines = [line for line in _warnings(caplog) if fragment in line]
    assert len(lines) == 1, _warnings(caplog)
    assert str(path) in lines[0]
    return app, lines[0]


def test_an_unquoted_date_is_a_string(write_spec: SpecWriter, caplog: pytest.LogCaptureFixture, make_app: Any) -> None:
    from starlette.testclient import TestClient

    schema = {"type": "object", "properties": {"day": {"type": "string", "example": "DAY"}}}
    text = yaml.safe_dump(minimal_spec(schema)).replace("DAY", "2024-01-01")
    _app, line = _quirk(write_spec, caplog, text, "unquoted dates")
    assert "line " in line
    spec = load_spec(write_spec(text))
    day = spec.document["paths"]["/things/{thing_id}"]["patch"]["requestBody"]["content"]["application/json"]
    assert day["schema"]["properties"]["day"]["examples"] == ["2024-01-01"]
    client = TestClient(make_app([write_spec(text)]))
    assert client.patch("/v2/things/a", json={"day": "2024-01-01"}).status_code == 200


def test_duplicate_required_entries_are_dropped(write_spec: SpecWriter, caplog: pytest.LogCaptureFixture) -> None:
    schema = {"type": "object", "required": ["name", "name"], "properties": {"name": {"type": "string"}}}
    app, line = _quirk(write_spec, caplog, minimal_spec(schema), "duplicate entries in `required`")
    assert "requestBody.content.application/json.schema.required" in line
    [op] = app.state.apis[0].operations
    assert op.request_schema["required"] == ["name"]


def test_a_boolean_exclusive_minimum_in_31_is_read_as_30_meant(
    write_spec: SpecWriter, caplog: pytest.LogCaptureFixture, make_app: Any
) -> None:
    from starlette.testclient import TestClient

    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
            "m": {"type": "integer", "exclusiveMaximum": True},
        },
    }
    _app, line = _quirk(write_spec, caplog, minimal_spec(schema), "exclusiveMinimum")
    assert "properties.n" in line and "3 more places" in line  # n and m, in the request and the answer
    client = TestClient(make_app([write_spec(minimal_spec(schema))]))
    assert client.patch("/v2/things/a", json={"n": 1, "m": 5}).status_code == 200
    assert client.patch("/v2/things/a", json={"n": 0}).status_code == 422


def test_unknown_formats_are_accepted_and_named(
    write_spec: SpecWriter, caplog: pytest.LogCaptureFixture, make_app: Any
) -> None:
    from starlette.testclient import TestClient

    schema = {
        "type": "object",
        "properties": {"id": {"type": "string", "format": "snowflake"}, "n": {"type": "integer", "format": "uint64"}},
    }
    _app, line = _quirk(write_spec, caplog, minimal_spec(schema), "formats the mock does not know")
    assert "snowflake" in line and "uint64" in line
    client = TestClient(make_app([write_spec(minimal_spec(schema))]))
    assert client.patch("/v2/things/a", json={"id": "anything at all", "n": 3}).status_code == 200


def test_nullable_in_31_is_noted(write_spec: SpecWriter, caplog: pytest.LogCaptureFixture) -> None:
    schema = {"type": "object", "properties": {"note": {"type": "string", "nullable": True}}}
    _quirk(write_spec, caplog, minimal_spec(schema), "`nullable`")


def test_a_document_with_only_webhooks_serves_its_index(
    write_spec: SpecWriter, caplog: pytest.LogCaptureFixture
) -> None:
    from starlette.testclient import TestClient

    document = {
        "openapi": "3.1.0",
        "info": {"title": "hooks", "version": "1"},
        "webhooks": {"newPet": {"post": {"responses": {"200": {"description": "ok"}}}}},
    }
    app, line = _quirk(write_spec, caplog, document, "only webhooks")
    assert "nothing but its index" in line
    assert app.state.apis[0].operations == []
    index = TestClient(app).get("/")
    assert index.status_code == 200


def test_a_well_formed_document_logs_no_warning(write_spec: SpecWriter, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="mockserver"):
        create_app([write_spec(minimal_spec())])
    assert _warnings(caplog) == []


def test_path_items_and_parameters_in_files_of_their_own(tmp_path: Path, make_app: Any) -> None:
    from starlette.testclient import TestClient

    (tmp_path / "paths").mkdir()
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "limit.yaml").write_text(
        "name: limit\nin: query\nschema: {type: integer, maximum: 10}\n", encoding="utf-8"
    )
    (tmp_path / "paths" / "things_{id}.yaml").write_text(
        "get:\n  operationId: getThing\n  parameters:\n    - $ref: ../parameters/limit.yaml\n      required: true\n"
        "    - {name: id, in: path, required: true, schema: {type: string}}\n"
        "  responses:\n    '200':\n      description: ok\n      content:\n        application/json:\n"
        "          schema: {type: object, properties: {id: {type: string}}}\n",
        encoding="utf-8",
    )
    root = {
        "openapi": "3.1.0",
        "info": {"title": "split", "version": "1"},
        "paths": {"/things/{id}": {"$ref": "paths/things_{id}.yaml"}},
    }
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(root), encoding="utf-8")
    client = TestClient(make_app([path]))
    assert client.get("/things/a", params={"limit": 3}).status_code == 200
    assert client.get("/things/a", params={"limit": 30}).status_code == 422
    # 3.1: a Reference Object's fields other than summary and description are ignored.
    assert client.get("/things/a").status_code == 200, "`required: true` beside the $ref is ignored"


def test_a_broken_referred_file_is_named_with_its_line(write_spec: SpecWriter, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("X: {type: [\n", encoding="utf-8")
    message = str(_error(write_spec(minimal_spec({"$ref": "bad.yaml#/X"}))))
    assert "bad.yaml#/X" in message and f"{tmp_path / 'bad.yaml'}: line 2" in message


def test_a_pattern_that_is_no_regular_expression_is_refused_at_start_up_with_its_place(write_spec: SpecWriter) -> None:
    """Answers' validators are compiled on first use; their patterns are still checked at once."""
    bad = {"type": "object", "properties": {"code": {"type": "string", "pattern": "(unclosed"}}}
    responses = {"200": {"description": "ok", "content": {"application/json": {"schema": bad}}}}
    path = write_spec(minimal_spec({"type": "object"}, responses=responses))
    with pytest.raises(SpecError) as caught:
        create_app([path])
    message = str(caught.value)
    assert "'(unclosed'" in message and "responses.200" in message and "properties.code.pattern" in message
    assert "\n" not in message
