"""The resource model, inferred from a document's paths at start-up.

    /memories                      a collection (GET lists, POST creates)
    /memories/{memory_id}          its items (GET reads, PATCH/PUT update, DELETE removes)
    /memories/batch                a batch create (POST with an array body)
    /users/{user_id}/posts         a collection scoped by its parent's id
    /goals/{goal_id}/progress      an action or sub-resource of an item
    /api/settings                  a singleton document (GET plus a write, no template; a DELETE removes it;
                                   a list of plain values written whole by PUT or PATCH is one too)

`infer_model` classifies every operation into a `Role` over a `Collection`; what cannot be
classified gets no role and keeps a deterministic generated answer. Everything here is
plain data computed once; `resources` gives the roles their behaviour per request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.types import Schema

_TEMPLATE = re.compile(r"^\{([^{}/]+)\}$")
_PARAM = re.compile(r"\{([^{}/]+)\}")
_WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Envelope properties that usually hold the items of a list answer, best first.
_ITEM_KEYS = ("data", "items", "results", "records", "entries", "values", "list", "content", "elements", "nodes")
# Properties that hold the resource in an envelope beside metadata (Qdrant's `{result, status, time}`).
_ENVELOPE_KEYS = ("result", "data", "item", "resource")


@dataclass(frozen=True)
class OperationShape:
    """What the model needs to know of one operation."""

    method: str
    path: str
    request_schema: Schema | None
    success_schema: Schema | None
    query: tuple[str, ...] = ()
    identity_override: str | None = None  # the profile's `identity` field for the path id, if any


@dataclass
class Collection:
    """A kind of resource: the collection path, its item path and what identifies an item."""

    path: str  # "/users/{user_id}/posts"; for a singleton, its own path
    item_path: str | None  # "/users/{user_id}/posts/{post_id}"; None for a singleton
    id_param: str | None
    scope_params: tuple[str, ...]  # path parameters of the collection path
    parents: tuple[tuple[str, str], ...] = ()  # (parent collection path, its id parameter), outermost first
    read_schema: Schema | None = None  # the shape a stored resource keeps
    id_field: str | None = None
    creatable: bool = False
    listable: bool = False
    singleton: bool = False
    from_request: bool = False  # no answer shows the resource: its shape is the create request's


@dataclass(frozen=True)
class ListShape:
    """How a list answer holds its items: a bare array, or an envelope's array property."""

    item_schema: Schema
    items_key: str | None  # None: the answer is the array itself


@dataclass(frozen=True)
class Role:
    # create | list | read | update | delete | action | batch | singleton_read | singleton_write | singleton_delete
    kind: str
    collection: Collection
    list_shape: ListShape | None = None  # list, batch
    batch_key: str | None = None  # batch: the request's array property (None: the body is the array)


@dataclass
class ResourceModel:
    collections: dict[str, Collection] = field(default_factory=dict)
    roles: dict[tuple[str, str], Role] = field(default_factory=dict)

    def role(self, method: str, path: str) -> Role | None:
        return self.roles.get((method.upper(), path))


def infer_model(shapes: Iterable[OperationShape]) -> ResourceModel:
    ops = list(shapes)
    by_path: dict[str, dict[str, OperationShape]] = {}
    for op in ops:
        by_path.setdefault(op.path, {})[op.method.upper()] = op
    model = ResourceModel()
    # Item paths first: every path ending in a lone template names an item of its parent,
    # unless it lists items of its own below it (Box's `/metadata_taxonomies/{namespace}`).
    parents = {_split_item(path)[0] for path in by_path}
    for path in by_path:
        parent, param = _split_item(path)
        get = by_path[path].get("GET")
        if path in parents and get is not None and _list_shape(get.success_schema) is not None:
            continue
        if parent is not None and param is not None and parent not in model.collections:
            model.collections[parent] = Collection(parent, path, param, path_parameters(parent))
    for path, methods in by_path.items():
        if path in model.collections or _split_item(path)[0] is not None:
            continue
        shape = _list_shape(methods["GET"].success_schema) if "GET" in methods else None
        written_whole = "PUT" in methods or "PATCH" in methods
        # An array of plain values written whole (Adyen's `{"legalEntityIds": [...]}` under PATCH)
        # is a field of one document, not a collection of items.
        if shape is not None and written_whole and _type(shape.item_schema) in _PLAIN:
            shape = None
        if shape is not None and "POST" in methods:
            model.collections[path] = Collection(
                path, None, None, path_parameters(path)
            )  # listed and created, never read
        elif "GET" in methods and written_whole:
            model.collections[path] = Collection(path, None, None, path_parameters(path), singleton=True)
    for collection in model.collections.values():
        collection.parents = _parents(collection.path, model.collections)
    for path, methods in by_path.items():
        for method, op in methods.items():
            role = _classify(op, by_path, model.collections)
            if role is not None:
                model.roles[(method, path)] = role
    for collection in model.collections.values():
        _settle(collection, [(op, model.roles.get((op.method.upper(), op.path))) for op in ops])
    return model


_PLAIN = ("string", "integer", "number", "boolean")


