"""Load OpenAPI documents from disk and resolve their `$ref`s once.

`load_spec` parses YAML or JSON with the C loader, checks the document's outline, normalises
3.0 to 3.1 (see `adapter`), checks every `$ref` (refusing the document with all the broken ones
at once) and returns a `SpecDocument` whose `inline` method hands out schemas with their
`$ref`s resolved, so nothing downstream resolves a reference again. A reference that would
recurse (`Node -> children: [Node]`) is kept, made absolute (`file:///.../api.yaml#/...`), and
resolved natively by the validators of `schemas`. References to other local files
(`./schemas/pet.yaml#/Pet`) are read relative to the referring file; URLs are not fetched.
What published documents get wrong but can still be served is tolerated with one warning
line per kind of quirk, naming the file and the first place.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

import yaml
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from mockserver import schemas
from mockserver.adapter import DISCRIMINATOR, normalise_document
from mockserver.errors import NotOpenAPIError, SpecError

log = logging.getLogger("mockserver")
# Keywords beside a 3.1 `$ref` that describe rather than constrain: merged over the target.
_ANNOTATIONS = frozenset(
    {"description", "title", "summary", "examples", "example", "default", "deprecated", "readOnly", "writeOnly"}
)
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_LISTED = 20  # problems listed in one refusal
_URI_SAFE = ":/#%~@!$&'()*+,;=?"


class _SpecYamlLoader(yaml.CSafeLoader):
    """YAML as OpenAPI authors mean it: an unquoted `2024-01-01` is the string it reads as
    (JSON has no dates), not YAML 1.1's `datetime.date`; the lines where that happened are kept
    for the warning."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.dates: list[int] = []


def _timestamp_as_text(loader: _SpecYamlLoader, node: yaml.ScalarNode) -> str:
    loader.dates.append(node.start_mark.line + 1)
    return str(loader.construct_scalar(node))


_SpecYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class Notes:
    """The quirks of one document, logged as one line per kind: its first place, and the
    distinct details (the unknown format names, say) of all of them."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: dict[str, tuple[list[str], dict[str, None]]] = {}

    def __call__(self, message: str, where: str, detail: str = "") -> None:
        places, details = self.found.setdefault(message, ([], {}))
        places.append(where)
        if detail:
            details[detail] = None

    def log(self) -> None:
        for message, (places, details) in self.found.items():
            named = f": {', '.join(list(details)[:12])}{' ...' if len(details) > 12 else ''}" if details else ""
            more = f" (and {len(places) - 1} more places)" if len(places) > 1 else ""
            log.warning("mockserver: %s: %s: %s%s%s", self.source, places[0], message, named, more)


@dataclass
class SpecDocument:
    """One OpenAPI document, normalised to the 3.1 dialect."""

    name: str
    path: Path
    document: dict[str, Any]
    raw: dict[str, Any]
    version: str
    server_path: str
    uri: str = ""
    _registry: Registry[Any] = field(repr=False, default_factory=Registry)
    _cycles: dict[str, int] = field(repr=False, default_factory=dict)  # recursive target -> its cycle
    _memo: dict[str, Any] = field(repr=False, default_factory=dict)  # inlined non-recursive targets

    def inline(self, node: Any, where: str) -> Any:
        """`node` with every `$ref` replaced by its target, except one that would recurse: that
        one stays, as an absolute `$ref` (see `schemas.validator`)."""
        return self._inline(node, where, (), self.uri)

    def _inline(self, node: Any, where: str, stack: tuple[str, ...], base: str) -> Any:
        if isinstance(node, list):
            return [self._inline(item, where, stack, base) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            ref = absolute(base, ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            cycle = self._cycles.get(ref)
            if ref in stack or (cycle is not None and any(self._cycles.get(outer) == cycle for outer in stack)):
                # Back into a recursion already being expanded: the reference stays, so each
                # recursive schema is expanded once however many ways lead back into it.
                kept: dict[str, Any] = {"$ref": ref}
                if siblings and not self.version.startswith("3.0"):
                    kept.update(self._inline(siblings, where, stack, base))
                return kept
            resolved = self._memo.get(ref) if cycle is None else None
            if resolved is None:
                target = self.resolve_ref(ref, where)
                resolved = self._inline(target, where, (*stack, ref), _document_of(ref))
                if cycle is None:
                    # Outside every recursion, a target expands the same wherever it is met.
                    self._memo[ref] = resolved
            if not siblings or not isinstance(resolved, dict) or self.version.startswith("3.0"):
                return resolved  # OpenAPI 3.0: a $ref's siblings are ignored
            siblings = self._inline(siblings, where, stack, base)
            if "in" in resolved or "content" in resolved:
                # A Reference Object to a parameter, response or body: 3.1 lets `summary` and
                # `description` override, and ignores the rest (`required: true`), as Schemathesis does.
                return {**resolved, **{k: v for k, v in siblings.items() if k in ("summary", "description")}}
            if set(siblings) <= _ANNOTATIONS:
                return {**resolved, **siblings}
            return {"allOf": [resolved, siblings]}  # 3.1: both apply
        # Extensions are kept as written: `x-codeSamples` refers to source files, not schemas.
        out = {
            key: value if str(key).startswith("x-") else self._inline(value, where, stack, base)
            for key, value in node.items()
        }
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            _tag_branches(node, out, discriminator)
        return out

    def resolve_ref(self, ref: str, where: str) -> Any:
        try:
            return self._registry.resolver(base_uri=self.uri).lookup(ref).contents
        except Unresolvable as exc:
            raise SpecError(str(self.path), _unresolvable(ref, exc), where) from exc


def absolute(base: str, ref: str) -> str:
    """`ref` made absolute against the URI of the file it is in, as a valid URI
    (`paths/menu_{menuItemId}.yaml` has characters a URI must escape)."""
    return quote(base + ref if ref.startswith("#") else urljoin(base, ref), safe=_URI_SAFE)


def _document_of(ref: str) -> str:
    return ref.split("#", 1)[0]


def _unresolvable(ref: str, exc: Exception) -> str:
    if urlsplit(ref).scheme not in ("", "file"):
        return f"$ref {ref!r} is a URL: the mock reads local files only (no network); save it beside the document"
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, SpecError):  # why a referred file could not be read
        cause = cause.__cause__ or cause.__context__
    return f"unresolvable $ref {ref!r}" + (f" ({cause})" if cause is not None else "")


def _tag_branches(node: dict[str, Any], out: dict[str, Any], discriminator: dict[str, Any]) -> None:
    """Mark each `$ref` branch of a discriminated `oneOf`/`anyOf` with the value that names
    it (its `mapping` key, else the referenced schema's name), so that a generated value
    carries it: the reference is gone once inlined."""
    found = discriminator.get("mapping")
    mapping: dict[str, Any] = found if isinstance(found, dict) else {}
    by_ref = {str(ref): key for key, ref in mapping.items()}
    if mapping and not any(isinstance(node.get(key), list) for key in ("oneOf", "anyOf")):
        # A base schema with a mapping (polymorphism without a union): one of its names.
        out[DISCRIMINATOR] = [discriminator["propertyName"], next(iter(mapping))]
        return
    for key in ("oneOf", "anyOf"):
        raw, inlined = node.get(key), out.get(key)
        if not isinstance(raw, list) or not isinstance(inlined, list):
            continue
        for index, (branch, resolved) in enumerate(zip(raw, inlined, strict=True)):
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            if isinstance(ref, str) and isinstance(resolved, dict) and "$ref" not in resolved:
                value = by_ref.get(ref, ref.rsplit("/", 1)[-1])
                inlined[index] = {**resolved, DISCRIMINATOR: [discriminator["propertyName"], value]}


def find_specs(targets: list[str]) -> list[Path]:
    """Spec files named by `targets` (files, or directories searched non-recursively)."""
    return [path for path, _named in find_documents(targets)]


def find_documents(targets: list[str]) -> list[tuple[Path, bool]]:
    """(file, named itself) for each candidate: a file given by name must be a document; one
    found in a directory may turn out to be something else (a schema fragment) and is skipped."""
    found: list[tuple[Path, bool]] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            found.extend((p, False) for p in sorted(path.iterdir()) if p.is_file() and p.suffix in _SPEC_SUFFIXES)
        elif path.is_file():
            found.append((path, True))
        else:
            raise SpecError(target, "no such file or directory")
    if not found:
        raise SpecError(", ".join(targets), "no OpenAPI documents (*.yaml, *.yml, *.json) found")
    return found


def load_spec(path: Path) -> SpecDocument:
    """Parse and check one OpenAPI 3.0/3.1 document and the local files it refers to."""
    notes = Notes(str(path))
    raw = _parse(path, notes)
    if "swagger" in raw and "openapi" not in raw:
        raise SpecError(
            str(path),
            f"this is a Swagger {raw.get('swagger')} document; the mock serves OpenAPI 3.0 and 3.1: convert it "
            "first (for example with `npx swagger2openapi FILE -o FILE.yaml`) and serve the result",
        )
    if "openapi" not in raw:
        raise NotOpenAPIError(str(path), "not an OpenAPI document (it has no 'openapi' field)")
    version = raw.get("openapi")
    if not isinstance(version, str) or not version.startswith(("3.0", "3.1")):
        raise SpecError(str(path), f"'openapi' must be a 3.0.x or 3.1.x version, got {version!r}")
    paths = raw.get("paths")
    webhooks_only = not paths and isinstance(raw.get("webhooks"), dict) and bool(raw["webhooks"])
    if webhooks_only:
        notes("the document declares only webhooks: the mock serves nothing but its index", "webhooks", "")
    elif not isinstance(paths, dict) or not paths:
        raise SpecError(str(path), "'paths' must be a non-empty mapping")
    document = normalise_document(raw, notes)
    if webhooks_only:
        document["paths"] = {}
    uri = path.resolve().as_uri()
    files = _Files(version, notes)
    files.contents[uri] = document
    spec = SpecDocument(
        name=path.stem,
        path=path,
        document=document,
        raw=raw,
        version=version,
        server_path=_server_path(document),
        uri=uri,
        _registry=Registry(retrieve=files.retrieve).with_resource(  # type: ignore[call-arg]
            uri, Resource.from_contents(document, default_specification=DRAFT202012)
        ),
    )
    _check_references(spec, files)
    for key, item in document["paths"].items():
        if isinstance(item, dict) and "$ref" in item:  # a path item in a file of its own
            document["paths"][key] = spec.inline(item, f"paths.{key}")
    schemas.register(files.contents)
    notes.log()
    return spec


class _Files:
    """The local files a document refers to, read once, parsed and normalised like it."""

    def __init__(self, version: str, notes: Notes) -> None:
        self.version = version
        self.notes = notes
        self.contents: dict[str, Any] = {}

    def retrieve(self, uri: str) -> Resource[Any]:
        if uri not in self.contents:
            parts = urlsplit(uri)
            if parts.scheme != "file":
                raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
            path = Path(url2pathname(unquote(parts.path)))
            data = _parse(path, self.notes, fragment=True)
            if "openapi" in data:
                data = {k: v for k, v in data.items() if k != "openapi"}
            normalised = normalise_document({**data, "openapi": self.version}, self.notes, fragment=path.name)
            normalised.pop("openapi")
            self.contents[uri] = normalised
        return Resource.from_contents(self.contents[uri], default_specification=DRAFT202012)


def _check_references(spec: SpecDocument, files: _Files) -> None:
    """Resolve every reference of the document and of the files it refers to, once each;
    refuse the document with every broken one listed (and where it is)."""
    problems: list[str] = []
    resolver = spec._registry.resolver(base_uri=spec.uri)
    done: set[str] = set()
    resolved: set[str] = set()
    pending = [spec.uri]
    while pending:
        uri = pending.pop()
        if uri in done:
            continue
        done.add(uri)
        where_file = "" if uri == spec.uri else f"{url2pathname(urlsplit(uri).path)}: "
        _static_references(files.contents[uri])
        for place, node in _walk(files.contents[uri], ()):
            ref = node.get("$ref")
            if not isinstance(ref, str):
                continue
            target = absolute(uri, ref)
            if target in resolved:
                continue
            try:
                resolver.lookup(target)
            except Unresolvable as exc:
                problems.append(f"{where_file}{'.'.join(place)}: {_unresolvable(ref, exc)}")
                continue
            resolved.add(target)
            pending.append(urldefrag(target).url)
    if not problems:
        spec._cycles = _recursions(spec, resolved)
    else:
        listed = problems[:_MAX_LISTED]
        if len(problems) > _MAX_LISTED:
            listed.append(f"... and {len(problems) - _MAX_LISTED} more")
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        raise SpecError(str(spec.path), f"cannot be served, {count}:\n  " + "\n  ".join(listed))


def _static_references(contents: Any) -> None:
    """Rewrite each `$dynamicRef: "#name"` into a `$ref` to the schema with that
    `$dynamicAnchor` (or `$anchor`), and each `$recursiveRef: "#"` into one to the closest
    enclosing schema with `$recursiveAnchor: true` (else its component): what they mean in
    an OpenAPI document, where schemas are not resources of their own. Anchors nested in a
    document are not found by JSON Schema resolvers, JSON pointers are."""
    anchors: dict[str, str] = {}
    recursive: set[tuple[str, ...]] = set()
    dynamic: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    for place, node in _walk(contents, ()):
        for key in ("$anchor", "$dynamicAnchor"):
            if isinstance(node.get(key), str):
                anchors.setdefault(node[key], _pointer(place))
        if node.pop("$recursiveAnchor", None) is True:  # 2019-09: no 2020-12 keyword
            recursive.add(place)
        if isinstance(node.get("$dynamicRef"), str) or isinstance(node.get("$recursiveRef"), str):
            dynamic.append((place, node))
    for place, node in dynamic:
        name = str(node.get("$dynamicRef", "")).lstrip("#")
        enclosing = next((place[:n] for n in range(len(place), 0, -1) if place[:n] in recursive), place[:3])
        target = anchors.get(name) if "$dynamicRef" in node else None
        node.pop("$dynamicRef", None)
        node.pop("$recursiveRef", None)
        node["$ref"] = target or _pointer(enclosing)


def _pointer(place: tuple[str, ...]) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in place)


def _recursions(spec: SpecDocument, targets: set[str]) -> dict[str, int]:
    """Each reference target that can lead back to itself (`Node -> children: [Node]`, or
    through others), mapped to its cycle: the strongly connected component of the graph whose
    edges are the references a target's own contents make (Tarjan's algorithm)."""
    resolver = spec._registry.resolver(base_uri=spec.uri)
    graph: dict[str, list[str]] = {}
    for target in targets:
        base = urldefrag(target).url
        contents = resolver.lookup(target).contents
        graph[target] = [
            absolute(base, node["$ref"]) for _, node in _walk(contents, ()) if isinstance(node.get("$ref"), str)
        ]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: dict[str, int] = {}
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1 or node in graph[node]:
                    cycles.update(dict.fromkeys(members, index[node]))
    return cycles


def _walk(node: Any, place: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every mapping below `node` with its place, extensions (`x-...`) left out."""
    if isinstance(node, dict):
        yield place, node
        for key, value in node.items():
            if isinstance(value, dict | list) and not str(key).startswith("x-"):
                yield from _walk(value, (*place, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                yield from _walk(value, (*place, str(index)))


def _parse(path: Path, notes: Notes, fragment: bool = False) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), f"cannot read: {exc}") from exc
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            loader = _SpecYamlLoader(text)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
            if loader.dates:
                where = f"{path.name + ' ' if fragment else ''}line {loader.dates[0]}"
                lines = f"{path.name + ' ' if fragment else ''}lines {_lines(loader.dates)}"
                notes("unquoted dates read as strings, not as YAML 1.1 dates", where, lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(str(path), f"invalid YAML: {exc.problem}", where) from exc
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise SpecError(str(path), f"invalid document: {exc}") from exc
    if not isinstance(data, dict):
        if fragment:
            raise SpecError(str(path), "a referenced file must hold a mapping")
        raise NotOpenAPIError(str(path), "an OpenAPI document must be a mapping at the top level")
    return data


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:5])
    return shown + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")


def _server_path(document: dict[str, Any]) -> str:
    servers = document.get("servers") or []
    if not servers or not isinstance(servers[0], dict):
        return ""
    url = str(servers[0].get("url", ""))
    for name, variable in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return urlsplit(url).path.rstrip("/")
