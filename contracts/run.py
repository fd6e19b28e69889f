"""One API's run: `ContractRun`, the mutable half beside the frozen `ApiContract`.

The runner builds one per API and hands it to everything that acts during the run, through
an object each holds, never a module global: the check instances Schemathesis builds get it
from their configuration section (`check_sections`, see `check.ContractCheck`), the hooks
registered on the run's schema are closures over it (`gaps.failure_filter`,
`acceptance.answer_recorder`, `safety.undeclared_method_guard`), and the suite's own phases
(`unusual`, `lifecycle`) receive it as an argument. It records:

    report         the `ApiReport` every check writes its findings and counts to
    followups      the second update sent after each accepted first one (`followup`)
    fresh_ids      one made-up id per path parameter (a live target's requests use it)
    first_refused  the first valid, authenticated request that was not accepted (`acceptance`)

and knows how the suite's own requests go out (`transport`: the same base URL, headers and
timeout as the engine's).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from schemathesis import Response

from contracts.contract import ApiContract
from contracts.exchange import Exchange, decode
from contracts.followup import FollowUps
from contracts.report import ApiReport
from contracts.sent import SentRequest
from contracts.types import Case


@dataclass(frozen=True)
class Transport:
    """How the suite sends requests of its own (second updates, unusual input, lifecycle)."""

    base_url: str | None  # None: the schema's in-process app
    headers: Mapping[str, str]  # --header
    timeout: float  # --request-timeout

    def send(self, case: Case) -> Response:
        """Send `case` through Schemathesis' public `Case.call` (hooks included)."""
        return case.call(base_url=self.base_url, headers=dict(self.headers) or None, timeout=self.timeout)

    def kwargs(self) -> dict[str, object] | None:
        """The transport arguments checks that re-send a request need (`Case.validate_response`)."""
        return {"base_url": self.base_url} if self.base_url else None


@dataclass
class ContractRun:
    contract: ApiContract
    report: ApiReport
    transport: Transport
    followups: FollowUps = field(default_factory=FollowUps)
    first_refused: SentRequest | None = None
    fresh_ids: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # The last exchange each thread decoded: every check of a response asks for it.
    _last: threading.local = field(default_factory=threading.local, repr=False)

    def exchange(self, case: Case, response: Response) -> Exchange | None:
        """The exchange of `case` and its `response` (decoded once for all checks), or None
        when the operation is not one of the contract's."""
        last = getattr(self._last, "value", None)
        if last is not None and last[0] is case and last[1] is response:
            cached: Exchange | None = last[2]
            return cached
        exchange = decode(self, case, response)
        # Holding the response keeps its id from being reused while it is cached.
        self._last.value = (case, response, exchange)
        return exchange

    def refused(self, request: SentRequest) -> None:
        """Keep the first valid, authenticated request that was not accepted (the evidence of
        `valid_requests_accepted` when none ever is)."""
        with self._lock:
            if self.first_refused is None:
                self.first_refused = request

    def fresh_id_for(self, name: str) -> str:
        """The run's made-up id for path parameter `name` (of the parameter's type)."""
        with self._lock:
            return self.fresh_ids.setdefault(name, self.contract.fresh_id_for(name))

    def path_overrides(self) -> dict[str, str]:
        """Fixed values for path parameters on this target (see README, "Live targets"):
        the --path-param ids; on a live target, a made-up fresh id for every other one, since
        generated ids like "0" or "1" could name real resources."""
        names = self.contract.path_names()
        overrides = {name: value for name, value in self.contract.path_params.items() if name in names}
        if self.contract.live:
            for name in names - overrides.keys():
                overrides[name] = self.fresh_id_for(name)
        return overrides

    def check_sections(self, names: frozenset[str]) -> dict[str, dict[str, object]]:
        """Schemathesis configuration sections `checks.<name>` that hand this run to the
        instance of each of our checks in `names` (Schemathesis passes a section's keys to
        the check class)."""
        return {name: {"run": self} for name in names}
