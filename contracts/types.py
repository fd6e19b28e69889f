"""Shared type aliases: Schemathesis' own types, as this suite uses them (it ships `py.typed`),
and the suite's own (defined here, not imported, so the oracle needs nothing of `mockserver`).

Schemathesis types a case by its operation (`Case[APIOperation[...]]`); every case here is an
OpenAPI one, and Schemathesis names that `OpenApiCase` for type checkers only, hence the
strings: at run time these aliases are never evaluated (every module has postponed annotations).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase, OpenApiSchema

Case: TypeAlias = "OpenApiCase"
"""A Schemathesis test case of an OpenAPI operation."""

Schema: TypeAlias = "OpenApiSchema"
"""A loaded Schemathesis OpenAPI schema."""

JSON: TypeAlias = Any
"""A decoded JSON (or YAML) value: dict, list, str, int, float, bool or None. `Any`, as in
`mockserver.types`, because the values come from parsers and are narrowed where they are read."""

Loc: TypeAlias = tuple[str | int, ...]
"""Where a request is wrong, FastAPI-style: ("body", "title"), ("header", "x-workspace-id")."""
