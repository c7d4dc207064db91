"""The generator: golden output for a toy spec, malformed specs, and adding a kernel in one file."""

from __future__ import annotations

import importlib.util
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from codegen.load import ROOT, load_specs
from codegen.model import SpecError
from codegen.output import check, write
from codegen.render import render_all

GOLDEN = Path(__file__).with_name("golden")

# A new kernel, written once: out[i] = sum_k weight_k * sin(x_i * u_k)**2 (a made-up reduction)
TOY_SPEC = '''
"""A toy kernel used by the generator's own tests."""

from codegen.kinds import IndexMap

KERNELS = [
    IndexMap(
        name="toy_sine_power_from",
        doc="out[i] = sum_k weight_k * sin(x_i * u_k)**2.",
        args={"weights": "f8[K]", "uv_wavelengths": "f8[K,2]", "grid_radians_slim": "f8[M,2]"},
        returns="f8[M]",
        index={"i": "M"},
        reduce=("k", "K"),
        expr="weights[k] * sin(grid_radians_slim[i, 1] * uv_wavelengths[k, 0]) ** 2",
    ),
]
'''

# Scatter-adds in the three shapes the JAX template lowers differently: the outer loop as a
# window axis (blocks), an inner loop as a window axis after the gathered one (a transposed
# value), and no window at all (element by element); -1 ends a row of idx early.
SCATTER_SPEC = '''
"""Toy scatter kernels used by the generator's own tests."""

from codegen.kinds import Scatter

ARGS = {"x": "f8[M,N]", "idx": "i8[N,B] in [-1,S)", "w": "f8[N,B]", "pixels": "int -> S"}
SKIP = {"xp": "toy: exercises the Numba and JAX scatter lowerings only"}

KERNELS = [
    Scatter(
        name="toy_rows_from",
        doc="out[m, idx[n, b]] += x[m, n] w[n, b]: the outer loop is a window axis.",
        args=ARGS, returns="f8[M,S]", loops={"m": "M", "n": "N", "b": "B"}, out_shape=("M", "S"),
        stops={"b": "idx[n, b] >= 0"}, updates=["out[m, idx[n, b]] += x[m, n] * w[n, b]"], skip=SKIP,
    ),
    Scatter(
        name="toy_columns_from",
        doc="out[idx[n, b], m] -= x[m, n] w[n, b]: an inner loop is a window axis.",
        args=ARGS, returns="f8[S,M]", loops={"n": "N", "m": "M", "b": "B"}, out_shape=("S", "M"),
        stops={"b": "idx[n, b] >= 0"}, updates=["out[idx[n, b], m] -= x[m, n] * w[n, b]"], skip=SKIP,
    ),
    Scatter(
        name="toy_pairs_from",
        doc="out[idx[n, b], idx[n, c]] += w[n, b] w[n, c]: both axes gathered.",
        args={"idx": "i8[N,B] in [-1,S)", "w": "f8[N,B]", "pixels": "int -> S"},
        returns="f8[S,S]", loops={"n": "N", "b": "B", "c": "B"}, out_shape=("S", "S"),
        stops={"b": "idx[n, b] >= 0", "c": "idx[n, c] >= 0"},
        updates=["out[idx[n, b], idx[n, c]] += w[n, b] * w[n, c]"], skip=SKIP,
    ),
]
'''


# A contraction: the sum over k factors into an (i, k) table and a (j, k) table, plain and
# symmetric, so the backends build the tables per chunk of k and multiply them.
CONTRACTION_SPEC = '''
"""Toy contractions used by the generator's own tests."""

from codegen.kinds import Contraction

KERNELS = [
    Contraction(
        name="toy_cross_from",
        doc="out[i, j] = sum_k w_k cos(x_i u_k - y_j u_k).",
        args={"w": "f8[K]", "u": "f8[K]", "x": "f8[I]", "y": "f8[J]"},
        returns="f8[I,J]", index={"i": "I", "j": "J"}, reduce=("k", "K"), weight="w[k]",
        terms=[("cos(x[i] * u[k])", "cos(y[j] * u[k])"), ("sin(x[i] * u[k])", "sin(y[j] * u[k])")],
    ),
    Contraction(
        name="toy_gram_from",
        doc="out[i, j] = sum_k w_k cos((x_i - x_j) u_k), symmetric.",
        args={"w": "f8[K]", "u": "f8[K]", "x": "f8[I]"},
        returns="f8[I,I]", index={"i": "I", "j": "I"}, reduce=("k", "K"), weight="w[k]",
        terms=[("cos(x[i] * u[k])", None), ("sin(x[i] * u[k])", None)], symmetric=True,
    ),
]
'''


