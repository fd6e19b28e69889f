"""What is put under load: one valid, authenticated request per operation named here. Only
the body (and query) is written down; where the mock mounts each API comes from its index
(`GET /__mock/apis`), so a moved mount point is neither benchmarked as 404s nor an edit here.
Prism serves one document at its root, at the document's own paths."""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bench import BenchError

TOKEN = "bench-token"
ITEM_ID = "bench-conversation-1"
LIST_ITEMS = 50  # the mock starts each collection with this many items (--seed-items)
MOCK_TARGETS = ("specs", "tests/corpus/petstore-expanded.yaml")  # what the mock serves
# Every request carries every credential the documents use: one header set for all servers.
HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-Session-API-Key": TOKEN}

_CONVERSATION: dict[str, tuple[str, Mapping[str, Any]]] = {
    "datagrid": ("PATCH /conversations/{conversation_id}", {"name": "Quarterly review", "agent_ids": ["a-1", "a-2"]}),
    "library-chat": ("PATCH /api/conversations/{conversation_id}", {"title": "Quarterly review"}),
    "mielto": (
        "PUT /api/v1/conversations/{conversation_id}",
        {"title": "Quarterly review", "summary": "Numbers and next steps", "is_public": False},
    ),
    "omi": ("PATCH /v1/dev/user/conversations/{conversation_id}", {"title": "Quarterly review", "discarded": False}),
    "openhands": ("PATCH /api/conversations/{conversation_id}", {"title": "Quarterly review"}),
}
# name -> (API, operation, body, query)
TABLE: dict[str, tuple[str, str, Mapping[str, Any] | None, str]] = {
    **{api: (api, op, body, "") for api, (op, body) in _CONVERSATION.items()},
    "pets-list": ("petstore-expanded", "GET /pets", None, f"?limit={LIST_ITEMS}"),
    "pets-create": ("petstore-expanded", "POST /pets", {"name": "Rex", "tag": "dog"}, ""),
}
SEED_WORKLOADS = tuple(_CONVERSATION)


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    api: str
    method: str
    mount: str  # where the mock serves the API ("/datagrid/v1")
    template: str  # the operation's path in the document
    body: Mapping[str, Any] | None
    query: str = ""

    @property
    def spec_path(self) -> str:
        """The path as the document has it, the id filled in (Prism's path)."""
        return self.template.replace("{conversation_id}", ITEM_ID) + self.query

    @property
    def path(self) -> str:
        return self.mount + self.spec_path

    @property
    def body_bytes(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body, separators=(",", ":")).encode()

    def headers(self) -> dict[str, str]:
        return {**HEADERS, "Content-Type": "application/json"} if self.body is not None else dict(HEADERS)


def from_index(index: Mapping[str, Any], names: Iterable[str] | None = None) -> list[Workload]:
    """The workloads `names` (all by default), placed where the mock's index says."""
    apis = {api.get("name"): api for api in index.get("apis", [])}
    wanted = list(TABLE if names is None else names)
    if unknown := [n for n in wanted if n not in TABLE]:
        raise BenchError(f"unknown workload {', '.join(unknown)}; known: {', '.join(TABLE)}")
    out = []
    for name in wanted:
        api, operation, body, query = TABLE[name]
        method, template = operation.split(" ", 1)
        served = apis.get(api) or {}
        mount = str(served.get("base_path", "/")).rstrip("/")
        listed = {(op.get("method"), op.get("path")) for op in served.get("operations", [])}
        if (method, mount + template) not in listed:
            raise BenchError(f"the mock does not serve {operation} of {api} (its index lists {sorted(listed)[:5]})")
        out.append(Workload(name, api, method, mount, template, body, query))
    return out
