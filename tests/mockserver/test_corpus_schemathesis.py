"""Independent Schemathesis CLI runs against the mock serving each corpus document, on a
real socket, find nothing: every check, in positive mode (the examples, coverage, fuzzing and
stateful phases; Schemathesis infers the links between operations from the responses, the
path parameters and `Location` headers) and in negative mode (coverage and fuzzing: requests
the document says are invalid must be rejected).

What Schemathesis reports is classified, not waived: a finding is tolerated only when the
document itself, read by the independent `CorpusOracle`, shows that the mock was right:

- a 404 for a deleted or unknown resource on an operation that declares no 404, `4XX` or
  `default` answer (the document's gap: no conforming answer exists; `use_after_free`
  demands the 404 that `status_code_conformance` then calls undocumented);
- a rejection (4xx) of a request that the document says is invalid: Schemathesis filled a
  parameter from another response in the stateful phase, or its HTTP layer changed a value.
- a 414 or 431 that says the request line or headers were longer than the server's limit
  (`--max-header-bytes`, 16 KiB): Schemathesis sends header parameters of any length the
  schema allows (Adyen's `WWW-Authenticate`), and no server reads a head without bound.
- in negative mode, an undocumented status for an invalid request on an operation that
  declares no answer for one (no 400, 422, `4XX` or `default`): any rejection there is the
  document's gap.
- an `Allow` header that lists methods the tested path does not declare, when they are all
  declared by another path that differs from it only in its parameters' names (Temporal's
  `/workflows/{execution.workflow_id}` and `/workflows/{workflowId}`): OpenAPI calls such paths
  identical ("MUST NOT exist"); one URL matches both, and its `Allow` is theirs together.

Every other finding fails the test. The default run leaves the coverage phase of the documents
whose entry says `coverage_long_only` for the mode (Discord, Qdrant, Temporal, Box and Adyen
Management: 3,500 to 214,000 requests each) to `CORPUS_LONG=1`. Operations whose path holds a `#`
(Box documents variants of one operation as `/files/{id}#add_shared_link`) are left out: one
URL cannot answer as several operations.

Schemathesis cannot build an operation whose path parameter has a dot in its name (Temporal's
`/workflows/{execution.workflow_id}`: it fills templates with `str.format`, which reads the dot
as attribute access, and reports the document's unrelated top-level `description` instead).
Such names never reach the wire, so Schemathesis is given a copy of the document with those
names spelt with `_` (`_st_document`); the mock serves the document itself, and the findings
are read against it.
"""

from __future__ import annotations

import email.policy
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from mockserver import create_app
from mockserver.app import ServerConfig
from mockserver.errors import MockServerError
from tests.mockserver.corpus import CorpusEntry, CorpusOracle, corpus_entries, read_document
from tests.servers import serve

ST = Path(sys.executable).parent / "st"
# `CORPUS_LONG=1` (`make test-corpus-long`): many more fuzzing examples per operation. The
# short run fuzzes documents of more than `LARGE` operations with one example each (their
# examples, coverage and stateful phases stay whole): those runs are most of the file's time.
LONG = os.environ.get("CORPUS_LONG") == "1"
EXAMPLES = 50 if LONG else 5
NEGATIVE_EXAMPLES = 20 if LONG else 3
LARGE = 150
MODES = ("positive", "negative")
RUN_TIMEOUT = 3600 if LONG else 900
PARALLEL_RUNS = 2
TOKEN = "T"


def _loadable() -> list[CorpusEntry]:
    found = []
    for entry in corpus_entries():
        if entry.schemathesis_skip:
            continue
        try:
            create_app([entry.path], ServerConfig(log_requests=False))
        except MockServerError:
            continue
        found.append(entry)
    return found


DOCUMENTS = _loadable()


