"""The benchmark machinery: a wrong answer fails its benchmark; the report computes ratios."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A plugin that swaps one Numba kernel for a fast wrong one (off by one part in a million).
WRONG_PLUGIN = """
import functools

import autojax.numba as backend

_right = backend.curvature_matrix_via_w_compact_two_pass_from


@functools.wraps(_right)  # same signature, so the suite passes it the same arguments
def _fast_but_wrong(*args):
    return _right(*args) * (1 + 1e-6)


backend.curvature_matrix_via_w_compact_two_pass_from = _fast_but_wrong
"""


def _bench_curvature(tmp_path, plugin: bool) -> subprocess.CompletedProcess:
    """Time the Numba curvature methods on DataLoaded (a real, enabled benchmark run)."""
    (tmp_path / "wrong_curvature.py").write_text(WRONG_PLUGIN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "benchmarks/test_methods_bench.py",
        "--bench-backends=numba",
        "--bench-groups=curvature",
        "--bench-datasets=DataLoaded",
        "--benchmark-max-time=0.01",
        "--benchmark-min-rounds=1",
        "--benchmark-quiet",
        "-p",
        "no:cacheprovider",
        "-q",
        *(["-p", "wrong_curvature"] if plugin else []),
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_a_wrong_implementation_fails_its_benchmark(tmp_path):
    right = _bench_curvature(tmp_path, plugin=False)
    assert right.returncode == 0, right.stdout[-3000:] + right.stderr[-3000:]
    assert "6 passed" in right.stdout, right.stdout[-2000:]
    wrong = _bench_curvature(tmp_path, plugin=True)
    assert wrong.returncode == 1, wrong.stdout[-3000:]
    assert "1 failed, 5 passed" in wrong.stdout, wrong.stdout[-2000:]
    assert "numba compact two_pass" in wrong.stdout
    assert "Mismatched elements" in wrong.stdout


def _fake_run(path: Path, medians: dict[str, float]) -> Path:
    benchmarks = []
    for label, median in medians.items():
        backend = label.split()[0]
        benchmarks.append(
            {
                "group": "w-tilde [DataLoaded]",
                "name": label,
                "stats": {"median": median, "iqr": median / 10, "rounds": 5},
                "extra_info": {
                    "kind": "method",
                    "group": "w-tilde",
                    "label": label,
                    "backend": backend,
                    "kernel": "w_compact_curvature_interferometer_from"
                    if "compact" in label
                    else None,
                    "baseline": label == "original direct",
                    "dataset": "DataLoaded",
                    "sizes": {"M": 716, "K": 190},
                    "device": "cpu",
                    "first_call_s": 2 * median,
                },
            }
        )
    data = {"benchmarks": benchmarks, "machine_info": {"cpu": {"brand_raw": "T", "count": 2}}}
    path.write_text(json.dumps(data))
    return path


def test_report_ratios_tables_and_plots(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("rich")
    from benchmarks import report

    run = _fake_run(
        tmp_path / "cpu-x.json",
        {"original direct": 0.5, "numba compact": 0.001, "jax compact": 0.002},
    )
    assert report.main([str(run), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    text = (tmp_path / "out" / "cpu-x.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| numba compact")]
    assert rows and "| 0.002 | 500x |" in rows[0], rows  # 1 ms / 500 ms
    # the method row that timed one kernel also appears in that kernel's table
    assert "### w_compact_curvature_interferometer_from [DataLoaded]" in text
    pngs = list((tmp_path / "out" / "cpu-x").glob("*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 1000 for p in pngs)
    # two runs side by side: the second's speed-up over the first, row by row
    gpu = _fake_run(tmp_path / "gpu-x.json", {"numba compact": 0.0005, "jax compact": 0.0001})
    report.main([str(run), str(gpu), "--out", str(tmp_path / "out"), "--quiet", "--no-plots"])
    both = (tmp_path / "out" / "cpu-x+gpu-x.md").read_text()
    assert "| jax compact | 2 ms | 100 µs | 20x faster |" in both, both


def test_nufft_overhead_checks_and_times_every_row(capsys):
    """benchmarks.nufft_overhead on the tiny problem: every row checked against the bare
    ducc0 call (and it against direct sums), then one table row per call with its ratio."""
    pytest.importorskip("ducc0")
    from benchmarks import nufft_overhead

    nufft_overhead.main(["--preset", "tiny", "--rounds", "1", "--backends", "numba,xp"])
    table = capsys.readouterr().out
    for row in ("ducc0 nu2u (bare)", "ducc0 nu2nu (bare)", "numba compact form", "xp dirty image"):
        assert f"| {row}" in table
    assert "| ducc0 nu2u (bare)            |" in table and "1.00 |" in table
