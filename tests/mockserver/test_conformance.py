"""Conformance at volume: thousands of valid and invalid requests to all five APIs, every
answer checked against the spec by an independent validator (`contracts.oracle`, the one the
contract suite judges with: PyYAML, `referencing` and pure-Python `jsonschema`, none of the
mock's own code).

Requests come from two sources: Schemathesis' case strategies (positive and negative
generation, driven by hypothesis) and a deterministic catalogue of mutations of a valid
request (wrong types, nulls, missing and extra keys, bad lengths and date-times, non-objects,
malformed JSON, wrong content types, bad credentials, unknown paths, wrong methods).

For each answer: the status is declared for the operation or is one of the documented
exceptions below, the content type is JSON, and the body validates against the declared
response schema. Where the oracle can tell on its own whether a request is valid, the status
must also say so (2xx for valid, the right 4xx for invalid).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from starlette.testclient import TestClient

from contracts.oracle import SpecOracle
from tests.mockserver.answer_shapes import FASTAPI_VALIDATION_ERROR, PLAIN_ERROR, has_lone_surrogate, strict_json
from tests.mockserver.conftest import AppFactory
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS, SeedApi

# Statuses the mock may answer although the operation does not declare them (issue 2).
UNDECLARED_BUT_DOCUMENTED: dict[int, str] = {
    401: "missing or malformed credentials; only Omi declares its 401",
    404: "unknown path",
    405: "known path, undeclared method",
    413: "request body over the size limit",
    415: "unsupported request content type",
}
UNDECLARED_BY_API: dict[str, dict[int, str]] = {
    "datagrid": {422: "Datagrid declares no answer for an invalid body; the mock uses FastAPI's 422 (README)"},
}
UNDECLARED_BODY_SCHEMA = {422: FASTAPI_VALIDATION_ERROR}

POSITIVE_EXAMPLES = 120
NEGATIVE_EXAMPLES = 200
# A fixed seed keeps CI's verdict reproducible; MOCK_CONFORMANCE_SEED=<n> explores other
# cases (MOCK_CONFORMANCE_SEED=random draws one), and a failure names the seed that replays it.
_SEED_SETTING = os.environ.get("MOCK_CONFORMANCE_SEED", "20261122")
GENERATION_SEED = random.randrange(1, 2**32) if _SEED_SETTING == "random" else int(_SEED_SETTING)
HOST = "http://testserver"


@dataclass
class Probe:
    label: str
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    expect: frozenset[int]


class Checker:
    """Checks one API's answers against its spec, independently of the mock."""

    def __init__(self, api: SeedApi) -> None:
        self.api = api
        self.oracle = SpecOracle(api.spec)
        self.body_validator = self.oracle.request_body_validator(api.method, api.spec_path)
        self.body_required = self.oracle.request_body_required(api.method, api.spec_path)
        self.allowed = {**UNDECLARED_BUT_DOCUMENTED, **UNDECLARED_BY_API.get(api.name, {})}

    def expect_for_body(self, raw: bytes | None) -> frozenset[int]:
        if not raw:
            return frozenset({422 if self.body_required else 200})
        try:
            value = strict_json(raw)
        except (ValueError, RecursionError):
            return frozenset({422})
        if has_lone_surrogate(value):
            # Not valid Unicode: rejecting it or echoing it escaped are both truthful.
            return frozenset({200, 422})
        return frozenset({200 if self.body_validator.is_valid(value) else 422})

    def problems(self, status: int, headers: Any, content: bytes, on_operation: bool = True) -> list[str]:
        found: list[str] = []
        media = headers.get("content-type", "").split(";")[0].strip()
        if media != "application/json":
            found.append(f"content type {media!r} is not application/json")
        try:
            body = json.loads(content)
        except ValueError:
            return [*found, f"body is not JSON: {content[:200]!r}"]
        declared = self.oracle.response(self.api.method, self.api.spec_path, status) if on_operation else None
        if declared is not None:
            found += [f"breaks declared {declared.status} schema: {e}" for e in declared.errors(body)]
        elif status in self.allowed:
            schema = UNDECLARED_BODY_SCHEMA.get(status, PLAIN_ERROR)
            found += [f"undeclared {status} body: {e.message}" for e in Draft202012Validator(schema).iter_errors(body)]
        else:
            declared_codes = self.oracle.declared_statuses(self.api.method, self.api.spec_path)
            found.append(f"status {status} is neither declared {declared_codes} nor a documented exception")
        if status == 405 and headers.get("allow") != self.api.method:
            found.append(f"405 without 'Allow: {self.api.method}' (got {headers.get('allow')!r})")
        return found


