"""Scaling sweep: how the cost of each kernel grows with problem size, per backend and method.

Three series, each timed per backend and method over a log-spaced range of sizes:

- ``precompute``: W-tilde in its forms (compact, upstream preload, dense M x M) against the
  number of visibilities K, on the N = 30 grid (M = 716 image pixels);
- ``curvature``: the curvature matrix F = T^T W T against the number of image pixels M,
  with K = 64 (F does not depend on K once W-tilde is known) and S = 256 source pixels;
- ``likelihood``: the log evidence against M, same K and S.

Every point gets one untimed warm-up call (recorded as "first call": it includes any JIT
compilation), then timed calls until about 0.3 s have passed (at least 1, at most 7), and
the median is reported. While the timed calls run, a background thread samples the process
RSS every millisecond; the peak minus the RSS just before is reported as the point's
memory, an approximate measure (RSS growth includes what the allocators cache).

Once a method's point takes longer than ``--time-limit``, or the growth from its last point
predicts that the next one would, its larger sizes are recorded as skipped, with the
reason, instead of run. Methods needing a dense M x M W-tilde skip sizes where that matrix
exceeds ``--mem-cap-gib``. At the smallest size of each series, every method's result is
compared with the float64 NumPy reference (:mod:`autojax.reference`) and the sweep aborts
if one disagrees, so that a fast wrong answer never reaches the plots.

Outputs: ``OUT/NAME.md`` (one table per series), ``OUT/NAME-<series>.png`` (log-log plots)
and the raw results as ``.benchmarks/NAME.json``::

    python -m benchmarks.scaling                # the full sweep (a few minutes on 2 cores)
    python -m benchmarks.scaling --quick        # tiny sizes, seconds
    python -m benchmarks.scaling --series curvature --backends numba,jax --m-max 3000
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import shlex
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from autojax import backends
from autojax import reference as ref
from autojax.datasets import DataGenerated, Dataset
from autojax.util.testing import assert_close

from .cases import blocking, converter
from .report import format_time

ROOT = Path(__file__).resolve().parents[1]
SERIES_KEYS = ("precompute", "curvature", "likelihood")

#: timed calls per point: until this many seconds have passed, within [MIN_REPS, MAX_REPS]
TARGET_SECONDS = 0.3
MIN_REPS = 1
MAX_REPS = 7
#: relative agreement (to the largest magnitude of the reference) required at the smallest size
RTOL = 1e-8
#: RSS sampling period of the memory monitor, seconds
SAMPLE_PERIOD = 0.001


# ------------------------------------------------------------------------------ problems


class Problem:
    """The inputs of every kernel at one problem size, looked up by argument name.

    Raw inputs (grid, visibilities, mapping, neighbours) come from
    :class:`~autojax.datasets.DataGenerated`; the derived arrays (compact and dense W-tilde,
    preload, mapping matrix) are computed with the fast ``numba``/``original`` kernels rather
    than the dataset's NumPy reference, which is far too slow at M ~ 10,000.
    """

    #: dataset attributes computed with the slow reference: never delegated to
    _REFERENCE_ONLY = frozenset(
        {
            "w_tilde_via_compact",
            "data_vector",
            "curvature_matrix",
            "regularization_matrix",
            "curvature_reg_matrix",
            "matrix",
        }
    )

    def __init__(self, N: int, K: int, S: int, B: int, P: int):
        self.dataset = DataGenerated(N=N, K=K, S=S, B=B, P=P)

    def __getattr__(self, name: str):
        if name == "dataset" or name in self._REFERENCE_ONLY:
            raise AttributeError(name)
        return getattr(self.dataset, name)

    @cached_property
    def w_compact(self) -> np.ndarray:
        numba = backends.load("numba")
        return numba.w_compact_curvature_interferometer_from(
            self.grid_size, self.noise_map_real, self.uv_wavelengths, self.pixel_scale
        )

    @cached_property
    def w_tilde(self) -> np.ndarray:
        numba = backends.load("numba")
        return numba.w_tilde_via_compact_from(self.w_compact, self.native_index_for_slim_index)

    @cached_property
    def w_tilde_preload(self) -> np.ndarray:
        original = backends.load("original")
        return original.w_tilde_curvature_preload_interferometer_from(
            self.noise_map_real,
            self.uv_wavelengths,
            self.shape_masked_pixels_2d,
            self.grid_radians_2d,
        )

    @property
    def curvature_preload(self) -> np.ndarray:
        return self.w_tilde_preload

    @cached_property
    def mapping_matrix(self) -> np.ndarray:
        numba = backends.load("numba")
        return numba.mapping_matrix_from(
            self.pix_indexes_for_sub_slim_index, self.pix_weights_for_sub_slim_index, self.pixels
        )

    args_for = Dataset.args_for  # arguments by parameter name, as for the datasets


@dataclass(frozen=True)
class Size:
    """One problem size of a series; ``x`` is the plotted size (K or M)."""

    N: int
    M: int
    K: int
    S: int
    B: int
    P: int
    x: int

    def problem(self) -> Problem:
        return Problem(N=self.N, K=self.K, S=self.S, B=self.B, P=self.P)


def image_pixels(N: int) -> int:
    """M, the unmasked pixels of DataGenerated's circular mask on the N x N grid."""
    return DataGenerated(N=N, K=1, S=1, B=1, P=1).M


