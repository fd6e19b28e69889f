"""Small, hand-written deployments of the five APIs that behave the way a FastAPI service
does: 401 `{"detail": "Not authenticated"}` for missing credentials (checked first, as a
security dependency is), 422 `{"detail": [{loc, msg, type}]}` for invalid bodies, 404 for an
unknown conversation, 405 for undeclared methods. Written from the specs and the profiles'
documented semantics, not from the mock (no code of `mockserver` is used), so the suite is
shown to pass faithful implementations it was not derived from.

OpenHands and library-chat accept any conversation id. Datagrid, Mielto and Omi know one
conversation, `known`, and answer 404 for any other id, as a real deployment does: the suite
reaches it through `--path-param`.
"""

from __future__ import annotations

import json
import re
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


# --- Datagrid, Mielto, Omi: one known conversation, bearer auth, strict JSON types ----------

Check = Callable[[Any], "tuple[str, str] | None"]  # a field's value -> (type, msg) when invalid

_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))", re.ASCII)


def _is_datetime(value: str) -> bool:
    """RFC 3339 `date-time` (the spec's `format`), leap seconds included."""
    found = _RFC3339.fullmatch(value)
    if found is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    offset = [int(part) for part in found.groups()[8:] if part is not None]
    try:
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return second <= 60 and all(part < limit for part, limit in zip(offset, (24, 60), strict=False))


def _string(max_length: int | None = None, min_length: int = 0, nullable: bool = False) -> Check:
    def check(value: Any) -> tuple[str, str] | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            return "string_type", "Input should be a valid string"
        if len(value) < min_length:
            return "string_too_short", f"String should have at least {min_length} character"
        if max_length is not None and len(value) > max_length:
            return "string_too_long", f"String should have at most {max_length} characters"
        return None

    return check


def _typed(kind: type, name: str, nullable: bool) -> Check:
    def check(value: Any) -> tuple[str, str] | None:
        if value is None and nullable:
            return None
        if kind is bool and type(value) is not bool:
            return "bool_type", "Input should be a valid boolean"
        if not isinstance(value, kind):
            return f"{name}_type", f"Input should be a valid {name}"
        return None

    return check


def _strings(nullable: bool = False) -> Check:
    def check(value: Any) -> tuple[str, str] | None:
        if value is None and nullable:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return "list_type", "Input should be a valid list of strings"
        return None

    return check


