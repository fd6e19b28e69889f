"""Shared type aliases: Schemathesis' own types, as this suite uses them (it ships `py.typed`).

Schemathesis types a case by its operation (`Case[APIOperation[...]]`); every case here is an
OpenAPI one, and Schemathesis names that `OpenApiCase` for type checkers only, hence the
strings: at run time these aliases are never evaluated (every module has postponed annotations).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from mockserver.types import JSON

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase, OpenApiSchema

Case: TypeAlias = "OpenApiCase"
"""A Schemathesis test case of an OpenAPI operation."""

Schema: TypeAlias = "OpenApiSchema"
"""A loaded Schemathesis OpenAPI schema."""

__all__ = ["JSON", "Case", "Schema"]
