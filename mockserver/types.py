"""Shared type aliases."""

from collections.abc import Callable
from typing import Any, TypeAlias

JSON: TypeAlias = Any
"""A decoded JSON value (dict, list, str, int, float, bool or None)."""

Schema: TypeAlias = dict[str, Any]
"""A JSON Schema (OpenAPI 3.1 dialect, `$ref`s inlined) as a mapping."""

Loc: TypeAlias = tuple[str | int, ...]
"""Where a problem is, FastAPI-style: ("body", "title"), ("header", "x-workspace-id")."""

IsValid: TypeAlias = Callable[[JSON], bool]
