"""pytest-benchmark setup shared by the suites: what to run, and the one timing rule.

Selection (command-line options, or the environment variables in brackets):

- ``--bench-datasets`` [``AUTOJAX_BENCH_DATASETS``]: comma list of ``DataLoaded``,
  ``DataGenerated`` (default both; DataGenerated's sizes come from ``AUTOJAX_*``);
- ``--bench-backends`` [``AUTOJAX_BENCH_BACKENDS``]: comma list of ``original``, ``numba``,
  ``jax``, ``xp`` (default every backend that imports);
- ``--bench-groups`` [``AUTOJAX_BENCH_GROUPS``]: comma list of substrings; only groups whose
  name contains one of them run (``w-tilde``, ``curvature``, ``likelihood``, a kernel name).

``AUTOJAX_BENCH_XP_ARRAYS`` (``numpy`` or ``jax``) chooses the arrays the array-API backend
gets: NumPy on the CPU run, ``jax`` (jax.numpy on the default device) for the GPU run.
"""

from __future__ import annotations

import os
import time

import pytest

from autojax import backends
from autojax.datasets import DataGenerated, DataLoaded
from autojax.util.testing import assert_close

from .cases import blocking, converter, kernel_cases, method_cases, on_jax
from .harness import csv_list

DATASETS = {"DataLoaded": DataLoaded, "DataGenerated": DataGenerated}

#: a first call slower than this is followed by one warm call (JIT compile excluded), whose
#: time chooses how many rounds to run; a warm call slower than SLOW gets a single round
PROBE_S = 0.05
SLOW_S = 1.0


def pytest_addoption(parser):
    group = parser.getgroup("autojax benchmarks")
    group.addoption(
        "--bench-datasets",
        default=os.environ.get("AUTOJAX_BENCH_DATASETS", ",".join(DATASETS)),
        help="comma list of datasets (DataLoaded, DataGenerated)",
    )
    group.addoption(
        "--bench-backends",
        default=os.environ.get("AUTOJAX_BENCH_BACKENDS", ",".join(backends.NAMES)),
        help="comma list of backends (original, numba, jax, xp)",
    )
    group.addoption(
        "--bench-groups",
        default=os.environ.get("AUTOJAX_BENCH_GROUPS", ""),
        help="comma list of substrings of group names to run (default: all)",
    )


def _selected_backends(config) -> list[str]:
    status = backends.available()
    wanted = csv_list(config.getoption("--bench-backends"))
    unknown = set(wanted) - set(backends.NAMES)
    if unknown:
        raise pytest.UsageError(f"--bench-backends: unknown {sorted(unknown)}")
    return [b for b in wanted if status[b] is None]


def pytest_generate_tests(metafunc):
    if "case" not in metafunc.fixturenames:
        return
    config = metafunc.config
    kind = metafunc.module.KIND
    chosen = _selected_backends(config)
    cases = kernel_cases(chosen) if kind == "kernel" else method_cases(chosen)
    cases = [c for c in cases if c.kind == kind]
    groups = csv_list(config.getoption("--bench-groups"))
    if groups:
        cases = [c for c in cases if any(g in c.group for g in groups)]
    datasets = csv_list(config.getoption("--bench-datasets"))
    unknown = set(datasets) - set(DATASETS)
    if unknown:
        raise pytest.UsageError(f"--bench-datasets: unknown {sorted(unknown)}")
    params, ids = [], []
    for name in datasets:
        for case in cases:
            params.append((case, name))
            ids.append(f"{case.group}|{case.label}|{name}".replace(" ", "_"))
    metafunc.parametrize(("case", "dataset_name"), params, ids=ids)


_DATASETS: dict[str, object] = {}


@pytest.fixture()
def dataset(dataset_name):
    """The dataset, built once per session (its reference results are cached with it)."""
    if dataset_name not in _DATASETS:
        _DATASETS[dataset_name] = DATASETS[dataset_name]()
    return _DATASETS[dataset_name]


def _device(backend: str) -> str:
    if on_jax(backend):
        import jax

        d = jax.devices()[0]
        return f"{d.platform}:{getattr(d, 'device_kind', '')}".rstrip(":")
    return "cpu"


def _dense(result):
    return result.todense() if hasattr(result, "todense") else result


@pytest.fixture()
def run_case(benchmark):
    """Check a case against the reference, then time it.

    The first call (JIT compilation, cache loading) is timed on its own and recorded as
    ``first_call_s``; its result must agree with the reference (``assert_close``), so a
    fast wrong answer fails instead of topping a table. Then pytest-benchmark times the
    steady state: calibrated rounds for fast calls, a few (or one) pedantic rounds for
    slow ones. With ``--benchmark-disable`` the case runs once and is only checked.
    """

    def run(case, dataset):
        module = backends.load(case.backend)
        fn, args = case.bind(module, dataset, converter(case.backend))
        call = blocking(fn, case.backend)
        benchmark.group = f"{case.group} [{dataset.name}]"
        benchmark.extra_info.update(
            kind=case.kind,
            group=case.group,
            label=case.label,
            backend=case.backend,
            kernel=case.single_kernel,
            baseline=case.baseline,
            dataset=dataset.name,
            sizes=dataset.sizes,
            device=_device(case.backend),
        )
        expected = case.reference(dataset)
        message = f"{case.label} ({case.group}) on {dataset!r}"
        if benchmark.disabled:
            assert_close(_dense(benchmark(call, *args)), expected, err_msg=message)
            return
        start = time.perf_counter()
        result = call(*args)
        first = time.perf_counter() - start
        assert_close(_dense(result), expected, err_msg=message)
        benchmark.extra_info["first_call_s"] = first
        steady = first
        if first > PROBE_S:
            # the first call may be mostly compilation (a Numba compile takes seconds): time
            # a warm call before choosing the rounds, however slow the first one was
            start = time.perf_counter()
            call(*args)
            steady = time.perf_counter() - start
        if steady > SLOW_S:
            benchmark.pedantic(call, args, rounds=1, iterations=1)
        elif steady > PROBE_S:
            benchmark.pedantic(call, args, rounds=3, iterations=1)
        else:
            benchmark(call, *args)

    return run
