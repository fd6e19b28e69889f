"""The `Prefer` request header, compatible with Prism: `code=NNN`, `example=NAME`,
`dynamic=true|false`, and the mock's faults `delay=MS` (answer after MS milliseconds, at most
`MAX_DELAY_MS`) and `fault=reset` (close the connection without an answer), separated by
commas or semicolons. A header the mock cannot honour is a `Problem` (400) that says why.
Numbers are checked by length before `int()`: no header reaches it unbounded.

What a request does not say comes from the server's defaults: `--dynamic` makes
`dynamic=true` the default, and a request's explicit `dynamic=false` still wins."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.problems import Problem

MAX_DELAY_MS = 10_000
FAULTS = ("reset",)


@dataclass(frozen=True, slots=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool | None = None
    delay_ms: int | None = None
    fault: str | None = None


NO_PREFERENCES = Preferences()
DYNAMIC = Preferences(dynamic=True)  # the server-wide default under `--dynamic`


def _shown(value: str) -> str:
    return repr(value if len(value) <= 20 else value[:20] + "...")


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
        return Problem(
            400, f"Prefer: code must be a final HTTP status code (200-599), got {_shown(code)}", api_shaped=False
        )
    dynamic = values.get("dynamic")
    if dynamic is not None and dynamic.lower() not in ("true", "false"):
        return Problem(400, f"Prefer: dynamic must be true or false, got {dynamic[:20]!r}", api_shaped=False)
    delay = values.get("delay")
    if delay is not None and not (
        0 < len(delay) <= len(str(MAX_DELAY_MS)) and delay.isascii() and delay.isdigit() and int(delay) <= MAX_DELAY_MS
    ):
        why = f"Prefer: delay must be a whole number of milliseconds from 0 to {MAX_DELAY_MS}, got {_shown(delay)}"
        return Problem(400, why, api_shaped=False)
    fault = values.get("fault")
    if fault is not None and fault.lower() not in FAULTS:
        why = f"Prefer: fault must be one of {', '.join(FAULTS)}, got {_shown(fault)}"
        return Problem(400, why, api_shaped=False)
    return Preferences(
        code=int(code) if code is not None else None,
        example=values.get("example"),
        dynamic=defaults.dynamic if dynamic is None else dynamic.lower() == "true",
        delay_ms=int(delay) if delay is not None else None,
        fault=fault.lower() if fault is not None else None,
    )
