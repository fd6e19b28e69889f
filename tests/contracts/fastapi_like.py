"""Two small, hand-written deployments that behave the way a FastAPI service does: 401
`{"detail": "Not authenticated"}` for missing credentials, 422 `{"detail": [{loc, msg,
type}]}` for invalid bodies, 404/405 for unknown routes. Independent of the mock, so the
suite is shown to pass a faithful implementation it was not derived from."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.contracts.faulty import TOKEN

Problem = dict[str, Any]


def _problem(loc: list[Any], msg: str, kind: str, value: Any = None) -> Problem:
    return {"type": kind, "loc": loc, "msg": msg, "input": value}


async def _json_body(request: Request) -> tuple[Any, list[Problem]]:
    raw = await request.body()
    if not raw:
        return None, [_problem(["body"], "Field required", "missing")]
    try:
        return json.loads(raw), []
    except (ValueError, UnicodeDecodeError) as exc:
        return None, [_problem(["body", getattr(exc, "pos", 0)], "JSON decode error", "json_invalid")]


def _title_problems(body: Any, max_length: int | None, extra_forbidden: bool) -> list[Problem]:
    if not isinstance(body, dict):
        return [_problem(["body"], "Input should be a valid dictionary", "model_attributes_type", body)]
    problems = []
    if extra_forbidden:
        problems += [
            _problem(["body", k], "Extra inputs are not permitted", "extra_forbidden") for k in body if k != "title"
        ]
    title = body.get("title")
    if "title" not in body:
        problems.append(_problem(["body", "title"], "Field required", "missing", body))
    elif not isinstance(title, str):
        problems.append(_problem(["body", "title"], "Input should be a valid string", "string_type", title))
    elif len(title) < 1:
        problems.append(_problem(["body", "title"], "String should have at least 1 character", "string_too_short"))
    elif max_length is not None and len(title) > max_length:
        problems.append(
            _problem(["body", "title"], f"String should have at most {max_length} characters", "string_too_long")
        )
    return problems


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


Handler = Callable[[Request], Any]


def _app(path: str, handler: Handler) -> Starlette:
    return Starlette(routes=[Route(path, handler, methods=["PATCH"])])


def openhands_app() -> Starlette:
    """OpenHands: X-Session-API-Key, `additionalProperties: false` title of 1-200 characters, answers `true`."""

    async def update(request: Request) -> Response:
        if request.headers.get("x-session-api-key") != TOKEN:
            return JSONResponse({"detail": "Not authenticated"}, status_code=401)
        body, problems = await _json_body(request)
        problems = problems or _title_problems(body, 200, extra_forbidden=True)
        if problems:
            return JSONResponse({"detail": problems}, status_code=422)
        return JSONResponse(True)

    return _app("/api/conversations/{conversation_id}", update)


def library_chat_app() -> Starlette:
    """Library chat: no credentials, a non-empty title, answers the conversation."""
    created: dict[str, str] = {}

    async def update(request: Request) -> Response:
        body, problems = await _json_body(request)
        problems = problems or _title_problems(body, None, extra_forbidden=False)
        if problems:
            return JSONResponse({"detail": problems}, status_code=422)
        conversation_id = request.path_params["conversation_id"]
        created.setdefault(conversation_id, "2024-01-02T03:04:05Z")
        return JSONResponse(
            {
                "id": conversation_id,
                "title": body["title"],
                "created_at": created[conversation_id],
                "updated_at": _now(),
                "messages": [{"role": "user", "content": "Hello", "timestamp": "2024-01-02T03:04:06Z"}],
            }
        )

    return _app("/api/conversations/{conversation_id}", update)
