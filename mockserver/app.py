"""The app factory: the one place that loads the specs, compiles every operation, infers
each API's resource model and composes the stages of the `pipeline.Pipeline` behind a
Starlette application."""

from __future__ import annotations

import logging
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

from mockserver.admin_state import state_routes
from mockserver.bindings import UnknownIds, bind
from mockserver.body import BodyReader, Limits
from mockserver.errors import NotOpenAPIError, SpecError
from mockserver.fixtures import InitialState, load_fixtures
from mockserver.generator import Generation, day_anchor
from mockserver.loader import SpecDocument, find_documents, load_spec
from mockserver.model import ResourceModel, describe
from mockserver.negotiator import Negotiator, PreferStage
from mockserver.operations import Operation, compile_operations
from mockserver.pipeline import Pipeline, Stage
from mockserver.profile import find_profile
from mockserver.resources import ResourceStage
from mockserver.routing import Router
from mockserver.security import CredentialsStage
from mockserver.state import Store, open_store
from mockserver.validation import ValidationStage

DEFAULT_SPECS = Path(__file__).resolve().parent.parent / "specs"
log = logging.getLogger("mockserver")


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
    max_items: int = 10_000  # per collection (and scope), least recently used evicted
    seed_items: int = 3  # generated items a listable collection starts with
    unknown_ids: UnknownIds = "auto"
    state: str = "memory"  # the store's engine when `store` is None (see `state.open_store`)
    data: str | None = None  # a fixtures file (see `fixtures`)


@dataclass
class MountedApi:
    spec: SpecDocument
    prefix: str
    operations: list[Operation] = field(default_factory=list)
    model: ResourceModel = field(default_factory=ResourceModel)

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
            "resources": describe(self.model),
        }


def load_apis(targets: Sequence[str | Path] | None = None) -> list[MountedApi]:
    """Load and compile every spec named by `targets` (default: all of `specs/`)."""
    specs = []
    for path, named in find_documents([str(t) for t in (targets or [DEFAULT_SPECS])]):
        try:
            specs.append(load_spec(path))
        except NotOpenAPIError as exc:
            if named:
                raise
            log.warning("mockserver: skipping %s: %s", path, exc.message)
    if not specs:
        raise SpecError(", ".join(str(t) for t in targets or [DEFAULT_SPECS]), "no OpenAPI documents found")
    single = len(specs) == 1
    apis = []
    for spec in specs:
        prefix = ("" if single else f"/{spec.name}") + spec.server_path
        profile = find_profile(spec.path, spec.raw, also=[DEFAULT_SPECS / "profiles"])
        operations, model = compile_operations(spec, profile)
        apis.append(MountedApi(spec, prefix, bind(operations, model, prefix), model))
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
    store = config.store if config.store is not None else open_store(config.state, config.max_items)
    fixtures = load_fixtures(config.data, apis) if config.data else None
    epoch = config.epoch if config.epoch is not None else day_anchor(config.clock())
    generation = Generation(config.seed, epoch)
    negotiator = Negotiator(generation)
    resources = ResourceStage(store, generation, config.clock, config.seed_items, config.unknown_ids)
    # The request line, in order; each stage may answer (see `pipeline`).
    stages: list[Stage] = [
        CredentialsStage(config.tokens),
        BodyReader(Limits(config.max_body_size, config.body_timeout)),
        ValidationStage(),
        PreferStage(negotiator),
        resources,
    ]

    async def index(request: Request) -> JSONResponse:
        return JSONResponse({"apis": [api.describe() for api in apis]})

    def spec_endpoint(api: MountedApi) -> Callable[[Request], Any]:
        async def spec(request: Request) -> JSONResponse:
            return JSONResponse(api.spec.raw)

        return spec

    routes = [Route("/", index, methods=["GET"]), *state_routes(apis, store, fixtures)]
    for api in apis:
        mount = api.prefix.removesuffix(api.spec.server_path)
        routes.append(Route(f"{mount}/openapi.json", spec_endpoint(api), methods=["GET"]))
    pipeline = Middleware(Pipeline, router=router, stages=stages, negotiator=negotiator, log=config.log_requests)
    initial = Middleware(InitialState, store=store, fixtures=fixtures)
    app = Starlette(routes=routes, middleware=[initial, pipeline])
    app.router.redirect_slashes = False
    app.router.default = _not_found
    app.state.apis = apis
    app.state.store = store
    return app
