"""Turn pytest-benchmark JSON into tables and plots: ``python -m benchmarks.report [JSON ...]``.

With one file (default: the newest ``.benchmarks/*.json``) every group becomes a table
sorted by median, with each row's time as a ratio to the group's ``original`` baseline
(and the speed-up, its inverse); the tables go to the terminal (rich) and to
``benchmarks/report/<run>.md``, and each group becomes a horizontal bar chart (log time
axis, ratio labels) in ``benchmarks/report/<run>/``.

With two files (a CPU run and a GPU run, say) the tables put them side by side: the
median of each run and the second run's speed-up over the first, row by row.

Groups: the *method* comparisons (w-tilde, curvature), the *likelihood*, then one table
per kernel, which also lists the method rows that timed that kernel alone.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "report"
STORE = ROOT / ".benchmarks"
KIND_ORDER = {"method": 0, "likelihood": 1, "kernel": 2}
BACKEND_COLOURS = {"original": "0.55", "numba": "C0", "jax": "C1", "xp": "C2"}


@dataclass(frozen=True)
class Row:
    """One benchmark of one run."""

    kind: str
    group: str
    label: str
    backend: str
    kernel: str | None
    baseline: bool
    dataset: str
    sizes: dict
    device: str
    median: float
    iqr: float
    rounds: int
    first_call: float | None


@dataclass
class Run:
    name: str
    path: Path
    rows: list[Row]
    machine: str
    when: str


def load(path: Path) -> Run:
    """Read one pytest-benchmark JSON file written by the autojax suites."""
    data = json.loads(Path(path).read_text())
    rows = []
    for b in data["benchmarks"]:
        info = b.get("extra_info", {})
        if "label" not in info:  # not one of ours
            continue
        stats = b["stats"]
        rows.append(
            Row(
                kind=info["kind"],
                group=info["group"],
                label=info["label"],
                backend=info["backend"],
                kernel=info.get("kernel"),
                baseline=bool(info.get("baseline")),
                dataset=info["dataset"],
                sizes=info.get("sizes", {}),
                device=info.get("device", "cpu"),
                median=stats["median"],
                iqr=stats["iqr"],
                rounds=stats["rounds"],
                first_call=info.get("first_call_s"),
            )
        )
    cpu = data.get("machine_info", {}).get("cpu", {})
    machine = f"{cpu.get('brand_raw', '?')}, {cpu.get('count', '?')} cores"
    return Run(Path(path).stem, Path(path), rows, machine, data.get("datetime", ""))


@dataclass
class Group:
    """A table: rows of one or more runs keyed by label."""

    kind: str
    name: str
    dataset: str
    sizes: dict
    rows: list[dict]  # label -> per-run Row (None where a run lacks it)

    @property
    def title(self) -> str:
        return f"{self.name} [{self.dataset}]"

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", f"{self.kind}-{self.name}-{self.dataset}").strip("-")


def _keyed(run: Run) -> dict[tuple, dict[str, Row]]:
    """(kind, group, dataset) -> label -> row; kernel tables also take single-kernel rows
    of the method and likelihood groups, labelled by backend."""
    out: dict[tuple, dict[str, Row]] = {}
    for r in run.rows:
        out.setdefault((r.kind, r.group, r.dataset), {})[r.label] = r
        if r.kind != "kernel" and r.kernel:
            label = r.backend if r.label.startswith(r.backend) else r.label
            row = replace(r, label=label, baseline=r.backend == "original")
            out.setdefault(("kernel", r.kernel, r.dataset), {}).setdefault(label, row)
    return out


def build_groups(runs: list[Run]) -> list[Group]:
    keyed = [_keyed(run) for run in runs]
    keys = sorted(
        {k for ks in keyed for k in ks}, key=lambda k: (KIND_ORDER.get(k[0], 9), k[2], k[1])
    )
    groups = []
    for key in keys:
        labels = []
        for ks in keyed:
            labels += [label for label in ks.get(key, {}) if label not in labels]
        rows = [
            {"label": label, "runs": [ks.get(key, {}).get(label) for ks in keyed]}
            for label in labels
        ]
        first = next(r for row in rows for r in row["runs"] if r is not None)
        groups.append(Group(key[0], key[1], key[2], first.sizes, rows))
    return groups


def _baseline(group: Group, run_index: int) -> float | None:
    for row in group.rows:
        r = row["runs"][run_index]
        if r is not None and r.baseline:
            return r.median
    return None


def _sort_key(row, i=0):
    r = row["runs"][i]
    return math.inf if r is None else r.median


def format_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return (
                f"{seconds / scale:,.3g} {unit}"
                if seconds / scale < 1000
                else f"{seconds / scale:,.0f} {unit}"
            )
    return f"{seconds * 1e9:,.0f} ns"


def table(group: Group, names: list[str]) -> tuple[list[str], list[list[str]]]:
    """Header and body of a group's table (one run: ratios; two or more: side by side)."""
    rows = sorted(group.rows, key=_sort_key)
    if len(names) == 1:
        base = _baseline(group, 0)
        header = ["", "median", "IQR", "rounds", "first call", "ratio to original", "speed-up"]
        body = []
        for row in rows:
            r = row["runs"][0]
            ratio = r.median / base if base else None
            body.append(
                [
                    row["label"] + (" (baseline)" if r.baseline else ""),
                    format_time(r.median),
                    format_time(r.iqr),
                    str(r.rounds),
                    format_time(r.first_call),
                    f"{ratio:.3g}" if ratio else "—",
                    f"{1 / ratio:.3g}x" if ratio else "—",
                ]
            )
        return header, body
    header = (
        [""]
        + [f"median ({n})" for n in names]
        + [f"{names[i]} vs {names[0]}" for i in range(1, len(names))]
    )
    body = []
    for row in rows:
        runs = row["runs"]
        cells = [row["label"]] + [format_time(r.median if r else None) for r in runs]
        for r in runs[1:]:
            ok = r is not None and runs[0] is not None
            cells.append(f"{runs[0].median / r.median:.3g}x faster" if ok else "—")
        body.append(cells)
    return header, body


