"""Checks on refusals: what a rejection says, and whether credentials are honoured.

validation_error_detail  a 400 or 422 says what is wrong. FastAPI's rule where FastAPI's shape
                         is due: a 422 of an operation that declares HTTPValidationError for
                         422, or a 422 whose body has a `detail` key, has a non-empty `detail`
                         list of `{loc, msg, type}` and some `loc` names the offending field
                         (as judged by `oracle`). Any other 400/422 (e.g. Datagrid's, which
                         declares no error answer at all: its own `{"error", "message"}` shape
                         is as good as FastAPI's) must only carry a message: a body with some
                         non-blank text in it.
credentials_honoured     a correctly authenticated request is not refused (401, or 403
                         for an id the suite did not make up); a request without valid
                         credentials for a secured operation is not accepted (2xx)
"""

from __future__ import annotations

from contracts.check import ContractCheck, registered
from contracts.exchange import NOT_JSON, Exchange
from contracts.types import JSON, Loc
from contracts.violation import exercised, fail


@registered("validation_error_detail")
class ValidationErrorDetail(ContractCheck):
    def judge(self, exchange: Exchange) -> None:
        judge_rejection(exchange)


def judge_rejection(exchange: Exchange) -> None:
    """`validation_error_detail` on one exchange (see the module's docstring)."""
    if exchange.status not in (400, 422):
        return
    exercised("validation_error_detail", exchange)
    body = exchange.body()
    if exchange.status == 422 and (exchange.operation.fastapi_422 or (isinstance(body, dict) and "detail" in body)):
        _fastapi_detail(exchange, body)
    elif not _says_something(body if body is not NOT_JSON else exchange.content.decode("utf-8", "replace")):
        fail(
            "validation_error_detail",
            exchange,
            f"Unhelpful {exchange.status}",
            f"The rejection carries no message: {exchange.content[:300]!r}",
        )


def _fastapi_detail(exchange: Exchange, body: JSON) -> None:
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list) or not detail:
        fail("validation_error_detail", exchange, "Unhelpful 422", f"No non-empty `detail` list: {body!r}"[:400])
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


def _says_something(value: JSON) -> bool:
    """Whether a rejection body carries some text (a message, an error code...)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(_says_something(item) for item in value.values())
    if isinstance(value, list):
        return any(_says_something(item) for item in value)
    return False


def _names(loc: list[JSON], problem: Loc) -> bool:
    """Whether a FastAPI `loc` points at `problem` (its location, then its field, if any)."""
    if not loc or str(loc[0]).lower() != problem[0]:
        return False
    if len(problem) == 1:
        return True
    field = _normal(problem[1])
    return any(_normal(part) == field for part in loc[1:])


def _normal(part: JSON) -> str:
    return str(part).lower().replace("-", "_")


def _show(loc: Loc) -> str:
    return "/".join(map(str, loc))


@registered("credentials_honoured")
class CredentialsHonoured(ContractCheck):
    def judge(self, exchange: Exchange) -> None:
        judge_credentials(exchange)


def judge_credentials(exchange: Exchange) -> None:
    """`credentials_honoured` on one exchange (see the module's docstring)."""
    authenticated = exchange.authenticated()
    if authenticated is None:
        return
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
