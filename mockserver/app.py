"""The app factory: the one place that loads the specs, compiles every operation, infers
each API's resource model and composes the stages of the `pipeline.Pipeline` behind a
Starlette application.

Where an API is served (its mounts): a single document at `/` as Prism does and also under
its first server URL's path (`/v1/...`); several documents each under
`/<file stem><server path>`; `base_path` (`--base-path`) replaces the server path and, for a
single document, is its only mount. The mock's own pages: GET / lists the APIs (unless an
API mounted at `/` declares `GET /`: its operation wins) and so does GET /__mock/apis,
always; each document is at `<stem>/openapi.json` and /__mock/apis/<name>/openapi.json.
CORS (on by default, as in Prism) is Starlette's `CORSMiddleware` in front of everything,
so a preflight is answered before credentials and validation, and errors carry the
`Access-Control-*` headers too.

`MockApp` is the Starlette app with one short way through: once the initial state is
written, an HTTP request without `Origin` (see `cors`) goes straight to the pipeline, past
Starlette's middleware (error page, CORS, initial state: about 8 us of every request); an
exception there is answered 500 by the server, as Starlette's error middleware would."""

from __future__ import annotations

import dataclasses
import importlib.resources
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import ALL_METHODS, CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockserver.admin import admin_app
from mockserver.admin_state import state_routes
from mockserver.bindings import UnknownIds, bind
from mockserver.body import BodyReader, Limits
from mockserver.cors import has_origin
from mockserver.errors import NotOpenAPIError, SpecError
from mockserver.faults import ErrorRateStage, FaultStage, RateLimit
from mockserver.fixtures import InitialState, load_fixtures
from mockserver.generator import Generation, day_anchor
from mockserver.journal import DEFAULT_SIZE as DEFAULT_JOURNAL_SIZE
from mockserver.journal import Journal
from mockserver.loader import SpecDocument, find_documents, load_spec
from mockserver.model import ResourceModel, describe
from mockserver.negotiator import Negotiator, PreferStage
from mockserver.operations import Operation, compile_operations
from mockserver.pipeline import Pipeline, Stage
from mockserver.prefer import DYNAMIC, NO_PREFERENCES
from mockserver.profile import find_profile
from mockserver.resources import ResourceStage
from mockserver.routing import Router
from mockserver.security import CredentialsStage
from mockserver.state import Store, open_store
from mockserver.validation import ValidationStage

INDEX = "/__mock/apis"  # the index, whatever the APIs declare
# The seed documents ship as package data (in a checkout `mockserver/specs` links to `specs/`).
DEFAULT_SPECS = Path(str(importlib.resources.files("mockserver") / "specs"))
log = logging.getLogger("mockserver")
# Response headers a browser script may read beside the declared ones (`*` covers the
# rest, except for requests with credentials, where browsers take `*` literally).
_EXPOSED = ("*", "Allow", "ETag", "Link", "Location", "Retry-After", "WWW-Authenticate")
_LOWER_EXPOSED = frozenset(name.lower() for name in _EXPOSED)


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
    max_resource_bytes: int | None = 1024 * 1024  # a stored resource's JSON; None: unbounded
    admin_token: str | None = None  # required by the admin API (/__mock/...) when set
    journal_size: int = DEFAULT_JOURNAL_SIZE  # requests the journal keeps; 0: none
    latency: tuple[int, int] | None = None  # milliseconds, uniform, on every request
    error_rate: float = 0.0  # share of valid requests answered with a declared error
    rate_limit: RateLimit | None = None  # per endpoint, over a sliding window
    base_path: str | None = None  # instead of the server path ("" for /); single document: the only mount
    cors: bool = True  # answer preflights; Access-Control-* headers on every answer to a request with an Origin
    dynamic: bool = False  # every answer freshly generated, as if each request sent `Prefer: dynamic=true`
    state: str = "memory"  # the store's engine when `store` is None (see `state.open_store`)
    data: str | None = None  # a fixtures file (see `fixtures`)