# ------------------------------------------------------------------------------ methods


def _as_numpy(result) -> np.ndarray:
    if hasattr(result, "todense"):  # a JAX BCOO
        result = result.todense()
    return np.asarray(result, dtype=np.float64)


def _compact_to_dense(result, problem: Problem) -> np.ndarray:
    return ref.w_tilde_via_compact_from(_as_numpy(result), problem.native_index_for_slim_index)


def _preload_to_dense(result, problem: Problem) -> np.ndarray:
    return ref.w_tilde_via_preload_from(_as_numpy(result), problem.native_index_for_slim_index)


def _unchanged(result, problem: Problem) -> np.ndarray:
    return _as_numpy(result)


@dataclass(frozen=True)
class Method:
    """One kernel of one backend, as a line of a series.

    ``comparable`` turns its result into the form the series' reference has (W-tilde forms
    are expanded to the dense matrix); ``dense_w`` marks methods that need or build the dense
    M x M W-tilde, to which the memory cap applies.
    """

    backend: str
    kernel: str
    kind: str
    comparable: Callable[[Any, Problem], np.ndarray] = _unchanged
    dense_w: bool = False

    @property
    def label(self) -> str:
        return f"{self.backend} {self.kind}"

    def function(self) -> Callable:
        """The kernel, looked up at call time (so that tests may patch the backend module)."""
        return getattr(backends.load(self.backend), self.kernel)


@dataclass
class Series:
    """A sweep over sizes of a set of methods, with the reference used to check them."""

    key: str
    title: str
    x_name: str
    x_label: str
    fixed: str
    sizes: list[Size]
    methods: list[Method]
    reference: Callable[[Problem], np.ndarray]
    #: lower bound of the growth exponent used to predict the next point's time
    exponent: float


def _ref_dense_w(problem: Problem) -> np.ndarray:
    return ref.w_tilde_curvature_interferometer_from(
        problem.noise_map_real, problem.uv_wavelengths, problem.grid_radians_slim
    )


def _ref_curvature(problem: Problem) -> np.ndarray:
    w_compact = ref.w_compact_curvature_interferometer_from(
        problem.grid_size, problem.noise_map_real, problem.uv_wavelengths, problem.pixel_scale
    )
    return ref.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(
        w_compact,
        problem.native_index_for_slim_index,
        problem.pix_indexes_for_sub_slim_index,
        problem.pix_weights_for_sub_slim_index,
        problem.pixels,
    )


