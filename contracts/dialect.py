"""How the oracle reads a document: parsing, OpenAPI 3.0 as 3.0 defines it, and formats.

Written apart from the mock's loader and adapter on purpose (see `oracle`). The rules:

- YAML timestamps stay text (a date in a JSON Schema document is a string); `.json` files
  are JSON.
- OpenAPI 3.0: `nullable: true` adds null to the types "only if type is explicitly defined
  within the same Schema Object" (3.0.3), so to `type` and to an `enum` beside it; a `$ref`'s
  siblings are ignored; boolean `exclusiveMinimum`/`exclusiveMaximum` turn their bound
  exclusive. 3.1 documents are JSON Schema 2020-12 as written (`nullable` means nothing),
  except boolean exclusive bounds, which only mean the 3.0 thing wherever they appear.
- Formats are checked (`jsonschema`'s checkers); `date-time` admits leap seconds, as the
  JSON Schema test suite does (23:59:60 in UTC, never :60 in any other minute).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import yaml
from jsonschema import FormatChecker  # type: ignore[import-untyped]

from contracts.types import JSON

# Values that are data, not schemas: never rewritten.
_DATA = frozenset({"example", "examples", "default", "enum", "const"})
# Maps whose keys are names (a property called "default" is a schema all the same).
_NAMED = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "schemas", "paths"})
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """YAML's safe loader without the timestamp type."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_document(path: Path) -> dict[str, JSON]:
    """A document or a file it refers to, parsed."""
    text = path.read_text(encoding="utf-8")
    value = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_Loader)
    if not isinstance(value, dict):
        raise ValueError(f"{path}: not a mapping")
    return value


def as_31(document: dict[str, JSON], version: str) -> dict[str, JSON]:
    """`document` with the rules above applied, as a new object."""
    result: dict[str, JSON] = _walk(document, version.startswith("3.0"))
    return result


def _walk(node: JSON, v30: bool) -> JSON:
    if isinstance(node, list):
        return [_walk(item, v30) for item in node]
    if not isinstance(node, dict):
        return node
    if v30 and isinstance(node.get("$ref"), str):
        return {"$ref": node["$ref"]}
    out: dict[str, JSON] = {}
    for key, value in node.items():
        if key in _NAMED and isinstance(value, dict):
            out[key] = {name: _walk(item, v30) for name, item in value.items()}
        elif key in _DATA or str(key).startswith("x-"):
            out[key] = value
        else:
            out[key] = _walk(value, v30)
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool) and out.pop(bound) and limit in out:
            out[bound] = out.pop(limit)
    if v30 and isinstance(out.get("nullable"), bool) and out.pop("nullable") and "type" in out:
        kind = out["type"]
        kinds = [kind] if isinstance(kind, str) else list(kind) if isinstance(kind, list) else []
        out["type"] = [*kinds, "null"] if "null" not in kinds else kinds
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


_LEAP_SECOND = re.compile(r"(.+[Tt]\d\d:\d\d):60(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
_DATE_TIME = FormatChecker(["date-time"])


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if _DATE_TIME.conforms(value, "date-time"):
        return True
    leap = _LEAP_SECOND.fullmatch(value)
    if leap is None:
        return False
    earlier = f"{leap[1]}:59{leap[2] or ''}{leap[3]}"
    if not _DATE_TIME.conforms(earlier, "date-time"):
        return False
    moment = datetime.fromisoformat(earlier.upper()).astimezone(UTC)
    return (moment.hour, moment.minute) == (23, 59)


FORMATS = FormatChecker()
FORMATS.checks("date-time")(_is_date_time)
