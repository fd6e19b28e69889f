"""A real client: the official Datagrid SDK (`datagrid-ai`), pointed at the mock on a loopback
port by changing only its base URL."""

from __future__ import annotations

from collections.abc import Iterator

import datagrid_ai
import pytest
from datagrid_ai import Datagrid
from datagrid_ai.types import Conversation

from mockserver import create_app
from mockserver.app import ServerConfig
from tests.mockserver.seed_apis import SEED_APIS, TOKEN
from tests.servers import serve


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(None, ServerConfig(log_requests=False, tokens=frozenset({TOKEN})))
    with serve(app) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[Datagrid]:
    # The SDK's default base URL is https://api.datagrid.com/v1: the mock mounts the API at /datagrid/v1.
    with Datagrid(api_key=TOKEN, base_url=base_url + SEED_APIS["datagrid"].base, max_retries=0, timeout=10) as sdk:
        yield sdk


def test_update_returns_the_conversation_sent(client: Datagrid) -> None:
    conversation = client.conversations.update("conv_1", name="Q3 review", agent_ids=["a1"])
    assert isinstance(conversation, Conversation)
    assert conversation.id == "conv_1"
    assert conversation.name == "Q3 review"
    assert conversation.agent_ids == ["a1"]
    assert conversation.object == "conversation"
    assert conversation.created_at <= conversation.updated_at
    assert "a1" in (conversation.participated_agent_ids or [])


def test_updates_accumulate_through_the_sdk(client: Datagrid) -> None:
    first = client.conversations.update("conv_sdk_2", agent_ids=["a1"])
    second = client.conversations.update("conv_sdk_2", agent_ids=["a2"], name="Renamed")
    cleared = client.conversations.update("conv_sdk_2", agent_ids=[])
    assert cleared.name == "Renamed"
    assert cleared.agent_ids == []
    assert {"a1", "a2"} <= set(cleared.participated_agent_ids or [])
    assert first.created_at == second.created_at == cleared.created_at
    # Updates in the same millisecond share a timestamp (update._later); it never goes back.
    assert first.created_at < first.updated_at <= second.updated_at <= cleared.updated_at


def test_wrong_api_key_is_an_authentication_error(base_url: str) -> None:
    sdk = Datagrid(api_key="wrong", base_url=base_url + "/datagrid/v1", max_retries=0, timeout=10)
    with sdk, pytest.raises(datagrid_ai.AuthenticationError):
        sdk.conversations.update("conv_1", name="x")


def test_rate_limit_reaches_the_sdk_as_its_error(client: Datagrid) -> None:
    with pytest.raises(datagrid_ai.RateLimitError) as caught:
        client.conversations.update("conv_1", name="x", extra_headers={"Prefer": "code=429"})
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"].isdigit()


def test_invalid_body_is_an_unprocessable_entity_error(client: Datagrid) -> None:
    with pytest.raises(datagrid_ai.UnprocessableEntityError) as caught:
        client.conversations.update("conv_1", extra_body={"agent_ids": [1]})
    detail = caught.value.body["detail"]  # type: ignore[index]
    assert [(item["loc"], item["type"]) for item in detail] == [(["body", "agent_ids", 0], "string_type")]
