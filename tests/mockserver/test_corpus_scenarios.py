"""Resource scenarios on the public documents of `tests/corpus/`, judged by an independent oracle.

For every corpus document the mock loads, and every collection of its resource model (as
`GET /` shows it) that can be created and read, one scenario: create an item, read it back,
find it in the list, update one string field, delete it, and see it gone. Every answer is
checked against the document by `corpus.CorpusOracle`, which shares no code with the mock.
The mock is only used to serve, and its generator to build valid request values.

Bodies are sent as JSON where the operation declares JSON, else form-encoded where it declares
`application/x-www-form-urlencoded` (Twilio): scalars as text, booleans `true`/`false`, null
as `null`, arrays as repeated keys, object-valued fields left out (no form encoding of them is
defined). The update is the item's PATCH or PUT, else a POST on the item path (Twilio's).
"""

from __future__ import annotations

import functools
import json
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import quote, unquote, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.app import MountedApi, ServerConfig
from mockserver.errors import MockServerError
from mockserver.generator import compile_generator, seeded_context
from mockserver.model import path_parameters
from mockserver.operations import Operation
from tests.mockserver.corpus import CorpusEntry, CorpusOracle, corpus_entries, is_json_like

TRIES = 10  # requests sent before a step gives up
CANDIDATES = 5  # generated values per request, to find one the oracle finds valid
# Query parameters that bound a page of a list, by normalised name.
LIMIT_NAMES = {"limit", "perpage", "pagesize", "size", "maxresults", "top", "first", "count", "pagelimit"}
NO_BODY = object()
FORM = "application/x-www-form-urlencoded"


# Collections the resource model does not serve as the document means yet (the mock's gaps,
# not the documents'): each scenario must fail until the gap is closed.
KNOWN_GAPS: dict[str, str] = {
    "temporal.yaml:/api/v1/namespaces": (
        "the item's id is nested (`namespaceInfo.name` of DescribeNamespaceResponse);"
        " the resource model finds top-level id fields only"
    ),
    "temporal.yaml:/cluster/namespaces": (
        "the item's id is nested (`namespaceInfo.name` of DescribeNamespaceResponse);"
        " the resource model finds top-level id fields only"
    ),
    "temporal.yaml:/api/v1/namespaces/{namespace}/workflow-rules": (
        "the item's id is nested (`rule.spec.id` of DescribeWorkflowRuleResponse);"
        " the resource model finds top-level id fields only"
    ),
    "temporal.yaml:/namespaces/{namespace}/workflow-rules": (
        "the item's id is nested (`rule.spec.id` of DescribeWorkflowRuleResponse);"
        " the resource model finds top-level id fields only"
    ),
    "temporal.yaml:/api/v1/namespaces/{namespace}/worker-deployment-versions/{deployment_version.deployment_name}": (
        "the create answers CreateWorkerDeploymentVersionResponse, which holds no id (and no Location):"
        " the model takes a templated path for a collection"
    ),
    "temporal.yaml:/namespaces/{namespace}/worker-deployment-versions/{deployment_version.deployment_name}": (
        "the create answers CreateWorkerDeploymentVersionResponse, which holds no id (and no Location):"
        " the model takes a templated path for a collection"
    ),
    "discord.json:/guilds/{guild_id}/auto-moderation/rules": (
        "items are a `oneOf` of rule variants (each with `id`); the model reads ids of one object schema only"
    ),
    "discord.json:/guilds/{guild_id}/scheduled-events": (
        "items are a `oneOf` of event variants (each with `id`); the model reads ids of one object schema only"
    ),
}


class SpecGapWarning(UserWarning):
    """What the document leaves undeclared and a correct mock must answer anyway."""


@dataclass
class Served:
    entry: CorpusEntry
    app: Starlette
    client: TestClient
    api: MountedApi
    base: str  # the API's base path on the mock, "" for "/"
    resources: list[dict[str, Any]]
    description: dict[str, Any]  # the API as the index (`GET /`) describes it

    @functools.cached_property
    def oracle(self) -> CorpusOracle:
        return CorpusOracle(self.entry.path)

    def operation(self, method: str, spec_path: str) -> Operation:
        for op in self.api.operations:
            if op.method == method and op.path == spec_path:
                return op
        raise KeyError(f"{method} {spec_path}")


