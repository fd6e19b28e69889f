"""One request/response pair, decoded once for the semantic checks and the gap classifier."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from schemathesis import Response

from contracts.contract import ApiContract, OperationContract
from contracts.sent import SentRequest
from contracts.types import JSON, Case, Loc

if TYPE_CHECKING:
    from contracts.report import ApiReport
    from contracts.run import ContractRun

_NO_JSON = object()


@dataclass
class Exchange:
    run: ContractRun
    operation: OperationContract
    request: SentRequest
    path_params: Mapping[str, str]
    status: int
    content_type: str
    content: bytes
    case: Case | None = None  # None: an exchange not made by Schemathesis (unit tests)
    _body: JSON = _NO_JSON
    _problems: list[Loc] | None = None

    @property
    def contract(self) -> ApiContract:
        return self.run.contract

    @property
    def report(self) -> ApiReport:
        return self.run.report

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def body(self) -> JSON:
        """The response body as JSON; `NOT_JSON` when it is not JSON."""
        if self._body is _NO_JSON:
            try:
                self._body = json.loads(self.content) if self.content else None
            except (ValueError, RecursionError):
                self._body = NOT_JSON
        return self._body

    def sent_json(self) -> JSON:
        parsed, value = self.request.json_body()
        return value if parsed else NOT_JSON

    def problems(self) -> list[Loc]:
        """What is wrong with the request (empty: it was valid)."""
        if self._problems is None:
            self._problems = self.operation.oracle.problems(self.request, self.path_params)
        return self._problems

    def authenticated(self) -> bool | None:
        return self.contract.credentials.authenticated(
            self.operation.compiled, self.request.headers, self.request.query
        )

    def addresses_fresh_id(self) -> bool:
        return any(self.contract.is_fresh_id(value) for value in self.path_params.values())

    def unknown_id_answer(self) -> bool:
        """A live target's 404 for an id the suite made up: the one refusal a correct
        deployment must give (it cannot know the id)."""
        return self.contract.live and self.status == 404 and self.addresses_fresh_id()


class _NotJson:
    def __repr__(self) -> str:
        return "<not JSON>"


NOT_JSON: JSON = _NotJson()


def decode(run: ContractRun, case: Case, response: Response) -> Exchange | None:
    """The exchange of a Schemathesis `case` and its `response` in `run`, or None when the
    operation is not one of its contract's."""
    operation = run.contract.operation(case.method, case.path)
    if operation is None:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    request = SentRequest.from_prepared(response.request)
    return Exchange(
        run=run,
        operation=operation,
        request=request,
        path_params=sent_path_parameters(operation.compiled.path, request.url),
        status=response.status_code,
        content_type=content_type,
        content=response.content or b"",
        case=case,
    )


def sent_path_parameters(template: str, url: str) -> dict[str, str]:
    """Path parameters as the server decodes them from the URL actually sent (a case's own
    values may already be percent-encoded, or changed by a hook)."""
    names: list[str] = []

    def capture(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return "([^/]*)"

    pattern = re.sub(r"\\\{([^}]+)\\\}", capture, re.escape(template)) + "$"
    found = re.search(pattern, urlsplit(url).path)
    if found is None:
        return {}
    return {name: unquote(value) for name, value in zip(names, found.groups(), strict=True)}


def parse_instant(value: JSON) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime (naive ones read as UTC), else None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def same_value(sent: JSON, returned: JSON) -> bool:
    """Whether `returned` is the value `sent`; timestamps compare as instants (a server may
    normalise "+00:00" to "Z")."""
    if sent == returned and type(sent) is type(returned):
        return True
    if isinstance(sent, bool) or isinstance(returned, bool):
        return False
    if isinstance(sent, int | float) and isinstance(returned, int | float):
        return sent == returned
    first, second = parse_instant(sent), parse_instant(returned)
    if first is not None and second is not None:
        return first == second
    if isinstance(sent, list) and isinstance(returned, list):
        return len(sent) == len(returned) and all(same_value(a, b) for a, b in zip(sent, returned, strict=True))
    if isinstance(sent, dict) and isinstance(returned, dict):
        return sent.keys() == returned.keys() and all(same_value(sent[k], returned[k]) for k in sent)
    return False
