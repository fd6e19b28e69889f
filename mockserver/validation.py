"""Request validation, compiled once per operation.

`compile_parameter` and `compile_body` turn an operation's parameters and request body into
rules (`ParameterRule`, `BodyRule`) holding `jsonschema_rs` validators built at start-up (a
parameter's deserialisation per `style`/`explode` is `parameters.Decoder`'s);
`ValidationStage` runs them on a `MockRequest` and answers every violation at once as one
`Problem`. Only an invalid request pays for the error translation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from mockserver.coercion import primary_type as _primary_type
from mockserver.coercion import scalar_coercer as _coercer
from mockserver.diagnostics import Violation, translate
from mockserver.parameters import MISSING, Decoder, Undecodable, compile_decoder
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.types import JSON, Loc, Schema

MAX_VIOLATIONS = 100  # per request: a body with 100,000 wrong items gets a bounded answer, fast
_MORE = "too_many_errors"  # the final entry: how many more problems were found
MAX_ECHO = 100  # characters of a client's input (a value, a key) an answer repeats


class SchemaCheck:
    """A compiled JSON Schema that answers with violations located under `prefix`: at most
    `MAX_VIOLATIONS` of them, and for a value of more than 2,000 nodes only the first."""

    __slots__ = ("_validator", "is_valid", "prefix")

    def __init__(self, schema: Schema, prefix: Loc = ()) -> None:
        self._validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
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
        errors = self._validator.iter_errors(value)
        found = translate(itertools.islice(errors, MAX_VIOLATIONS), self.prefix)
        rest = sum(1 for _ in errors)  # counted, not translated: `bounded` says how many more
        return [*found, Violation(self.prefix, "", _MORE, rest)] if rest else found


def bounded(violations: list[Violation]) -> tuple[Violation, ...]:
    """At most `MAX_VIOLATIONS`, then one entry saying how many more were found, each
    echoing at most an excerpt of the client's input."""
    found = [v for v in violations if v.type != _MORE]
    more = sum(v.input for v in violations if v.type == _MORE) + max(0, len(found) - MAX_VIOLATIONS)
    shown = [_excerpted(v) for v in found[:MAX_VIOLATIONS]]
    if more:
        msg = f"Validation stopped after {MAX_VIOLATIONS} problems; {more} more not listed"
        shown.append(Violation(shown[-1].loc[:1] if shown else ("body",), msg, _MORE))
    return tuple(shown)


def _excerpted(violation: Violation) -> Violation:
    loc = tuple(
        part[:MAX_ECHO] + "..." if isinstance(part, str) and len(part) > MAX_ECHO else part for part in violation.loc
    )
    value = violation.input
    if isinstance(value, str) and len(value) > MAX_ECHO:
        value = value[:MAX_ECHO] + "..."
    elif isinstance(value, dict | list) and (not _small(value, 20) or len(repr(value)) > 4 * MAX_ECHO):
        value = f"{'an object' if isinstance(value, dict) else 'a list'} of {len(value)} items (not repeated)"
    if loc == violation.loc and value is violation.input:
        return violation
    return Violation(loc, violation.msg, violation.type, value)


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
    """A parameter: how it is deserialised (`parameters.Decoder`) and checked."""

    name: str
    location: str  # path | query | header | cookie
    required: bool
    decoder: Decoder
    check: SchemaCheck

    def validate(self, request: MockRequest) -> list[Violation]:
        """The parameter's violations; a valid value is kept in `request.parameters`."""
        value = self.decoder.read(request)
        if value is MISSING:
            missing = Violation((self.location, self.name), "Field required", "missing", None)
            return [missing] if self.required else []
        if isinstance(value, Undecodable):
            return [value.violation]
        found = self.check(value)
        if not found:
            request.parameters[(self.location, self.name)] = value
        return found


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
    decoder = compile_decoder(parameter)
    location = decoder.location
    return ParameterRule(
        name=decoder.name,
        location=location,
        required=bool(parameter.get("required", location == "path")),
        decoder=decoder,
        check=SchemaCheck(decoder.schema, (location, decoder.name)),
    )


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
            violations.extend(rule.validate(request))
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
            return Problem(op.invalid_status, violations=bounded(violations))
        return None
