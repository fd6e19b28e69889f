"""The resource stage: the lifecycle of resources across the operations of one API.

Each operation's `Role` (from `model`) is compiled at start-up into a `bindings.Binding`: the
generators, projectors, write plan and listing it needs. Per request, `ResourceStage` does
what the role says against the `Store`:

    create   POST /things           new id (the id field's schema, unique; an integer the next), stored, answered
    read     GET /things/{id}       the stored item; unknown or deleted ids per `UnknownIds`
    update   PATCH|PUT /things/{id} the request's fields written into the stored item (merge)
    delete   DELETE /things/{id}    removed; later reads answer 404
    list     GET /things            the collection's items, paged and filtered
    action   POST /things/{id}/x    the body's and query's matching fields applied to the item
    batch    POST /things/batch     each element of the array body created
    singleton_read / singleton_write / singleton_delete
             GET|PUT|DELETE /settings  one stored document per path and scope; deleted,
                                    reads answer 404 until a write makes it anew

Each answer is generated from the schema of the operation and status that gives it,
deterministically for the resource, and the stored fields are projected into it
(`projection`). Operations without a role get a deterministic generated answer.
"""

from __future__ import annotations

import copy
import logging
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

import orjson

from mockserver.bindings import Binding, Kind, UnknownIds, collection_key, scope_key
from mockserver.errors import GeneratedBodyError, StateError, excerpt
from mockserver.generator import GenContext, Generation, Generator
from mockserver.problems import Problem
from mockserver.realism import format_datetime
from mockserver.request import MockRequest
from mockserver.responses import STORED, MockResponse
from mockserver.responses import encode as encode_answer
from mockserver.state import Items, Store, decode, encode
from mockserver.types import JSON

_CREATE_ATTEMPTS = 5
GENERATED_KEPT = 1024  # generated answers kept for reuse (`ResourceStage._generated`)
_GENERATED_MAX_BYTES = 16 * 1024  # larger ones are generated anew each time
log = logging.getLogger("mockserver")


