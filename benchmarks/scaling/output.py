"""The sweep's outputs: a Markdown table per series and a log-log plot per series."""

from __future__ import annotations

from pathlib import Path

from ..harness import machine_line, versions_line
from ..report import format_time
from .sweep import MAX_REPS, MIN_REPS, RTOL, TARGET_SECONDS, Point, SeriesResult

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
        f"- versions: {versions_line(info)}",
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
