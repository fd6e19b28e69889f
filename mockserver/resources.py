"""The resource stage: the lifecycle of resources across the operations of one API.

`bind` compiles, at start-up, each operation's `Role` (from `model`) into a `Binding`: the
generators, projectors, write plan and listing it needs. Per request, `ResourceStage` does
what the role says against the `Store`:

    create   POST /things           new id (the id field's schema, unique), stored, answered
    read     GET /things/{id}       the stored item; unknown or deleted ids per `UnknownIds`
    update   PATCH|PUT /things/{id} the request's fields written into the stored item (merge)
    delete   DELETE /things/{id}    removed; later reads answer 404
    list     GET /things            the collection's items, paged and filtered
    action   POST /things/{id}/x    the body's and query's matching fields applied to the item
    batch    POST /things/batch     each element of the array body created
    singleton_read / singleton_write  one stored document per path and scope

Each answer is generated from the schema of the operation and status that gives it,
deterministically for the resource, and the stored fields are projected into it
(`projection`). Operations without a role get a deterministic generated answer.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import jsonschema_rs

from mockserver.errors import GeneratedBodyError, excerpt
from mockserver.generator import GenContext, Generation, Generator, checked, compile_generator, time_rank
from mockserver.lists import Listing, compile_listing
from mockserver.model import Collection, ResourceModel, Role, envelope_key, object_view, path_parameters, schema_key
from mockserver.operations import Operation
from mockserver.problems import Problem
from mockserver.projection import Projector, affirmer
from mockserver.realism import format_datetime
from mockserver.request import MockRequest
from mockserver.responses import MockResponse
from mockserver.state import Store
from mockserver.types import JSON, IsValid, Schema
from mockserver.update import FieldSlot, UpdatePlan, compile_update_plan

UnknownIds = Literal["auto", "generate", "404"]
_WRITING = ("create", "update", "action", "singleton_write", "batch")


@dataclass(frozen=True)
class Kind:
    """What the operations of one collection share: how its items are made and checked."""

    api: str
    collection: Collection
    generate: Generator | None  # of the read schema
    is_valid: IsValid
    id_slot: FieldSlot | None
    id_generate: Generator | None
    id_is_int: bool
    scope_slots: tuple[tuple[str, FieldSlot], ...]  # fields named like the scope's path parameters
    created_slots: tuple[FieldSlot, ...]  # created_at-like timestamps, set on create
    read_key: str | None  # canonical text of the read schema
    key: str = ""  # the store's name of the collection when it has no scope (see `scope_key`)


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
        return FieldSlot((name,), jsonschema_rs.Draft202012Validator(properties[name], validate_formats=True).is_valid)

    id_name = collection.id_field if collection.id_field in properties else None
    id_schema = properties.get(id_name) if id_name else None
    times = [n for n, s in properties.items() if isinstance(s, dict) and s.get("format") == "date-time"]
    is_valid = jsonschema_rs.Draft202012Validator(schema or {}, validate_formats=True).is_valid
    return Kind(
        api=api,
        collection=collection,
        generate=checked(compile_generator(schema, request=collection.from_request), is_valid) if schema else None,
        is_valid=is_valid,
        id_slot=slot(id_name) if id_name else None,
        id_generate=_id_generator(id_schema, id_name or "id") if isinstance(id_schema, dict) else None,
        id_is_int=isinstance(id_schema, dict) and _is_integer(id_schema),
        scope_slots=tuple((p, slot(p)) for p in collection.scope_params if p in properties),
        created_slots=tuple(slot(n) for n in times if time_rank(n) == 0),
        read_key=schema_key(schema) if schema is not None else None,
        key=json.dumps([api, collection.path], separators=(",", ":")),
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
    check = jsonschema_rs.Draft202012Validator(schema, validate_formats=True).is_valid
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
        affirm=affirmer(success.schema) if role.kind in (*_WRITING, "delete") else (lambda answer: answer),
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
    )


def scope_key(kind: Kind, path_params: Mapping[str, str]) -> str:
    """The store's name of a collection in one scope: API, collection path, parent ids."""
    if not kind.collection.scope_params:
        return kind.key
    scope = [path_params.get(name, "") for name in kind.collection.scope_params]
    return json.dumps([kind.api, kind.collection.path, *scope], separators=(",", ":"))


