"""What the suite knows about one API before it sends anything: `ApiContract`, frozen.

Everything is compiled once from the spec and its profile, reusing the mock's own compiler
(`mockserver.app.load_apis`) so the profile's meaning (identity, echo incl. same-named
fields, from_headers, accumulate, touch) is defined in exactly one place. What a run records
(its report, second updates, made-up ids) lives apart, in `run.ContractRun`.
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contracts.credentials import Credentials, credentials_for
from contracts.evidence import NO_EVIDENCE, Evidence, check_entries, load_evidence
from contracts.oracle import RequestOracle, SpecOracle
from mockserver.app import load_apis
from mockserver.errors import ProfileError
from mockserver.operations import Operation
from mockserver.profile import ApiProfile, Gap, find_profile

FRESH_ID_PREFIX = "contract-test-"


@dataclass(frozen=True)
class OperationContract:
    """One operation: the mock's compiled view of it plus the independent oracle's."""

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


@dataclass(frozen=True)
class ApiContract:
    """One API under test: its operations, credentials and tolerated gaps, and where it runs."""

    api: str
    spec_path: Path
    profile: ApiProfile
    operations: Mapping[tuple[str, str], OperationContract]
    credentials: Credentials
    live: bool = False
    path_params: Mapping[str, str] = field(default_factory=dict)
    # One made-up id per path parameter, of the parameter's type, fixed for the run (`fresh_ids`).
    fresh_ids: Mapping[str, str] = field(default_factory=dict)

    def operation(self, method: str, path: str) -> OperationContract | None:
        return self.operations.get((method.upper(), path))

    def gaps(self, kind: str) -> tuple[Gap, ...]:
        return tuple(gap for gap in self.profile.gaps if gap.kind == kind)

    def is_fresh_id(self, value: object) -> bool:
        """Whether `value` is an id the suite made up (it cannot exist on a live target)."""
        if isinstance(value, str) and value.startswith(FRESH_ID_PREFIX):
            return True
        return value is not None and str(value) in self.fresh_ids.values()

    def fresh_id_for(self, name: str) -> str:
        """The made-up id of path parameter `name` (a string one for a name no operation has)."""
        return self.fresh_ids.get(name) or fresh_id()

    def path_names(self) -> set[str]:
        """The names of every path parameter of the API."""
        return {
            rule.name for op in self.operations.values() for rule in op.compiled.parameters if rule.location == "path"
        }


def fresh_id() -> str:
    return FRESH_ID_PREFIX + secrets.token_hex(8)


def fresh_id_of(schema: object) -> str:
    """A made-up id that the parameter's `schema` admits where it is a plain integer or a
    uuid (so that a correct deployment answers 404, not 422), else `fresh_id()`. Integers are
    drawn from the top of their range, where generated ids ("0", "1", ...) and real ones
    are not."""
    if not isinstance(schema, Mapping):
        return fresh_id()
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "integer" in kinds and "string" not in kinds:
        low = schema.get("minimum", 0)
        high = schema.get("maximum", 2**31 - 1 if schema.get("format") == "int32" else 2**53 - 1)
        if isinstance(schema.get("exclusiveMaximum"), int | float) and not isinstance(schema["exclusiveMaximum"], bool):
            high = min(high, schema["exclusiveMaximum"] - 1)
        if isinstance(schema.get("exclusiveMinimum"), int | float) and not isinstance(schema["exclusiveMinimum"], bool):
            low = max(low, schema["exclusiveMinimum"] + 1)
        if isinstance(low, int | float) and isinstance(high, int | float) and high > low:
            low, high = math.ceil(low), math.floor(high)
            span = min(high - low, 10**9)
            return str(high - secrets.randbelow(span + 1) if span > 0 else high)
    if "string" in kinds and schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return fresh_id()


def _fresh_ids(operations: Iterable[Operation]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for op in operations:
        for rule in op.parameters:
            if rule.location == "path" and rule.name not in ids:
                ids[rule.name] = fresh_id_of(rule.decoder.schema)
    return ids


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
    oracle = SpecOracle(spec_path)
    operations = {
        (op.method, op.path): OperationContract(
            op,
            oracle.request(op.method, op.path),
            oracle.declares_fastapi_422(op.method, op.path),
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
        live=live,
        path_params=dict(path_params),
        fresh_ids=_fresh_ids(mounted.operations),
    )
