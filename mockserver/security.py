"""Credentials, compiled from an operation's security requirements.

Requirements are OR-ed alternatives, each an AND of schemes (OpenAPI semantics). A scheme is
satisfied by a well-formed credential in the right place; with an allow-list of tokens
(`--token`), only those tokens are accepted.

A bearer token is everything after `Bearer` and the whitespace that follows it, spaces
included, as Prism reads it: SDK test suites send `Bearer My API Key`.
A basic credential is one base64 word holding `user:password`.
An apiKey in the `Authorization` header may carry the scheme word its API documents in prose
(Discord's `Authorization: Bot TOKEN`): with `--token`, the whole value or what follows its
first word must be a given token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mockserver.errors import SpecError
from mockserver.problems import Problem
from mockserver.request import MockRequest, parse_cookies

NOT_AUTHENTICATED = "Not authenticated"
INVALID_CREDENTIALS = "Invalid authentication credentials"


class CredentialSource(Protocol):
    """The parts of a request where credentials can live (a `MockRequest` is one)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def query(self) -> Mapping[str, str]: ...

    def cookie(self, name: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class RequestCredentials:
    """A `CredentialSource` from plain parts (for callers that have no `MockRequest`)."""

    headers: Mapping[str, str]
    query: Mapping[str, str]
    cookie_header: str

    def cookie(self, name: str) -> str | None:
        return parse_cookies(self.cookie_header).get(name)


@dataclass(frozen=True, slots=True)
class Scheme:
    name: str
    kind: str  # bearer | basic | apikey
    location: str  # header | query | cookie
    parameter: str  # lower-cased header name, or the query/cookie name

    def token(self, request: CredentialSource) -> tuple[str | None, str]:
        """The credential, or None with the reason it is missing or malformed."""
        if self.location == "header":
            raw = request.headers.get(self.parameter)
        elif self.location == "query":
            raw = request.query.get(self.parameter)
        else:
            raw = request.cookie(self.parameter)
        if raw is None or raw.strip() == "":
            return None, NOT_AUTHENTICATED
        if self.kind == "apikey":
            return raw, ""
        parts = raw.strip().split(None, 1)
        value = parts[1] if len(parts) == 2 else ""
        if parts[0].lower() != self.kind or not value:
            return None, INVALID_CREDENTIALS
        if self.kind == "basic":
            try:  # strict base64: a space or any other stray character is malformed
                _user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None, INVALID_CREDENTIALS
            return (password if sep else None), INVALID_CREDENTIALS
        return value, ""

    def accepts(self, token: str, tokens: frozenset[str]) -> bool:
        """Whether `token` (from `token()`) is one of the allowed `tokens`."""
        if token in tokens:
            return True
        if self.kind == "apikey" and self.parameter == "authorization":
            word = token.strip().split(None, 1)
            return len(word) == 2 and word[1] in tokens
        return False


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    alternatives: tuple[tuple[Scheme, ...], ...]
    challenge: str  # WWW-Authenticate value for a 401, "" if none applies
    open: bool = False  # no requirement, or an empty (anonymous) alternative

    def __post_init__(self) -> None:
        object.__setattr__(self, "open", not self.alternatives or any(not alt for alt in self.alternatives))

    def check(self, request: CredentialSource, tokens: frozenset[str]) -> str | None:
        """None when some alternative is satisfied, else why not."""
        if self.open:
            return None
        reason = NOT_AUTHENTICATED
        for alternative in self.alternatives:
            for scheme in alternative:
                token, why = scheme.token(request)
                if token is None:
                    reason = why if why != NOT_AUTHENTICATED or reason == NOT_AUTHENTICATED else reason
                    break
                if tokens and not scheme.accepts(token, tokens):
                    reason = INVALID_CREDENTIALS
                    break
            else:
                return None
        return reason


class CredentialsStage:
    """The pipeline stage: a request no alternative of its operation's security accepts
    gets a 401 (with `WWW-Authenticate` for bearer and basic schemes)."""

    def __init__(self, tokens: frozenset[str]) -> None:
        self.tokens = tokens

    async def __call__(self, request: MockRequest) -> Problem | None:
        policy = request.op.security
        if policy.open:
            return None
        reason = policy.check(request, self.tokens)
        if reason is None:
            return None
        headers = (("WWW-Authenticate", policy.challenge),) if policy.challenge else ()
        return Problem(401, reason, headers=headers)


def compile_security(
    requirements: list[dict[str, Any]] | None, schemes: Mapping[str, Any], source: str, where: str
) -> SecurityPolicy:
    alternatives = []
    for requirement in requirements or []:
        alternatives.append(tuple(_scheme(name, schemes, source, where) for name in requirement))
    kinds = {s.kind for alt in alternatives for s in alt}
    challenge = "Bearer" if "bearer" in kinds else "Basic" if "basic" in kinds else ""
    return SecurityPolicy(tuple(alternatives), challenge)


def _scheme(name: str, schemes: Mapping[str, Any], source: str, where: str) -> Scheme:
    definition = schemes.get(name)
    if not isinstance(definition, dict):
        raise SpecError(source, f"security scheme {name!r} is not defined in components.securitySchemes", where)
    kind = str(definition.get("type", "")).lower()
    if kind == "http":
        http = str(definition.get("scheme", "")).lower()
        if http not in ("bearer", "basic"):
            raise SpecError(source, f"unsupported http security scheme {http!r} in {name!r}", where)
        return Scheme(name, http, "header", "authorization")
    if kind == "apikey":
        location = str(definition.get("in", ""))
        if location not in ("header", "query", "cookie"):
            raise SpecError(source, f"apiKey scheme {name!r} has invalid 'in': {location!r}", where)
        parameter = str(definition.get("name", ""))
        return Scheme(name, "apikey", location, parameter.lower() if location == "header" else parameter)
    if kind in ("oauth2", "openidconnect"):
        return Scheme(name, "bearer", "header", "authorization")
    raise SpecError(source, f"unsupported security scheme type {kind!r} in {name!r}", where)