class ResourceStage:
    """The pipeline stage that answers operations with state."""

    def __init__(
        self,
        store: Store,
        generation: Generation,
        clock: Callable[[], float],
        seed_items: int = 3,
        unknown_ids: UnknownIds = "auto",
    ) -> None:
        self.store = store
        self.generation = generation
        self.clock = clock
        self.seed_items = seed_items
        self.unknown_ids = unknown_ids

    async def __call__(self, request: MockRequest) -> MockResponse | Problem | None:
        op = request.op
        binding = op.binding
        if request.prefs.dynamic or binding is None:
            return self._unbound(request, fresh=bool(request.prefs.dynamic))
        role = binding.role.kind
        if role == "list":
            return await self._list(request, binding)
        if role == "create":
            return await self._create(request, binding)
        if role == "batch":
            return await self._batch(request, binding)
        if role in ("singleton_read", "singleton_write"):
            return await self._singleton(request, binding)
        return await self._item(request, binding)

    # -- answers -------------------------------------------------------------------------

    def _respond(self, request: MockRequest, body: JSON, headers: tuple[tuple[str, str], ...] = ()) -> MockResponse:
        success = request.op.success
        if success.media_type is None:
            return MockResponse(success.code, headers=headers)
        if (
            request.op.binding is not None
            and request.op.binding.check is not None
            and not request.op.binding.check(body)
        ):
            raise GeneratedBodyError(
                f"the answer breaks the schema of {request.op.method} {request.op.path}: {excerpt(body)}"
            )
        return MockResponse(success.code, body, media_type=success.media_type, headers=headers)

    def _answer(self, request: MockRequest, binding: Binding, resource: JSON, *parts: object) -> JSON:
        """The success answer for `resource`: generated for it, then its fields projected."""
        if binding.project.identical:  # the stored resource, settled when it was written
            return binding.affirm(resource)
        generated = binding.answer(self._context(request, binding, parts)) if binding.answer else None
        body = binding.affirm(binding.project(generated, resource))
        return request.op.update.settle(body, request.path_params)

    def _context(self, request: MockRequest, binding: Binding, parts: Sequence[object]) -> GenContext:
        op = request.op
        return self.generation.context(
            op.api, binding.kind.collection.path, *parts, op.operation_id, status=op.success.code
        )

    def _unbound(self, request: MockRequest, fresh: bool) -> MockResponse:
        """No role (or `Prefer: dynamic=true`): a generated answer, the request applied, no state."""
        op = request.op
        success = op.success
        if success.generate is None:
            return self._respond(request, None)
        if fresh:
            ctx = self.generation.fresh(success.code)
        else:
            ctx = self.generation.context(
                op.api, op.operation_id, sorted(request.path_params.items()), status=success.code
            )
        body = op.update.settle(success.generate(ctx), request.path_params)
        if not success.accepts(body):
            raise GeneratedBodyError(f"generated body breaks the schema of {op.method} {op.path}: {excerpt(body)}")
        if op.method not in ("GET", "HEAD", "DELETE"):
            body = op.update.apply(body, request.body.value, request.headers, request.path_params, self.clock())
        return MockResponse(success.code, body, media_type=success.media_type or "application/json")

    # -- items ---------------------------------------------------------------------------

    def _new_item(self, kind: Kind, path_params: Mapping[str, str], item_id: str) -> JSON:
        """The resource an id names before anyone wrote to it: generated from the read
        schema, deterministically for (API, collection, scope, id)."""
        if kind.generate is None:
            resource: JSON = {}
        else:
            scope = [path_params.get(p, "") for p in kind.collection.scope_params]
            resource = kind.generate(self.generation.context(kind.api, kind.collection.path, scope, item_id))
        if kind.id_slot is not None:
            kind.id_slot.write(resource, _typed_id(item_id, kind.id_is_int))
        for name, slot in kind.scope_slots:
            if name in path_params:
                slot.write(resource, _typed_id(path_params[name], False)) or slot.write(
                    resource, _typed_id(path_params[name], True)
                )
        if kind.generate is not None and not kind.is_valid(resource):
            raise GeneratedBodyError(
                f"generated resource breaks the schema of {kind.collection.path}: {excerpt(resource)}"
            )
        return resource

    async def _ensure_seeded(self, kind: Kind, key: str, path_params: Mapping[str, str]) -> None:
        """A listable collection starts with a few generated items in each scope."""
        if not kind.collection.listable or self.seed_items <= 0:
            return
        marker = key + "~seeded"
        if await self.store.get(marker, "") is not None:
            return
        await self.store.put(marker, "", True)
        for index in range(self.seed_items):
            item_id = await self._fresh_id(kind, key, ("seed", index))
            await self.store.put(key, item_id, self._new_item(kind, path_params, item_id))

    async def _fresh_id(self, kind: Kind, key: str, parts: tuple[object, ...]) -> str:
        """An id that follows the id field's schema and is unused in the collection."""
        for attempt in range(20):
            ctx = self.generation.context(kind.api, kind.collection.path, key, *parts, attempt)
            value = kind.id_generate(ctx) if kind.id_generate is not None else f"{attempt}"
            if kind.id_is_int and attempt >= 5:
                value = 1 + max((_as_int(i) for i, _ in await self.store.items(key)), default=0)
            candidate = _id_text(value)
            if candidate and await self.store.get(key, candidate) is None and not await self._deleted(key, candidate):
                return candidate
        items = await self.store.items(key)
        return str(len(items) + 1) if kind.id_is_int else f"{kind.collection.path.rsplit('/', 1)[-1]}-{len(items) + 1}"

    async def _deleted(self, key: str, item_id: str) -> bool:
        return await self.store.get(key + "~deleted", item_id) is not None

    def _refuses_unknown(self, binding: Binding) -> bool:
        if self.unknown_ids == "404":
            return True
        if self.unknown_ids == "generate":
            return False
        return binding.kind.collection.creatable and binding.not_found_declared

    async def _parents_missing(self, request: MockRequest, binding: Binding) -> Problem | None:
        """A scope whose parent item was deleted has no items (see `_gone`)."""
        if not _gone(binding, request.op.method):
            return None
        params = request.path_params
        for parent_path, param in binding.kind.collection.parents:
            if param not in params:
                continue
            parent_scope = [params.get(p, "") for p in path_parameters(parent_path)]
            key = json.dumps([binding.kind.api, parent_path, *parent_scope], separators=(",", ":"))
            if await self._deleted(key, params[param]):
                return self._not_found(binding, params[param], param)
        return None

    @staticmethod
    def _not_found(binding: Binding, item_id: str, param: str) -> Problem:
        return Problem(404, f"no resource with {param}={item_id!r}")

    async def _resolve(self, request: MockRequest, binding: Binding) -> tuple[str, str, JSON] | Problem:
        """The addressed item: (collection key, id, resource), or why there is none."""
        kind = binding.kind
        param = kind.collection.id_param or ""
        key = await self._collection(request, binding)
        if isinstance(key, Problem):
            return key
        if param in request.path_params:
            item_id = request.path_params[param]
        else:  # `PUT /pet` with the pet's id in the body
            body = _unwrapped(binding, request.body.value)
            item_id = _id_text(body.get(kind.collection.id_field)) if isinstance(body, dict) else ""
            param = kind.collection.id_field or "id"
        resource = await self.store.get(key, item_id)
        if resource is not None:
            return key, item_id, resource
        if await self._deleted(key, item_id):
            if _gone(binding, request.op.method):
                return self._not_found(binding, item_id, param)
        elif self._refuses_unknown(binding):
            return self._not_found(binding, item_id, param)
        resource = self._new_item(kind, request.path_params, item_id)
        return key, item_id, resource

    async def _item(self, request: MockRequest, binding: Binding) -> MockResponse | Problem:
        found = await self._resolve(request, binding)
        if isinstance(found, Problem):
            return found
        key, item_id, resource = found
        role = binding.role.kind
        if role == "delete":
            await self.store.delete(key, item_id)
            await self.store.put(key + "~deleted", item_id, True)
            return self._respond(request, self._answer(request, binding, resource, item_id))
        if await self._deleted(key, item_id):
            await self.store.delete(key + "~deleted", item_id)  # recreated by PUT
        if role == "update" or (role == "action" and request.op.method != "GET"):
            resource = self._write(request, binding, resource)
        await self.store.put(key, item_id, resource)
        return self._respond(request, self._answer(request, binding, resource, item_id))

    def _write(self, request: MockRequest, binding: Binding, resource: JSON) -> JSON:
        body = _unwrapped(binding, request.body.value)
        if binding.query_fields:
            extra = {name: request.query[name] for name in binding.query_fields if name in request.query}
            if extra:
                body = {**extra, **body} if isinstance(body, dict) else extra
        return binding.write.apply(resource, body, request.headers, request.path_params, self.clock())

    # -- collections ---------------------------------------------------------------------

    async def _create_one(self, request: MockRequest, binding: Binding, key: str, body: JSON, index: int) -> JSON:
        kind = binding.kind
        item_id = None
        if isinstance(body, dict) and kind.id_slot is not None and kind.collection.id_field in body:
            sent = body[kind.collection.id_field]
            text = _id_text(sent)
            if kind.id_slot.is_valid(sent) and text and await self.store.get(key, text) is None:
                item_id = text  # a client-chosen id, as some APIs allow
        if item_id is None:
            created = await self.store.get(key + "~created", "") or 0  # how many creates so far: ids by order
            await self.store.put(key + "~created", "", created + 1)
            item_id = await self._fresh_id(kind, key, ("create", created, index))
        resource = self._new_item(kind, request.path_params, item_id)
        now = format_datetime(self.clock())
        for slot in kind.created_slots:
            slot.write(resource, now)
        resource = binding.write.apply(resource, body, request.headers, request.path_params, self.clock())
        if kind.id_slot is not None:
            kind.id_slot.write(resource, _typed_id(item_id, kind.id_is_int))
        await self.store.put(key, item_id, resource)
        return resource

    async def _collection(self, request: MockRequest, binding: Binding) -> str | Problem:
        """The store key of the collection in the request's scope, seeded on first use, or
        why there is none (its parent was deleted)."""
        kind = binding.kind
        if kind.collection.parents:
            missing = await self._parents_missing(request, binding)
            if missing is not None:
                return missing
        key = scope_key(kind, request.path_params)
        if kind.collection.listable:
            await self._ensure_seeded(kind, key, request.path_params)
        return key

    async def _create(self, request: MockRequest, binding: Binding) -> MockResponse | Problem:
        key = await self._collection(request, binding)
        if isinstance(key, Problem):
            return key
        kind = binding.kind
        resource = await self._create_one(request, binding, key, _unwrapped(binding, request.body.value), 0)
        item_id = _id_text(kind.id_slot.read(resource)) if kind.id_slot is not None else ""
        headers: tuple[tuple[str, str], ...] = ()
        if binding.location is not None and kind.collection.id_param and item_id:
            location = binding.location.replace("{" + kind.collection.id_param + "}", item_id)
            for name in kind.collection.scope_params:
                location = location.replace("{" + name + "}", request.path_params.get(name, ""))
            headers = (("Location", location),)
        return self._respond(request, self._answer(request, binding, resource, item_id), headers)

    async def _batch(self, request: MockRequest, binding: Binding) -> MockResponse | Problem:
        key = await self._collection(request, binding)
        if isinstance(key, Problem):
            return key
        kind = binding.kind
        body = request.body.value
        elements = body if binding.role.batch_key is None else (body or {}).get(binding.role.batch_key)
        created = [
            await self._create_one(request, binding, key, element, index)
            for index, element in enumerate(elements if isinstance(elements, list) else [])
        ]
        if binding.listing is None:
            return self._respond(request, self._answer(request, binding, created[0] if created else {}, "batch"))
        pairs = [(_id_text(kind.id_slot.read(r)) if kind.id_slot else str(i), r) for i, r in enumerate(created)]
        return self._respond(request, self._list_answer(request, binding, key, pairs, {}))

    async def _list(self, request: MockRequest, binding: Binding) -> MockResponse | Problem:
        key = await self._collection(request, binding)
        if isinstance(key, Problem):
            return key
        return self._respond(
            request, self._list_answer(request, binding, key, await self.store.items(key), request.query)
        )

    def _list_answer(
        self, request: MockRequest, binding: Binding, key: str, items: list[tuple[str, JSON]], query: Mapping[str, str]
    ) -> JSON:
        assert binding.listing is not None and binding.item_project is not None
        page = binding.listing.page_of(items, query)
        ids = [_id_text(binding.kind.id_slot.read(v)) if binding.kind.id_slot else "" for v in page.items]
        shown: list[JSON] = []
        for item_id, resource in zip(ids, page.items, strict=True):
            if binding.item_project.identical:
                shown.append(resource)
            else:
                generated = (
                    binding.item_generate(self._context(request, binding, (key, item_id, "item")))
                    if binding.item_generate
                    else None
                )
                shown.append(binding.item_project(generated, resource))
        if binding.listing.shape.items_key is None:  # a bare array: no envelope to generate
            return binding.listing.envelope(None, page, shown, ids)
        envelope = binding.answer(self._context(request, binding, (key, "list"))) if binding.answer else None
        return binding.listing.envelope(envelope, page, shown, ids)

    async def _singleton(self, request: MockRequest, binding: Binding) -> MockResponse | Problem:
        key = await self._collection(request, binding)
        if isinstance(key, Problem):
            return key
        resource = await self.store.get(key, "")
        if resource is None:
            resource = self._new_item(binding.kind, request.path_params, "")
        if binding.role.kind == "singleton_write":
            resource = self._write(request, binding, resource)
        await self.store.put(key, "", resource)
        return self._respond(request, self._answer(request, binding, resource))


def _unwrapped(binding: Binding, body: JSON) -> JSON:
    if binding.request_key is not None and isinstance(body, dict):
        return body.get(binding.request_key)
    return body


def _gone(binding: Binding, method: str) -> bool:
    """Whether a request on a deleted resource (or below one) gets 404. Reads and PATCH
    always do; where the operation declares no 404, DELETE stays idempotent (the success
    answer again) and POST and PUT create the resource anew, as HTTP allows."""
    return binding.not_found_declared or method in ("GET", "HEAD", "PATCH", "OPTIONS")


def _typed_id(text: str, as_int: bool) -> JSON:
    if as_int and text.isascii() and text.lstrip("-").isdigit() and len(text) < 19:
        return int(text)
    return text


def _id_text(value: JSON) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str | int):
        return str(value)
    return ""


def _as_int(text: str) -> int:
    return int(text) if text.lstrip("-").isdigit() and len(text) < 19 else 0
