"""The operations under load: the five seed updates and one list of a corpus document
(50 pets of the OAI petstore-expanded example, from the resource model), one valid,
authenticated request each.

Paths are the mock's (each API mounted under /<spec stem> plus its server path); the
bare reference serves the same paths, and Prism, which serves one spec at its root, the
spec's own path (`spec_path`). `check_listing` compares this table with the operations
the running mock lists at `GET /`, so a renamed path is reported, not benchmarked as 404s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import BenchError

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
CONVERSATION_ID = "bench-conversation-1"
CORPUS_LIST_SPEC = "tests/corpus/petstore-expanded.yaml"
LIST_ITEMS = 50  # the mock starts each collection with this many items (--seed-items)
MOCK_TARGETS = ("specs", CORPUS_LIST_SPEC)  # what the mock serves, relative to the project


@dataclass(frozen=True, slots=True)
class Workload:
    api: str
    method: str
    mount: str  # where the mock mounts the API: /<stem> + the spec's server path
    spec_path: str  # the operation's path in the spec, with the id filled in
    body: Mapping[str, Any]
    auth_header: str | None  # None: the operation needs no credentials
    auth_value: str = ""
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    spec: str = ""  # the document, relative to the project (default: specs/<api>.yaml)
    query: str = ""  # "?limit=50"

    @property
    def path(self) -> str:
        return self.mount + self.spec_path + self.query

    @property
    def spec_file(self) -> str:
        return self.spec or f"specs/{self.api}.yaml"

    @property
    def body_bytes(self) -> bytes:
        if self.method == "GET":
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")

    def headers(self) -> dict[str, str]:
        headers = (
            dict(self.extra_headers)
            if self.method == "GET"
            else {"Content-Type": "application/json", **self.extra_headers}
        )
        if self.auth_header is not None:
            headers[self.auth_header] = self.auth_value
        return headers


def _conversation(path: str) -> str:
    return path.replace("{conversation_id}", CONVERSATION_ID)


_BEARER = f"Bearer {TOKEN}"

WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "datagrid",
        "PATCH",
        "/datagrid/v1",
        _conversation("/conversations/{conversation_id}"),
        {"name": "Quarterly review", "agent_ids": ["agent-1", "agent-2"]},
        "Authorization",
        _BEARER,
    ),
    Workload(
        "library-chat",
        "PATCH",
        "/library-chat",
        _conversation("/api/conversations/{conversation_id}"),
        {"title": "Quarterly review"},
        None,
    ),
    Workload(
        "mielto",
        "PUT",
        "/mielto",
        _conversation("/api/v1/conversations/{conversation_id}"),
        {"title": "Quarterly review", "summary": "Numbers and next steps", "is_public": False},
        "Authorization",
        _BEARER,
    ),
    Workload(
        "omi",
        "PATCH",
        "/omi",
        _conversation("/v1/dev/user/conversations/{conversation_id}"),
        {"title": "Quarterly review", "discarded": False},
        "Authorization",
        _BEARER,
    ),
    Workload(
        "openhands",
        "PATCH",
        "/openhands",
        _conversation("/api/conversations/{conversation_id}"),
        {"title": "Quarterly review"},
        "X-Session-API-Key",
        TOKEN,
    ),
    Workload(
        "petstore-list",
        "GET",
        "/petstore-expanded/v2",
        "/pets",
        {},
        None,
        spec=CORPUS_LIST_SPEC,
        query=f"?limit={LIST_ITEMS}",
    ),
)


def select(names: Iterable[str] | None) -> list[Workload]:
    """The workloads named (all when `names` is None), in the table's order."""
    if names is None:
        return list(WORKLOADS)
    wanted = list(dict.fromkeys(names))
    known = {w.api for w in WORKLOADS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise BenchError(f"unknown API {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return [w for w in WORKLOADS if w.api in wanted]


def check_listing(listing: Mapping[str, Any], workloads: Iterable[Workload]) -> None:
    """Raise if the mock's `GET /` does not list an operation this table loads."""
    listed = {(op.get("method"), op.get("path")) for api in listing.get("apis", []) for op in api.get("operations", [])}
    for w in workloads:
        template = w.spec_path.replace(CONVERSATION_ID, "{conversation_id}").split("?", 1)[0]
        if (w.method, w.mount + template) not in listed:
            raise BenchError(
                f"the mock does not list {w.method} {w.mount + template} ({w.api}); "
                "update bench/workloads.py to the mock's paths (see GET / on the mock)"
            )
