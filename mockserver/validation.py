"""Request validation, compiled once per operation.

`compile_parameter` and `compile_body` turn an operation's parameters and request body into
rules (`ParameterRule`, `BodyRule`) holding `jsonschema_rs` validators built at start-up (a
parameter's deserialisation per `style`/`explode` is `parameters.Decoder`'s);
`ValidationStage` runs them on a `MockRequest` and answers every violation at once as one
`Problem`. Only an invalid request pays for the error translation.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from mockserver.adapter import flagged
from mockserver.coercion import INTEGER_FORMATS, allows_null, with_format_ranges
from mockserver.coercion import primary_type as _primary_type
from mockserver.coercion import scalar_coercer as _coercer
from mockserver.diagnostics import Violation, translate
from mockserver.media import FORM as FORM  # re-exported: callers found these here before `media` existed
from mockserver.media import MULTIPART, is_json_wire, select_media, specificity
from mockserver.media import essence as essence
from mockserver.media import is_json_media_type as is_json_media_type
from mockserver.multipart import Part
from mockserver.parameters import MISSING, Decoder, Undecodable, compile_decoder
from mockserver.problems import Problem
from mockserver.request import MockRequest
from mockserver.schemas import validator as schema_validator
from mockserver.types import JSON, Loc, Schema

MAX_VIOLATIONS = 100  # per request: a body with 100,000 wrong items gets a bounded answer, fast
_MORE = "too_many_errors"  # the final entry: how many more problems were found
MAX_ECHO = 100  # characters of a client's input (a value, a key) an answer repeats


class SchemaCheck:
    """A compiled JSON Schema that answers with violations located under `prefix`: at most
    `MAX_VIOLATIONS` of them, and for a value of more than 2,000 nodes only the first.
    `int32`/`int64` formats get their ranges (`coercion.with_format_ranges`)."""

    __slots__ = ("_validator", "is_valid", "prefix")

    def __init__(self, schema: Schema, prefix: Loc = ()) -> None:
        # Integer formats' ranges everywhere; `float`'s only in parameters (`parameters.py`): in
        # a JSON body a number past float32 is still a number (Schemathesis reads it so too).
        self._validator = schema_validator(with_format_ranges(schema, INTEGER_FORMATS), validate_formats=True)
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
    """An array field: every value of an exploded field (`tags=a&tags=b`), else one
    comma-separated value (`tags=a,b`); items coerced like scalars. Where the array may be
    null, a lone `null` is null, as for a scalar (`sticker_ids=null`: Discord's `[array, null]`)."""
    items: Schema = schema["items"] if isinstance(schema.get("items"), dict) else {}
    item = _coercer(items, loc)
    nullable = allows_null(schema)

    def coerce(values: list[str]) -> JSON | Violation:
        if nullable and values == ["null"]:
            return None
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
            return [Violation((self.location, self.name), "Field required", "missing", None)] if self.required else []
        if isinstance(value, Undecodable):
            return [value.violation]
        found = self.check(value)
        if not found:
            request.parameters[(self.location, self.name)] = value
        return found


@dataclass(frozen=True, slots=True)
class FormRule:
    """A form body (`application/x-www-form-urlencoded` or `multipart/form-data`): fields
    typed by the schema's properties, decoded as its `encoding` object says (a part's
    `contentType`, a urlencoded field's `style` and `explode`)."""

    check: SchemaCheck
    fields: dict[str, Callable[[list[str]], JSON | Violation]]
    arrays: tuple[str, ...] = ()  # the optional arrays: absent, they are empty
    opaque: frozenset[str] = frozenset()
    files: frozenset[str] = frozenset()  # binary parts: taken as bytes, only their presence checked
    required_files: tuple[str, ...] = ()
    file_counts: Mapping[str, tuple[int, int | None]] = field(default_factory=dict)  # arrays of files: bounds
    deep: Mapping[str, Callable[[dict[str, list[str]]], JSON | Violation]] = field(default_factory=dict)

    def decode(self, pairs: list[tuple[str, str]]) -> tuple[JSON, list[Violation]]:
        grouped: dict[str, list[str]] = {}
        nested: dict[str, dict[str, list[str]]] = {}
        for key, text in pairs:
            base, bracket, rest = key.partition("[")
            if bracket and base in self.deep and rest.endswith("]"):  # `filter[name]=x` (deepObject)
                nested.setdefault(base, {}).setdefault(rest[:-1], []).append(text)
                continue
            grouped.setdefault(key, []).append(text)
        # An empty list has no form encoding: an optional array that is absent is empty (a
        # required one that is absent is missing, as a server that needs one value would say).
        out: dict[str, JSON] = {name: [] for name in self.arrays if name not in grouped}
        problems: list[Violation] = []
        decoded = [(key, self.fields.get(key), values) for key, values in grouped.items() if key not in self.opaque]
        for key, coerce, values in decoded:
            value: JSON | Violation = coerce(values) if coerce is not None else values[0]
            if isinstance(value, Violation):
                problems.append(value)
            else:
                out[key] = value
        for base, members in nested.items():
            value = self.deep[base](members)
            if isinstance(value, Violation):
                problems.append(value)
            else:
                out[base] = value
        return out, problems

    def decode_parts(self, parts: list[Part]) -> tuple[JSON, list[Violation]]:
        """A multipart body's parts: text fields as in a urlencoded form, JSON parts decoded,
        file parts kept out of the value (their bytes are not JSON)."""
        pairs: list[tuple[str, str]] = []
        problems: list[Violation] = []
        sent_files: dict[str, int] = {}
        for part in parts:
            if part.name in self.files:
                sent_files[part.name] = sent_files.get(part.name, 0) + 1
                continue
            try:
                pairs.append((part.name, part.data.decode("utf-8")))
            except UnicodeDecodeError as exc:
                if part.name in self.fields:  # an undeclared binary part is taken like a file
                    problems.append(Violation(("body", part.name, exc.start), _UNICODE_MSG, "string_unicode", None))
        value, more = self.decode(pairs)
        missing = [
            Violation(("body", name), "Field required", "missing", None)
            for name in self.required_files
            if name not in sent_files and name not in self.file_counts
        ]
        for name, (least, most) in self.file_counts.items():
            count = sent_files.get(name, 0)  # none sent: an empty array where it is required
            if not count and name not in self.required_files:
                continue
            if count < least:
                missing.append(
                    Violation(("body", name), f"List should have at least {least} items", "too_short", count)
                )
            elif most is not None and count > most:
                missing.append(Violation(("body", name), f"List should have at most {most} items", "too_long", count))
        return value, [*problems, *more, *missing]


_UNICODE_MSG = "Input should be a valid string, unable to parse raw data as a unicode string"


@dataclass(frozen=True, slots=True)
class MediaRule:
    """How a body sent as one declared media type is checked."""

    media_type: str  # as declared; it may be a range (`application/*`, `*/*`)
    check: SchemaCheck | None  # a JSON body's schema; None: the media type holds no JSON
    form: FormRule | None = None  # a urlencoded or multipart body's fields


@dataclass(frozen=True, slots=True)
class BodyRule:
    required: bool
    media_types: tuple[str, ...]
    check: SchemaCheck | None  # the first JSON media type's; None: no JSON is declared
    media: Mapping[str, MediaRule] = field(default_factory=dict)  # by declared media type
    unicode_only: bool = True  # strings with lone surrogates are refused (pydantic does)

    def select(self, content_type: str | None) -> MediaRule | None:
        """The declared media type a request's `Content-Type` selects (the most specific
        match); without one, the first JSON media type, else the first declared."""
        if content_type is None:
            return next((r for r in self.media.values() if r.check is not None), None) or next(
                iter(self.media.values()), None
            )
        chosen = select_media(content_type, self.media_types)
        return self.media[chosen] if chosen is not None else None


def request_view(schema: Any, depth: int = 0) -> Any:
    """`schema` as a request is judged by it: a `readOnly` property is not required (OpenAPI:
    "the required will take effect on the response only"), at any depth; sent, it is allowed."""
    if not isinstance(schema, dict) or depth > 64:
        return schema
    out = dict(schema)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {key: request_view(sub, depth + 1) for key, sub in properties.items()}
        if isinstance(schema.get("required"), list):
            out["required"] = [k for k in schema["required"] if not flagged(properties.get(k), "readOnly")]
    for key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
        if isinstance(schema.get(key), dict):
            out[key] = request_view(schema[key], depth + 1)
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        if isinstance(schema.get(key), list):
            out[key] = [request_view(sub, depth + 1) for sub in schema[key]]
    return out


def _form_properties(schema: Schema, depth: int = 0) -> dict[str, Any]:
    """The properties a form's fields are typed by: its own, then those of its `allOf`,
    `oneOf` and `anyOf` branches (the first schema that names a field types it)."""
    out = dict(schema.get("properties") or {})
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key) or []:
            if isinstance(branch, dict) and depth < 8:
                for name, sub in _form_properties(branch, depth + 1).items():
                    out.setdefault(name, sub)
    return out


