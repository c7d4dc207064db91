"""A preset's outputs: a rich table per workload, a bar chart per workload, the Markdown."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..harness import machine_line, versions_line
from ..report import BACKEND_COLOURS, format_time
from .checks import W1_FLOOR, W1_RTOL, W2_RTOL, W3_RTOL
from .problem import Preset, Problem
from .rows import STEP_CALL
from .runner import MAX_ROUNDS, MIN_ROUNDS, SLOW_S, TARGET_S, Result
from .workloads import SEED_ARGUMENTS, STEP, WORKLOAD_TITLES, WORKLOADS

W3_NOTE = (
    f"*{STEP}*: `autojax.Likelihood.log_evidence`, the step a modeller runs (under "
    "`jax.jit` for jax), its per-observation constants (compact form, dirty image, data chi² "
    "and noise normalisation: W1's cost, paid once) precomputed, so nothing in it grows with "
    f"K. *{SEED_ARGUMENTS}*: `log_likelihood_function_via_w_compact_from`, which takes the "
    "data and noise and sums over the K visibilities on every call."
)

HEADER = [
    "",
    "status",
    "median",
    "first call",
    "rounds",
    "peak RSS",
    "ratio",
    "error",
    "predicted",
    "note",
]


def _sorted(results: list[Result]) -> list[Result]:
    order = {"ok": 0, "failed": 1, "skipped": 2}
    return sorted(
        results, key=lambda r: (order[r.status], r.median_s if r.median_s is not None else 0)
    )


def _cells(r: Result) -> list[str]:
    mib = lambda v: "—" if v is None else f"{v:,.1f} MiB"
    return [
        r.label + (" (baseline)" if r.baseline else ""),
        r.status,
        format_time(r.median_s),
        format_time(r.first_call_s),
        str(len(r.times_s)) if r.times_s else "—",
        mib(r.peak_mib),
        "—" if r.ratio is None else f"{r.ratio:.3g}",
        "—" if r.error is None else f"{r.error:.1e}",
        format_time(r.predicted_s),
        r.reason or "",
    ]


def print_tables(preset: Preset, results: list[Result], console: Console) -> None:
    colour = {"ok": "green", "failed": "bold red", "skipped": "yellow"}
    for workload in WORKLOADS:
        rows = [r for r in results if r.workload == workload]
        if not rows:
            continue
        table = Table(title=f"{preset.name}: {WORKLOAD_TITLES[workload]}", title_justify="left")
        for i, h in enumerate(HEADER):
            table.add_column(
                h,
                justify="left" if i in (0, 1, 9) else "right",
                no_wrap=i < 9,
                overflow="fold",
            )
        for r in _sorted(rows):
            cells = _cells(r)
            cells[1] = f"[{colour[r.status]}]{cells[1]}[/]"
            table.add_row(*cells)
        console.print(table)


def plot_workload(preset: Preset, workload: str, results: list[Result], info, path: Path) -> None:
    """Horizontal bars of the median per row (log axis), labelled with the ratio."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(reversed(_sorted(results)))
    longest = max((len(r.label) for r in rows), default=0)  # long W3 labels widen the figure
    fig, ax = plt.subplots(figsize=(9 + 0.07 * max(longest - 30, 0), 0.42 * len(rows) + 1.8))
    measured = [r.median_s for r in rows if r.median_s is not None]
    lo = min(measured, default=1e-3)
    hi = max(measured, default=1.0)
    for y, r in enumerate(rows):
        if r.median_s is None:
            text = r.status
            if r.status == "skipped" and r.predicted_s is not None:
                text += f" (predicted {format_time(r.predicted_s)})"
            ax.text(lo / 1.8, y, text, va="center", fontsize=8, color="0.4")
            continue
        colour = BACKEND_COLOURS.get(r.backend, "C7")
        hatch = "//" if r.kernel == STEP_CALL else None  # W3: the Likelihood step
        ax.barh(y, r.median_s, color=colour, height=0.7, hatch=hatch, edgecolor="white")
        text = format_time(r.median_s) + ("" if r.ratio is None else f"  ×{r.ratio:.3g}")
        ax.text(r.median_s * 1.08, y, text, va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xscale("log")
    ax.set_xlim(lo / 2, hi * 12)
    base = next((r.label for r in results if r.baseline), "—")
    ax.set_xlabel(f"median time per call [s] (log)\nlabels: time and ratio to {base}")
    ax.set_title(f"{preset.name}: {WORKLOAD_TITLES[workload]}\n{machine_line(info)}", fontsize=9)
    from matplotlib.patches import Patch

    present = {r.backend for r in rows if r.median_s is not None}
    handles = [Patch(color=c, label=b) for b, c in BACKEND_COLOURS.items() if b in present]
    if any(r.kernel == STEP_CALL and r.median_s is not None for r in rows):
        handles.append(Patch(facecolor="white", hatch="//", edgecolor="0.3", label=STEP))
    if handles:
        ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _sizes_line(preset: Preset, problem: Problem) -> str:
    return (
        f"N = {preset.N}, M = {problem.M:,}, K = {preset.K:,}, S = {preset.S:,}, "
        f"B = {preset.B}, P = {preset.P}; pixel scale {preset.pixel_scale:g} arcsec, "
        f"|uv| from {preset.uv_min:g} to {preset.uv_max:g} wavelengths"
    )


def markdown_report(run: str, preset: Preset, done: dict, info: dict, config: dict) -> str:
    problem, results = done["problem"], done["results"]
    lines = [
        f"# Science-size benchmark `{run}`",
        "",
        f"- preset **{preset.name}**: {_sizes_line(preset, problem)}",
        f"- machine: {machine_line(info)}; {info['platform']}",
        f"- versions: {versions_line(info)}; numba "
        f"{info['threads']['numba']} threads ({info['threads']['numba_layer']})",
        f"- load average (1, 5, 15 min) at start {info['load_average_at_start']}, at end "
        f"{info['load_average']}",
        f"- command: `{config['command']}`",
        f"- duration: {done['seconds']:.0f} s; time limit {config['time_limit']:g} s per call; "
        f"memory cap {config['mem_cap_gib']:g} GiB" + ("; --quick" if config["quick"] else ""),
        "- NUFFT eps: "
        + (
            f"{config['nufft_eps']:g} (--nufft-eps)"
            if config["nufft_eps"] is not None
            else "each kernel's default ("
            + ", ".join(f"{k} {v:g}" for k, v in config["nufft_eps_defaults"].items() if v)
            + ")"
        ),
        "",
        "Every row's first result was checked against the reference before it was timed "
        "(failed rows are never timed). *median*: of the warm calls (one warm call, then more "
        f"until {TARGET_S:g} s have passed, {MIN_ROUNDS} to {MAX_ROUNDS} rounds, unless the "
        f"warm call took over {SLOW_S:g} s); *first call* includes JIT compilation; *peak "
        "RSS*: growth of the process RSS during the warm calls, sampled every ms "
        "(approximate); *ratio*: median over the baseline's; *error*: W1 the largest relative "
        f"error on entries above {W1_FLOOR:g} of the peak (allowed {W1_RTOL:g}), W2 the largest "
        f"error over max|F| (allowed {W2_RTOL:g}), W3 the relative error of the part of the "
        "evidence that depends on F (the data chi² and noise normalisation, terms of size K, "
        f"are left out; the total is checked too), allowed {W3_RTOL:g}. "
        "*predicted*: the cost model's time per call (operation counts at rates measured on a "
        "2-core machine, or this row's time at a smaller preset of the run, rescaled); rows "
        "predicted over the time limit or the memory cap are skipped, saying so.",
        "",
        "The references of W1 and W2 come from numba's exact and two-pass kernels (checked "
        "against exact NumPy sums), computed before the rows run: those two rows' first call "
        "therefore excludes compilation.",
        "",
        "References: "
        + "; ".join(f"{k}: {v}" for k, v in done["references"].items())
        + ("." if done["references"] else "none needed."),
    ]
    for workload in WORKLOADS:
        rows = [r for r in results if r.workload == workload]
        if not rows:
            continue
        base = next((r.label for r in rows if r.baseline), "none (not run)")
        lines += ["", f"## {WORKLOAD_TITLES[workload]}", "", f"Baseline: {base}.", ""]
        if workload == "W3":
            lines += [W3_NOTE, ""]
        lines.append("| " + " | ".join(HEADER) + " |")
        lines.append("|---|---|" + "---:|" * 7 + "---|")
        for r in _sorted(rows):
            cells = [c.replace("|", "\\|").replace("\n", " ") for c in _cells(r)]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", f"![{workload}]({run}/{workload}.png)"]
    return "\n".join(lines) + "\n"