def _ref_likelihood(problem: Problem) -> np.ndarray:
    w_compact = ref.w_compact_curvature_interferometer_from(
        problem.grid_size, problem.noise_map_real, problem.uv_wavelengths, problem.pixel_scale
    )
    value = ref.log_likelihood_function_via_w_compact_from(
        problem.dirty_image,
        problem.data,
        problem.noise_map,
        w_compact,
        problem.native_index_for_slim_index,
        problem.pix_indexes_for_sub_slim_index,
        problem.pix_weights_for_sub_slim_index,
        problem.neighbors,
        problem.neighbors_sizes,
    )
    return np.asarray(value, dtype=np.float64)


PRECOMPUTE_METHODS = [
    Method(
        "original", "w_tilde_curvature_preload_interferometer_from", "preload", _preload_to_dense
    ),
    Method("numba", "w_compact_curvature_interferometer_from", "compact", _compact_to_dense),
    Method("jax", "w_compact_curvature_interferometer_from", "compact", _compact_to_dense),
    Method("xp", "w_compact_curvature_interferometer_from", "compact", _compact_to_dense),
    Method("original", "w_tilde_curvature_interferometer_from", "dense", dense_w=True),
    Method("numba", "w_tilde_curvature_interferometer_from", "dense", dense_w=True),
    Method("jax", "w_tilde_curvature_interferometer_from", "dense", dense_w=True),
]

_TWO_PASS = "curvature_matrix_via_w_compact_sparse_mapping_matrix_from"
CURVATURE_METHODS = [
    Method(
        "original", "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from", "preload"
    ),
    Method("numba", _TWO_PASS, "two-pass"),
    Method("jax", _TWO_PASS, "two-pass"),
    Method("xp", _TWO_PASS, "two-pass"),
    Method("numba", _TWO_PASS.replace("_from", "_direct_from"), "direct"),
    Method("jax", _TWO_PASS.replace("_from", "_direct_from"), "direct"),
    Method("jax", _TWO_PASS + "_BCOO", "BCOO"),
    Method("numba", "curvature_matrix_via_w_tilde_from", "dense", dense_w=True),
    Method("jax", "curvature_matrix_via_w_tilde_from", "dense", dense_w=True),
    Method("xp", "curvature_matrix_via_w_tilde_from", "dense", dense_w=True),
]

LIKELIHOOD_METHODS = [
    Method("original", "log_likelihood_function_via_w_compact_from", "preload"),
    Method("numba", "log_likelihood_function_via_w_compact_from", "compact"),
    Method("jax", "log_likelihood_function_via_w_compact_from", "compact"),
    Method("xp", "log_likelihood_function_via_w_compact_from", "compact"),
    Method("original", "log_likelihood_function_via_w_tilde_from", "dense", dense_w=True),
    Method("numba", "log_likelihood_function_via_w_tilde_from", "dense", dense_w=True),
    Method("jax", "log_likelihood_function_via_w_tilde_from", "dense", dense_w=True),
    Method("xp", "log_likelihood_function_via_w_tilde_from", "dense", dense_w=True),
]


@dataclass(frozen=True)
class Plan:
    """Sizes of the sweep: the full one, or the tiny ``--quick`` one."""

    precompute_N: int
    precompute_K: tuple[int, ...]
    grid_N: tuple[int, ...]
    grid_K: int
    grid_S: int
    B: int = 3
    P: int = 32


def _log_steps(start: float, stop: float, per_decade: int) -> tuple[int, ...]:
    """Integers from ``start`` to ``stop`` (inclusive), ``per_decade`` steps per factor 10."""
    count = round(math.log10(stop / start) * per_decade)
    return tuple(round(start * 10 ** (i / per_decade)) for i in range(count + 1))