def _datetime(value: Any) -> tuple[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _is_datetime(value):
        return "datetime_from_date_parsing", "Input should be a valid datetime"
    return None


def _authenticated(request: Request) -> bool:
    return request.headers.get("authorization", "").partition(" ")[::2] in (("Bearer", TOKEN), ("bearer", TOKEN))


async def _update_body(request: Request, fields: dict[str, Check]) -> tuple[dict[str, Any], list[Problem]]:
    """The JSON object body, with FastAPI-style problems for anything the fields reject."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        return {}, [_problem(["body"], "Input should be a valid dictionary", "model_attributes_type")]
    body, problems = await _json_body(request)
    if problems:
        return {}, problems
    if not isinstance(body, dict):
        return {}, [_problem(["body"], "Input should be a valid dictionary", "model_attributes_type", body)]
    for name, check in fields.items():
        if name in body:
            found = check(body[name])
            if found is not None:
                problems.append(_problem(["body", name], found[1], found[0], body[name]))
    return body, problems


class _Clock:
    """`updated_at` that never goes backwards, RFC 3339 with a zone."""

    def __init__(self) -> None:
        self.last = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    def tick(self) -> str:
        self.last = max(self.last, datetime.now(UTC))
        return self.last.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _guarded(path: str, method: str, known: str, fields: dict[str, Check], apply: Callable[..., Any]) -> Starlette:
    """A route that authenticates, validates, then answers 404 for any id but `known`."""

    async def update(request: Request) -> Response:
        if not _authenticated(request):
            challenge = {"WWW-Authenticate": "Bearer"}
            return JSONResponse({"detail": "Not authenticated"}, status_code=401, headers=challenge)
        body, problems = await _update_body(request, fields)
        if problems:
            return JSONResponse({"detail": problems}, status_code=422)
        if request.path_params["conversation_id"] != known:
            return JSONResponse({"detail": "Conversation not found"}, status_code=404)
        return JSONResponse(apply(body, request))

    return Starlette(routes=[Route(path, update, methods=[method])])


def datagrid_app(known: str) -> Starlette:
    """Datagrid: `name` and `agent_ids` replace theirs; `participated_agent_ids` only grows."""
    clock = _Clock()
    state: dict[str, Any] = {"name": "Planning", "agent_ids": ["agent_1"], "participated_agent_ids": ["agent_1"]}

    def apply(body: dict[str, Any], request: Request) -> Any:
        for name in ("name", "agent_ids"):
            if name in body:
                state[name] = body[name]
        grown = state["participated_agent_ids"]
        grown += [agent for agent in state["agent_ids"] if agent not in grown]
        return {
            "object": "conversation",
            "id": known,
            "created_at": "2024-01-02T03:04:05Z",
            "updated_at": clock.tick(),
            **state,
        }

    fields = {"name": _string(), "agent_ids": _strings()}
    return _guarded("/v1/conversations/{conversation_id}", "PATCH", known, fields, apply)


MIELTO_FIELDS: dict[str, Check] = {
    "title": _string(255, nullable=True),
    "summary": _string(nullable=True),
    "status": _string(nullable=True),
    "is_public": _typed(bool, "boolean", nullable=True),
    "collections": _strings(nullable=True),
    "meta_data": _typed(dict, "dictionary", nullable=True),
    "settings": _typed(dict, "dictionary", nullable=True),
    "ended_at": _datetime,
    "user_id": _string(nullable=True),
}


def mielto_app(known: str) -> Starlette:
    """Mielto: ConversationUpdate fields replace theirs (null clears a nullable one and leaves
    `status`/`is_public`, which ConversationRead never has null); the workspace comes from
    X-Workspace-Id."""
    clock = _Clock()
    state: dict[str, Any] = {
        "title": "Onboarding",
        "summary": None,
        "status": "active",
        "is_public": False,
        "collections": None,
        "meta_data": None,
        "settings": None,
        "ended_at": None,
        "owner_id": "user_1",
        "workspace_id": "ws_default",
    }

    def apply(body: dict[str, Any], request: Request) -> Any:
        for name in MIELTO_FIELDS:
            if name in body and name in state and not (body[name] is None and name in ("status", "is_public")):
                state[name] = body[name]
        workspace = request.headers.get("x-workspace-id")
        return {
            "id": known,
            **state,
            "workspace_id": workspace if workspace is not None else state["workspace_id"],
            "created_by": "user_1",
            "created_at": "2024-01-02T03:04:05Z",
            "updated_at": clock.tick(),
        }

    return _guarded("/api/v1/conversations/{conversation_id}", "PUT", known, MIELTO_FIELDS, apply)


def omi_app(known: str) -> Starlette:
    """Omi: a title (1-500 characters) becomes `structured.title`; null leaves it."""
    state: dict[str, Any] = {"title": "Morning walk", "discarded": False}

    def apply(body: dict[str, Any], request: Request) -> Any:
        for name in ("title", "discarded"):
            if body.get(name) is not None:
                state[name] = body[name]
        return {
            "id": known,
            "created_at": "2024-01-02T03:04:05Z",
            "started_at": "2024-01-02T03:04:05Z",
            "finished_at": "2024-01-02T03:34:05+00:00",
            "structured": {"title": state["title"], "overview": "A walk.", "category": "personal", "emoji": "🚶"},
            "transcript_segments": [],
            "language": "en",
            "source": "omi",
        }

    fields = {"title": _string(500, min_length=1, nullable=True), "discarded": _typed(bool, "boolean", nullable=True)}
    return _guarded("/v1/dev/user/conversations/{conversation_id}", "PATCH", known, fields, apply)