@dataclass
class Finding:
    section: str  # "GET /things/{id}", or "Stateful tests"
    check: str  # "ST103 Undocumented status code"
    text: str

    @property
    def status(self) -> int | None:
        found = re.search(r"^\[(\d{3})\]", self.text, re.M)
        return int(found.group(1)) if found else None

    @property
    def last_request(self) -> tuple[str, str, str | None] | None:
        """(method, URL, JSON body) of the last curl line: the request that failed."""
        lines = [line.strip() for line in self.text.splitlines() if line.strip().startswith("curl ")]
        if not lines:
            return None
        line = lines[-1]
        method = re.search(r"-X (\w+)", line)
        url = re.search(r"'?(http://[^\s']+)'?\s*$", line)
        if method is None or url is None:
            return None
        escaped = re.search(r"-d \$'((?:[^'\\]|\\.)*)' ", line)  # bash's ANSI-C quoting, as Schemathesis writes it
        if escaped:
            return method.group(1), url.group(1), _ansi_c(escaped.group(1))
        body = re.search(r"-d '(.*)' ", line) or re.search(r"-d (\S+) ", line)
        return method.group(1), url.group(1), body.group(1).replace("'\"'\"'", "'") if body else None


_ANSI_C = {"n": b"\n", "r": b"\r", "t": b"\t", "'": b"'", "\\": b"\\"}


def _ansi_c(quoted: str) -> str:
    """The text inside `$'...'`: Schemathesis escapes \\n, \\r, \\t, quotes, backslashes
    and the UTF-8 bytes of anything unprintable (\\xHH)."""
    out = bytearray()
    parts = re.split(r"(\\x[0-9a-fA-F]{2}|\\.)", quoted)
    for part in parts:
        if part.startswith("\\x") and len(part) == 4:
            out.append(int(part[2:], 16))
        elif part.startswith("\\") and len(part) == 2:
            out += _ANSI_C.get(part[1], part.encode())
        else:
            out += part.encode()
    return out.decode("utf-8", "replace")


@dataclass
class Verdict:
    failures: list[Finding] = field(default_factory=list)
    tolerated: list[tuple[Finding, str]] = field(default_factory=list)
    # Operations Schemathesis could build no request for (no request reached the mock).
    ungenerated: list[str] = field(default_factory=list)


# What Schemathesis says in its ERRORS section when it cannot build a request for an
# operation (its schema's constraints, for the mode): nothing was sent, so nothing answered.
_GENERATION_ERRORS = ("Failed Health Check", "Cannot generate test data")


def _errors(output: str) -> list[tuple[str, str]]:
    """(section, text) of each entry of Schemathesis' ERRORS section."""
    if "= ERRORS =" not in output:
        return []
    body = re.split(r"\n=+ (?:FAILURES|SUMMARY) =+\n", output.split("= ERRORS =", 1)[1], maxsplit=1)[0]
    parts = re.split(r"\n_{3,} (.+?) _{3,}\n", body)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]


def _findings(output: str) -> list[Finding]:
    if "= FAILURES =" not in output:
        return []
    body = output.split("= FAILURES =", 1)[1].split("= SUMMARY =", 1)[0]
    parts = re.split(r"\n_{3,} (.+?) _{3,}\n", body)
    found = []
    for index in range(1, len(parts), 2):
        section = parts[index]
        # A section holds numbered test cases; each lists its "- STxxx Title" entries, then
        # the response and the curl lines that reproduce it.
        for case in re.split(r"\n\d+\. Test Case ID: \S+\n", parts[index + 1]):
            for check in re.findall(r"^- (ST\d+ [^\n]+)$", case, re.M):
                found.append(Finding(section, check, case))
    return found


def _templates(document: dict[str, Any], base: str) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for template in document.get("paths") or {}:
        if "#" in template:
            continue
        pieces = re.split(r"\{[^{}/]+\}", template)
        pattern = "([^/]+)".join(re.escape(piece) for piece in pieces)
        out.append((re.compile(re.escape(base) + pattern + "$"), template))
    return out


def _names(template: str) -> list[str]:
    return re.findall(r"\{([^{}/]+)\}", template)


