"""What is put under load: one valid, authenticated request per operation of `TABLE`, placed where the
mock's index (`GET /__mock/apis`) mounts its API (Prism serves a document at its own paths). And the
bare reference, the limit of the stack: a Starlette app answering each workload with the bytes the mock
gave it (recorded in the JSON file `BENCH_ANSWERS` names), decoding the body but doing nothing else."""

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import BenchError

TOKEN, ITEM_ID, LIST_ITEMS = "bench-token", "bench-conversation-1", 50  # LIST_ITEMS: the mock's --seed-items
MOCK_TARGETS = ("specs", "tests/corpus/petstore-expanded.yaml")  # what the mock serves
# Every request carries every credential the documents use: one header set for all servers.
HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-Session-API-Key": TOKEN}
REVIEW = "Quarterly review"
# name -> (API, operation as in the document, JSON body); the five seed updates first
TABLE: dict[str, tuple[str, str, Mapping[str, Any] | None]] = {
    "datagrid": ("datagrid", "PATCH /conversations/{conversation_id}", {"name": REVIEW, "agent_ids": ["a-1", "a-2"]}),
    "library-chat": ("library-chat", "PATCH /api/conversations/{conversation_id}", {"title": REVIEW}),
    "mielto": ("mielto", "PUT /api/v1/conversations/{conversation_id}",
               {"title": REVIEW, "summary": "Numbers and next steps", "is_public": False}),
    "omi": ("omi", "PATCH /v1/dev/user/conversations/{conversation_id}", {"title": REVIEW, "discarded": False}),
    "openhands": ("openhands", "PATCH /api/conversations/{conversation_id}", {"title": REVIEW}),
    "pets-list": ("petstore-expanded", f"GET /pets?limit={LIST_ITEMS}", None),
    "pets-create": ("petstore-expanded", "POST /pets", {"name": "Rex", "tag": "dog"}),
}  # fmt: skip
SEED_WORKLOADS = tuple(TABLE)[:5]


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    api: str
    method: str
    path: str  # where the mock serves it, the id filled in
    spec_path: str  # the same in the document (Prism's path)
    body_bytes: bytes = b""  # JSON, or nothing

    def headers(self) -> dict[str, str]:
        return {**HEADERS, "Content-Type": "application/json"} if self.body_bytes else dict(HEADERS)


def from_index(index: Mapping[str, Any], names: Sequence[str] | None = None) -> list[Workload]:
    """The workloads `names` (all by default), placed where the mock's index says."""
    apis = {api["name"]: api for api in index["apis"]}
    out = []
    for name in TABLE if names is None else names:
        api, operation, body = TABLE[name]
        method, target = operation.split(" ", 1)
        mount = str(apis.get(api, {}).get("base_path", "/")).rstrip("/")
        listed = {(op["method"], op["path"]) for op in apis.get(api, {}).get("operations", [])}
        if (method, mount + target.split("?")[0]) not in listed:
            raise BenchError(f"the mock does not serve {operation} of {api} (its index lists {sorted(listed)[:5]})")
        spec_path = target.replace("{conversation_id}", ITEM_ID)
        encoded = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        out.append(Workload(name, api, method, mount + spec_path, spec_path, encoded))
    return out


def recorded(w: Workload, status: int, media_type: str, body: bytes) -> dict[str, Any]:
    """The mock's answer to `w` as the reference is to give it (one item of the JSON file)."""
    request = {"method": w.method, "path": w.path.split("?")[0], "has_body": bool(w.body_bytes)}
    return {**request, "status": status, "content_type": media_type, "body_hex": body.hex()}


def reference_app(answers: Iterable[Mapping[str, Any]] | None = None) -> Starlette:
    """One route per `recorded` answer, by default those in `BENCH_ANSWERS` (`uvicorn --factory` calls it)."""

    def route(answer: Mapping[str, Any]) -> Route:
        body, status, media_type = bytes.fromhex(answer["body_hex"]), int(answer["status"]), answer["content_type"]
        reads = bool(answer["has_body"])

        async def respond(request: Request) -> Response:
            if reads:
                await request.json()
            return Response(body, status, media_type=media_type)

        return Route(answer["path"], respond, methods=[answer["method"]])

    answers = json.loads(Path(os.environ["BENCH_ANSWERS"]).read_text()) if answers is None else answers
    return Starlette(routes=[route(a) for a in answers])