def run_probes(client: TestClient, checker: Checker, probes: list[Probe]) -> list[str]:
    failures = []
    for probe in probes:
        response = client.request(probe.method, probe.url, headers=probe.headers, content=probe.content)
        on_operation = response.status_code not in (404, 405)
        problems = checker.problems(response.status_code, response.headers, response.content, on_operation)
        if response.status_code not in probe.expect:
            problems.append(f"status {response.status_code}, expected one of {sorted(probe.expect)}")
        if problems:
            body = probe.content[:120] if probe.content is not None else None
            failures.append(
                f"{probe.label}: {probe.method} {probe.url} headers={probe.headers} body={body!r}\n"
                f"    -> {response.status_code} {response.content[:300]!r}\n    " + "\n    ".join(problems)
            )
    return failures


def report(failures: list[str], total: int) -> str:
    return f"{len(failures)} of {total} answers break the spec:\n" + "\n".join(failures[:15])


# -- deterministic mutations -------------------------------------------------------------

_JUNK: list[Any] = [
    None,
    0,
    -1.5,
    True,
    "",
    "x",
    "x" * 600,
    [],
    [1],
    ["a", "b"],
    {},
    {"k": "v"},
    "2026-13-45T25:61:00Z",
    "2026-01-01T00:00:00Z",
    "1998-12-31T23:59:60Z",
    "1998-12-31T23:58:60Z",
    "yesterday",
]
_NON_OBJECTS: list[Any] = [[], [{}], 1, 1.5, "title", None, True]
_MALFORMED: list[bytes] = [
    b"{",
    b'{"title": }',
    b"nul",
    b'{"title": "x",}',
    b"{'title': 'x'}",
    b'{"title": NaN}',
    b'{"title": Infinity}',
    b'{"title": 1e999}',
    b"\xff\xfe\x00",
    b'{"title": "\xc3\x28"}',
    b"[" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b'{"title": "x"} trailing',
]
_FOREIGN_TYPES = [
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
]


def mutation_probes(checker: Checker) -> Iterator[Probe]:
    api = checker.api
    url = HOST + api.url("conv_mut")
    json_headers = api.headers(**{"Content-Type": "application/json"})
    valid = api.valid_body
    valid_raw = json.dumps(valid).encode()

    def probe(label: str, content: bytes | None, expect: set[int], headers: dict[str, str] | None = None) -> Probe:
        return Probe(label, api.method, url, json_headers if headers is None else headers, content, frozenset(expect))

    def body_probe(label: str, value: Any) -> Probe:
        raw = json.dumps(value).encode()
        return probe(label, raw, set(checker.expect_for_body(raw)))

    yield body_probe("valid body", valid)
    for name in checker.oracle.request_body_properties(api.method, api.spec_path):
        for junk in _JUNK:
            yield body_probe(f"{name}={junk!r:.20}", {**valid, name: junk})
            yield body_probe(f"only {name}={junk!r:.20}", {name: junk})
        yield body_probe(f"without {name}", {k: v for k, v in valid.items() if k != name})
    yield body_probe("empty object", {})
    yield body_probe("extra key", {**valid, "unexpected_key": 1})
    yield body_probe("extra nested", {**valid, "unexpected_key": {"deep": [1, {"x": None}]}})
    for value in _NON_OBJECTS:
        yield body_probe(f"non-object {value!r}", value)
    for raw in _MALFORMED:
        yield probe(f"malformed {raw[:12]!r}", raw, {422})
    yield probe("empty body", b"", set(checker.expect_for_body(b"")))
    for media in _FOREIGN_TYPES:
        yield probe(f"content type {media}", valid_raw, {415}, api.headers(**{"Content-Type": media}))
    for media in ("application/json; charset=utf-8", "application/vnd.example+json"):
        yield probe(f"content type {media}", valid_raw, {200}, api.headers(**{"Content-Type": media}))
    yield probe("no content type", valid_raw, {200}, dict(api.auth))

    # An open API (library-chat) ignores credentials; the others refuse bad ones with 401.
    refused = {401} if api.secured else {200}
    auth_name = next(iter(api.auth), "Authorization")
    bad = ["", "Bearer", "Bearer ", "Basic VDpU", "Token T", "Bearer wrong", "Bearer T T"]
    for value in bad if auth_name == "Authorization" else ["", "wrong", "t"]:
        yield probe(f"credential {value!r}", valid_raw, refused, {"Content-Type": "application/json", auth_name: value})
    yield probe("no credentials", valid_raw, refused, {"Content-Type": "application/json"})
    yield probe("no credentials, bad body", b"{", refused if api.secured else {422}, {})

    unknown = [
        "/nope",
        api.base + "/nope",
        api.url(""),
        api.url("c1") + "/x",
        api.url("c1") + "/",
        api.url("c1").upper(),
    ]
    for path in unknown:
        yield Probe(f"unknown path {path}", api.method, HOST + path, json_headers, valid_raw, frozenset({404}))
    for method in ("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"):
        if method != api.method:
            yield Probe(f"method {method}", method, url, json_headers, valid_raw, frozenset({405}))


