"""The blocks of F and D for a whole lens model (``kernels_spec/lens_model.py``).

Every method of every kernel in every backend against float64 references built here from
dense matrices (W-tilde expanded from the compact form, T and T_other as dense mapping
matrices): ``T^T W T_other``, ``W B``, ``T^T W B``, ``B^T W B`` and ``B^T d``. The cases
cover rows that end early with junk after the -1 (indexes and weights that must be
ignored), a second mapping with many more or many fewer source pixels than the first, one
function column and more than M / 3 of them, odd grid sizes and a prime M. Then: the
transpose relation of the cross block, several FFT chunks, JAX's jit, vmap and gradients
(against central differences), the array-API backend on a strict namespace, and the
Lattice kind's new spec fields.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import assert_close, backend_name, get_dataset

from autojax import reference as ref

CROSS = "curvature_matrix_cross_via_w_compact_from"
KERNELS = {
    "curvature_matrix_cross_via_w_compact_conv_from": "cross",
    "curvature_matrix_cross_via_w_compact_fft_from": "cross",
    CROSS: "cross",
    "w_compact_matmul_function_columns_from": "w_b",
    "curvature_matrix_mapping_functions_via_w_compact_from": "t_w_b",
    "curvature_matrix_functions_via_w_compact_from": "b_w_b",
    "data_vector_functions_from": "b_d",
}

#: case -> (dataset, R: source pixels of the second mapping, Q: its width, L: function
#: columns, pixels of the mask kept: a random subset (holes, ragged mask rows), or None: all)
CASES = {
    # N = 12, K = 1, ragged rows; 107 of the 112 pixels kept (M prime); one function column
    "ragged-L1": ("small-K1-ragged", 37, 2, 1, 107),
    # N = 7 (odd), S = 211 >> R = 4, most rows truncated; 43 of 45 pixels (M prime), L = 16 > M / 3
    "R<<S-Lwide": ("S>>M", 4, 3, 16, 43),
    # N = 17 (odd), M = 249, S = 9 << R = 150, width Q = 5 > B = 2; L = 2
    "R>>S": ("S<<M", 150, 5, 2, None),
    # N = 30, M = 716, S = 256 (the default generated sizes), R = 33, L = 5
    "generated": ("DataGenerated", 33, 3, 5, None),
}


def _with_junk(indexes, weights, pixels, rng):
    """Rows kept up to their first -1, then random indexes and weights after it (ignored)."""
    indexes, weights = indexes.copy(), weights.copy()
    after = np.cumprod(indexes >= 0, axis=1) == 0
    after &= np.roll(after, 1, axis=1) & (np.arange(indexes.shape[1]) > 0)  # keep the first -1
    indexes[after] = rng.integers(0, pixels, size=int(after.sum()))
    weights[after] = rng.uniform(-2.0, 2.0, size=int(after.sum()))
    return indexes, weights


def _second_mapping(m, r, q, rng):
    """A random (M, Q) mapping onto R pixels; rows end early at random (junk after the -1)."""
    indexes = rng.integers(0, r, size=(m, q))
    weights = rng.uniform(0.1, 1.0, size=(m, q))
    keep = rng.integers(1, q + 1, size=m)
    end = np.arange(q)[None, :] == keep[:, None]  # the first -1 (rows with keep = q are full)
    indexes[end] = -1
    return _with_junk(indexes, weights, r, rng)


_BUILT: dict[str, SimpleNamespace] = {}


def _case(name: str) -> SimpleNamespace:
    """The arguments of every new kernel for case ``name`` and their dense references."""
    if name in _BUILT:
        return _BUILT[name]
    dataset, r, q, l_cols, keep = CASES[name]
    d = get_dataset(dataset)
    rng = np.random.default_rng(sum(map(ord, name)))
    rows = np.arange(d.M) if keep is None else np.sort(rng.permutation(d.M)[:keep])
    m = rows.size
    idx, wts = _with_junk(
        d.pix_indexes_for_sub_slim_index[rows],
        d.pix_weights_for_sub_slim_index[rows],
        d.pixels,
        rng,
    )
    idx_o, wts_o = _second_mapping(m, r, q, rng)
    args = dict(
        w_compact=d.w_compact,
        native_index_for_slim_index=d.native_index_for_slim_index[rows],
        pix_indexes_for_sub_slim_index=idx,
        pix_weights_for_sub_slim_index=wts,
        pixels=d.pixels,
        pix_indexes_other=idx_o,
        pix_weights_other=wts_o,
        pixels_other=r,
        function_columns=rng.normal(size=(m, l_cols)),
        dirty_image=d.dirty_image[rows],
    )
    w = ref.w_tilde_via_compact_from(d.w_compact, args["native_index_for_slim_index"])
    t = ref.mapping_matrix_from(idx, wts, d.pixels)
    t_o = ref.mapping_matrix_from(idx_o, wts_o, r)
    b = args["function_columns"]
    expected = {
        "cross": t.T @ w @ t_o,
        "w_b": w @ b,
        "t_w_b": t.T @ (w @ b),
        "b_w_b": b.T @ w @ b,
        "b_d": b.T @ args["dirty_image"],
    }
    _BUILT[name] = SimpleNamespace(args=args, expected=expected, dataset=dataset)
    return _BUILT[name]


def _call(func, args, **extra):
    names = [p for p in inspect.signature(func).parameters if p in args]
    return func(**{n: args[n] for n in names}, **extra)


def _methods(kernel: str, backend: str) -> list[str | None]:
    from autojax.generated.capabilities import KERNELS as CAPS

    return [None, *CAPS[kernel]["methods"].get(backend, [])]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("kernel", list(KERNELS))
def test_block_matches_dense_reference(backend, kernel, case):
    name = backend_name(backend)
    func = getattr(backend, kernel, None)
    if func is None:
        from kernels import skip_reason

        pytest.skip(skip_reason(name, kernel))
    c = _case(case)
    for method in _methods(kernel, name):
        extra = {} if method is None else {"method": method}
        assert_close(
            _call(func, c.args, **extra),
            c.expected[KERNELS[kernel]],
            rtol=1e-10,
            err_msg=f"{name}.{kernel}({extra}) on {case}",
        )


def test_cross_block_transpose_relation(backend):
    """``T^T W T_o == (T_o^T W T)^T`` by each method (the two mappings swapped)."""
    name = backend_name(backend)
    func = getattr(backend, CROSS, None)
    if func is None:
        pytest.skip(f"{name} has no {CROSS}")
    a = _case("R>>S").args
    swapped = dict(
        a,
        pix_indexes_for_sub_slim_index=a["pix_indexes_other"],
        pix_weights_for_sub_slim_index=a["pix_weights_other"],
        pixels=a["pixels_other"],
        pix_indexes_other=a["pix_indexes_for_sub_slim_index"],
        pix_weights_other=a["pix_weights_for_sub_slim_index"],
        pixels_other=a["pixels"],
    )
    for method in _methods(CROSS, name)[1:]:
        forward = np.asarray(_call(func, a, method=method))
        backward = np.asarray(_call(func, swapped, method=method))
        assert forward.shape == (a["pixels"], a["pixels_other"])
        assert_close(forward, backward.T, rtol=1e-12, err_msg=f"{name} {method}")


def test_fft_lowerings_in_many_chunks(backend, monkeypatch):
    """A small FFT budget: several chunks of columns, the last one short."""
    name = backend_name(backend)
    if name == "original":
        pytest.skip("original has no lens-model blocks")
    c = _case("R<<S-Lwide")  # lattice 15 x 15 (N = 7): 1,000 elements is 4 columns a chunk
    # (L = 16: 4 chunks; T twice below: S = 211 columns, 53 chunks, the last of 3)
    monkeypatch.setattr("autojax._runtime.FFT_BUDGET", 1000)
    if name == "jax":
        import jax

        jax.clear_caches()  # the chunk size is fixed when a kernel is traced
    try:
        for kernel in (
            "curvature_matrix_cross_via_w_compact_fft_from",
            "w_compact_matmul_function_columns_from",
        ):
            result = _call(getattr(backend, kernel), c.args)
            assert_close(result, c.expected[KERNELS[kernel]], err_msg=f"{name}.{kernel}")
        swapped = dict(c.args, pix_indexes_other=c.args["pix_indexes_for_sub_slim_index"])
        swapped.update(
            pix_weights_other=c.args["pix_weights_for_sub_slim_index"],
            pixels_other=c.args["pixels"],
        )  # the cross kernel with T on both sides
        result = _call(backend.curvature_matrix_cross_via_w_compact_fft_from, swapped)
        t = ref.mapping_matrix_from(
            c.args["pix_indexes_for_sub_slim_index"],
            c.args["pix_weights_for_sub_slim_index"],
            c.args["pixels"],
        )
        w = ref.w_tilde_via_compact_from(c.args["w_compact"], c.args["native_index_for_slim_index"])
        expected = t.T @ w @ t
        assert_close(result, expected, err_msg=f"{name} cross with T twice")
    finally:
        if name == "jax":
            import jax

            jax.clear_caches()


# ------------------------------------------------------------------------------ JAX


@pytest.fixture
def jax_backend():
    pytest.importorskip("jax")
    import autojax.jax as backend

    return backend


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_jax_jit_of_each_block(jax_backend, kernel):
    import jax

    func = getattr(jax_backend, kernel, None)
    if func is None:
        from kernels import skip_reason

        pytest.skip(skip_reason("jax", kernel))
    c = _case("ragged-L1")
    names = [p for p in inspect.signature(func).parameters if p in c.args]
    static = [n for n in names if n in ("pixels", "pixels_other")]
    jitted = jax.jit(lambda *xs: func(*xs), static_argnums=[names.index(n) for n in static])
    result = jitted(*[c.args[n] for n in names])
    assert_close(result, c.expected[KERNELS[kernel]], err_msg=f"jit {kernel}")


def test_jax_vmap_of_w_b(jax_backend):
    import jax
    import jax.numpy as jnp

    c = _case("R>>S")
    b = c.args["function_columns"]
    batch = jnp.stack([b, 2.0 * b, -b])
    func = jax_backend.w_compact_matmul_function_columns_from
    out = jax.vmap(lambda x: func(c.args["w_compact"], c.args["native_index_for_slim_index"], x))(
        batch
    )
    for i, scale in enumerate((1.0, 2.0, -1.0)):
        assert_close(out[i], scale * c.expected["w_b"], err_msg=f"vmap member {i}")


def _directional_check(f, x, rng, label, h=1e-4):
    """jax.grad of the scalar ``f`` at ``x`` against central differences along 3 directions."""
    import jax

    grad = np.asarray(jax.grad(f)(x))
    for _ in range(3):
        v = rng.normal(size=np.shape(x))
        fd = (float(f(x + h * v)) - float(f(x - h * v))) / (2 * h)
        got = float(np.sum(grad * v))
        assert abs(got - fd) <= 1e-7 * max(1.0, abs(fd)), f"{label}: grad {got} vs fd {fd}"


@pytest.mark.slow  # compiles several JAX programs: in nox -s tests-slow
def test_jax_grad_against_finite_differences(jax_backend):
    import jax.numpy as jnp

    c = _case("ragged-L1")
    a = c.args
    rng = np.random.default_rng(7)
    g_wb = jnp.asarray(rng.normal(size=c.expected["w_b"].shape))
    g_twb = jnp.asarray(rng.normal(size=c.expected["t_w_b"].shape))
    w_b = jax_backend.w_compact_matmul_function_columns_from
    t_w_b = jax_backend.curvature_matrix_mapping_functions_via_w_compact_from
    pos, idx, wts = (
        a["native_index_for_slim_index"],
        a["pix_indexes_for_sub_slim_index"],
        a["pix_weights_for_sub_slim_index"],
    )
    b, wc, s = a["function_columns"], a["w_compact"], a["pixels"]

    _directional_check(lambda x: jnp.sum(g_wb * w_b(wc, pos, x)), b, rng, "W B, d/dB")
    _directional_check(lambda x: jnp.sum(g_wb * w_b(x, pos, b)), wc, rng, "W B, d/dw_compact")
    _directional_check(
        lambda x: jnp.sum(g_twb * t_w_b(wc, pos, idx, wts, s, x)), b, rng, "T^T W B, d/dB"
    )
    _directional_check(
        lambda x: jnp.sum(g_twb * t_w_b(wc, pos, idx, x, s, b)), wts, rng, "T^T W B, d/dweights"
    )


# ------------------------------------------------------------------------------ array API


def test_xp_blocks_on_a_strict_namespace():
    """The array-API lowerings use only the standard (array-api-strict rejects the rest)."""
    xps = pytest.importorskip("array_api_strict")
    pytest.importorskip("array_api_compat")
    import autojax.xp as backend

    c = _case("ragged-L1")
    strict = {k: xps.asarray(v) if isinstance(v, np.ndarray) else v for k, v in c.args.items()}
    for kernel, key in KERNELS.items():
        func = getattr(backend, kernel, None)
        if func is None:
            continue
        result = _call(func, strict)
        assert_close(result, c.expected[key], namespace=xps, err_msg=f"xp.{kernel} (strict)")


# ------------------------------------------------------------------------------ the spec


def _lattice(**fields):
    from codegen.kinds import Lattice

    base = dict(
        name="k",
        doc="a test kernel",
        args={
            "w_compact": "f8[N,W=2*N-1] finite",
            "native_index_for_slim_index": "i8[M,2] in [0,N)",
            "pix_indexes_for_sub_slim_index": "i8[M,B] in [-1,S)",
            "pix_weights_for_sub_slim_index": "f8[M,B] finite",
            "pixels": "int -> S >0",
            "pix_indexes_other": "i8[M,Q] in [-1,R)",
            "pix_weights_other": "f8[M,Q] finite",
            "pixels_other": "int -> R >0",
            "function_columns": "f8[M,L] finite",
        },
        returns="f8[S,R]",
        kernel="w_compact[abs(dr), where(dr >= 0, dc, -dc) + N - 1]",
        positions="native_index_for_slim_index",
        indexes="pix_indexes_other",
        weights="pix_weights_other",
        columns="R",
        left_indexes="pix_indexes_for_sub_slim_index",
        left_weights="pix_weights_for_sub_slim_index",
        rows="S",
        lowering={"numba": "conv", "jax": "fft", "xp": "fft"},
    )
    base.update(fields)
    return Lattice(**base)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"symmetric": True}, "not symmetric"),
        ({"lowering": {"numba": "conv", "jax": "conv", "xp": "fft"}}, "host conv"),
        ({"left_weights": "pix_weights_for_sub_slim_index", "left_indexes": ""}, "left_indexes"),
        ({"left_weights": "pix_indexes_other"}, "left_weights"),
        ({"rows": "Z"}, "size symbol"),
        (
            {"dense_columns": "function_columns", "indexes": "", "weights": "", "rows": ""},
            "no sparse rows",
        ),
    ],
)
def test_lattice_rejects_bad_cross_fields(fields, words):
    from codegen.model import SpecError

    with pytest.raises(SpecError, match=words):
        _lattice(**fields)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({}, None),
        ({"lowering": {"numba": "conv", "jax": "fft", "xp": "fft"}}, "only the 'fft'"),
        ({"dense_columns": "pix_weights_for_sub_slim_index"}, r"\(M, L\)"),
        ({"symmetric": True}, "not a square"),
    ],
)
def test_lattice_dense_columns_fields(fields, words):
    from codegen.model import SpecError

    dense = dict(
        returns="f8[M,L]",
        indexes="",
        weights="",
        left_indexes="",
        left_weights="",
        rows="",
        dense_columns="function_columns",
        columns="L",
        lowering={"numba": "fft", "jax": "fft", "xp": "fft"},
    )
    dense.update(fields)
    if words is None:
        assert _lattice(**dense).calls == []  # no sparse rows: nothing to call
        return
    with pytest.raises(SpecError, match=words):
        _lattice(**dense)
