"""Smoke tests of the scaling sweep (``python -m benchmarks.scaling``) at its ``--quick`` sizes."""

from __future__ import annotations

import functools
import io
import json
import math

import pytest

# the sweep's own dependencies (the ``bench`` extra plus psutil)
for _module in ("matplotlib", "psutil", "rich"):
    pytest.importorskip(_module, reason=f"the scaling sweep needs {_module}")

from rich.console import Console  # noqa: E402

from autojax import backends  # noqa: E402
from benchmarks.scaling.cli import main  # noqa: E402
from benchmarks.scaling.problems import Size  # noqa: E402
from benchmarks.scaling.series import PRECOMPUTE_METHODS, SERIES_KEYS  # noqa: E402
from benchmarks.scaling.sweep import MAX_REPS, Budget, Point  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _console() -> Console:
    return Console(file=io.StringIO(), width=120)


#: the quick sweep, split so that JAX (whose compilations dominate) runs one series only:
#: name -> (extra arguments, series it runs)
RUNS = {
    "cpu": (["--backends", "original,numba,xp"], SERIES_KEYS),
    "jax": (["--backends", "jax", "--series", "precompute"], ("precompute",)),
}


@pytest.fixture(scope="module", params=list(RUNS))
def quick_run(request, tmp_path_factory):
    """One ``--quick`` sweep into a temporary folder: (exit status, folder, log, series keys)."""
    extra, keys = RUNS[request.param]
    out = tmp_path_factory.mktemp(f"scaling-{request.param}")
    console = _console()
    argv = ["--quick", "--run", "smoke", "--out", str(out), "--json", str(out / "raw.json")]
    status = main(argv + extra, console=console)
    return status, out, console.file.getvalue(), keys


@pytest.mark.slow  # the quick sweep itself takes about 45 s: in nox -s tests-slow
def test_quick_sweep_writes_its_outputs(quick_run):
    status, out, log, keys = quick_run
    assert status == 0, log
    assert "wrote" in log
    for key in keys:
        png = out / f"smoke-{key}.png"
        assert png.stat().st_size > 1000, png
        assert png.read_bytes()[:8] == PNG_MAGIC, png


@pytest.mark.slow  # the quick sweep itself takes about 45 s: in nox -s tests-slow
def test_quick_sweep_numbers_are_sane(quick_run):
    status, out, log, keys = quick_run
    assert status == 0, log
    raw = json.loads((out / "raw.json").read_text())
    assert raw["config"]["quick"] is True
    assert [s["key"] for s in raw["series"]] == list(keys)
    for series in raw["series"]:
        assert series["methods"], series["key"]
        for method in series["methods"]:
            name = f"{series['key']}: {method['label']}"
            measured = [p for p in method["points"] if p["median_s"] is not None]
            assert len(measured) >= 2, f"{name}: {method['points']}"
            xs = [p["x"] for p in measured]
            assert xs == sorted(set(xs)), name
            for point in measured:
                assert point["skipped"] is None, name
                assert 1 <= len(point["times_s"]) <= MAX_REPS, name
                assert all(0 < t < 60 for t in point["times_s"]), name
                assert min(point["times_s"]) <= point["median_s"] <= max(point["times_s"]), name
                assert 0 < point["first_call_s"] < 120, name
                assert math.isfinite(point["peak_mib"]) and 0 <= point["peak_mib"] < 4096, name


@pytest.mark.slow  # the quick sweep itself takes about 45 s: in nox -s tests-slow
def test_quick_sweep_markdown_has_a_table_per_series(quick_run):
    status, out, log, keys = quick_run
    assert status == 0, log
    text = (out / "smoke.md").read_text()
    raw = json.loads((out / "raw.json").read_text())
    sections = text.split("\n## ")[1:]
    assert len(sections) == len(raw["series"])
    for series, section in zip(raw["series"], sections):
        assert section.startswith(series["title"])
        header = next(line for line in section.splitlines() if line.startswith("| "))
        labels = [cell.strip() for cell in header.strip("|").split("|")]
        assert labels[0] == series["x_name"]
        assert labels[-len(series["methods"]) :] == [m["label"] for m in series["methods"]]
    rows = [line for line in text.splitlines() if line.startswith("| ") and "MiB" in line]
    assert len(rows) == sum(len(s["methods"][0]["points"]) for s in raw["series"])
    assert "—" not in text  # nothing is skipped at the quick sizes
    for key in keys:
        assert f"(smoke-{key}.png)" in text


def test_wrong_answer_aborts_before_anything_is_written(tmp_path, monkeypatch):
    """A kernel that is off by 1e-6 must stop the sweep: no table, no plot, no JSON."""
    numba = backends.load("numba")
    kernel = numba.log_likelihood_function_via_w_compact_from

    @functools.wraps(kernel)  # keeps the signature: the sweep passes arguments by name
    def off_by_a_little(*args):
        return kernel(*args) * (1 + 1e-6)

    monkeypatch.setattr(numba, "log_likelihood_function_via_w_compact_from", off_by_a_little)
    console = _console()
    argv = ["--quick", "--series", "likelihood", "--backends", "numba", "--run", "bad"]
    argv += ["--out", str(tmp_path / "out"), "--json", str(tmp_path / "bad.json")]
    assert main(argv, console=console) == 2
    log = console.file.getvalue()
    assert "numba compact" in log and "disagrees" in log, log
    assert not (tmp_path / "out").exists() and not (tmp_path / "bad.json").exists()


def test_budget_skips_what_would_take_too_long():
    budget = Budget(time_limit=1.0, mem_cap_bytes=2**30, exponent=1.0, x_name="K")
    method = PRECOMPUTE_METHODS[1]
    size = lambda k: Size(N=30, M=716, K=k, S=256, B=3, P=32, x=k)
    point = lambda k, t: Point(x=k, N=30, M=716, K=k, S=256, median_s=t)
    assert budget.time_reason(method, [], size(100)) is None
    assert budget.time_reason(method, [point(100, 0.2)], size(316)) is None  # 0.63 s predicted
    assert "predicts" in budget.time_reason(method, [point(100, 0.4)], size(316))  # 1.26 s
    # observed growth steeper than the nominal exponent wins: x^2 predicts 0.2 * 10 = 2 s
    assert "predicts" in budget.time_reason(method, [point(100, 0.02), point(316, 0.2)], size(1000))
    assert "over the 1 s limit" in budget.time_reason(method, [point(100, 1.5)], size(316))
    dense = PRECOMPUTE_METHODS[-1]
    big = Size(N=200, M=20_000, K=64, S=256, B=3, P=32, x=20_000)
    assert "memory cap" in budget.memory_reason(dense, big)
    assert budget.memory_reason(method, big) is None
