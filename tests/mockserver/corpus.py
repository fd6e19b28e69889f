"""The public OpenAPI documents of `tests/corpus/`, and an independent oracle for them.

`CorpusOracle` reads a corpus document itself (JSON, or YAML with the C loader), resolves its
`$ref`s with `referencing` (those into other local files too) and validates with
`openapi_schema_validator` (`OAS30Validator`
for 3.0.x, which knows `nullable` and boolean `exclusiveMinimum`, with 3.0's rule that a
`$ref`'s siblings are ignored; `OAS31Validator` for 3.1.x, where `nullable` means nothing),
formats checked. It imports nothing from `mockserver`: it is what the mock is judged by.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit
from urllib.request import url2pathname

import yaml
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import create
from openapi_schema_validator import OAS30Validator, OAS31Validator, oas30_format_checker, oas31_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
SOURCES = CORPUS_DIR / "SOURCES.yaml"
TOKEN = "T"
BASIC_CREDENTIALS = "Basic " + base64.b64encode(f"user:{TOKEN}".encode()).decode()  # "Basic dXNlcjpU"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_MESSAGES = 8
_MAX_MESSAGE = 400


def _ref_overrides_siblings(schema: Any) -> Iterable[tuple[str, Any]]:
    """OpenAPI 3.0: "properties added [next to a $ref] SHALL be ignored" (`{"$ref": ...,
    "type": "number"}` in Xero is the referenced object, not a number)."""
    if isinstance(schema, dict) and "$ref" in schema:
        return [("$ref", schema["$ref"])]
    items: Iterable[tuple[str, Any]] = schema.items()
    return items


# OAS30Validator (nullable, boolean exclusiveMinimum, OpenAPI formats) with 3.0's $ref rule.
OAS30RefValidator: Any = create(
    meta_schema=OAS30Validator.META_SCHEMA,
    validators=OAS30Validator.VALIDATORS,
    type_checker=OAS30Validator.TYPE_CHECKER,
    format_checker=oas30_format_checker,
    id_of=OAS30Validator.ID_OF,
    applicable_validators=_ref_overrides_siblings,
)


@dataclass(frozen=True)
class CorpusEntry:
    """One entry of SOURCES.yaml."""

    file: str
    openapi: str
    operations: int
    shapes: tuple[str, ...]
    loads: bool
    load_error: str | None
    schemathesis_skip: str | None = None  # why the Schemathesis run leaves the document out
    # mode -> why only `make test-corpus-long` runs its coverage phase in that mode
    coverage_long_only: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return CORPUS_DIR / self.file


def corpus_entries() -> list[CorpusEntry]:
    """Every document SOURCES.yaml lists, in its order."""
    raw = yaml.load(SOURCES.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return [
        CorpusEntry(
            file=str(item["file"]),
            openapi=str(item.get("openapi", "")),
            operations=int(item.get("operations", 0)),
            shapes=tuple(str(s) for s in item.get("shapes") or ()),
            loads=bool(item.get("loads", False)),
            load_error=str(item["load_error"]) if item.get("load_error") else None,
            schemathesis_skip=str(item["schemathesis_skip"]) if item.get("schemathesis_skip") else None,
            coverage_long_only={str(k): str(v) for k, v in (item.get("coverage_long_only") or {}).items()},
        )
        for item in raw
    ]


def corpus_documents() -> list[CorpusEntry]:
    """The entries SOURCES.yaml records as loading (the tests re-check that when collecting)."""
    return [entry for entry in corpus_entries() if entry.loads]


def plain(node: Any) -> Any:
    """`node` as JSON data: mapping keys as strings (YAML reads `200:` as an int) and the dates
    and timestamps YAML 1.1 makes of unquoted dates back to ISO strings."""
    if isinstance(node, dict):
        return {(k.isoformat() if isinstance(k, date) else str(k)): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, datetime | date):
        return node.isoformat()
    return node


def read_document(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=yaml.CSafeLoader)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    document: dict[str, Any] = plain(data)
    return document


def is_json_like(media_type: str | None) -> bool:
    essence = (media_type or "").split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_MAX_READINGS = 1024  # combinations of field readings a multipart body is judged under


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _essence(media_type: str | None) -> str:
    return (media_type or "").split(";", 1)[0].strip().lower()


def _media_matches(actual: str, declared: str) -> bool:
    pattern = _essence(declared)
    if pattern in ("*/*", actual):
        return True
    return pattern.endswith("/*") and actual.startswith(pattern[:-1])


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."


@dataclass(frozen=True)
class _Declared:
    """One declared response: its key and, per declared media type, a validator (None: no schema)."""

    key: str
    media: dict[str, Validator | None]


@dataclass
class Credentials:
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


class CorpusOracle:
    """What one corpus document declares, read with none of the mock's code."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.document = read_document(path)
        self.version = str(self.document.get("openapi", ""))
        if self.version.startswith("3.0"):
            self._validator_class: Any = OAS30RefValidator
            self._format_checker = oas30_format_checker
            self._specification = DRAFT4
        elif self.version.startswith("3.1"):
            self._validator_class = OAS31Validator
            self._format_checker = oas31_format_checker
            self._specification = DRAFT202012
        else:
            raise ValueError(f"{path}: unsupported openapi version {self.version!r}")
        # The document by its file's URI, and the local files it refers to read on demand.
        self.uri = path.resolve().as_uri()
        resource: Resource[Any] = self._specification.create_resource(self.document)
        self.registry: Registry[Any] = Registry(retrieve=self._retrieve).with_resource(self.uri, resource)  # type: ignore[call-arg]
        self._resolver = self.registry.resolver(base_uri=self.uri)
        self._files: dict[str, Resource[Any]] = {}
        self._responses: dict[tuple[str, str, str], _Declared] = {}
        self._requests: dict[tuple[str, str], dict[str, Validator | None] | None] = {}
        self._parameters: dict[tuple[str, str, str, str], Validator | None] = {}

    # -- reading -----------------------------------------------------------------------

    def _retrieve(self, uri: str) -> Resource[Any]:
        if uri not in self._files:
            if not uri.startswith("file:"):
                raise ValueError(f"{self.path}: will not fetch {uri}")
            self._files[uri] = self._specification.create_resource(
                read_document(Path(url2pathname(urlsplit(uri).path)))
            )
        return self._files[uri]

    def _validator(self, location: str) -> Validator:
        """A validator of the schema at `location` ("<file URI>#<JSON pointer>")."""
        document, _, pointer = location.partition("#")
        ref = f"{document}#{quote(pointer, safe='/~')}"
        validator: Validator = self._validator_class(
            {"$ref": ref}, registry=self.registry, format_checker=self._format_checker
        )
        return validator

    def _deref(self, node: Any, location: str) -> tuple[Any, str]:
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = urljoin(location.partition("#")[0], quote(str(node["$ref"]), safe="/~#%:"))
            if ref in seen:
                raise ValueError(f"{self.path}: cannot follow $ref {node['$ref']!r} at {location}")
            seen.add(ref)
            document, _, fragment = ref.partition("#")
            location = f"{document}#{unquote(fragment)}"
            node = self._resolver.lookup(ref).contents
        return node, location

    def _path_item(self, spec_path: str) -> tuple[dict[str, Any], str]:
        paths = self.document.get("paths") or {}
        if spec_path not in paths:
            raise KeyError(f"{self.path.name}: no path {spec_path!r}")
        node, pointer = self._deref(paths[spec_path], f"{self.uri}#/paths/{_escape(spec_path)}")
        return node, pointer

    def operation(self, method: str, spec_path: str) -> tuple[dict[str, Any], str]:
        item, pointer = self._path_item(spec_path)
        operation = item.get(method.lower())
        if not isinstance(operation, dict):
            raise KeyError(f"{self.path.name}: no operation {method.upper()} {spec_path}")
        return operation, f"{pointer}/{method.lower()}"

    def operations(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for spec_path in self.document.get("paths") or {}:
            item, _ = self._path_item(spec_path)
            found.extend((m.upper(), spec_path) for m in _METHODS if m in item)
        return found

    def _media(self, content: Any, pointer: str) -> dict[str, Validator | None]:
        media: dict[str, Validator | None] = {}
        for media_type, holder in (content or {}).items():
            if (
                isinstance(holder, dict)
                and "schema" in holder
                and (is_json_like(media_type) or _essence(media_type) in (_FORM, _MULTIPART))
            ):
                media[media_type] = self._validator(f"{pointer}/content/{_escape(media_type)}/schema")
            else:
                media[media_type] = None
        return media

    def declared(self, method: str, spec_path: str, status: int) -> _Declared | None:
        """The declared response for `status`: exact, then `4XX`, then `default`."""
        operation, pointer = self.operation(method, spec_path)
        responses = {str(k): v for k, v in (operation.get("responses") or {}).items()}
        text = str(status)
        key = next((k for k in (text, f"{text[0]}XX", f"{text[0]}xx", "default") if k in responses), None)
        if key is None:
            return None
        cache_key = (method.upper(), spec_path, key)
        if cache_key not in self._responses:
            node, where = self._deref(responses[key], f"{pointer}/responses/{_escape(key)}")
            self._responses[cache_key] = _Declared(key, self._media(node.get("content"), where))
        return self._responses[cache_key]

    # -- judging -----------------------------------------------------------------------

    def response_errors(self, method: str, spec_path: str, status: int, body: Any, media_type: str | None) -> list[str]:
        """What is wrong with an answer (`body` decoded JSON, None for an empty body) to
        `method spec_path` against the document; [] when it is as declared."""
        declared = self.declared(method, spec_path, status)
        if declared is None:
            return [f"undeclared status {status}"]
        if not declared.media:
            return []  # no content declared: any body
        actual = _essence(media_type)
        if not actual:
            if any(v is not None for v in declared.media.values()):
                return [f"no body, but response {declared.key} declares {sorted(declared.media)}"]
            return []
        matching = [m for m in declared.media if _media_matches(actual, m)]
        if not matching:
            return [f"media type {actual!r} is not declared for response {declared.key} ({sorted(declared.media)})"]
        validators = [declared.media[m] for m in matching if declared.media[m] is not None]
        if not is_json_like(actual) or not validators:
            return []
        exact = [declared.media[m] for m in matching if _essence(m) == actual and declared.media[m] is not None]
        validator = (exact or validators)[0]
        assert validator is not None
        errors = [e for e in validator.iter_errors(body) if not self._write_only_required(e)]
        return _messages(iter(errors), f"response {declared.key}")

    def _write_only_required(self, error: ValidationError) -> bool:
        """A `required` error for a `writeOnly` property: OpenAPI says "the required will take
        effect on the request only" (3.0.3, Schema Object `writeOnly`)."""
        if error.validator != "required" or not isinstance(error.schema, dict):
            return False
        found = re.match(r"'(.+)' is a required property$", error.message)
        properties = error.schema.get("properties")
        if found is None or not isinstance(properties, dict):
            return False
        sub = properties.get(found.group(1))
        return isinstance(sub, dict) and sub.get("writeOnly") is True

    def request_body_errors(self, method: str, spec_path: str, body: Any) -> list[str]:
        """What is wrong with a JSON request body; [] also where no JSON schema is declared."""
        cache_key = (method.upper(), spec_path)
        if cache_key not in self._requests:
            operation, pointer = self.operation(method, spec_path)
            if "requestBody" not in operation:
                self._requests[cache_key] = None
            else:
                node, where = self._deref(operation["requestBody"], f"{pointer}/requestBody")
                self._requests[cache_key] = self._media(node.get("content"), where)
        media = self._requests[cache_key]
        validator = next((v for m, v in (media or {}).items() if v is not None and is_json_like(m)), None)
        return [] if validator is None else _messages(validator.iter_errors(body), "request body")

    def form_field_errors(self, method: str, spec_path: str, fields: Mapping[str, str | list[str]]) -> list[str]:
        """Fields of an `application/x-www-form-urlencoded` body that are invalid however
        they are read (as the text sent, or as JSON: `5`, `true`, `null`; a lone value also as
        an array's one item, which is how the form carries one), or required and not sent; a
        list is a key repeated, read as an array."""
        self.request_body_errors(method, spec_path, {})  # fills the cache of request media
        media = self._requests.get((method.upper(), spec_path)) or {}
        validator = next((v for m, v in media.items() if v is not None and _essence(m) == _FORM), None)
        if validator is None:
            return []
        as_json = {
            k: [_json_or_text(t) for t in v] if isinstance(v, list) else _json_or_text(v) for k, v in fields.items()
        }
        readings = [dict(fields), as_json]
        readings += [{k: v if isinstance(v, list) else [v] for k, v in r.items()} for r in readings]
        bad: list[set[str]] = []
        for reading in readings:
            names: set[str] = set()
            for e in validator.iter_errors(reading):
                if e.absolute_path:
                    names.add(str(e.absolute_path[0]))
                elif e.validator == "required" and isinstance(e.validator_value, list):
                    names.update(str(n) for n in e.validator_value if n not in reading)
            bad.append(names)
        return [
            f"request body {name}: {fields[name]!r} is invalid"
            if name in fields
            else f"request body {name}: required, not sent"
            for name in sorted(set.intersection(*bad))
        ]

    def multipart_errors(self, method: str, spec_path: str, parts: Iterable[tuple[str, str]]) -> list[str]:
        """What is wrong with a `multipart/form-data` body (its parts' names and texts) however
        its parts are read: a part as its text or as JSON, a lone part as the value or as an
        array's one item, repeated parts as an array. [] when some reading is valid, when no
        multipart schema is declared, or when there are too many readings to try."""
        self.request_body_errors(method, spec_path, {})  # fills the cache of request media
        media = self._requests.get((method.upper(), spec_path)) or {}
        validator = next((v for m, v in media.items() if v is not None and _essence(m) == _MULTIPART), None)
        if validator is None:
            return []
        texts: dict[str, list[str]] = {}
        for name, text in parts:
            texts.setdefault(name, []).append(text)
        names = list(texts)
        schema = self._multipart_schema(method, spec_path)
        readings = [self._possible(schema, name, _part_readings(texts[name])) for name in names]
        for name, possible in zip(names, readings, strict=True):
            if not possible:
                return [_short(f"request body {name}: {texts[name]!r} is invalid however it is read")]
        if math.prod(len(r) for r in readings) > _MAX_READINGS:
            return []
        first: list[str] = []
        for values in itertools.product(*readings):
            errors = _messages(validator.iter_errors(dict(zip(names, values, strict=True))), "request body")
            if not errors:
                return []
            first = first or errors
        return first

    def _multipart_schema(self, method: str, spec_path: str) -> tuple[Any, str]:
        operation, pointer = self.operation(method, spec_path)
        body, where = self._deref(operation.get("requestBody") or {}, f"{pointer}/requestBody")
        key = next(m for m in body.get("content") or {} if _essence(m) == _MULTIPART)
        return f"{where}/content/{_escape(key)}/schema", key

    def _possible(self, at: tuple[str, str], name: str, readings: list[Any]) -> list[Any]:
        """The readings of field `name` that every declared schema of that property on some
        way to a valid body admits (`allOf`: each part; `anyOf`/`oneOf`: one branch)."""
        location, _ = at
        return [r for r in readings if self._admits({"$ref": location}, location, name, r, 0)]

    def _admits(self, node: Any, location: str, name: str, value: Any, depth: int) -> bool:
        """A condition any body valid against the schema `node` meets for its property `name`."""
        node, location = self._deref(node, location)
        if not isinstance(node, dict) or depth > 16:
            return True
        properties = node.get("properties")
        if (
            isinstance(properties, dict)
            and name in properties
            and not self._validator(f"{location}/properties/{_escape(name)}").is_valid(value)
        ):
            return False
        for keyword in ("allOf", "anyOf", "oneOf"):
            branches = node.get(keyword)
            if not isinstance(branches, list):
                continue
            admitted = (
                self._admits(b, f"{location}/{keyword}/{i}", name, value, depth + 1) for i, b in enumerate(branches)
            )
            if not (all(admitted) if keyword == "allOf" else any(admitted)):
                return False
        return True

    def parameter_errors(self, method: str, spec_path: str, location: str, name: str, value: Any) -> list[str]:
        """What is wrong with the (typed) value of one declared parameter."""
        cache_key = (method.upper(), spec_path, location, name)
        if cache_key not in self._parameters:
            self._parameters[cache_key] = self._parameter_validator(method, spec_path, location, name)
        validator = self._parameters[cache_key]
        return [] if validator is None else _messages(validator.iter_errors(value), f"{location} {name}")

    def _parameter_validator(self, method: str, spec_path: str, location: str, name: str) -> Validator | None:
        found: str | None = None
        item, item_pointer = self._path_item(spec_path)
        _operation, op_pointer = self.operation(method, spec_path)
        for holder, pointer in ((item, item_pointer), (item.get(method.lower()) or {}, op_pointer)):
            for index, parameter in enumerate(holder.get("parameters") or []):
                node, where = self._deref(parameter, f"{pointer}/parameters/{index}")
                if node.get("in") == location and node.get("name") == name and "schema" in node:
                    found = f"{where}/schema"
        return self._validator(found) if found is not None else None

    def credentials(self, method: str, spec_path: str) -> Credentials:
        """`Authorization: Bearer T` and every apiKey scheme of the document set to T; where the
        first security alternative of the operation is http basic, basic credentials instead."""
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        found = Credentials(headers={"Authorization": f"Bearer {TOKEN}"})
        for scheme in schemes.values():
            if isinstance(scheme, dict) and str(scheme.get("type", "")).lower() == "apikey":
                _put(found, str(scheme.get("in", "")), str(scheme.get("name", "")))
        operation, _ = self.operation(method, spec_path)
        requirements = operation.get("security", self.document.get("security")) or []
        first = next((r for r in requirements if isinstance(r, dict)), {})
        for name in first:
            scheme = schemes.get(name) or {}
            kind = str(scheme.get("type", "")).lower()
            if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                found.headers["Authorization"] = BASIC_CREDENTIALS
            elif kind == "apikey":
                _put(found, str(scheme.get("in", "")), str(scheme.get("name", "")))
        return found


def _part_readings(texts: list[str]) -> list[Any]:
    """The values a field sent as these parts may stand for (see `multipart_errors`)."""
    decoded = [_json_or_text(t) for t in texts]
    found = [list(texts), decoded] if len(texts) > 1 else [texts[0], decoded[0], [texts[0]], [decoded[0]]]
    unique: list[Any] = []
    for value in found:
        if not any(value == seen and type(value) is type(seen) for seen in unique):
            unique.append(value)
    return unique


def _put(credentials: Credentials, location: str, name: str) -> None:
    if not name:
        return
    if location == "header":
        credentials.headers[name] = TOKEN
    elif location == "query":
        credentials.query[name] = TOKEN
    elif location == "cookie":
        credentials.cookies[name] = TOKEN


def _messages(errors: Iterator[ValidationError], what: str) -> list[str]:
    out = []
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        out.append(_short(f"{what}: {where}: {error.message}"))
        if len(out) >= _MAX_MESSAGES:
            out.append("...")
            break
    return out
