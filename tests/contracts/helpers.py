"""Building blocks for unit tests of the suite's modules: a compiled contract, a run of it
and a hand-made exchange, no server involved."""

from __future__ import annotations

import json
from typing import Any

from contracts.contract import ApiContract, compile_contract
from contracts.exchange import Exchange, sent_path_parameters
from contracts.report import ApiReport
from contracts.run import ContractRun, Transport
from contracts.sent import SentRequest
from mockserver.app import DEFAULT_SPECS

TOKEN = "secret-token-123"


def contract(api: str, *, live: bool = False, path_params: dict[str, str] | None = None) -> ApiContract:
    return compile_contract(DEFAULT_SPECS / f"{api}.yaml", TOKEN, live=live, path_params=path_params or {})


def run_of(api: str, *, live: bool = False, path_params: dict[str, str] | None = None) -> ContractRun:
    """A fresh run of `api`'s contract (nothing sent yet)."""
    api_contract = contract(api, live=live, path_params=path_params)
    return ContractRun(api_contract, ApiReport(api=api_contract.api), Transport(None, {}, 10.0))


def exchange(
    run: ContractRun,
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
    api_contract = run.contract
    (operation,) = api_contract.operations.values()
    sent = {"content-type": "application/json", **(headers or {})}
    if authenticated:
        sent.update(api_contract.credentials.headers_for(operation.compiled))
    url = f"http://api.test{path}"
    content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    request = SentRequest(operation.compiled.method, url, sent, {}, content)
    return Exchange(
        run=run,
        operation=operation,
        request=request,
        path_params=sent_path_parameters(operation.compiled.path, url),
        status=status,
        content_type="application/json",
        content=b"" if answer is None else json.dumps(answer).encode(),
    )