FULL = Plan(
    precompute_N=30,
    precompute_K=_log_steps(1e2, 1e6, 2),  # 100, 316, 1000, ..., 1e6
    grid_N=(10, 14, 20, 28, 40, 57, 80, 113),  # M = 80, 156, ..., 5024, 10185 (x ~2 per step)
    grid_K=64,
    grid_S=256,
)
QUICK = Plan(precompute_N=12, precompute_K=(100, 316), grid_N=(8, 12), grid_K=16, grid_S=64, P=8)


def build_series(plan: Plan, keys: Sequence[str], names: Sequence[str], k_max, m_max) -> list:
    """The series to run, their sizes cut at ``k_max``/``m_max`` and methods at ``names``."""
    keep = lambda methods: [m for m in methods if m.backend in names]
    series = []
    if "precompute" in keys:
        n = plan.precompute_N
        m = image_pixels(n)
        sizes = [
            Size(N=n, M=m, K=k, S=plan.grid_S, B=plan.B, P=plan.P, x=k)
            for k in plan.precompute_K
            if k <= k_max
        ]
        series.append(
            Series(
                key="precompute",
                title="W-tilde precompute vs K",
                x_name="K",
                x_label="K (visibilities)",
                fixed=f"N = {n}, M = {m}",
                sizes=sizes,
                methods=keep(PRECOMPUTE_METHODS),
                reference=_ref_dense_w,
                exponent=1.0,
            )
        )
    grid = [(n, image_pixels(n)) for n in plan.grid_N]
    grid_sizes = [
        Size(N=n, M=m, K=plan.grid_K, S=plan.grid_S, B=plan.B, P=plan.P, x=m)
        for n, m in grid
        if m <= m_max
    ]
    fixed = f"K = {plan.grid_K}, S = {plan.grid_S}, B = {plan.B}, P = {plan.P}"
    if "curvature" in keys:
        series.append(
            Series(
                key="curvature",
                title="curvature matrix vs M",
                x_name="M",
                x_label="M (unmasked image pixels)",
                fixed=fixed,
                sizes=list(grid_sizes),
                methods=keep(CURVATURE_METHODS),
                reference=_ref_curvature,
                exponent=2.0,
            )
        )
    if "likelihood" in keys:
        series.append(
            Series(
                key="likelihood",
                title="log-likelihood vs M",
                x_name="M",
                x_label="M (unmasked image pixels)",
                fixed=fixed,
                sizes=list(grid_sizes),
                methods=keep(LIKELIHOOD_METHODS),
                reference=_ref_likelihood,
                exponent=2.0,
            )
        )
    return series


# ------------------------------------------------------------------------------ measuring


class RssPeak:
    """Peak growth of the process RSS while the ``with`` block runs, sampled in a thread.

    Before the baseline is read, garbage is collected and glibc is asked to return free heap
    memory (``malloc_trim``), so that memory cached from earlier calls inflates the baseline
    less. Allocator caching still makes this an approximate, usually low, measure.
    """

    _libc = None

    def __init__(self, period: float = SAMPLE_PERIOD):
        self.period = period
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._peak = 0
        self.baseline = 0

    @classmethod
    def _trim(cls) -> None:
        gc.collect()
        if cls._libc is None:
            try:
                cls._libc = ctypes.CDLL("libc.so.6")
                cls._libc.malloc_trim  # noqa: B018 (only glibc has it)
            except (OSError, AttributeError):
                cls._libc = False
        if cls._libc:
            cls._libc.malloc_trim(0)

    def _rss(self) -> int:
        return self._process.memory_info().rss

    def _sample(self) -> None:
        while not self._stop.wait(self.period):
            self._peak = max(self._peak, self._rss())

    def __enter__(self) -> RssPeak:
        self._trim()
        self.baseline = self._peak = self._rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._rss())

    @property
    def peak_mib(self) -> float:
        return max(self._peak - self.baseline, 0) / 2**20


@dataclass
class Point:
    """One measured (or skipped) size of one method."""

    x: int
    N: int
    M: int
    K: int
    S: int
    median_s: float | None = None
    times_s: list[float] = field(default_factory=list)
    first_call_s: float | None = None
    peak_mib: float | None = None
    skipped: str | None = None


