"""Contract suite: Schemathesis property tests for the mocks and for live deployments."""
