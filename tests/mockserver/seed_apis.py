"""The five seed APIs as a client sees them: where each is mounted and how to call it.

Mount points come from issue 2 (`/<spec stem>` + the path of the first server URL), written
out here rather than derived, so that a change in the mock's mounting shows up as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
TOKEN = "T"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@dataclass(frozen=True)
class SeedApi:
    name: str
    method: str
    spec_path: str  # the operation's path in the spec
    base: str  # where the API is mounted in the all-specs server
    auth: dict[str, str]
    valid_body: dict[str, Any]
    declares_422: bool
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def secured(self) -> bool:
        return bool(self.auth)

    @property
    def spec(self) -> Path:
        return SPECS / f"{self.name}.yaml"

    def url(self, conversation_id: str) -> str:
        return self.base + self.spec_path.replace("{conversation_id}", conversation_id)

    def headers(self, **extra: str) -> dict[str, str]:
        return {**self.auth, **extra}


SEED_APIS: dict[str, SeedApi] = {
    api.name: api
    for api in (
        SeedApi(
            "mielto",
            "PUT",
            "/api/v1/conversations/{conversation_id}",
            "/mielto",
            BEARER,
            {"title": "Weekly sync", "summary": "Notes", "status": "archived", "is_public": True},
            declares_422=True,
        ),
        SeedApi(
            "openhands",
            "PATCH",
            "/api/conversations/{conversation_id}",
            "/openhands",
            {"X-Session-API-Key": TOKEN},
            {"title": "Fix the flaky test"},
            declares_422=True,
        ),
        SeedApi(
            "library-chat",
            "PATCH",
            "/api/conversations/{conversation_id}",
            "/library-chat",
            {},  # the docs page shows no authentication, so the spec declares none
            {"title": "Sources on RAG"},
            declares_422=True,
        ),
        SeedApi(
            "omi",
            "PATCH",
            "/v1/dev/user/conversations/{conversation_id}",
            "/omi",
            BEARER,
            {"title": "Dinner plans", "discarded": False},
            declares_422=True,
        ),
        SeedApi(
            "datagrid",
            "PATCH",
            "/conversations/{conversation_id}",
            "/datagrid/v1",
            BEARER,
            {"name": "Q3 review", "agent_ids": ["a1"]},
            declares_422=False,
        ),
    )
}
API_NAMES = sorted(SEED_APIS)
