"""OpenAPI 3.0 -> 3.1 schema normalisation, done once at load time.

The rest of the package sees one dialect (3.1, i.e. JSON Schema 2020-12): `nullable`
becomes a `null` type, boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers and
`example` becomes `examples` (in 3.1 documents too, where published documents still use them).
"""

from typing import Any

SOFT_NULL = "x-mock-soft-null"
# Set by the loader on each branch of a discriminated union: [property, the branch's value].
DISCRIMINATOR = "x-mock-discriminator"


def normalise_document(document: dict[str, Any]) -> dict[str, Any]:
    """Return `document` in the 3.1 dialect, as a new object. 3.1 documents go through the
    same walk: published ones still use `nullable` and boolean exclusive bounds, which
    Schemathesis and Prism honour too."""
    return _walk(document, not str(document.get("openapi", "")).startswith("3.0"))  # type: ignore[no-any-return]


def _walk(node: Any, soft: bool) -> Any:
    if isinstance(node, list):
        return [_walk(item, soft) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _walk(value, soft) for key, value in node.items()}
    if out.pop("nullable", False) is True:
        typed = "type" in out or "enum" in out  # beside a $ref, 3.0 ignores it
        _make_nullable(out)
        # 3.0.3: without a `type`, `nullable` adds nothing, though published documents mean null.
        if soft or not typed:
            # `nullable` means nothing in 3.1: null is accepted in requests (as Schemathesis
            # and Prism read it) but never generated, so answers hold under either reading.
            out[SOFT_NULL] = True
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if out.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif out.get(exclusive) is False:
            del out[exclusive]
    if "example" in out and "examples" not in out and _looks_like_schema(out):
        out["examples"] = [out.pop("example")]
    return out


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
