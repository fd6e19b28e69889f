"""A `curl` command reproducing a request exactly as it was sent."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from contracts.sent import SentRequest

# Headers the HTTP client adds on its own; they only make a reproduction longer.
_CLIENT_HEADERS = {"user-agent", "accept-encoding", "connection", "content-length", "host", "x-schemathesis-testcaseid"}
IN_PROCESS_HOST = "http://testserver"


def curl_command(
    request: SentRequest,
    *,
    origin: str | None = None,
    redact: Callable[[str], str] = str,
    redact_header: Callable[[str, str], str] = lambda name, value: value,
) -> str:
    """`request` as a shell command. `origin` replaces the scheme and host (an in-process
    request's `http://testserver`); `redact`/`redact_header` hide secrets, leaving a `${VAR}`
    placeholder the shell expands."""
    url = request.url
    if origin is not None:
        parts = urlsplit(url)
        base = urlsplit(origin)
        url = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
    prefix = ""
    words = ["curl", "-X", request.method]
    for name, value in request.headers.items():
        if name in _CLIENT_HEADERS or (name == "accept" and value == "*/*"):
            continue
        words += ["-H", _quote(redact(f"{name}: {redact_header(name, value)}"))]
    if request.body:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            words += ["--data-raw", _quote(redact(text))]
        else:
            # Bytes a shell argument cannot carry (NUL, invalid UTF-8) go through stdin.
            escaped = "".join(f"\\x{byte:02x}" for byte in request.body)
            prefix = f"printf '%b' '{escaped}' | "
            words += ["--data-binary", "@-"]
    words.append(_quote(url))
    return prefix + " ".join(words)


def _quote(text: str) -> str:
    # Double quotes keep a `${CONTRACT_TOKEN}` placeholder expandable; anything else gets
    # single quotes so the shell passes it through untouched.
    if "${" in text and not any(c in text for c in '"`\\') and text.count("$") == text.count("${"):
        return f'"{text}"'
    return shlex.quote(text)