def markdown(runs: list[Run], groups: list[Group], plots: dict[str, Path], out_md: Path) -> str:
    names = [r.name for r in runs]
    lines = [f"# autojax benchmarks: {' vs '.join(names)}", ""]
    for run in runs:
        lines.append(f"- **{run.name}**: {run.when}, {run.machine}, from `{run.path.name}`")
    lines += [
        "",
        "Median wall time per call after a warm-up (JAX: `block_until_ready`, compilation "
        "excluded and shown as *first call*). *Ratio to original* is the row's median over "
        "the group's baseline (the `original` backend; in the method groups the upstream "
        "algorithm marked *baseline*); *speed-up* is its inverse. Every row was checked "
        "against the float64 reference before it was timed.",
        "",
    ]
    current = None
    for g in groups:
        if g.kind != current:
            current = g.kind
            lines += [
                {
                    "method": "## Method comparisons",
                    "likelihood": "## Log-likelihood (the MCMC step)",
                    "kernel": "## Kernels",
                }[g.kind],
                "",
            ]
        sizes = ", ".join(f"{k}={v}" for k, v in g.sizes.items())
        lines += [f"### {g.title}", "", f"Sizes: {sizes}.", ""]
        header, body = table(g, names)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        lines.append("")
        if g.slug in plots:
            rel = plots[g.slug].relative_to(out_md.parent)
            lines += [f"![{g.title}]({rel.as_posix()})", ""]
    return "\n".join(lines)


def plot(group: Group, names: list[str], path: Path) -> Path:
    """Horizontal bars of the median per row (log axis), labelled with the ratio to original."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(group.rows, key=_sort_key, reverse=True)
    n_runs = len(names)
    height = 0.8 / n_runs
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) * max(1, n_runs * 0.8) + 1.4))
    for i, name in enumerate(names):
        base = _baseline(group, i)
        ys, widths, texts = [], [], []
        for y, row in enumerate(rows):
            r = row["runs"][i]
            if r is None:
                continue
            ys.append(y + (i - (n_runs - 1) / 2) * height)
            widths.append(r.median)
            texts.append(f"{format_time(r.median)}" + (f"  ×{r.median / base:.3g}" if base else ""))
        colours = [
            BACKEND_COLOURS.get(row["runs"][i].backend, "C7")
            for row in rows
            if row["runs"][i] is not None
        ]
        bars = ax.barh(
            ys,
            widths,
            height=height * 0.9,
            label=name if n_runs > 1 else None,
            color=None if n_runs > 1 else colours,
        )
        for bar, text in zip(bars, texts):
            ax.text(
                bar.get_width() * 1.05,
                bar.get_y() + bar.get_height() / 2,
                text,
                va="center",
                fontsize=8,
            )
    ax.set_yticks(range(len(rows)), [row["label"] for row in rows], fontsize=8)
    ax.set_xscale("log")
    lo = min(r.median for row in rows for r in row["runs"] if r)
    hi = max(r.median for row in rows for r in row["runs"] if r)
    ax.set_xlim(lo / 2, hi * 10)
    ax.set_xlabel("median time per call [s] (log); labels: time and ratio to original")
    if n_runs == 1:
        from matplotlib.patches import Patch

        present = {row["runs"][0].backend for row in rows}
        handles = [Patch(color=c, label=b) for b, c in BACKEND_COLOURS.items() if b in present]
        ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.set_title(group.title, fontsize=10)
    if n_runs > 1:
        ax.legend(fontsize=8)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def print_tables(groups: list[Group], names: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if Console().is_terminal else 140)
    for g in groups:
        header, body = table(g, names)
        t = Table(title=g.title, title_justify="left")
        for i, h in enumerate(header):
            t.add_column(h, justify="left" if i == 0 else "right", no_wrap=i == 0)
        for cells in body:
            t.add_row(*cells)
        console.print(t)


def _is_suite_run(path: Path) -> bool:
    """A pytest-benchmark file (the scaling sweep writes JSON of another shape there too)."""
    try:
        return "benchmarks" in json.loads(path.read_text())
    except (OSError, ValueError):
        return False


def newest_json(store: Path = STORE) -> Path:
    files = [p for p in store.glob("*.json") if _is_suite_run(p)]
    if not files:
        raise SystemExit(f"no benchmark JSON in {store}; run `nox -s bench-cpu` first")
    return max(files, key=lambda p: p.stat().st_mtime)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="*", type=Path, help="pytest-benchmark JSON files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    parser.add_argument("--no-plots", action="store_true", help="tables only")
    parser.add_argument("--quiet", action="store_true", help="do not print the tables")
    args = parser.parse_args(argv)
    paths = args.json or [newest_json()]
    runs = [load(p) for p in paths]
    for run in runs:
        if not run.rows:
            raise SystemExit(f"{run.path}: no autojax benchmarks in it")
    names = [r.name for r in runs]
    groups = build_groups(runs)
    stem = "+".join(names)
    out_md = args.out / f"{stem}.md"
    plots = {}
    if not args.no_plots:
        for g in groups:
            plots[g.slug] = plot(g, names, args.out / stem / f"{g.slug}.png")
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(markdown(runs, groups, plots, out_md))
    if not args.quiet:
        print_tables(groups, names)
    print(f"report: {out_md}" + (f" and {len(plots)} plots in {args.out / stem}" if plots else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
