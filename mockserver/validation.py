"""Request validation, compiled once per operation.

`compile_parameter` and `compile_body` turn an operation's parameters and request body into
rules (`ParameterRule`, `BodyRule`) holding `jsonschema_rs` validators built at start-up;
`ValidationStage` runs them on a `MockRequest` and answers every violation at once as one
`Problem`. Only an invalid request pays for the error translation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from mockserver.diagnostics import Violation, translate
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.schemas import validator as schema_validator
from mockserver.types import JSON, Loc, Schema

MAX_VIOLATIONS = 50  # per value checked: a body with 100,000 wrong items gets a bounded answer, fast


class SchemaCheck:
    """A compiled JSON Schema that answers with violations located under `prefix`: at most
    `MAX_VIOLATIONS` of them, and for a value of more than 2,000 nodes only the first."""

    __slots__ = ("_validator", "is_valid", "prefix")

    def __init__(self, schema: Schema, prefix: Loc = ()) -> None:
        self._validator = schema_validator(schema, validate_formats=True)
        self.is_valid: Callable[[JSON], bool] = self._validator.is_valid
        self.prefix = prefix

    def __call__(self, value: JSON) -> list[Violation]:
        if self._validator.is_valid(value):
            return []
        if not _small(value):
            # jsonschema_rs collects every error at once (100,000 wrong items: over a second);
            # a large value gets its first error only, which `validate` finds at once.
            try:
                self._validator.validate(value)
            except jsonschema_rs.ValidationError as error:
                return translate([error], self.prefix)
        return translate(itertools.islice(self._validator.iter_errors(value), MAX_VIOLATIONS), self.prefix)


def _small(value: JSON, budget: int = 2_000) -> bool:
    """Whether `value` has fewer than `budget` nodes (counting stops at the budget)."""
    stack = [value]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _primary_type(schema: Schema) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        for branch in schema.get("anyOf") or schema.get("oneOf") or []:
            inner = _primary_type(branch)
            if inner != "null":
                return inner
        return "string"
    return str(kind)


def _coercer(schema: Schema, loc: Loc) -> Callable[[str], JSON | Violation]:
    """How a raw string parameter becomes a typed value (pydantic's lax mode for scalars)."""
    kind = _primary_type(schema)

    def to_int(raw: str) -> JSON | Violation:
        try:
            return int(raw)
        except ValueError:
            return Violation(
                loc, "Input should be a valid integer, unable to parse string as an integer", "int_parsing", raw
            )

    def to_float(raw: str) -> JSON | Violation:
        try:
            return float(raw)
        except ValueError:
            return Violation(
                loc, "Input should be a valid number, unable to parse string as a number", "float_parsing", raw
            )

    def to_bool(raw: str) -> JSON | Violation:
        lowered = raw.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        return Violation(loc, "Input should be a valid boolean, unable to interpret input", "bool_parsing", raw)

    def as_text(raw: str) -> JSON | Violation:
        return raw

    coercers: dict[str, Callable[[str], JSON | Violation]] = {"integer": to_int, "number": to_float, "boolean": to_bool}
    coerce = coercers.get(kind, as_text)
    if _allows_null(schema):
        return lambda raw: None if raw == "null" else coerce(raw)  # how clients write null in a form or URL
    return coerce


def _allows_null(schema: Schema) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(isinstance(b, dict) and _allows_null(b) for b in schema.get("anyOf") or schema.get("oneOf") or [])


def _array_coercer(schema: Schema, loc: Loc, explode: bool) -> Callable[[list[str]], JSON | Violation]:
    """An array parameter: every value of an exploded query parameter (`tags=a&tags=b`),
    else one comma-separated value (`tags=a,b`); items coerced like scalars."""
    items: Schema = schema["items"] if isinstance(schema.get("items"), dict) else {}
    item = _coercer(items, loc)

    def coerce(values: list[str]) -> JSON | Violation:
        if not explode or len(values) == 1:
            values = [part for value in values for part in value.split(",")] if not explode else values
        if values == [""]:
            return []
        out: list[JSON] = []
        for index, raw in enumerate(values):
            value = item(raw)
            if isinstance(value, Violation):
                return Violation((*loc, index), value.msg, value.type, value.input)
            out.append(value)
        return out

    return coerce


@dataclass(frozen=True, slots=True)
class ParameterRule:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    coerce: Callable[[str], JSON | Violation]
    check: SchemaCheck
    many: Callable[[list[str]], JSON | Violation] | None = None  # an array parameter
    opaque: bool = False  # an object-valued parameter: only its presence is checked

    def validate_many(self, values: list[str]) -> list[Violation]:
        """An array parameter, from every value the request gives it (none: missing)."""
        assert self.many is not None
        if not values or self.opaque:
            return self.validate(values[0] if values else None)
        value = self.many(values)
        if isinstance(value, Violation):
            return [value]
        return self.check(value)

    def validate(self, raw: str | None) -> list[Violation]:
        loc: Loc = (self.location, self.name)
        if raw is None:
            return [Violation(loc, "Field required", "missing", None)] if self.required else []
        if self.opaque:
            return []
        value = self.coerce(raw)
        if isinstance(value, Violation):
            return [value]
        return self.check(value)


@dataclass(frozen=True, slots=True)
class FormRule:
    """An `application/x-www-form-urlencoded` body: fields typed by the schema's properties."""

    check: SchemaCheck
    fields: dict[str, Callable[[list[str]], JSON | Violation]]
    arrays: tuple[str, ...] = ()
    opaque: frozenset[str] = frozenset()

    def decode(self, pairs: list[tuple[str, str]]) -> tuple[JSON, list[Violation]]:
        grouped: dict[str, list[str]] = {}
        for key, text in pairs:
            grouped.setdefault(key, []).append(text)
        # An empty list has no form encoding: a declared array that is absent is empty.
        out: dict[str, JSON] = {name: [] for name in self.arrays if name not in grouped}
        problems: list[Violation] = []
        for key, values in grouped.items():
            if key in self.opaque:
                continue
            coerce = self.fields.get(key)
            value: JSON | Violation = coerce(values) if coerce is not None else values[0]
            if isinstance(value, Violation):
                problems.append(value)
            else:
                out[key] = value
        return out, problems


@dataclass(frozen=True, slots=True)
class BodyRule:
    required: bool
    media_types: tuple[str, ...]
    check: SchemaCheck | None  # None: a non-JSON media type we accept without parsing
    form: FormRule | None = None
    unicode_only: bool = True  # strings with lone surrogates are refused (pydantic does)


def _form_rule(schema: Schema) -> FormRule:
    fields: dict[str, Callable[[list[str]], JSON | Violation]] = {}
    arrays: list[str] = []
    opaque: set[str] = set()
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        loc: Loc = ("body", name)
        kind = _primary_type(sub)
        items: Schema = sub["items"] if isinstance(sub.get("items"), dict) else {}
        if kind == "object" or (kind == "array" and _primary_type(items) in ("object", "array")):
            opaque.add(name)  # no form encoding of nested structures is defined: taken as sent
        elif kind == "array":
            fields[name] = _array_coercer(sub, loc, explode=True)
            arrays.append(name)
        else:
            scalar = _coercer(sub, loc)
            fields[name] = lambda values, scalar=scalar: scalar(values[0])  # type: ignore[misc]
    relaxed = {
        **schema,
        "properties": {k: v for k, v in (schema.get("properties") or {}).items() if k not in opaque},
        # Required names without a declared property have no form encoding either.
        "required": [
            k for k in schema.get("required") or [] if k not in opaque and k in (schema.get("properties") or {})
        ],
    }
    if not relaxed["required"]:
        del relaxed["required"]
    return FormRule(SchemaCheck(relaxed, ("body",)), fields, tuple(arrays), frozenset(opaque))


def compile_parameter(parameter: Mapping[str, Any]) -> ParameterRule:
    name = str(parameter["name"])
    location = str(parameter["in"])
    schema = parameter.get("schema") or {}
    loc: Loc = (location, name)
    style = parameter.get("style") or ("form" if location in ("query", "cookie") else "simple")
    explode = bool(parameter.get("explode", style == "form"))
    return ParameterRule(
        name=name,
        location=location,
        required=bool(parameter.get("required", location == "path")),
        coerce=_coercer(schema, loc),
        check=SchemaCheck(schema, loc),
        many=_array_coercer(schema, loc, explode and location == "query") if _primary_type(schema) == "array" else None,
        # Objects in a parameter have no one serialisation (deepObject, JSON, a tool's repr): taken as sent.
        opaque=_primary_type(schema) == "object" or _primary_type(_items(schema)) in ("object", "array"),
    )


def _items(schema: Schema) -> Schema:
    items = schema.get("items")
    return items if isinstance(items, dict) else {}


def compile_body(request_body: Mapping[str, Any] | None) -> BodyRule | None:
    if not request_body:
        return None
    content = request_body.get("content") or {}
    media_types = tuple(content)
    json_types = [m for m in media_types if is_json_media_type(m)]
    check = SchemaCheck(content[json_types[0]].get("schema") or {}, ("body",)) if json_types else None
    form_schema = next(
        (media.get("schema") for m, media in content.items() if essence(m) == FORM and isinstance(media, dict)), None
    )
    form = _form_rule(form_schema) if isinstance(form_schema, dict) else None
    return BodyRule(bool(request_body.get("required", False)), media_types, check, form)


FORM = "application/x-www-form-urlencoded"


def essence(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def is_json_media_type(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json") or essence == "*/*"


def media_type_accepted(content_type: str, declared: tuple[str, ...]) -> bool:
    essence = content_type.split(";", 1)[0].strip().lower()
    for media_type in declared:
        pattern = media_type.split(";", 1)[0].strip().lower()
        if pattern in (essence, "*/*"):
            return True
        if pattern.endswith("/*") and essence.startswith(pattern[:-1]):
            return True
        if pattern == "application/json" and essence.endswith("+json"):
            return True
        if pattern.endswith("+json") and essence == "application/json":
            return True  # `application/merge-patch+json` sent as plain JSON
    return False


class ValidationStage:
    """The pipeline stage: path, query, header and cookie parameters and the body."""

    async def __call__(self, request: MockRequest) -> Problem | None:
        op = request.op
        violations: list[Violation] = []
        for rule in op.parameters:
            if rule.many is not None:
                if rule.location == "query":
                    violations.extend(rule.validate_many(request.query_values(rule.name)))
                    continue
                raw = request.path_params.get(rule.name) if rule.location == "path" else None
                raw = request.headers.get(rule.name.lower()) if rule.location == "header" else raw
                raw = request.cookie(rule.name) if rule.location == "cookie" else raw
                violations.extend(rule.validate_many([raw] if raw is not None else []))
                continue
            if rule.location == "path":
                raw = request.path_params.get(rule.name)
            elif rule.location == "query":
                raw = request.query.get(rule.name)
            elif rule.location == "header":
                raw = request.headers.get(rule.name.lower())
            else:
                raw = request.cookie(rule.name)
            violations.extend(rule.validate(raw))
        body = request.body
        violations.extend(body.violations)
        check = None
        if op.body is not None and body.media == FORM:
            check = op.body.form.check if op.body.form else None
        elif op.body is not None and is_json_media_type(body.media):
            check = op.body.check
        if op.body is not None and not body.violations and check is not None:
            if body.present:
                violations.extend(check(body.value))
            elif op.body.required:
                violations.append(Violation(("body",), "Field required", "missing", None))
        if violations:
            return Problem(op.invalid_status, violations=tuple(violations))
        return None
