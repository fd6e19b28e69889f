"""Building blocks for unit tests of the suite's modules: a compiled contract and a
hand-made exchange, no server involved."""

from __future__ import annotations

import json
from typing import Any

from contracts.contract import ApiContract, compile_contract
from contracts.exchange import Exchange, sent_path_parameters
from contracts.oracle import SentRequest
from mockserver.app import DEFAULT_SPECS

TOKEN = "secret-token-123"


def contract(api: str, *, live: bool = False, path_params: dict[str, str] | None = None) -> ApiContract:
    return compile_contract(DEFAULT_SPECS / f"{api}.yaml", TOKEN, live=live, path_params=path_params or {})


def exchange(
    api_contract: ApiContract,
    path: str,
    *,
    body: Any = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    status: int = 200,
    answer: Any = None,
    authenticated: bool = True,
) -> Exchange:
    """A PATCH/PUT of `path` (an already filled-in URL path) with its answer."""
    (operation,) = api_contract.operations.values()
    sent = {"content-type": "application/json", **(headers or {})}
    if authenticated:
        sent.update(api_contract.credentials.headers_for(operation.compiled))
    url = f"http://api.test{path}"
    content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    request = SentRequest(operation.compiled.method, url, sent, {}, content)
    return Exchange(
        contract=api_contract,
        operation=operation,
        request=request,
        path_params=sent_path_parameters(operation.compiled.path, url),
        status=status,
        content_type="application/json",
        content=b"" if answer is None else json.dumps(answer).encode(),
    )