@dataclass
class MethodResult:
    label: str
    backend: str
    kernel: str
    kind: str
    points: list[Point] = field(default_factory=list)

    def measured(self) -> list[Point]:
        return [p for p in self.points if p.median_s is not None]


@dataclass
class SeriesResult:
    key: str
    title: str
    x_name: str
    x_label: str
    fixed: str
    methods: list[MethodResult]


class WrongAnswer(RuntimeError):
    """A method disagrees with the reference at the smallest size of its series."""


def measure(
    call: Callable[[], Any], check: Callable[[Any], None] | None = None
) -> tuple[float, list[float], float]:
    """Time ``call`` (which waits for its result): the first call, then the timed calls,
    with the peak RSS growth (MiB).

    ``check``, if given, sees the first call's result before anything is timed.
    """
    start = time.perf_counter()
    result = call()
    first = time.perf_counter() - start
    if check is not None:
        check(result)
    del result
    times: list[float] = []
    with RssPeak() as memory:
        while len(times) < MAX_REPS and (len(times) < MIN_REPS or sum(times) < TARGET_SECONDS):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    return first, times, memory.peak_mib


def check_agreement(series: Series, method: Method, result, expected: np.ndarray, problem) -> None:
    """Raise :class:`WrongAnswer` unless ``result`` matches the reference (``assert_close``
    with ``RTOL``, the rule of the tests and the benchmark suites)."""
    where = f"{series.key}: {method.label} ({method.backend}.{method.kernel})"
    try:
        assert_close(method.comparable(result, problem), expected, rtol=RTOL, err_msg=where)
    except AssertionError as exc:
        raise WrongAnswer(
            f"{where} disagrees with autojax.reference at {series.x_name} = "
            f"{series.sizes[0].x} (rtol {RTOL:g}). Refusing to time a wrong answer.\n{exc}"
        ) from None


class Budget:
    """Decides, per method, whether its next size is still worth running."""

    def __init__(self, time_limit: float, mem_cap_bytes: float, exponent: float, x_name: str):
        self.time_limit = time_limit
        self.mem_cap_bytes = mem_cap_bytes
        self.exponent = exponent
        self.x_name = x_name

    def memory_reason(self, method: Method, size: Size) -> str | None:
        if method.dense_w and 8.0 * size.M**2 > self.mem_cap_bytes:
            return (
                f"the dense M x M W-tilde (8 M² bytes) exceeds the memory cap of "
                f"{self.mem_cap_bytes / 2**30:g} GiB"
            )
        return None

    def time_reason(self, method: Method, done: list[Point], size: Size) -> str | None:
        """Why ``size`` is not run, from the method's measured points so far (or None)."""
        if not done:
            return None
        last = done[-1]
        if last.median_s > self.time_limit:
            return (
                f"{method.label}: {format_time(last.median_s)} at {self.x_name} = {last.x}, "
                f"over the {self.time_limit:g} s limit"
            )
        exponent = self.exponent
        if len(done) >= 2:
            prev = done[-2]
            if prev.median_s > 0 and last.x > prev.x:
                slope = math.log(last.median_s / prev.median_s) / math.log(last.x / prev.x)
                exponent = max(exponent, slope)
        predicted = last.median_s * (size.x / last.x) ** exponent
        if predicted > self.time_limit:
            return (
                f"{method.label}: {format_time(last.median_s)} at {self.x_name} = {last.x} predicts "
                f"{format_time(predicted)} at {self.x_name} = {size.x} (growth ~{self.x_name}^"
                f"{exponent:.2g}), over the {self.time_limit:g} s limit"
            )
        return None


