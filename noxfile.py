"""Every project task: ``nox -l`` lists them, ``nox`` alone runs the tests."""

from __future__ import annotations

import os
import shutil
import time

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (every kernel x backend x dataset against the float64 reference)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "codegen", "--check")
    # DataGenerated's K defaults to 1024; the O(M^2 K) direct W-tilde in four backends makes
    # that slow on 2 cores, so the test run uses K = 128 unless AUTOJAX_DATA_SIZE is set.
    env = {"AUTOJAX_DATA_SIZE": os.environ.get("AUTOJAX_DATA_SIZE", "128")}
    session.run("pytest", *session.posargs, env=env)
    if not session.posargs:
        # smoke run of the benchmark suites: every case once, checked, not timed
        session.run("pytest", "benchmarks", "--benchmark-disable", "-q", env=env)


@nox.session(name="tests-slow", python=PYTHON)
def tests_slow(session: nox.Session) -> None:
    """The tests marked slow: JAX on forced host devices and jax.distributed in subprocesses,
    a Dask LocalCluster with a worker killed mid-graph, a spawn pool (CI runs them too)."""
    session.install("-e", ".[test]")
    env = {"AUTOJAX_DATA_SIZE": os.environ.get("AUTOJAX_DATA_SIZE", "128")}
    session.run("pytest", "-m", "slow", *session.posargs, env=env)


#: The upstream release the cross-check runs against, and the autonerves release it ships with.
#: Both wheels say Requires-Python >= 3.12 but run on 3.11 (pure Python): they are installed
#: without their dependencies and without the Python check; the `upstream` extra lists the
#: dependencies.
UPSTREAM_PINS = ["autoarray==2026.10.26.1", "autonerves==2026.10.26.1"]


@nox.session(name="tests-upstream", python=PYTHON)
def tests_upstream(session: nox.Session) -> None:
    """Compare autojax with the upstream autoarray package (tests/upstream, marker upstream):
    the functions it shares with `original`, and a whole lens-model inversion (two
    pixelizations and linear functions) against the visibility-space reference."""
    session.install("-e", ".[test,upstream]")
    if session.venv_backend == "uv":
        # uv resolves the wheels' Requires-Python against --python-version
        session.install("--no-deps", "--python-version", "3.12", *UPSTREAM_PINS)
    else:
        session.install("--no-deps", "--ignore-requires-python", *UPSTREAM_PINS)
    session.run("pytest", "tests/upstream", "-m", "upstream", *session.posargs)


@nox.session(python=PYTHON)
def dataset(session: nox.Session) -> None:
    """Rebuild DataLoaded's .npz from its seed (`-- --check` compares instead of writing)."""
    session.install("-e", ".")
    session.run("python", "-m", "autojax.datasets._loaded_build", *session.posargs)


