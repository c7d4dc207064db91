"""Smoke tests of the science-size benchmark (``python -m benchmarks.science``) at ``tiny``.

The whole benchmark runs once (every backend, every workload, one warm call per row); the
other tests run one backend or workload with a kernel patched to be slightly wrong, and
check that the row is reported as failed and never timed.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import io
import json

import numpy as np
import pytest

for _module in ("matplotlib", "psutil", "rich", "scipy"):
    pytest.importorskip(_module, reason=f"the science benchmark needs {_module}")

from rich.console import Console  # noqa: E402

from autojax import backends  # noqa: E402
from autojax import reference as ref  # noqa: E402
from autojax.likelihood import BACKENDS as STEP_BACKENDS  # noqa: E402
from benchmarks.harness import WrongAnswer  # noqa: E402
from benchmarks.science.checks import (  # noqa: E402
    LikelihoodExpected,
    check_likelihood,
    compact_entries_direct,
    curvature_columns,
    likelihood_from_curvature,
)
from benchmarks.science.cli import main  # noqa: E402
from benchmarks.science.cost import predict  # noqa: E402
from benchmarks.science.lattice import compact_from_preload  # noqa: E402
from benchmarks.science.problem import PRESETS, Problem  # noqa: E402
from benchmarks.science.rows import (  # noqa: E402
    GRAD_RTOL,
    STEP_CALL,
    VARIANTS,
    Row,
    build_rows,
    step_likelihood,
)
from benchmarks.science.workloads import (  # noqa: E402
    BARE,
    BASELINE,
    DEFAULT_WORKLOADS,
    DIRTY,
    PUBLIC,
    SEED_ARGUMENTS,
    STEP,
    WORKLOAD_TITLES,
    numba_methods,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STAMP = "smoke"


def _run(folder, *extra: str) -> tuple[int, str, dict, str]:
    """Run the tiny preset into ``folder``: (exit status, console log, JSON, Markdown)."""
    console = Console(file=io.StringIO(), width=200)
    argv = ["--preset", "tiny", "--quick", "--stamp", STAMP, "--out", str(folder / "out")]
    argv += ["--json-dir", str(folder / "json"), "--cache-dir", str(folder / "cache"), *extra]
    status = main(argv, console=console)
    run = f"science-tiny-{STAMP}"
    json_path = folder / "json" / f"{run}.json"
    md_path = folder / "out" / f"{run}.md"
    raw = json.loads(json_path.read_text()) if json_path.exists() else {}
    md = md_path.read_text() if md_path.exists() else ""
    return status, console.file.getvalue(), raw, md


def _rows(raw: dict, workload: str | None = None) -> dict[str, dict]:
    return {r["label"]: r for r in raw["results"] if workload is None or r["workload"] == workload}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("science")
    return (folder, *_run(folder))


def test_every_row_is_checked_and_timed(full_run):
    folder, status, log, raw, _ = full_run
    assert status == 0, log
    assert raw["sizes"] == {"N": 16, "M": 208, "K": 500, "S": 60, "B": 3, "P": 10}
    imported = [n for n, why in backends.available().items() if why is None]
    for workload in DEFAULT_WORKLOADS:
        rows = _rows(raw, workload)
        # W1 also times the bare NUFFT library calls (backend "library")
        assert {r["backend"] for r in rows.values()} - {"library"} == set(imported), workload
        (baseline,) = [r for r in rows.values() if r["baseline"]]
        assert baseline["label"] == BASELINE[workload]
        assert baseline["ratio"] == 1.0
        for label, r in rows.items():
            where = f"{workload} {label}"
            assert r["status"] == "ok", (where, r["reason"])
            assert len(r["times_s"]) == 1, where  # --quick: one warm call
            assert 0 < r["median_s"] < 60 and 0 < r["first_call_s"] < 120, where
            assert r["ratio"] == pytest.approx(r["median_s"] / baseline["median_s"]), where
            # a gradient row's error is against central finite differences (rows.GRAD_RTOL)
            allowed = GRAD_RTOL if "value_and_grad" in label else 1e-8
            assert r["error"] is not None and 0 <= r["error"] <= allowed, where
            assert np.isfinite(r["peak_mib"]) and r["peak_mib"] >= 0, where
            assert r["predicted_s"] > 0, where
    w1 = _rows(raw, "W1")
    for label, (_, library) in BARE.items():  # checked like the kernels, so ok above
        assert (label in w1) == (importlib.util.find_spec(library) is not None), label
    if "nufft" in backends.load("numba").METHODS.get(DIRTY, ()):
        assert "numba dirty image nufft" in w1 and w1["numba dirty image nufft"]["status"] == "ok"
    w2 = _rows(raw, "W2")
    assert "original preload" in w2 and "numba direct (4-loop)" in w2
    if "jax" in imported:
        assert "jax BCOO" in w2 and "jax direct (4-loop)" in w2
    assert set(raw["references"]) >= {"W1", "W2", "W3"}


def test_reports_are_written(full_run):
    folder, status, log, raw, md = full_run
    assert status == 0, log
    run = f"science-tiny-{STAMP}"
    for workload in DEFAULT_WORKLOADS:
        png = folder / "out" / run / f"{workload}.png"
        assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 1000, png
        assert f"({run}/{workload}.png)" in md
        assert f"## {WORKLOAD_TITLES[workload]}" in md
    assert md.count("(baseline)") == 3
    table_rows = [line for line in md.splitlines() if line.startswith("| ") and " ok " in line]
    assert len(table_rows) == len(raw["results"])
    assert raw["run"] == run and raw["config"]["quick"] is True
    for table in ("W1 precompute", "W2 curvature", "W3 one likelihood"):
        assert table in log
    # the references were cached, keyed by preset and a hash of their inputs
    cached = sorted(p.name for p in (folder / "cache").iterdir())
    assert any(name.startswith("science-tiny-w1-exact-") for name in cached), cached
    assert any(name.startswith("science-tiny-w2-two_pass-") for name in cached), cached


def _off_by_a_little(module, name, monkeypatch):
    kernel = getattr(module, name)

    @functools.wraps(kernel)  # same signature: the benchmark passes arguments by name
    def wrong(*args, **kwargs):
        return kernel(*args, **kwargs) * (1 + 1e-6)

    monkeypatch.setattr(module, name, wrong)


@pytest.mark.parametrize(
    ("backend", "kernel", "workload"),
    [
        ("numba", PUBLIC["W3"], "W3"),
        ("xp", PUBLIC["W1"], "W1"),
        ("original", "w_tilde_curvature_preload_interferometer_from", "W1"),
        ("original", "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from", "W2"),
    ],
)
def test_a_wrong_answer_is_reported_failed_and_not_timed(
    tmp_path, monkeypatch, backend, kernel, workload
):
    if backends.available()[backend] is not None:
        pytest.skip(f"backend {backend} does not import here")
    _off_by_a_little(backends.load(backend), kernel, monkeypatch)
    names = f"numba,original,{backend}"  # repeated names count once
    status, log, raw, md = _run(tmp_path, "--backends", names, "--workloads", workload)
    assert status == 2, log
    rows = _rows(raw, workload)
    # every method of the patched kernel is wrong, and reported so, untimed
    patched = [r for r in rows.values() if r["backend"] == backend and r["kernel"] == kernel]
    assert patched
    for bad in patched:
        assert bad["status"] == "failed" and "wrong answer" in bad["reason"], bad
        assert bad["median_s"] is None and bad["times_s"] == [] and bad["ratio"] is None
    # the other backends' rows are right
    others = [r for r in rows.values() if r["backend"] != backend]
    assert others and all(r["status"] == "ok" for r in others), others
    assert "failed" in md and "wrong answer" in md
    assert f"{len(patched)} row(s) failed" in log


def test_w3_times_the_likelihood_step_beside_the_seed_argument_likelihood(full_run):
    """W3 times what a modeller's step costs (``Likelihood.log_evidence``, nothing in K)
    and, labelled apart, the seed-argument likelihood that redoes the K sums each call."""
    folder, status, log, raw, md = full_run
    assert status == 0, log
    w3 = _rows(raw, "W3")
    imported = [n for n, why in backends.available().items() if why is None]
    for name in (n for n in STEP_BACKENDS if n in imported):
        samplers = {f"{name} auto: {what}" for what in VARIANTS.values()}
        steps = [
            r
            for r in w3.values()
            if r["backend"] == name and r["kernel"] == STEP_CALL and r["label"] not in samplers
        ]
        seeds = [r for r in w3.values() if r["backend"] == name and r["kernel"] == PUBLIC["W3"]]
        assert steps and seeds, (name, sorted(w3))
        if name == "jax":  # the rows of samplers: value_and_grad, vmap, 8 calls
            assert samplers <= set(w3), sorted(w3)
            assert all(w3[label]["status"] == "ok" for label in samplers)
            # the two ratio targets, also timed back to back (paired), in the log and notes
            grad, vmap = (f"{name} auto: {VARIANTS[v]}" for v in ("grad", "vmap"))
            assert "x paired (median of" in w3[grad]["reason"]
            assert w3[grad]["reason"].endswith("fastest calls step")
            assert "x paired (median of" in w3[vmap]["reason"]
            assert w3[vmap]["reason"].endswith(VARIANTS["calls"])
            assert f"{VARIANTS['grad']} / step = " in log
        for r in steps:
            assert r["label"] == f"{name} {r['method']}: {STEP}", r["label"]
        for r in seeds:
            assert r["label"] == f"{name} {r['method']}: {SEED_ARGUMENTS}", r["label"]
        for r in steps + seeds:
            assert r["status"] == "ok" and r["error"] <= 1e-8, r
    assert w3[BASELINE["W3"]]["kernel"] == STEP_CALL
    assert f"original preload: {SEED_ARGUMENTS}" in w3
    assert "`autojax.Likelihood.log_evidence`" in md and "K visibilities on every call" in md


def test_the_likelihood_step_is_checked_before_it_is_timed(tmp_path, monkeypatch):
    """The step calls ``log_evidence_via_w_compact_from``: off by a little there, every step
    row fails untimed while the seed-argument rows (another kernel) stay right."""
    _off_by_a_little(backends.load("numba"), "log_evidence_via_w_compact_from", monkeypatch)
    status, log, raw, md = _run(tmp_path, "--backends", "numba", "--workloads", "W3")
    assert status == 2, log
    rows = _rows(raw, "W3").values()
    steps = [r for r in rows if r["kernel"] == STEP_CALL]
    assert steps and all(r["status"] == "failed" and "wrong answer" in r["reason"] for r in steps)
    assert all(r["median_s"] is None for r in steps)
    seeds = [r for r in rows if r["kernel"] != STEP_CALL]
    assert seeds and all(r["status"] == "ok" for r in seeds), seeds


def test_the_step_has_the_constants_a_real_precompute_gives():
    """The benchmark sets the step's per-observation constants from the verified problem;
    they must be what ``Likelihood.precompute`` itself computes (the dirty image aside: the
    problem's is random, and a step's cost does not depend on its values)."""
    from autojax import Likelihood, Observation

    p = Problem(PRESETS["tiny"])
    p.set_w_compact(
        ref.w_compact_curvature_interferometer_from(
            p.N, p.noise_map_real, p.uv_wavelengths, p.pixel_scale
        )
    )
    (row,) = [r for r in build_rows("W3", ["numba"]) if r.step and r.method == "two_pass"]
    given = step_likelihood(row, p)._constants
    real = Likelihood(Observation.from_dataset(p), backend="numba", precompute_method="exact")
    computed = real.precompute()._constants
    assert set(given) == set(computed)
    scale = np.abs(computed["w_compact"]).max()
    np.testing.assert_allclose(given["w_compact"], computed["w_compact"], atol=1e-12 * scale)
    np.testing.assert_array_equal(
        given["native_index_for_slim_index"], computed["native_index_for_slim_index"]
    )
    assert np.shape(given["dirty_image"]) == np.shape(computed["dirty_image"])
    for name in ("chi_squared_data", "noise_normalization"):
        assert given[name] == pytest.approx(computed[name], rel=1e-12), name


def test_a_wrong_reference_fails_the_whole_workload(tmp_path, monkeypatch):
    """The W2 reference comes from numba's two-pass kernel: when it is wrong, the NumPy
    columns catch it, and no row is timed against it."""
    _off_by_a_little(backends.load("numba"), PUBLIC["W2"], monkeypatch)
    status, log, raw, md = _run(tmp_path, "--backends", "numba", "--workloads", "W2")
    assert status == 2, log
    rows = _rows(raw, "W2")
    assert len(rows) >= 2
    for r in rows.values():
        assert r["status"] == "failed" and "reference is wrong" in r["reason"], r
        assert r["median_s"] is None
    assert "spot columns" in md


@pytest.mark.slow  # 40 s: the spot-reference path, its run and a wrong answer's run
def test_spot_references_where_the_exact_form_is_too_slow(tmp_path, monkeypatch):
    """alma_high's path (no full exact reference: spot entries of W1, spot columns of F)
    at the tiny size; a wrong answer is still caught at the spots."""
    spot_only = dataclasses.replace(PRESETS["tiny"], exact_reference=False)
    monkeypatch.setitem(PRESETS, "tiny", spot_only)
    status, log, raw, md = _run(tmp_path, "--backends", "numba,original")
    assert status == 0, log
    assert raw["results"] and all(r["status"] == "ok" for r in raw["results"]), log
    assert "summed directly" in raw["references"]["W1"]
    assert "random columns of F" in raw["references"]["W2"]
    nufft = "nufft" in numba_methods("W1")
    assert ("numba nufft" if nufft else "numba exact") in raw["references"]["W2 input"]
    _off_by_a_little(
        backends.load("original"), "w_tilde_curvature_preload_interferometer_from", monkeypatch
    )
    status, log, raw, md = _run(tmp_path, "--backends", "numba,original", "--workloads", "W1")
    assert status == 2, log
    bad = _rows(raw, "W1")["original preload"]
    assert bad["status"] == "failed" and "spot entries" in bad["reason"], bad


def test_skipped_rows_say_why(tmp_path):
    status, log, raw, md = _run(tmp_path, "--backends", "numba,original", "--time-limit", "1e-9")
    assert status == 0, log
    assert raw["results"] and all(r["status"] == "skipped" for r in raw["results"])
    for r in raw["results"]:
        assert r["reason"].startswith("skipped: predicted") and "time limit" in r["reason"], r
    assert "over the 1e-09 s time limit" in md
    assert "computing" not in log  # no reference is built for rows that do not run
    status, log, raw, md = _run(tmp_path, "--backends", "numba", "--mem-cap-gib", "1e-6")
    assert status == 0, log
    assert all("memory cap" in r["reason"] for r in raw["results"]), raw["results"]


def test_methods_appear_when_a_backend_exports_them(tmp_path, monkeypatch):
    """THE contract: ``METHODS[public name]`` lists the methods, called with ``method=``."""
    numba = backends.load("numba")
    kernel = getattr(numba, PUBLIC["W2"])
    calls = []

    @functools.wraps(kernel)
    def with_methods(*args, method="auto"):
        calls.append(method)
        return kernel(*args)

    monkeypatch.setattr(numba, PUBLIC["W2"], with_methods)
    monkeypatch.setattr(
        numba, "METHODS", {PUBLIC["W2"]: ("auto", "two_pass", "other")}, raising=False
    )
    rows = {r.label: r for r in build_rows("W2", ["numba"])}
    assert list(rows)[0] == "numba two_pass"  # the baseline first
    assert set(rows) == {"numba two_pass", "numba other", "numba direct (4-loop)"}
    assert rows["numba other"].keyword and not rows["numba direct (4-loop)"].keyword
    status, log, raw, _ = _run(tmp_path, "--backends", "numba", "--workloads", "W2")
    assert status == 0, log
    assert {r["label"] for r in raw["results"]} == set(rows)
    assert {"two_pass", "other"} <= set(calls) and "auto" not in calls
    assert raw["config"]["methods_api"]["numba"] == {PUBLIC["W2"]: ["auto", "two_pass", "other"]}
    # --methods keeps only the named ones
    status, log, raw, _ = _run(
        tmp_path, "--backends", "numba", "--workloads", "W2", "--methods", "other"
    )
    assert status == 0, log
    assert [r["label"] for r in raw["results"]] == ["numba other"]


def test_the_problem_is_lens_like_and_deterministic():
    preset = PRESETS["tiny"]
    p, again = Problem(preset), Problem(preset)
    for name in ("uv_wavelengths", "noise_map", "data", "dirty_image", "neighbors"):
        np.testing.assert_array_equal(getattr(p, name), getattr(again, name), err_msg=name)
    np.testing.assert_array_equal(
        p.pix_weights_for_sub_slim_index, again.pix_weights_for_sub_slim_index
    )
    assert p.M == 208 and p.K == 500 and p.S == 60 and p.B == 3 and p.P == 10
    assert np.array_equal(p.noise_map.real, p.noise_map.imag)  # the lattice methods need it
    uv = np.hypot(*p.uv_wavelengths.T)
    assert preset.uv_min <= uv.min() and uv.max() <= preset.uv_max
    idx, w = p.pix_indexes_for_sub_slim_index, p.pix_weights_for_sub_slim_index
    assert idx.min() >= -1 and idx.max() < p.S
    early = idx[:, 1] < 0
    assert 0 < early.sum() < p.M // 2  # pixels outside the mesh hull map to one vertex
    assert np.all(idx[early, 1:] == -1) and np.all(w[early, 0] == 1.0)
    assert np.all(idx[~early] >= 0)
    assert np.all(np.sort(idx[~early], axis=1)[:, 1:] != np.sort(idx[~early], axis=1)[:, :-1])
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)
    assert w.min() > -1e-12  # barycentric weights inside their triangle
    used = np.arange(p.P)[None, :] < p.neighbors_sizes[:, None]
    assert np.all((p.neighbors >= 0) == used) and p.neighbors_sizes.max() <= p.P
    adjacency = np.zeros((p.S, p.S), dtype=bool)
    rows, cols = np.nonzero(used)
    adjacency[rows, p.neighbors[rows, cols]] = True
    assert np.array_equal(adjacency, adjacency.T) and not adjacency.diagonal().any()
    with pytest.raises(AttributeError):
        p.w_tilde  # noqa: B018 (dense M x M: refused at science size)


def test_the_exact_helpers_agree_with_the_reference():
    p = Problem(PRESETS["tiny"])
    w_compact = ref.w_compact_curvature_interferometer_from(
        p.N, p.noise_map_real, p.uv_wavelengths, p.pixel_scale
    )
    preload = ref.w_tilde_curvature_preload_interferometer_from(
        p.noise_map_real, p.uv_wavelengths, p.shape_masked_pixels_2d, p.grid_radians_2d
    )
    scale = np.abs(w_compact).max()
    np.testing.assert_allclose(compact_from_preload(preload, p.N), w_compact, atol=1e-13 * scale)
    p.set_w_compact(w_compact)
    w_tilde = ref.w_tilde_via_compact_from(w_compact, p.native_index_for_slim_index)
    np.testing.assert_allclose(
        ref.w_tilde_via_preload_from(p.w_tilde_preload, p.native_index_for_slim_index),
        w_tilde,
        atol=1e-13 * scale,
    )
    m, n = np.array([0, 3, 15, 7]), np.array([15, 0, 30, 22])
    np.testing.assert_allclose(compact_entries_direct(p, m, n), w_compact[m, n], atol=1e-13 * scale)
    t = ref.mapping_matrix_from(
        p.pix_indexes_for_sub_slim_index, p.pix_weights_for_sub_slim_index, p.S
    )
    f = t.T @ w_tilde @ t
    columns = np.array([0, 17, 59])
    np.testing.assert_allclose(
        curvature_columns(p, w_compact, columns),
        f[:, columns],
        atol=1e-12 * np.abs(f).max(),
    )
    expected = ref.log_likelihood_function_via_w_compact_from(
        *p.args_for(ref.log_likelihood_function_via_w_compact_from)
    )
    got = likelihood_from_curvature(p, f)
    assert got.value == pytest.approx(expected, rel=1e-10)
    chi = np.sum(np.abs(p.data) ** 2 / p.noise_map.real**2)
    norm = ref.noise_normalization_complex_from(p.noise_map)
    assert got.data_terms == pytest.approx(-0.5 * (chi + norm), rel=1e-12)


def test_the_likelihood_check_sees_an_error_in_f_behind_large_k_terms():
    """At alma the evidence is ~ -3e6, of which only ~1e4 depends on F: an error of 1e-6 in
    that part is 3e-9 of the total (within 1e-8), and must still fail."""
    expected = LikelihoodExpected(value=-3.0e6, data_terms=-3.0e6 - 1.0e4)
    assert check_likelihood(-3.0e6 * (1 + 1e-12), expected, "ok") < 1e-8
    with pytest.raises(WrongAnswer, match="depends on F"):
        check_likelihood(-3.0e6 + 1e4 * 1e-6, expected, "wrong F")
    with pytest.raises(WrongAnswer):
        check_likelihood(float("nan"), expected, "nan")


def test_the_cost_model_skips_the_upstream_preload_at_alma():
    """At alma the exact upstream preload (4 N² K cos on one core) is far over a minute."""
    alma = PRESETS["alma"]
    rows = {r.label: r for r in build_rows("W1", ["original", "numba"])}
    slow = predict(rows["original preload"], alma, M=15_380)
    fast = predict(rows["numba exact"], alma, M=15_380)
    assert slow.seconds > 600 and 1 < fast.seconds < 120
    high = PRESETS["alma_high"]
    bcoo = Row("W2", "jax", "BCOO", PUBLIC["W2"] + "_BCOO", False, "jax BCOO")
    assert predict(bcoo, high, M=125_676).bytes > 100 * 2**30  # dense M x M


@pytest.mark.slow  # compiles several JAX programs: in nox -s tests-slow
def test_lens_model_workload(tmp_path):
    """W4 on the tiny_lens_model preset: every row of every step backend checked and timed,
    the baseline numba's F of one pixelization."""
    console = Console(file=io.StringIO(), width=200)
    argv = ["--preset", "tiny_lens_model", "--quick", "--stamp", STAMP]
    argv += ["--out", str(tmp_path / "out"), "--json-dir", str(tmp_path / "json")]
    argv += ["--cache-dir", str(tmp_path / "cache")]
    status = main(argv, console=console)
    log = console.file.getvalue()
    assert status == 0, log
    raw = json.loads((tmp_path / "json" / f"science-tiny_lens_model-{STAMP}.json").read_text())
    rows = _rows(raw)
    assert {r["workload"] for r in rows.values()} == {"W4"}
    imported = {n for n, why in backends.available().items() if why is None}
    assert {r["backend"] for r in rows.values()} == imported & set(STEP_BACKENDS)
    (baseline,) = [r for r in rows.values() if r["baseline"]]
    assert baseline["label"] == BASELINE["W4"]
    for label, r in rows.items():
        assert r["status"] == "ok", (label, r["reason"])
        assert r["error"] is not None and 0 <= r["error"] <= 1e-6, label
    assert "F two / F one" in log and "step with 20 functions / without" in log
    for backend in imported & set(STEP_BACKENDS):
        assert f"W4 {backend}: F two pixelizations (one pass) / F one pixelization = " in log
    note = rows["numba F two pixelizations (one pass)"]["reason"]
    assert "x paired (median of" in note and "x fastest calls F one pixelization" in note
    png = tmp_path / "out" / f"science-tiny_lens_model-{STAMP}" / "W4.png"
    assert png.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize(
    "expected, got", [(-np.inf, -np.inf), (-np.inf, -10.0), (-10.0, np.nan), (np.nan, -10.0)]
)
def test_w4_evidence_check_refuses_values_that_are_not_finite(expected, got):
    """A reference of -inf made the tolerance infinite: any step passed its check."""
    from benchmarks.harness import WrongAnswer
    from benchmarks.science.lens_model import _check_evidence, _evidence_tolerance

    tolerance = _evidence_tolerance(1.0, expected)
    with pytest.raises(WrongAnswer, match="not finite"):
        _check_evidence(expected, tolerance, "step", got)


def test_paired_ratio_is_the_median_of_per_round_ratios(monkeypatch):
    """A paired ratio (W3's and W4's targets): each round times the two calls back to back
    (a fake clock here: the numerator takes 3 ticks, then 5 in one disturbed round; the
    denominator 2)."""
    from benchmarks import harness

    ticks = {"now": 0}
    monkeypatch.setattr(harness.time, "perf_counter", lambda: ticks["now"])
    calls = {"a": 0}

    def numerator():
        calls["a"] += 1
        ticks["now"] += 5 if calls["a"] == 4 else 3

    def denominator():
        ticks["now"] += 2

    paired = harness.paired_ratio(numerator, denominator, rounds=5)
    assert paired.rounds == 5 and calls["a"] == 6  # one warm call each, then the rounds
    assert paired.ratio == 1.5 and paired.fastest == 1.5  # the disturbed round is in neither
    assert paired.describe().startswith("1.50x paired (median of 5 interleaved rounds)")
