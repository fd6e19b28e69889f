"""Credentials per security scheme.

`--token` is applied the way each spec's security scheme says (`Authorization: Bearer` for
http/bearer, the scheme's own header for apiKey), through Schemathesis' `auth.openapi`
configuration. A blanket header would also be sent by the probes of `ignored_auth`, which then
sees its "no credentials" request accepted and reports a false ST401.

The same token is the oracle for "was this request correctly authenticated?", answered with
the mock's own credential parser, so that a 401 to a request carrying it is a violation and a
401 to one that does not is expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from contracts.types import JSON
from mockserver.loader import SpecDocument
from mockserver.operations import Operation
from mockserver.security import RequestCredentials

# The in-process mock is started with this as its only accepted token when --token is not given.
IN_PROCESS_TOKEN = "contract-token"
TOKEN_PLACEHOLDER = "${CONTRACT_TOKEN}"


@dataclass(frozen=True)
class Credentials:
    token: str | None
    schemes: Mapping[str, Mapping[str, JSON]]  # components.securitySchemes of the spec

    def schemathesis_auth(self, used: Iterable[str]) -> dict[str, dict[str, str]]:
        """The `auth.openapi` section for Schemathesis, one entry per scheme the operations use."""
        if self.token is None:
            return {}
        section: dict[str, dict[str, str]] = {}
        for name in used:
            definition = self.schemes.get(name) or {}
            kind = str(definition.get("type", "")).lower()
            if kind == "apikey":
                section[name] = {"api_key": self.token}
            elif kind in ("oauth2", "openidconnect") or (
                kind == "http" and str(definition.get("scheme", "")).lower() == "bearer"
            ):
                section[name] = {"bearer": self.token}
        return section

    def headers_for(self, op: Operation) -> dict[str, str]:
        """Headers carrying the token for the first security alternative of `op` (for
        requests the suite builds itself; generated ones get it from Schemathesis)."""
        if self.token is None or op.security.open:
            return {}
        headers = {}
        for scheme in op.security.alternatives[0]:
            if scheme.location != "header":
                continue
            value = self.token if scheme.kind == "apikey" else f"{scheme.kind.capitalize()} {self.token}"
            headers[scheme.parameter] = value
        return headers

    def header_names(self) -> set[str]:
        """Lower-cased names of the headers the schemes put credentials in."""
        names = set()
        for definition in self.schemes.values():
            kind = str(definition.get("type", "")).lower()
            if kind == "apikey" and definition.get("in") == "header":
                names.add(str(definition.get("name", "")).lower())
            elif kind in ("http", "oauth2", "openidconnect"):
                names.add("authorization")
        return names

    def authenticated(self, op: Operation, headers: Mapping[str, str], query: Mapping[str, str]) -> bool | None:
        """True when the request carries our token as the operation's security requires;
        None when the operation is open (no credentials needed)."""
        if op.security.open:
            return None
        if self.token is None:
            return False
        request = RequestCredentials(headers, query, headers.get("cookie", ""))
        return op.security.check(request, frozenset({self.token})) is None

    def redact(self, text: str) -> str:
        """`text` with a user-supplied token replaced by a shell placeholder (CI logs are
        public). Tokens shorter than 8 characters cannot be told from ordinary text and stay."""
        if self.token is None or self.token == IN_PROCESS_TOKEN or len(self.token) < 8:
            return text
        return text.replace(self.token, TOKEN_PLACEHOLDER)

    def redact_header(self, name: str, value: str) -> str:
        """A header value with the token replaced, whatever its length, in credential headers."""
        if self.token is None or self.token == IN_PROCESS_TOKEN or name.lower() not in self.header_names():
            return value
        return value.replace(self.token, TOKEN_PLACEHOLDER)


def used_schemes(operations: Iterable[Operation]) -> set[str]:
    return {scheme.name for op in operations for alternative in op.security.alternatives for scheme in alternative}


def credentials_for(spec: SpecDocument, token: str | None) -> Credentials:
    schemes = spec.document.get("components", {}).get("securitySchemes") or {}
    return Credentials(token=token, schemes={str(k): v for k, v in schemes.items() if isinstance(v, dict)})