def _form_rule(schema: Schema, encoding: Mapping[str, Any], multipart: bool) -> FormRule:
    """Fields as `encoding` says; without it, as OpenAPI's defaults: scalars as text, arrays
    as repeated fields, and in a multipart body objects as JSON parts and binary strings
    as files. Nested structures of a urlencoded form without `encoding` are taken as sent."""
    fields: dict[str, Callable[[list[str]], JSON | Violation]] = {}
    deep: dict[str, Callable[[dict[str, list[str]]], JSON | Violation]] = {}
    arrays: list[str] = []
    opaque: set[str] = set()
    files: set[str] = set()
    own = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    properties = _form_properties(schema)  # a oneOf of forms (Redocly's menu item) types its fields too
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        loc: Loc = ("body", name)
        kind = _primary_type(sub)
        items: Schema = sub["items"] if isinstance(sub.get("items"), dict) else {}
        declared = encoding.get(name)
        how: Mapping[str, Any] = declared if isinstance(declared, dict) else {}
        part_types = [essence(t) for t in str(how.get("contentType") or "").split(",") if t.strip()]
        style = str(how.get("style") or "form")
        explode = bool(how.get("explode", style == "form"))
        nested = kind == "object" or (kind == "array" and _primary_type(items) in ("object", "array"))
        if multipart and (_is_file(sub) or (kind == "array" and _is_file(items))):
            files.add(name)
        elif any(is_json_wire(t) for t in part_types) or (multipart and nested and not part_types):
            fields[name] = _json_field(sub, loc)
        elif kind == "object" and not multipart and style == "deepObject":
            deep[name] = _deep_object(sub, loc)
        elif kind == "object" and not multipart and style == "form" and not explode:
            fields[name] = _flat_object(sub, loc)
        elif nested:
            opaque.add(name)  # taken as sent
        elif kind == "array":
            delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
            split = _array_coercer(sub, loc, explode=True)
            if multipart or explode:
                fields[name] = split
            else:
                fields[name] = lambda values, split=split, d=delimiter: split(  # type: ignore[misc]
                    [part for value in values for part in value.split(d)] if values != [""] else [""]
                )
            if name not in required:
                arrays.append(name)
        else:
            scalar = _coercer(sub, loc)
            fields[name] = lambda values, scalar=scalar: scalar(values[0])  # type: ignore[misc]
    unchecked = opaque | files
    relaxed = {
        **schema,
        "properties": {k: v for k, v in own.items() if k not in unchecked},
        # A required name without a declared property is a field of any value: still required.
        "required": [k for k in schema.get("required") or [] if k not in unchecked],
    }
    if not relaxed["required"]:
        del relaxed["required"]
    file_counts = {
        k: (int(properties[k].get("minItems", 0)), properties[k].get("maxItems"))
        for k in files
        if _primary_type(properties[k]) == "array"
    }
    required_files = tuple(k for k in schema.get("required") or [] if k in files)
    return FormRule(
        SchemaCheck(request_view(relaxed), ("body",)),
        fields,
        tuple(arrays),
        frozenset(opaque),
        frozenset(files),
        required_files,
        file_counts,
        deep,
    )