@functools.cache
def served(file: str) -> Served | str:
    """The document served in-process, or why the mock does not load it."""
    entry = next(e for e in corpus_entries() if e.file == file)
    try:
        app = create_app([entry.path], ServerConfig(log_requests=False))
    except MockServerError as exc:
        return f"the mock does not load it: {exc}"
    client = TestClient(app, raise_server_exceptions=False)
    api: MountedApi = app.state.apis[0]
    index = client.get("/__mock/apis")  # GET / is the API's own where it declares one (uspto, qdrant)
    assert index.status_code == 200, index.text
    description = index.json()["apis"][0]
    base = "" if description["base_path"] == "/" else str(description["base_path"])
    return Served(entry, app, client, api, base, list(description["resources"]), description)


def _roles(resource: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The collection's operations by role: create, read, list, update, delete."""
    found: dict[str, tuple[str, str]] = {}
    by_role: dict[str, list[tuple[str, str]]] = {}
    for line in resource["operations"]:
        method, rest = str(line).split(" ", 1)
        path, role = rest.rsplit(" ", 1)
        by_role.setdefault(role, []).append((method, path))
    path, item = resource["path"], resource["item_path"]
    wanted = {"create": [("POST", path)], "list": [("GET", path)], "read": [("GET", item)]}
    wanted["update"] = [("PATCH", item), ("PUT", item)]
    wanted["delete"] = [("DELETE", item)]
    for role, candidates in wanted.items():
        present = [c for c in candidates if c in by_role.get(role, [])]
        if present:
            found[role] = present[0]
    if "update" not in found and ("POST", item) in by_role.get("action", []) + by_role.get("update", []):
        found["update"] = ("POST", item)  # Twilio updates an item by a POST on its path
    return found


def _scenario_params() -> list[Any]:
    params: list[Any] = []
    for entry in corpus_entries():
        result = served(entry.file)
        if isinstance(result, str):
            params.append(pytest.param(entry.file, "", id=entry.file, marks=pytest.mark.skip(reason=result)))
            continue
        for resource in result.resources:
            roles = _roles(resource) if resource["kind"] == "collection" and resource["item_path"] else {}
            if "create" in roles and "read" in roles:
                name = f"{entry.file}:{resource['path']}"
                read = result.operation(*roles["read"]).success
                if not is_json_like(read.media_type):
                    # Qdrant's snapshots: reading one downloads the file, it shows no item.
                    reason = f"the read answers {read.media_type}, not the item as JSON"
                    params.append(
                        pytest.param(entry.file, resource["path"], id=name, marks=pytest.mark.skip(reason=reason))
                    )
                elif name in KNOWN_GAPS:
                    gap = pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[name])
                    params.append(pytest.param(entry.file, resource["path"], id=name, marks=gap))
                else:
                    params.append(pytest.param(entry.file, resource["path"], id=name))
    return params


# -- values from schemas -------------------------------------------------------------------


def _generate(schema: Any, name: str, parts: tuple[Any, ...]) -> Any:
    return _generator(json.dumps(schema, sort_keys=True, default=str), name)(seeded_context(parts, time.time()))


@functools.cache
def _generator(schema_text: str, name: str) -> Any:
    return compile_generator(json.loads(schema_text), name)


