"""Which checks run: Schemathesis' built-in ones, ours (registered as Schemathesis check
classes, see `check`) and the suite's own ones, chosen with `--checks` / `--exclude-checks`."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from schemathesis.checks import CHECKS, CheckClass, CheckFunction
from schemathesis.core.registries import Registry

# Our checks registered with Schemathesis that count their comparisons (`ApiReport.exercised`).
SEMANTIC_CHECKS = frozenset(
    {
        "resource_identity",
        "update_applied",
        "timestamps_coherent",
        "accumulate_invariant",
        "partial_update_kept",
        "validation_error_detail",
        "credentials_honoured",
        "create_read_back",
        "update_read_back",
        "list_shows_created",
        "delete_removes",
    }
)
# Checks the suite runs itself, outside Schemathesis' check registry.
SUITE_CHECKS = frozenset(
    {
        "unusual_input_accepted",
        "valid_requests_accepted",
        "request_timeout",
        # Across operations (`lifecycle`).
        "create_read_back",
        "update_read_back",
        "list_shows_created",
        "delete_removes",
    }
)


@cache
def known_checks() -> frozenset[str]:
    """Every check name `--checks` accepts."""
    return frozenset(_registry().get_all_names()) | SUITE_CHECKS


@cache
def registered_checks() -> frozenset[str]:
    """Our checks in Schemathesis' registry: the classes built on `check.ContractCheck`."""
    from contracts.check import ContractCheck

    registry = _registry()
    return frozenset(
        name
        for name in registry.get_all_names()
        if isinstance(item := registry.get_one(name), type) and issubclass(item, ContractCheck)
    )


def _registry() -> Registry[CheckFunction | CheckClass]:
    import schemathesis.specs.openapi.checks  # noqa: F401  (registers the built-in checks)

    import contracts.rejections
    import contracts.semantics  # noqa: F401  (registers ours)

    return CHECKS


def selected(name: str, only: Iterable[str], excluded: Iterable[str]) -> bool:
    """Whether check `name` runs under `--checks only --exclude-checks excluded`."""
    only = tuple(only)
    return (not only or name in only) and name not in excluded


def engine_checks(only: Iterable[str], excluded: Iterable[str]) -> dict[str, bool | dict[str, bool]]:
    """The `checks` section of Schemathesis' configuration for this selection."""
    only, excluded = tuple(only), tuple(excluded)
    section: dict[str, bool | dict[str, bool]] = {}
    if only:
        section["enabled"] = False
    for name in known_checks() - SUITE_CHECKS:
        if only and selected(name, only, excluded):
            section[name] = {"enabled": True}
        elif name in excluded:
            section[name] = {"enabled": False}
    return section
