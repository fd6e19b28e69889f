"""Made-up ids for a live target's path parameters: of the parameter's type, so that a correct
deployment can only answer 404 for them (a string id in an integer path would earn a right 422,
which the suite would then call a rejection of valid data)."""

from __future__ import annotations

import uuid
from pathlib import Path

import jsonschema
import pytest

from contracts.contract import FRESH_ID_PREFIX, compile_contract, fresh_id_of

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer"},
        {"type": "integer", "format": "int32"},
        {"type": "integer", "format": "int64", "minimum": 1},
        {"type": "integer", "minimum": 1, "maximum": 10},
        {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 5},
        {"type": ["integer", "null"], "maximum": 99},
    ],
)
def test_an_integer_parameter_gets_an_integer_its_schema_admits(schema: dict[str, object]) -> None:
    made_up = fresh_id_of(schema)
    value = int(made_up)
    jsonschema.validate(value, {k: v for k, v in schema.items() if k != "format"})
    if schema.get("format") == "int32":
        assert value < 2**31


def test_a_uuid_parameter_gets_a_uuid_and_anything_else_the_marked_string() -> None:
    assert uuid.UUID(fresh_id_of({"type": "string", "format": "uuid"}))
    for schema in ({"type": "string"}, {}, {"type": "string", "pattern": "^[a-z]+$"}, True):
        assert fresh_id_of(schema).startswith(FRESH_ID_PREFIX)


def test_a_live_contract_addresses_petstores_integer_id_with_an_integer_it_knows_as_made_up() -> None:
    contract = compile_contract(CORPUS / "petstore-expanded.yaml", "T", live=True, path_params={})
    made_up = contract.fresh_ids["id"]
    assert int(made_up) > 10**6  # far from the ids a store hands out first
    assert contract.is_fresh_id(made_up) and not contract.is_fresh_id("1")
    assert contract.fresh_id_for("id") == made_up