def _is_file(schema: Schema) -> bool:
    """A binary string: `format: binary` (3.0) or a `contentMediaType` (3.1)."""
    return schema.get("format") in ("binary", "base64") or (
        "contentMediaType" in schema and not is_json_wire(str(schema["contentMediaType"]))
    )


def _json_field(schema: Schema, loc: Loc) -> Callable[[list[str]], JSON | Violation]:
    """A field whose text is a JSON document; an array may also come as one part per item."""
    many = _primary_type(schema) == "array"

    def decode(values: list[str]) -> JSON | Violation:
        out: list[JSON] = []
        for text in values:
            try:
                value = json.loads(text, parse_constant=_refuse_constant)
            except (ValueError, RecursionError) as exc:
                return Violation(loc, f"JSON decode error: {exc}", "json_invalid", {})
            if not many or (value is None and len(values) == 1):  # one part: the value itself (null too)
                return value
            out.extend(value) if isinstance(value, list) and len(values) == 1 else out.append(value)
        return out

    return decode


def _refuse_constant(name: str) -> JSON:
    raise ValueError(f"{name} is not JSON")


def _deep_object(schema: Schema, loc: Loc) -> Callable[[dict[str, list[str]]], JSON | Violation]:
    """A `deepObject` field (`filter[name]=x&filter[size]=2`), members typed by its properties."""
    members = {
        key: _coercer(sub, (*loc, key))
        for key, sub in (schema.get("properties") or {}).items()
        if isinstance(sub, dict)
    }

    def decode(found: dict[str, list[str]]) -> JSON | Violation:
        out: dict[str, JSON] = {}
        for key, values in found.items():
            coerce = members.get(key)
            value = coerce(values[0]) if coerce is not None else values[0]
            if isinstance(value, Violation):
                return value
            out[key] = value
        return out

    return decode


