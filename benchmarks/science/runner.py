"""Running the rows of a preset: skip by prediction, build the reference, check, then time.

Timing: the first call (JIT compilation, caches) is its own column; then one warm call,
then more until ``TARGET_S`` have passed (at least ``MIN_ROUNDS``, at most ``MAX_ROUNDS``)
unless the warm call took over ``SLOW_S`` (then it is the only round); ``--quick`` keeps
one warm call. JAX calls wait with ``block_until_ready``. Peak RSS growth is sampled every
millisecond during the warm calls (:class:`benchmarks.harness.RssPeak`).

Rows the cost model predicts to exceed the time limit per call, or the memory cap, are
skipped with the prediction as the reason; once a row has been measured at a smaller
preset in the same run, its measured time scaled by the model replaces the model's rates.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rich.console import Console

from ..harness import Rounds, Timing, WrongAnswer, measure, paired_ratio
from ..report import format_time
from .cost import Prediction, predict
from .problem import Preset, Problem
from .references import Cache, References
from .rows import VARIANTS, Row, bind, build_rows, checker

SLOW_S = 5.0  # a warm call over this is the only round
TARGET_S = 1.0  # faster calls repeat until this much time has passed...
MIN_ROUNDS = 3  # ...and at least this many rounds
MAX_ROUNDS = 25


@dataclass
class Result:
    """One row of one preset: measured, failed or skipped."""

    preset: str
    workload: str
    label: str
    backend: str
    method: str
    kernel: str
    keyword: bool
    baseline: bool
    status: str = "skipped"  # "ok", "failed" or "skipped"
    reason: str | None = None
    first_call_s: float | None = None
    times_s: list[float] = field(default_factory=list)
    median_s: float | None = None
    peak_mib: float | None = None
    first_peak_mib: float | None = None
    error: float | None = None  # the checked error (see the workload's rule)
    predicted_s: float | None = None
    predicted_mib: float | None = None
    ratio: float | None = None  # median / the baseline's median

    def record(self, timing: Timing) -> None:
        """Fill in a checked and timed row."""
        self.first_call_s = timing.first_call_s
        self.first_peak_mib = timing.first_peak_mib
        self.error = timing.error
        self.times_s = timing.times_s
        self.median_s = timing.median_s
        self.peak_mib = timing.peak_mib
        self.status = "ok"


@dataclass
class Config:
    time_limit: float
    mem_cap_bytes: float
    quick: bool
    nufft_eps: float | None = None


class Runner:
    """Runs the rows of one preset; remembers measured times to predict larger presets."""

    def __init__(self, config: Config, console: Console, cache: Cache):
        self.config = config
        self.console = console
        self.cache = cache
        self.rounds = Rounds(TARGET_S, MIN_ROUNDS, MAX_ROUNDS, slow_s=SLOW_S, quick=config.quick)
        #: (workload, label) -> (model seconds, measured median, preset) of the last measurement
        self.measured: dict[tuple[str, str], tuple[float, float, str]] = {}

    def log(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def skip_reason(self, row: Row, pred: Prediction, preset: Preset) -> str | None:
        cap = self.config.mem_cap_bytes
        if pred.bytes > cap:
            return (
                f"skipped: needs ~{pred.bytes / 2**30:.3g} GiB ({pred.memory}), over the "
                f"{cap / 2**30:.3g} GiB memory cap"
            )
        if pred.seconds > self.config.time_limit:
            return (
                f"skipped: predicted {format_time(pred.seconds)} per call ({pred.formula}), "
                f"over the {self.config.time_limit:g} s time limit"
            )
        return None

    def prediction(self, row: Row, preset: Preset, M: int) -> Prediction:
        """The cost model's prediction, rescaled from this row's measurement at an earlier
        preset of the run when there is one (the model's growth, the measured constant)."""
        pred = predict(row, preset, M)
        seen = self.measured.get((row.workload, row.label))
        if seen is not None and seen[0] > 0:
            model, median, where = seen
            pred.seconds = median * pred.seconds / model
            pred.formula += f", scaled from {format_time(median)} measured at {where}"
        return pred

    def run_preset(self, preset: Preset, workloads: Sequence[str], names, methods) -> dict:
        start = time.perf_counter()
        self.console.rule(f"preset {preset.name}")
        problem = Problem(preset)
        self.log(
            f"{problem!r}: built in {time.perf_counter() - start:.1f} s; "
            f"{int(np.count_nonzero(problem.pix_indexes_for_sub_slim_index[:, 1] < 0)):,} "
            "image pixels outside the source mesh (one mapping)"
        )
        refs = References(problem, self.cache, self.log, self.config.nufft_eps)
        results: list[Result] = []
        for workload in workloads:
            if workload == "W4":
                from . import lens_model

                results += lens_model.run(self, problem, names, refs, Result)
                continue
            rows = [
                r for r in build_rows(workload, names) if methods is None or r.method in methods
            ]
            results += self.run_workload(workload, rows, problem, refs)
        return {
            "problem": problem,
            "results": results,
            "references": dict(refs.notes),
            "seconds": time.perf_counter() - start,
        }

    def run_workload(self, workload: str, rows: list[Row], problem: Problem, refs) -> list[Result]:
        preset = problem.preset
        results = []
        calls = {}  # a sampler row's variant -> its bound (compiled) call
        expected = None
        reference_error = None
        for row in rows:
            result = Result(
                preset.name,
                workload,
                row.label,
                row.backend,
                row.method,
                row.kernel,
                row.keyword,
                row.baseline,
            )
            results.append(result)
            pred = self.prediction(row, preset, problem.M)
            result.predicted_s = pred.seconds
            result.predicted_mib = pred.bytes / 2**20
            result.reason = self.skip_reason(row, pred, preset)
            if result.reason is not None:
                self.log(f"{workload} {row.label:<26} {result.reason}")
                continue
            if expected is None and reference_error is None:
                try:
                    if workload != "W1":
                        problem.set_w_compact(refs.w_compact_input)
                    expected = refs.expected(workload)
                except WrongAnswer as exc:
                    reference_error = f"the reference is wrong: {exc}"
                    self.log(f"[bold red]{workload}: {reference_error}")
                except Exception as exc:  # the reference kernel itself crashed
                    reference_error = f"the reference could not be computed: {exc!r}"
                    self.log(f"[bold red]{workload}: {reference_error}")
            if reference_error is not None:
                result.status, result.reason = "failed", reference_error
                continue
            call = bind(row, problem, self.config.nufft_eps)
            if row.variant:
                calls[row.variant] = call  # timed again, paired (paired_sampler_ratios)
            try:
                timing = measure(
                    call,
                    checker(row, problem, refs.dirty_spot if row.dirty else expected),
                    self.rounds,
                )
            except WrongAnswer as exc:
                result.status, result.reason = "failed", f"wrong answer, not timed: {exc}"
                self.log(f"[bold red]{workload} {row.label}: {result.reason}")
            except Exception as exc:  # a crashing kernel is a failed row, not a crashed run
                result.status, result.reason = "failed", f"raised {exc!r}"
                self.log(f"[bold red]{workload} {row.label}: {result.reason}")
            else:
                result.record(timing)
                self.measured[(workload, row.label)] = (
                    predict(row, preset, problem.M).seconds,
                    result.median_s,
                    preset.name,
                )
                self.log(
                    f"{workload} {row.label:<26} {format_time(result.median_s):>9} "
                    f"x{len(result.times_s)} (first {format_time(result.first_call_s)}, "
                    f"predicted {format_time(pred.seconds)}) {result.peak_mib:8.1f} MiB, "
                    f"error {result.error:.2g}"
                )
        base = next((r for r in results if r.baseline and r.status == "ok"), None)
        for r in results:
            if base is not None and r.median_s is not None:
                r.ratio = r.median_s / base.median_s
        if workload == "W3":
            self.paired_sampler_ratios(rows, results, problem, calls)
        return results

    def paired_sampler_ratios(
        self, rows: list[Row], results: list[Result], problem: Problem, calls: dict
    ):
        """The samplers' targets as paired ratios (:func:`paired_ratio`): ``value_and_grad``
        of the step over the step (target <= 3) and ``vmap`` over 8 mappings over 8 calls
        (target <= 1), each pair timed back to back in interleaved rounds (the median of the
        per-round ratios, and the fastest calls' ratio). Their rows' medians, taken minutes
        apart, share no load; the pair does. The rows' own bound calls are reused (``calls``:
        variant -> call); only the plain step of the gradient's method is bound here. Each
        ratio goes to the log and its row's note."""
        timed = {
            row.variant: (row, result)
            for row, result in zip(rows, results)
            if row.variant and result.status == "ok"
        }
        pairs = []
        if "grad" in timed:
            row, result = timed["grad"]
            step = dataclasses.replace(row, variant="", label=f"{row.backend} {row.method}: step")
            pairs.append((row, result, lambda: bind(step, problem), "step", 3.0))
        if "vmap" in timed and "calls" in timed:
            row, result = timed["vmap"]
            pairs.append((row, result, lambda: calls["calls"], VARIANTS["calls"], 1.0))
        for row, result, other, name, target in pairs:
            try:
                paired = paired_ratio(calls[row.variant], other())
            except Exception as exc:  # a pair that cannot run again is noted, not fatal
                self.log(f"[bold red]W3 {row.label}: the paired ratio raised {exc!r}")
                continue
            what = f"{VARIANTS[row.variant]} / {name}"
            self.log(f"W3 {row.backend}: {what} = {paired.describe()} (target <= {target:g})")
            result.reason = f"{paired.describe()} {name}"
