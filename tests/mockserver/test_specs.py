"""The five specs: each a valid OpenAPI document, and library-chat's reconstruction says what
issue 2 asks of it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.mockserver.seed_apis import API_NAMES, SPECS

SPEC_FILES = sorted(SPECS.glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_specs_directory_holds_the_five_apis() -> None:
    assert [p.stem for p in SPEC_FILES] == API_NAMES


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.stem for p in SPEC_FILES])
def test_spec_is_a_valid_openapi_document(path: Path) -> None:
    validate(_load(path))


def test_the_validator_rejects_a_broken_document() -> None:
    """Guards the test above against a validator that accepts anything."""
    broken = _load(SPECS / "omi.yaml")
    broken["paths"]["/v1/dev/user/conversations/{conversation_id}"]["patch"]["responses"] = "nope"
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_library_chat_reconstruction() -> None:
    document = _load(SPECS / "library-chat.yaml")
    assert document["openapi"].startswith("3.1")
    operation = document["paths"]["/api/conversations/{conversation_id}"]["patch"]
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [("conversation_id", "path", True)]
    assert set(operation["responses"]) == {"200", "422"}
    schemas = document["components"]["schemas"]
    request = schemas["UpdateConversationRequest"]
    assert request["required"] == ["title"]
    assert request["properties"]["title"]["minLength"] == 1
    assert {"Conversation", "Message", "Source", "HTTPValidationError", "ValidationError"} <= set(schemas)
    conversation = schemas["Conversation"]
    assert set(conversation["required"]) == {"created_at", "id", "messages", "title", "updated_at"}
    assert conversation["properties"]["created_at"]["format"] == "date-time"
    assert conversation["properties"]["messages"]["items"] == {"$ref": "#/components/schemas/Message"}
    message = schemas["Message"]["properties"]
    assert message["timestamp"]["format"] == "date-time"
    # Example values on the page are examples, not enums.
    for schema in (message["role"], message["answer_origin"], message["question_type"]):
        assert "enum" not in schema
    assert "enum" not in schemas["Source"]["properties"]["source_type"]


SEEDS = SPECS.parent.parent / "shared" / "seeds"
VENDOR_SPECS = {"000": "mielto", "001": "openhands", "003": "omi", "004": "datagrid"}


@pytest.mark.parametrize(("seed", "name"), sorted(VENDOR_SPECS.items()), ids=sorted(VENDOR_SPECS.values()))
def test_vendor_spec_is_byte_for_byte_the_seed(seed: str, name: str) -> None:
    pages = sorted(SEEDS.glob(f"{seed}_*.txt"))
    if not pages:
        pytest.skip(f"seed {seed} is not available beside the repository ({SEEDS})")
    found = re.search(r"^````yaml[^\n]*\n(.*?)^````", pages[0].read_text(encoding="utf-8"), re.S | re.M)
    assert found is not None, f"no yaml fence in {pages[0]}"
    assert (SPECS / f"{name}.yaml").read_text(encoding="utf-8") == found.group(1)