@pytest.mark.parametrize("name", API_NAMES)
def test_mutated_requests_conform(make_app: AppFactory, name: str) -> None:
    checker = Checker(SEED_APIS[name])
    probes = list(mutation_probes(checker))
    assert len(probes) > 50
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        failures = run_probes(client, checker, probes)
    assert not failures, report(failures, len(probes))


# -- Schemathesis-generated cases ---------------------------------------------------------

_SCHEMATHESIS_HEADERS = {"user-agent", "accept-encoding", "accept", "connection", "x-schemathesis-testcaseid"}


def generated_probes(checker: Checker, mode: GenerationMode, count: int) -> list[Probe]:
    api = checker.api
    generation_seed = GENERATION_SEED + API_NAMES.index(api.name)
    schema = schemathesis.openapi.from_path(str(api.spec))
    operation = next(iter(schema.get_all_operations())).ok()
    probes: list[Probe] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(generation_seed)
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=HOST + api.base)
        headers = {k: str(v) for k, v in kwargs["headers"].items() if k.lower() not in _SCHEMATHESIS_HEADERS}
        headers.update(api.auth)
        if "json" in kwargs:
            content: bytes | None = json.dumps(kwargs["json"]).encode()
        else:
            content = kwargs.get("data") or kwargs.get("content")
            content = content.encode() if isinstance(content, str) else content
        conversation_id = case.path_parameters.get("conversation_id")
        if conversation_id in (None, ""):
            expect = frozenset({404})
        elif not _is_json(headers.get("Content-Type")) and content:
            expect = frozenset({415})
        else:
            expect = checker.expect_for_body(content)
        probes.append(Probe(f"schemathesis {mode.value}", kwargs["method"], kwargs["url"], headers, content, expect))

    collect()
    return probes


def _is_json(media: str | None) -> bool:
    if media is None:
        return True
    essence = media.split(";")[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
@pytest.mark.parametrize("name", API_NAMES)
def test_generated_requests_conform(make_app: AppFactory, name: str, mode: GenerationMode) -> None:
    checker = Checker(SEED_APIS[name])
    count = POSITIVE_EXAMPLES if mode is GenerationMode.POSITIVE else NEGATIVE_EXAMPLES
    probes = generated_probes(checker, mode, count)
    assert len(probes) >= count // 2, "hypothesis generated too few cases to mean anything"
    if mode is GenerationMode.POSITIVE:
        # The oracle agrees that positive cases are valid, so each must get the 2xx.
        assert all(p.expect == {200} for p in probes), [p for p in probes if p.expect != {200}][:3]
    else:
        assert sum(p.expect == {422} for p in probes) >= len(probes) // 4, "too few invalid bodies"
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        failures = run_probes(client, checker, probes)
    assert not failures, f"MOCK_CONFORMANCE_SEED={GENERATION_SEED}\n" + report(failures, len(probes))


def test_the_documented_exceptions_are_not_declared_by_the_specs() -> None:
    """If a spec starts declaring one of these, the exception list must shrink."""
    for name in API_NAMES:
        api = SEED_APIS[name]
        declared = set(SpecOracle(api.spec).declared_statuses(api.method, api.spec_path))
        extra = set(UNDECLARED_BY_API.get(name, {}))
        assert not {str(s) for s in extra} & declared, name
    assert not SEED_APIS["datagrid"].declares_422
    assert "422" in SpecOracle(SEED_APIS["omi"].spec).declared_statuses("PATCH", SEED_APIS["omi"].spec_path)
