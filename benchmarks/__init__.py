"""Benchmark suites (pytest-benchmark), the report step and the scaling sweep."""
