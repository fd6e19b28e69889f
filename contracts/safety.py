"""Live-target safety: a request with a method the spec does not declare never reaches a
resource the suite was given.

Schemathesis' coverage phase sends every undeclared method (DELETE, POST, PUT, GET, TRACE...)
to the operation's path to check for 405 (`unsupported_method`). Against a real deployment
that does implement, say, DELETE for that path, the --path-param id would be deleted. So on a
live target those requests address the run's made-up id instead (it cannot name an existing
resource); a faithful deployment answers 405 whatever the id.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from contracts.contract import contract_for, fresh_id


@schemathesis.hook("before_call")
def keep_given_ids_out_of_undeclared_methods(context: Any, case: Any, kwargs: Any) -> None:
    contract = contract_for(case.operation.schema)
    if contract is None or not contract.live or str(case.method).upper() == str(case.operation.method).upper():
        return
    parameters = case.path_parameters or {}
    for name, value in list(parameters.items()):
        if contract.path_params.get(name) == value:
            parameters[name] = contract.fresh_ids.setdefault(name, fresh_id())
