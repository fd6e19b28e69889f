"""Bindings: an operation's role in the resource model, compiled at start-up.

`bind` turns each operation's `model.Role` into a `Binding`: the generators of the read
schema and of the answer, the projector of a stored resource onto the answer, the write
plan of the request, the listing of a list, the id generator and what the operation
declares (a 404, a `Location` header). Operations of one collection share a `Kind`. The
resource stage (`resources`) runs them per request; nothing here walks a schema then.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mockserver.generator import GenContext, Generator, checked, compile_generator, time_rank
from mockserver.lists import Listing, compile_listing
from mockserver.model import Collection, ResourceModel, Role, envelope_key, object_view, path_parameters, schema_key
from mockserver.operations import Operation
from mockserver.projection import Projector, affirmer
from mockserver.schemas import validator as schema_validator
from mockserver.types import JSON, IsValid, Schema
from mockserver.update import FieldSlot, UpdatePlan, compile_update_plan, is_timestamp

UnknownIds = Literal["auto", "generate", "404"]
_WRITING = ("create", "update", "action", "singleton_write", "batch")
_AFFIRMED = (*_WRITING, "delete", "singleton_delete")  # answers that say what the store now holds


@dataclass(frozen=True)
class Kind:
    """What the operations of one collection share: how its items are made and checked."""

    api: str
    collection: Collection
    generate: Generator | None  # of the read schema
    draft: Generator | None  # the same, its values not checked (they are, once written: see `ResourceStage._made`)
    is_valid: IsValid
    id_slot: FieldSlot | None
    id_generate: Generator | None
    id_is_int: bool
    scope_slots: tuple[tuple[str, FieldSlot], ...]  # fields named like the scope's path parameters
    created_slots: tuple[FieldSlot, ...]  # created_at-like timestamps, set on create
    set_on_create: frozenset[str]  # the fields above (id, timestamps) where they are top-level ones
    read_key: str | None  # canonical text of the read schema
    key: str = ""  # the store's name of the collection when it has no scope (see `scope_key`)
    # The items above the collection: (id parameter, parent collection path, its scope parameters).
    parents: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Binding:
    role: Role
    kind: Kind
    answer: Generator | None  # the success response's generator
    project: Projector
    affirm: Callable[[JSON], JSON]
    write: UpdatePlan
    listing: Listing | None
    item_project: Projector | None  # list and batch: each item onto the list's item schema
    item_generate: Generator | None
    check: IsValid | None  # the whole answer, where projection alone cannot promise validity
    not_found_declared: bool  # the operation declares a 404 (or 4XX, default) answer
    location: str | None  # the item path a create answer's Location header points at
    query_fields: tuple[str, ...]  # action: query parameters named like item fields
    request_key: str | None = None  # the request wraps the resource: `{"article": {...}}`
    supplied: tuple[tuple[str, str], ...] = ()  # (body key, the top-level field the write sets from it)
    # list: the answer is a bare array of the stored items as they are, with nothing to check
    # as a whole, so a page is sent as the store holds it (`Items.array`), never decoded
    stored_array: bool = False


def bind(operations: Sequence[Operation], model: ResourceModel, prefix: str) -> list[Operation]:
    """`operations` with their bindings; `prefix` is where the API is mounted."""
    kinds: dict[str, Kind] = {}
    out = []
    for op in operations:
        role = model.role(op.method, op.path)
        if role is None:
            out.append(op)
            continue
        kind = kinds.get(role.collection.path)
        if kind is None:
            kind = kinds[role.collection.path] = _kind(op.api, role.collection)
        out.append(dataclasses.replace(op, binding=_binding(op, role, kind, prefix)))
    return out


def _kind(api: str, collection: Collection) -> Kind:
    schema = collection.read_schema
    properties = (schema or {}).get("properties") or {}

    def slot(name: str) -> FieldSlot:
        return FieldSlot((name,), schema_validator(properties[name], validate_formats=True).is_valid)

    id_name = collection.id_field if collection.id_field in properties else None
    id_schema = properties.get(id_name) if id_name else None
    times = [n for n, s in properties.items() if isinstance(s, dict) and is_timestamp(s, n)]
    is_valid = schema_validator(schema or {}, validate_formats=True).is_valid
    draft = compile_generator(schema, request=collection.from_request) if schema else None
    created = [n for n in times if time_rank(n) == 0]
    return Kind(
        api=api,
        collection=collection,
        generate=checked(draft, is_valid) if draft is not None else None,
        draft=draft,
        is_valid=is_valid,
        id_slot=slot(id_name) if id_name else None,
        id_generate=_id_generator(id_schema, id_name or "id") if isinstance(id_schema, dict) else None,
        id_is_int=isinstance(id_schema, dict) and _is_integer(id_schema),
        scope_slots=tuple((p, slot(p)) for p in collection.scope_params if p in properties),
        created_slots=tuple(slot(n) for n in created),
        set_on_create=frozenset([*created, *([id_name] if id_name else [])]),
        read_key=schema_key(schema) if schema is not None else None,
        key=collection_key(api, collection.path, []),
        parents=tuple((param, path, path_parameters(path)) for path, param in collection.parents),
    )


_PREFIXED = re.compile(r"^([A-Za-z][A-Za-z0-9]*[_-])([A-Za-z0-9]{6,})$")


def _id_generator(schema: Schema, name: str) -> Generator:
    """New ids in the shape the id field's examples show (`conv_8f3a...` keeps `conv_`), else
    by the field's schema (uuid, integer, pattern)."""
    examples = [e for e in schema.get("examples") or [] if isinstance(e, str)]
    found = _PREFIXED.match(examples[0]) if examples and "pattern" not in schema and "format" not in schema else None
    if found is None:
        return compile_generator(schema, name)
    prefix, length = found.group(1), len(found.group(2))
    check = schema_validator(schema, validate_formats=True).is_valid
    fallback = compile_generator(schema, name)

    def generate(ctx: GenContext) -> JSON:
        value = prefix + "".join(ctx.rng.choice("0123456789abcdef") for _ in range(length))
        return value if check(value) else fallback(ctx)

    return generate


