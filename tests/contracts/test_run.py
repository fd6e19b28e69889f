"""How the suite's checks find their run: through their instance, never a module global."""

from __future__ import annotations

import schemathesis
from schemathesis.checks import RunChecks

from contracts.check import ContractCheck
from contracts.checks import registered_checks
from mockserver import create_app
from mockserver.app import DEFAULT_SPECS, ServerConfig
from tests.contracts.helpers import run_of


def test_each_check_instance_holds_the_run_its_section_names() -> None:
    first, second = run_of("omi"), run_of("datagrid")
    assert registered_checks() >= {"resource_identity", "update_applied", "credentials_honoured"}
    for run in (first, second):
        config = schemathesis.Config.from_dict({"checks": run.check_sections(registered_checks())})
        built = RunChecks.from_registry(config.projects.default.checks_config_for())
        ours = {name: check for name, check in built.instances.items() if isinstance(check, ContractCheck)}
        assert set(ours) == registered_checks()
        assert all(check.run is run for check in ours.values())


def test_another_schemathesis_run_in_this_process_is_left_alone() -> None:
    # Our check classes are registered for every Schemathesis run of the process; one that is
    # not the suite's (no run in its configuration) gets instances that check nothing.
    schema = schemathesis.openapi.from_path(str(DEFAULT_SPECS / "omi.yaml"))
    schema.app = create_app([DEFAULT_SPECS / "omi.yaml"], ServerConfig(tokens=frozenset({"t"}), log_requests=False))
    operation = schema.find_operation_by_label("PATCH /v1/dev/user/conversations/{conversation_id}")
    assert operation is not None
    case = operation.Case(
        path_parameters={"conversation_id": "c1"},
        headers={"Authorization": "Bearer t"},
        body={"title": "Weekly sync"},
        media_type="application/json",
    )
    response = case.call()
    assert response.status_code == 200
    case.validate_response(response)  # no failure, no error from our checks
    instances = RunChecks.from_registry(schema.config.checks_config_for()).instances
    assert all(check.run is None for check in instances.values() if isinstance(check, ContractCheck))