def _text(value: Any) -> str | None:
    """An id or parameter value as it appears in a URL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def _id_text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def _item_view(body: Any, id_field: str | None) -> tuple[str, dict[str, Any]] | None:
    """Where an answer keeps the item: the body itself, or the one object property of an
    envelope (`{"article": {...}}`) that holds the id field; ("", body) or (key, item)."""
    if not isinstance(body, dict) or id_field is None:
        return None
    if id_field in body:
        return "", body
    inner = [(k, v) for k, v in body.items() if isinstance(v, dict) and id_field in v]
    return inner[0] if len(inner) == 1 else None


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        inner = out.get(key)
        out[key] = _merged(inner, value) if isinstance(inner, dict) and isinstance(value, dict) else value
    return out


def _printable(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _object_properties(schema: Any) -> tuple[dict[str, Any], set[str]]:
    """The properties (and required names) of an object schema, through allOf and single-branch unions."""
    if not isinstance(schema, dict):
        return {}, set()
    properties = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        more, needed = _object_properties(part)
        properties.update(more)
        required |= needed
    for key in ("anyOf", "oneOf"):
        branches = [b for b in schema.get(key) or [] if isinstance(b, dict) and b.get("type") != "null"]
        if len(branches) == 1:
            more, needed = _object_properties(branches[0])
            properties.update(more)
            required |= needed
    return properties, required


def _writable(schema: Any) -> Any:
    """`schema` without its `readOnly` properties, which a client does not send."""
    if isinstance(schema, list):
        return [_writable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _writable(v) for k, v in schema.items() if k != "properties"}
    properties = schema.get("properties")
    if isinstance(properties, dict):
        kept = {k: v for k, v in properties.items() if not (isinstance(v, dict) and v.get("readOnly") is True)}
        out["properties"] = {k: _writable(v) for k, v in kept.items()}
        if isinstance(schema.get("required"), list):
            out["required"] = [n for n in schema["required"] if n in kept or n not in properties]
    return out


def _kind(schema: Any) -> str:
    """The primary type of a schema: its non-null type, a union's first, else object or string."""
    if not isinstance(schema, dict):
        return "string"
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        for branch in [*(schema.get("anyOf") or []), *(schema.get("oneOf") or []), *(schema.get("allOf") or [])]:
            inner = _kind(branch)
            if inner != "null":
                return inner
        return "object" if "properties" in schema else "string"
    return str(kind)


def _nested(schema: Any) -> bool:
    """A form field with no form encoding: an object, or an array of objects or arrays."""
    kind = _kind(schema)
    items = schema.get("items") if isinstance(schema, dict) else None
    return kind == "object" or (kind == "array" and _kind(items) in ("object", "array"))


