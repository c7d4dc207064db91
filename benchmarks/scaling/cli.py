"""The sweep's command line: ``python -m benchmarks.scaling [options]``."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ..harness import (
    ROOT,
    WrongAnswer,
    add_common_options,
    choices,
    command_line,
    load_average,
    machine_info,
    machine_line,
    positive,
    usable_backends,
)
from .output import markdown_report, plot_series
from .series import FULL, QUICK, SERIES_KEYS, build_series
from .sweep import MAX_REPS, MIN_REPS, RTOL, TARGET_SECONDS, Budget, run_series

PROG = "python -m benchmarks.scaling"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Time every backend and method of the W-tilde precompute, the curvature "
        "matrix and the log-likelihood over a range of sizes; write Markdown tables, log-log "
        "plots and JSON.",
    )
    add_common_options(
        parser,
        quick="tiny sizes, 2 points per series",
        time_limit=(
            10.0,
            "seconds per point beyond which a method's larger sizes are skipped (default 10)",
        ),
        mem_cap_gib=(
            1.0,
            "skip dense-W-tilde methods where the M x M matrix exceeds this (default 1 GiB)",
        ),
    )
    parser.add_argument("--run", help="run name (default scaling-<YYYYmmdd-HHMMSS>)")
    parser.add_argument("--json", type=Path, help="raw results (default .benchmarks/NAME.json)")
    parser.add_argument("--k-max", type=positive, default=1e6, help="largest K (default 1e6)")
    parser.add_argument(
        "--m-max",
        type=positive,
        default=10_500,
        help="largest M (default 10,500: N = 113, M = 10,185)",
    )
    parser.add_argument(
        "--series",
        type=choices(SERIES_KEYS),
        default=list(SERIES_KEYS),
        help="comma list of precompute,curvature,likelihood",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the sweep; returns the exit status (2 when a method disagrees with the reference)."""
    args = parse_args(argv)
    console = console or Console()
    run = args.run or f"scaling-{datetime.now():%Y%m%d-%H%M%S}"
    json_path = args.json or ROOT / ".benchmarks" / f"{run}.json"
    names = usable_backends(args.backends, console)
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
    load_at_start = load_average()
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

    config = {
        "command": command_line(PROG, argv),
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
