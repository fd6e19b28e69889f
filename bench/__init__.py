"""Benchmarks of the mock server: throughput and latency against a bare Starlette reference
(and Prism where Node.js is present), start-up time, and the contract suite's run time.

The line of a run:

    pick workloads -> start servers (reference | mock | prism) on loopback -> preflight
          -> load (wrk | Python generator) -> ratios and targets -> table + JSON in results/
"""
