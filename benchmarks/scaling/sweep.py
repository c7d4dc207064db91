"""Running a series: every method at every size, within the time and memory budget."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from rich.console import Console
from rich.progress import Progress

from autojax.util.testing import assert_close

from ..cases import blocking, converter
from ..harness import Rounds, WrongAnswer, measure
from ..report import format_time
from .problems import Problem, Size
from .series import Method, Series

#: timed calls per point: until this many seconds have passed, within [MIN_REPS, MAX_REPS]
TARGET_SECONDS = 0.3
MIN_REPS = 1
MAX_REPS = 7
ROUNDS = Rounds(TARGET_SECONDS, MIN_REPS, MAX_REPS)
#: relative agreement (to the largest magnitude of the reference) required at the smallest size
RTOL = 1e-8


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
    timing = measure(lambda: call(*args), check, ROUNDS)
    point.first_call_s = timing.first_call_s
    point.times_s = timing.times_s
    point.median_s = timing.median_s
    point.peak_mib = timing.peak_mib


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