def _form_sendable(schema: Any) -> Any:
    """A form schema without the fields a form cannot carry (nor their `required`)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return schema
    left_out = {k for k, v in schema["properties"].items() if _nested(v)}
    out = {**schema, "properties": {k: v for k, v in schema["properties"].items() if k not in left_out}}
    if isinstance(schema.get("required"), list):
        out["required"] = [n for n in schema["required"] if n not in left_out]
    return out


def _form_text(value: Any) -> str | None:
    """One form value as text; None for what has no form encoding."""
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return None
    return _text(value)


def _form_fields(body: Any) -> dict[str, str | list[str]]:
    """A body as form fields: a list for an array (a key repeated); objects and arrays of
    them, and empty arrays (which a form cannot tell from absent), left out."""
    fields: dict[str, str | list[str]] = {}
    for name, value in (body if isinstance(body, dict) else {}).items():
        if isinstance(value, list):
            texts = [_form_text(v) for v in value]
            if texts and all(t is not None for t in texts):
                fields[str(name)] = [str(t) for t in texts]
        else:
            text = _form_text(value)
            if text is not None:
                fields[str(name)] = text
    return fields


def _form_encoded(fields: dict[str, str | list[str]]) -> bytes:
    pairs = [(k, t) for k, v in fields.items() for t in (v if isinstance(v, list) else [v])]
    return urlencode(pairs).encode("ascii")


def _norm(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def _is_string_schema(schema: Any) -> bool:
    if not isinstance(schema, dict) or "const" in schema or schema.get("readOnly"):
        return False
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


# -- the scenario --------------------------------------------------------------------------


@dataclass
class Answer:
    method: str
    spec_path: str
    status: int
    body: Any
    media_type: str | None
    headers: httpx.Headers

    def show(self) -> str:
        text = json.dumps(self.body, ensure_ascii=False) if not isinstance(self.body, str) else self.body
        return f"{self.method} {self.spec_path} -> {self.status} {text[:1500]}"


@dataclass
class Scenario:
    served: Served
    resource: dict[str, Any]
    roles: dict[str, tuple[str, str]]
    transcript: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # path parameter values
    _extras: dict[tuple[str, str], tuple[list[tuple[str, str]], dict[str, str], dict[str, str]]] = field(
        default_factory=dict
    )

    @property
    def oracle(self) -> CorpusOracle:
        return self.served.oracle

    @property
    def id_field(self) -> str | None:
        field_name = self.resource["id_field"]
        return str(field_name) if field_name else None

    @property
    def name(self) -> str:
        return f"{self.served.entry.file}:{self.resource['path']}"

    def fail(self, step: str, message: str) -> NoReturn:
        lines = "\n  ".join(self.transcript[-12:])
        notes = f"\nnotes: {'; '.join(self.notes)}" if self.notes else ""
        pytest.fail(f"{self.name}: {step}: {message}\nrequests so far:\n  {lines}{notes}", pytrace=False)

    def parts(self, *more: Any) -> tuple[Any, ...]:
        return ("scenario", self.name, *more)

    # -- request parts -------------------------------------------------------------------

    def parameter_schemas(self, method: str, spec_path: str) -> dict[tuple[str, str], Any]:
        spec = self.served.api.spec
        item = spec.document["paths"][spec_path]
        where = f"paths.{spec_path}.{method.lower()}"
        found = {}
        for holder in (item, item.get(method.lower()) or {}):
            for parameter in spec.inline(holder.get("parameters") or [], where):
                if isinstance(parameter, dict) and "name" in parameter and "in" in parameter:
                    found[(str(parameter["in"]), str(parameter["name"]))] = parameter.get("schema") or {}
        return found

    def parameter_value(self, method: str, spec_path: str, location: str, name: str) -> Any:
        """A value for one parameter that the oracle finds valid and that fits in a request."""
        schema = self.parameter_schemas(method, spec_path).get((location, name), {})
        last: Any = None
        for seed in range(20):
            value = _generate(schema, name, self.parts(method, spec_path, location, name, seed))
            last = value
            texts = value if isinstance(value, list) else [value]
            rendered = [_text(v) for v in texts]
            if any(t is None or t == "" for t in rendered) or (location == "path" and not texts):
                continue
            if location in ("header", "cookie") and not all(_printable(t or "") for t in rendered):
                continue
            if not self.oracle.parameter_errors(method, spec_path, location, name, value):
                return value
        self.fail("parameters", f"no valid value for {location} parameter {name!r} of {method} {spec_path}: {last!r}")

    def choose_path_values(self) -> None:
        method, spec_path = self.roles["create"]
        for name in path_parameters(spec_path):
            value = self.parameter_value(method, spec_path, "path", name)
            self.values[name] = ",".join(str(_text(v)) for v in value) if isinstance(value, list) else str(_text(value))

    def extras(self, method: str, spec_path: str) -> tuple[list[tuple[str, str]], dict[str, str], dict[str, str]]:
        """Required query, header and cookie parameters of an operation, generated once."""
        key = (method, spec_path)
        if key not in self._extras:
            query: list[tuple[str, str]] = []
            headers: dict[str, str] = {}
            cookies: dict[str, str] = {}
            for rule in self.served.operation(method, spec_path).parameters:
                if not rule.required or rule.location == "path":
                    continue
                value = self.parameter_value(method, spec_path, rule.location, rule.name)
                texts = [str(_text(v)) for v in value] if isinstance(value, list) else [str(_text(value))]
                if rule.location == "query":
                    query.extend((rule.name, t) for t in texts)
                elif rule.location == "header":
                    headers[rule.name] = ",".join(texts)
                elif rule.location == "cookie":
                    cookies[rule.name] = ",".join(texts)
            self._extras[key] = (query, headers, cookies)
        return self._extras[key]

    def url(self, spec_path: str, item_id: str | None = None) -> str:
        path = spec_path
        values = dict(self.values)
        item_param = self.resource["item_path"].rsplit("/", 1)[-1][1:-1]
        if item_id is not None:
            values[item_param] = item_id
        for name in path_parameters(spec_path):
            path = path.replace("{" + name + "}", quote(values[name], safe=""))
        return self.served.base + path

    def json_media_type(self, op: Operation) -> str | None:
        """The declared JSON media type of the request body, None if the body is not JSON."""
        if op.body is None or op.body.check is None:
            return None
        declared = next((m for m in op.body.media_types if is_json_like(m)), "application/json")
        return declared.split(";", 1)[0].strip()

    def body_media_type(self, op: Operation) -> str | None:
        """How the body is sent: its JSON media type, else the form one, else None (it cannot be)."""
        if op.body is None:
            return None
        json_type = self.json_media_type(op)
        if json_type is not None:
            return json_type
        if any(m.split(";", 1)[0].strip().lower() == FORM for m in op.body.media_types):
            return FORM
        return None

    def request_schema(self, op: Operation) -> Any:
        """The schema of the body as it is sent (JSON, or the form's fields that a form can carry)."""
        if self.body_media_type(op) != FORM:
            return op.request_schema if op.request_schema is not None else {}
        spec = self.served.api.spec
        where = f"paths.{op.path}.{op.method.lower()}.requestBody"
        raw = spec.document["paths"][op.path][op.method.lower()].get("requestBody")
        content = (spec.inline(raw, where) or {}).get("content") or {}
        media = next((v for k, v in content.items() if k.split(";", 1)[0].strip().lower() == FORM), {})
        schema = media.get("schema") if isinstance(media, dict) else None
        return _form_sendable(schema if isinstance(schema, dict) else {"type": "object"})

    def body_errors(self, op: Operation, body: Any) -> list[str]:
        if self.body_media_type(op) == FORM:
            return self.oracle.form_field_errors(op.method, op.path, _form_fields(body))
        return self.oracle.request_body_errors(op.method, op.path, body)

    def bodies(
        self, method: str, spec_path: str, override: dict[str, Any] | None = None
    ) -> Iterator[tuple[Any, list[str]]]:
        """Request bodies for an operation, each with the oracle's errors (first the valid ones found)."""
        op = self.served.operation(method, spec_path)
        schema = _writable(self.request_schema(op))
        if override is not None:
            minimal = dict(override)
            yield minimal, self.body_errors(op, minimal)
        for attempt in range(TRIES):
            body: Any = None
            errors: list[str] = []
            for candidate in range(CANDIDATES):
                body = _generate(schema, "", self.parts(method, spec_path, "body", attempt, candidate))
                if override is not None and isinstance(body, dict):
                    body = _merged(body, override)
                errors = self.body_errors(op, body)
                if not errors:
                    break
            yield body, errors

    # -- sending -------------------------------------------------------------------------

    def send(
        self,
        step: str,
        role: str,
        *,
        item_id: str | None = None,
        body: Any = NO_BODY,
        query: list[tuple[str, str]] | None = None,
        check: bool = True,
    ) -> Answer:
        method, spec_path = self.roles[role]
        op = self.served.operation(method, spec_path)
        credentials = self.oracle.credentials(method, spec_path)
        extra_query, extra_headers, extra_cookies = self.extras(method, spec_path)
        headers = {**credentials.headers, **extra_headers}
        cookies = {**credentials.cookies, **extra_cookies}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        params = [*credentials.query.items(), *extra_query, *(query or [])]
        content: bytes | None = None
        if body is not NO_BODY:
            headers["Content-Type"] = self.body_media_type(op) or "application/json"
            if headers["Content-Type"] == FORM:
                content = _form_encoded(_form_fields(body))
            else:
                content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        url = self.url(spec_path, item_id)
        response = self.served.client.request(method, url, params=params, headers=headers, content=content)
        answer = self.decode(step, method, spec_path, response)
        self.transcript.append(f"[{step}] {method} {url} -> {response.status_code}")
        if check:
            self.check(step, answer)
        return answer

    def decode(self, step: str, method: str, spec_path: str, response: httpx.Response) -> Answer:
        media_type = response.headers.get("content-type") if response.content else None
        body: Any = None
        if response.content:
            if is_json_like(media_type):
                try:
                    body = json.loads(response.content)
                except ValueError:
                    self.fail(
                        step, f"{method} {spec_path} -> {response.status_code}: body is not JSON: {response.text!r}"
                    )
            else:
                body = response.text
        return Answer(method, spec_path, response.status_code, body, media_type, response.headers)

    def check(self, step: str, answer: Answer) -> None:
        errors = self.oracle.response_errors(
            answer.method, answer.spec_path, answer.status, answer.body, answer.media_type
        )
        if errors:
            self.fail(
                step, f"the answer breaks the document: {answer.show()[:600]}\n  oracle: " + "\n  oracle: ".join(errors)
            )

    def expect(self, step: str, answer: Answer, statuses: str | int) -> None:
        ok = 200 <= answer.status < 300 if statuses == "2xx" else answer.status == statuses
        if not ok:
            self.fail(step, f"expected {statuses}, got {answer.show()}")

    # -- steps ---------------------------------------------------------------------------

    def list_ids(self, step: str) -> list[str]:
        method, spec_path = self.roles["list"]
        query: list[tuple[str, str]] = []
        required = {name for name, _value in self.extras(method, spec_path)[0]}
        for name, schema in self.served.operation(method, spec_path).query_schemas:
            norm = name.lower().replace("_", "").replace("-", "").lstrip("$")
            maximum = schema.get("maximum") if isinstance(schema, dict) else None
            if norm in LIMIT_NAMES and name not in required and isinstance(maximum, int):
                query.append((name, str(maximum)))
                break
        answer = self.send(step, "list", query=query)
        self.expect(step, answer, "2xx")
        items = self.items_of(step, answer)
        if self.id_field is None:
            self.fail(step, "the collection has no id field to find items by")
        return [t for t in (_id_text(i.get(self.id_field)) for i in items if isinstance(i, dict)) if t is not None]

    def filtered_out(self, read: Answer) -> str:
        """Why the item cannot be in the list asked for: a required query parameter of the list
        filters on a field of the item that holds another value (Box's `status=pending`)."""
        view = _item_view(read.body, self.id_field)
        item = view[1] if view is not None else {}
        query, _headers, _cookies = self.extras(*self.roles["list"])
        for name, value in query:
            if name in item and _text(item[name]) != value:
                return f"the list requires {name}={value!r}, the item has {name}={item[name]!r}"
        return ""

    def items_of(self, step: str, answer: Answer) -> list[Any]:
        body = answer.body
        if isinstance(body, list):
            return body
        if not isinstance(body, dict):
            self.fail(step, f"a list answer that is neither an array nor an object: {answer.show()}")
        arrays = {k: v for k, v in body.items() if isinstance(v, list)}
        if len(arrays) == 1:
            return next(iter(arrays.values()))
        holding = {k: v for k, v in arrays.items() if v and all(isinstance(i, dict) for i in v)}
        if len(holding) > 1 and self.id_field:
            holding = {k: v for k, v in holding.items() if all(self.id_field in i for i in v)}
        if len(holding) == 1:
            return next(iter(holding.values()))
        if not holding and arrays:
            return []
        self.fail(step, f"cannot tell which property of the list answer holds its items: {answer.show()}")

    def create(self) -> tuple[str, Answer]:
        method, spec_path = self.roles["create"]
        op = self.served.operation(method, spec_path)
        if op.body is not None and self.body_media_type(op) is None:
            pytest.skip(f"the create request body is neither JSON nor a form ({', '.join(op.body.media_types)})")
        before = self.list_ids("list before create") if "list" in self.roles else None
        answer: Answer | None = None
        errors: list[str] = []
        if op.body is None:
            answer = self.send("create", "create")
        else:
            for body, errors in self.bodies(method, spec_path):
                answer = self.send("create", "create", body=body, check=False)
                if 200 <= answer.status < 300 or not errors:
                    self.check("create", answer)
                if 200 <= answer.status < 300:
                    break
                if not errors:
                    self.notes.append(f"the mock refused a body the oracle finds valid ({answer.status})")
        assert answer is not None
        if not 200 <= answer.status < 300:
            opinion = "; ".join(errors) if errors else "valid"
            self.fail(
                "create",
                f"no request accepted in {TRIES} tries; last: {answer.show()}\n  oracle on the body: {opinion}",
            )
        item_id = None
        view = _item_view(answer.body, self.id_field)
        if view is not None and self.id_field is not None:
            item_id = _id_text(view[1].get(self.id_field))
        if item_id is None and answer.headers.get("location"):
            item_id = unquote(urlsplit(answer.headers["location"]).path.rstrip("/").rsplit("/", 1)[-1]) or None
        if item_id is None and before is not None:
            new = [i for i in self.list_ids("list after create") if i not in before]
            if len(new) == 1:
                item_id = new[0]
                self.notes.append("the create answer shows no id; found the new item in the list")
        if item_id is None:
            self.fail("create", f"the answer shows no id ({self.id_field!r}, no Location): {answer.show()}")
        return item_id, answer

    def read(self, step: str, item_id: str) -> Answer:
        answer = self.send(step, "read", item_id=item_id)
        self.expect(step, answer, "2xx")
        if self.id_field is not None:
            view = _item_view(answer.body, self.id_field)
            if view is None:
                self.fail(step, f"the answer has no {self.id_field!r}: {answer.show()}")
            shown = _id_text(view[1].get(self.id_field))
            where = f"{view[0]}.{self.id_field}" if view[0] else self.id_field
            if shown != item_id:
                self.fail(step, f"{where} is {shown!r}, expected {item_id!r}: {answer.show()}")
        return answer

    def update(self, item_id: str, read: Answer) -> None:
        method, spec_path = self.roles["update"]
        op = self.served.operation(method, spec_path)
        if op.body is None or self.body_media_type(op) is None:
            reason = (
                "no body" if op.body is None else f"a body neither JSON nor a form ({', '.join(op.body.media_types)})"
            )
            self.notes.append(f"update skipped: {method} takes {reason}")
            return
        view = _item_view(read.body, self.id_field)
        envelope, shown = view if view is not None else ("", {})
        properties, _required = _object_properties(self.request_schema(op))
        if envelope:  # realworld: `{"article": {...}}` is read, `{"article": {"title": ...}}` is sent
            properties, _required = _object_properties(properties.get(envelope))
        skip = {self.id_field, *path_parameters(spec_path)}
        shown_as = self.shown_names(properties, shown, skip)
        if not shown_as:
            self.notes.append("update skipped: no string property in both the update request and the read answer")
            return
        names = sorted(shown_as, key=lambda n: (any(k in properties[n] for k in ("enum", "format", "pattern")), n))
        name = names[0]
        shown_name = shown_as[name]
        value = self.new_value(method, spec_path, name, properties[name], shown[shown_name])
        override: dict[str, Any] = {envelope: {name: value}} if envelope else {name: value}
        answer: Answer | None = None
        errors: list[str] = []
        for body, errors in self.bodies(method, spec_path, override=override):
            answer = self.send("update", "update", item_id=item_id, body=body, check=False)
            if 200 <= answer.status < 300 or not errors:
                self.check("update", answer)
            if 200 <= answer.status < 300:
                break
        assert answer is not None
        if not 200 <= answer.status < 300:
            opinion = "; ".join(errors) if errors else "valid"
            self.fail(
                "update", f"no update of {name!r} accepted; last: {answer.show()}\n  oracle on the body: {opinion}"
            )
        after = self.read("read after update", item_id)
        after_view = _item_view(after.body, self.id_field)
        got = after_view[1].get(shown_name) if after_view is not None else None
        if got != value:
            self.fail("read after update", f"{shown_name} is {got!r}, the update sent {name}={value!r}")

    @staticmethod
    def shown_names(properties: dict[str, Any], shown: dict[str, Any], skip: set[str | None]) -> dict[str, str]:
        """The string properties of the update request, each with the field of the read answer
        that shows it: the same name; where no name is shared, the one spelt alike but for
        case and separators (Twilio sends `FriendlyName` and shows `friendly_name`)."""
        strings = {n: s for n, s in properties.items() if n not in skip and _is_string_schema(s)}
        same = {n: n for n in strings if isinstance(shown.get(n), str)}
        if same:
            return same
        by_norm: dict[str, list[str]] = {}
        for key, value in shown.items():
            if isinstance(value, str) and key not in skip:
                by_norm.setdefault(_norm(key), []).append(key)
        return {n: by_norm[_norm(n)][0] for n in strings if len(by_norm.get(_norm(n), [])) == 1}

    def new_value(self, method: str, spec_path: str, name: str, schema: dict[str, Any], current: str) -> str:
        enum = [v for v in schema.get("enum") or [] if isinstance(v, str) and v != current]
        if enum:
            return enum[0]
        if not any(k in schema for k in ("format", "pattern")):
            low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
            text = "Renamed by the corpus scenario"
            text = text.ljust(low, "x")
            if isinstance(high, int):
                text = text[:high]
            if text and text != current:
                return text
        for seed in range(20):
            value = _generate(schema, name, self.parts("update", name, seed))
            if isinstance(value, str) and value != current:
                return value
        self.fail("update", f"no new value for {name!r} ({schema})")

    def delete(self, item_id: str) -> None:
        answer = self.send("delete", "delete", item_id=item_id)
        self.expect("delete", answer, "2xx")
        gone = self.send("read after delete", "read", item_id=item_id, check=False)
        self.expect("read after delete", gone, 404)
        method, spec_path = self.roles["read"]
        if self.oracle.declared(method, spec_path, 404) is None:
            # The document declares no 404 (nor 4XX, default) for the read: nothing the mock
            # could answer for a deleted item conforms. A gap of the document, reported.
            gap = f"{method} {spec_path} declares no 404; the mock's 404 after delete is undeclared"
            self.notes.append(gap)
            warnings.warn(SpecGapWarning(f"{self.name}: {gap}"), stacklevel=1)
        else:
            self.check("read after delete", gone)
        if "list" in self.roles and item_id in self.list_ids("list after delete"):
            self.fail("list after delete", f"the list still holds {self.id_field}={item_id!r}")


@pytest.mark.parametrize(("file", "collection"), _scenario_params())
def test_resource_scenario(file: str, collection: str) -> None:
    result = served(file)
    assert not isinstance(result, str)
    resource = next(r for r in result.resources if r["path"] == collection)
    scenario = Scenario(result, resource, _roles(resource))
    scenario.choose_path_values()
    item_id, _created = scenario.create()
    read = scenario.read("read after create", item_id)
    if "list" in scenario.roles:
        listed = scenario.list_ids("list after create")
        excluded = scenario.filtered_out(read)
        if excluded:
            scenario.notes.append(f"list membership not checked: {excluded}")
        elif item_id not in listed:
            scenario.fail("list after create", f"the list does not hold {scenario.id_field}={item_id!r}")
    if "update" in scenario.roles:
        scenario.update(item_id, read)
    if "delete" in scenario.roles:
        scenario.delete(item_id)
    if scenario.notes:
        print(f"{scenario.name}: " + "; ".join(scenario.notes))


@pytest.mark.parametrize("entry", corpus_entries(), ids=lambda e: e.file)
def test_index_lists_the_resource_model(entry: CorpusEntry) -> None:
    result = served(entry.file)
    if isinstance(result, str):
        if entry.loads:
            pytest.fail(f"SOURCES.yaml says {entry.file} loads, but {result}")
        pytest.skip(result)
    api = result.description
    assert len(api["operations"]) == entry.operations, "GET / lists every operation of the document"
    kinds = {r["kind"] for r in api["resources"]}
    if "crud" in entry.shapes:
        assert kinds & {"collection", "singleton"}, (
            f"{entry.file} has CRUD resources, but GET / shows {api['resources']}"
        )