@dataclass
class MountedApi:
    """One API and where it is served: `prefix` (its operations' paths in the index and
    their `Location` headers), and `also`, its other mounts with their own operations."""

    spec: SpecDocument
    prefix: str
    operations: list[Operation] = field(default_factory=list)
    model: ResourceModel = field(default_factory=ResourceModel)
    home: str = ""  # where its openapi.json is: "" for a single document, else /<file stem>
    also: dict[str, list[Operation]] = field(default_factory=dict)
    spec_url: str = ""  # set by `create_app`: a GET of it answers the document

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def mounts(self) -> list[str]:
        """Every prefix the API answers under, the root (if any) first: on a clash of one
        path under two mounts, the root's operation answers, as in Prism."""
        return sorted([self.prefix, *self.also], key=bool)

    def mounted(self) -> list[tuple[str, list[Operation]]]:
        return [(m, self.also.get(m, self.operations)) for m in self.mounts]

    def describe(self) -> dict[str, Any]:
        info = self.spec.document.get("info") or {}
        return {
            "name": self.name,
            "title": info.get("title"),
            "version": info.get("version"),
            "base_path": self.prefix or "/",
            "mounts": [m or "/" for m in self.mounts],
            "spec": self.spec_url or f"{self.home}/openapi.json",
            "operations": [
                {"method": op.method, "path": self.prefix + op.path, "operationId": op.operation_id}
                for op in self.operations
            ],
            "resources": describe(self.model),
        }


def load_apis(targets: Sequence[str | Path] | None = None, base_path: str | None = None) -> list[MountedApi]:
    """Load and compile every spec named by `targets` (default: all of `specs/`), each
    mounted as the module docstring says (`base_path`: `--base-path`, "" for the root)."""
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
    if base_path is not None:  # "/" and "" are the root, "v1/" is "/v1"
        base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
    apis = []
    for spec in specs:
        home = "" if single else f"/{spec.name}"
        prefix = home + (spec.server_path if base_path is None else base_path)
        profile = find_profile(spec.path, spec.raw, also=[DEFAULT_SPECS / "profiles"])
        operations, model = compile_operations(spec, profile)
        bound = bind(operations, model, prefix)
        also = {"": _rebased(bound, prefix, "")} if single and base_path is None and prefix else {}
        apis.append(MountedApi(spec, prefix, bound, model, home, also))
    return apis


def _rebased(operations: list[Operation], prefix: str, mount: str) -> list[Operation]:
    """`operations` (bound under `prefix`) for another mount: their `Location` headers point there."""
    out = []
    for op in operations:
        binding = op.binding
        if binding is not None and binding.location is not None:
            location = mount + binding.location.removeprefix(prefix)
            op = dataclasses.replace(op, binding=dataclasses.replace(binding, location=location))
        out.append(op)
    return out


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)


class MockApp(Starlette):
    """Starlette, and the short way to the pipeline the module docstring describes."""

    def __init__(self, cors: bool, **options: Any) -> None:
        super().__init__(**options)
        self.cors = cors
        self.pipeline: Pipeline | None = None  # once the short way is open (see `_short_way`)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pipeline = self.pipeline
        if pipeline is not None and scope["type"] == "http" and not (self.cors and has_origin(scope)):
            scope["app"] = self
            await pipeline.serve(scope, receive, send, self.cors)
            return
        await super().__call__(scope, receive, send)
        if pipeline is None:
            self.pipeline = self._short_way()

    def _short_way(self) -> Pipeline | None:
        """The pipeline, once the middleware is built and the initial state written."""
        layer: Any = self.middleware_stack
        ready = False
        while layer is not None:
            if isinstance(layer, InitialState):
                ready = layer.ready
            if isinstance(layer, Pipeline):
                return layer if ready else None
            layer = getattr(layer, "app", None)
        return None


