"""Fixtures: the resources a server starts with (`--data FILE`, YAML or JSON).

    datagrid:                      # an API, by its name (GET / lists them)
      /conversations:              # a collection path; a scoped one with its parent ids
        - {id: conv_1, ...}        #   filled in (/users/u1/posts); a list of resources,
      /settings: {theme: dark}     # or one document for a singleton

Each resource is checked against its collection's read schema at start-up; a bad one is a
`FixtureError` naming the file, the API, the item and the field. The resources are
written before the first request is answered (`InitialState`), each only where its id holds
nothing yet and was not deleted, so a restart on a persistent store keeps what clients
changed since; a collection given here gets no generated seed items. `POST /__mock/reset`
clears the state and writes them again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.bindings import Kind, collection_key
from mockserver.errors import FixtureError, StateError
from mockserver.routing import RouteMatch, Router
from mockserver.schemas import validator as schema_validator
from mockserver.state import Entry, Store
from mockserver.types import JSON

if TYPE_CHECKING:
    from mockserver.app import MountedApi


def api_prefix(api: str) -> str:
    """The start of the store key of every collection of `api` (see `bindings.collection_key`)."""
    return json.dumps([api], separators=(",", ":"))[:-1] + ","


class Collections:
    """The collections of one API, found by a concrete path (`/users/u1/posts`) or item path."""

    def __init__(self, api: MountedApi) -> None:
        self.name = api.name
        self.kinds: dict[str, Kind] = {}
        for op in api.operations:
            if op.binding is not None:
                self.kinds.setdefault(op.binding.kind.collection.path, op.binding.kind)
        self._validators: dict[str, Any] = {}  # compiled on first use: start-up stays as fast
        self._collections: Router[Kind] = Router()
        self._items: Router[Kind] = Router()
        for path, kind in self.kinds.items():
            self._collections.add(path, "GET", kind)
            if kind.collection.singleton:
                self._items.add(path, "GET", kind)
            else:
                self._items.add(kind.collection.item_path or path + "/{~id}", "GET", kind)

    def collection(self, path: str) -> tuple[Kind, str] | None:
        """The collection at a concrete path, with its store key."""
        found = self._collections.match("GET", path)
        if not isinstance(found, RouteMatch):
            return None
        return found.target, self._key(found.target, found.path_params)

    def item(self, path: str) -> tuple[Kind, str, str] | None:
        """The item at a concrete path: its collection, store key and id."""
        found = self._items.match("GET", path)
        if not isinstance(found, RouteMatch):
            return None
        kind = found.target
        item_id = "" if kind.collection.singleton else found.path_params[kind.collection.id_param or "~id"]
        return kind, self._key(kind, found.path_params), item_id

    def _key(self, kind: Kind, params: dict[str, str]) -> str:
        scope = [params.get(p, "") for p in kind.collection.scope_params]
        return collection_key(self.name, kind.collection.path, scope)

    def problems(self, kind: Kind, resource: JSON) -> list[str]:
        """What is wrong with `resource` as an item of `kind`'s collection: "field: message"."""
        if not isinstance(resource, dict):
            return [f"(resource): expected an object, got {type(resource).__name__}"]
        schema = kind.collection.read_schema
        if schema is None:
            return []
        validator = self._validators.get(kind.collection.path)
        if validator is None:
            validator = schema_validator(schema, validate_formats=True)
            self._validators[kind.collection.path] = validator
        found = []
        for error in validator.iter_errors(resource):
            where = "/".join(str(part) for part in error.instance_path) or "(resource)"
            found.append(f"{where}: {error.message}")
            if len(found) >= 5:
                break
        return found


@dataclass
class Fixtures:
    """Per API name: (collection store key, item id, resource) to write."""

    entries: dict[str, list[Entry]]

    async def write(self, store: Store, api: str | None = None) -> None:
        for name, entries in self.entries.items():
            if api is not None and name != api:
                continue
            for key in dict.fromkeys(key for key, _, _ in entries):
                await store.add(key + "~seeded", "", True)
            for key, item_id, value in entries:
                if await store.get(key + "~deleted", item_id) is None:
                    await store.add(key, item_id, value)


def load_fixtures(path: str | Path, apis: Sequence[MountedApi]) -> Fixtures:
    """Read and check `path` against the collections of `apis`."""
    source = str(path)
    try:
        data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(source, f"cannot read: {exc.strerror}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FixtureError(source, f"not YAML or JSON: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise FixtureError(source, "expected a mapping of API names to collections")
    by_name = {api.name: api for api in apis}
    out: dict[str, list[Entry]] = {}
    for name, collections in data.items():
        if name not in by_name:
            raise FixtureError(source, f"no API named {name!r}; known: {', '.join(sorted(by_name))}", str(name))
        if not isinstance(collections, dict):
            raise FixtureError(source, "expected a mapping of collection paths to resources", str(name))
        out[name] = _entries(source, Collections(by_name[name]), collections)
    return Fixtures(out)


def _entries(source: str, api: Collections, collections: dict[Any, Any]) -> list[Entry]:
    entries: list[Entry] = []
    for raw_path, resources in collections.items():
        path = "/" + str(raw_path).lstrip("/")
        found = api.collection(path)
        where = f"{api.name} {path}"
        if found is None:
            known = ", ".join(sorted(api.kinds))
            raise FixtureError(source, f"no collection at this path; known: {known}", where)
        kind, key = found
        if kind.collection.singleton:
            resources = [resources]
        elif not isinstance(resources, list):
            raise FixtureError(source, "expected a list of resources", where)
        for index, resource in enumerate(resources):
            item_id = _item_id(kind, resource, index)
            item = f"{where} item {item_id!r}" if item_id else f"{where} item {index + 1}"
            if not kind.collection.singleton and not item_id:
                field = kind.collection.id_field or "id"
                raise FixtureError(source, f"the resource has no {field!r} (its id)", item)
            problems = api.problems(kind, resource)
            if problems:
                raise FixtureError(source, "; ".join(problems), item)
            entries.append((key, item_id, resource))
    return entries


def _item_id(kind: Kind, resource: JSON, index: int) -> str:
    if kind.collection.singleton:
        return ""
    if kind.id_slot is None:
        return str(index + 1)
    value = kind.id_slot.read(resource) if isinstance(resource, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


class InitialState:
    """ASGI middleware: before the first request is answered, the fixtures are written (and
    so the store opened, on the event loop that serves). A store that cannot be reached
    answers 503 until it can."""

    def __init__(self, app: ASGIApp, store: Store, fixtures: Fixtures | None) -> None:
        self.app = app
        self.store = store
        self.fixtures = fixtures
        self.ready = fixtures is None
        self._lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.ready and scope["type"] == "http":
            try:
                async with self._lock:
                    if not self.ready and self.fixtures is not None:
                        await self.fixtures.write(self.store)
                        self.ready = True
            except StateError as exc:
                response = JSONResponse({"detail": f"the mock's state store is unavailable: {exc}"}, status_code=503)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
