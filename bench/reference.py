"""The bare reference, the limit of the stack: a Starlette app that answers each workload with
the exact bytes the mock gave it once (recorded by the harness into the JSON file named by
`BENCH_ANSWERS`), reading and decoding the body but validating, storing, generating nothing.

    BENCH_ANSWERS=answers.json uvicorn bench.reference:app --workers 1
"""

import json
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.workloads import Workload


def recorded(w: Workload, status: int, media_type: str, body: bytes) -> dict[str, Any]:
    """The mock's answer to `w` as the reference is to give it (one item of the JSON file)."""
    request = {"method": w.method, "path": w.path.split("?")[0], "has_body": w.body is not None}
    return {**request, "status": status, "content_type": media_type, "body_hex": body.hex()}


def create_reference_app(answers: list[dict[str, Any]]) -> Starlette:
    """One route per answer as `recorded` keeps it."""

    def route(answer: dict[str, Any]) -> Route:
        body, status, media_type = bytes.fromhex(answer["body_hex"]), int(answer["status"]), answer["content_type"]
        reads = bool(answer["has_body"])

        async def respond(request: Request) -> Response:
            if reads:
                await request.json()
            return Response(body, status, media_type=media_type)

        return Route(answer["path"], respond, methods=[answer["method"]])

    return Starlette(routes=[route(a) for a in answers])


_ANSWERS = os.environ.get("BENCH_ANSWERS")
app = create_reference_app(json.loads(Path(_ANSWERS).read_text()) if _ANSWERS else [])