def _invalid_parts(oracle: CorpusOracle, document: dict[str, Any], base: str, finding: Finding) -> list[str]:
    """What the document says is wrong with the failing request (empty: nothing)."""
    request = finding.last_request
    if request is None:
        return []
    method, url, body = request
    split = urlsplit(url)
    for pattern, template in _templates(document, base):
        matched = pattern.match(split.path)
        if matched is None or method.lower() not in (document["paths"][template] or {}):
            continue
        problems: list[str] = []
        values = [unquote(v) for v in matched.groups()]
        for name, value in zip(_names(template), values, strict=True):
            problems += _value_problems(oracle, method, template, "path", name, value)
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            problems += _value_problems(oracle, method, template, "query", name, value)
        sent = re.search(r"-H 'Content-Type: ([^']+)'", finding.text)
        content_type = sent.group(1) if sent else ""
        if body is not None and "x-www-form-urlencoded" in finding.text:
            problems += oracle.form_field_errors(method, template, _form_sent(body))
        elif body is not None and content_type.startswith("multipart/form-data"):
            problems += oracle.multipart_errors(method, template, _parts(body, content_type))
        elif body is not None:
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            if decoded is not None:
                problems += oracle.request_body_errors(method, template, decoded)
        return problems
    return []


def _form_sent(body: str) -> dict[str, str | list[str]]:
    """A urlencoded body's fields: a lone value as its text, a repeated key as the list."""
    grouped: dict[str, list[str]] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        grouped.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}


