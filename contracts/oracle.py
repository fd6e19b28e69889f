"""What is wrong with a request, as it went on the wire: `RequestOracle.problems`.

Independent of the mock's validator on purpose (python-jsonschema rather than the mock's
jsonschema_rs): the suite judges the mock with it. It answers two questions: "was this
request invalid?" (an undocumented 400/422 to it is a tolerated spec gap) and "which field is
wrong?" (a helpful 422 names it). Locations use FastAPI's vocabulary: ("body", "title"),
("header", "x-workspace-id"), ("body",) for a body that is missing, not JSON or not an object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from contracts.sent import SentRequest
from mockserver.loader import SpecDocument
from mockserver.operations import Operation
from mockserver.types import Loc
from mockserver.validation import is_json_media_type

_FORMATS = FormatChecker()


@dataclass(frozen=True)
class _Parameter:
    name: str
    location: str
    required: bool
    validator: Draft202012Validator


@dataclass(frozen=True)
class RequestOracle:
    parameters: tuple[_Parameter, ...]
    body_required: bool
    body_validator: Draft202012Validator | None  # None: no JSON body declared

    def problems(self, request: SentRequest, path_params: Mapping[str, Any]) -> list[Loc]:
        """Every location where `request` breaks the operation's declared input."""
        found: list[Loc] = []
        for parameter in self.parameters:
            raw = _raw_parameter(parameter, request, path_params)
            if raw is None:
                if parameter.required:
                    found.append((parameter.location, parameter.name))
            elif not parameter.validator.is_valid(_coerce(raw, parameter.validator.schema)):
                found.append((parameter.location, parameter.name))
        if self.body_validator is not None:
            found.extend(self._body_problems(request))
        return found

    def body_problems_of(self, value: Any) -> list[Loc]:
        """Where a JSON body `value` breaks the declared body schema."""
        if self.body_validator is None:
            return []
        return sorted({loc for error in self.body_validator.iter_errors(value) for loc in _locations(error)}, key=str)

    def _body_problems(self, request: SentRequest) -> list[Loc]:
        if not request.body:
            return [("body",)] if self.body_required else []
        content_type = request.headers.get("content-type", "application/json")
        parsed, value = request.json_body()
        if not parsed or not is_json_media_type(content_type):
            return [("body",)]
        return self.body_problems_of(value)


def _raw_parameter(parameter: _Parameter, request: SentRequest, path_params: Mapping[str, Any]) -> str | None:
    if parameter.location == "path":
        value = path_params.get(parameter.name)
        return None if value is None else str(value)
    if parameter.location == "query":
        return request.query.get(parameter.name)
    if parameter.location == "header":
        return request.headers.get(parameter.name.lower())
    return None  # cookies: none of the seed specs has one


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """Parameters travel as strings; convert the way a server framework would."""
    types = _types(schema)
    if "string" in types or not types:
        return raw
    for kind, convert in (("integer", int), ("number", float)):
        if kind in types:
            try:
                return convert(raw)
            except ValueError:
                pass
    if "boolean" in types and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    found = {kind} if isinstance(kind, str) else set(kind or [])
    for branch in schema.get("anyOf") or schema.get("oneOf") or []:
        found |= _types(branch)
    return found


def _locations(error: ValidationError) -> list[Loc]:
    path: Loc = ("body", *error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        return [(*path, name) for name in error.validator_value if name not in instance]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set((error.schema.get("properties") or {}).keys()) if isinstance(error.schema, dict) else set()
        return [(*path, key) for key in instance if key not in known] or [path]
    return [path]


def compile_oracle(spec: SpecDocument, op: Operation) -> RequestOracle:
    """The oracle of `op`, from the normalised (3.1 dialect) spec document."""
    item = spec.inline(spec.document["paths"][op.path], op.path)
    raw = item[op.method.lower()]
    merged = {(p["in"], p["name"]): p for p in [*(item.get("parameters") or []), *(raw.get("parameters") or [])]}
    parameters = tuple(
        _Parameter(
            name=str(name),
            location=str(location),
            required=bool(p.get("required", location == "path")),
            validator=Draft202012Validator(p.get("schema") or {}, format_checker=_FORMATS),
        )
        for (location, name), p in merged.items()
        if not (location == "header" and str(name).lower() in ("accept", "content-type", "authorization"))
    )
    request_body = raw.get("requestBody") or {}
    content = request_body.get("content") or {}
    schema = next((media.get("schema") for m, media in content.items() if is_json_media_type(m)), None)
    validator = None if not content else Draft202012Validator(schema or {}, format_checker=_FORMATS)
    return RequestOracle(parameters, bool(request_body.get("required", False)), validator)


def declares_fastapi_422(spec: SpecDocument, op: Operation) -> bool:
    """Whether `op` declares FastAPI's validation error for 422: an object whose `detail` is an
    array of `{loc, msg, type}` (the HTTPValidationError every FastAPI spec carries)."""
    item = spec.inline(spec.document["paths"][op.path], op.path)
    response = ((item.get(op.method.lower()) or {}).get("responses") or {}).get("422") or {}
    content = response.get("content") or {}
    schema = next((media.get("schema") for m, media in content.items() if is_json_media_type(m)), None)
    detail = ((schema or {}).get("properties") or {}).get("detail") or {}
    if not isinstance(detail, dict) or "array" not in _types(detail):
        return False
    items = detail.get("items") or {}
    fields = set((items.get("properties") or {}).keys()) if isinstance(items, dict) else set()
    return {"loc", "msg", "type"} <= fields
