"""`MockRequest`: the one value a request is, built once by the pipeline and handed to
every stage. Stages read it; the body and preference stages fill in what they decode."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING

from starlette.types import Receive

from mockserver.diagnostics import Violation
from mockserver.prefer import NO_PREFERENCES, Preferences
from mockserver.types import JSON

if TYPE_CHECKING:
    from mockserver.operations import Operation


@dataclass(slots=True)
class RequestBody:
    value: JSON = None
    present: bool = False
    violations: list[Violation] = field(default_factory=list)


@dataclass(slots=True)
class MockRequest:
    op: Operation
    path_params: dict[str, str]
    headers: dict[str, str]  # lower-case names; the first of repeated headers wins
    query: dict[str, str]
    receive: Receive
    body: RequestBody = field(default_factory=RequestBody)
    prefs: Preferences = NO_PREFERENCES
    _cookies: dict[str, str] | None = None

    def cookie(self, name: str) -> str | None:
        if self._cookies is None:
            self._cookies = {}
            header = self.headers.get("cookie", "")
            if header:
                try:
                    jar: SimpleCookie = SimpleCookie(header)
                except CookieError:
                    jar = SimpleCookie()
                self._cookies = {key: morsel.value for key, morsel in jar.items()}
        return self._cookies.get(name)
