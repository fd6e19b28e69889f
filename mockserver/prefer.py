"""The `Prefer` request header, compatible with Prism: `code=NNN`, `example=NAME`,
`dynamic=true|false`, separated by commas or semicolons. A header the mock cannot honour
is a `Problem` (400) that says why.

What a request does not say comes from the server's defaults: `--dynamic` makes
`dynamic=true` the default, and a request's explicit `dynamic=false` still wins."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.problems import Problem


@dataclass(frozen=True, slots=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool | None = None


NO_PREFERENCES = Preferences()
DYNAMIC = Preferences(dynamic=True)  # the server-wide default under `--dynamic`


def parse_prefer(header: str | None, defaults: Preferences = NO_PREFERENCES) -> Preferences | Problem:
    """The preferences `header` states, the unstated ones taken from `defaults`."""
    if not header:
        return defaults
    values: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            values[key.strip().lower()] = value.strip().strip('"')
    code = values.get("code")
    # Length first: int() of thousands of digits is slow, and no status has more than three.
    if code is not None and not (len(code) == 3 and code.isascii() and code.isdigit() and 200 <= int(code) <= 599):
        shown = code if len(code) <= 20 else code[:20] + "..."
        return Problem(400, f"Prefer: code must be a final HTTP status code (200-599), got {shown!r}", api_shaped=False)
    dynamic = values.get("dynamic")
    if dynamic is not None and dynamic.lower() not in ("true", "false"):
        return Problem(400, f"Prefer: dynamic must be true or false, got {dynamic[:20]!r}", api_shaped=False)
    return Preferences(
        code=int(code) if code is not None else None,
        example=values.get("example"),
        dynamic=defaults.dynamic if dynamic is None else dynamic.lower() == "true",
    )