def _split_item(path: str) -> tuple[str | None, str | None]:
    """("/memories", "memory_id") for "/memories/{memory_id}"; (None, None) otherwise."""
    head, _, last = path.rstrip("/").rpartition("/")
    match = _TEMPLATE.match(last)
    if match is None:
        return None, None
    return head, match.group(1)


def path_parameters(path: str) -> tuple[str, ...]:
    return tuple(_PARAM.findall(path))


def _parents(path: str, collections: Mapping[str, Collection]) -> tuple[tuple[str, str], ...]:
    """The item paths above `path`, as (collection path, id parameter), outermost first."""
    found: list[tuple[str, str]] = []
    parts = path.split("/")
    for end in range(1, len(parts)):
        prefix = "/".join(parts[:end])
        parent, param = _split_item(prefix)
        if parent is not None and param is not None and parent in collections:
            found.append((parent, param))
    return tuple(found)


def _nearest_item(path: str, collections: Mapping[str, Collection]) -> Collection | None:
    """The collection of the closest item path strictly above `path`."""
    parts = path.rstrip("/").split("/")
    for end in range(len(parts) - 1, 0, -1):
        parent, _param = _split_item("/".join(parts[:end]))
        if parent is not None and parent in collections and collections[parent].item_path is not None:
            return collections[parent]
    return None


def _classify(
    op: OperationShape, by_path: Mapping[str, Mapping[str, OperationShape]], collections: Mapping[str, Collection]
) -> Role | None:
    method = op.method.upper()
    parent, _param = _split_item(op.path)
    collection = collections.get(op.path)  # a collection path, scoped ones (`/taxonomies/{ns}`) too
    if collection is None and parent is not None and parent in collections:
        kind = {"GET": "read", "HEAD": "read", "PATCH": "update", "PUT": "update", "DELETE": "delete"}.get(method)
        # Anything else on an item (petstore's `POST /pet/{petId}` form update) acts on that item.
        return Role(kind or "action", collections[parent])
    if collection is not None:
        if collection.singleton:
            if method in ("GET", "HEAD"):
                return Role("singleton_read", collection)
            if method in ("PUT", "PATCH", "POST"):
                return Role("singleton_write", collection)
            if method == "DELETE":
                return Role("singleton_delete", collection)
            return None
        if method in ("GET", "HEAD"):
            shape = _list_shape(op.success_schema)
            return Role("list", collection, list_shape=shape) if shape is not None else None
        if method == "POST":
            if _answers_a_list(op.success_schema):
                return None  # a query by POST (Qdrant's `POST /points` reads points by id)
            return Role("create", collection)
        if method in ("PUT", "PATCH") and collection.item_path is not None:
            return Role("update", collection)  # petstore's `PUT /pet`: the id is in the body
        return None
    head, _, _last = op.path.rstrip("/").rpartition("/")
    owner = collections.get(head)
    if method == "POST" and owner is not None and not owner.singleton:
        batch = _batch_key(op.request_schema)
        if batch is not None:
            return Role("batch", owner, list_shape=_list_shape(op.success_schema), batch_key=batch or None)
    return _action(op, collections)


def _answers_a_list(schema: Schema | None) -> bool:
    """Whether an answer is a list of items rather than one item (bare or in an envelope)."""
    if not isinstance(schema, dict):
        return False
    if _type(schema) == "array":
        return True
    view = object_view(schema)
    key = envelope_key(view) if view is not None else None
    if view is None or key is not None:
        return False
    properties = view.get("properties") or {}
    wrapped = [k for k in _ENVELOPE_KEYS if k in properties]
    return bool(wrapped) and _type(properties[wrapped[0]]) == "array" and id_field(view, None) is None


def _action(op: OperationShape, collections: Mapping[str, Collection]) -> Role | None:
    owner = _nearest_item(op.path, collections)
    if owner is None:
        return None
    return Role("action", owner)


def _batch_key(schema: Schema | None) -> str | None:
    """ "" for an array body, the name of the one array property of an object body, else None."""
    if not isinstance(schema, dict):
        return None
    if _type(schema) == "array":
        return ""
    if _type(schema) == "object":
        arrays = [
            str(k) for k, v in (schema.get("properties") or {}).items() if isinstance(v, dict) and _type(v) == "array"
        ]
        if len(arrays) == 1 and len(schema.get("properties") or {}) <= 2:
            return arrays[0]
    return None


def _type(schema: Schema) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        for key in ("allOf", "anyOf", "oneOf"):
            branches = [b for b in schema.get(key) or [] if isinstance(b, dict) and _type(b) not in (None, "null")]
            if key == "allOf" and branches:
                return _type(branches[0])
            if len(branches) == 1:
                return _type(branches[0])
        return None
    return str(kind)


