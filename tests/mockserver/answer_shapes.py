"""What the mock's answers must be where the spec says nothing about them: strict JSON, and
the error shapes it uses (the spec's own declarations are read by `contracts.oracle`)."""

from __future__ import annotations

import json
from typing import Any

# The FastAPI shape the issue asks for where a spec declares no error answer (Datagrid).
FASTAPI_VALIDATION_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        }
    },
}

# What the mock answers where a spec declares nothing: `{"detail": "..."}`.
PLAIN_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "minLength": 1}},
}


def strict_json(raw: bytes) -> Any:
    """Decode like a strict JSON parser: UTF-8 only, no NaN/Infinity, no out-of-range numbers."""

    def reject(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    value = json.loads(raw.decode("utf-8"), parse_constant=reject)
    if _has_non_finite(value):
        raise ValueError("number out of range")
    return value


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


def has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False
