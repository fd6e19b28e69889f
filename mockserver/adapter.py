"""OpenAPI 3.0 -> 3.1 schema normalisation, done once at load time.

The rest of the package sees one dialect (3.1, i.e. JSON Schema 2020-12): `nullable`
becomes a `null` type, boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers and
`example` becomes `examples` (in 3.1 documents too, where published documents still use them).
What a published document gets wrong but can be served anyway (duplicate `required` entries,
3.0 keywords in a 3.1 document, formats no validator knows) is mended and noted, with its
place, through the caller's `note(message, place, detail)`.
"""

from collections.abc import Callable
from typing import Any

SOFT_NULL = "x-mock-soft-null"
# Set by the loader on each branch of a discriminated union: [property, the branch's value].
DISCRIMINATOR = "x-mock-discriminator"
Note = Callable[[str, str, str], None]  # (message, place, detail)
# Formats jsonschema_rs validates, and OpenAPI's own (which it accepts as they come); any other
# is accepted and not validated, as JSON Schema allows.
KNOWN_FORMATS = frozenset(
    (
        *("date", "date-time", "time", "duration", "email", "idn-email", "hostname", "idn-hostname"),
        *("ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uri-template"),
        *("json-pointer", "relative-json-pointer", "regex", "uuid"),
        *("int32", "int64", "float", "double", "byte", "binary", "password"),
    )
)


def _ignore(message: str, where: str, detail: str) -> None:
    pass


def normalise_document(document: dict[str, Any], note: Note = _ignore, fragment: str = "") -> dict[str, Any]:
    """Return `document` in the 3.1 dialect, as a new object. 3.1 documents go through the
    same walk: published ones still use `nullable` and boolean exclusive bounds, which
    Schemathesis and Prism honour too (each is noted). `fragment` names a file of schemas a
    document refers to, normalised in the document's version."""
    soft = not str(document.get("openapi", "")).startswith("3.0")
    return _walk(document, soft, (f"{fragment}#",) if fragment else (), note)  # type: ignore[no-any-return]


def _walk(node: Any, soft: bool, where: tuple[str, ...], note: Note) -> Any:
    if isinstance(node, list):
        return [_walk(item, soft, (*where, str(i)), note) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out = {key: _walk(value, soft, (*where, str(key)), note) for key, value in node.items()}
    schema = _in_schema(where)
    if schema:
        _mend(out, ".".join(where), note)
    if out.pop("nullable", False) is True:
        if soft:
            note("`nullable` is no 3.1 keyword; read as allowing null in requests, as 3.0 meant", ".".join(where), "")
        typed = "type" in out or "enum" in out  # beside a $ref, 3.0 ignores it
        _make_nullable(out)
        # 3.0.3: without a `type`, `nullable` adds nothing, though published documents mean null.
        if soft or not typed:
            # `nullable` means nothing in 3.1: null is accepted in requests (as Schemathesis
            # and Prism read it) but never generated, so answers hold under either reading.
            out[SOFT_NULL] = True
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = out.get(exclusive)
        if isinstance(flag, bool) and soft:
            note("a boolean exclusiveMinimum/Maximum is 3.0 style; read as 3.0 meant it", ".".join(where), "")
        if flag is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif isinstance(flag, bool):
            del out[exclusive]  # false, or true with no bound to make exclusive
    if "example" in out and "examples" not in out and _looks_like_schema(out):
        out["examples"] = [out.pop("example")]
    if schema and not soft and isinstance(out.get("$ref"), str) and len(out) > 1:
        out = {"$ref": out["$ref"]}  # 3.0: "properties added [next to a $ref] SHALL be ignored"
    return out


def _in_schema(where: tuple[str, ...]) -> bool:
    """Whether the node at `where` is (most likely) a schema: below a `schema` or `schemas`
    key, or in a file of schemas."""
    return "schema" in where or "schemas" in where or (bool(where) and where[0].endswith("#"))


def _mend(schema: dict[str, Any], where: str, note: Note) -> None:
    required = schema.get("required")
    if isinstance(required, list) and len(set(map(str, required))) < len(required):
        note("duplicate entries in `required` dropped", f"{where}.required", "")
        schema["required"] = list(dict.fromkeys(required))
    kind = schema.get("format")
    if isinstance(kind, str) and kind not in KNOWN_FORMATS and isinstance(schema.get("type"), str | list):
        note("formats the mock does not know are accepted, not validated", f"{where}.format", kind)


def _make_nullable(schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    # An `enum` keeps its values: null is allowed only where it lists null (OpenAPI 3.0.3's
    # clarification of `nullable`, which Schemathesis and openapi-schema-validator follow).
    if kind is None and "$ref" in schema:
        ref = schema.pop("$ref")
        schema["anyOf"] = [{"$ref": ref}, {"type": "null"}]
    elif kind is None and any(key in schema for key in ("allOf", "anyOf", "oneOf")) and "enum" not in schema:
        # `nullable` beside a composition: null, or whatever the composition allows.
        inner = {key: schema.pop(key) for key in ("allOf", "anyOf", "oneOf") if key in schema}
        schema["anyOf"] = [inner, {"type": "null"}]


def _looks_like_schema(node: dict[str, Any]) -> bool:
    return any(key in node for key in ("type", "properties", "items", "enum", "format"))


def flagged(schema: object, flag: str) -> bool:
    """Whether `schema` (or the non-null branch of a nullable union) has `flag` set, as in
    `{"anyOf": [{"type": "string", "writeOnly": true}, {"type": "null"}]}`."""
    if not isinstance(schema, dict):
        return False
    if schema.get(flag) is True:
        return True
    branches = [
        b for b in schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf") or [] if isinstance(b, dict)
    ]
    real = [b for b in branches if b.get("type") != "null"]
    return bool(real) and all(flagged(b, flag) for b in real)
