"""The benchmark's command line: ``python -m benchmarks.science [options]``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import psutil
from rich.console import Console

from autojax import backends

from ..harness import (
    ROOT,
    add_common_options,
    choices,
    command_line,
    csv_list,
    load_average,
    machine_info,
    positive,
    usable_backends,
)
from .checks import W1_FLOOR, W1_RTOL, W2_RTOL, W3_RTOL
from .output import markdown_report, plot_workload, print_tables
from .problem import PRESETS
from .references import Cache
from .runner import SLOW_S, TARGET_S, Config, Runner
from .workloads import NUFFT_EPS, PUBLIC, WORKLOADS, default_eps

PROG = "python -m benchmarks.science"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    total_gib = psutil.virtual_memory().total / 2**30
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Time every backend and method of the precompute (W1), the curvature "
        "matrix (W2) and one likelihood step (W3) at science sizes, each checked first.",
    )
    add_common_options(
        parser,
        quick="one warm call per row",
        time_limit=(60.0, "skip rows predicted to take longer per call, seconds (default 60)"),
        mem_cap_gib=(
            round(0.7 * total_gib, 1),
            f"skip rows predicted to need more memory (default 70%% of RAM: {0.7 * total_gib:.1f})",
        ),
    )
    parser.add_argument(
        "--preset",
        action="append",
        type=choices(list(PRESETS)),
        help=f"repeatable or comma list of {', '.join(PRESETS)} (default mid; --quick: tiny)",
    )
    parser.add_argument(
        "--workloads",
        type=choices(WORKLOADS),
        default=None,
        help="comma list of W1,W2,W3,W4 (default: the preset's, W1-W3; W4 for the "
        "*_lens_model presets)",
    )
    parser.add_argument(
        "--methods",
        type=csv_list,
        help="comma list of methods to keep (exact, nufft, two_pass, conv, fft, direct, BCOO, "
        "preload, ...; default all)",
    )
    parser.add_argument(
        "--nufft-eps",
        type=positive,
        default=NUFFT_EPS,
        help="tolerance passed to NUFFT methods (default: none passed, the kernel's default)",
    )
    parser.add_argument(
        "--json-dir", type=Path, default=ROOT / ".benchmarks", help="folder for the raw JSON"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=ROOT / ".benchmarks" / "cache",
        help="reference cache (default .benchmarks/cache)",
    )
    parser.add_argument("--no-cache", action="store_true", help="recompute the references")
    parser.add_argument("--stamp", help="run suffix instead of <YYYYmmdd-HHMMSS>")
    args = parser.parse_args(argv)
    presets = [p for group in (args.preset or []) for p in group]
    args.presets = list(dict.fromkeys(presets)) or (["tiny"] if args.quick else ["mid"])
    args.backends = list(dict.fromkeys(args.backends))
    args.workloads = list(dict.fromkeys(args.workloads)) if args.workloads else None
    if args.methods is not None:
        args.methods = set(args.methods)
    return args


def methods_api(names: Sequence[str]) -> dict:
    """Each backend's ``METHODS`` (None where it has none yet), for the JSON."""
    api = {}
    for name in names:
        table = getattr(backends.load(name), "METHODS", None)
        api[name] = None if table is None else {k: list(v) for k, v in table.items()}
    return api


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the presets; 0 when every row that ran was right, 2 when one failed."""
    args = parse_args(argv)
    if console is None:
        console = Console(width=None if Console().is_terminal else 180)
    names = usable_backends(args.backends, console)
    if not names:
        console.print("[bold red]no backend imports[/]")
        return 1
    stamp = args.stamp or f"{datetime.now():%Y%m%d-%H%M%S}"
    config = {
        "command": command_line(PROG, argv),
        "quick": args.quick,
        "time_limit": args.time_limit,
        "mem_cap_gib": args.mem_cap_gib,
        "backends": names,
        "workloads": args.workloads,
        "methods": sorted(args.methods) if args.methods else None,
        "rounds": {"slow_s": SLOW_S, "target_s": TARGET_S},
        "tolerances": {"W1": [W1_RTOL, W1_FLOOR], "W2": W2_RTOL, "W3": W3_RTOL},
        "nufft_eps": args.nufft_eps,
        "nufft_eps_defaults": {
            n: default_eps(getattr(backends.load(n), PUBLIC["W1"], None)) for n in names
        },
        "methods_api": methods_api(names),
    }
    cache = Cache(None if args.no_cache else args.cache_dir)
    config_ = Config(args.time_limit, args.mem_cap_gib * 2**30, args.quick, args.nufft_eps)
    runner = Runner(config_, console, cache)
    failed = 0
    written = []
    for name in args.presets:
        preset = PRESETS[name]
        load_at_start = load_average()
        workloads = args.workloads or list(preset.workloads)
        done = runner.run_preset(preset, workloads, names, args.methods)
        info = machine_info()
        info["load_average_at_start"] = load_at_start
        results = done["results"]
        failed += sum(r.status == "failed" for r in results)
        print_tables(preset, results, console)

        run = f"science-{preset.name}-{stamp}"
        args.out.mkdir(parents=True, exist_ok=True)
        for workload in WORKLOADS:
            rows = [r for r in results if r.workload == workload]
            if rows:
                png = args.out / run / f"{workload}.png"
                plot_workload(preset, workload, rows, info, png)
                written.append(png)
        markdown = args.out / f"{run}.md"
        markdown.write_text(markdown_report(run, preset, done, info, config))
        written.append(markdown)
        args.json_dir.mkdir(parents=True, exist_ok=True)
        json_path = args.json_dir / f"{run}.json"
        problem = done["problem"]
        payload = {
            "run": run,
            "date": datetime.now().isoformat(timespec="seconds"),
            "duration_s": done["seconds"],
            "preset": asdict(preset),
            "sizes": problem.sizes,
            "machine": info,
            "config": config,
            "references": done["references"],
            "results": [asdict(r) for r in results],
        }
        json_path.write_text(json.dumps(payload, indent=1))
        written.append(json_path)
    console.print("wrote:")
    for path in written:
        console.print(f"  {path}", highlight=False)
    if failed:
        console.print(f"[bold red]{failed} row(s) failed[/]: see the tables")
        return 2
    return 0
