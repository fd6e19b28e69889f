"""Loading specs: parsing, outline checks, 3.0 -> 3.1 normalisation, `$ref` inlining, and a
clear `SpecError` (file and place named) for every way a document can be broken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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


def test_recursive_schema_is_a_clear_error(write_spec: SpecWriter) -> None:
    schemas = {"Node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}}}}
    error = _error(write_spec(minimal_spec({"$ref": "#/components/schemas/Node"}, schemas=schemas)))
    assert "recursive" in str(error).lower()


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