def time_point(
    series: Series, method: Method, problem: Problem, expected: np.ndarray | None, point: Point
) -> None:
    """Fill ``point`` with the timings of ``method`` on ``problem``.

    With ``expected`` (the smallest size), the first call's result is checked against it
    before anything is timed.
    """
    func = method.function()
    convert = converter(method.backend)
    args = [convert(a) for a in problem.args_for(func)]
    call = blocking(func, method.backend)
    check = None
    if expected is not None:
        check = partial(check_agreement, series, method, expected=expected, problem=problem)
    point.first_call_s, point.times_s, point.peak_mib = measure(lambda: call(*args), check)
    point.median_s = statistics.median(point.times_s)


def run_series(
    series: Series, budget: Budget, progress: Progress, task, console: Console
) -> SeriesResult:
    """Measure every method of ``series`` at every size (size by size, sharing the inputs)."""
    results = [MethodResult(m.label, m.backend, m.kernel, m.kind) for m in series.methods]
    stopped: dict[str, str] = {}  # label -> reason that applies to all its larger sizes
    for index, size in enumerate(series.sizes):
        problem = expected = None
        for method, result in zip(series.methods, results):
            point = Point(x=size.x, N=size.N, M=size.M, K=size.K, S=size.S)
            result.points.append(point)
            where = f"{series.x_name} = {size.x}"
            progress.update(task, description=f"{series.key}: {method.label}, {where}")
            memory = budget.memory_reason(method, size)
            point.skipped = (
                memory
                or stopped.get(method.label)
                or budget.time_reason(method, result.measured(), size)
            )
            if point.skipped is None:
                if problem is None:
                    problem = size.problem()
                if index == 0 and expected is None:
                    expected = series.reference(problem)
                try:
                    time_point(series, method, problem, expected if index == 0 else None, point)
                except WrongAnswer:
                    raise
                except Exception as exc:  # a failing kernel is reported, not fatal to the sweep
                    point.skipped = f"{method.label}: failed at {where}: {exc!r}"
                    console.print(f"[red]{point.skipped}", highlight=False)
                else:
                    console.print(
                        f"{method.label:<16} {series.x_name}={size.x:<7} "
                        f"{format_time(point.median_s):>9} x{len(point.times_s)} "
                        f"(first {format_time(point.first_call_s)}) {point.peak_mib:7.1f} MiB",
                        highlight=False,
                    )
            if point.skipped is not None and memory is None:
                stopped[method.label] = point.skipped
            progress.advance(task)
    return SeriesResult(
        series.key, series.title, series.x_name, series.x_label, series.fixed, results
    )


# ------------------------------------------------------------------------------ machine