def _parts(body: str, content_type: str) -> list[tuple[str, str]]:
    """The (name, text) of each part of a multipart body, read with the standard library."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body.encode("utf-8")
    )
    if not message.is_multipart():
        return []
    out = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            out.append((name, payload.decode("utf-8", "replace")))
    return out


def _value_problems(oracle: CorpusOracle, method: str, template: str, location: str, name: str, raw: str) -> list[str]:
    """Problems with a raw parameter value under every reading of it (string, JSON)."""
    as_text = oracle.parameter_errors(method, template, location, name, raw)
    if not as_text:
        return []
    try:
        typed = json.loads(raw)
    except ValueError:
        return as_text
    return as_text if oracle.parameter_errors(method, template, location, name, typed) else []


_INVALID_REQUEST_ANSWERS = {"400", "422", "4XX", "4xx", "default"}


def _lost_on_the_wire(oracle: CorpusOracle, document: dict[str, Any], base: str, finding: Finding) -> str:
    """Why an accepted "invalid" request was no invalid request on the wire ('' if it was):
    Schemathesis meant a value its serialisation cannot carry, so what it sent is also what a
    valid value looks like, and no server can tell them apart."""
    request = finding.last_request
    if request is None:
        return ""
    sent = re.search(r"-H 'Content-Type: ([^';]+)", finding.text)
    media = sent.group(1).strip().lower() if sent else ""
    if media.endswith("/xml") or media.endswith("+xml"):
        return "an XML body: the mock takes XML by content type and does not read its structure"
    if media not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return ""
    if media != "multipart/form-data" and (
        re.search(r"Invalid component: in body - [^\n]+ -> ", finding.text) or _only_nested(finding.text)
    ):
        return "a value inside a nested field of a urlencoded body: Schemathesis sends only its keys"
    method, url, body = request
    if media != "multipart/form-data" and body is not None and "Invalid component: in body" in finding.text:
        path = urlsplit(url).path
        template = next((t for pattern, t in _templates(document, base) if pattern.match(path)), None)
        if template is not None and not oracle.form_field_errors(method, template, _form_sent(body)):
            return "a urlencoded body valid as sent (a lone value is an array's one item in a form)"
    missing = re.search(r"Invalid component: Missing required property: (\S+)", finding.text)
    if missing:
        kind = _form_property_type(oracle, document, base, request[0], request[1], media, missing[1])
        if kind == "array":
            return f"no {missing[1]!r} field: an empty array and an absent one are the same form"
        if kind == "undeclared":
            return f"no {missing[1]!r} field: required but undeclared, Schemathesis sends it in no form"
    return ""


def _only_nested(text: str) -> bool:
    """Whether every body violation Schemathesis names ("violates `format` at /properties/
    embeds/items/properties/timestamp") lies inside a field, not in the field itself."""
    places = re.findall(r"violates [^\n]* at (/\S+)", text.split("Invalid component: in body", 1)[-1])
    return bool(places) and all(re.match(r"/properties/[^/]+/.", place) for place in places)


def _form_property_type(
    oracle: CorpusOracle, document: dict[str, Any], base: str, method: str, url: str, media: str, name: str
) -> str | None:
    """The declared type of the form body's property `name`, following `$ref`s."""
    path = urlsplit(url).path
    template = next((t for pattern, t in _templates(document, base) if pattern.match(path)), None)
    if template is None:
        return None
    operation, pointer = oracle.operation(method, template)
    body, where = oracle._deref(operation.get("requestBody") or {}, f"{pointer}/requestBody")
    content = (body.get("content") or {}).get(media) or {}
    schema, where = oracle._deref(content.get("schema") or {}, f"{where}/content/{media}/schema")
    if name not in (schema.get("properties") or {}):
        return "undeclared"
    prop, _ = oracle._deref(schema["properties"][name], where)
    kind = prop.get("type") if isinstance(prop, dict) else None
    return kind if isinstance(kind, str) else None


def _shape(template: str) -> str:
    return re.sub(r"\{[^{}/]+\}", "{}", template)


def _identical_paths(document: dict[str, Any], finding: Finding) -> str:
    """Why an `Allow` that lists undeclared methods is right ('' if it is not): they are all
    declared by a path of the document identical to the tested one but for its names."""
    _, _, template = finding.section.strip().partition(" ")
    listed = re.search(r"Undocumented methods advertised: ([A-Z, ]+)", finding.text)
    if not template or listed is None or "Missing documented methods" in finding.text:
        return ""
    paths = document.get("paths") or {}
    # The tested template as Schemathesis names it (dots spelt `_`, see `_st_document`).
    twins = [t for t in paths if _shape(t) == _shape(template) and _dotless(t) != template]
    declared = {m.upper() for t in twins for m in (paths[t] or {}) if m.upper() in _HTTP_METHODS}
    undeclared = {m.strip() for m in listed.group(1).split(",") if m.strip()}
    if not twins or not undeclared <= declared:
        return ""
    return f"{', '.join(sorted(undeclared))} of {twins[0]}, identical to {template} but for its names"


_HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}


def _classify(entry: CorpusEntry, base: str, output: str, mode: str = "positive") -> Verdict:
    oracle = CorpusOracle(entry.path)
    document = read_document(entry.path)
    verdict = Verdict()
    for finding in _findings(output):
        status = finding.status
        code = finding.check.split()[0]
        documented = re.search(r"Documented: ([^\n]+)", finding.text)
        declared = {s.strip() for s in documented.group(1).split(",")} if documented else set()
        if code == "ST103" and status == 404 and not declared & {"404", "4XX", "4xx", "default"}:
            verdict.tolerated.append((finding, "404 for a deleted or unknown resource; the operation declares none"))
            continue
        if mode == "negative" and code == "ST103" and not declared & _INVALID_REQUEST_ANSWERS:
            verdict.tolerated.append((finding, f"{status} for an invalid request; the operation declares no answer"))
            continue
        if status in (414, 431) and code in ("ST103", "ST202") and "longer than the server's limit" in finding.text:
            why = "a request head past the server's limit (--max-header-bytes), refused as every HTTP server does"
            verdict.tolerated.append((finding, why))
            continue
        if code == "ST205":
            why = _identical_paths(document, finding)
            if why:
                verdict.tolerated.append((finding, f"Allow lists the methods of an identical path: {why}"))
                continue
        if code == "ST201":
            why = _lost_on_the_wire(oracle, document, base, finding)
            if why:
                verdict.tolerated.append((finding, why))
                continue
        if code in ("ST103", "ST202") and status is not None and 400 <= status < 500:
            problems = _invalid_parts(oracle, document, base, finding)
            if problems:
                verdict.tolerated.append((finding, f"the request was invalid per the document: {problems[0]}"))
                continue
        verdict.failures.append(finding)
    for section, text in _errors(output):
        if any(marker in text for marker in _GENERATION_ERRORS):
            verdict.ungenerated.append(section)
        else:  # a request that got no answer, a broken connection: the mock's
            verdict.failures.append(Finding(section, "error", text))
    return verdict


