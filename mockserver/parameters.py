"""Parameter deserialisation: the raw strings of a query, path, header or cookie parameter
turned into a typed value the way OpenAPI's `style` and `explode` define them, compiled once
per parameter at start-up (`compile_decoder`) and run per request (`Decoder.read`).

    query   form (`tags=a&tags=b`, `tags=a,b`, objects `name=x&age=3` or `filter=name,x,age,3`),
            spaceDelimited, pipeDelimited, deepObject (`filter[name]=x&filter[age]=3`)
    path    simple (`a,b`, objects `a=1,b=2` or `a,1,b,2`), label (`.a.b`, `.a,b`),
            matrix (`;id=5`, `;tags=a;tags=b`, `;tags=a,b`)
    header  simple;  cookie  form (one cookie: arrays and objects comma-separated)
    content a parameter declared with `content` (JSON) is decoded as JSON

Strings become integers, numbers, booleans (`true`/`false`) and `null` by the schema, per array
item and per object property. A value that cannot be deserialised reads as `Undecodable`,
located at the parameter (`("query", "filter", "name")`), never as an exception. The schema a
decoded value is checked against (`Decoder.schema`) bounds `int32`, `int64` and `float`.

A query value is split on its delimiter before it is percent-decoded (OpenAPI, RFC 6570), so
`a%2Cb,c` holds `a,b` and `c`; a value without a literal delimiter is split after decoding,
as clients that encode every comma send it (`tags=a%2Cb` holds `a` and `b`). Path values come
from the router already decoded and are split after decoding.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote_plus

from mockserver.diagnostics import Violation
from mockserver.request import MockRequest
from mockserver.types import JSON, Loc, Schema

MISSING: Final[Any] = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
"""What `Decoder.read` returns for a parameter the request does not have."""

_DEPTH = 8  # nested object properties (deepObject) compiled this deep; deeper ones are text
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_RANGES: dict[str, tuple[float, float]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "float": (-3.4028234663852886e38, 3.4028234663852886e38),
}
_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
_STYLES = {
    "query": {"form", "spaceDelimited", "pipeDelimited", "deepObject"},
    "path": {"simple", "label", "matrix"},
    "header": {"simple"},
    "cookie": {"form"},
}
_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}

Node = str | list[str] | dict[str, Any]  # one value, repeated values, or named parts (objects)


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A parameter whose value cannot be deserialised, with why."""

    violation: Violation


class _Bad(Exception):
    """Internal: a part of a value that cannot be deserialised, located relative to the parameter."""

    def __init__(self, msg: str, kind: str, raw: JSON, where: Loc = ()) -> None:
        super().__init__(msg)
        self.msg, self.kind, self.raw, self.where = msg, kind, raw, where

    def under(self, part: str | int) -> _Bad:
        return _Bad(self.msg, self.kind, self.raw, (part, *self.where))

    def violation(self, loc: Loc) -> Violation:
        return Violation((*loc, *self.where), self.msg, self.kind, self.raw)


@dataclass(frozen=True, slots=True)
class Decoder:
    """How one parameter is read from a request: `read` gives its typed value, `MISSING`, or
    `Undecodable`; `schema` is what the typed value is then checked against."""

    location: str
    name: str
    schema: Schema
    _extract: Callable[[MockRequest], Node | None]
    _coerce: Callable[[Node], JSON]
    absent: JSON = MISSING  # `{}` for a required exploded object: an empty one has no wire form

    def read(self, request: MockRequest) -> JSON:
        try:
            raw = self._extract(request)
            return self.absent if raw is None else self._coerce(raw)
        except _Bad as bad:
            return Undecodable(bad.violation((self.location, self.name)))


