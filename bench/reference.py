"""The bare reference: the physical limit of the stack (Starlette on uvicorn, one worker).

One route per benchmarked operation, at the mock's path: an update parses the JSON body
and answers a constant JSON document; the list answers a constant list of as many items
as the mock's. No validation, credentials or state: what is left is routing, body reading,
JSON decoding and encoding, and the HTTP server itself.

    uvicorn bench.reference:app --workers 1 --log-level warning --no-access-log
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.workloads import CONVERSATION_ID, LIST_ITEMS, WORKLOADS

ANSWER = {
    "id": CONVERSATION_ID,
    "title": "Quarterly review",
    "status": "active",
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}


async def update_conversation(request: Request) -> JSONResponse:
    await request.json()
    return JSONResponse(ANSWER)


# Items of the size the mock generates (about 60 bytes each), so both answer about the same bytes.
PETS = [{"name": f"Incident notes feedback {i:03d}", "tag": "research", "id": 1000 + i} for i in range(LIST_ITEMS)]


async def list_pets(request: Request) -> JSONResponse:
    return JSONResponse(PETS)


def create_reference_app() -> Starlette:
    routes = [
        Route(
            w.mount + w.spec_path.replace(CONVERSATION_ID, "{conversation_id}"),
            list_pets if w.method == "GET" else update_conversation,
            methods=[w.method],
        )
        for w in WORKLOADS
    ]
    return Starlette(routes=routes)


app = create_reference_app()
