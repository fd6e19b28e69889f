"""Parameter deserialisation: the raw strings of a query, path, header or cookie parameter
turned into a typed value the way OpenAPI's `style` and `explode` define them, compiled once
per parameter at start-up (`compile_decoder`) and run per request (`Decoder.read`).

    query   form (`tags=a&tags=b`, `tags=a,b`, objects `name=x&age=3` or `filter=name,x,age,3`),
            spaceDelimited, pipeDelimited, deepObject (`filter[name]=x&filter[age]=3`)
    path    simple (`a,b`, objects `a=1,b=2` or `a,1,b,2`), label (`.a.b`, `.a,b`),
            matrix (`;id=5`, `;tags=a;tags=b`, `;tags=a,b`)
    header  simple;  cookie  form (one cookie: arrays and objects comma-separated)
    content a parameter declared with `content` (JSON) is decoded as JSON

The parts then become typed values by the schema (`coercion.compile_coercer`: integers, numbers,
`true`/`false`, per array item and per object property). A value that cannot be deserialised reads as `Undecodable`,
located at the parameter (`("query", "filter", "name")`), never as an exception. The schema a
decoded value is checked against (`Decoder.schema`) bounds `int32`, `int64` and `float`.

A query value is split on its delimiter before it is percent-decoded (OpenAPI, RFC 6570), so
`a%2Cb,c` holds `a,b` and `c`; a value without a literal delimiter is split after decoding,
as clients that encode every comma send it (`tags=a%2Cb` holds `a` and `b`). Path values come
from the router already decoded and are split after decoding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote_plus

from mockserver.coercion import Coercer, Node, as_sent, compile_coercer, primary_type, with_format_ranges
from mockserver.diagnostics import Violation
from mockserver.request import MockRequest
from mockserver.types import JSON, Loc, Schema

MISSING: Final[Any] = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
"""What `Decoder.read` returns for a parameter the request does not have."""

_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
_STYLES = {
    "query": {"form", "spaceDelimited", "pipeDelimited", "deepObject"},
    "path": {"simple", "label", "matrix"},
    "header": {"simple"},
    "cookie": {"form"},
}
_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}
_MAX_NESTING = 32  # brackets in one query key (`a[b][c]...`)


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
    _coerce: Coercer
    absent: JSON = MISSING  # `{}` for a required exploded object: an empty one has no wire form

    def read(self, request: MockRequest) -> JSON:
        try:
            raw = self._extract(request)
        except _Bad as bad:
            return Undecodable(bad.violation((self.location, self.name)))
        if raw is None:
            return self.absent
        value = self._coerce(raw)
        if isinstance(value, Violation):
            loc = (self.location, self.name, *value.loc)
            return Undecodable(Violation(loc, value.msg, value.type, value.input))
        return value


def compile_decoder(parameter: Mapping[str, Any]) -> Decoder:
    """The decoder of one OpenAPI parameter object (`name`, `in`, `schema` or `content`, ...)."""
    name, location = str(parameter["name"]), str(parameter["in"])
    content = parameter.get("content")
    if isinstance(content, dict) and content:
        media_type, media = next(iter(content.items()))
        schema = (media.get("schema") or {}) if isinstance(media, dict) else {}
        extract = _extractor(location, name, "simple", False, "string", schema)
        decode: Coercer = _json if _is_json(str(media_type)) else as_sent
        return Decoder(location, name, with_format_ranges(schema), extract, decode)
    schema = parameter.get("schema") or {}
    style = str(parameter.get("style") or "")
    if style not in _STYLES.get(location, ()):
        style = _DEFAULT_STYLE.get(location, "form")
    explode = bool(parameter.get("explode", style == "form"))
    kind = primary_type(schema)
    extract = _extractor(location, name, style, explode, kind, schema)
    coerce = compile_coercer(schema)
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
            raw = request.headers.get(name.lower())
            if raw is not None and kind in ("array", "object"):
                raw = ",".join(part.strip() for part in raw.split(","))
            return _simple(raw, kind, explode)

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
        if len(path) > _MAX_NESTING:
            raise _Bad("Value error, nested too deeply", "value_error", key)
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


def _json(node: Node) -> JSON | Violation:
    raw = as_sent(node)
    try:
        return json.loads(str(raw), parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:
        return Violation((), f"Invalid JSON: {exc}", "json_invalid", raw)


def _not_json(name: str) -> JSON:
    raise ValueError(f"{name} is not JSON")


def _is_json(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")