def compile_decoder(parameter: Mapping[str, Any]) -> Decoder:
    """The decoder of one OpenAPI parameter object (`name`, `in`, `schema` or `content`, ...)."""
    name, location = str(parameter["name"]), str(parameter["in"])
    content = parameter.get("content")
    if isinstance(content, dict) and content:
        media_type, media = next(iter(content.items()))
        schema = (media.get("schema") or {}) if isinstance(media, dict) else {}
        extract = _extractor(location, name, "simple", False, "string", schema)
        decode: Callable[[Node], JSON] = _json if _is_json(str(media_type)) else _text
        return Decoder(location, name, with_format_ranges(schema), extract, decode)
    schema = parameter.get("schema") or {}
    style = str(parameter.get("style") or "")
    if style not in _STYLES.get(location, ()):
        style = _DEFAULT_STYLE.get(location, "form")
    explode = bool(parameter.get("explode", style == "form"))
    kind = primary_type(schema)
    extract = _extractor(location, name, style, explode, kind, schema)
    coerce = _node_coercer(schema, 0)
    exploded_object = location == "query" and kind == "object" and (explode or style == "deepObject")
    absent = {} if exploded_object and parameter.get("required") else MISSING
    return Decoder(location, name, with_format_ranges(schema), extract, coerce, absent)


# -- where the raw parts are, per location and style --------------------------------------


def _extractor(
    location: str, name: str, style: str, explode: bool, kind: str, schema: Schema
) -> Callable[[MockRequest], Node | None]:
    if location == "query":
        return _query_extractor(name, style, explode, kind, schema)
    if location == "path":
        return lambda request: _path_node(request.path_params.get(name), name, style, kind, explode)
    if location == "header":
        # Header lists allow spaces after the commas (RFC 9110 list syntax).
        def header(request: MockRequest) -> Node | None:
            node = _simple(request.headers.get(name.lower()), kind, explode)
            return [part.strip() for part in node] if isinstance(node, list) else node

        return header
    # A cookie holds one value: arrays and objects are comma-separated whatever `explode` says.
    return lambda request: _simple(request.cookie(name), kind, explode)


def _query_extractor(
    name: str, style: str, explode: bool, kind: str, schema: Schema
) -> Callable[[MockRequest], Node | None]:
    if kind == "object" and style == "deepObject":
        return lambda request: _bracketed(request, lambda key: key == name, name)
    if kind == "object" and explode:
        declared = frozenset((schema.get("properties") or {}).keys())
        free_form = not declared and schema.get("additionalProperties") is not False

        def exploded(request: MockRequest) -> Node | None:
            if declared:
                return _bracketed(request, declared.__contains__, name, shared=True)
            if not free_form:
                return _bracketed(request, lambda key: False, name, shared=True)
            # A free-form object takes every query key no other parameter declares.
            others = {rule.name for rule in request.op.parameters if rule.location == "query"} - {name}
            return _bracketed(request, lambda key: key not in others, name, shared=True)

        return exploded
    if kind == "array" and explode:
        return lambda request: [unquote_plus(v) for k, v in request.query_items() if k == name] or None
    if kind in ("array", "object"):
        delimiter = _DELIMITERS.get(style, ",")

        def delimited(request: MockRequest) -> Node | None:
            values = [v for k, v in request.query_items() if k == name]
            if not values:
                return None
            parts = [part for value in values for part in _split_query(value, delimiter)]
            return _pairs(parts) if kind == "object" else parts

        return delimited
    return lambda request: request.query.get(name)


def _split_query(raw: str, delimiter: str) -> list[str]:
    if raw == "":
        return []
    if delimiter != " " and delimiter in raw:
        return [unquote_plus(part) for part in raw.split(delimiter)]
    return unquote_plus(raw).split(delimiter)


def _bracketed(request: MockRequest, owns: Callable[[str], bool], name: str, *, shared: bool = False) -> Node | None:
    """An object from query keys with brackets: `name[a][b]=x` (deepObject; `shared` False) or
    `a[b]=x` (an exploded form object, whose properties share the query with other parameters)."""
    tree: dict[str, Any] = {}
    bare = False
    for key, value in request.query_items():
        base, _, rest = key.partition("[")
        if not owns(base):
            bare = bare or key == name
            continue
        path = ([base] if shared else []) + (rest[:-1].split("][") if rest else [])
        if not path or (rest and not rest.endswith("]")):
            if not shared:
                bare = True  # `filter=x` for a deepObject parameter
                continue
            path = [key]
        node = tree
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _Bad("Input should be a valid dictionary", "dict_type", child).under(part)
            node = child
        leaf = node.setdefault(path[-1], [])
        if not isinstance(leaf, list):
            raise _Bad("Input should be a valid dictionary", "dict_type", unquote_plus(value)).under(path[-1])
        leaf.append(unquote_plus(value))
    if not tree:
        if bare:
            raise _Bad("Input should be a valid dictionary", "dict_type", request.query.get(name, ""))
        return None
    return tree


