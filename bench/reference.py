"""The bare reference: the physical limit of the stack, a Starlette app doing no work.

It serves the paths of the workloads and answers each with the exact bytes the mock gave
it once (recorded by the harness into the JSON file named by `BENCH_ANSWERS`): a body is
read and JSON-decoded, nothing is validated, stored or generated. What remains is routing,
body reading and decoding, and the HTTP server itself.

    BENCH_ANSWERS=answers.json uvicorn bench.reference:app --workers 1
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def _answer(recorded: dict[str, Any]) -> Callable[[Request], Awaitable[Response]]:
    body = bytes.fromhex(recorded["body_hex"])
    status, media_type, reads = int(recorded["status"]), str(recorded["content_type"]), bool(recorded["has_body"])

    async def answer(request: Request) -> Response:
        if reads:
            await request.json()
        return Response(body, status, media_type=media_type)

    return answer


def create_reference_app(answers: list[dict[str, Any]]) -> Starlette:
    """One route per recorded answer (`method`, `path` without the query, `status`,
    `content_type`, `body_hex`, `has_body`)."""
    return Starlette(routes=[Route(a["path"], _answer(a), methods=[a["method"]]) for a in answers])


def _from_environment() -> Starlette:
    name = os.environ.get("BENCH_ANSWERS")
    return create_reference_app(json.loads(Path(name).read_text()) if name else [])


app = _from_environment()