@pytest.mark.parametrize("budget", [None, 41])
def test_contraction_lowerings_agree(tmp_path, monkeypatch, budget):
    """Numba, JAX and array-API contractions match NumPy, in one chunk of k and in many."""
    if budget is not None:  # Numba reads the budget when called, JAX/xp when tracing
        monkeypatch.setattr("autojax._runtime.CHUNK_BUDGET", budget)
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "toy_contraction.py").write_text(CONTRACTION_SPEC)
    out = tmp_path / "out"
    write(render_all(load_specs(specs)), out)
    import jax

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(5)
    w, u, x, y = rng.random(37), rng.normal(size=37) * 30, rng.normal(size=9), rng.normal(size=4)
    cross = np.cos(np.subtract.outer(x, y)[:, :, None] * u) @ w
    gram = np.cos(np.subtract.outer(x, x)[:, :, None] * u) @ w
    for backend in ("numba", "jax", "xp"):
        mod = _import(out / backend / "toy_contraction.py", f"_toy_contraction_{backend}_{budget}")
        got = np.asarray(mod.toy_cross_from(w, u, x, y))
        np.testing.assert_allclose(got, cross, atol=1e-12, err_msg=backend)
        got = np.asarray(mod.toy_gram_from(w, u, x))
        np.testing.assert_allclose(got, gram, atol=1e-12, err_msg=backend)
        assert np.array_equal(got, got.T), (
            f"{backend}: a symmetric contraction is exactly symmetric"
        )
    numba_text = (out / "numba" / "toy_contraction.py").read_text()
    assert "_runtime.CHUNK_BUDGET)" in numba_text  # the wrapper passes the run-time budget


def _toy_scatter_expected(x, idx, w, pixels):
    valid = np.cumprod(idx >= 0, axis=1) > 0
    t = np.zeros((idx.shape[0], pixels))
    for n, b in zip(*np.nonzero(valid)):
        t[n, idx[n, b]] += w[n, b]
    return {"toy_rows_from": x @ t, "toy_columns_from": -(x @ t).T, "toy_pairs_from": t.T @ t}


@pytest.fixture()
def toy(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "toy.py").write_text(TOY_SPEC)
    (specs / "toy_scatter.py").write_text(SCATTER_SPEC)
    return specs


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_committed_generated_files_are_fresh():
    """`python -m codegen --check`: generated/ is exactly what the specs produce."""
    diff = check(render_all(load_specs()))
    assert diff == "", "generated/ is stale; run `nox -s generate`:\n" + diff[:3000]


def test_generation_is_byte_for_byte_stable():
    specs = load_specs()
    assert render_all(specs) == render_all(specs)


def test_golden_toy_output(toy, request):
    files = render_all(load_specs(toy))
    for rel in (
        "numba/toy.py",
        "jax/toy.py",
        "xp/toy.py",
        "numba/toy_scatter.py",
        "jax/toy_scatter.py",
    ):
        golden = GOLDEN / rel.replace("/", "_")
        if request.config.getoption("--update-golden"):
            golden.write_text(files[rel])
        assert golden.exists(), f"no golden file {golden.name}; run pytest --update-golden"
        assert files[rel] == golden.read_text(), (
            f"{rel} differs from {golden.name} (pytest --update-golden refreshes)"
        )


def test_new_kernel_needs_one_file(toy, tmp_path):
    """Write a spec, generate, import the emitted Numba and JAX modules: they agree with NumPy."""
    out = tmp_path / "out"
    write(render_all(load_specs(toy)), out)
    numba_mod = _import(out / "numba" / "toy.py", "_toy_numba")
    jax_mod = _import(out / "jax" / "toy.py", "_toy_jax")
    import jax

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(3)
    weights, uv, grid = rng.random(23), rng.normal(size=(23, 2)), rng.normal(size=(11, 2))
    expected = np.sin(np.outer(grid[:, 1], uv[:, 0])) ** 2 @ weights
    np.testing.assert_allclose(
        numba_mod.toy_sine_power_from(weights, uv, grid), expected, rtol=1e-12
    )
    np.testing.assert_allclose(
        np.asarray(jax_mod.toy_sine_power_from(weights, uv, grid)), expected, rtol=1e-12
    )
    with pytest.raises(ValueError, match="uv_wavelengths"):
        numba_mod.toy_sine_power_from(weights, uv[:-1], grid)