def _path_node(raw: str | None, name: str, style: str, kind: str, explode: bool) -> Node | None:
    """A path segment value: `a,b` (simple), `.a.b` or `.a,b` (label), `;id=a;id=b` or
    `;id=a,b` (matrix); objects `a=1,b=2` when exploded, else `a,1,b,2`."""
    if raw is None or style == "simple":
        return _simple(raw, kind, explode)
    if style == "label":
        if not raw.startswith("."):
            raise _Bad("Value error, a label-style value starts with '.'", "value_error", raw)
        rest = raw[1:]
        if kind not in ("array", "object"):
            return rest
        parts = rest.split("." if explode else ",") if rest else []
        return parts if kind == "array" else _named(parts) if explode else _pairs(parts)
    if not raw.startswith(";"):
        raise _Bad(f"Value error, a matrix-style value starts with ';{name}='", "value_error", raw)
    parts = raw[1:].split(";")
    if kind == "object" and explode:
        return _named(parts)
    values: list[str] = []
    for part in parts if kind == "array" and explode else parts[:1]:
        key, _, value = part.partition("=")
        if key != name:
            raise _Bad(f"Value error, a matrix-style value starts with ';{name}='", "value_error", raw)
        values.append(value)
    if kind == "array" and explode:
        return values
    return _simple(values[0], kind, explode=False)


def _simple(value: str | None, kind: str, explode: bool) -> Node | None:
    """`a,b` (arrays), `a=1,b=2` (exploded objects) or `a,1,b,2` (objects); a scalar as it is."""
    if value is None or kind not in ("array", "object"):
        return value
    parts = value.split(",") if value else []
    if kind == "array":
        return parts
    return _named(parts) if explode else _pairs(parts)


def _pairs(parts: list[str]) -> dict[str, Any]:
    """`a,1,b,2` (a non-exploded object) as named parts."""
    if len(parts) % 2:
        raise _Bad("Input should be a valid dictionary, a key without a value", "dict_type", ",".join(parts))
    out: dict[str, Any] = {}
    for key, value in zip(parts[::2], parts[1::2], strict=True):
        out.setdefault(key, []).append(value)
    return out


def _named(parts: list[str]) -> dict[str, Any]:
    """`a=1,b=2` (an exploded object) as named parts."""
    out: dict[str, Any] = {}
    for part in parts:
        key, equals, value = part.partition("=")
        if not equals:
            raise _Bad("Input should be a valid dictionary, a key without a value", "dict_type", part)
        out.setdefault(key, []).append(value)
    return out


# -- typed values, per schema ---------------------------------------------------------------


def primary_type(schema: Schema) -> str:
    """The type a parameter value is deserialised as: the first non-null declared type (of
    `type`, else of the `anyOf`/`oneOf`/`allOf` branches), else what the keywords imply."""
    kinds = [kind for kind in _kinds(schema) if kind != "null"]
    if kinds:
        return kinds[0]
    if "null" in _kinds(schema):
        return "null"
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    return "array" if "items" in schema or "prefixItems" in schema else "string"


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


def _to_int(raw: str) -> JSON:
    try:
        if _INTEGER.fullmatch(raw):
            return int(raw)
    except ValueError:  # more than 4,300 digits
        pass
    raise _Bad("Input should be a valid integer, unable to parse string as an integer", "int_parsing", raw)


def _to_number(raw: str) -> JSON:
    if not _NUMBER.fullmatch(raw):
        raise _Bad("Input should be a valid number, unable to parse string as a number", "float_parsing", raw)
    if len(raw) < 300 and _INTEGER.fullmatch(raw):
        return int(raw)  # `5` stays the JSON number 5
    value = float(raw)
    if not math.isfinite(value):
        raise _Bad("Input should be a finite number", "finite_number", raw)
    return value


def _to_bool(raw: str) -> JSON:
    if raw in ("true", "false"):
        return raw == "true"
    raise _Bad("Input should be a valid boolean, unable to interpret input", "bool_parsing", raw)


