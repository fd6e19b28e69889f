"""Compile an OpenAPI document into `Operation`s: everything a request will need, built
once at start-up (validators, generators, security policy, update plan, and the operation's
role in the resource model, which `bindings.bind` turns into its `Binding`)."""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from mockserver.combine import merge_all_of
from mockserver.diagnostics import Violation
from mockserver.errors import SpecError
from mockserver.fallback import without_hidden
from mockserver.generator import Generator, checked, compile_generator, lazy
from mockserver.loader import SpecDocument
from mockserver.media import concrete, is_json_wire
from mockserver.model import OperationShape, ResourceModel, infer_model
from mockserver.profile import ApiProfile, OperationProfile
from mockserver.schemas import validator as schema_validator
from mockserver.security import SecurityPolicy, compile_security
from mockserver.types import JSON, IsValid, Schema
from mockserver.update import FieldSlot, UpdatePlan, compile_update_plan
from mockserver.validation import (
    FORM,
    BodyRule,
    ParameterRule,
    compile_body,
    compile_parameter,
    essence,
    is_json_media_type,
)

if TYPE_CHECKING:
    from mockserver.bindings import Binding

log = logging.getLogger("mockserver")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}
_SAMPLE_VALIDATION_ERROR = {"detail": [Violation(("body", "x"), "Field required", "missing", {}).as_fastapi()]}
# Where an error schema keeps its human-readable message, best first.
_MESSAGE_FIELDS = ("message", "detail", "error_description", "error", "title", "msg", "description", "reason")


@dataclass(frozen=True)
class MediaVariant:
    """One declared media type of a response, and what the mock sends as it."""

    media_type: str  # as declared; it may be a range (`*/*`)
    wire: str  # the type it is sent as: the declared one, or for a range its usual type
    schema: Schema | None
    generate: Generator | None  # None: a body the mock cannot build (XML, images), sent as an example or empty
    is_valid: IsValid
    examples: dict[str, JSON] = field(default_factory=dict)

    def accepts(self, body: JSON) -> bool:
        return self.schema is None or self.is_valid(body)


@dataclass(frozen=True)
class ResponseSpec:
    """One declared response: how to build its body and how to check it. The fields are
    those of its preferred media type (JSON first, else the first declared); `variants`
    holds every declared one, the preferred first, for `Accept` to choose among."""

    status: str  # "200", "4XX" or "default", as declared
    description: str
    media_type: str | None
    schema: Schema | None
    generate: Generator | None
    is_valid: IsValid
    examples: dict[str, JSON] = field(default_factory=dict)
    headers: frozenset[str] = frozenset()  # declared response header names, lower-case
    messages: tuple[FieldSlot, ...] = ()  # where an error body of this shape says what is wrong
    variants: tuple[MediaVariant, ...] = ()

    @property
    def code(self) -> int:
        """The status to answer with: the declared code, or the range's x00 ("2XX" -> 200)."""
        if self.status.isdigit():
            return int(self.status)
        return int(self.status[0]) * 100 if self.status[0].isdigit() else 200

    def accepts(self, body: JSON) -> bool:
        return self.schema is None or self.is_valid(body)


@dataclass(frozen=True)
class Operation:
    api: str
    operation_id: str
    method: str
    path: str
    parameters: tuple[ParameterRule, ...]
    body: BodyRule | None
    security: SecurityPolicy
    responses: dict[str, ResponseSpec]
    success: ResponseSpec
    invalid_status: int  # where a FastAPI-style validation error goes
    invalid_declared: bool
    update: UpdatePlan  # what the answer shows of the request (the contract suite checks it)
    profile: OperationProfile
    request_schema: Schema | None = None
    query_schemas: tuple[tuple[str, Schema], ...] = ()
    binding: Binding | None = None  # the operation's part in the resource model, if any

    def response_for(self, status: int) -> ResponseSpec | None:
        text = str(status)
        return (
            self.responses.get(text)
            or self.responses.get(text[0] + "XX")
            or self.responses.get(text[0] + "xx")
            or self.responses.get("default")
        )

    @property
    def declared_statuses(self) -> list[str]:
        return list(self.responses)


