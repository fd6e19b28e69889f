"""Body generation: every generated value validates against its schema (checked with the
pure-Python `jsonschema`), looks real by format and property name, keeps related timestamps
ordered, honours const/enum, and depends only on the seed it is given."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import subprocess
import sys
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.generator import GenContext, Generator, compile_generator, lazy, seeded_context
from tests.mockserver.conftest import NOW

DAY = 86_400.0


def _ctx(seed: int, status: int = 200) -> GenContext:
    return GenContext(rng=random.Random(seed), now=NOW, status=status)


def _parse(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


SCHEMAS: dict[str, dict[str, Any]] = {
    "scalars": {
        "type": "object",
        "required": ["a", "b", "c", "d"],
        "properties": {
            "a": {"type": "string", "minLength": 3, "maxLength": 5},
            "b": {"type": "integer", "minimum": 10, "maximum": 12},
            "c": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "d": {"type": "boolean"},
            "f": {"type": "null"},
        },
    },
    "formats": {
        "type": "object",
        "required": ["when", "day", "uid", "mail", "link", "host", "ip"],
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "uid": {"type": "string", "format": "uuid"},
            "mail": {"type": "string", "format": "email"},
            "link": {"type": "string", "format": "uri"},
            "host": {"type": "string", "format": "hostname"},
            "ip": {"type": "string", "format": "ipv4"},
        },
    },
    "enums": {
        "type": "object",
        "required": ["kind", "only", "fixed", "obj"],
        "properties": {
            "kind": {"type": "string", "enum": ["alpha", "beta", "gamma"]},
            "only": {"type": "string", "enum": ["solo"]},
            "fixed": {"const": 42},
            "obj": {"const": {"nested": [1, 2]}},
        },
    },
    "unions": {
        "type": "object",
        "required": ["maybe", "either", "typed", "all"],
        "properties": {
            "maybe": {"anyOf": [{"type": "string", "maxLength": 4}, {"type": "null"}]},
            "either": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^x+$"}]},
            "typed": {"type": ["integer", "null"], "minimum": 3},
            "all": {
                "allOf": [
                    {"type": "object", "required": ["p"], "properties": {"p": {"type": "string"}}},
                    {"required": ["q"], "properties": {"q": {"type": "integer"}}},
                ]
            },
        },
    },
    "arrays": {
        "type": "object",
        "required": ["few", "many", "unique", "free"],
        "properties": {
            "few": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
            "many": {"type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 6},
            "unique": {"type": "array", "items": {"type": "boolean"}, "uniqueItems": True, "minItems": 1},
            "free": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
    "closed": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "pattern": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"}},
    },
    "examples": {
        "type": "object",
        "required": ["role", "emoji"],
        "properties": {
            "role": {"type": "string", "examples": ["user"]},
            "emoji": {"type": "string", "default": "🧠"},
        },
    },
}


@pytest.fixture(scope="module")
def generators() -> dict[str, Generator]:
    # Compiled once, outside hypothesis: compiling is start-up work, not per-example work.
    return {name: compile_generator(schema) for name, schema in SCHEMAS.items()}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_generated_values_validate(generators: dict[str, Generator], name: str, seed: int) -> None:
    schema = SCHEMAS[name]
    value = generators[name](_ctx(seed))
    errors = [
        e.message
        for e in Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(value)
    ]
    assert errors == [], value


CONSTRAINED = [
    {"type": "integer", "minimum": 5, "maximum": 5},
    {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3},
    {"type": "integer", "minimum": 1_000_000},
    {"type": "integer", "maximum": -3},
    {"type": "number", "minimum": -5, "maximum": -4},
    {"type": "number", "exclusiveMinimum": 99.5},
    {"type": "integer", "multipleOf": 5, "minimum": 1, "maximum": 100},
    {"type": "number", "multipleOf": 0.5, "exclusiveMinimum": 0, "maximum": 1},
    {"type": "number", "multipleOf": 0.1, "minimum": 0, "maximum": 1},
    {"type": "number", "exclusiveMaximum": 0},
    {"type": "string", "maxLength": 0},
    {"type": "string", "minLength": 300},
    {"type": "array", "items": {"type": "integer"}, "minItems": 10},
    {"type": "array", "items": {"type": "boolean"}, "uniqueItems": True, "minItems": 2},
    {"type": "object", "minProperties": 3},
    {"type": "object", "maxProperties": 0},
]


@pytest.mark.parametrize("schema", CONSTRAINED, ids=[repr(s)[:60] for s in CONSTRAINED])
def test_constrained_values_validate(schema: dict[str, Any]) -> None:
    generate = compile_generator(schema)
    validator = Draft202012Validator(schema)
    bad = [value for value in (generate(_ctx(seed)) for seed in range(300)) if not validator.is_valid(value)]
    assert bad == [], f"{len(bad)} of 300 break the schema, e.g. {bad[:3]}"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_const_and_single_enum_are_honoured(seed: int) -> None:
    value = compile_generator(SCHEMAS["enums"])(_ctx(seed))
    assert value["only"] == "solo"
    assert value["fixed"] == 42
    assert value["obj"] == {"nested": [1, 2]}
    assert value["kind"] in ("alpha", "beta", "gamma")


def test_enum_values_are_all_reachable() -> None:
    generate = compile_generator({"type": "string", "enum": ["alpha", "beta", "gamma"]})
    assert {generate(_ctx(seed)) for seed in range(60)} == {"alpha", "beta", "gamma"}


def test_const_object_is_not_shared_between_answers() -> None:
    generate = compile_generator(SCHEMAS["enums"])
    first = generate(_ctx(1))
    first["obj"]["nested"].append(3)
    assert generate(_ctx(2))["obj"] == {"nested": [1, 2]}


TIMESTAMPS = {
    "type": "object",
    "required": ["created_at", "started_at", "finished_at", "updated_at", "completed_at", "ended_at"],
    "properties": {
        key: {"type": "string", "format": "date-time"}
        for key in ("created_at", "started_at", "finished_at", "updated_at", "completed_at", "ended_at")
    },
}


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_timestamps_are_ordered_and_in_the_recent_past(seed: int) -> None:
    value = compile_generator(TIMESTAMPS)(_ctx(seed))
    at = {key: _parse(stamp) for key, stamp in value.items()}
    assert at["created_at"] <= at["updated_at"]
    assert at["started_at"] <= at["finished_at"]
    assert at["created_at"] <= at["finished_at"] <= at["updated_at"]
    assert at["started_at"] <= at["ended_at"]
    for stamp in at.values():
        assert NOW - 60 * DAY <= stamp <= NOW


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_nullable_timestamps_keep_their_order(seed: int) -> None:
    nullable = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
    schema = {
        "type": "object",
        "required": ["started_at", "finished_at"],
        "properties": {"started_at": nullable, "finished_at": nullable},
    }
    value = compile_generator(schema)(_ctx(seed))
    if value["started_at"] is not None and value["finished_at"] is not None:
        assert _parse(value["started_at"]) <= _parse(value["finished_at"])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_values_look_real_by_name(seed: int) -> None:
    schema = {
        "type": "object",
        "required": ["id", "url", "latitude", "longitude", "email", "conversation_id", "status_code"],
        "properties": {
            "id": {"type": "string"},
            "conversation_id": {"type": "string"},
            "url": {"type": "string"},
            "latitude": {"type": "number"},
            "longitude": {"type": "number"},
            "email": {"type": "string"},
            "status_code": {"type": "integer"},
        },
    }
    value = compile_generator(schema)(_ctx(seed, status=429))
    for key in ("id", "conversation_id"):
        assert re.fullmatch(r"[A-Za-z0-9_-]{6,}", value[key]), value[key]
    parts = urlsplit(value["url"])
    assert parts.scheme in ("http", "https") and parts.netloc
    assert -90 <= value["latitude"] <= 90 and -180 <= value["longitude"] <= 180
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", value["email"])
    assert value["status_code"] == 429


def test_uuid_format_gives_uuids() -> None:
    generate = compile_generator({"type": "string", "format": "uuid"})
    values = {generate(_ctx(seed)) for seed in range(20)}
    assert len(values) == 20
    for text in values:
        uuid.UUID(text)


def test_same_seed_same_value_other_seed_other_value() -> None:
    generate = compile_generator(SCHEMAS["formats"])
    first = generate(seeded_context(("seed", 1), NOW))
    assert generate(seeded_context(("seed", 1), NOW)) == first
    assert any(generate(seeded_context(("seed", n), NOW)) != first for n in range(2, 6))


PET: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "owner"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "name": {"type": "string", "minLength": 1},
        "tag": {"type": "string"},
        "owner": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
    },
}


@pytest.mark.parametrize("seed", range(10))
def test_skipped_fields_are_left_out_of_the_top_level_object_only(seed: int) -> None:
    ctx = _ctx(seed)
    ctx.skip = frozenset({"id", "name"})
    value = compile_generator(PET)(ctx)
    assert isinstance(value, dict) and "id" not in value and "name" not in value
    assert "name" in value["owner"]  # the nested object's own `name` is made
    assert ctx.skip == frozenset()  # taken by the object it was for
    assert {"id", "name"} <= set(compile_generator(PET)(_ctx(seed)))


def test_a_context_made_from_a_seed_seeds_its_rng_only_when_drawn_from() -> None:
    ctx = seeded_context(("pets", 7), NOW)
    ctx.skip = frozenset(PET["properties"])
    assert compile_generator(PET)(ctx) == {}
    with pytest.raises(AttributeError):  # the slot itself: never filled, so nothing was seeded
        GenContext.rng.__get__(ctx, GenContext)  # type: ignore[attr-defined]
    assert ctx.rng.random() == random.Random(repr(("pets", 7))).random()  # seeded as before, on first use


_TIED: dict[str, dict[str, Any]] = {  # rules `_object` applies itself (none of them guarded)
    "a span": {
        "type": "object",
        "required": ["start", "end"],
        "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}},
    },
    "minProperties": {"type": "object", "minProperties": 2, "properties": {"a": {"type": "string"}, "end": {}}},
    "a place": {
        "type": "object",
        "required": ["latitude", "end"],
        "properties": {"latitude": {"type": "number"}, "longitude": {"type": "number"}, "end": {"type": "string"}},
    },
}


@pytest.mark.parametrize("rule", _TIED)
@pytest.mark.parametrize("seed", range(5))
def test_skip_is_ignored_where_a_rule_ties_the_fields_together(rule: str, seed: int) -> None:
    ctx = _ctx(seed)
    ctx.skip = frozenset({"end"})
    value = compile_generator(_TIED[rule])(ctx)
    assert isinstance(value, dict) and "end" in value  # made after all: the rule may need it
    Draft202012Validator(_TIED[rule]).validate(value)


def test_pattern_values_do_not_depend_on_the_process() -> None:
    """Two compilations of one schema, in this process and in another one, answer alike."""
    schema = SCHEMAS["closed"]
    first = [compile_generator(schema)(_ctx(seed)).get("pattern") for seed in range(30)]
    second = [compile_generator(schema)(_ctx(seed)).get("pattern") for seed in range(30)]
    assert first == second
    program = (
        "import json, random, sys\n"
        "from mockserver.generator import GenContext, compile_generator\n"
        "schema = json.loads(sys.argv[1])\n"
        "values = [compile_generator(schema)(GenContext(random.Random(s), float(sys.argv[2]))).get('pattern')"
        " for s in range(30)]\n"
        "print(json.dumps(values))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, json.dumps(schema), repr(NOW)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
    )
    assert json.loads(result.stdout) == first


def test_generator_uses_no_global_random_state() -> None:
    generate = compile_generator(SCHEMAS["arrays"])
    random.seed(1)
    first = generate(_ctx(7))
    random.seed(2)
    assert generate(_ctx(7)) == first


# One small schema per keyword the generator must honour (issue 8), several where the keyword
# meets another one (a format, lengths, a closed object). Each is checked over many seeds by
# jsonschema_rs (the mock's own check) and by the pure-Python `jsonschema`.
KEYWORDS: dict[str, dict[str, Any]] = {
    "propertyNames-pattern": {
        "type": "object",
        "propertyNames": {"pattern": "^[a-z]{2,5}$"},
        "minProperties": 2,
        "additionalProperties": {"type": "integer"},
    },
    "propertyNames-maxLength": {
        "type": "object",
        "propertyNames": {"maxLength": 3},
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
        "minProperties": 1,
    },
    "propertyNames-enum-required": {
        "type": "object",
        "propertyNames": {"enum": ["a", "b", "c"]},
        "minProperties": 2,
        "required": ["a"],
    },
    "pattern-format-date": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "pattern-format-email": {"type": "string", "format": "email", "pattern": "^[a-z]+@[a-z]+\\.com$"},
    "pattern-format-uuid": {"type": "string", "format": "uuid", "pattern": "^[0-9a-f-]{36}$"},
    "pattern-format-datetime": {"type": "string", "format": "date-time", "pattern": "Z$"},
    "oneOf-overlap": {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]},
    "oneOf-objects": {
        "oneOf": [
            {"type": "object", "properties": {"x": {"type": "string"}}},
            {"type": "object", "properties": {"y": {"type": "integer"}}},
        ]
    },
    "oneOf-strings": {"oneOf": [{"type": "string"}, {"type": "string", "format": "email"}]},
    "oneOf-mostly-overlap": {"oneOf": [{"type": "string", "maxLength": 30}, {"type": "string", "minLength": 3}]},
    "anyOf-discriminator": {
        "anyOf": [
            {
                "type": "object",
                "required": ["kind", "bark"],
                "properties": {"kind": {"type": "string"}, "bark": {"type": "boolean"}},
                "x-mock-discriminator": ["kind", "dog"],
            },
            {
                "type": "object",
                "required": ["kind", "meow"],
                "properties": {"kind": {"type": "string"}, "meow": {"type": "integer"}},
                "x-mock-discriminator": ["kind", "cat"],
            },
        ],
        "discriminator": {"propertyName": "kind"},
    },
    "allOf-discriminator": {
        "allOf": [
            {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"type": "string", "enum": ["dog", "cat"]}},
                "discriminator": {"propertyName": "kind", "mapping": {"dog": "#/Dog"}},
            },
            {
                "type": "object",
                "required": ["bark"],
                "properties": {"bark": {"type": "boolean"}, "kind": {"const": "dog"}},
            },
        ]
    },
    "uniqueItems-objects": {
        "type": "array",
        "uniqueItems": True,
        "minItems": 3,
        "items": {
            "type": "object",
            "required": ["n"],
            "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 5}},
            "additionalProperties": False,
        },
    },
    "uniqueItems-small-enum": {
        "type": "array",
        "uniqueItems": True,
        "minItems": 3,
        "maxItems": 3,
        "items": {"enum": ["a", "b", "c"]},
    },
    "uniqueItems-small-enum-many": {
        "type": "array",
        "uniqueItems": True,
        "minItems": 2,
        "maxItems": 10,
        "items": {"type": "string", "enum": ["a", "b", "c"]},
    },
    "uniqueItems-booleans": {"type": "array", "uniqueItems": True, "minItems": 2, "items": {"type": "boolean"}},
    "minProperties-closed": {
        "type": "object",
        "minProperties": 3,
        "additionalProperties": False,
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "string"},
            "c": {"type": "string"},
            "d": {"type": "string"},
        },
    },
    "maxProperties-required": {
        "type": "object",
        "maxProperties": 2,
        "required": ["a"],
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}},
    },
    "minProperties-patternProperties": {
        "type": "object",
        "minProperties": 2,
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": False,
    },
    "dependentRequired": {
        "type": "object",
        "properties": {
            "card": {"type": "string"},
            "cvv": {"type": "string", "pattern": "^[0-9]{3}$"},
            "zip": {"type": "string"},
        },
        "dependentRequired": {"card": ["cvv", "zip"]},
    },
    "dependentRequired-closed": {
        "type": "object",
        "additionalProperties": False,
        "maxProperties": 2,
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}},
        "dependentRequired": {"a": ["b", "c"]},
    },
    "dependentSchemas": {
        "type": "object",
        "properties": {"kind": {"type": "string"}, "size": {"type": "integer"}},
        "dependentSchemas": {"kind": {"required": ["size"], "properties": {"size": {"minimum": 10, "maximum": 20}}}},
    },
    "if-then-else": {
        "type": "object",
        "required": ["country"],
        "properties": {"country": {"enum": ["US", "CA"]}, "postal": {"type": "string"}},
        "if": {"properties": {"country": {"const": "US"}}},
        "then": {"properties": {"postal": {"pattern": "^[0-9]{5}$"}}, "required": ["postal"]},
        "else": {"properties": {"postal": {"pattern": "^[A-Z][0-9][A-Z] [0-9][A-Z][0-9]$"}}},
    },
    "if-then-numbers": {"type": "integer", "if": {"minimum": 100}, "then": {"multipleOf": 7}, "else": {"maximum": 50}},
    "contains": {"type": "array", "items": {"type": "integer"}, "contains": {"minimum": 100}},
    "contains-min-max": {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 200},
        "contains": {"minimum": 100},
        "minContains": 2,
        "maxContains": 3,
        "maxItems": 5,
    },
    "contains-const": {"type": "array", "items": {"type": "string"}, "contains": {"const": "admin"}, "maxContains": 1},
    "prefixItems-closed": {
        "type": "array",
        "prefixItems": [{"type": "string", "format": "date"}, {"type": "integer"}, {"type": "boolean"}],
        "items": False,
        "minItems": 2,
    },
    "prefixItems-open": {
        "type": "array",
        "prefixItems": [{"const": "point"}, {"type": "number"}],
        "items": {"type": "string", "maxLength": 2},
        "minItems": 4,
    },
    "const-in-allOf": {
        "allOf": [
            {"type": "object", "properties": {"k": {"type": "string", "enum": ["x", "y"]}}, "required": ["k"]},
            {"properties": {"k": {"const": "x"}}},
        ]
    },
    "enum-in-anyOf": {
        "anyOf": [{"type": "string", "enum": ["red", "green"]}, {"type": "integer", "enum": [1, 2]}],
        "not": {"const": "red"},
    },
    "enum-with-type": {"allOf": [{"type": "string"}, {"enum": ["a", "b", 3]}]},
    "allOf-merge-props": {
        "allOf": [
            {"type": "object", "properties": {"n": {"type": "integer", "minimum": 10}}, "required": ["n"]},
            {"properties": {"n": {"maximum": 12}}},
        ]
    },
    "not-enum": {"type": "string", "enum": ["a", "b", "c"], "not": {"enum": ["a", "b"]}},
    "not-type": {"not": {"type": ["string", "null", "object", "array", "boolean"]}},
    "not-multiple": {"type": "integer", "minimum": 0, "maximum": 20, "not": {"multipleOf": 2}},
    "not-required": {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "required": ["a"],
        "not": {"required": ["b"]},
    },
    "multipleOf-float": {"type": "number", "multipleOf": 0.01, "minimum": 0.015, "maximum": 0.05},
    "multipleOf-large": {"type": "integer", "multipleOf": 1000, "minimum": 1, "maximum": 5500},
    "multipleOf-exclusive": {"type": "number", "multipleOf": 0.25, "exclusiveMinimum": 1, "exclusiveMaximum": 1.5},
    "multipleOf-integer-fraction": {"type": "integer", "multipleOf": 2.5, "minimum": 1, "maximum": 12},
    "multipleOf-odd": {"type": "number", "multipleOf": 0.3, "minimum": 0, "maximum": 2},
    "multipleOf-big-bounds": {"type": "integer", "multipleOf": 7, "minimum": 1000000000, "maximum": 1000000100},
    "minLength-email": {"type": "string", "format": "email", "minLength": 40},
    "maxLength-email": {"type": "string", "format": "email", "maxLength": 10},
    "maxLength-datetime": {"type": "string", "format": "date-time", "maxLength": 20},
    "minLength-datetime": {"type": "string", "format": "date-time", "minLength": 25},
    "maxLength-uri": {"type": "string", "format": "uri", "maxLength": 20},
    "minLength-uri": {"type": "string", "format": "uri", "minLength": 80},
    "minLength-date": {"type": "string", "format": "date", "maxLength": 10, "minLength": 10},
    "maxLength-hostname": {"type": "string", "format": "hostname", "maxLength": 8},
    "maxLength-pattern": {"type": "string", "pattern": "^[a-z]+$", "minLength": 5, "maxLength": 6},
    "maxLength-ipv6": {"type": "string", "format": "ipv6", "minLength": 20},
}


@pytest.fixture(scope="module")
def keyword_generators() -> dict[str, Generator]:
    return {name: compile_generator(schema) for name, schema in KEYWORDS.items()}


@pytest.mark.parametrize("name", list(KEYWORDS))
def test_keyword_values_validate(keyword_generators: dict[str, Generator], name: str) -> None:
    schema = KEYWORDS[name]
    mock_check = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    reference = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    values = [keyword_generators[name](_ctx(seed)) for seed in range(200)]
    bad = [v for v in values if not mock_check.is_valid(v) or not reference.is_valid(v)]
    assert bad == [], f"{len(bad)} of 200 break the schema, e.g. {bad[:3]}"


@pytest.mark.parametrize("name", ["oneOf-mostly-overlap", "if-then-else", "not-type", "propertyNames-pattern"])
def test_checked_values_depend_only_on_the_seed(name: str) -> None:
    first = [compile_generator(KEYWORDS[name])(_ctx(seed)) for seed in range(20)]
    assert [compile_generator(KEYWORDS[name])(_ctx(seed)) for seed in range(20)] == first
    assert len({json.dumps(v, sort_keys=True) for v in first}) > 1


def test_a_schema_no_value_satisfies_is_warned_about_on_first_use(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        generate = compile_generator({"type": "integer", "not": {"type": "integer"}}, "count")
        assert caplog.records == []  # checked nodes are built when first reached
        generate(_ctx(0))
        generate(_ctx(1))
    warned = [r for r in caplog.records if "found no value valid against property 'count'" in r.getMessage()]
    assert len(warned) == 1


def test_satisfiable_keyword_schemas_are_not_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        for schema in KEYWORDS.values():
            compile_generator(schema)(_ctx(0))
    assert caplog.records == []


def test_pattern_prefers_the_realistic_value_that_matches() -> None:
    uuid_pattern = {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}
    for seed in range(20):
        uuid.UUID(compile_generator(uuid_pattern, "id")(_ctx(seed)))
    words = compile_generator({"type": "string", "pattern": "^[a-z-]+$"}, "status")
    assert {words(_ctx(seed)) for seed in range(20)} <= {"active", "archived"}


@pytest.mark.parametrize(
    ("fmt", "low", "high"),
    [("email", 0, 12), ("email", 50, None), ("date-time", 0, 20), ("date-time", 26, 32), ("uri", 0, 16)],
)
def test_lengths_keep_the_format(fmt: str, low: int, high: int | None) -> None:
    schema: dict[str, Any] = {"type": "string", "format": fmt, "minLength": low}
    if high is not None:
        schema["maxLength"] = high
    generate = compile_generator(schema, "contact")
    check = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    values = [generate(_ctx(seed)) for seed in range(50)]
    assert [v for v in values if not check.is_valid(v)] == []
    assert len(set(values)) >= 5  # still varied, not one fixed filler


def test_negated_pattern_classes_do_not_depend_on_the_process() -> None:
    schema = {"type": "string", "pattern": "^[^a-z0-9]{6}$"}
    program = (
        "import json, random, sys\n"
        "from mockserver.generator import GenContext, compile_generator\n"
        "generate = compile_generator(json.loads(sys.argv[1]))\n"
        "print(json.dumps([generate(GenContext(random.Random(s), 0.0)) for s in range(10)]))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", program, json.dumps(schema)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]
    assert all(re.fullmatch(r"[^a-z0-9]{6}", v) for v in json.loads(runs[0]))


PETS_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "pets", "version": "1"},
    "paths": {
        "/pet": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Dog"},
                                        {"$ref": "#/components/schemas/Cat"},
                                    ],
                                    "discriminator": {
                                        "propertyName": "petType",
                                        "mapping": {
                                            "dog": "#/components/schemas/Dog",
                                            "cat": "#/components/schemas/Cat",
                                        },
                                    },
                                }
                            }
                        },
                    }
                }
            }
        }
    },
    "components": {
        "schemas": {
            # Both branches take any pet (no closed objects): a value is one branch's only when
            # it breaks the other one, as `oneOf` asks, whatever the discriminator says.
            "Pet": {
                "type": "object",
                "required": ["petType", "name"],
                "properties": {"petType": {"type": "string"}, "name": {"type": "string"}},
            },
            "Dog": {
                "allOf": [
                    {"$ref": "#/components/schemas/Pet"},
                    {"properties": {"bark": {"type": "boolean"}, "packSize": {"type": "integer", "minimum": 0}}},
                ]
            },
            "Cat": {
                "allOf": [
                    {"$ref": "#/components/schemas/Pet"},
                    {"properties": {"meow": {"type": "boolean"}, "lives": {"type": "integer", "maximum": 9}}},
                ]
            },
        }
    },
}


def test_discriminated_one_of_with_overlapping_branches(write_spec: Any) -> None:
    """Each value matches exactly one branch, and names that branch in its discriminator."""
    from mockserver.app import load_apis

    (op,) = load_apis([write_spec(PETS_DOCUMENT)])[0].operations
    assert op.success.schema is not None
    generate = compile_generator(op.success.schema)
    branches = {
        name: Draft202012Validator({"$ref": f"#/components/schemas/{name}", **PETS_DOCUMENT}) for name in ("Dog", "Cat")
    }
    values = [generate(_ctx(seed)) for seed in range(100)]
    for value in values:
        matched = [name.lower() for name, check in branches.items() if check.is_valid(value)]
        assert matched == [value["petType"]], value
    assert {v["petType"] for v in values} == {"dog", "cat"}


def test_a_lazy_generator_is_compiled_once_on_first_use() -> None:
    built: list[int] = []

    def build() -> Generator:
        built.append(1)
        return compile_generator({"type": "integer", "minimum": 3, "maximum": 3})

    generate = lazy(build)
    assert built == []
    ctx = seeded_context(("lazy",), NOW)
    assert generate(ctx) == 3 and generate(ctx) == 3
    assert built == [1]