_PARSERS: dict[str, Callable[[str], JSON]] = {"integer": _to_int, "number": _to_number, "boolean": _to_bool}
_NOT_SCALAR = {
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
}


def _scalar(schema: Schema) -> Callable[[str], JSON]:
    """A string as the schema's scalar: an integer, a number or a boolean where those are
    allowed (tried in that order), `null` where null is, else the text itself."""
    kinds = _kinds(schema)
    parsers = [_PARSERS[kind] for kind in ("integer", "number", "boolean") if kind in kinds]
    as_text = not parsers or any(kind not in (*_PARSERS, "null") for kind in kinds)
    nullable = "null" in kinds

    def parse(raw: str) -> JSON:
        if nullable and raw == "null":  # how clients write null in a URL
            return None
        first: _Bad | None = None
        for parser in parsers:
            try:
                return parser(raw)
            except _Bad as bad:
                first = first or bad
        if as_text or first is None:
            return raw
        raise first

    return parse


def _node_coercer(schema: Schema, depth: int) -> Callable[[Node], JSON]:
    kind = primary_type(schema)
    if depth > _DEPTH:
        return _as_sent
    if kind == "array":
        items = schema.get("items")
        item = _node_coercer(items if isinstance(items, dict) else {}, depth + 1)

        def array(node: Node) -> JSON:
            if isinstance(node, dict):
                if not all(key.isdigit() for key in node):
                    raise _Bad("Input should be a valid list", "list_type", _as_sent(node))
                node = [node[key] for key in sorted(node, key=int)]  # `tags[0]=a&tags[1]=b`
            out: list[JSON] = []
            for index, value in enumerate([node] if isinstance(node, str) else node):
                try:
                    out.append(item(value))
                except _Bad as bad:
                    raise bad.under(index) from None
            return out

        return array
    if kind == "object":
        properties = {
            str(key): _node_coercer(sub, depth + 1)
            for key, sub in (schema.get("properties") or {}).items()
            if isinstance(sub, dict)
        }
        extra = schema.get("additionalProperties")
        other = _node_coercer(extra, depth + 1) if isinstance(extra, dict) else _as_sent

        def obj(node: Node) -> JSON:
            if not isinstance(node, dict):
                raise _Bad("Input should be a valid dictionary", "dict_type", _as_sent(node))
            out: dict[str, JSON] = {}
            for key, value in node.items():
                try:
                    out[key] = properties.get(key, other)(value)
                except _Bad as bad:
                    raise bad.under(key) from None
            return out

        return obj
    parse = _scalar(schema)
    kind_error = _NOT_SCALAR.get(kind, ("string_type", "Input should be a valid string"))

    def scalar(node: Node) -> JSON:
        if isinstance(node, dict):
            raise _Bad(kind_error[1], kind_error[0], _as_sent(node))
        return parse(node if isinstance(node, str) else node[0])

    return scalar


def _as_sent(node: Node) -> JSON:
    if isinstance(node, dict):
        return {key: _as_sent(value) for key, value in node.items()}
    if isinstance(node, list):
        return node[0] if len(node) == 1 else list(node)
    return node


def _json(node: Node) -> JSON:
    raw = node if isinstance(node, str) else _as_sent(node)
    try:
        return json.loads(str(raw), parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:
        raise _Bad(f"Invalid JSON: {exc}", "json_invalid", raw) from None


def _not_json(name: str) -> JSON:
    raise ValueError(f"{name} is not JSON")


def _text(node: Node) -> JSON:
    return node if isinstance(node, str) else _as_sent(node)


def _is_json(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def with_format_ranges(schema: Schema) -> Schema:
    """`schema` with `minimum`/`maximum` wherever `format` is `int32`, `int64` or `float`
    (JSON Schema validators do not check these formats); `schema` itself when it has none."""
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
        bounds = _RANGES.get(fmt) if isinstance(fmt, str) else None
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


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- for form bodies (`validation.FormRule`), which share the scalar rules -------------------


def scalar_coercer(schema: Schema, loc: Loc) -> Callable[[str], JSON | Violation]:
    """A string as the schema's scalar, or the violation located at `loc`."""
    parse = _scalar(schema)

    def coerce(raw: str) -> JSON | Violation:
        try:
            return parse(raw)
        except _Bad as bad:
            return bad.violation(loc)

    return coerce
