"""How our checks plug into Schemathesis: one registered class per check, an instance per run.

Schemathesis 4 registers a check class with `schemathesis.check` under the class's
`__name__`, and builds one instance of it per run (`RunChecks.from_registry`), passing the
keys of the configuration section `checks.<name>` to `__init__`. The runner puts the run's
`ContractRun` in that section (`ContractRun.check_sections`), so every instance holds the run
it checks for; nothing is looked up in a module global. An instance built for another
Schemathesis run in the same process (no `run` in its section) checks nothing.

Schemathesis calls `after_response` for every response, under a lock of the instance (so
with `--workers` each check still sees one response at a time); `judge` is the check itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import schemathesis
from schemathesis import CheckContext, Response

from contracts.types import Case

if TYPE_CHECKING:
    from contracts.exchange import Exchange
    from contracts.run import ContractRun


class ContractCheck:
    """A check of ours on every response of the run's contract."""

    def __init__(self, run: ContractRun | None = None) -> None:
        self.run = run

    def after_response(self, ctx: CheckContext, response: Response, case: Case) -> bool | None:
        exchange = self.run.exchange(case, response) if self.run is not None else None
        if exchange is not None:
            self.judge(exchange)
        return None

    def judge(self, exchange: Exchange) -> None:
        """Raise a `ContractViolation` when `exchange` breaks the contract."""
        raise NotImplementedError


C = TypeVar("C", bound=type[ContractCheck])


def registered(name: str) -> Callable[[C], C]:
    """Register the decorated class as Schemathesis check `name` (its `__name__` is the name
    Schemathesis reports and `--checks` selects)."""

    def register(cls: C) -> C:
        cls.__name__ = cls.__qualname__ = name
        return schemathesis.check(cls)

    return register
