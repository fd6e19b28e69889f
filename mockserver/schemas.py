"""JSON Schema validators for the schemas of loaded documents, `$ref`s resolved natively.

The loader inlines every `$ref` except those that would recurse (`Node -> children: [Node]`):
such a reference is kept as an absolute one into the document it names
(`{"$ref": "file:///.../api.yaml#/components/schemas/Node"}`). `register` records each loaded
document (and the files it refers to) in a `jsonschema_rs.Registry`; `validator` builds a
Draft 2020-12 validator that resolves kept references through the registry of their document.
Every validator of the package is built here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from mockserver.types import JSON

# Document (or referred file) URI -> the registry holding it and its siblings.
_REGISTRIES: dict[str, jsonschema_rs.Registry] = {}
# The validators of the document being compiled, by schema object: the loader hands out one
# object for a `$ref` target wherever it is met, so a large shared schema compiles once.
# Emptied when the next document is registered; the schema is held, so its id stays its own.
_BUILT: dict[tuple[int, bool], tuple[Any, jsonschema_rs.Validator]] = {}


class _NotRegistered(LookupError):
    """A reference to a resource no loaded document holds."""


def register(resources: Mapping[str, JSON]) -> None:
    """Hold `resources` (URI -> contents: a document and the files it refers to) for the
    references kept in its schemas. Registering a URI again replaces it."""
    registry = jsonschema_rs.Registry(list(resources.items()))
    _BUILT.clear()
    for uri in resources:
        _REGISTRIES[uri] = registry


def validator(schema: Any, validate_formats: bool = False) -> jsonschema_rs.Validator:
    """A Draft 2020-12 validator of `schema`; references kept by the loader are resolved in
    their document. Raises `jsonschema_rs.ValidationError` (or `ValueError`) for a schema
    jsonschema_rs refuses."""
    key = (id(schema), validate_formats)
    built = _BUILT.get(key)
    if built is not None and built[0] is schema:
        return built[1]
    made = _build(schema, validate_formats)
    if isinstance(schema, dict) and len(schema) > 1:
        _BUILT[key] = (schema, made)
    return made


def _build(schema: Any, validate_formats: bool) -> jsonschema_rs.Validator:
    try:
        return jsonschema_rs.Draft202012Validator(schema, validate_formats=validate_formats, retriever=_unregistered)
    except jsonschema_rs.ValidationError:
        # Most schemas hold no reference: only a failing one is searched for its document.
        registry = _registry_for(schema)
        if registry is None:
            raise
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=validate_formats, registry=registry)


def _unregistered(uri: str) -> JSON:
    raise _NotRegistered(uri)  # never the network, never a file the loader did not read


def _registry_for(schema: Any) -> jsonschema_rs.Registry | None:
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and "#" in ref:
                found = _REGISTRIES.get(ref.split("#", 1)[0])
                if found is not None:
                    return found
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return None