def _headers(document: dict[str, Any]) -> list[str]:
    out: dict[str, str] = {}
    for scheme in ((document.get("components") or {}).get("securitySchemes") or {}).values():
        kind = str(scheme.get("type", "")).lower()
        if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
            out.setdefault("Authorization", "Basic dXNlcjpU")
        elif kind in ("http", "oauth2", "openidconnect"):
            out["Authorization"] = f"Bearer {TOKEN}"
        elif kind == "apikey" and scheme.get("in") == "header":
            out[str(scheme["name"])] = TOKEN
    return [arg for name, value in out.items() for arg in ("-H", f"{name}: {value}")]


@dataclass(frozen=True)
class StRun:
    entry: CorpusEntry
    base: str
    mode: str
    command: list[str]
    returncode: int
    output: str
    seconds: float  # wall time of the run (two run at once)


def _dotless(name: str) -> str:
    return name.replace(".", "_")


def _st_document(entry: CorpusEntry, cwd: Path) -> Path:
    """The document to give Schemathesis: the corpus file itself, or, when a path parameter's
    name holds a dot, a JSON copy in `cwd` with those names spelt with `_` (the URLs are the same)."""
    document = read_document(entry.path)
    paths = document.get("paths") or {}
    if not any("." in name for template in paths for name in _names(template)):
        return entry.path
    renamed: dict[str, Any] = {}
    for template, item in paths.items():
        names = _names(template)
        for name in names:
            assert "." not in name or _dotless(name) not in names, f"{template}: {name} has a twin"
        new = re.sub(r"\{([^{}/]+)\}", lambda m: "{" + _dotless(m.group(1)) + "}", template)
        renamed[new] = _rename_path_parameters(item, set(names)) if isinstance(item, dict) else item
    out = cwd / f"{entry.path.stem}.st.json"
    out.write_text(json.dumps({**document, "paths": renamed}))
    return out


