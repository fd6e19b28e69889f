"""Benchmarks of the mock server (see bench/README.md): throughput and latency under wrk
against a bare Starlette reference answering the same bytes (and Prism where npm could
install it), start-up time and memory, and the contract suite's run time.

    start the mock -> its index places the workloads -> record its answers -> start the
          reference -> alternating wrk slices -> ratios and targets -> table + JSON in results/
"""