def compile_operations(spec: SpecDocument, profile: ApiProfile) -> tuple[list[Operation], ResourceModel]:
    """Every operation of `spec`, and the resource model inferred from all of them."""
    source = str(spec.path)
    bad = _unreadable_pattern(spec.document, "")
    if bad is not None:  # checked here once: answers' validators are compiled only on first use
        raise SpecError(source, f"a pattern the mock cannot read as a regular expression: {bad[1]!r}", bad[0])
    schemes = spec.document.get("components", {}).get("securitySchemes") or {}
    global_security = spec.document.get("security")
    raw_ops: list[tuple[str, str, dict[str, Any], list[Any], str]] = []
    for path, item in spec.document["paths"].items():
        if not isinstance(item, dict):
            raise SpecError(source, "a path item must be a mapping", f"paths.{path}")
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            if method not in item:
                continue
            where = f"paths.{path}.{method}"
            raw = spec.inline(item[method], where)
            if not isinstance(raw, dict):
                raise SpecError(source, "an operation must be a mapping", where)
            raw_ops.append((path, method, raw, spec.inline(shared, where), where))
    model = infer_model(_shape(path, method, raw, shared, profile) for path, method, raw, shared, _ in raw_ops)
    operations = [
        _compile_operation(spec, profile, path, method, raw, shared, schemes, global_security, where)
        for path, method, raw, shared, where in raw_ops
    ]
    return operations, model


def _shape(path: str, method: str, raw: dict[str, Any], shared: list[Any], profile: ApiProfile) -> OperationShape:
    operation_id = str(raw.get("operationId") or f"{method.upper()} {path}")
    responses = raw.get("responses") or {}
    success = next((responses[s] for s in sorted(responses, key=str) if str(s).startswith("2")), None)
    query = tuple(
        str(p["name"])
        for p in [*shared, *(raw.get("parameters") or [])]
        if isinstance(p, dict) and p.get("in") == "query"
    )
    identity = profile.for_operation(operation_id, method, path).identity
    return OperationShape(
        method=method.upper(),
        path=path,
        request_schema=_request_schema(raw.get("requestBody")),
        success_schema=_json_schema(success) if isinstance(success, dict) else None,
        query=query,
        identity_override=next(iter(identity), None),
    )


def _compile_operation(
    spec: SpecDocument,
    profile: ApiProfile,
    path: str,
    method: str,
    raw: dict[str, Any],
    shared_parameters: list[Any],
    schemes: dict[str, Any],
    global_security: Any,
    where: str,
) -> Operation:
    source = str(spec.path)
    operation_id = str(raw.get("operationId") or f"{method.upper()} {path}")
    merged: dict[tuple[str, str], Any] = {}
    for parameter in [*shared_parameters, *(raw.get("parameters") or [])]:
        if not isinstance(parameter, dict) or "name" not in parameter or "in" not in parameter:
            raise SpecError(source, "a parameter needs 'name' and 'in'", where)
        merged[(parameter["in"], parameter["name"])] = parameter
    parameters = tuple(
        _parameter(p, source, where)
        for (location, name), p in merged.items()
        if not (location == "header" and name.lower() in _IGNORED_HEADERS)
    )
    try:
        body = compile_body(raw.get("requestBody"))
    except (ValueError, jsonschema_rs.ValidationError) as exc:
        raise SpecError(source, f"invalid request body schema: {exc}", f"{where}.requestBody") from exc
    responses = {
        str(status): _response(str(status), response, source, f"{where}.responses.{status}")
        for status, response in (raw.get("responses") or {}).items()
    }
    success = next((r for s, r in sorted(responses.items()) if s.startswith("2")), None)
    if success is None:
        if not responses:
            raise SpecError(source, "the operation declares no responses", where)
        success = next(iter(responses.values()))
        log.warning("mockserver: %s: %s declares no 2xx response; it answers %s", source, where, success.status)
    invalid_status, invalid_declared = _invalid_status(responses)
    if body is not None and not _pydantic_like(responses):
        body = dataclasses.replace(body, unicode_only=False)
    op_profile = profile.for_operation(operation_id, method, path)
    path_names = tuple(p.name for p in parameters if p.location == "path")
    request_schema = _request_schema(raw.get("requestBody"))
    security = raw.get("security", global_security)
    query_schemas = tuple(
        (p["name"], p.get("schema") or {}) for (location, _), p in merged.items() if location == "query"
    )
    return Operation(
        api=spec.name,
        operation_id=operation_id,
        method=method.upper(),
        path=path,
        parameters=parameters,
        body=body,
        security=compile_security(security, schemes, source, where),
        responses=responses,
        success=success,
        invalid_status=invalid_status,
        invalid_declared=invalid_declared,
        update=compile_update_plan(
            op_profile,
            request_schema,
            success.schema,
            path_names,
            profile.source or source,
            f"operations.{operation_id}",
        ),
        profile=op_profile,
        request_schema=request_schema,
        query_schemas=query_schemas,
    )


