"""The request oracle locates what is wrong with a request, FastAPI-style."""

from __future__ import annotations

import pytest

from tests.contracts.helpers import exchange, run_of

OMI = "/v1/dev/user/conversations/c1"
OPENHANDS = "/api/conversations/c1"


@pytest.mark.parametrize(
    ("api", "path", "body", "expected"),
    [
        ("omi", OMI, {"title": "Weekly sync"}, []),
        ("omi", OMI, {"title": None, "discarded": True}, []),
        ("omi", OMI, {"title": "x" * 501}, [("body", "title")]),
        ("omi", OMI, {"title": ""}, [("body", "title")]),
        ("omi", OMI, ["title"], [("body",)]),
        ("openhands", OPENHANDS, {"title": "ok", "extra": 1}, [("body", "extra")]),
        ("openhands", OPENHANDS, {}, [("body", "title")]),
        ("mielto", "/api/v1/conversations/c1", {"ended_at": "yesterday"}, [("body", "ended_at")]),
        ("datagrid", "/conversations/c1", {"agent_ids": "a1"}, [("body", "agent_ids")]),
    ],
)
def test_problems_name_the_offending_field(api: str, path: str, body: object, expected: list[tuple[str, ...]]) -> None:
    assert exchange(run_of(api), path, body=body).problems() == expected


def test_a_missing_or_broken_body_is_a_body_problem() -> None:
    omi = run_of("omi")
    assert exchange(omi, OMI, raw=b"").problems() == [("body",)]
    assert exchange(omi, OMI, raw=b'{"title": ').problems() == [("body",)]
    assert exchange(omi, OMI, raw=b'{"title": NaN}').problems() == [("body",)]
