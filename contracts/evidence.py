"""Where each semantic expectation comes from, and so what it may fail.

A profile entry (`identity`, `echo`, `from_headers`, `accumulate`, `touch`, `ordered`) says
something the spec's schemas cannot. The profile's `evidence:` section marks each one:

    evidence:
      Conversations.updateConversation:          # the key of its `operations` entry
        accumulate.participated_agent_ids:        # <section>.<response field>
          stated: This list only grows and is never cleared when agents are reassigned.
        from_headers.workspace_id:
          inferred: the header names the workspace; that an update moves the conversation is the mock's reading
        ordered.created_at <= updated_at: ...     # ordered pairs as "<earlier> <= <later>"

`stated` quotes the vendor's document; the quote must occur in the spec document (its
descriptions), or the entry counts as inferred. A `stated` expectation fails any target. An
`inferred` one (and any entry without evidence) is checked on the in-process mock, which
implements it, and only warned about on a live target: a correct service may read the
document differently. Fields the request and the answer share by name are stated by the
schemas themselves and need no entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from contracts.types import JSON
from mockserver.errors import ProfileError
from mockserver.profile import OperationProfile

Kind = Literal["stated", "inferred"]
SECTIONS = ("identity", "echo", "from_headers", "accumulate", "touch", "ordered")


@dataclass(frozen=True)
class Evidence:
    kind: Kind
    text: str  # the quote (stated) or why it is only inferred

    @property
    def stated(self) -> bool:
        return self.kind == "stated"


NO_EVIDENCE = Evidence("inferred", "the profile gives no evidence for it")


def entries(profile: OperationProfile) -> Iterator[str]:
    """The keys of an operation profile's checked entries, as the `evidence:` section names them."""
    for section in ("identity", "echo", "from_headers", "accumulate"):
        for field in getattr(profile, section):
            yield f"{section}.{field}"
    for field in profile.touch:
        yield f"touch.{field}"
    for earlier, later in profile.ordered:
        yield ordered_key(earlier, later)


def ordered_key(earlier: str, later: str) -> str:
    return f"ordered.{earlier} <= {later}"


def load_evidence(source: str, document: Mapping[str, JSON]) -> dict[str, dict[str, Evidence]]:
    """The `evidence:` section of the profile file at `source`, by operation key then entry;
    a `stated` quote the document does not contain is downgraded to inferred."""
    if not source:
        return {}
    try:
        data = yaml.safe_load(Path(source).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(source, f"cannot read profile: {exc}") from exc
    section = data.get("evidence") or {} if isinstance(data, dict) else {}
    if not isinstance(section, dict):
        raise ProfileError(source, "must map operation keys to entries", "evidence")
    text = _normal(" ".join(_strings(document)))
    found: dict[str, dict[str, Evidence]] = {}
    for operation, items in section.items():
        where = f"evidence.{operation}"
        if not isinstance(items, dict):
            raise ProfileError(source, "must map entries to {stated: QUOTE} or {inferred: WHY}", where)
        found[str(operation)] = {str(key): _one(value, source, f"{where}.{key}", text) for key, value in items.items()}
    return found


def _one(value: JSON, source: str, where: str, document_text: str) -> Evidence:
    if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("stated", "inferred")):
        raise ProfileError(source, "must be {stated: QUOTE} or {inferred: WHY}", where)
    ((kind, text),) = value.items()
    if not isinstance(text, str) or not text.strip():
        raise ProfileError(source, f"{kind} needs its text", where)
    if kind == "stated" and _normal(text) not in document_text:
        return Evidence("inferred", f"the quote {text!r} is not in the document")
    return Evidence(kind, text.strip())


def check_entries(source: str, profile: OperationProfile, given: Mapping[str, Evidence], operation: str) -> None:
    """Evidence for an entry the profile does not have is a mistake (a typo would otherwise
    silently turn a stated expectation into an inferred one)."""
    known = set(entries(profile))
    for key in given:
        if key not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ProfileError(source, f"no such profile entry; entries: {listed}", f"evidence.{operation}.{key}")


def _strings(node: JSON) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()