def _rename_path_parameters(item: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """A path item whose inline path parameters named in `names` are spelt without dots."""

    def fixed(parameters: list[Any]) -> list[Any]:
        return [
            {**p, "name": _dotless(p["name"])}
            if isinstance(p, dict) and p.get("in") == "path" and p.get("name") in names
            else p
            for p in parameters
        ]

    out = {**item, "parameters": fixed(item["parameters"])} if isinstance(item.get("parameters"), list) else dict(item)
    for method, operation in item.items():
        if isinstance(operation, dict) and isinstance(operation.get("parameters"), list):
            out[method] = {**operation, "parameters": fixed(operation["parameters"])}
    return out


def _run(entry: CorpusEntry, url: str, base: str, cwd: Path, mode: str) -> StRun:
    cwd.mkdir(parents=True)
    phases, examples = (
        ("examples,coverage,fuzzing,stateful", EXAMPLES)
        if mode == "positive"
        else ("coverage,fuzzing", NEGATIVE_EXAMPLES)
    )
    if entry.operations > LARGE and not LONG:
        examples = 1
    if mode in entry.coverage_long_only and not LONG:
        phases = phases.replace("coverage,", "")
    command = [
        str(ST),
        "run",
        str(_st_document(entry, cwd)),
        "-u",
        url + base,
        "-c",
        "all",
        "--phases",
        phases,
        "-m",
        mode,
        "-n",
        str(examples),
        "--seed",
        "1",
        "--generation-with-security-parameters",
        "false",
        "--exclude-path-regex",
        "#",
        *_headers(read_document(entry.path)),
    ]
    # A scratch directory per run: Schemathesis and hypothesis write caches into the cwd.
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    seconds = time.monotonic() - started
    return StRun(entry, base, mode, command, result.returncode, result.stdout + result.stderr, seconds)


@pytest.fixture(scope="module")
def st_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], StRun]]:
    """One mock serving every loadable document (each under /<file stem>), all runs against it.
    Its body limit is above what negative mode sends for a `maxLength` of 500,000 (Adyen)."""
    config = ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), max_body_size=16 * 1024 * 1024)
    app = create_app([e.path for e in DOCUMENTS], config)
    bases = {api.name: api.prefix for api in app.state.apis}
    scratch = tmp_path_factory.mktemp("schemathesis")
    with serve(app) as url, ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {
            (e.file, mode): pool.submit(_run, e, url, bases[e.path.stem], scratch / f"{e.path.stem}-{mode}", mode)
            for e in sorted(DOCUMENTS, key=lambda e: -e.path.stat().st_size)  # the longest first
            for mode in MODES
        }
        yield {key: future.result() for key, future in futures.items()}


def test_enough_documents_are_run() -> None:
    assert len(DOCUMENTS) >= 15, [e.file for e in DOCUMENTS]


LEFT_OUT = [
    pytest.param(e, id=e.file, marks=pytest.mark.skip(reason=str(e.schemathesis_skip)))
    for e in corpus_entries()
    if e.schemathesis_skip
]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("entry", [*(pytest.param(e, id=e.file) for e in DOCUMENTS), *LEFT_OUT])
def test_schemathesis_finds_nothing(st_runs: dict[tuple[str, str], StRun], entry: CorpusEntry, mode: str) -> None:
    run = st_runs[entry.file, mode]
    assert "Tested:" in run.output and "generated" in run.output, run.output[-3000:]
    verdict = _classify(entry, run.base, run.output, mode)
    counted = re.search(r"(\d+) generated[^\n]*", run.output)
    print(f"{entry.file} {mode}: {counted.group(0) if counted else '?'}; {len(verdict.tolerated)} tolerated")
    print(f"{entry.file} {mode}: st run took {run.seconds:.0f} s")
    for finding, why in verdict.tolerated:
        print(f"tolerated: {finding.section}: {finding.check}: {why}")
    for section in verdict.ungenerated:
        print(f"not generated by Schemathesis (nothing sent): {section}")
    shown = "\n\n".join(f"{f.section}: {f.check}\n{f.text[:1500]}" for f in verdict.failures)
    assert not verdict.failures, f"{' '.join(run.command)}\n{shown}"
    if run.returncode != 0:
        assert verdict.tolerated or verdict.ungenerated, (
            f"exit {run.returncode} with no finding parsed:\n{run.output[-3000:]}"
        )


def _output(status: int, body: str) -> str:
    """Schemathesis' report of one failing case of DELETE /scaAssociations, as it prints it."""
    return (
        "=== FAILURES ===\n"
        "______________ DELETE /scaAssociations ______________\n"
        "1. Test Case ID: NGijmd\n"
        "\n- ST202 Schema-valid request rejected\n\n    Valid data should have been accepted\n"
        f"\n[{status}] Request Header Fields Too Large:\n\n    `{body}`\n"
        "=== SUMMARY ===\n"
    )


