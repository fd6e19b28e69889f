"""Ids of created resources stay unique when the id field's generated values run out (the
Petstore's `username` draws from a pool of names), and no create overwrites another
resource. Schemathesis found it: every create past the pool answered 503."""

from __future__ import annotations

import httpx

from tests.mockserver.conftest import AppFactory
from tests.mockserver.seed_apis import BEARER, ROOT
from tests.servers import serve

PETSTORE = ROOT / "tests" / "corpus" / "swagger-petstore.yaml"
HEADERS = {**BEARER, "api_key": "T"}


def test_creates_number_their_ids_when_the_generated_ones_run_out(make_app: AppFactory) -> None:
    with serve(make_app([PETSTORE])) as url, httpx.Client(base_url=url, headers=HEADERS) as client:
        names = []
        for n in range(120):
            body = {"id": n, "username": "theUser", "firstName": f"user {n}"}
            answer = client.post("/api/v3/user", json=body)
            assert answer.status_code == 200, answer.text
            names.append(answer.json()["username"])
            if n == 60:  # a deletion shrinks the count the numbering starts from
                assert client.delete(f"/api/v3/user/{names[30]}").status_code == 200
        assert len(set(names)) == 120
        for n, name in enumerate(names):
            found = client.get(f"/__mock/state/swagger-petstore/user/{name}")
            assert found.status_code == (404 if n == 30 else 200)
            if n != 30:
                assert found.json()["firstName"] == f"user {n}"  # none overwritten by a later create
