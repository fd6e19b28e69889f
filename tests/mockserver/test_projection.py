"""Projection: stored fields written into a generated answer where its schema accepts them;
`affirmer` makes a write's answer say it worked; `WriteOnlyCleaner` drops `writeOnly` parts."""

from __future__ import annotations

from typing import Any

from mockserver.model import object_view, schema_key
from mockserver.projection import Projector, WriteOnlyCleaner, affirmer
from mockserver.types import JSON

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}


def obj(required: list[str] | None = None, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def read_key(schema: Schema) -> str:
    return schema_key(object_view(schema))


def test_fields_copied_only_where_valid_for_the_answer() -> None:
    project = Projector(obj(id=STR, count=INT, status={"enum": ["on", "off"]}))
    assert project.identical is False
    answer: JSON = {"id": "generated", "count": 5, "status": "on"}
    resource: JSON = {"id": "r1", "count": "not a number", "status": "paused", "extra": 1}
    assert project(answer, resource) == {"id": "r1", "count": 5, "status": "on"}


def test_answer_fields_the_resource_lacks_stay_generated() -> None:
    project = Projector(obj(id=STR, kind=STR))
    assert project({"id": "g", "kind": "generated"}, {"id": "r1"}) == {"id": "r1", "kind": "generated"}


def test_nested_objects_are_projected_field_by_field() -> None:
    owner = obj(name=STR, age=INT)
    project = Projector(obj(id=STR, owner=owner))
    answer: JSON = {"id": "g", "owner": {"name": "gen", "age": 3}}
    resource: JSON = {"id": "r1", "owner": {"name": "Ann", "age": "old"}}
    assert project(answer, resource) == {"id": "r1", "owner": {"name": "Ann", "age": 3}}


def test_a_valid_nested_value_is_copied_whole() -> None:
    project = Projector(obj(owner=obj(name=STR, age=INT)))
    out = project({"owner": {"name": "gen", "age": 3}}, {"owner": {"name": "Ann", "age": 40}})
    assert out == {"owner": {"name": "Ann", "age": 40}}


def test_identical_schema_returns_the_stored_resource_itself() -> None:
    schema = obj(id=STR, title=STR)
    project = Projector(schema, read_key(schema))
    assert project.identical is True
    resource: JSON = {"id": "r1", "title": "T", "unlisted": True}
    assert project({"id": "g"}, resource) is resource


def test_other_schema_is_not_identical() -> None:
    project = Projector(obj(id=STR), read_key(obj(id=STR, title=STR)))
    assert project.identical is False
    assert Projector(obj(id=STR)).identical is False


def test_one_property_envelope_gets_the_resource_inside() -> None:
    article = obj(id=STR, title=STR)
    project = Projector(obj(article=article))
    answer: JSON = {"article": {"id": "g", "title": "gen"}}
    resource: JSON = {"id": "r1", "title": "Stored", "body": "x"}
    assert project(answer, resource) == {"article": {"id": "r1", "title": "Stored"}}


def test_envelope_around_the_read_schema_holds_the_resource_itself() -> None:
    article = obj(id=STR, title=STR)
    project = Projector(obj(article=article), read_key(article))
    resource: JSON = {"id": "r1", "title": "Stored"}
    out = project({"article": {"id": "g", "title": "gen"}}, resource)
    assert out == {"article": resource}
    assert isinstance(out, dict) and out["article"] is resource


def test_write_only_fields_are_never_projected() -> None:
    project = Projector(obj(name=STR, password={"type": "string", "writeOnly": True}))
    assert project({"name": "g"}, {"name": "Ann", "password": "hunter2"}) == {"name": "Ann"}


def test_nullable_write_only_fields_are_never_projected() -> None:
    secret: Schema = {"anyOf": [{"type": "string", "writeOnly": True}, {"type": "null"}]}
    project = Projector(obj(name=STR, secret=secret))
    assert project({"name": "g"}, {"name": "Ann", "secret": "s"}) == {"name": "Ann"}


def test_non_object_answers_pass_through() -> None:
    project = Projector(obj(id=STR))
    assert project(None, {"id": "r1"}) is None
    assert project({"id": "g"}, "not an object") == {"id": "g"}
    assert Projector(BOOL).is_object is False


def test_affirmer_boolean_answer_is_true() -> None:
    assert affirmer(BOOL)(False) is True
    assert affirmer({"type": ["boolean"]})(None) is True


def test_affirmer_boolean_that_cannot_be_true_is_left() -> None:
    assert affirmer({"type": "boolean", "const": False})(False) is False


def test_affirmer_sets_success_and_deleted() -> None:
    affirm = affirmer(obj(success=BOOL, deleted=BOOL, active=BOOL, id=STR))
    answer: JSON = {"success": False, "deleted": False, "active": False, "id": "x"}
    assert affirm(answer) == {"success": True, "deleted": True, "active": False, "id": "x"}


def test_affirmer_does_not_add_absent_fields() -> None:
    affirm = affirmer(obj(ok=BOOL, id=STR))
    assert affirm({"id": "x"}) == {"id": "x"}
    assert affirm({"ok": False}) == {"ok": True}


def test_affirmer_without_affirmations_is_the_identity() -> None:
    answer: JSON = {"id": "x", "archived": False}
    assert affirmer(obj(id=STR, archived=BOOL))(answer) == {"id": "x", "archived": False}
    assert affirmer(None)({"success": False}) == {"success": False}
    assert affirmer(obj(success=STR))({"success": "no"}) == {"success": "no"}


def test_write_only_cleaner_is_none_without_write_only() -> None:
    assert WriteOnlyCleaner.compile(obj(name=STR, inner=obj(x=INT))) is None
    assert WriteOnlyCleaner.compile(None) is None


def test_write_only_cleaner_drops_at_any_depth() -> None:
    write_only: Schema = {"type": "string", "writeOnly": True}
    schema = obj(
        name=STR,
        password=write_only,
        profile=obj(nick=STR, pin=write_only),
        keys={"type": "array", "items": obj(label=STR, secret=write_only)},
    )
    clean = WriteOnlyCleaner.compile(schema)
    assert clean is not None
    value: JSON = {
        "name": "Ann",
        "password": "p",
        "profile": {"nick": "a", "pin": "1234"},
        "keys": [{"label": "k1", "secret": "s1"}, {"label": "k2"}],
    }
    assert clean(value) == {"name": "Ann", "profile": {"nick": "a"}, "keys": [{"label": "k1"}, {"label": "k2"}]}
    assert value["password"] == "p"  # a copy, the input stays


def test_write_only_cleaner_reads_all_of_branches() -> None:
    schema: Schema = {"allOf": [obj(name=STR), obj(token={"type": "string", "writeOnly": True})]}
    clean = WriteOnlyCleaner.compile(schema)
    assert clean is not None
    assert clean({"name": "Ann", "token": "t"}) == {"name": "Ann"}


def test_affirmer_answers_a_copy_and_leaves_the_value_it_was_given() -> None:
    """The value given may be the one just stored (and encoded): it must not change."""
    affirm = affirmer(obj(success=BOOL, id=STR))
    stored: JSON = {"success": False, "id": "x"}
    assert affirm(stored) == {"success": True, "id": "x"} and stored == {"success": False, "id": "x"}