@pytest.mark.parametrize(("m", "n", "b", "s"), [(7, 13, 3, 5), (1, 40, 1, 97), (300, 9, 4, 2)])
@pytest.mark.parametrize("budget", [None, 37])
def test_scatter_lowerings_agree(toy, tmp_path, monkeypatch, m, n, b, s, budget):
    """Each JAX scatter lowering (blocks, window, element-wise) matches Numba and NumPy,
    in one chunk and in many chunks with a ragged last one (a budget of 37 elements)."""
    if budget is not None:
        monkeypatch.setattr("autojax._runtime.CHUNK_BUDGET", budget)
        monkeypatch.setattr("autojax._runtime.SCATTER_BUDGET", budget)
    out = tmp_path / "out"
    write(render_all(load_specs(toy)), out)
    numba_mod = _import(out / "numba" / "toy_scatter.py", f"_toy_scatter_numba_{m}_{budget}")
    jax_mod = _import(out / "jax" / "toy_scatter.py", f"_toy_scatter_jax_{m}_{budget}")
    jax_text = (out / "jax" / "toy_scatter.py").read_text()
    assert "return None, block" in jax_text  # toy_rows_from stacks blocks
    assert "out = out.at[_index0].subtract(" in jax_text  # toy_columns_from scatters windows
    import jax

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(m)
    x, w = rng.normal(size=(m, n)), rng.random((n, b))
    idx = rng.integers(0, s, size=(n, b))
    idx[rng.random(n) < 0.4, rng.integers(0, b)] = -1  # some rows end early
    expected = _toy_scatter_expected(x, idx, w, s)
    for name, want in expected.items():
        args = (idx, w, s) if name == "toy_pairs_from" else (x, idx, w, s)
        np.testing.assert_allclose(getattr(numba_mod, name)(*args), want, atol=1e-12)
        np.testing.assert_allclose(np.asarray(getattr(jax_mod, name)(*args)), want, atol=1e-12)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            ('reduce=("k", "K"),', 'reduce=("k", "Q"),'),
            ["toy.py", "toy_sine_power_from", "reduce", "Q"],
        ),
        (('"f8[K]"', '"f9[K]"'), ["toy.py", "args.weights", "f9[K]"]),
        (('** 2",', '** 2 + bessel(k)",'), ["toy.py", "expr", "bessel"]),
        (('doc="out[i] = sum_k weight_k * sin(x_i * u_k)**2.",', 'doc="",'), ["toy.py", "doc"]),
        (("KERNELS = [", "KERNELS = [] + ["), None),
    ],
)
def test_malformed_spec_names_file_and_field(toy, change, words):
    text = TOY_SPEC.replace(*change)
    assert text != TOY_SPEC
    (toy / "toy.py").write_text(text)
    if words is None:  # still valid: the change is harmless
        load_specs(toy)
        return
    with pytest.raises(SpecError) as info:
        load_specs(toy)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_scatter_without_portable_form_is_rejected(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "bad.py").write_text(
        textwrap.dedent(
            """
            from codegen.kinds import Scatter
            KERNELS = [Scatter(name="s", doc="d", args={"idx": "i8[M,B] in [-1,S)", "pixels": "int -> S"},
                returns="f8[M,S]", loops={"m": "M", "b": "B"}, out_shape=("M", "S"),
                updates=["out[m, idx[m, b]] += 1.0"])]
            """
        )
    )
    with pytest.raises(SpecError, match=r"bad.py: kernel 's', field 'bodies'"):
        load_specs(specs)


def test_prange_only_where_race_free():
    """The generator parallelises the outer loop only when every write indexes out by it."""
    kernels = {k.name: k for s in load_specs() for k in s.kernels}
    assert kernels["mapping_matrix_from"].race_free_outer()
    assert kernels["_w_compact_matmul_sparse_mapping_matrix_from"].race_free_outer()
    assert not kernels["sparse_mapping_matrix_transpose_matmul"].race_free_outer()
    assert not kernels[
        "curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from"
    ].race_free_outer()
    text = (ROOT / "generated" / "numba" / "curvature.py").read_text()
    assert "parallel=False" in text and "parallel=True" in text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('"cos(y[j] * u[k])"', '"cos(x[i] * u[k])"'), "terms[0].right"),  # right uses i
        (
            (
                'weight="w[k]",\n        terms=[("cos(x[i] * u[k])", None)',
                'weight="w[i]",\n        terms=[("cos(x[i] * u[k])", None)',
            ),
            "weight",
        ),
        (
            (
                '("sin(x[i] * u[k])", None)], symmetric=True',
                '("sin(x[i] * u[k])", "y")], symmetric=True',
            ),
            "terms[1].right",
        ),
    ],
)
def test_malformed_contraction_names_the_field(tmp_path, change, field):
    specs = tmp_path / "specs"
    specs.mkdir()
    text = CONTRACTION_SPEC.replace(*change)
    assert text != CONTRACTION_SPEC
    (specs / "toy_contraction.py").write_text(text)
    with pytest.raises(
        SpecError, match=rf"toy_contraction.py: kernel '\w+', field '{re.escape(field)}'"
    ):
        load_specs(specs)


@pytest.mark.parametrize(
    "name, most_stays",
    [
        ("w_tilde_curvature_interferometer_from", 11),  # a Contraction
        # a Scatter (the Lattice kernels call other kernels now: JAX's conv differentiates
        # the compact form through its array form, which calls T^T)
        ("curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from", 15),
    ],
)
def test_a_kernel_walks_through_the_generator_in_a_few_stays(name, most_stays):
    """Rendering one kernel reads its kind in one place (``python -m codegen.trace_walk``).

    Before every kind had its module, the Contraction's Numba walk took 31 stays and
    returned to a file it had left 29 times (render.py <-> model.py for each property of
    the kernel); now render.py -> model.py (capability) -> render.py -> model.py (base view)
    -> render.py -> kinds/contraction.py -> model.py (size lines) -> kinds/contraction.py
    -> render.py -> output.py -> render.py.
    """
    from codegen.trace_walk import walk

    trace = walk(name)
    assert len(trace.stays) <= most_stays, trace.summary()
    assert trace.returns <= most_stays - 4, trace.summary()
    assert trace.entries("render.py") <= 5, trace.summary()