def _parameter(parameter: dict[str, Any], source: str, where: str) -> ParameterRule:
    try:
        return compile_parameter(parameter)
    except (ValueError, jsonschema_rs.ValidationError) as exc:
        raise SpecError(source, f"invalid schema for parameter {parameter.get('name')!r}: {exc}", where) from exc


def _request_schema(holder: Any) -> Schema | None:
    """The JSON body's schema, else the form body's (`application/x-www-form-urlencoded`)."""
    found = _json_schema(holder)
    if found is not None:
        return found
    for media_type, media in ((holder or {}).get("content") or {}).items():
        if essence(media_type) == FORM and isinstance(media, dict) and isinstance(media.get("schema"), dict):
            return dict(media["schema"])
    return None


def _json_schema(holder: Any) -> Schema | None:
    content = (holder or {}).get("content") or {}
    for media_type, media in content.items():
        if is_json_media_type(media_type) and isinstance(media, dict):
            schema = media.get("schema")
            return schema if isinstance(schema, dict) else None
    return None


def _response(status: str, response: Any, source: str, where: str) -> ResponseSpec:
    if not isinstance(response, dict):
        raise SpecError(source, "a response must be a mapping", where)
    content = response.get("content") or {}
    preferred = next((m for m in content if is_json_media_type(m)), next(iter(content), None))
    declared = [preferred, *(m for m in content if m != preferred)] if preferred is not None else []
    try:
        variants = tuple(_variant(str(m), content[m]) for m in declared)
        main = variants[0] if variants else _variant("", {})
        # The resource stage builds its answers from the preferred type's schema, whatever the type.
        generate = main.generate or (
            _response_generator(main.schema, main.is_valid) if main.schema is not None else None
        )
    except (ValueError, jsonschema_rs.ValidationError) as exc:
        raise SpecError(source, f"invalid response schema: {exc}", where) from exc
    headers = frozenset(str(name).lower() for name in (response.get("headers") or {}))
    return ResponseSpec(
        status=status,
        description=str(response.get("description", "")),
        media_type=main.wire if variants else None,
        schema=main.schema,
        generate=generate,
        is_valid=main.is_valid,
        examples=main.examples,
        headers=headers,
        messages=_message_slots(main.schema),
        variants=variants,
    )


def _variant(media_type: str, declared: Any) -> MediaVariant:
    """One media type of a response; the mock builds its bodies if they are JSON, or text
    of a scalar schema."""
    media = declared if isinstance(declared, dict) else {}
    schema = media.get("schema") if isinstance(media.get("schema"), dict) else None
    examples = {name: ex.get("value") for name, ex in (media.get("examples") or {}).items() if isinstance(ex, dict)}
    if "example" in media:
        examples.setdefault("default", media["example"])
    wire = concrete(media_type) if media_type else media_type
    is_valid = _answer_check(schema or {})
    buildable = is_json_wire(wire) or (
        essence(wire).startswith("text/") and schema is not None and schema.get("type") in _SCALARS
    )
    generate = _response_generator(schema, is_valid) if schema is not None and buildable else None
    return MediaVariant(media_type, wire, schema, generate, is_valid, examples)


_SCALARS = ("string", "integer", "number", "boolean")


_NOT_SCHEMAS = frozenset({"example", "examples", "default", "const", "enum", "x-examples"})


def _unreadable_pattern(node: Any, where: str) -> tuple[str, str] | None:
    """The first `pattern` of the document (where, pattern) that is no regular expression."""
    if isinstance(node, list):
        return next((b for i, item in enumerate(node) if (b := _unreadable_pattern(item, f"{where}[{i}]"))), None)
    if not isinstance(node, dict):
        return None
    pattern = node.get("pattern")
    if isinstance(pattern, str) and not _readable(pattern):
        return f"{where}.pattern".lstrip("."), pattern
    for key, value in node.items():
        if key not in _NOT_SCHEMAS and isinstance(value, dict | list):
            found = _unreadable_pattern(value, f"{where}.{key}")
            if found is not None:
                return found
    return None


