"""An independent reading of an OpenAPI document, to check the mock's answers against.

The mock loads specs with its own loader and validates with `jsonschema_rs`. This module
shares none of that: it parses the YAML itself, resolves `$ref`s with `referencing` and
validates with the pure-Python `jsonschema` (Draft 2020-12, formats checked), so a bug in
the mock's loader, adapter or validator cannot hide itself by being applied twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:test:openapi"

# The FastAPI shape the issue asks for where a spec declares no error answer (Datagrid).
FASTAPI_VALIDATION_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        }
    },
}

# What the mock answers where a spec declares nothing: `{"detail": "..."}`.
PLAIN_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "minLength": 1}},
}


_LEAP_SECOND = re.compile(r"(.+[Tt]\d\d:\d\d):60(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time, leap seconds included (as in the JSON Schema test suite: 23:59:60
    in UTC is valid, :60 in any other minute is not); `rfc3339-validator` refuses them all."""
    if not isinstance(value, str):
        return True
    if DATE_TIME_CHECKER.conforms(value, "date-time"):
        return True
    leap = _LEAP_SECOND.fullmatch(value)
    if leap is None:
        return False
    earlier = f"{leap[1]}:59{leap[2] or ''}{leap[3]}"
    if not DATE_TIME_CHECKER.conforms(earlier, "date-time"):
        return False
    moment = datetime.fromisoformat(earlier.upper()).astimezone(UTC)
    return (moment.hour, moment.minute) == (23, 59)


DATE_TIME_CHECKER = FormatChecker(["date-time"])
FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checks("date-time")(_is_date_time)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _no_nullable(node: Any) -> bool:
    if isinstance(node, dict):
        return "nullable" not in node and all(_no_nullable(v) for v in node.values())
    if isinstance(node, list):
        return all(_no_nullable(v) for v in node)
    return True


@dataclass(frozen=True)
class DeclaredResponse:
    status: str
    validator: Draft202012Validator | None  # None: no JSON body declared

    def errors(self, body: Any) -> list[str]:
        if self.validator is None:
            return []
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in self.validator.iter_errors(body)
        ]


class SpecOracle:
    """What one OpenAPI document declares, read without any of the mock's code."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        version = str(self.document["openapi"])
        # The mock normalises 3.0 `nullable`; this oracle does not, so it must not meet one.
        assert version.startswith("3.1") or _no_nullable(self.document), f"{path}: 3.0 nullable not supported here"
        resource = DRAFT202012.create_resource(self.document)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._resolver = self.registry.resolver(base_uri=SPEC_URI)

    def _validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{SPEC_URI}#{pointer}"},
            registry=self.registry,
            format_checker=FORMAT_CHECKER,
        )

    def _deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            assert ref.startswith("#/"), ref
            pointer = ref[1:]
            node = self._resolver.lookup(ref).contents
        return node, pointer

    def _operation(self, method: str, path: str) -> tuple[dict[str, Any], str]:
        operation = self.document["paths"][path][method.lower()]
        return operation, f"/paths/{_escape(path)}/{method.lower()}"

    def operations(self) -> list[tuple[str, str]]:
        methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
        return [(m.upper(), p) for p, item in self.document["paths"].items() for m in methods if m in item]

    def declared_statuses(self, method: str, path: str) -> list[str]:
        operation, _ = self._operation(method, path)
        return [str(s) for s in operation.get("responses", {})]

    def response(self, method: str, path: str, status: int) -> DeclaredResponse | None:
        """The declared response for `status` (exact, then `4XX`, then `default`), if any."""
        operation, pointer = self._operation(method, path)
        responses = {str(k): v for k, v in operation.get("responses", {}).items()}
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                break
        else:
            return None
        node, where = self._deref(responses[key], f"{pointer}/responses/{_escape(key)}")
        content = node.get("content") or {}
        if "application/json" not in content or "schema" not in content["application/json"]:
            return DeclaredResponse(key, None)
        return DeclaredResponse(key, self._validator(f"{where}/content/application~1json/schema"))

    def request_body_validator(self, method: str, path: str) -> Draft202012Validator:
        operation, pointer = self._operation(method, path)
        node, where = self._deref(operation["requestBody"], f"{pointer}/requestBody")
        assert "application/json" in node["content"]
        return self._validator(f"{where}/content/application~1json/schema")

    def request_body_properties(self, method: str, path: str) -> list[str]:
        operation, pointer = self._operation(method, path)
        node, where = self._deref(operation["requestBody"], f"{pointer}/requestBody")
        schema, _ = self._deref(node["content"]["application/json"]["schema"], where)
        return list(schema.get("properties", {}))

    def request_body_required(self, method: str, path: str) -> bool:
        operation, pointer = self._operation(method, path)
        node, _ = self._deref(operation["requestBody"], f"{pointer}/requestBody")
        return bool(node.get("required", False))


def strict_json(raw: bytes) -> Any:
    """Decode like a strict JSON parser: UTF-8 only, no NaN/Infinity, no out-of-range numbers."""

    def reject(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    value = json.loads(raw.decode("utf-8"), parse_constant=reject)
    if _has_non_finite(value):
        raise ValueError("number out of range")
    return value


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


def has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False
