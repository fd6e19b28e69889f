"""The bare reference: the physical limit of the stack (Starlette on uvicorn, one worker).

One route per benchmarked update operation, at the mock's path; the endpoint parses the
JSON body and answers a constant JSON document. No validation, credentials or state: what
is left is routing, body reading, JSON decoding and encoding, and the HTTP server itself.

    uvicorn bench.reference:app --workers 1 --log-level warning --no-access-log
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.workloads import CONVERSATION_ID, WORKLOADS

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


def create_reference_app() -> Starlette:
    routes = [
        Route(
            w.mount + w.spec_path.replace(CONVERSATION_ID, "{conversation_id}"), update_conversation, methods=[w.method]
        )
        for w in WORKLOADS
    ]
    return Starlette(routes=routes)


app = create_reference_app()
