"""Live-target safety: a request with a method the spec does not declare never reaches a
resource the suite was given.

Schemathesis' coverage phase sends every undeclared method (DELETE, POST, PUT, GET, TRACE...)
to the operation's path to check for 405 (`unsupported_method`). Against a real deployment
that does implement, say, DELETE for that path, the --path-param id would be deleted. So on a
live target those requests address the run's made-up id instead (it cannot name an existing
resource); a faithful deployment answers 405 whatever the id. `undeclared_method_guard` is a
`map_case` hook the runner registers on the run's schema: Schemathesis applies it to every
generated case after the configured path parameters, before the case is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from schemathesis import HookContext

from contracts.types import Case

if TYPE_CHECKING:
    from contracts.run import ContractRun


def undeclared_method_guard(run: ContractRun) -> Callable[[HookContext, Case], Case]:
    """The `map_case` hook of `run`: a --path-param id in a case of an undeclared method
    becomes the run's made-up id."""

    def map_case(context: HookContext, case: Case) -> Case:
        if str(case.method).upper() == str(case.operation.method).upper():
            return case
        parameters = case.path_parameters or {}
        for name, value in list(parameters.items()):
            if run.contract.path_params.get(name) == value:
                parameters[name] = run.fresh_id_for(name)
        return case

    return map_case
