"""Load OpenAPI documents from disk and resolve their `$ref`s once.

`load_spec` parses YAML or JSON with the C loader, checks the document's outline, normalises
3.0 to 3.1 (see `adapter`) and returns a `SpecDocument` whose `inline` method hands out
schemas with every `$ref` resolved, so nothing downstream ever resolves a reference again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from mockserver.adapter import DISCRIMINATOR, normalise_document
from mockserver.errors import NotOpenAPIError, SpecError

_BASE_URI = "urn:mockserver:spec"
# Keywords beside a 3.1 `$ref` that describe rather than constrain: merged over the target.
_ANNOTATIONS = frozenset(
    {"description", "title", "summary", "examples", "example", "default", "deprecated", "readOnly", "writeOnly"}
)
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class SpecDocument:
    """One OpenAPI document, normalised to the 3.1 dialect."""

    name: str
    path: Path
    document: dict[str, Any]
    raw: dict[str, Any]
    version: str
    server_path: str
    _registry: Registry[Any] = field(repr=False, default_factory=Registry)

    def inline(self, node: Any, where: str) -> Any:
        """`node` with every `$ref` replaced by its target (recursion is rejected)."""
        return self._inline(node, where, ())

    def _inline(self, node: Any, where: str, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self._inline(item, where, stack) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in stack:
                chain = " -> ".join((*stack, ref))
                raise SpecError(str(self.path), f"recursive schema is not supported: {chain}", where)
            target = self.resolve_ref(ref, where)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            resolved = self._inline(target, where, (*stack, ref))
            if not siblings or not isinstance(resolved, dict) or self.version.startswith("3.0"):
                return resolved  # OpenAPI 3.0: a $ref's siblings are ignored
            siblings = self._inline(siblings, where, stack)
            if set(siblings) <= _ANNOTATIONS:
                return {**resolved, **siblings}
            return {"allOf": [resolved, siblings]}  # 3.1: both apply
        out = {key: self._inline(value, where, stack) for key, value in node.items()}
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            _tag_branches(node, out, discriminator)
        return out

    def resolve_ref(self, ref: str, where: str) -> Any:
        if not ref.startswith("#"):
            raise SpecError(str(self.path), f"only local $refs are supported, got {ref!r}", where)
        try:
            return self._registry.resolver(base_uri=_BASE_URI).lookup(ref).contents
        except Unresolvable as exc:
            raise SpecError(str(self.path), f"unresolvable $ref {ref!r}", where) from exc


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
            if isinstance(ref, str) and isinstance(resolved, dict):
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
    """Parse and check one OpenAPI 3.0/3.1 document."""
    raw = _parse(path)
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
    if not isinstance(paths, dict) or not paths:
        raise SpecError(str(path), "'paths' must be a non-empty mapping")
    document = normalise_document(raw)
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return SpecDocument(
        name=path.stem,
        path=path,
        document=document,
        raw=raw,
        version=version,
        server_path=_server_path(document),
        _registry=Registry().with_resource(_BASE_URI, resource),
    )


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), f"cannot read: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(str(path), f"invalid YAML: {exc.problem}", where) from exc
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise SpecError(str(path), f"invalid document: {exc}") from exc
    if not isinstance(data, dict):
        raise NotOpenAPIError(str(path), "an OpenAPI document must be a mapping at the top level")
    return data


def _server_path(document: dict[str, Any]) -> str:
    servers = document.get("servers") or []
    if not servers or not isinstance(servers[0], dict):
        return ""
    url = str(servers[0].get("url", ""))
    for name, variable in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return urlsplit(url).path.rstrip("/")
