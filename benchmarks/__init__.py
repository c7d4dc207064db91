"""Benchmark suites (pytest-benchmark) and their report step; the scaling sweep and the
science-size benchmark (``python -m benchmarks.scaling`` / ``benchmarks.science``) over
one shared harness (:mod:`benchmarks.harness`)."""