@nox.session(python=PYTHON)
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from kernels_spec/, then the tables of README.md and docs/*.md.

    `-- --check` writes nothing and fails with a diff when either is stale. The tables
    (`python -m codegen.tables`) are read from the specs and the imported backends, hence
    the jax and xp extras; with other options (`--specs`, `--out`) only generated/ is made.
    """
    session.install("-e", ".[codegen,jax,xp]")
    session.run("python", "-m", "codegen", *session.posargs)
    if set(session.posargs) <= {"--check"}:
        check = "--check" in session.posargs
        session.run("python", "-m", "codegen.tables", "--check" if check else "--write")


@nox.session(python=PYTHON)
def clean(session: nox.Session) -> None:
    """Remove generated/ (then `nox -s generate` rebuilds it from the specs)."""
    shutil.rmtree("generated", ignore_errors=True)


@nox.session(python=PYTHON)
def coverage(session: nox.Session) -> None:
    """Table of every kernel x backend (the README's), with the argument lists that differ."""
    session.install("-e", ".[jax,xp]")
    session.run("python", "-m", "autojax.util.mod_diff", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ (reference pages from the specs; warnings fail)."""
    session.install("-e", ".[docs]")
    session.run("python", "-m", "codegen.docs", "docs/reference")
    # Material prints a banner about its successor on every build; it is not a warning
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


# ------------------------------------------------------------------------------ benchmarks

BENCH_TIMING = [
    "--benchmark-max-time=0.3",
    "--benchmark-min-rounds=3",
    "--benchmark-quiet",  # the report step prints the tables
]


def _run_name(prefix: str) -> str:
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


@nox.session(name="bench-cpu", python=PYTHON)
def bench_cpu(session: nox.Session) -> None:
    """The main job: every kernel x backend x dataset and the method comparisons, on the CPU.

    Saves .benchmarks/cpu-<time>.json, prints per-group tables and writes
    benchmarks/report/cpu-<time>.md with PNG plots. Posargs go to pytest, e.g.
    `-- --bench-groups curvature,likelihood --bench-datasets DataLoaded` or `-- -k numba`;
    AUTOJAX_* environment variables size DataGenerated.
    """
    session.install("-e", ".[bench]")
    run = _run_name("cpu")
    json_path = f".benchmarks/{run}.json"
    os.makedirs(".benchmarks", exist_ok=True)
    session.run(
        "pytest", "benchmarks", f"--benchmark-json={json_path}", *BENCH_TIMING, *session.posargs
    )
    session.run("python", "-m", "benchmarks.report", json_path)


@nox.session(name="bench-scaling", python=PYTHON)
def bench_scaling(session: nox.Session) -> None:
    """Time against K (precompute) and M (curvature, likelihood), log-log, with peak memory.

    Posargs go to `python -m benchmarks.scaling` (see its --help: --quick, --k-max, --m-max,
    --backends, --series, --time-limit).
    """
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks.scaling", *session.posargs)


@nox.session(name="bench-science", python=PYTHON)
def bench_science(session: nox.Session) -> None:
    """W1 precompute, W2 curvature matrix, W3 likelihood step at science sizes, every method.

    Every row is checked against an exact reference first (cached in .benchmarks/cache/);
    writes benchmarks/report/science-<preset>-<time>.md with a bar chart per workload.
    Posargs go to `python -m benchmarks.science` (see its --help): `--preset mid` (the
    default), `alma`, `alma_high`; `--backends`, `--workloads W1,W2,W3`, `--methods`,
    `--time-limit`, `--quick`.
    """
    session.install("-e", ".[bench,nufft]")
    session.run("python", "-m", "benchmarks.science", *session.posargs)


@nox.session(name="bench-walkers", python=PYTHON)
def bench_walkers(session: nox.Session) -> None:
    """Walker batches on the JAX backend: evidences/s against batch size and device count.

    Posargs go to `python -m benchmarks.walkers` (see its --help): `--preset mid` (the
    default; repeat for several, e.g. `--preset alma`), `--batches 1,8,32,64`,
    `--devices 1,2,4` (forced CPU host devices, one process each), `--quick`, `--json`.
    """
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks.walkers", *session.posargs)


@nox.session(name="bench-cuda", python=PYTHON)
def bench_cuda(session: nox.Session) -> None:
    """The suites for the JAX and array-API (on jax.numpy) backends on an NVIDIA GPU.

    Installs the CUDA build of jax, fails clearly when jax sees no GPU, writes
    .benchmarks/cuda-<time>.json and a report; with a CPU run in .benchmarks/ the report
    puts CPU and GPU side by side. Posargs go to pytest.
    """
    if not (shutil.which("nvidia-smi") or os.path.exists("/proc/driver/nvidia/version")):
        session.error(
            "bench-cuda needs an NVIDIA GPU and driver (no nvidia-smi, no /proc/driver/nvidia); "
            "nothing was installed. Run `nox -s bench-cpu` on this machine."
        )
    session.install("-e", ".[bench,cuda]")
    session.run("python", "-m", "benchmarks.gpu_check")
    run = _run_name("cuda")
    json_path = f".benchmarks/{run}.json"
    os.makedirs(".benchmarks", exist_ok=True)
    env = {"AUTOJAX_BENCH_BACKENDS": "jax,xp", "AUTOJAX_BENCH_XP_ARRAYS": "jax"}
    session.run(
        "pytest",
        "benchmarks",
        f"--benchmark-json={json_path}",
        *BENCH_TIMING,
        *session.posargs,
        env=env,
    )
    cpu_runs = sorted(
        (p for p in os.listdir(".benchmarks") if p.startswith("cpu-") and p.endswith(".json")),
    )
    reports = [json_path] if not cpu_runs else [f".benchmarks/{cpu_runs[-1]}", json_path]
    session.run("python", "-m", "benchmarks.report", *reports)
