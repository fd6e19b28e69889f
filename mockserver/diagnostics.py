"""Request problems as data: `Violation`, and the translation of JSON Schema errors into
the FastAPI/pydantic vocabulary (`loc`, `msg`, `type`) that the seed APIs answer with.

Validators return diagnostics; they never raise. The translation is truthful: every
`Violation` names the exact location and the constraint that failed, in pydantic v2 terms
(`missing`, `string_type`, `string_too_long`, `extra_forbidden`, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mockserver.types import JSON, Loc

_NO_INPUT: Any = object()


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem with a request, located FastAPI-style."""

    loc: Loc
    msg: str
    type: str
    input: JSON = _NO_INPUT

    def as_fastapi(self) -> dict[str, JSON]:
        item: dict[str, JSON] = {"type": self.type, "loc": list(self.loc), "msg": self.msg}
        if self.input is not _NO_INPUT:
            item["input"] = self.input
        return item


_TYPE_WORDS = {
    "string": ("string_type", "Input should be a valid string"),
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "object": ("dict_type", "Input should be a valid dictionary"),
    "null": ("none_required", "Input should be None"),
}
_MODEL_TYPE = (
    "model_attributes_type",
    "Input should be a valid dictionary or object to extract fields from",
)


def translate(errors: Iterable[Any], prefix: Loc) -> list[Violation]:
    """Translate `jsonschema_rs` validation errors into violations under `prefix`."""
    out: list[Violation] = []
    for error in errors:
        out.extend(_translate_one(error, prefix))
    seen: set[tuple[Loc, str]] = set()
    unique = []
    for violation in out:
        key = (violation.loc, violation.type)
        if key not in seen:
            seen.add(key)
            unique.append(violation)
    return unique


def _translate_one(error: Any, prefix: Loc) -> list[Violation]:
    kind = error.kind
    name = type(kind).__name__
    loc: Loc = (*prefix, *error.instance_path)
    value = error.instance
    if name in ("AnyOf", "OneOfNotValid"):
        return _translate_union(kind.context, prefix)
    if name == "Required":
        return [Violation((*loc, kind.property), "Field required", "missing", value)]
    if name == "AdditionalProperties":
        return [
            Violation((*loc, key), "Extra inputs are not permitted", "extra_forbidden", value[key])
            for key in kind.unexpected
        ]
    if name == "Type":
        types = [t for t in _type_names(kind) if t != "null"] or ["null"]
        if types[0] == "object" and len(loc) == len(prefix):
            kind_name, msg = _MODEL_TYPE
        else:
            kind_name, msg = _TYPE_WORDS.get(types[0], ("type_error", f"Input should be {types[0]}"))
        return [Violation(loc, msg, kind_name, value)]
    kind_name, msg = _constraint_words(name, kind, value)
    return [Violation(loc, msg, kind_name, value)]


def _type_names(kind: Any) -> list[str]:
    types = kind.as_dict().get("types")
    if isinstance(types, str):
        return [types]
    return [str(t) for t in types or []]


def _translate_union(branches: list[list[Any]], prefix: Loc) -> list[Violation]:
    # pydantic reports Optional[X] as plain X: drop the branch that only wanted null.
    meaningful = [b for b in branches if not _only_wants_null(b)]
    if len(meaningful) == 1:
        return translate(meaningful[0], prefix)
    out: list[Violation] = []
    for index, branch in enumerate(meaningful):
        label = _branch_label(branch, index)
        for violation in translate(branch, prefix):
            depth = len(prefix) + _common_depth(branch)
            loc = (*violation.loc[:depth], label, *violation.loc[depth:])
            out.append(Violation(loc, violation.msg, violation.type, violation.input))
    return out


def _only_wants_null(branch: list[Any]) -> bool:
    return len(branch) == 1 and type(branch[0].kind).__name__ == "Type" and _type_names(branch[0].kind) == ["null"]


def _branch_label(branch: list[Any], index: int) -> str:
    for error in branch:
        if type(error.kind).__name__ == "Type":
            return "|".join(_type_names(error.kind))
    return f"anyOf[{index}]"


def _common_depth(branch: list[Any]) -> int:
    return min((len(error.instance_path) for error in branch), default=0)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _constraint_words(name: str, kind: Any, value: JSON) -> tuple[str, str]:
    detail = kind.as_dict()
    limit = detail.get("limit")
    size = len(value) if isinstance(value, list | str | dict) else 0
    table: dict[str, tuple[str, str]] = {
        "MinLength": ("string_too_short", f"String should have at least {_plural(limit or 0, 'character')}"),
        "MaxLength": ("string_too_long", f"String should have at most {_plural(limit or 0, 'character')}"),
        "MinItems": (
            "too_short",
            f"List should have at least {_plural(limit or 0, 'item')} after validation, not {size}",
        ),
        "MaxItems": (
            "too_long",
            f"List should have at most {_plural(limit or 0, 'item')} after validation, not {size}",
        ),
        "MinProperties": ("too_short", f"Dictionary should have at least {_plural(limit or 0, 'item')}, not {size}"),
        "MaxProperties": ("too_long", f"Dictionary should have at most {_plural(limit or 0, 'item')}, not {size}"),
        "Minimum": ("greater_than_equal", f"Input should be greater than or equal to {limit}"),
        "ExclusiveMinimum": ("greater_than", f"Input should be greater than {limit}"),
        "Maximum": ("less_than_equal", f"Input should be less than or equal to {limit}"),
        "ExclusiveMaximum": ("less_than", f"Input should be less than {limit}"),
        "MultipleOf": ("multiple_of", f"Input should be a multiple of {detail.get('multiple_of')}"),
        "Pattern": ("string_pattern_mismatch", f"String should match pattern '{detail.get('pattern')}'"),
        "UniqueItems": ("unique_items", "List should have unique items"),
        "Enum": ("enum", f"Input should be {_alternatives(detail.get('options') or [])}"),
        "Constant": ("literal_error", f"Input should be {_alternatives([detail.get('expected_value')])}"),
    }
    if name == "Format":
        fmt = detail.get("format")
        if fmt == "date-time":
            return "datetime_parsing", "Input should be a valid datetime in RFC 3339 format"
        if fmt == "date":
            return "date_parsing", "Input should be a valid date in the format YYYY-MM-DD"
        if fmt == "uuid":
            return "uuid_parsing", "Input should be a valid UUID"
        return "value_error", f"Input should be a valid {fmt}"
    return table.get(name, ("value_error", f"Value error, {name}"))


def _alternatives(options: list[JSON]) -> str:
    words = [repr(option) if isinstance(option, str) else str(option) for option in options]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]
