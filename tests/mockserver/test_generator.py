"""Body generation: every generated value validates against its schema (checked with the
pure-Python `jsonschema`), looks real by format and property name, keeps related timestamps
ordered, honours const/enum, and depends only on the seed it is given."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.generator import GenContext, Generator, compile_generator, seeded_context
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
