"""Request validation, compiled once per operation.

`compile_parameter` and `compile_body` turn an operation's parameters and request body into
rules (`ParameterRule`, `BodyRule`) holding `jsonschema_rs` validators built at start-up;
`ValidationStage` runs them on a `MockRequest` and answers every violation at once as one
`Problem`. Only an invalid request pays for the error translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from mockserver.diagnostics import Violation, translate
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.types import JSON, Loc, Schema


class SchemaCheck:
    """A compiled JSON Schema that answers with violations located under `prefix`."""

    __slots__ = ("_validator", "is_valid", "prefix")

    def __init__(self, schema: Schema, prefix: Loc = ()) -> None:
        self._validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        self.is_valid: Callable[[JSON], bool] = self._validator.is_valid
        self.prefix = prefix

    def __call__(self, value: JSON) -> list[Violation]:
        if self._validator.is_valid(value):
            return []
        return translate(self._validator.iter_errors(value), self.prefix)


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

    return {"integer": to_int, "number": to_float, "boolean": to_bool}.get(kind, lambda raw: raw)


@dataclass(frozen=True, slots=True)
class ParameterRule:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    coerce: Callable[[str], JSON | Violation]
    check: SchemaCheck

    def validate(self, raw: str | None) -> list[Violation]:
        loc: Loc = (self.location, self.name)
        if raw is None:
            return [Violation(loc, "Field required", "missing", None)] if self.required else []
        value = self.coerce(raw)
        if isinstance(value, Violation):
            return [value]
        return self.check(value)


@dataclass(frozen=True, slots=True)
class BodyRule:
    required: bool
    media_types: tuple[str, ...]
    check: SchemaCheck | None  # None: a non-JSON media type we accept without parsing


def compile_parameter(parameter: Mapping[str, Any]) -> ParameterRule:
    name = str(parameter["name"])
    location = str(parameter["in"])
    schema = parameter.get("schema") or {}
    loc: Loc = (location, name)
    return ParameterRule(
        name=name,
        location=location,
        required=bool(parameter.get("required", location == "path")),
        coerce=_coercer(schema, loc),
        check=SchemaCheck(schema, loc),
    )


def compile_body(request_body: Mapping[str, Any] | None) -> BodyRule | None:
    if not request_body:
        return None
    content = request_body.get("content") or {}
    media_types = tuple(content)
    json_types = [m for m in media_types if is_json_media_type(m)]
    check = SchemaCheck(content[json_types[0]].get("schema") or {}, ("body",)) if json_types else None
    return BodyRule(bool(request_body.get("required", False)), media_types, check)


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
    return False


class ValidationStage:
    """The pipeline stage: path, query, header and cookie parameters and the body."""

    async def __call__(self, request: MockRequest) -> Problem | None:
        op = request.op
        violations: list[Violation] = []
        for rule in op.parameters:
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
        if op.body is not None and not body.violations and op.body.check is not None:
            if body.present:
                violations.extend(op.body.check(body.value))
            elif op.body.required:
                violations.append(Violation(("body",), "Field required", "missing", None))
        if violations:
            return Problem(op.invalid_status, violations=tuple(violations))
        return None