class ResourceStage:
    """The pipeline stage that answers operations with state."""

    def __init__(
        self,
        store: Store,
        generation: Generation,
        clock: Callable[[], float],
        seed_items: int = 3,
        unknown_ids: UnknownIds = "auto",
        max_resource_bytes: int | None = None,
    ) -> None:
        self.store = store
        self.generation = generation
        self.clock = clock
        self.seed_items = seed_items
        self.unknown_ids = unknown_ids
        self.max_resource_bytes = max_resource_bytes
        self._kept: OrderedDict[tuple[object, ...], bytes] = OrderedDict()  # see `_generated`

    async def __call__(self, request: MockRequest) -> MockResponse | Problem | None:
        try:
            return await self._answer_with_state(request)
        except StateError as exc:  # the store went away (Redis down, disk full): not the client's fault
            log.error("mockserver: state: %s", exc)
            return Problem(503, "the mock's state store is unavailable; try again", api_shaped=False)

    async def _answer_with_state(self, request: MockRequest) -> MockResponse | Problem | None:
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
        if role in ("singleton_read", "singleton_write", "singleton_delete"):
            return await self._singleton(request, binding)
        return await self._item(request, binding)

    # -- answers -------------------------------------------------------------------------

    def _respond(
        self, request: MockRequest, body: JSON, headers: tuple[tuple[str, str], ...] = (), wire: bytes | None = None
    ) -> MockResponse:
        """The success answer with `body` (checked against its schema); `wire`: its bytes,
        where they are already made."""
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
        return MockResponse(success.code, body, media_type=success.media_type, headers=headers, wire=wire)

    def _answer(self, request: MockRequest, binding: Binding, resource: JSON, *parts: object) -> JSON:
        """The success answer for `resource`: generated for it, then its fields projected."""
        if binding.project.identical:  # the stored resource, settled when it was written
            return binding.affirm(resource)
        generated = self._generated(binding.answer, request, binding, parts) if binding.answer else None
        body = binding.affirm(binding.project(generated, resource))
        return request.op.update.settle(body, request.path_params)

    def _generated(self, generator: Generator, request: MockRequest, binding: Binding, parts: Sequence[object]) -> JSON:
        """What `generator` makes from the context of `parts` (see `_context`): the same every
        time, so kept (encoded, `GENERATED_KEPT` of them, the least recently used dropped) and
        answered as a fresh copy, instead of seeding a new RNG (6 us) and generating each time."""
        op = request.op
        key = (generator, op.api, binding.kind.collection.path, op.operation_id, op.success.code, *parts)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return decode(kept)
        value = generator(self._context(request, binding, parts))
        try:
            encoded = encode(value)
        except (TypeError, ValueError):  # not plain JSON: not kept
            return value
        if len(encoded) <= _GENERATED_MAX_BYTES:
            self._kept[key] = encoded
            if len(self._kept) > GENERATED_KEPT:
                self._kept.popitem(last=False)
        return value

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

    def _new_item(
        self,
        kind: Kind,
        path_params: Mapping[str, str],
        item_id: str,
        ctx: GenContext | None = None,
        draft: bool = False,
    ) -> JSON:
        """The resource an id names before anyone wrote to it: generated from the read
        schema, deterministically for (API, collection, scope, id); a created or seeded one
        goes on from `ctx`, the context its id came from (one seeded generator, not two).
        A `draft` is not checked: a create checks it once its fields are written (`_made`)."""
        generate = kind.draft if draft else kind.generate
        if generate is None:
            resource: JSON = {}
        else:
            resource = generate(ctx or self._item_context(kind, path_params, item_id))
        if kind.id_slot is not None:
            kind.id_slot.write(resource, _typed_id(item_id, kind.id_is_int))
        for name, slot in kind.scope_slots:
            if name in path_params:
                slot.write(resource, _typed_id(path_params[name], False)) or slot.write(
                    resource, _typed_id(path_params[name], True)
                )
        if generate is not None and not draft and not kind.is_valid(resource):
            raise GeneratedBodyError(
                f"generated resource breaks the schema of {kind.collection.path}: {excerpt(resource)}"
            )
        return resource

    def _item_context(self, kind: Kind, path_params: Mapping[str, str], item_id: str) -> GenContext:
        scope = [path_params.get(p, "") for p in kind.collection.scope_params]
        return self.generation.context(kind.api, kind.collection.path, scope, item_id)

    async def _ensure_seeded(self, kind: Kind, key: str, path_params: Mapping[str, str]) -> None:
        """A listable collection starts with a few generated items in each scope."""
        if not kind.collection.listable or self.seed_items <= 0:
            return
        marker = key + "~seeded"
        if await self.store.get(marker, "") is not None:
            return
        # The seeds and the marker are written in one step, by whichever process (worker)
        # comes first; the seeds are the same in every process, being made from the seed.
        seeds: dict[str, JSON] = {}
        for index in range(self.seed_items):
            item_id, ctx = await self._fresh_id(kind, key, ("seed", index), taken=seeds.keys())
            seeds[item_id] = self._new_item(kind, path_params, item_id, ctx)
        entries = [(key, item_id, item) for item_id, item in seeds.items()]
        if kind.id_is_int:  # the sequence of created ids goes on above the seeds (see `_next_int`)
            entries.append((key + "~next", "", _highest(seeds)))
        await self.store.add(marker, "", True, *entries)

    async def _fresh_id(
        self, kind: Kind, key: str, parts: tuple[object, ...], taken: Collection[str] = ()
    ) -> tuple[str, GenContext]:
        """An id that follows the id field's schema and is unused in the collection (nor in
        `taken`), and the context it was generated from (the item's generation goes on from it)."""
        for attempt in range(20):
            ctx = self.generation.context(kind.api, kind.collection.path, key, *parts, attempt)
            value = kind.id_generate(ctx) if kind.id_generate is not None else f"{attempt}"
            if kind.id_is_int and attempt >= 2:
                value = await self._next_int(key, taken)
            candidate = _id_text(value)
            if (
                candidate
                and candidate not in taken
                and await self.store.get(key, candidate) is None
                and not await self._deleted(key, candidate)
            ):
                return candidate, ctx
        # The schema's ids ran out (a small enum, a name pool): number them, past every taken one.
        count = len(await self.store.items(key)) + len(taken)
        for number in range(count + 1, 2 * count + 2):
            candidate = str(number) if kind.id_is_int else f"{kind.collection.path.rsplit('/', 1)[-1]}-{number}"
            if candidate not in taken and await self.store.get(key, candidate) is None:
                return candidate, ctx
        return candidate, ctx  # only where other requests took every one meanwhile: the caller tries again

    async def _next_int(self, key: str, taken: Collection[str], rescan: bool = False) -> int:
        """One above the highest integer id handed out or stored in the collection (nor in
        `taken`), as a database's sequence: a high-water mark kept beside it, moved in one
        atomic step (workers sharing a store draw different numbers), so that a full range of
        random ids costs one scan, not one per item; `rescan` where the mark lags behind ids
        written past it (fixtures, ids a client chose). Only a hint: the caller still checks
        the id is free."""
        marker = key + "~next"
        found = None if rescan else await self.store.update(marker, "", _step)
        if not isinstance(found, int):  # the collection's first, or a rescan: one above its stored ids
            highest = _highest((await self.store.items(key)).ids())
            found = await self.store.update(marker, "", lambda last: max(_step(last) or 1, highest + 1))
        value = found if isinstance(found, int) else 1  # (always one: the update above makes an int)
        if str(value) in taken:
            while str(value) in taken:
                value += 1
            await self.store.put(marker, "", value)
        return value

    async def _deleted(self, key: str, item_id: str) -> bool:
        return await self.store.get(key + "~deleted", item_id) is not None

    async def _delete(self, key: str, item_id: str) -> None:
        """Remove the item and leave its tombstone (see `_gone`)."""
        await self.store.delete(key, item_id)
        await self.store.put(key + "~deleted", item_id, True)

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
        for param, parent_path, parent_scope in binding.kind.parents:
            if param not in params:
                continue
            key = collection_key(binding.kind.api, parent_path, [params.get(p, "") for p in parent_scope])
            if await self._deleted(key, params[param]):
                return self._not_found(binding, params[param], param)
        return None

    @staticmethod
    def _not_found(binding: Binding, item_id: str, param: str) -> Problem:
        return Problem(404, f"no resource with {param}={item_id!r}")

    async def _address(self, request: MockRequest, binding: Binding) -> tuple[str, str, str] | Problem:
        """The addressed item's collection key, id and the parameter (or body field) that
        names it, or why there is none."""
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
        return key, item_id, param

    async def _resolve(
        self, request: MockRequest, binding: Binding, address: tuple[str, str, str]
    ) -> tuple[JSON, bool] | Problem:
        """The addressed item: (resource, whether it is stored), or why there is none."""
        key, item_id, param = address
        resource = await self.store.get(key, item_id)
        if resource is not None:
            return resource, True
        if await self._deleted(key, item_id):
            if _gone(binding, request.op.method):
                return self._not_found(binding, item_id, param)
        elif self._refuses_unknown(binding):
            return self._not_found(binding, item_id, param)
        resource = self._new_item(binding.kind, request.path_params, item_id)
        return resource, False

    async def _item(self, request: MockRequest, binding: Binding) -> MockResponse | Problem:
        address = await self._address(request, binding)
        if isinstance(address, Problem):
            return address
        key, item_id, _ = address
        role = binding.role.kind
        writes = role == "update" or (role == "action" and request.op.method != "GET")
        if writes:  # an item already stored (the usual case) takes one atomic update, no read before it
            try:
                change = _Change(self, request, binding, None)
                resource = await self.store.update(key, item_id, change)
                body = self._answer(request, binding, resource, item_id)
                return self._respond(request, body, wire=change.wire(body))
            except _Absent:
                pass  # nothing written: on as for any other request
            except _TooLarge as exc:
                return exc.problem
        found = await self._resolve(request, binding, address)
        if isinstance(found, Problem):
            return found
        resource, stored = found
        if role == "delete":
            await self._delete(key, item_id)
            return self._respond(request, self._answer(request, binding, resource, item_id))
        if not stored and await self._deleted(key, item_id):  # a stored item has no tombstone
            await self.store.delete(key + "~deleted", item_id)  # recreated by PUT
        made: _Change | None = None
        if writes:
            try:
                made = _Change(self, request, binding, resource)
                resource = await self.store.update(key, item_id, made)
            except _TooLarge as exc:
                return exc.problem
        elif not stored:  # first read of a generated resource: kept, so later reads agree
            await self.store.add(key, item_id, resource)
        body = self._answer(request, binding, resource, item_id)
        return self._respond(request, body, wire=made.wire(body) if made is not None else None)

    def _write(self, request: MockRequest, binding: Binding, resource: JSON) -> JSON:
        body = _unwrapped(binding, request.body.value)
        if binding.query_fields:
            extra = {name: request.query[name] for name in binding.query_fields if name in request.query}
            if extra:
                body = {**extra, **body} if isinstance(body, dict) else extra
        return binding.write.apply(resource, body, request.headers, request.path_params, self.clock())

    def _too_large(self, size: int) -> Problem | None:
        """Refuse an update that would make the stored resource larger than the bound."""
        limit = self.max_resource_bytes
        if limit is None or size <= limit:
            return None
        return Problem(413, f"the update would make the resource larger than {limit} bytes (--max-resource-bytes)")

    # -- collections ---------------------------------------------------------------------

    async def _create_one(self, request: MockRequest, binding: Binding, key: str, body: JSON, index: int) -> JSON:
        kind = binding.kind
        item_id = None
        if isinstance(body, dict) and kind.id_slot is not None and kind.collection.id_field in body:
            sent = body[kind.collection.id_field]
            text = _id_text(sent)
            if kind.id_slot.is_valid(sent) and text:
                item_id = text  # a client-chosen id, as some APIs allow, where it is free
        for attempt in range(_CREATE_ATTEMPTS):
            if item_id is None:
                item_id, ctx = await self._created_id(kind, key, index, retry=attempt > 0)
            else:  # a client-chosen id: the item generated as for any id
                ctx = self._item_context(kind, request.path_params, item_id)
            resource = self._made(request, binding, body, item_id, ctx)
            if await self.store.add(key, item_id, resource):  # else another request took the id meanwhile
                return resource
            item_id = None
        raise StateError(f"no free id in {key} after {_CREATE_ATTEMPTS} attempts")

    def _made(self, request: MockRequest, binding: Binding, body: JSON, item_id: str, ctx: GenContext) -> JSON:
        """A created item: generated, then its creation time, the body and its id written.
        The top-level fields those writes set are not generated first (`GenContext.skip`:
        the Petstore's pet is then not generated at all) where the item they make checks
        out and has them all; else it is generated whole, as any other item."""
        kind = binding.kind
        skip = kind.set_on_create
        if isinstance(body, dict) and binding.supplied:
            skip = skip.union([field for key, field in binding.supplied if key in body])
        if skip and kind.draft is not None:
            ctx.skip = skip
            draft = self._new_item(kind, request.path_params, item_id, ctx, draft=True)
            ctx.skip = frozenset()  # (where no object generator took it)
            resource = self._written(request, binding, body, item_id, draft)
            if isinstance(resource, dict) and resource.keys() >= skip and kind.is_valid(resource):
                return resource
        return self._written(request, binding, body, item_id, self._new_item(kind, request.path_params, item_id, ctx))

    def _written(self, request: MockRequest, binding: Binding, body: JSON, item_id: str, resource: JSON) -> JSON:
        kind = binding.kind
        now = self.clock()
        if kind.created_slots:
            stamp = format_datetime(now)
            for slot in kind.created_slots:
                slot.write(resource, stamp)
        resource = binding.write.apply(resource, body, request.headers, request.path_params, now)
        if kind.id_slot is not None:
            kind.id_slot.write(resource, _typed_id(item_id, kind.id_is_int))
        return resource

    async def _created_id(self, kind: Kind, key: str, index: int, retry: bool) -> tuple[str, GenContext]:
        """A created item's id and the context its item is generated from. An integer id is
        the collection's next number (`_next_int`) where its schema allows it; any other is
        drawn from its schema by `_fresh_id`, keyed by how many creates came before (one count
        across processes). Whether the id is free is settled by `store.add`; a `retry` after
        an id found taken rescans the collection for its sequence (see `_next_int`)."""
        if kind.id_is_int and kind.id_slot is not None:
            value = await self._next_int(key, (), rescan=retry)
            candidate = str(value)
            if kind.id_slot.is_valid(value) and not await self._deleted(key, candidate):
                return candidate, self.generation.context(kind.api, kind.collection.path, key, "create", candidate)
        created = await self.store.update(key + "~created", "", lambda count: (count or 0) + 1) - 1
        return await self._fresh_id(kind, key, ("create", created, index))

    async def _collection(self, request: MockRequest, binding: Binding) -> str | Problem:
        """The store key of the collection in the request's scope, seeded on first use, or
        why there is none (its parent was deleted)."""
        kind = binding.kind
        if kind.parents:
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
        assert binding.listing is not None
        run = binding.listing.window(request.query)
        items = await self.store.items(key, run)  # the page's run, where known
        if run is not None and binding.stored_array and isinstance(items, Items):  # (not a store's plain list)
            array = items.array(*run)
            if array is not None:  # the page as stored: nothing decoded or encoded
                return self._respond(request, STORED, wire=array)
        return self._respond(request, self._list_answer(request, binding, key, items, request.query))

    def _list_answer(
        self,
        request: MockRequest,
        binding: Binding,
        key: str,
        items: Sequence[tuple[str, JSON]],
        query: Mapping[str, str],
    ) -> JSON:
        assert binding.listing is not None and binding.item_project is not None
        page = binding.listing.page_of(items, query)
        ids = page.ids if binding.kind.id_slot else [""] * len(page.items)  # (stored under its id's text)
        shown: list[JSON] = []
        for item_id, resource in zip(ids, page.items, strict=True):
            if binding.item_project.identical:
                shown.append(resource)
            else:
                generated = (
                    self._generated(binding.item_generate, request, binding, (key, item_id, "item"))
                    if binding.item_generate
                    else None
                )
                shown.append(binding.item_project(generated, resource))
        if binding.listing.shape.items_key is None:  # a bare array: no envelope to generate
            return binding.listing.envelope(None, page, shown, ids)
        envelope = self._generated(binding.answer, request, binding, (key, "list")) if binding.answer else None
        return binding.listing.envelope(envelope, page, shown, ids)

    async def _singleton(self, request: MockRequest, binding: Binding) -> MockResponse | Problem:
        key = await self._collection(request, binding)
        if isinstance(key, Problem):
            return key
        resource = await self.store.get(key, "")
        stored = resource is not None
        role = binding.role.kind
        deleted = not stored and await self._deleted(key, "")
        if deleted and _gone(binding, request.op.method):
            return Problem(404, f"{request.op.path} was deleted")
        if resource is None:
            resource = self._new_item(binding.kind, request.path_params, "")
        if role == "singleton_delete":
            await self._delete(key, "")
            return self._respond(request, self._answer(request, binding, resource))
        if deleted:  # written anew (PUT, POST), as a deleted item is
            await self.store.delete(key + "~deleted", "")
        if role == "singleton_write":
            try:
                resource = await self.store.update(key, "", _Change(self, request, binding, resource))
            except _TooLarge as exc:
                return exc.problem
        elif not stored:
            await self.store.add(key, "", resource)
        return self._respond(request, self._answer(request, binding, resource))