def machine_info() -> dict:
    """CPU model and count, memory and library versions, for titles and the JSON."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    model = model or platform.processor() or platform.machine()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = psutil.cpu_count()
    versions = {}
    for name in ("numpy", "numba", "jax"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = None
    threads = {"numba": None, "numba_layer": None}
    try:
        import numba

        threads["numba"] = numba.config.NUMBA_NUM_THREADS
        threads["numba_layer"] = numba.threading_layer()
    except (ImportError, ValueError):  # ValueError: no parallel kernel has run yet
        pass
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS"):
        threads[name] = os.environ.get(name)
    return {
        "cpu_model": model,
        "logical_cpus": psutil.cpu_count(),
        "physical_cpus": psutil.cpu_count(logical=False),
        "usable_cpus": usable,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "threads": threads,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def machine_line(info: dict) -> str:
    return (
        f"{info['cpu_model']}, {info['usable_cpus']} of {info['logical_cpus']} CPUs usable, "
        f"{info['memory_gib']:g} GiB, Python {info['python']}"
    )


# ------------------------------------------------------------------------------ outputs


BACKEND_COLORS = {"original": "black", "numba": "tab:blue", "jax": "tab:orange", "xp": "tab:green"}
KIND_STYLES = {
    "compact": ("o", "-"),
    "two-pass": ("o", "-"),
    "preload": ("s", "-"),
    "dense": ("^", "--"),
    "direct": ("D", ":"),
    "BCOO": ("v", "-."),
}


def plot_series(series: SeriesResult, info: dict, run: str, path: Path) -> None:
    """Log-log plot of median time against size, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    for method in series.methods:
        points = method.measured()
        if not points:
            continue
        marker, style = KIND_STYLES.get(method.kind, ("o", "-"))
        ax.plot(
            [p.x for p in points],
            [p.median_s for p in points],
            marker=marker,
            linestyle=style,
            color=BACKEND_COLORS.get(method.backend),
            label=method.label,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(series.x_label)
    ax.set_ylabel("median time per call [s]")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    ax.set_title(f"{series.title} ({series.fixed})\n{machine_line(info)}\nrun {run}", fontsize=9)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown_report(
    results: list[SeriesResult], info: dict, run: str, config: dict, seconds: float
) -> str:
    """One Markdown table per series; skipped points are "—" with a footnote on why."""
    notes: dict[str, int] = {}

    def cell(point: Point) -> str:
        if point.median_s is None:
            number = notes.setdefault(point.skipped, len(notes) + 1)
            return f"—[^{number}]"
        return f"{format_time(point.median_s)} · {point.peak_mib:.1f} MiB"

    lines = [
        f"# Scaling sweep `{run}`",
        "",
        f"- machine: {machine_line(info)}; {info['platform']}",
        f"- load average (1, 5, 15 min) at start {info['load_average_at_start']}, at end "
        f"{info['load_average']}; numba {info['threads']['numba']} threads "
        f"({info['threads']['numba_layer']})",
        f"- versions: {', '.join(f'{k} {v}' for k, v in info['versions'].items())}",
        f"- command: `{config['command']}`",
        f"- duration: {seconds:.0f} s; time limit per point {config['time_limit']:g} s; "
        f"dense W-tilde memory cap {config['mem_cap_gib']:g} GiB",
        "",
        "Each cell: median time per call (after one untimed warm-up call; timed calls repeated "
        f"until {TARGET_SECONDS:g} s, {MIN_REPS} to {MAX_REPS} of them) · peak growth of the "
        "process RSS during the timed calls (sampled every ms; includes what the allocators "
        "cache, so it is approximate). At the smallest size every method was checked against "
        f"`autojax.reference` (rtol {RTOL:g}).",
    ]
    for series in results:
        lines += ["", f"## {series.title} ({series.fixed})", ""]
        header = [series.x_name] + (["N"] if series.x_name == "M" else [])
        header += [f"{m.label}" for m in series.methods]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---:" for _ in header) + "|")
        for row, first in enumerate(series.methods[0].points if series.methods else []):
            cells = [str(first.x)] + ([str(first.N)] if series.x_name == "M" else [])
            cells += [cell(m.points[row]) for m in series.methods]
            lines.append("| " + " | ".join(cells) + " |")
        firsts = [
            f"{m.label} {format_time(m.points[0].first_call_s)}"
            for m in series.methods
            if m.points and m.points[0].first_call_s is not None
        ]
        if firsts:
            lines += [
                "",
                f"First call at {series.x_name} = {series.methods[0].points[0].x} "
                f"(includes JIT compilation): {', '.join(firsts)}.",
            ]
        lines += ["", f"![{series.title}]({run}-{series.key}.png)"]
    if notes:
        lines.append("")
        lines += [f"[^{number}]: {reason}" for reason, number in notes.items()]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ CLI


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _choices(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in items if item not in allowed]
        if unknown or not items:
            raise argparse.ArgumentTypeError(
                f"expected a comma list of {', '.join(allowed)}; got {text!r}"
            )
        return items

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scaling",
        description="Time every backend and method of the W-tilde precompute, the curvature "
        "matrix and the log-likelihood over a range of sizes; write Markdown tables, log-log "
        "plots and JSON.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 points per series")
    parser.add_argument("--run", help="run name (default scaling-<YYYYmmdd-HHMMSS>)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "report", help="folder for .md and .png"
    )
    parser.add_argument("--json", type=Path, help="raw results (default .benchmarks/NAME.json)")
    parser.add_argument("--k-max", type=_positive, default=1e6, help="largest K (default 1e6)")
    parser.add_argument(
        "--m-max",
        type=_positive,
        default=10_500,
        help="largest M (default 10,500: N = 113, M = 10,185)",
    )
    parser.add_argument(
        "--backends",
        type=_choices(backends.NAMES),
        default=list(backends.NAMES),
        help="comma list of original,numba,jax,xp",
    )
    parser.add_argument(
        "--series",
        type=_choices(SERIES_KEYS),
        default=list(SERIES_KEYS),
        help="comma list of precompute,curvature,likelihood",
    )
    parser.add_argument(
        "--time-limit",
        type=_positive,
        default=10.0,
        help="seconds per point beyond which a method's larger sizes are skipped (default 10)",
    )
    parser.add_argument(
        "--mem-cap-gib",
        type=_positive,
        default=1.0,
        help="skip dense-W-tilde methods where the M x M matrix exceeds this (default 1 GiB)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the sweep; returns the exit status (2 when a method disagrees with the reference)."""
    args = parse_args(argv)
    console = console or Console()
    run = args.run or f"scaling-{datetime.now():%Y%m%d-%H%M%S}"
    json_path = args.json or ROOT / ".benchmarks" / f"{run}.json"
    status = backends.available()
    names = [name for name in args.backends if status[name] is None]
    for name in args.backends:
        if status[name] is not None:
            console.print(f"[yellow]backend {name} skipped: {status[name]}")
    plan = QUICK if args.quick else FULL
    series_list = []
    for series in build_series(plan, args.series, names, args.k_max, args.m_max):
        if series.sizes and series.methods:
            series_list.append(series)
        else:
            console.print(f"[yellow]{series.key} skipped: no sizes or methods left to run")
    if not series_list:
        console.print("[bold red]nothing to run[/]: check --series, --backends, --k-max, --m-max")
        return 1
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    console.print(f"[bold]{run}[/]: {machine_line(machine_info())}; load average {load_at_start}")

    started = time.perf_counter()
    results = []
    total = sum(len(s.sizes) * len(s.methods) for s in series_list)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("starting", total=total)
            for series in series_list:
                console.rule(f"{series.title} ({series.fixed})")
                budget = Budget(
                    args.time_limit, args.mem_cap_gib * 2**30, series.exponent, series.x_name
                )
                results.append(run_series(series, budget, progress, task, console))
    except WrongAnswer as exc:
        console.print(f"[bold red]aborted, nothing written:[/] {exc}")
        return 2
    seconds = time.perf_counter() - started
    info = machine_info()  # after the sweep: the numba threading layer is known by now
    info["load_average_at_start"] = load_at_start

    command = "python -m benchmarks.scaling " + shlex.join(
        sys.argv[1:] if argv is None else list(argv)
    )
    config = {
        "command": command.strip(),
        "quick": args.quick,
        "time_limit": args.time_limit,
        "mem_cap_gib": args.mem_cap_gib,
        "k_max": args.k_max,
        "m_max": args.m_max,
        "backends": names,
        "series": args.series,
        "target_seconds": TARGET_SECONDS,
        "reps": [MIN_REPS, MAX_REPS],
        "rtol": RTOL,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    markdown = args.out / f"{run}.md"
    markdown.write_text(markdown_report(results, info, run, config, seconds))
    written.append(markdown)
    for series in results:
        png = args.out / f"{run}-{series.key}.png"
        plot_series(series, info, run, png)
        written.append(png)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "run": run,
        "date": datetime.now().isoformat(timespec="seconds"),
        "duration_s": seconds,
        "machine": info,
        "config": config,
        "series": [asdict(s) for s in results],
    }
    json_path.write_text(json.dumps(payload, indent=1))
    written.append(json_path)
    console.print(f"sweep took {seconds:.0f} s; wrote:")
    for path in written:
        console.print(f"  {path}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
