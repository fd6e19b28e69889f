"""An independent reading of an OpenAPI document, to judge requests and answers: `SpecOracle`.

The suite judges the mock with it, and the mock's own tests judge the mock's answers with it
(`tests/mockserver`), so it shares no code with `mockserver`: it parses the document itself
(YAML with timestamps kept as text, or JSON), resolves `$ref`s with `referencing` (into other
local files too) and validates with the pure-Python `jsonschema` (Draft 2020-12, formats
checked, leap seconds included), not the mock's loader, adapter or jsonschema_rs, so a bug
there cannot hide by being applied twice. OpenAPI 3.0 is read as 3.0 defines it, translated
once at load (`dialect.py`); a 3.1 document is JSON Schema 2020-12 as it stands.

    request(method, path)          a `RequestOracle`: what is wrong with a request as sent
    response(method, path, status) the declared answer (exact status, then 4XX, then default)
    declares_fastapi_422(...)      whether the operation declares FastAPI's validation error

Request problems use FastAPI's locations: ("body", "title"), ("header", "x-workspace-id"),
("body",) for a body that is missing, not JSON or not an object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contracts.dialect import FORMATS, as_31, read_document
from contracts.sent import SentRequest
from contracts.types import JSON, Loc

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Headers the transport sets, never the request's own input (OpenAPI ignores such parameters).
_TRANSPORT_HEADERS = ("accept", "content-type", "authorization")


def is_json_media_type(media_type: str) -> bool:
    """JSON or a `+json` type, or `*/*` (a document's "anything", usually JSON)."""
    kind = media_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json") or kind == "*/*"


@dataclass(frozen=True)
class DeclaredResponse:
    status: str  # the key it is declared under: "200", "4XX", "default"
    validator: Draft202012Validator | None  # None: no JSON body declared

    def errors(self, body: JSON) -> list[str]:
        if self.validator is None:
            return []
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in self.validator.iter_errors(body)
        ]


@dataclass(frozen=True)
class _Parameter:
    name: str
    location: str
    required: bool
    validator: Draft202012Validator
    types: frozenset[str]  # the JSON types its schema admits (empty: any)


@dataclass(frozen=True)
class RequestOracle:
    parameters: tuple[_Parameter, ...]
    body_required: bool
    body_validator: Draft202012Validator | None  # None: no JSON body declared
    # The body schema's properties, each `$ref` (and those of its anyOf/oneOf branches) resolved.
    body_properties: Mapping[str, JSON]

    def problems(self, request: SentRequest, path_params: Mapping[str, str]) -> list[Loc]:
        """Every location where `request` breaks the operation's declared input."""
        found: list[Loc] = []
        for parameter in self.parameters:
            raw = _raw_parameter(parameter, request, path_params)
            if raw is None:
                if parameter.required:
                    found.append((parameter.location, parameter.name))
            elif not parameter.validator.is_valid(_coerce(raw, parameter.types)):
                found.append((parameter.location, parameter.name))
        if self.body_validator is not None:
            found.extend(self._body_problems(request))
        return found

    def body_problems_of(self, value: JSON) -> list[Loc]:
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


class SpecOracle:
    """What one OpenAPI document declares, read without any of the mock's code."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.uri = path.resolve().as_uri()
        raw = read_document(path)
        self.version = str(raw.get("openapi", ""))
        self.document: dict[str, JSON] = as_31(raw, self.version)
        resource = DRAFT202012.create_resource(self.document)
        self.registry: Registry[JSON] = Registry(retrieve=self._retrieve).with_resource(self.uri, resource)  # type: ignore[call-arg]
        self._resolver = self.registry.resolver(base_uri=self.uri)

    def _retrieve(self, uri: str) -> Resource[JSON]:
        """Another local file a `$ref` names, read in the document's dialect."""
        parts = urlsplit(uri)
        if parts.scheme != "file":
            raise ValueError(f"only local files are read, not {uri}")
        contents = as_31(read_document(Path(url2pathname(parts.path))), self.version)
        return Resource.from_contents(contents, default_specification=DRAFT202012)

    def validator(self, location: str) -> Draft202012Validator:
        """A validator for the schema at `location` (an absolute URI with a JSON pointer)."""
        return Draft202012Validator({"$ref": location}, registry=self.registry, format_checker=FORMATS)

    def resolve(self, node: JSON, location: str) -> tuple[JSON, str]:
        """`node` (found at `location`) with its `$ref` chain followed, and where it ends."""
        for _ in range(64):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node, location
            location = urljoin(location, node["$ref"])
            node = self._resolver.lookup(location).contents
        raise ValueError(f"{location}: a $ref chain longer than 64 links")

    def operation(self, method: str, path: str) -> tuple[dict[str, JSON], str]:
        """The operation object and its location."""
        item, where = self.resolve(self.document["paths"][path], f"{self.uri}#/paths/{_escape(path)}")
        return item[method.lower()], f"{where}/{method.lower()}"

    def operations(self) -> list[tuple[str, str]]:
        paths = self.document.get("paths") or {}
        return [(m.upper(), p) for p, item in paths.items() for m in _METHODS if isinstance(item, dict) and m in item]

    def declared_statuses(self, method: str, path: str) -> list[str]:
        operation, _ = self.operation(method, path)
        return [str(status) for status in operation.get("responses") or {}]

    def response(self, method: str, path: str, status: int) -> DeclaredResponse | None:
        """The declared response for `status` (exact, then `4XX`, then `default`), if any."""
        operation, where = self.operation(method, path)
        responses = {str(key): value for key, value in (operation.get("responses") or {}).items()}
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                break
        else:
            return None
        node, where = self.resolve(responses[key], f"{where}/responses/{_escape(key)}")
        content = node.get("content") or {}
        if "application/json" not in content or "schema" not in content["application/json"]:
            return DeclaredResponse(key, None)
        return DeclaredResponse(key, self.validator(f"{where}/content/application~1json/schema"))

    def _body(self, method: str, path: str) -> tuple[dict[str, JSON], str]:
        operation, where = self.operation(method, path)
        node, where = self.resolve(operation.get("requestBody") or {}, f"{where}/requestBody")
        return node, where

    def request_body_validator(self, method: str, path: str) -> Draft202012Validator:
        node, where = self._body(method, path)
        assert "application/json" in (node.get("content") or {}), f"{method} {path} takes no JSON body"
        return self.validator(f"{where}/content/application~1json/schema")

    def request_body_properties(self, method: str, path: str) -> list[str]:
        node, where = self._body(method, path)
        schema, _ = self.resolve(node["content"]["application/json"]["schema"], where)
        return list(schema.get("properties") or {})

    def request_body_required(self, method: str, path: str) -> bool:
        node, _ = self._body(method, path)
        return bool(node.get("required", False))

    def request(self, method: str, path: str) -> RequestOracle:
        """The request oracle of one operation."""
        operation, where = self.operation(method, path)
        item, item_where = self.resolve(self.document["paths"][path], f"{self.uri}#/paths/{_escape(path)}")
        merged: dict[tuple[str, str], tuple[dict[str, JSON], str]] = {}
        for owner, base in ((item, item_where), (operation, where)):
            for index, given in enumerate(owner.get("parameters") or []):
                parameter, at = self.resolve(given, f"{base}/parameters/{index}")
                merged[(str(parameter["in"]), str(parameter["name"]))] = (parameter, at)
        parameters = tuple(
            _Parameter(
                name=name,
                location=location,
                required=bool(parameter.get("required", location == "path")),
                validator=self.validator(f"{at}/schema") if "schema" in parameter else Draft202012Validator({}),
                types=frozenset(self._types(parameter.get("schema") or {}, f"{at}/schema")),
            )
            for (location, name), (parameter, at) in merged.items()
            if not (location == "header" and name.lower() in _TRANSPORT_HEADERS)
        )
        body, body_where = self._body(method, path)
        content = body.get("content") or {}
        media = next((m for m in content if is_json_media_type(m)), None)
        validator, properties = None, {}
        if content:
            schema_at = f"{body_where}/content/{_escape(media)}/schema" if media is not None else ""
            has_schema = media is not None and "schema" in content[media]
            validator = self.validator(schema_at) if has_schema else Draft202012Validator({}, format_checker=FORMATS)
            if has_schema:
                schema, at = self.resolve(content[media]["schema"], schema_at)
                properties = {
                    str(name): self._shallow(value, f"{at}/properties/{_escape(str(name))}")
                    for name, value in (schema.get("properties") or {}).items()
                }
        return RequestOracle(parameters, bool(body.get("required", False)), validator, properties)

    def declares_fastapi_422(self, method: str, path: str) -> bool:
        """Whether the operation declares FastAPI's validation error for 422: an object whose
        `detail` is an array of `{loc, msg, type}` (the HTTPValidationError every FastAPI spec carries)."""
        operation, where = self.operation(method, path)
        declared = (operation.get("responses") or {}).get("422")
        if declared is None:
            return False
        response, where = self.resolve(declared, f"{where}/responses/422")
        content = response.get("content") or {}
        media = next((m for m in content if is_json_media_type(m)), None)
        if media is None or "schema" not in content[media]:
            return False
        schema, where = self.resolve(content[media]["schema"], f"{where}/content/{_escape(media)}/schema")
        detail, where = self.resolve((schema.get("properties") or {}).get("detail") or {}, f"{where}/properties/detail")
        if not isinstance(detail, dict) or "array" not in self._types(detail, where):
            return False
        items, _ = self.resolve(detail.get("items") or {}, f"{where}/items")
        fields = set((items.get("properties") or {}).keys()) if isinstance(items, dict) else set()
        return {"loc", "msg", "type"} <= fields

    def _shallow(self, node: JSON, location: str) -> JSON:
        """`node` resolved, with its anyOf/oneOf branches resolved too."""
        schema, where = self.resolve(node, location)
        if not isinstance(schema, dict):
            return schema
        out = dict(schema)
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                out[key] = [self.resolve(branch, f"{where}/{key}/{i}")[0] for i, branch in enumerate(schema[key])]
        return out

    def _types(self, node: JSON, location: str) -> set[str]:
        schema, where = self.resolve(node, location)
        if not isinstance(schema, dict):
            return set()
        kind = schema.get("type")
        found = {kind} if isinstance(kind, str) else set(kind or [])
        for key in ("anyOf", "oneOf"):
            for index, branch in enumerate(schema.get(key) or []):
                found |= self._types(branch, f"{where}/{key}/{index}")
        return found


def _escape(segment: str) -> str:
    """A JSON-pointer segment, as it may stand in a URI fragment."""
    return segment.replace("~", "~0").replace("/", "~1")


def _raw_parameter(parameter: _Parameter, request: SentRequest, path_params: Mapping[str, str]) -> str | None:
    if parameter.location == "path":
        value = path_params.get(parameter.name)
        return None if value is None else str(value)
    if parameter.location == "query":
        return request.query.get(parameter.name)
    if parameter.location == "header":
        return request.headers.get(parameter.name.lower())
    return None  # cookies: none of the seed specs has one


def _coerce(raw: str, types: frozenset[str]) -> JSON:
    """Parameters travel as strings; convert the way a server framework would."""
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


def _locations(error: ValidationError) -> list[Loc]:
    path: Loc = ("body", *error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        return [(*path, name) for name in error.validator_value if name not in instance]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set((error.schema.get("properties") or {}).keys()) if isinstance(error.schema, dict) else set()
        return [(*path, key) for key in instance if key not in known] or [path]
    return [path]