def _flat_object(schema: Schema, loc: Loc) -> Callable[[list[str]], JSON | Violation]:
    """A `form` object without explode: `point=x,1,y,2`."""
    members = _deep_object(schema, loc)

    def decode(values: list[str]) -> JSON | Violation:
        parts = values[0].split(",") if values[0] else []
        if len(parts) % 2:
            return Violation(loc, "Input should be a valid object, given as name,value pairs", "object_type", values[0])
        return members({parts[i]: [parts[i + 1]] for i in range(0, len(parts), 2)})

    return decode


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
    media: dict[str, MediaRule] = {}
    for media_type, declared in content.items():
        holder = declared if isinstance(declared, dict) else {}
        schema = holder.get("schema") if isinstance(holder.get("schema"), dict) else None
        kind = essence(media_type)
        # A declared range that covers JSON (`*/*`, `application/*`) checks a JSON body too.
        json_like = is_json_media_type(kind) or specificity("application/json", kind)
        check = SchemaCheck(request_view(schema or {}), ("body",)) if json_like else None
        form = None
        if kind in (FORM, MULTIPART) and schema is not None:
            form = _form_rule(schema, holder.get("encoding") or {}, multipart=kind == MULTIPART)
        media[str(media_type)] = MediaRule(str(media_type), check, form)
    first_json = next(
        (r.check for r in media.values() if r.check is not None and is_json_media_type(r.media_type)), None
    )
    return BodyRule(bool(request_body.get("required", False)), tuple(media), first_json, media)


class ValidationStage:
    """The pipeline stage: path, query, header and cookie parameters and the body."""

    async def __call__(self, request: MockRequest) -> Problem | None:
        op = request.op
        violations: list[Violation] = []
        for rule in op.parameters:
            violations.extend(rule.validate(request))
        body = request.body
        violations.extend(body.violations)
        if op.body is not None and not body.violations:
            if body.check is not None and body.present:
                violations.extend(body.check(body.value))
            elif op.body.required and not body.present:
                violations.append(Violation(("body",), "Field required", "missing", None))
        if violations:
            return Problem(op.invalid_status, violations=bounded(violations))
        return None