class _Absent(Exception):
    """Raised inside a store update to leave it: nothing is stored under the id yet."""


class _Change:
    """A request's write, the `Change` of a `Store.update`: applied to the stored value, or
    to (a copy of) `resource` where nothing is stored (it may run again on a retry); with no
    `resource`, nothing stored is `_Absent`. The new value is encoded once, here: for the
    size bound, for the store (`made`, see `state.encoded`), and for the answer where the
    answer is that very value (`wire`)."""

    __slots__ = ("binding", "made", "request", "resource", "stage")

    def __init__(self, stage: ResourceStage, request: MockRequest, binding: Binding, resource: JSON | None) -> None:
        self.stage, self.request, self.binding, self.resource = stage, request, binding, resource
        self.made: tuple[JSON, bytes] | None = None  # the last value made and its encoding

    def __call__(self, current: JSON | None) -> JSON:
        if current is None and self.resource is None:
            raise _Absent  # the store writes nothing
        start = current if current is not None else copy.deepcopy(self.resource)
        written = self.stage._write(self.request, self.binding, start)
        try:
            data: bytes | None = orjson.dumps(written)
        except orjson.JSONEncodeError:  # big integers, lone surrogates: each encoder has its fallback
            data = None
        too_large = self.stage._too_large(len(data) if data is not None else len(encode_answer(written)))
        if too_large is not None:
            raise _TooLarge(too_large)  # the store writes nothing
        self.made = (written, data) if data is not None else None
        return written

    def wire(self, answer: JSON) -> bytes | None:
        """The answer's bytes where the answer is the value this change made (unchanged since:
        nothing after the store changes a value in place), else None."""
        made = self.made
        return made[1] if made is not None and made[0] is answer else None


class _TooLarge(Exception):
    """Raised inside a store update to refuse it: the resource would pass the size bound."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


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


def _step(last: JSON) -> int | None:
    """A sequence's next number; None where it has none yet."""
    return last + 1 if isinstance(last, int) and not isinstance(last, bool) else None


def _highest(ids: Iterable[str]) -> int:
    """The highest of `ids` read as integers (0 for none)."""
    return max((_as_int(i) for i in ids), default=0)


def _as_int(text: str) -> int:
    return int(text) if text.lstrip("-").isdigit() and len(text) < 19 else 0
