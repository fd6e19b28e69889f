"""A request as it went on the wire: `SentRequest`, what the oracle judges and curl replays."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from contracts.types import JSON

if TYPE_CHECKING:  # the oracle, which uses this, needs no Schemathesis
    from requests import PreparedRequest
    from schemathesis.engine.recorder import Request as RecordedRequest


@dataclass(frozen=True)
class SentRequest:
    """A request as sent: lower-cased header names, decoded query, raw body."""

    method: str
    url: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes

    @classmethod
    def from_prepared(cls, prepared: PreparedRequest) -> SentRequest:
        """From the `requests.PreparedRequest` Schemathesis keeps on every response."""
        raw = prepared.body or b""
        body = raw.encode("utf-8") if isinstance(raw, str) else raw if isinstance(raw, bytes) else b""
        url = str(prepared.url or "")
        headers = {str(k).lower(): str(v) for k, v in (prepared.headers or {}).items()}
        return cls(str(prepared.method or ""), url, headers, _query(url), body)

    @classmethod
    def from_recorded(cls, recorded: RecordedRequest) -> SentRequest:
        """From a request in a Schemathesis recorder (headers as lists of values)."""
        url = str(recorded.uri)
        headers = {str(k).lower(): str(v[0] if isinstance(v, list) else v) for k, v in recorded.headers.items()}
        return cls(str(recorded.method), url, headers, _query(url), bytes(recorded.body or b""))

    def json_body(self) -> tuple[bool, JSON]:
        """(True, value) when the body is JSON, (False, None) otherwise."""
        try:
            return True, json.loads(self.body.decode("utf-8"), parse_constant=_reject)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return False, None


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _reject(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