def test_a_lone_value_of_a_form_array_is_its_one_item_to_the_oracle_and_the_verdict() -> None:
    """Swagger's petstore takes `photoUrls` (a required array) in a urlencoded form: one
    `photoUrls=AAA` is how a form carries a one-item array, no invalid request (its acceptance
    is no finding); a field of the wrong type, or the array not sent, still is."""
    entry = next(e for e in DOCUMENTS if e.file == "swagger-petstore.yaml")
    oracle = CorpusOracle(entry.path)
    assert oracle.form_field_errors("POST", "/pet", {"name": "doggie", "photoUrls": "AAA"}) == []
    assert oracle.form_field_errors("POST", "/pet", {"name": "doggie", "photoUrls": ["a", "b"]}) == []
    assert oracle.form_field_errors("POST", "/pet", {"name": "doggie"}) == [
        "request body photoUrls: required, not sent"
    ]
    wrong = oracle.form_field_errors("POST", "/pet", {"name": "doggie", "photoUrls": "a", "id": "ten"})
    assert wrong == ["request body id: 'ten' is invalid"]

    def accepted(form: str) -> str:  # Schemathesis' report of POST /pet, as it prints it
        return (
            "=== FAILURES ===\n______________ POST /pet ______________\n1. Test Case ID: D6d4Ox\n"
            "\n- ST201 Schema-violating request accepted\n\n    Invalid data should have been rejected\n"
            "    Invalid component: in body - photoUrls: Incorrect type\n\n[200] OK:\n\n    `{}`\n\n"
            "    curl -X POST -H 'Content-Type: application/x-www-form-urlencoded' "
            f"-d '{form}' http://127.0.0.1:1/swagger-petstore/api/v3/pet\n=== SUMMARY ===\n"
        )

    one_item = _classify(entry, "/swagger-petstore/api/v3", accepted("id=10&name=doggie&photoUrls=AAA"), "negative")
    assert not one_item.failures and "valid as sent" in one_item.tolerated[0][1]
    invalid = _classify(entry, "/swagger-petstore/api/v3", accepted("id=ten&name=doggie&photoUrls=AAA"), "negative")
    assert [f.check for f in invalid.failures] == ["ST201 Schema-violating request accepted"]


def test_a_head_past_the_server_s_limit_is_tolerated_and_nothing_else_like_it() -> None:
    entry = next(e for e in DOCUMENTS if e.file == "adyen-balance-platform.json")
    limit = '{"detail":"the request line and headers are longer than the server\'s limit of 16384 bytes"}'
    tolerated = _classify(entry, "/adyen-balance-platform/bcl/v2", _output(431, limit))
    assert not tolerated.failures and "--max-header-bytes" in tolerated.tolerated[0][1]
    refused = _classify(entry, "/adyen-balance-platform/bcl/v2", _output(431, '{"detail":"no"}'))
    assert [f.check for f in refused.failures] == ["ST202 Schema-valid request rejected"]


def _errors_output(*entries: tuple[str, str]) -> str:
    """Schemathesis' ERRORS section of `entries` (operation, first lines), as it prints it."""
    body = "".join(f"____________________ {op} _____________________\n{text}\n\n" for op, text in entries)
    return f"==================== ERRORS ====================\n{body}=================== SUMMARY ===================\n"


def test_an_operation_schemathesis_cannot_generate_for_is_no_finding_and_any_other_error_is() -> None:
    entry = next(e for e in DOCUMENTS if e.file == "box.json")
    ungenerated = (
        (
            "DELETE /folder_locks/{folder_lock_id}",
            "Failed Health Check\n\nToo many generated examples are filtered out",
        ),
        ("DELETE /folders/{folder_id}/trash", "Schema Error\n\nCannot generate test data for this operation"),
    )
    verdict = _classify(entry, "/box/2.0", _errors_output(*ungenerated), "negative")
    assert not verdict.failures and verdict.ungenerated == [op for op, _ in ungenerated]
    broken = ("GET /files/{file_id}", "Network Error\n\nConnection failed: the server closed the connection")
    verdict = _classify(entry, "/box/2.0", _errors_output(ungenerated[0], broken), "negative")
    assert [(f.section, f.check) for f in verdict.failures] == [("GET /files/{file_id}", "error")]
