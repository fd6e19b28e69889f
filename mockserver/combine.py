"""Schemas combined into one, at compile time: `allOf` merges, union branches with the
keywords beside the union, and the `enum` values the rest of a schema admits.

A merge that may miss a constraint of one of its parts (two patterns, a closed object beside
another part's properties, two `oneOf`s) says so with `INEXACT`, so that the generator checks
the values it builds from it against the schema as written.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from mockserver.schemas import validator as schema_validator
from mockserver.types import JSON, Schema

INEXACT = "x-mock-inexact"  # on an `allOf` merge that may miss a constraint of a part


_LOWER = frozenset({"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"})
_UPPER = frozenset({"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"})
_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly", "discriminator", "xml"}
)


def is_annotation(key: str) -> bool:
    return key in _ANNOTATIONS or key.startswith(("x-", "$comment"))


def merge_all_of(schema: Schema) -> Schema:
    """One schema for `allOf` and its siblings: properties merged in turn, `required` joined,
    bounds and types intersected. A keyword two parts set otherwise marks the result
    `INEXACT` (the first part's value is kept), so that its values are checked."""
    merged: Schema = _without(schema, "allOf")
    exact = True
    for part in schema["allOf"]:
        if part is True:
            continue
        if not isinstance(part, dict) or "$ref" in part:  # a `$ref`: a recursion the loader kept
            exact = False  # left to the check of the whole
            continue
        if "allOf" in part:
            part = merge_all_of(part)
            exact = exact and not part.pop(INEXACT, False)
        for key, value in part.items():
            old = merged.get(key)
            if key not in merged or old == value:
                merged[key] = value
            elif key == "properties" and isinstance(old, dict) and isinstance(value, dict):
                merged[key] = {k: both(old.get(k, True), value.get(k, True)) for k in {**old, **value}}
            elif key == "required" and isinstance(old, list) and isinstance(value, list):
                merged[key] = [*old, *(k for k in value if k not in old)]
            elif key in _LOWER and _is_number(old) and _is_number(value):
                merged[key] = max(old, value)
            elif key in _UPPER and _is_number(old) and _is_number(value):
                merged[key] = min(old, value)
            elif key == "type":
                kinds = _types(old) & _types(value)
                merged[key] = sorted(kinds)[0] if len(kinds) == 1 else sorted(kinds)
                exact = exact and bool(kinds)
            elif key == "enum" and isinstance(old, list) and isinstance(value, list):
                merged[key] = [v for v in old if v in value]
            elif key in ("items", "additionalProperties", "propertyNames", "contains") and isinstance(old, dict):
                merged[key] = both(old, value)
            elif not is_annotation(key):
                exact = False
    if "additionalProperties" in merged and sum("properties" in p for p in schema["allOf"] if isinstance(p, dict)) > 1:
        exact = False  # a part's closed object refuses what another part declares
    if not exact:
        merged[INEXACT] = True
    return merged


def both(a: Any, b: Any) -> Any:
    if a is True or a == b:
        return b
    if b is True:
        return a
    if a is False or b is False:
        return False
    both = {"allOf": [a, b]}
    merged = merge_all_of(both)
    return both if merged.get(INEXACT) else merged  # compiled as an `allOf`, it is checked


def _types(kind: Any) -> set[str]:
    kinds = {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else set()
    return kinds | {"integer"} if "number" in kinds else kinds


def not_null(options: list[JSON]) -> list[JSON]:
    """An enum's values without null, unless null is all it has: a 3.0 `nullable` enum that
    does not list null admits it by one reading of the specification and not by another."""
    return [v for v in options if v is not None] or options


def _json_type(value: JSON) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    kinds = {float: "number", str: "string", list: "array", dict: "object", type(None): "null"}
    return kinds.get(type(value), "")


def admitted(schema: Schema) -> list[JSON]:
    """The `enum` values the rest of `schema` (its `type`, a `not`, bounds) admits; all of them
    when it admits none, for a schema no value satisfies is no reason to fail at start-up."""
    options = list(schema["enum"])
    rest = {k: v for k, v in schema.items() if k != "enum" and not is_annotation(k)}
    if not rest:
        return options
    if set(rest) == {"type"}:
        kinds = _types(rest["type"])
        return [v for v in options if _json_type(v) in kinds] or options
    try:
        check = schema_validator(rest, validate_formats=True).is_valid
    except (ValueError, jsonschema_rs.ValidationError):
        return options
    return [v for v in options if check(v)] or options


def with_siblings(schema: Schema, key: str, branch: Any) -> Schema:
    """A branch of `schema[key]` with the keywords beside the union, which apply to it too."""
    siblings = _without(schema, key)
    if not isinstance(branch, dict):
        return siblings
    if any(k in siblings and not is_annotation(k) for k in branch):
        merged: Schema = both(siblings, branch)  # both constrain one keyword
        return merged
    return {**siblings, **branch}


def _without(schema: Schema, key: str) -> Schema:
    return {k: v for k, v in schema.items() if k != key}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
