"""The NUFFT precompute against the bare library: what each backend adds to ducc0's own time.

``python -m benchmarks.nufft_overhead [--preset alma] [--rounds 9]`` times, on one
science problem (:mod:`benchmarks.science.problem`), ducc0's bare type 1 (``nu2u``) and
type 3 (``nu2nu``) calls on the points the kernels use, with inputs prepared outside the
timing (W1's ``library`` rows), and the public ``w_compact_curvature_interferometer_from``
and ``dirty_image_from`` with ``method="nufft"`` (ducc0) in the Numba, array-API (NumPy
arrays), JAX (eager) and JAX-under-``jax.jit`` backends. The calls run in interleaved
rounds (each round calls every row once), so that a load change on a shared machine hits
all rows alike; a row's ratio is the median over rounds of its time over the bare call's
in the same round. Every row is first checked against the bare call (max |difference|
within 1e-9 of the peak, the accuracy contract) and the bare calls against W1's exact
spot check (:func:`benchmarks.science.checks.check_compact`, ``check_dirty``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

import numpy as np

from .science.problem import PRESETS, Problem
from .science.rows import Row, bind_bare

#: the accuracy a row must reach against the bare call, relative to the peak
RTOL_PEAK = 1e-9
BACKENDS = ("numba", "xp", "jax", "jax jit")


def _calls(problem: Problem, names) -> dict:
    """Label -> (transform, no-argument call returning a NumPy array)."""
    calls = {
        "ducc0 nu2u (bare)": (
            "compact",
            bind_bare(Row("W1", "library", "ducc0", "compact", False, ""), problem),
        ),
        "ducc0 nu2nu (bare)": (
            "dirty",
            bind_bare(Row("W1", "library", "ducc0", "dirty", False, ""), problem),
        ),
    }
    n = problem.grid_size
    for name in names:
        if name.startswith("jax"):
            import jax
            import jax.numpy as jnp

            jax.config.update("jax_enable_x64", True)
        from autojax import backends

        module = backends.load(name.split()[0])
        convert = (lambda a: jnp.asarray(a)) if name.startswith("jax") else (lambda a: a)
        compact_args = [convert(a) for a in (problem.noise_map_real, problem.uv_wavelengths)]
        dirty_args = [
            convert(a)
            for a in (
                problem.data,
                problem.noise_map,
                problem.uv_wavelengths,
                problem.grid_radians_slim,
            )
        ]

        def compact(noise, uv, m=module):
            return m.w_compact_curvature_interferometer_from(
                n, noise, uv, problem.pixel_scale, method="nufft"
            )

        def dirty(*args, m=module):
            return m.dirty_image_from(*args, method="nufft")

        if name == "jax jit":
            compact, dirty = jax.jit(compact), jax.jit(dirty)
        calls[f"{name} compact form"] = (
            "compact",
            lambda f=compact, a=compact_args: np.asarray(f(*a)),
        )
        calls[f"{name} dirty image"] = ("dirty", lambda f=dirty, a=dirty_args: np.asarray(f(*a)))
    return calls


def _spots(problem: Problem, transform: str, result: np.ndarray, count: int = 12) -> float:
    """Max |result - direct sum| / peak over ``count`` seeded entries (sums over all K)."""
    rng = np.random.default_rng(0)
    u, v = problem.uv_wavelengths[:, 0], problem.uv_wavelengths[:, 1]
    errors = []
    if transform == "compact":
        n = problem.grid_size
        d = 2 * np.pi * problem.pixel_scale * np.pi / 648000
        weight = problem.noise_map_real**-2.0
        for m, col in zip(rng.integers(0, n, count), rng.integers(0, 2 * n - 1, count)):
            exact = np.sum(weight * np.cos(d * (col - (n - 1)) * u - d * m * v))
            errors.append(abs(result[m, col] - exact))
    else:
        grid, data, noise = problem.grid_radians_slim, problem.data, problem.noise_map
        real, imag = data.real / noise.real**2, data.imag / noise.imag**2
        for i in rng.integers(0, len(grid), count):
            phase = 2 * np.pi * (grid[i, 1] * u + grid[i, 0] * v)
            exact = np.sum(real * np.cos(phase) - imag * np.sin(phase))
            errors.append(abs(result[i] - exact))
    return max(errors) / float(np.max(np.abs(result)))


def _check(problem: Problem, calls: dict) -> None:
    """The bare calls against direct sums at seeded entries, every row against the bare
    call of its transform; an AssertionError naming the row otherwise."""
    bare = {}
    for label, (transform, call) in calls.items():
        got = call()
        if label.endswith("(bare)"):
            error = _spots(problem, transform, got)
            bare[transform] = got
        else:
            want = bare[transform]
            error = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        if not error <= RTOL_PEAK:
            raise AssertionError(f"{label}: {error:.2e} of the peak from the reference")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nufft_overhead")
    parser.add_argument("--preset", action="append", choices=list(PRESETS), help="default alma")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma list")
    args = parser.parse_args(argv)
    names = [b for b in args.backends.split(",") if b]
    for preset in args.preset or ["alma"]:
        problem = Problem(PRESETS[preset])
        calls = _calls(problem, names)
        _check(problem, calls)
        for _, call in calls.values():
            call()  # warm (compiled, libraries loaded)
        times = {label: [] for label in calls}
        faults = {label: [] for label in calls}
        for _ in range(args.rounds):
            for label, (_, call) in calls.items():
                before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                start = time.perf_counter()
                call()
                times[label].append(time.perf_counter() - start)
                faults[label].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        p = problem.preset
        print(
            f"\n{preset}: N = {p.N}, K = {p.K:,}, M = {problem.grid_radians_slim.shape[0]:,}; "
            f"{args.rounds} interleaved rounds, {len(os.sched_getaffinity(0))} cores; "
            "every row checked first"
        )
        print(f"| {'row':28s} | median ms | min ms | ratio to bare | page faults |")
        print(f"|{'-' * 30}|----------:|-------:|--------------:|------------:|")
        for label, (transform, _) in calls.items():
            base = "ducc0 nu2u (bare)" if transform == "compact" else "ducc0 nu2nu (bare)"
            ratio = statistics.median(a / b for a, b in zip(times[label], times[base]))
            print(
                f"| {label:28s} | {statistics.median(times[label]) * 1e3:9.1f} | "
                f"{min(times[label]) * 1e3:6.1f} | {ratio:13.2f} | "
                f"{statistics.median(faults[label]):11.0f} |"
            )


if __name__ == "__main__":
    main()
