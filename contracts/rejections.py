"""Checks on refusals: what a rejection says, and whether credentials are honoured.

validation_error_detail  a 422 has a non-empty FastAPI `detail` whose `loc` names the
                         offending field (as judged by `oracle`)
credentials_honoured     a correctly authenticated request is not refused (401, or 403
                         for an id the suite did not make up); a request without valid
                         credentials for a secured operation is not accepted (2xx)
"""

from __future__ import annotations

from typing import Any

import schemathesis

from contracts.exchange import exchange_for
from contracts.violation import exercised, fail
from mockserver.types import Loc


@schemathesis.check
def validation_error_detail(ctx: Any, response: Any, case: Any) -> bool | None:
    exchange = exchange_for(case, response)
    if exchange is None or exchange.status != 422:
        return None
    exercised("validation_error_detail", exchange)
    body = exchange.body()
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list) or not detail:
        fail("validation_error_detail", exchange, "Unhelpful 422", f"No non-empty `detail` list: {body!r}"[:400])
    assert isinstance(detail, list)
    for item in detail:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("loc"), list)
            and item["loc"]
            and isinstance(item.get("msg"), str)
            and isinstance(item.get("type"), str)
        ):
            fail("validation_error_detail", exchange, "Unhelpful 422", f"Malformed `detail` item: {item!r}"[:400])
    problems = exchange.problems()
    if problems and not any(_names(item["loc"], problem) for item in detail for problem in problems):
        fail(
            "validation_error_detail",
            exchange,
            "422 does not name the offending field",
            f"The request is wrong at {', '.join(map(_show, problems))}; the 422 locations are "
            f"{', '.join(_show(tuple(item['loc'])) for item in detail)}",
        )
    return None


def _names(loc: list[Any], problem: Loc) -> bool:
    """Whether a FastAPI `loc` points at `problem` (its location, then its field, if any)."""
    if not loc or str(loc[0]).lower() != problem[0]:
        return False
    if len(problem) == 1:
        return True
    field = _normal(problem[1])
    return any(_normal(part) == field for part in loc[1:])


def _normal(part: Any) -> str:
    return str(part).lower().replace("-", "_")


def _show(loc: Loc) -> str:
    return "/".join(map(str, loc))


@schemathesis.check
def credentials_honoured(ctx: Any, response: Any, case: Any) -> bool | None:
    exchange = exchange_for(case, response)
    if exchange is None:
        return None
    authenticated = exchange.authenticated()
    if authenticated is None:
        return None
    exercised("credentials_honoured", exchange)
    if authenticated and (exchange.status == 401 or (exchange.status == 403 and not exchange.addresses_fresh_id())):
        fail(
            "credentials_honoured",
            exchange,
            "Valid credentials refused",
            f"The request carried the configured credentials and was answered {exchange.status}",
        )
    if not authenticated and exchange.ok:
        fail(
            "credentials_honoured",
            exchange,
            "Request without valid credentials accepted",
            f"The request lacked valid credentials for a secured operation and was answered {exchange.status}",
        )
    return None
