"""The `Prefer` request header, compatible with Prism: `code=NNN`, `example=NAME`,
`dynamic=true|false`, separated by commas or semicolons."""

from __future__ import annotations

from dataclasses import dataclass


class PreferError(ValueError):
    """A `Prefer` header the mock cannot honour; the message says why."""


@dataclass(frozen=True, slots=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool | None = None


NO_PREFERENCES = Preferences()


def parse_prefer(header: str | None) -> Preferences:
    if not header:
        return NO_PREFERENCES
    values: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            values[key.strip().lower()] = value.strip().strip('"')
    code = values.get("code")
    if code is not None and not (code.isascii() and code.isdigit() and 200 <= int(code) <= 599):
        raise PreferError(f"Prefer: code must be a final HTTP status code (200-599), got {code!r}")
    dynamic = values.get("dynamic")
    if dynamic is not None and dynamic.lower() not in ("true", "false"):
        raise PreferError(f"Prefer: dynamic must be true or false, got {dynamic!r}")
    return Preferences(
        code=int(code) if code is not None else None,
        example=values.get("example"),
        dynamic=None if dynamic is None else dynamic.lower() == "true",
    )
