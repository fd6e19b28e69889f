"""The app factory: the one place that loads the specs, compiles every operation and
wires the stages of `pipeline.MockPipeline` together behind a Starlette application."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockserver.body import Limits
from mockserver.loader import SpecDocument, find_specs, load_spec
from mockserver.operations import Operation, compile_operations
from mockserver.pipeline import MockPipeline
from mockserver.profile import load_profile
from mockserver.resources import ResourceKeeper
from mockserver.routing import Router
from mockserver.state import MemoryStore, Store

DEFAULT_SPECS = Path(__file__).resolve().parent.parent / "specs"


@dataclass
class ServerConfig:
    seed: int = 0
    tokens: frozenset[str] = frozenset()
    max_body_size: int = 1024 * 1024
    body_timeout: float = 10.0
    log_requests: bool = True
    clock: Callable[[], float] = time.time
    epoch: float | None = None
    store: Store | None = None
    max_resources: int = 100_000


@dataclass
class MountedApi:
    spec: SpecDocument
    prefix: str
    operations: list[Operation] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    def describe(self) -> dict[str, Any]:
        info = self.spec.document.get("info") or {}
        return {
            "name": self.name,
            "title": info.get("title"),
            "version": info.get("version"),
            "base_path": self.prefix or "/",
            "spec": f"{self.prefix.removesuffix(self.spec.server_path)}/openapi.json",
            "operations": [
                {"method": op.method, "path": self.prefix + op.path, "operationId": op.operation_id}
                for op in self.operations
            ],
        }


def load_apis(targets: Sequence[str | Path] | None = None) -> list[MountedApi]:
    """Load and compile every spec named by `targets` (default: all of `specs/`)."""
    paths = find_specs([str(t) for t in (targets or [DEFAULT_SPECS])])
    specs = [load_spec(path) for path in paths]
    single = len(specs) == 1
    apis = []
    for spec in specs:
        prefix = ("" if single else f"/{spec.name}") + spec.server_path
        apis.append(MountedApi(spec, prefix, compile_operations(spec, load_profile(spec.path))))
    return apis


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)


def create_app(targets: Sequence[str | Path] | None = None, config: ServerConfig | None = None) -> Starlette:
    """A Starlette app serving every API in `targets` (files or directories)."""
    config = config or ServerConfig()
    apis = load_apis(targets)
    router: Router[Operation] = Router()
    for api in apis:
        for op in api.operations:
            router.add(api.prefix + op.path, op.method, op)
    store = config.store if config.store is not None else MemoryStore(config.max_resources)
    keeper = ResourceKeeper(store, config.seed, config.clock, config.epoch)

    async def index(request: Request) -> JSONResponse:
        return JSONResponse({"apis": [api.describe() for api in apis]})

    def spec_endpoint(api: MountedApi) -> Callable[[Request], Any]:
        async def spec(request: Request) -> JSONResponse:
            return JSONResponse(api.spec.raw)

        return spec

    routes = [Route("/", index, methods=["GET"])]
    for api in apis:
        mount = api.prefix.removesuffix(api.spec.server_path)
        routes.append(Route(f"{mount}/openapi.json", spec_endpoint(api), methods=["GET"]))
    pipeline = Middleware(
        MockPipeline,
        router=router,
        keeper=keeper,
        tokens=config.tokens,
        limits=Limits(config.max_body_size, config.body_timeout),
        log=config.log_requests,
    )
    app = Starlette(routes=routes, middleware=[pipeline])
    app.router.redirect_slashes = False
    app.router.default = _not_found
    app.state.apis = apis
    app.state.keeper = keeper
    return app
