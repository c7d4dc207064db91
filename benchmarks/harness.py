"""What the scripted benchmarks share: timing, peak RSS, machine info, CLI options, checks.

``python -m benchmarks.science`` and ``python -m benchmarks.scaling`` both

- check a call's first result before timing it, and raise :class:`WrongAnswer` when it
  disagrees with the reference (:func:`as_numpy` turns any backend's result into a float64
  NumPy array for the comparison);
- time it with :func:`measure`: the first call on its own (it includes JIT compilation),
  then warm calls under a :class:`Rounds` rule, with the peak growth of the process RSS
  sampled in a thread (:class:`RssPeak`); a ratio target's two calls also back to back,
  in interleaved rounds (:func:`paired_ratio`);
- describe the machine with :func:`machine_info` and :func:`machine_line`;
- take the same command-line options (:func:`add_common_options`) and report the backends
  that do not import (:func:`usable_backends`).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import math
import os
import platform
import shlex
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import psutil

from autojax import backends

ROOT = Path(__file__).resolve().parents[1]
REPORT_DIR = ROOT / "benchmarks" / "report"
#: RSS sampling period of the memory monitor, seconds
SAMPLE_PERIOD = 0.001


class WrongAnswer(RuntimeError):
    """A result (or a reference) disagrees with the exact computation: never timed."""


def as_numpy(result) -> np.ndarray:
    """Any backend's result as a float64 NumPy array (a JAX BCOO is made dense first)."""
    if hasattr(result, "todense"):
        result = result.todense()
    return np.asarray(result, dtype=np.float64)


# ------------------------------------------------------------------------------ memory


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


# ------------------------------------------------------------------------------ timing


@dataclass(frozen=True)
class Rounds:
    """How many warm calls: until ``target_s`` have passed, within [``min_rounds``,
    ``max_rounds``]; a single one when the first warm call took over ``slow_s``, or with
    ``quick``."""

    target_s: float
    min_rounds: int
    max_rounds: int
    slow_s: float = math.inf
    quick: bool = False

    def done(self, times: list[float]) -> bool:
        if self.quick or times[0] > self.slow_s or len(times) >= self.max_rounds:
            return True
        return len(times) >= self.min_rounds and sum(times) >= self.target_s


@dataclass
class Timing:
    """What :func:`measure` saw: the first call, the warm calls and their peak RSS growth."""

    first_call_s: float
    first_peak_mib: float
    error: float | None  # what the check returned
    times_s: list[float] = field(default_factory=list)
    peak_mib: float = 0.0

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)


def measure(
    call: Callable[[], Any], check: Callable[[Any], float | None] | None, rounds: Rounds
) -> Timing:
    """Time ``call`` (which waits for its result): the first call, checked by ``check``
    before anything else runs (it raises :class:`WrongAnswer`), then warm calls by
    ``rounds``."""
    with RssPeak() as memory:
        start = time.perf_counter()
        value = call()
        first = time.perf_counter() - start
    error = check(value) if check is not None else None
    del value
    timing = Timing(first, memory.peak_mib, error)
    with RssPeak() as memory:
        while True:
            start = time.perf_counter()
            call()
            timing.times_s.append(time.perf_counter() - start)
            if rounds.done(timing.times_s):
                break
    timing.peak_mib = memory.peak_mib
    return timing


#: interleaved rounds of a paired ratio
PAIRED_ROUNDS = 21


class Paired(NamedTuple):
    """A ratio target's two calls timed back to back (:func:`paired_ratio`)."""

    ratio: float  # the median of the per-round ratios
    fastest: float  # the numerator's fastest call over the denominator's
    rounds: int

    def describe(self) -> str:
        return (
            f"{self.ratio:.2f}x paired (median of {self.rounds} interleaved rounds), "
            f"{self.fastest:.2f}x fastest calls"
        )


def paired_ratio(numerator, denominator, rounds: int = PAIRED_ROUNDS) -> Paired:
    """``numerator()``'s time over ``denominator()``'s, the two called back to back in
    ``rounds`` interleaved rounds: the median of the per-round ratios, and the ratio of the
    fastest call of each. The rows' own medians are taken minutes apart, one row after the
    other: a load change on a shared machine between them moves their ratio (a fast
    baseline once gave 2.80 where the kernels alone gave 2.41); a pair timed back to back
    shares it. On this VM a disturbance can outlast a round too: 11 rounds of F two over F
    one gave medians from 2.27 to 3.29 in one hour, the fastest calls 2.26-2.33; the
    fastest call is the least disturbed measure of what each costs (as ``timeit`` says)."""
    numerator(), denominator()
    ratios, tops, bottoms = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        numerator()
        middle = time.perf_counter()
        denominator()
        end = time.perf_counter()
        tops.append(middle - start)
        bottoms.append(end - middle)
        ratios.append(tops[-1] / bottoms[-1])
    return Paired(float(np.median(ratios)), min(tops) / min(bottoms), rounds)


# ------------------------------------------------------------------------------ machine


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return psutil.cpu_count() or 1


def machine_info() -> dict:
    """CPU model and count, memory, library versions and threads, for titles and the JSON."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    model = model or platform.processor() or platform.machine()
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
        "usable_cpus": usable_cores(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "threads": threads,
        "load_average": load_average(),
    }


def machine_line(info: dict) -> str:
    return (
        f"{info['cpu_model']}, {info['usable_cpus']} of {info['logical_cpus']} CPUs usable, "
        f"{info['memory_gib']:g} GiB, Python {info['python']}"
    )


def versions_line(info: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in info["versions"].items())


# ------------------------------------------------------------------------------ CLI


def positive(text: str) -> float:
    """argparse type: a positive number."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def csv_list(text: str) -> list[str]:
    """The non-empty items of a comma list."""
    return [t.strip() for t in text.split(",") if t.strip()]


def choices(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    """argparse type: a comma list of some of ``allowed``."""

    def parse(text: str) -> list[str]:
        items = csv_list(text)
        unknown = [i for i in items if i not in allowed]
        if unknown or not items:
            raise argparse.ArgumentTypeError(
                f"expected a comma list of {', '.join(allowed)}; got {text!r}"
            )
        return items

    return parse


def add_common_options(
    parser: argparse.ArgumentParser,
    *,
    quick: str,
    time_limit: tuple[float, str],
    mem_cap_gib: tuple[float, str],
) -> None:
    """The options both scripts take: --quick, --backends, --time-limit, --mem-cap-gib,
    --out (the help texts and defaults of the last three are the script's own)."""
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument(
        "--backends",
        type=choices(backends.NAMES),
        default=list(backends.NAMES),
        help="comma list of original,numba,jax,xp (default all that import)",
    )
    parser.add_argument("--time-limit", type=positive, default=time_limit[0], help=time_limit[1])
    parser.add_argument("--mem-cap-gib", type=positive, default=mem_cap_gib[0], help=mem_cap_gib[1])
    parser.add_argument("--out", type=Path, default=REPORT_DIR, help="folder for .md and .png")


def command_line(prog: str, argv: Sequence[str] | None) -> str:
    """The command that ran, for the report (``argv`` None: this process's arguments)."""
    return (f"{prog} " + shlex.join(sys.argv[1:] if argv is None else list(argv))).strip()


def usable_backends(requested: Sequence[str], console) -> list[str]:
    """The requested backends that import, in order; the others are reported and left out."""
    status = backends.available()
    for name in requested:
        if status[name] is not None:
            console.print(f"[yellow]backend {name} skipped: {status[name]}")
    return [name for name in requested if status[name] is None]
