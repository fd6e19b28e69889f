from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette

with warnings.catch_warnings():
    # starlette warns at import that it would rather use `httpx2`; the tests use httpx.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.app import ServerConfig
from tests.mockserver.seed_apis import TOKEN

# A fixed instant (2027-01-15T08:00:00Z) and a generation anchor a little before it.
NOW = 1_800_000_000.0
EPOCH = NOW - 86_400.0


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


AppFactory = Callable[..., Starlette]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_app(clock: ManualClock) -> AppFactory:
    """`make_app(targets=None, **config)`: an app with quiet logs, token T and a fixed clock."""

    def factory(targets: list[str | Path] | None = None, **overrides: Any) -> Starlette:
        settings: dict[str, Any] = {
            "log_requests": False,
            "tokens": frozenset({TOKEN}),
            "clock": clock,
            "epoch": EPOCH,
            "seed": 0,
        }
        settings.update(overrides)
        return create_app(targets, ServerConfig(**settings))

    return factory


@pytest.fixture
def client(make_app: AppFactory) -> Iterator[TestClient]:
    with TestClient(make_app(), raise_server_exceptions=False) as test_client:
        yield test_client


_ids = itertools.count()


@pytest.fixture
def fresh_id() -> Callable[[], str]:
    """Conversation ids no other test uses."""
    return lambda: f"conv_{next(_ids)}"


def minimal_spec(
    schema: dict[str, Any] | None = None,
    *,
    path: str = "/things/{thing_id}",
    method: str = "patch",
    security: list[dict[str, list[str]]] | None = None,
    schemes: dict[str, Any] | None = None,
    openapi: str = "3.1.0",
    servers: list[dict[str, Any]] | None = None,
    schemas: dict[str, Any] | None = None,
    responses: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A one-operation OpenAPI document whose 200 answers with `schema` and takes it as the body."""
    body_schema = schema if schema is not None else {"type": "object", "properties": {"name": {"type": "string"}}}
    operation: dict[str, Any] = {
        "operationId": "updateThing",
        "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}]
        if "{thing_id}" in path
        else [],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}},
        "responses": responses
        or {"200": {"description": "ok", "content": {"application/json": {"schema": body_schema}}}},
    }
    if security is not None:
        operation["security"] = security
    document: dict[str, Any] = {
        "openapi": openapi,
        "info": {"title": "tiny", "version": "1"},
        "servers": servers if servers is not None else [{"url": "https://example.com/v2"}],
        "paths": {path: {method: operation}},
        "components": {"schemas": schemas or {}, "securitySchemes": schemes or {}},
    }
    return document


SpecWriter = Callable[..., Path]


@pytest.fixture
def write_spec(tmp_path: Path) -> SpecWriter:
    """`write_spec(document, name="tiny.yaml")` writes a spec (YAML or JSON by suffix) into tmp_path."""

    def writer(document: dict[str, Any] | str, name: str = "tiny.yaml") -> Path:
        path = tmp_path / name
        if isinstance(document, str):
            path.write_text(document, encoding="utf-8")
        elif name.endswith(".json"):
            path.write_text(json.dumps(document), encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    return writer


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One redis-server for the session (skips where none is installed)."""
    from tests.redis_server import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The session's redis-server, emptied for this test."""
    import redis

    with redis.Redis.from_url(redis_server_url) as client:
        client.flushall()
    return redis_server_url
