"""Strings into typed values, by schema: what a parameter (or a form field) sent as text
holds. Compiled once per schema (`compile_coercer`, `scalar_coercer`), run per request.

Integers, numbers and booleans (`true`/`false`) where the schema allows them (tried in that
order for a union), `null` where null is allowed, else the text itself; arrays per item and
objects per property, from the `Node` a parameter style produced. What cannot be read is a
`Violation` located relative to the value (`(1,)`, `("age",)`), returned, never raised.
`with_format_ranges` gives `int32`, `int64` and `float` their bounds for the schema check.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from typing import Any

from mockserver.diagnostics import Violation
from mockserver.types import JSON, Loc, Schema

Node = str | list[str] | dict[str, Any]
"""A value as a style delivers it: one string, repeated strings, or named parts (objects)."""

Coercer = Callable[[Node], JSON | Violation]

_DEPTH = 8  # nested object properties (deepObject) compiled this deep; deeper ones are text
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_RANGES: dict[str, tuple[float, float]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "float": (-3.4028234663852886e38, 3.4028234663852886e38),
}
_NOT_SCALAR = {
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
}


def primary_type(schema: Schema) -> str:
    """The type a value is read as: the first non-null declared type (of `type`, else of the
    `anyOf`/`oneOf`/`allOf` branches), else what the keywords imply."""
    kinds = _kinds(schema)
    found = next((kind for kind in kinds if kind != "null"), "null" if kinds else None)
    if found is not None:
        return found
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    return "array" if "items" in schema or "prefixItems" in schema else "string"


def allows_null(schema: Schema) -> bool:
    """Whether `schema` declares `null` among its types (of `type`, or of its union branches)."""
    return "null" in _kinds(schema)


def _kinds(schema: Schema, depth: int = 0) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [str(k) for k in kind]
    found: list[str] = []
    if depth < 4:
        for keyword in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(keyword) or []:
                if isinstance(branch, dict):
                    found.extend(k for k in _kinds(branch, depth + 1) if k not in found)
    return found


def _to_int(raw: str) -> JSON | Violation:
    if _INTEGER.fullmatch(raw) and len(raw) <= 4_300:  # Python's limit for int(str)
        return int(raw)
    return Violation((), "Input should be a valid integer, unable to parse string as an integer", "int_parsing", raw)


def _to_number(raw: str) -> JSON | Violation:
    if not _NUMBER.fullmatch(raw):
        return Violation((), "Input should be a valid number, unable to parse string as a number", "float_parsing", raw)
    if len(raw) < 300 and _INTEGER.fullmatch(raw):
        return int(raw)  # `5` stays the JSON number 5
    value = float(raw)
    if not math.isfinite(value):
        return Violation((), "Input should be a finite number", "finite_number", raw)
    return value


def _to_bool(raw: str) -> JSON | Violation:
    if raw in ("true", "false"):
        return raw == "true"
    return Violation((), "Input should be a valid boolean, unable to interpret input", "bool_parsing", raw)


_PARSERS: dict[str, Callable[[str], JSON | Violation]] = {
    "integer": _to_int,
    "number": _to_number,
    "boolean": _to_bool,
}


def _scalar(schema: Schema) -> Callable[[str], JSON | Violation]:
    kinds = _kinds(schema)
    parsers = [_PARSERS[kind] for kind in ("integer", "number", "boolean") if kind in kinds]
    as_text = not parsers or any(kind not in (*_PARSERS, "null") for kind in kinds)
    nullable = "null" in kinds

    def parse(raw: str) -> JSON | Violation:
        if nullable and raw == "null":  # how clients write null in a URL or a form
            return None
        first: Violation | None = None
        for parser in parsers:
            value = parser(raw)
            if not isinstance(value, Violation):
                return value
            first = first or value
        return raw if as_text or first is None else first

    return parse


def _under(part: str | int, violation: Violation) -> Violation:
    return Violation((part, *violation.loc), violation.msg, violation.type, violation.input)


def compile_coercer(schema: Schema, depth: int = 0) -> Coercer:
    """How a `Node` becomes the typed value `schema` describes."""
    kind = primary_type(schema)
    if depth > _DEPTH:
        return as_sent
    if kind == "array":
        items = schema.get("items")
        item = compile_coercer(items if isinstance(items, dict) else {}, depth + 1)

        def array(node: Node) -> JSON | Violation:
            if isinstance(node, dict):
                if not all(key.isascii() and key.isdigit() for key in node):
                    return Violation((), "Input should be a valid list", "list_type", as_sent(node))
                node = [node[key] for key in sorted(node, key=int)]  # `tags[0]=a&tags[1]=b`
            out: list[JSON] = []
            for index, part in enumerate([node] if isinstance(node, str) else node):
                value = item(part)
                if isinstance(value, Violation):
                    return _under(index, value)
                out.append(value)
            return out

        return array
    if kind == "object":
        properties = {
            str(key): compile_coercer(sub, depth + 1)
            for key, sub in (schema.get("properties") or {}).items()
            if isinstance(sub, dict)
        }
        extra = schema.get("additionalProperties")
        other = compile_coercer(extra, depth + 1) if isinstance(extra, dict) else as_sent

        def obj(node: Node) -> JSON | Violation:
            if not isinstance(node, dict):
                return Violation((), "Input should be a valid dictionary", "dict_type", as_sent(node))
            out: dict[str, JSON] = {}
            for key, part in node.items():
                value = properties.get(key, other)(part)
                if isinstance(value, Violation):
                    return _under(key, value)
                out[key] = value
            return out

        return obj
    parse = _scalar(schema)
    kind_error, kind_message = _NOT_SCALAR.get(kind, ("string_type", "Input should be a valid string"))

    def scalar(node: Node) -> JSON | Violation:
        if isinstance(node, dict):
            return Violation((), kind_message, kind_error, as_sent(node))
        return parse(node if isinstance(node, str) else node[0])

    return scalar


def as_sent(node: Node) -> JSON:
    """A node as the client sent it: text, a list of texts, an object of those."""
    if isinstance(node, dict):
        return {key: as_sent(value) for key, value in node.items()}
    if isinstance(node, list):
        return node[0] if len(node) == 1 else list(node)
    return node


def scalar_coercer(schema: Schema, loc: Loc) -> Callable[[str], JSON | Violation]:
    """A string as the schema's scalar, or the violation located at `loc` (form fields)."""
    parse = _scalar(schema)

    def coerce(raw: str) -> JSON | Violation:
        value = parse(raw)
        return (
            Violation((*loc, *value.loc), value.msg, value.type, value.input) if isinstance(value, Violation) else value
        )

    return coerce


