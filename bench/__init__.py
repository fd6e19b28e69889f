"""Benchmarks of the mock server: throughput and latency under wrk beside a bare reference
answering the same bytes (and Prism), start-up, state engines, growth and the contract
suite's cost. See bench/README.md."""
