import functools
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from mockserver import create_app
from mockserver.app import ServerConfig
from tests.servers import SERVERS, serve, serve_on_granian


def served(server: str, config: ServerConfig, log: Path) -> AbstractContextManager[str]:
    """The seed APIs with `config` on `server` (a fixture helper for both HTTP servers)."""
    if server == "granian":
        return serve_on_granian(functools.partial(create_app, None, config), log)
    return serve(create_app(None, config))


@pytest.fixture(params=SERVERS)
def base(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with served(request.param, ServerConfig(log_requests=False, tokens=frozenset({"T"})), tmp_path / "log") as url:
        yield url


def test_real_socket_update_round_trip(base: str) -> None:
    with httpx.Client(base_url=base, timeout=5) as client:
        response = client.patch(
            "/datagrid/v1/conversations/conv_1",
            json={"name": "Q3 review", "agent_ids": ["a1"]},
            headers={"Authorization": "Bearer T"},
        )
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["agent_ids"]) == ("conv_1", "Q3 review", ["a1"])
    assert "a1" in body["participated_agent_ids"]