INTEGER_FORMATS = ("int32", "int64")


def with_format_ranges(schema: Schema, formats: Collection[str] | None = None) -> Schema:
    """`schema` with `minimum`/`maximum` wherever `format` is `int32`, `int64` or `float` (or
    only those of `formats`): JSON Schema validators do not check these formats. `schema`
    itself when it has none."""
    memo: dict[int, Any] = {}

    def walk(node: Any, depth: int) -> Any:
        if depth > 64:
            return node
        if isinstance(node, list):
            new = [walk(value, depth + 1) for value in node]
            return node if all(a is b for a, b in zip(new, node, strict=True)) else new
        if not isinstance(node, dict):
            return node
        if id(node) in memo:
            return memo[id(node)]
        memo[id(node)] = node  # a recursive schema meets the original on its way back
        changed = {
            key: new
            for key, value in node.items()
            if key not in ("enum", "const", "default", "example", "examples")
            and (new := walk(value, depth + 1)) is not value
        }
        fmt = node.get("format")
        bounds = _RANGES.get(fmt) if isinstance(fmt, str) and (formats is None or fmt in formats) else None
        if bounds is not None and not _typed_for(node.get("type"), str(fmt)):
            bounds = None  # `{"type": "number", "format": "int32"}` (Box): not an integer, not bounded
        if not changed and bounds is None:
            return node
        out = {**node, **changed}
        if bounds is not None:
            low, high = bounds
            if not _number(out.get("minimum")) or out["minimum"] < low:
                out["minimum"] = low
            if not _number(out.get("maximum")) or out["maximum"] > high:
                out["maximum"] = high
        memo[id(node)] = out
        return out

    result: Schema = walk(schema, 0)
    return result


def _typed_for(kind: Any, fmt: str) -> bool:
    """Whether a node of type `kind` is what format `fmt` bounds: integers for `int32`/`int64`,
    numbers for `float` (no `type`: as Schemathesis, both)."""
    wanted = "integer" if fmt in INTEGER_FORMATS else "number"
    kinds = kind if isinstance(kind, list) else [kind]
    return kind is None or wanted in kinds or (wanted == "number" and "integer" in kinds)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
