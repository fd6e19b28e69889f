"""`MockRequest`: the one value a request is, built once by the pipeline and handed to
every stage. Stages read it; the body and preference stages fill in what they decode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from starlette.types import Receive

from mockserver.diagnostics import Violation
from mockserver.prefer import NO_PREFERENCES, Preferences
from mockserver.types import JSON

if TYPE_CHECKING:
    from mockserver.operations import MediaVariant, Operation


@dataclass(slots=True)
class RequestBody:
    value: JSON = None
    present: bool = False
    violations: list[Violation] = field(default_factory=list)
    media: str = "application/json"  # the declared media type it was read as
    check: Callable[[JSON], list[Violation]] | None = None  # its schema, for the validation stage


@dataclass(slots=True)
class MockRequest:
    op: Operation
    path_params: dict[str, str]
    headers: dict[str, str]  # lower-case names; the first of repeated headers wins
    query: dict[str, str]  # the first value of each query parameter
    receive: Receive
    raw_query: str = ""
    body: RequestBody = field(default_factory=RequestBody)
    prefs: Preferences = NO_PREFERENCES
    answer_as: tuple[MediaVariant, str] | None = None  # `Accept` chose another media type than the preferred
    _cookies: dict[str, str] | None = None
    # The typed value of every valid parameter, by (location, name), once validated.
    parameters: dict[tuple[str, str], JSON] = field(default_factory=dict)
    _query_items: list[tuple[str, str]] | None = None

    def query_items(self) -> list[tuple[str, str]]:
        """Every query pair in order: the decoded name and the value as sent, still
        percent-encoded (a delimiter-separated value is split before it is decoded)."""
        if self._query_items is None:
            self._query_items = [
                (unquote_plus(key), value)
                for key, _, value in (pair.partition("=") for pair in self.raw_query.split("&") if pair)
            ]
        return self._query_items

    def cookie(self, name: str) -> str | None:
        if self._cookies is None:
            self._cookies = parse_cookies(self.headers.get("cookie", ""))
        return self._cookies.get(name)


def parse_cookies(header: str) -> dict[str, str]:
    """The cookies of a `Cookie` header; a malformed header holds none."""
    if not header:
        return {}
    try:
        jar: SimpleCookie = SimpleCookie(header)
    except CookieError:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}
