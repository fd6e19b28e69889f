"""The bare reference, the limit of the stack: a Starlette app that answers each workload with
the exact bytes the mock gave it once (recorded by the harness into the JSON file named by
`BENCH_ANSWERS`), reading and decoding the body but validating, storing, generating nothing.

    BENCH_ANSWERS=answers.json uvicorn bench.reference:app --workers 1
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def create_reference_app(answers: list[dict[str, Any]]) -> Starlette:
    """One route per recorded answer (`method`, `path` without the query, `status`,
    `content_type`, `body_hex`, `has_body`)."""

    def route(recorded: dict[str, Any]) -> Route:
        body, status, media_type = (
            bytes.fromhex(recorded["body_hex"]),
            int(recorded["status"]),
            recorded["content_type"],
        )
        reads = bool(recorded["has_body"])

        async def answer(request: Request) -> Response:
            if reads:
                await request.json()
            return Response(body, status, media_type=media_type)

        return Route(recorded["path"], answer, methods=[recorded["method"]])

    return Starlette(routes=[route(a) for a in answers])


_ANSWERS = os.environ.get("BENCH_ANSWERS")
app = create_reference_app(json.loads(Path(_ANSWERS).read_text()) if _ANSWERS else [])
