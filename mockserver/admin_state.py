"""The state half of the admin API, under `/__mock/`:

    GET    /__mock/state/<api>                     the API's stored collections and their counts
    GET    /__mock/state/<api>/<item path>         one stored resource (404: nothing stored)
    PUT    /__mock/state/<api>/<item path>         store a resource, checked against its read schema
    DELETE /__mock/state/<api>/<item path>         remove it; the API then answers 404 for it
    POST   /__mock/reset[?api=NAME]                clear all state (or one API's), then the fixtures

An item path is the API's own, without its base path: `conversations/conv_1`,
`users/u1/posts/p1`, or a singleton's path (`settings`). The state is shown as stored: a
listable collection gets its generated seed items on its first API request, not before.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver.errors import StateError
from mockserver.fixtures import Collections, Fixtures, api_prefix
from mockserver.state import Store
from mockserver.types import JSON

if TYPE_CHECKING:
    from mockserver.app import MountedApi

MAX_BODY = 1024 * 1024
Endpoint = Callable[[Request], Awaitable[Response]]


def _detail(status: int, detail: JSON) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def state_routes(apis: Sequence[MountedApi], store: Store, fixtures: Fixtures | None = None) -> list[Route]:
    """The routes above, over `store`; `fixtures` are written again on reset."""
    by_name = {api.name: Collections(api) for api in apis}

    def find(request: Request) -> Collections | JSONResponse:
        name = request.path_params["api"]
        if name not in by_name:
            return _detail(404, f"no API named {name!r}; known: {', '.join(sorted(by_name))}")
        return by_name[name]

    async def summary(request: Request) -> Response:
        api = find(request)
        if isinstance(api, JSONResponse):
            return api
        out = []
        for key, count in sorted((await store.collections(api_prefix(api.name))).items()):
            if not key.endswith("]"):  # the store's own markers (`~seeded`, `~deleted`, `~created`)
                continue
            _, path, *scope = json.loads(key)
            kind = api.kinds.get(path)
            concrete = path
            for param, value in zip(kind.collection.scope_params if kind else (), scope, strict=False):
                concrete = concrete.replace("{" + param + "}", value)
            out.append({"collection": path, "path": concrete, "count": count})
        return JSONResponse({"api": api.name, "collections": out})

    async def item(request: Request) -> Response:
        api = find(request)
        if isinstance(api, JSONResponse):
            return api
        path = "/" + request.path_params["path"]
        found = api.item(path)
        if found is None:
            return _detail(404, f"no collection of {api.name} holds {path!r}; collections: {', '.join(api.kinds)}")
        kind, key, item_id = found
        if request.method == "GET":
            value = await store.get(key, item_id)
            return _detail(404, f"nothing stored at {path!r}") if value is None else JSONResponse(value)
        if request.method == "DELETE":
            existed = await store.delete(key, item_id)
            if not existed:
                return _detail(404, f"nothing stored at {path!r}")
            await store.put(key + "~deleted", item_id, True)
            return Response(status_code=204)
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        if kind.id_slot is not None and isinstance(body, dict):
            sent = kind.id_slot.read(body)
            if sent is not None and str(sent) != item_id:
                return _detail(422, [f"{kind.collection.id_field}: {sent!r} is not the path's id {item_id!r}"])
            typed: JSON = int(item_id) if kind.id_is_int and item_id.isdigit() and len(item_id) < 19 else item_id
            if sent is None and not kind.id_slot.write(body, typed):
                return _detail(422, [f"{kind.collection.id_field}: the path's id {item_id!r} does not fit its schema"])
        problems = api.problems(kind, body)
        if problems:
            return _detail(422, problems)
        await store.put(key, item_id, body)
        await store.delete(key + "~deleted", item_id)
        return JSONResponse(body)

    async def reset(request: Request) -> Response:
        name = request.query_params.get("api")
        if name is not None and name not in by_name:
            return _detail(404, f"no API named {name!r}; known: {', '.join(sorted(by_name))}")
        await store.clear(api_prefix(name) if name is not None else "")
        if fixtures is not None:
            await fixtures.write(store, name)
        return JSONResponse({"reset": [name] if name is not None else sorted(by_name)})

    return [
        Route("/__mock/state/{api}", _guarded(summary), methods=["GET"]),
        Route("/__mock/state/{api}/{path:path}", _guarded(item), methods=["GET", "PUT", "DELETE"]),
        Route("/__mock/reset", _guarded(reset), methods=["POST"]),
    ]


def _guarded(endpoint: Endpoint) -> Endpoint:
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except StateError as exc:
            return _detail(503, f"the mock's state store is unavailable: {exc}")

    return guarded


async def _json_body(request: Request) -> JSON | JSONResponse:
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return _detail(413, f"the body is over {MAX_BODY} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        return _detail(400, "the client went away")
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as exc:
        return _detail(400, f"the body is not JSON: {exc}")
