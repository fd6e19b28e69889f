"""The run as a whole: a crash or an empty run is never a pass."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.options import ContractOptions
from contracts.runner import run_contract
from contracts.targets import Target
from mockserver.app import DEFAULT_SPECS


class _CrashingMock(Target):
    def mock_app(self, seed: int) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            raise RuntimeError("the handler crashed")

        return app


def test_an_in_process_crash_fails_the_run() -> None:
    # In-process, Starlette re-raises the app's exception instead of answering 500.
    target = _CrashingMock("omi", DEFAULT_SPECS / "omi.yaml", None, "contract-token")
    report = run_contract(target, ContractOptions(apis=("omi",), seed=1, max_examples=3))
    assert not report.passed
    assert any("the handler crashed" in error for error in report.errors), report.errors


def test_a_secured_api_without_a_token_is_not_tested_silently() -> None:
    target = Target("mielto", DEFAULT_SPECS / "mielto.yaml", "http://127.0.0.1:9", None)
    report = run_contract(target, ContractOptions(apis=("mielto",), base_url="http://127.0.0.1:9", seed=1))
    assert not report.passed
    assert report.requests == 0
    assert "pass --token" in report.errors[0]


def test_header_options_may_not_carry_credentials() -> None:
    target = Target("omi", DEFAULT_SPECS / "omi.yaml", None, "contract-token")
    options = ContractOptions(apis=("omi",), headers={"Authorization": "Bearer x"}, seed=1)
    report = run_contract(target, options)
    assert not report.passed and "--token" in report.errors[0]