def object_view(schema: Schema | None) -> Schema | None:
    """The object schema a value of `schema` is, through `allOf` merges and nullable unions."""
    if not isinstance(schema, dict):
        return None
    if "allOf" in schema:
        merged: Schema = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            view = object_view(part) or {}
            merged["properties"] = {**(merged.get("properties") or {}), **(view.get("properties") or {})}
            merged["required"] = sorted({*(merged.get("required") or []), *(view.get("required") or [])})
        return merged if merged.get("properties") else None
    if _type(schema) == "object" and "properties" in schema:
        return schema
    for key in ("anyOf", "oneOf"):
        branches = [b for b in schema.get(key) or [] if isinstance(b, dict) and _type(b) != "null"]
        if len(branches) == 1:
            return object_view({**{k: v for k, v in schema.items() if k != key}, **branches[0]})
    return None


def envelope_key(view: Schema | None) -> str | None:
    """The property of an object that only wraps another object: its one property
    (`{"article": {...}}`), or its one object-valued property named like a result beside
    metadata (`{"result": {...}, "status": "ok", "time": 0.1}`)."""
    properties = (view or {}).get("properties") or {}
    if len(properties) == 1:
        key, inner = next(iter(properties.items()))
        return str(key) if object_view(inner) is not None else None
    objects = [str(key) for key, inner in properties.items() if object_view(inner) is not None]
    return objects[0] if len(objects) == 1 and objects[0] in _ENVELOPE_KEYS else None


def unwrap(view: Schema | None) -> Schema | None:
    """The object inside a one-property envelope, else `view` itself."""
    key = envelope_key(view)
    return object_view((view or {})["properties"][key]) if key is not None else view


def _list_shape(schema: Schema | None) -> ListShape | None:
    if not isinstance(schema, dict):
        return None
    if _type(schema) == "array" and isinstance(schema.get("items"), dict):
        return ListShape(schema["items"], None)
    view = object_view(schema)
    if view is None:
        return None
    arrays = {
        k: v["items"]
        for k, v in view["properties"].items()
        if isinstance(v, dict) and _type(v) == "array" and isinstance(v.get("items"), dict)
    }
    objects = {k: v for k, v in arrays.items() if object_view(v) is not None}
    pool = objects or arrays
    if len(pool) == 1:
        key = next(iter(pool))
        return ListShape(pool[key], key)
    for key in _ITEM_KEYS:
        if key in pool:
            return ListShape(pool[key], key)
    return None


def _settle(collection: Collection, ops: list[tuple[OperationShape, Role | None]]) -> None:
    """The read schema (the richest object schema of the collection), its id field and what
    the API can do with it."""
    candidates: list[Schema] = []
    fallbacks: list[Schema] = []
    override: str | None = None
    for op, role in ops:
        if role is None or role.collection is not collection:
            continue
        if role.kind in ("read", "update", "singleton_read", "singleton_write", "create"):
            view = unwrap(object_view(op.success_schema))
            if view is not None:
                candidates.append(view)
        if role.kind == "list" and role.list_shape is not None:
            view = object_view(role.list_shape.item_schema)
            if view is not None:
                candidates.append(view)
        if role.kind in ("create", "update", "singleton_write"):
            view = unwrap(object_view(op.request_schema))
            if view is not None:
                fallbacks.append(view)
        if role.kind in ("create", "batch"):
            collection.creatable = True
        if role.kind == "list":
            collection.listable = True
        if op.identity_override and role.kind in ("read", "update", "delete"):
            override = op.identity_override
    pool = candidates or fallbacks
    collection.from_request = not candidates and bool(fallbacks)
    if pool:
        collection.read_schema = max(pool, key=lambda s: len(s.get("properties") or {}))
    if not collection.singleton:
        collection.id_field = override or id_field(collection.read_schema, collection.id_param)


def id_field(schema: Schema | None, param: str | None) -> str | None:
    """The property that identifies an item: named like the path parameter (`memory_id`,
    `memoryId`), else `id`, else the only property whose name ends in `id`."""
    if schema is None:
        return None
    properties = [str(name) for name in schema.get("properties") or {}]
    if param:
        wanted = squash(param)
        for name in properties:
            if squash(name) == wanted:
                return name
    if "id" in properties:
        return "id"
    ending = [name for name in properties if name.lower().endswith("id") and len(name) > 2]
    ending = [name for name in ending if not name.lower().endswith("uuid") or name.lower() == "uuid"] or ending
    if len(ending) == 1:
        return ending[0]
    if param and "name" in properties and squash(param).endswith("name"):
        return "name"  # `{snapshot_name}` names the item by its `name` (Qdrant)
    return None


def squash(name: str) -> str:
    """A name without case and separators: `memoryId`, `memory_id` and `MemoryId` are one."""
    return name.replace("_", "").replace("-", "").lower()


def schema_key(schema: Schema | None) -> str:
    """A canonical text of `schema`, to tell at start-up whether two schemas are the same."""
    return json.dumps(schema, sort_keys=True, default=str)


def describe(model: ResourceModel) -> list[dict[str, Any]]:
    """The model as data (for `GET /` and for people reading the tests)."""
    out = []
    for collection in model.collections.values():
        out.append(
            {
                "path": collection.path,
                "item_path": collection.item_path,
                "id_field": collection.id_field,
                "kind": "singleton" if collection.singleton else "collection",
                "operations": sorted(
                    f"{method} {path} {role.kind}"
                    for (method, path), role in model.roles.items()
                    if role.collection is collection
                ),
            }
        )
    return out