@functools.lru_cache(maxsize=4096)
def _readable(pattern: str) -> bool:
    try:
        jsonschema_rs.Draft202012Validator({"pattern": pattern})
    except (ValueError, jsonschema_rs.ValidationError):
        return False
    return True


def _answer_check(schema: Schema) -> IsValid:
    """Whether a body is a valid answer: `schema` without its writeOnly properties (an answer
    never holds one, nor needs a required one), compiled on first use (most answers of a large
    document are never given, and each validator of a big schema costs megabytes)."""
    built: list[IsValid] = []

    def is_valid(value: JSON) -> bool:
        if not built:
            try:
                built.append(schema_validator(without_hidden(schema, "writeOnly"), validate_formats=True).is_valid)
            except (ValueError, jsonschema_rs.ValidationError) as exc:  # a pattern Rust's regex cannot read
                log.warning("mockserver: an answer's schema cannot be checked (%s); its bodies are sent unchecked", exc)
                built.append(lambda value: True)
        return built[0](value)

    return is_valid


def _response_generator(schema: Schema, is_valid: IsValid) -> Generator:
    """An answer's body generator, compiled on first use (most answers of a large document,
    its errors above all, are never asked for)."""
    return lazy(lambda: checked(compile_generator(schema), is_valid))


def _message_slots(schema: Schema | None) -> tuple[FieldSlot, ...]:
    """The fields of an error schema meant for a message (`message`, `detail`, ...; a string,
    or a list of strings as in `errors.body`), at the top level or one level down, the
    parts of an `allOf` read as one."""
    found: list[FieldSlot] = []
    schema = _merged(schema)
    top = (schema or {}).get("properties") or {}
    for prefix, node in (((), schema), *(((k,), _merged(v)) for k, v in top.items())):
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(properties, dict):
            continue
        names = [n for n in _MESSAGE_FIELDS if n in properties] or (
            list(properties) if prefix in (("errors",), ("error",)) else []
        )
        for name in names:
            sub = properties[name]
            if not isinstance(sub, dict):
                continue
            check = schema_validator(sub, validate_formats=True).is_valid
            if check("x") or check(["x"]):
                found.append(_MessageSlot((*prefix, name), check, as_list=not check("x")))
                break
        if len(found) >= 2:
            break
    return tuple(found)


def _merged(schema: Any) -> Any:
    """An `allOf` schema as one, for its properties (Discord's error is `allOf: [Error, {errors}]`)."""
    return merge_all_of(schema) if isinstance(schema, dict) and isinstance(schema.get("allOf"), list) else schema


@dataclass(frozen=True, slots=True)
class _MessageSlot(FieldSlot):
    """A message field; a list of strings holds the message as its one item."""

    as_list: bool = False

    def write(self, resource: JSON, value: JSON) -> bool:
        return FieldSlot.write(self, resource, [value] if self.as_list else value)


def _pydantic_like(responses: dict[str, ResponseSpec]) -> bool:
    """Invalid input is answered in FastAPI's shape: declared so, or no error shape declared.
    Such services (pydantic) also refuse strings that are not Unicode (lone surrogates)."""
    for status in ("422", "400", "4XX", "4xx", "default"):
        spec = responses.get(status)
        if spec is not None and spec.schema is not None:
            return spec.accepts(_SAMPLE_VALIDATION_ERROR)
    return True


def _invalid_status(responses: dict[str, ResponseSpec]) -> tuple[int, bool]:
    """Where an invalid request is answered: the declared status a FastAPI-style validation
    error fits, else a declared 422 or 400 of another shape, else 422 (undeclared unless a
    `4XX` or `default` answer covers it)."""
    for status in ("422", "400", "4XX", "4xx"):
        spec = responses.get(status)
        if spec is not None and spec.accepts(_SAMPLE_VALIDATION_ERROR):
            return (422 if status.upper() == "4XX" else int(status)), True
    for status in ("422", "400"):
        if status in responses:
            return int(status), True
    return 422, any(status in responses for status in ("4XX", "4xx", "default"))
