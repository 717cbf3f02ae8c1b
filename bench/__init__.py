"""The benchmark harness: a mock upstream, load generators, the orchestrator and its report.

Run it with `bench/run.sh` (see `bench/bench.py --help`); nothing here is imported by the gateway.
"""