def create_app(targets: Sequence[str | Path] | None = None, config: ServerConfig | None = None) -> MockApp:
    """A Starlette app serving every API in `targets` (files or directories)."""
    config = config or ServerConfig()
    apis = load_apis(targets, config.base_path)
    router: Router[Operation] = Router()
    for api in apis:
        for mount, operations in api.mounted():
            for op in operations:
                router.add(mount + op.path, op.method, op)
    store = config.store if config.store is not None else open_store(config.state, config.max_items)
    fixtures = load_fixtures(config.data, apis) if config.data else None
    epoch = config.epoch if config.epoch is not None else day_anchor(config.clock())
    generation = Generation(config.seed, epoch)
    negotiator = Negotiator(generation)
    resources = ResourceStage(
        store, generation, config.clock, config.seed_items, config.unknown_ids, config.max_resource_bytes
    )
    prefer = PreferStage(negotiator, DYNAMIC if config.dynamic else NO_PREFERENCES)
    # The request line, in order; each stage may answer (see `pipeline`).
    stages: list[Stage] = [
        FaultStage(config.latency, config.rate_limit, config.seed, _redis_url(config.state)),
        CredentialsStage(config.tokens),
        BodyReader(Limits(config.max_body_size, config.body_timeout)),
        ValidationStage(),
        prefer,
        resources,
    ]
    if config.error_rate > 0:
        operations = [op for api in apis for op in api.operations]
        stages.insert(-1, ErrorRateStage(config.error_rate, operations, prefer, config.seed))

    async def index(request: Request) -> JSONResponse:
        return JSONResponse({"apis": [api.describe() for api in apis]})

    def spec_endpoint(api: MountedApi) -> Callable[[Request], Any]:
        async def spec(request: Request) -> JSONResponse:
            return JSONResponse(api.spec.raw)

        return spec

    # The pipeline sees every request first, so an API's own operation shadows these pages.
    routes = [Route("/", index, methods=["GET"])]
    public = [Route(INDEX, index, methods=["GET"])]  # served by the admin app, open to all
    for api in apis:
        for url in (f"{api.home}/openapi.json", f"{INDEX}/{api.name}/openapi.json"):
            (public if url.startswith(INDEX) else routes).append(Route(url, spec_endpoint(api), methods=["GET"]))
            if not api.spec_url and router.match("GET", url) is None:  # no operation (nor 405) of an API there
                api.spec_url = url
    journal = Journal(config.journal_size, config.clock)
    admin = admin_app(journal, config.admin_token, state_routes(apis, store, fixtures), public_routes=public)
    pipeline = Middleware(
        Pipeline,
        router=router,
        stages=stages,
        negotiator=negotiator,
        log=config.log_requests,
        journal=journal,
        admin=admin,
    )
    middleware = [Middleware(InitialState, store=store, fixtures=fixtures), pipeline]
    if config.cors:
        middleware.insert(0, _cors(apis))
    app = MockApp(config.cors, routes=routes, middleware=middleware)
    app.router.redirect_slashes = False
    app.router.default = _not_found
    app.state.apis = apis
    app.state.store = store
    app.state.journal = journal
    return app


def _redis_url(state: str) -> str | None:
    """The Redis URL of `--state`, where the rate limit's window is shared; None otherwise."""
    return state if state.startswith(("redis://", "rediss://")) else None


def _cors(apis: Sequence[MountedApi]) -> Middleware:
    """Any origin (mirrored, since credentials are allowed), method and header; every
    declared response header readable by the page."""
    operations = [op for api in apis for op in api.operations]
    declared = sorted({name for op in operations for r in op.responses.values() for name in r.headers})
    return Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=sorted({*ALL_METHODS, *(op.method for op in operations)}),
        allow_headers=["*"],
        allow_credentials=True,
        allow_private_network=True,
        expose_headers=[*_EXPOSED, *(name for name in declared if name.lower() not in _LOWER_EXPOSED)],
    )