def _array_wide(schema: Schema | None) -> bool:
    """Whether a list answer's schema constrains its array as a whole (beyond `maxItems`,
    which the listing honours), or is not a plain array or envelope."""
    text = json.dumps(schema, default=str)
    return any(f'"{key}"' in text for key in ("minItems", "uniqueItems", "contains", "oneOf", "dependentRequired"))


def _is_integer(schema: Schema) -> bool:
    kind = schema.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind and "string" not in kind)


def _binding(op: Operation, role: Role, kind: Kind, prefix: str) -> Binding:
    success = op.success
    collection = role.collection
    listing = item_project = item_generate = None
    if role.list_shape is not None:
        listing = compile_listing(role.list_shape, op.query_schemas, collection.read_schema, success.schema)
        item_project = Projector(role.list_shape.item_schema, kind.read_key)
        item_generate = compile_generator(role.list_shape.item_schema)
    write_schema = op.request_schema
    request_key = envelope_key(object_view(write_schema)) if role.kind != "batch" else None
    if request_key is not None:
        inner = object_view((object_view(write_schema) or {})["properties"][request_key])
        read_fields = set(((collection.read_schema or {}).get("properties") or {}).keys())
        if request_key in read_fields or not read_fields & set(((inner or {}).get("properties") or {}).keys()):
            request_key = None
        else:
            write_schema = inner
    if role.kind == "batch" and isinstance(write_schema, dict):
        inner = write_schema if role.batch_key is None else (write_schema.get("properties") or {}).get(role.batch_key)
        write_schema = (inner or {}).get("items") if isinstance(inner, dict) else None
    path_names = tuple(p.name for p in op.parameters if p.location == "path")
    write = compile_update_plan(
        op.profile,
        write_schema if isinstance(write_schema, dict) else None,
        collection.read_schema,
        path_names,
        str(op.api),
        f"operations.{op.operation_id}",
        strict=False,
        infer_times=role.kind in _WRITING,
    )
    project = Projector(success.schema, kind.read_key)
    # An answer built from parts each checked on its own needs no whole check: the stored
    # resource itself, or a list of stored resources under no array-wide constraint.
    if role.list_shape is not None:
        needs_check = not (item_project is not None and item_project.identical) or _array_wide(success.schema)
    else:
        needs_check = not project.identical
    item_path = collection.item_path
    return Binding(
        role=role,
        kind=kind,
        answer=success.generate,
        project=project,
        affirm=affirmer(success.schema) if role.kind in _AFFIRMED else (lambda answer: answer),
        write=write,
        listing=listing,
        item_project=item_project,
        item_generate=item_generate,
        check=success.is_valid if needs_check and success.schema is not None else None,
        not_found_declared=op.response_for(404) is not None,
        location=prefix + item_path if "location" in success.headers and item_path else None,
        query_fields=tuple(
            name for name, _ in op.query_schemas if name in ((collection.read_schema or {}).get("properties") or {})
        ),
        request_key=request_key,
        supplied=tuple((key, slot.path[0]) for key, slot in write.echo if len(slot.path) == 1),
        # (no whole check on a list means its items are the stored ones, projected as they are)
        stored_array=(
            role.kind == "list"
            and listing is not None
            and listing.shape.items_key is None
            and not needs_check
            and success.media_type is not None
        ),
    )


def collection_key(api: str, path: str, scope: Sequence[str]) -> str:
    """The store's name of a collection in one scope: API, collection path, parent ids."""
    return json.dumps([api, path, *scope], separators=(",", ":"))


def scope_key(kind: Kind, path_params: Mapping[str, str]) -> str:
    """The store's name of `kind`'s collection in the scope of a request's path parameters."""
    if not kind.collection.scope_params:
        return kind.key
    return collection_key(
        kind.api, kind.collection.path, [path_params.get(p, "") for p in kind.collection.scope_params]
    )
