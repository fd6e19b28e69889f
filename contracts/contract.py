"""What the suite knows about one API before it sends anything: `ApiContract`.

Everything is compiled once from the spec and its profile, reusing the mock's own compiler
(`mockserver.app.load_apis`) so the profile's meaning (identity, echo incl. same-named
fields, from_headers, accumulate, touch) is defined in exactly one place. Checks and the gap
classifier find the contract of a Schemathesis operation through `contract_for`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.credentials import Credentials, credentials_for
from contracts.evidence import NO_EVIDENCE, Evidence, check_entries, load_evidence
from contracts.oracle import RequestOracle, SentRequest, compile_oracle, declares_fastapi_422
from contracts.report import ApiReport
from mockserver.app import load_apis
from mockserver.errors import ProfileError
from mockserver.operations import Operation
from mockserver.profile import ApiProfile, Gap, find_profile

FRESH_ID_PREFIX = "contract-test-"


@dataclass(frozen=True)
class OperationContract:
    """One operation: the mock's compiled view of it plus an independent request oracle."""

    compiled: Operation
    oracle: RequestOracle
    # The operation declares a FastAPI validation error (HTTPValidationError) for 422.
    fastapi_422: bool = False
    # Where each profile entry comes from (see `evidence`), by entry key.
    evidence: Mapping[str, Evidence] = field(default_factory=dict)

    def evidence_for(self, entry: str) -> Evidence:
        return self.evidence.get(entry, NO_EVIDENCE)

    @property
    def label(self) -> str:
        return f"{self.compiled.method} {self.compiled.path}"


@dataclass
class ApiContract:
    """One API under test: its operations, credentials, tolerated gaps and where results go."""

    api: str
    spec_path: Path
    profile: ApiProfile
    operations: dict[tuple[str, str], OperationContract]
    credentials: Credentials
    report: ApiReport
    live: bool = False
    path_params: Mapping[str, str] = field(default_factory=dict)
    # Second updates already sent, by Schemathesis case id (see `followup`).
    followups: dict[str, Any] = field(default_factory=dict)
    followups_sent: int = 0
    fresh_ids: dict[str, str] = field(default_factory=dict)  # one made-up id per parameter and run
    first_refused: SentRequest | None = None  # a valid, authenticated request that was not accepted

    def operation(self, method: str, path: str) -> OperationContract | None:
        return self.operations.get((method.upper(), path))

    def gaps(self, kind: str) -> tuple[Gap, ...]:
        return tuple(gap for gap in self.profile.gaps if gap.kind == kind)

    def is_fresh_id(self, value: Any) -> bool:
        """Whether `value` is an id the suite made up (it cannot exist on a live target)."""
        return isinstance(value, str) and value.startswith(FRESH_ID_PREFIX)

    def path_overrides(self) -> dict[str, str]:
        """Fixed values for path parameters on this target (see README, "Live targets"):
        the --path-param ids; on a live target, a made-up fresh id for every other one, since
        generated ids like "0" or "1" could name real resources."""
        names = {
            rule.name for op in self.operations.values() for rule in op.compiled.parameters if rule.location == "path"
        }
        overrides = {name: value for name, value in self.path_params.items() if name in names}
        if self.live:
            for name in names - overrides.keys():
                overrides[name] = self.fresh_ids.setdefault(name, fresh_id())
        return overrides


def fresh_id() -> str:
    return FRESH_ID_PREFIX + secrets.token_hex(8)


def compile_contract(spec_path: Path, token: str | None, *, live: bool, path_params: Mapping[str, str]) -> ApiContract:
    """Compile the spec at `spec_path` and its profile into an `ApiContract`."""
    (mounted,) = load_apis([spec_path])
    credentials = credentials_for(mounted.spec, token)
    profile = find_profile(spec_path, mounted.spec.raw)
    evidence = load_evidence(profile.source, mounted.spec.raw)
    for key, given in evidence.items():
        if key not in profile.operations:
            raise ProfileError(profile.source, "no such operation in the profile's operations", f"evidence.{key}")
        check_entries(profile.source, profile.operations[key], given, key)
    operations = {
        (op.method, op.path): OperationContract(
            op,
            compile_oracle(mounted.spec, op),
            declares_fastapi_422(mounted.spec, op),
            evidence.get(op.operation_id) or evidence.get(f"{op.method} {op.path}") or {},
        )
        for op in mounted.operations
    }
    return ApiContract(
        api=mounted.name,
        spec_path=spec_path,
        profile=profile,
        operations=operations,
        credentials=credentials,
        report=ApiReport(api=mounted.name),
        live=live,
        path_params=dict(path_params),
    )


# Schemathesis checks and hooks are registered globally and only see a `Case`; the schema
# object it belongs to is what ties a case to the contract of the run that built it.
_BOUND: dict[int, ApiContract] = {}
_LOCK = threading.Lock()


def bind(schema: object, contract: ApiContract) -> None:
    with _LOCK:
        _BOUND[id(schema)] = contract


def unbind(schema: object) -> None:
    with _LOCK:
        _BOUND.pop(id(schema), None)


def contract_for(schema: object) -> ApiContract | None:
    return _BOUND.get(id(schema))
