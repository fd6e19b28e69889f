from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
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
