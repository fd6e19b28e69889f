"""Per-API profiles: the small declarative files that say what the spec cannot.

A profile lives beside the specs as `profiles/<spec stem>.yaml` (or under any name, found by
its `title`, the API's `info.title`, see `find_profile`). The mock uses its
`operations` section to give updates their meaning; the contract suite uses the same
section to check that a deployment honours it, and its `gaps` section to tolerate the
answers a spec forgot to declare. Example (Datagrid):

    operations:
      Conversations.updateConversation:      # operationId, or "PATCH /conversations/{id}"
        identity: {id: conversation_id}       # response field <- path parameter
        echo: {}                              # response field <- body field (same names: automatic)
                                              # e.g. Omi: {structured.title: title}
        from_headers: {}                      # response field <- request header
        accumulate: {participated_agent_ids: agent_ids}  # list that only grows with another
        touch: [updated_at]                   # set to the time of each update, never backwards
        ordered: [[created_at, updated_at]]   # timestamps that must not be out of order
        fixed: {}                             # response field ("" = the whole body) <- value
    gaps:
      - kind: auth                            # auth | invalid_request
        statuses: [401, 403]
        reason: the spec declares bearer security but no 401/403 answer
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mockserver.errors import ProfileError
from mockserver.types import JSON

_OPERATION_KEYS = {"identity", "echo", "from_headers", "accumulate", "touch", "ordered", "fixed"}
_GAP_KINDS = {"auth", "invalid_request"}


@dataclass(frozen=True)
class OperationProfile:
    identity: dict[str, str] = field(default_factory=dict)
    echo: dict[str, str] = field(default_factory=dict)
    from_headers: dict[str, str] = field(default_factory=dict)
    accumulate: dict[str, str] = field(default_factory=dict)
    touch: tuple[str, ...] = ()
    ordered: tuple[tuple[str, str], ...] = ()
    fixed: dict[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class Gap:
    """An answer a correct deployment must give although its spec does not declare it."""

    kind: str
    statuses: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class ApiProfile:
    operations: dict[str, OperationProfile] = field(default_factory=dict)
    gaps: tuple[Gap, ...] = ()
    source: str = ""
    title: str | None = None  # the `info.title` of the API it is about

    def for_operation(self, operation_id: str, method: str, path: str) -> OperationProfile:
        for key in (operation_id, f"{method.upper()} {path}"):
            if key in self.operations:
                return self.operations[key]
        return OperationProfile()


def profile_path(spec_path: Path) -> Path:
    return spec_path.parent / "profiles" / f"{spec_path.stem}.yaml"


def find_profile(spec_path: Path, document: dict[str, Any], also: Sequence[Path] = ()) -> ApiProfile:
    """The profile of a document: `profiles/<file stem>.yaml` beside it; else, in that folder
    and then in the folders `also` names (the shipped profiles), the profile about the same
    API under another file name: the same `info.title`, and every operation it names exists
    in the document."""
    path = profile_path(spec_path)
    if path.exists():
        return load_profile(path)
    title = (document.get("info") or {}).get("title")
    present = _operation_keys(document)
    for folder in dict.fromkeys([path.parent, *also]):
        if not folder.is_dir():
            continue
        for candidate in sorted(folder.glob("*.yaml")):
            profile = load_profile(candidate)
            if profile.title and profile.title == title and profile.operations and set(profile.operations) <= present:
                return profile
    return ApiProfile()


def _operation_keys(document: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for path, item in (document.get("paths") or {}).items():
        for method, operation in (item or {}).items() if isinstance(item, dict) else ():
            if isinstance(operation, dict):
                keys.add(f"{str(method).upper()} {path}")
                if operation.get("operationId"):
                    keys.add(str(operation["operationId"]))
    return keys


def load_profile(path: Path) -> ApiProfile:
    """The profile in the file at `path`."""
    source = str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(source, f"cannot read profile: {exc}") from exc
    _expect(isinstance(data, dict), source, "", "a profile must be a mapping")
    unknown = set(data) - {"title", "operations", "gaps", "evidence"}  # evidence: the contract suite's
    _expect(not unknown, source, "", f"unknown keys {sorted(unknown)}")
    operations = {
        str(key): _operation(value, source, f"operations.{key}")
        for key, value in (data.get("operations") or {}).items()
    }
    gaps = tuple(_gap(item, source, f"gaps[{i}]") for i, item in enumerate(data.get("gaps") or []))
    title = data.get("title")
    _expect(title is None or isinstance(title, str), source, "title", "must be the API's info.title, a string")
    return ApiProfile(operations=operations, gaps=gaps, source=source, title=title)


def _expect(condition: bool, source: str, where: str, message: str) -> None:
    if not condition:
        raise ProfileError(source, message, where)


def _mapping(value: Any, source: str, where: str) -> dict[str, Any]:
    value = value or {}
    _expect(isinstance(value, dict), source, where, "must be a mapping")
    return {str(k): v for k, v in value.items()}


def _operation(value: Any, source: str, where: str) -> OperationProfile:
    data = _mapping(value, source, where)
    unknown = set(data) - _OPERATION_KEYS
    _expect(not unknown, source, where, f"unknown keys {sorted(unknown)}; known: {sorted(_OPERATION_KEYS)}")
    ordered = data.get("ordered") or []
    _expect(
        all(isinstance(p, list) and len(p) == 2 for p in ordered),
        source,
        f"{where}.ordered",
        "must be a list of [earlier, later] pairs",
    )
    touch = data.get("touch") or []
    _expect(isinstance(touch, list), source, f"{where}.touch", "must be a list of field names")
    strings = {
        k: {str(a): str(b) for a, b in _mapping(data.get(k), source, f"{where}.{k}").items()}
        for k in ("identity", "echo", "from_headers", "accumulate")
    }
    return OperationProfile(
        touch=tuple(str(t) for t in touch),
        ordered=tuple((str(a), str(b)) for a, b in ordered),
        fixed=_mapping(data.get("fixed"), source, f"{where}.fixed"),
        **strings,
    )


def _gap(value: Any, source: str, where: str) -> Gap:
    data = _mapping(value, source, where)
    kind = data.get("kind")
    _expect(kind in _GAP_KINDS, source, f"{where}.kind", f"must be one of {sorted(_GAP_KINDS)}")
    statuses = data.get("statuses") or []
    _expect(
        isinstance(statuses, list) and bool(statuses) and all(isinstance(s, int) for s in statuses),
        source,
        f"{where}.statuses",
        "must be a non-empty list of status codes",
    )
    reason = data.get("reason")
    _expect(
        isinstance(reason, str) and reason.strip() != "", source, f"{where}.reason", "a one-line reason is required"
    )
    return Gap(kind=str(kind), statuses=tuple(statuses), reason=str(reason))
